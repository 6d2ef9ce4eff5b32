"""Throughput and memory of the text tagger.

1. Fast path in memory: 50-word comments per second through ``DocumentTagger.tag`` (batches of
   1,024), against the baseline of vaderSentiment's own analyser called per comment.
2. Accurate path: MiniLM embeddings per second, fp32 and int8 (per-channel dynamic
   quantisation), and the mean cosine of int8 to fp32 embeddings.
3. Scale: ``--documents`` simulated comments (default 1,000,000) written to a workspace and
   tagged by ``realitygap text tag``'s code path (redaction, tagging, storing), with throughput
   and the process's peak resident memory before and after tagging.

Run: ``.venv/bin/python benchmarks/text_bench.py [--documents N] [--skip-accurate]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.store import tag_workspace
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy
from realitygap.simulate.text import THEMES
from realitygap.store import Workspace

WORDS = 50


def comments(n: int, seed: int) -> list[str]:
    """n comments of about 50 words, each a random run of the simulator's theme phrases."""
    rng = np.random.default_rng(seed)
    phrases = np.array([p for t in THEMES for p in t.phrases], dtype=object)
    out = []
    picks = rng.integers(len(phrases), size=(n, 12))
    for row in picks:
        words: list[str] = []
        for i in row:
            words.extend(str(phrases[i]).split())
            if len(words) >= WORDS:
                break
        out.append(" ".join(words[:WORDS]) + ".")
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fast_in_memory(texts: list[str]) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    tagger = DocumentTagger(default_taxonomy(), TextPath.FAST)
    tagger.tag(texts[:1024])  # warm up
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 1024):
        tagger.tag(texts[i : i + 1024])
    rate = len(texts) / (time.perf_counter() - start)
    cpu_rate = len(texts) / (time.process_time() - cpu)
    analyzer = SentimentIntensityAnalyzer()
    sample = texts[:2000]
    start = time.process_time()
    for t in sample:
        analyzer.polarity_scores(t)
    baseline = len(sample) / (time.process_time() - start)
    print(f"fast path, full tagging: {rate:,.0f} comments/s wall, {cpu_rate:,.0f} per CPU "
          f"second ({WORDS} words, 1 process)")  # fmt: skip
    print(f"baseline vaderSentiment per comment (sentiment only): {baseline:,.0f} per CPU s")
    print(f"ratio fast path / baseline (CPU): {cpu_rate / baseline:.1f}x")


def accurate(texts: list[str]) -> None:
    sample = texts[:512]
    results = {}
    for int8 in (False, True):
        embedder = Embedder(int8=int8)
        embedder.encode(sample[:32])  # load and warm up
        start, cpu = time.perf_counter(), time.process_time()
        results[int8] = embedder.encode(sample)
        rate = len(sample) / (time.perf_counter() - start)
        cpu_rate = len(sample) / (time.process_time() - cpu)
        print(f"accurate path, MiniLM {'int8 per-channel' if int8 else 'fp32'}: {rate:,.0f} "
              f"comments/s wall, {cpu_rate:,.0f} per CPU second (2 threads)")  # fmt: skip
    cosine = (results[False] * results[True]).sum(axis=1)
    print(f"int8 vs fp32 embeddings: mean cosine {cosine.mean():.4f}, min {cosine.min():.4f}")


def scale(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Workspace.create(Path(tmp) / "ws") as ws:
        start = time.perf_counter()
        for first in range(0, n, 100_000):
            count = min(100_000, n - first)
            texts = comments(count, seed=first)
            frame = pa.table(
                {
                    "document_id": [f"d{i:08d}" for i in range(first, first + count)],
                    "source": ["survey"] * count,
                    "text": texts,
                }
            )
            ws.con.register("_bench", frame)
            ws.con.execute(
                "INSERT INTO documents (document_id, source, text) "
                "SELECT document_id, source, text FROM _bench"
            )
            ws.con.unregister("_bench")
            del texts, frame
        print(f"wrote {n:,} documents in {time.perf_counter() - start:.0f} s; "
              f"peak memory so far {peak_mb():,.0f} MB")  # fmt: skip
        before = peak_mb()
        cpu = time.process_time()
        run = tag_workspace(ws, TextPath.FAST)
        cpu = time.process_time() - cpu
        print(f"tagged {run.documents:,} documents in {run.seconds:.0f} s: "
              f"{run.documents / run.seconds:,.0f} documents/s wall, "
              f"{run.documents / cpu:,.0f} per CPU second (redact + tag + store)")  # fmt: skip
        print(f"peak memory: {before:,.0f} MB before tagging, {peak_mb():,.0f} MB after")
        tags = ws.con.execute("SELECT count(*) FROM document_tags").fetchone()
        print(f"document_tags rows: {tags[0] if tags else 0:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--skip-accurate", action="store_true")
    args = parser.parse_args()
    texts = comments(20_480, seed=0)
    print(f"mean words per comment: {pd.Series(texts).str.split().str.len().mean():.1f}")
    fast_in_memory(texts)
    if not args.skip_accurate:
        accurate(texts)
    scale(args.documents)


if __name__ == "__main__":
    main()
