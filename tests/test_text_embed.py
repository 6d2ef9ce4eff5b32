"""The accurate path's MiniLM embeddings load offline from the installed package."""

from __future__ import annotations

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from realitygap.analysis.text.embed import Embedder, model_dir
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy

TEXTS = ["my parcel arrived a week late", "the delivery came very late", "the app keeps crashing"]


@pytest.mark.slow
def test_embeddings_match_sentence_transformers_and_int8_stays_close() -> None:
    # reference: sentence-transformers itself on the bundled model folder (normalised output)
    reference = SentenceTransformer(str(model_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True
    )
    ours = Embedder().encode(TEXTS)
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    # paraphrases are closer than unrelated texts (cosine of unit vectors)
    assert ours[0] @ ours[1] > ours[0] @ ours[2] + 0.2
    # int8 per-channel weights, feed-forward outputs kept in fp32: measured mean cosine to fp32
    # 0.9875 (min 0.9728) on 512 simulated 50-word comments (benchmarks/text_bench.py)
    int8 = Embedder(int8=True).encode(TEXTS)
    assert ((int8 * ours).sum(axis=1) > 0.95).all()


@pytest.mark.slow
def test_accurate_zero_shot_tags_a_late_delivery() -> None:
    # hand-read: "courier", "parcel" are delivery seeds; "late" is a negative-service word
    documents, aspects = DocumentTagger(default_taxonomy(), TextPath.ACCURATE).tag(
        ["the courier lost my parcel and it came late, awful"]
    )
    assert documents.loc[0, "sentiment"] == "negative"
    delivery = aspects[(aspects["aspect_kind"] == "touchpoint") & (aspects["aspect"] == "delivery")]
    assert delivery["sentiment"].tolist() == ["negative"]
