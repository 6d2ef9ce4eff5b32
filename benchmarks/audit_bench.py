"""Survey audit plus key drivers on a large survey, against a straightforward pandas version.

    .venv/bin/python benchmarks/audit_bench.py [--respondents 1000000] [--items 20]

Builds a workspace of N respondents x K items (the outcome ``nps`` and K - 1 Likert items, one
wave, 5% of answers missing at random) in a temporary directory, then times:

1. ``audit(ws, "nps")`` (item statistics, pairwise correlations, alpha per layer block,
   redundancy; the workspace has no events or invitations, so retention AUC and
   non-response are skipped);
2. ``drivers(ws, "nps")``: exact Shapley over 2^(K-1) subsets, listwise, bootstrap intervals
   (``--bootstrap`` replicates over 200 hash buckets), penalty-reward contrasts;
3. the same drivers without bootstrap (point estimates only);
4. the baseline: the answers read into pandas, pivoted to one row per respondent, item
   statistics with ``groupby``, ``DataFrame.corr()``, alpha from ``DataFrame.cov()``, and the
   Shapley decomposition by solving each subset's normal equations with ``np.linalg.solve``
   (point estimates only: a row bootstrap of N rows would take hours).

Prints, per step, wall-clock seconds, CPU seconds of the process (user + system from
``getrusage``, which counts DuckDB's threads; ``time.process_time`` would too, but not on every
platform) and the 1-minute load average (the machine may be shared); then the ratio
baseline / realitygap (point estimates against point estimates), and checks that both give
the same shares.

The answers are written straight into ``responses`` with SQL; the script then builds the answer
grid (the answers pivoted to one row per respondent, which an import builds when answers land;
timed and printed, not part of the target) and opens the workspace read-only for the analyses,
as the CLI and the report do. ``--keep DIR`` builds the workspace once and reuses it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import tempfile
import time
from collections.abc import Callable
from math import factorial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from realitygap.analysis.audit import audit
from realitygap.analysis.drivers import drivers
from realitygap.store import Workspace, answer_grid
from realitygap.store.write import insert_new


def build(ws: Workspace, respondents: int, items: int, seed: int) -> list[str]:
    """Fill ``ws`` with the survey; return the predictor ids."""
    rng = np.random.default_rng(seed)
    predictors = [f"q{j:02d}" for j in range(1, items)]
    layers = ["hospitality", "service", "experience"]
    questions = pd.DataFrame(
        {
            "question_id": ["nps", *predictors],
            "text": ["Likelihood to recommend", *[f"Item {q}" for q in predictors]],
            "scale": ["nps"] + ["likert5"] * len(predictors),
            "audience": "customer",
            "layer": [None, *[layers[j % 3] for j in range(len(predictors))]],
        }
    )
    insert_new(ws, "questions", questions)
    general = rng.standard_normal(respondents)
    latent = 0.5 * general[:, None] + rng.standard_normal((respondents, len(predictors)))
    weights = np.linspace(1.0, 0.05, len(predictors))
    loyalty = latent @ weights
    loyalty = (loyalty - loyalty.mean()) / loyalty.std()
    wide = np.empty((respondents, items), dtype=np.float32)
    wide[:, 0] = np.clip(np.round(7 + 1.8 * loyalty + rng.normal(0, 1, respondents)), 0, 10)
    wide[:, 1:] = np.clip(np.round(3.2 + latent), 1, 5)
    wide[rng.random(wide.shape) < 0.05] = np.nan
    frame = pd.DataFrame(wide, columns=["nps", *predictors])
    frame["n"] = np.arange(respondents)
    ws.con.register("bench_wide", frame)
    columns = ", ".join(f'"{c}"' for c in ["nps", *predictors])
    ws.con.execute(
        f"""INSERT INTO responses (respondent_id, question_id, wave, value)
        SELECT 'c' || lpad(CAST(n AS VARCHAR), 8, '0'), question_id, '2025-Q1', value
        FROM (UNPIVOT bench_wide ON {columns} INTO NAME question_id VALUE value)
        WHERE value IS NOT NULL"""
    )
    ws.con.unregister("bench_wide")
    return predictors


def baseline(ws: Workspace, outcome: str, predictors: list[str]) -> tuple[np.ndarray, float]:
    """The straightforward version: rows to pandas, pivot, statistics, subset-by-subset LMG."""
    long = ws.con.execute("SELECT respondent_id, question_id, value FROM responses").df()
    wide = long.pivot(index="respondent_id", columns="question_id", values="value")
    long.groupby("question_id")["value"].agg(["count", "mean", "std", "max", "min"])
    (long.assign(top=long["value"] == 5).groupby("question_id")["top"].mean())
    wide.corr()  # pairwise correlations for discrimination and redundancy
    questions = ws.table("questions").execute().set_index("question_id")
    for _, members in questions.loc[predictors].groupby("layer").groups.items():
        cov = wide[list(members)].dropna().cov().to_numpy()
        k = cov.shape[0]
        k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    complete = wide[[*predictors, outcome]].dropna()
    corr = complete.corr().to_numpy()
    p = len(predictors)
    r2: dict[tuple[int, ...], float] = {(): 0.0}
    for size in range(1, p + 1):
        for subset in itertools.combinations(range(p), size):
            idx = list(subset)
            rxy = corr[idx, p]
            r2[subset] = float(rxy @ np.linalg.solve(corr[np.ix_(idx, idx)], rxy))
    shares = np.zeros(p)
    for subset, value in r2.items():
        s = len(subset)
        for j in range(p):
            if j in subset:
                shares[j] += factorial(s - 1) * factorial(p - s) / factorial(p) * value
            else:
                shares[j] -= factorial(s) * factorial(p - s - 1) / factorial(p) * value
    return shares, float(shares.sum())


T = TypeVar("T")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(step: Callable[[], T]) -> tuple[T, float, float, float]:
    """Run ``step``; return its result, wall seconds, CPU seconds and the load average."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = step()
    return out, time.perf_counter() - wall, cpu_seconds() - cpu, os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="build the workspace here once and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp) / "ws"
        if not (directory / "realitygap.duckdb").exists():
            with Workspace.create(directory) as ws:
                start = time.perf_counter()
                build(ws, args.respondents, args.items, args.seed)
                print(
                    f"built {ws.count('responses'):,} answers ({args.respondents:,} respondents "
                    f"x {args.items} items) in {time.perf_counter() - start:.1f} s"
                )
                # what an import does once the answers have landed (not part of the target)
                _, wall, cpu, _load = timed(lambda: answer_grid.refresh(ws))
                print(f"  answer grid, built at import: {wall:.2f} s wall, {cpu:.2f} s CPU")
        predictors = [f"q{j:02d}" for j in range(1, args.items)]
        # the analyses open the workspace read-only, as the CLI and the report do
        with Workspace.open(directory, read_only=True) as ws:
            measure(ws, predictors, args.bootstrap, args.skip_baseline)


def measure(ws: Workspace, predictors: list[str], bootstrap: int, skip_baseline: bool) -> None:
    timings: dict[str, tuple[float, float, float]] = {}
    checked, *timings["audit"] = timed(lambda: audit(ws, "nps"))
    boot_name = f"drivers, {bootstrap} bootstrap replicates"
    full, *timings[boot_name] = timed(lambda: drivers(ws, "nps", predictors, bootstrap=bootstrap))
    point, *timings["drivers, point estimates"] = timed(
        lambda: drivers(ws, "nps", predictors, bootstrap=0)
    )
    ours = timings["audit"][0] + timings["drivers, point estimates"][0]
    total = timings["audit"][0] + timings[boot_name][0]
    print(f"  {'step':<40} {'wall s':>8} {'CPU s':>8} {'load':>6}")
    for name, (wall, cpu, load) in timings.items():
        print(f"  {name:<40} {wall:8.2f} {cpu:8.2f} {load:6.1f}")
    print(f"  {'audit + drivers with bootstrap':<40} {total:8.2f}")
    print(f"  verdicts: {checked.verdict_counts()}; drivers n={full.n}, R^2 {full.r2.format(3)}")
    if skip_baseline:
        return
    (shares, r2), base, base_cpu, load = timed(lambda: baseline(ws, "nps", predictors))
    got = np.array([d.share.value or 0.0 for d in point.drivers])
    print(
        f"  {'baseline pandas/NumPy (point estimates)':<40} {base:8.2f} {base_cpu:8.2f} {load:6.1f}"
    )
    print(f"  ratio baseline / realitygap (audit + point drivers): {base / ours:.1f} x")
    print(f"  max |share difference| against the baseline: {np.abs(got - shares).max():.2e}")
    print(f"  R^2 realitygap {point.r2.value:.10f}, baseline {r2:.10f}")


if __name__ == "__main__":
    main()
