"""Parallel tagging gives exactly what one process gives, in the order of the batches."""

from __future__ import annotations

import pandas as pd

from realitygap.analysis.text.parallel import ParallelTagger, default_workers
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy

TEXTS = [
    "The delivery was late and the courier was rude. Call 020 7946 0958",
    "Lovely shop, the music and the smell of fresh coffee were amazing",
    "Refund still not here, write to ann@example.com",
    "Great value, the prices are fair",
    "ok",
    "The checkout kept failing but the staff on the phone sorted it quickly",
    "Parcel arrived damaged, packaging was torn",
]


def test_two_workers_match_the_tagger_run_in_this_process() -> None:
    # reference: DocumentTagger.tag on each batch in this process
    tagger = DocumentTagger(default_taxonomy(), TextPath.FAST)
    batches = [TEXTS[:3], TEXTS[3:5], TEXTS[5:]]
    with ParallelTagger(tagger, workers=2) as parallel:
        results = list(parallel.map(iter(batches)))
    assert len(results) == len(batches)
    for batch, (documents, aspects) in zip(batches, results, strict=True):
        expected_docs, expected_aspects = tagger.tag(batch)
        pd.testing.assert_frame_equal(documents, expected_docs)
        pd.testing.assert_frame_equal(aspects, expected_aspects)


def test_default_workers_follow_the_path() -> None:
    # by design: the fast path is single-threaded (one process per core); MiniLM has threads
    import os

    assert default_workers(TextPath.FAST) == (os.cpu_count() or 1)
    assert default_workers(TextPath.ACCURATE) == 1
