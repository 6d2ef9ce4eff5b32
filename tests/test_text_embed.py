"""The accurate path's MiniLM embeddings: offline, ONNX int8 close to PyTorch fp32, cached once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from realitygap.analysis.text import embed_onnx
from realitygap.analysis.text.embed import MAX_TOKENS, POOL_MINIMUM, Embedder, model_dir
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy
from realitygap.simulate.text import THEMES

TEXTS = ["my parcel arrived a week late", "the delivery came very late", "the app keeps crashing"]


def simulated_comments(n: int) -> list[str]:
    """Comments of 3 to 12 simulator theme phrases, so lengths (and padding) vary."""
    rng = np.random.default_rng(7)
    phrases = [p for theme in THEMES for p in theme.phrases]
    return [" ".join(rng.choice(phrases, size=rng.integers(3, 13))) for _ in range(n)]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformer:
    """sentence-transformers itself on the bundled model folder: the independent fp32 reference."""
    model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = MAX_TOKENS
    return model


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


@pytest.mark.slow
def test_onnx_int8_default_stays_close_to_sentence_transformers_fp32(
    reference: SentenceTransformer,
) -> None:
    texts = [*TEXTS, *simulated_comments(61)]
    expected = reference.encode(texts, normalize_embeddings=True)
    ours = Embedder().encode(texts)
    assert ours.shape == (64, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # bounds from benchmarks/text_bench.py: on 512 simulated 50-word comments the int8 export
    # had mean cosine 0.991 and min 0.964 to sentence-transformers fp32
    cos = cosines(ours, expected)
    assert cos.mean() > 0.985 and cos.min() > 0.95
    # paraphrases are closer than unrelated texts (cosine of unit vectors)
    assert ours[0] @ ours[1] > ours[0] @ ours[2] + 0.2


@pytest.mark.slow
def test_worker_processes_keep_the_order_of_the_texts() -> None:
    texts = simulated_comments(POOL_MINIMUM)  # enough to go to the two worker processes
    pooled = Embedder(threads=2)
    try:
        ours = pooled.encode(texts)
    finally:
        pooled.close()
    # the in-process session (checked against sentence-transformers above) on the same length
    # batches: integer matmuls, so only float rounding differs; a row out of place would be
    # another comment's vector (cosine 0.5-0.9)
    in_process = Embedder(threads=1).encode(texts)
    np.testing.assert_allclose(ours, in_process, atol=1e-4)


@pytest.mark.slow
def test_torch_reference_backend_is_sentence_transformers(reference: SentenceTransformer) -> None:
    ours = Embedder(backend="torch").encode(TEXTS)
    np.testing.assert_allclose(ours, reference.encode(TEXTS, normalize_embeddings=True), atol=1e-5)
    # torch int8, feed-forward outputs in fp32: measured mean cosine to fp32 0.9875 (min 0.9728)
    int8 = Embedder(backend="torch", int8=True).encode(TEXTS)
    assert (cosines(int8, ours) > 0.95).all()


@pytest.mark.slow
def test_cache_is_built_once_and_a_damaged_file_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: SentenceTransformer
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = embed_onnx.model_file(int8=False)  # fp32: the quickest build
    assert path.parent == tmp_path / "realitygap" and not path.exists()
    embed_onnx.load_session(int8=False, threads=1)
    built = path.stat()

    # second load reads the file: it is not written again
    embed_onnx.load_session(int8=False, threads=1)
    assert path.stat().st_mtime_ns == built.st_mtime_ns

    # half a file (as a crash mid-write would leave) is rebuilt instead of failing
    path.write_bytes(path.read_bytes()[: built.st_size // 2])
    encoder = embed_onnx.OnnxEncoder(int8=False, threads=1, batch_size=4)
    assert path.stat().st_size == built.st_size
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary files left
    # the rebuilt fp32 export computes what sentence-transformers computes, up to the tanh
    # approximation of GELU (measured: at most 2e-4 per component on these texts)
    expected = reference.encode(TEXTS, normalize_embeddings=True)
    rebuilt = encoder.encode(TEXTS)
    np.testing.assert_allclose(rebuilt, expected, atol=5e-4)
    assert cosines(rebuilt, expected).min() > 0.9999


@pytest.mark.slow
def test_accurate_zero_shot_tags_a_late_delivery() -> None:
    # hand-read: "courier", "parcel" are delivery seeds; "late" is a negative-service word
    documents, aspects = DocumentTagger(default_taxonomy(), TextPath.ACCURATE).tag(
        ["the courier lost my parcel and it came late, awful"]
    )
    assert documents.loc[0, "sentiment"] == "negative"
    delivery = aspects[(aspects["aspect_kind"] == "touchpoint") & (aspects["aspect"] == "delivery")]
    assert delivery["sentiment"].tolist() == ["negative"]
