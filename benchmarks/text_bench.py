"""Throughput and memory of the text tagger.

1. Fast path in memory: 50-word comments per second through redaction and
   ``DocumentTagger.tag`` (batches of 1,024), in one process and on ``--workers`` processes
   (:class:`ParallelTagger`), against the baseline of vaderSentiment's own analyser called per
   comment.
2. Scale: ``--documents`` simulated comments (default 1,000,000) written to a workspace and
   tagged by ``realitygap text tag``'s code path (read pages, redact, tag, store), with
   throughput and peak resident memory of the process (and of its largest child).
3. Accurate path: MiniLM embeddings per second with PyTorch fp32 (the reference) and with
   the ONNX Runtime int8 export (the default) run two ways on 2 cores: one session with two
   threads, and two single-thread sessions in worker processes; the cosine of each to the
   fp32 embeddings over 512 comments.
4. Themes (``--themes-only``): ``discover_themes`` (fast path) on 50,000 simulated comments
   (few distinct clauses, each vectorised and scored once) and on 5,000 real clothing reviews
   from ../shared/data (nearly every clause distinct: the cost per distinct clause), CPU
   seconds of each; run with ``PYTHONPATH`` at two versions of ``src`` to compare them.

The machine may be shared, so every rate is given per wall second and per CPU second
(user + system time of this process, its threads and its worker processes), with the load
average at the end of each measurement.

4. ``--clothing``: 5,000 real Women's E-Commerce Clothing Reviews, per CPU second in one
   process and per wall second on ``--workers`` processes, and the cold start of
   ``realitygap text tag`` (launch to first line of output, 200 documents); with
   ``--baseline-src OTHER/src`` the same for another version of the code, alternating rounds
   in fresh interpreters, with the ratios.

Run: ``.venv/bin/python benchmarks/text_bench.py [--documents N] [--workers N]
[--skip-accurate | --accurate-only | --scale-only | --themes-only
| --clothing [--baseline-src DIR]]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from realitygap.actions.text import tag_workspace
from realitygap.analysis.text.embed import POOL_MINIMUM, Embedder
from realitygap.analysis.text.parallel import ParallelTagger, tag_batch
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


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU seconds (all threads; RUSAGE_CHILDREN: reaped child processes)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def all_cpu() -> float:
    return cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN)


def load() -> str:
    return "load average " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def batches(texts: list[str], passes: int) -> list[list[str]]:
    return [texts[i : i + 1024] for _ in range(passes) for i in range(0, len(texts), 1024)]


def fast_in_memory(texts: list[str], workers: int) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    tagger = DocumentTagger(default_taxonomy(), TextPath.FAST)
    tag_batch(tagger, texts[:1024])  # warm up
    start, cpu = time.perf_counter(), all_cpu()
    for batch in batches(texts, 1):
        tag_batch(tagger, batch)
    one_wall = len(texts) / (time.perf_counter() - start)
    one_cpu = len(texts) / (all_cpu() - cpu)
    print(f"fast path, redact + full tagging, 1 process: {one_wall:,.0f} comments/s wall, "
          f"{one_cpu:,.0f} per CPU second ({WORDS} words; {load()})")  # fmt: skip

    # the workers' CPU is counted once they are reaped; a pool that only starts and warms up
    # is measured first and subtracted, so start-up is not charged to the tagging
    passes = 5
    cpu = all_cpu()
    with ParallelTagger(tagger, workers) as parallel:
        parallel.warm_up(texts[:1024])
    startup_cpu = all_cpu() - cpu
    cpu = all_cpu()
    with ParallelTagger(tagger, workers) as parallel:
        parallel.warm_up(texts[:1024])
        start = time.perf_counter()
        n = sum(len(docs) for docs, _ in parallel.map(batches(texts, passes)))
        wall = time.perf_counter() - start
    run_cpu = all_cpu() - cpu - startup_cpu
    print(f"fast path, redact + full tagging, {workers} worker processes: {n / wall:,.0f} "
          f"comments/s wall, {n / run_cpu:,.0f} per CPU s ({n:,} texts; {load()})")  # fmt: skip
    print(f"parallel speed-up (wall): {n / wall / one_wall:.2f}x with {workers} workers")
    analyzer = SentimentIntensityAnalyzer()
    sample = texts[:2000]
    cpu = all_cpu()
    for t in sample:
        analyzer.polarity_scores(t)
    baseline = len(sample) / (all_cpu() - cpu)
    print(f"baseline vaderSentiment per comment (sentiment only): {baseline:,.0f} per CPU s")
    print(f"ratio fast path / baseline (CPU, 1 process): {one_cpu / baseline:.1f}x")


def timed_encode(make: Callable[[], Embedder], texts: list[str]) -> tuple[np.ndarray, float, float]:
    """Vectors, wall seconds and CPU seconds (workers included) of encoding ``texts``.

    Worker processes' CPU is counted once they are reaped (``close``), so the CPU of an
    embedder that only starts and encodes the warm-up texts is measured and subtracted, as in
    :func:`fast_in_memory`; a first round fills the in-process model caches beforehand.
    """
    warm = texts[:POOL_MINIMUM]  # enough to start the worker processes, if any

    def start() -> Embedder:
        embedder = make()
        embedder.encode(warm)
        return embedder

    start().close()
    cpu = all_cpu()
    start().close()
    startup_cpu = all_cpu() - cpu
    cpu = all_cpu()
    embedder = start()
    begin = time.perf_counter()
    vectors = embedder.encode(texts)
    wall = time.perf_counter() - begin
    embedder.close()
    return vectors, wall, all_cpu() - cpu - startup_cpu


def accurate(texts: list[str]) -> None:
    sample = texts[:2048]
    reference, wall, cpu = timed_encode(lambda: Embedder(backend="torch"), sample[:512])
    print(f"accurate path, MiniLM PyTorch fp32 (reference): {512 / wall:,.0f} comments/s wall, "
          f"{512 / cpu:,.0f} per CPU second (2 threads; {load()})")  # fmt: skip
    candidates = {
        "ONNX int8, one session, 2 threads": lambda: Embedder(processes=False),
        "ONNX int8, 2 single-thread worker processes (default)": Embedder,
    }
    for name, make in candidates.items():
        vectors, wall, cpu = timed_encode(make, sample)
        cosine = (vectors[:512] * reference).sum(axis=1)
        print(f"accurate path, MiniLM {name}: {len(sample) / wall:,.0f} comments/s wall, "
              f"{len(sample) / cpu:,.0f} per CPU second ({load()}); cosine to fp32 over 512 "
              f"comments: mean {cosine.mean():.4f}, min {cosine.min():.4f}")  # fmt: skip


def scale(n: int, workers: int) -> None:
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
        cpu = all_cpu()
        run = tag_workspace(ws, TextPath.FAST, workers=workers)
        cpu = all_cpu() - cpu
        print(f"tagged {run.documents:,} documents in {run.seconds:.0f} s: "
              f"{run.documents / run.seconds:,.0f} documents/s wall, "
              f"{run.documents / cpu:,.0f} per CPU second incl. worker start-up "
              f"(read + redact + tag + store, {workers} workers; {load()})")  # fmt: skip
        print(f"peak memory: main process {before:,.0f} MB before tagging, {peak_mb():,.0f} MB "
              f"after; largest child {peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB (counts the image "
              f"a spawned worker copies from this process before exec)")  # fmt: skip
        tags = ws.con.execute("SELECT count(*) FROM document_tags").fetchone()
        print(f"document_tags rows: {tags[0] if tags else 0:,}")


CLOTHING = "womens-ecommerce-clothing-reviews/womens_clothing_ecommerce_reviews.csv"
# One measurement in a fresh interpreter, so that two versions of the code (this tree's src
# and a baseline's) are timed alternately in one run. argv: data file, n, workers.
_ROUND = """
import sys, time, resource
import pandas as pd
from realitygap.analysis.text.parallel import ParallelTagger, tag_batch
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
frame = pd.read_csv(sys.argv[1])
n, workers = int(sys.argv[2]), int(sys.argv[3])
texts = frame["Review Text"].dropna().astype(str).tolist()[:n]
batches = [texts[i : i + 1024] for i in range(0, len(texts), 1024)]
tagger = DocumentTagger(default_taxonomy(), TextPath.FAST)
tagger.tag(batches[0])
c = cpu()
for b in batches:
    tagger.tag(b)
print(len(texts) / (cpu() - c))
with ParallelTagger(tagger, workers) as parallel:
    parallel.warm_up(batches[0])
    start = time.perf_counter()
    done = sum(len(d) for d, _ in parallel.map(batches * 4))
    print(done / (time.perf_counter() - start))
"""


def _round(src: Path, n: int, workers: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / CLOTHING
    out = subprocess.run(
        [sys.executable, "-c", _ROUND, str(data), str(n), str(workers)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def _cold_start(src: Path, workspace: Path) -> float:
    """Seconds from launching ``realitygap text tag`` to its first line of output."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "import sys; from realitygap.cli import main; sys.argv[0] = 'realitygap'; main()"
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-c", code, "text", "tag", str(workspace), "--retag"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()
        first = time.perf_counter() - start
        proc.wait()
    return first


def clothing_compare(baseline: Path | None, n: int, workers: int, rounds: int) -> None:
    """Real clothing reviews, this tree against ``baseline`` (a src folder), alternating."""
    here = Path(__file__).resolve().parents[1] / "src"
    versions = {"now": here} if baseline is None else {"baseline": baseline, "now": here}
    single: dict[str, list[float]] = {k: [] for k in versions}
    parallel: dict[str, list[float]] = {k: [] for k in versions}
    cold: dict[str, list[float]] = {k: [] for k in versions}
    with tempfile.TemporaryDirectory() as tmp:
        ws_path = Path(tmp) / "ws"
        with Workspace.create(ws_path) as ws:
            texts = comments(200, seed=1)
            frame = pa.table({"document_id": [f"d{i}" for i in range(200)],
                              "source": ["survey"] * 200, "text": texts})  # fmt: skip
            ws.con.register("_bench", frame)
            ws.con.execute("INSERT INTO documents (document_id, source, text) "
                           "SELECT document_id, source, text FROM _bench")  # fmt: skip
        for _ in range(rounds):
            for name, src in versions.items():
                one, two = _round(src, n, workers)
                single[name].append(one)
                parallel[name].append(two)
                cold[name].append(_cold_start(src, ws_path))
                print(f"{name}: {one:,.0f} clothing reviews per CPU s (1 process), "
                      f"{two:,.0f}/s wall with {workers} workers, cold start of `text tag` "
                      f"{cold[name][-1]:.2f} s ({load()})")  # fmt: skip
    for name in versions:
        print(f"{name}: median {np.median(single[name]):,.0f} per CPU s; "
              f"{np.median(parallel[name]):,.0f}/s wall on {workers} workers; "
              f"cold start {np.median(cold[name]):.2f} s")  # fmt: skip
    if baseline is not None:
        one = np.median(single["now"]) / np.median(single["baseline"])
        two = np.median(parallel["now"]) / np.median(parallel["baseline"])
        print(f"ratio now / baseline: {one:.2f}x per CPU s, {two:.2f}x wall on {workers} workers")


def themes(n: int, repeats: int = 3) -> None:
    """CPU seconds of ``discover_themes`` (best of ``repeats``) on simulated and real text."""
    import pandas as pd

    from realitygap.analysis.text.themes import discover_themes

    corpora = {f"{n:,} simulated comments": comments(n, seed=1)}
    clothing = (
        Path(__file__).resolve().parents[2] / "shared" / "data"
        / "womens-ecommerce-clothing-reviews" / "womens_clothing_ecommerce_reviews.csv"
    )  # fmt: skip
    if clothing.exists():
        frame = pd.read_csv(clothing).dropna(subset=["Review Text"])
        corpora["5,000 clothing reviews"] = (
            frame["Review Text"].sample(5000, random_state=0).tolist()
        )
    for name, texts in corpora.items():
        with tempfile.TemporaryDirectory() as tmp, Workspace.create(Path(tmp) / "ws") as ws:
            docs = pa.table({"document_id": [f"d{i:08d}" for i in range(len(texts))],
                             "source": ["review"] * len(texts), "text": texts})  # fmt: skip
            ws.con.register("_bench", docs)
            ws.con.execute(
                "INSERT INTO documents (document_id, source, text) "
                "SELECT document_id, source, text FROM _bench"
            )
            ws.con.unregister("_bench")
            discover_themes(ws)  # warm: models loaded, caches filled
            cpu_s, wall_s = [], []
            for _ in range(repeats):
                cpu, wall = all_cpu(), time.perf_counter()
                result = discover_themes(ws)
                cpu_s.append(all_cpu() - cpu)
                wall_s.append(time.perf_counter() - wall)
            print(f"themes, {name}: {min(cpu_s):.2f} CPU s (best of {repeats}; all "
                  f"{', '.join(f'{c:.2f}' for c in cpu_s)}), {min(wall_s):.2f} s wall, "
                  f"{len(result.themes)} themes ({load()})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-accurate", action="store_true")
    parser.add_argument("--accurate-only", action="store_true")
    parser.add_argument("--scale-only", action="store_true", help="only the `text tag` run")
    parser.add_argument("--clothing", action="store_true",
                        help="real clothing reviews: rates, cold start of `text tag`")  # fmt: skip
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="with --clothing: a src folder of another version, timed "
                        "alternately in the same run")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--themes-only", action="store_true", help="only discover_themes")
    args = parser.parse_args()
    if args.themes_only:
        themes(50_000)
        return
    if args.clothing:
        clothing_compare(args.baseline_src, 5_000, args.workers, args.rounds)
        return
    texts = comments(20_480, seed=0)
    print(f"mean words per comment: {np.mean([len(t.split()) for t in texts]):.1f}; "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    if args.scale_only:
        scale(args.documents, args.workers)
        return
    if not args.accurate_only:
        fast_in_memory(texts, args.workers)
        scale(args.documents, args.workers)
    if not args.skip_accurate:
        accurate(texts)


if __name__ == "__main__":
    main()
