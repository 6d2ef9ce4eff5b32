"""The frontline-skills recogniser and the skills family, timed.

    .venv/bin/python benchmarks/skills_bench.py [--customers 20000] [--seed 3]

1. ``read_skills`` over the 2,244 Skytrax airline reviews of ../shared/data (long real texts)
   and over the simulated company's documents (short comments): documents per second;
2. ``skills(ws)`` end to end on the simulated company (read the documents, recognise, the
   per-team estimates, staff attitude and churn): wall-clock seconds.

Prints wall-clock seconds and the 1-minute load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from realitygap.analysis import skills
from realitygap.analysis.text.skills import read_skills
from realitygap.simulate import simulate
from realitygap.store import Workspace

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SKYTRAX = SHARED / "skytrax-reviews" / "airline_sample.csv"


def _rate(texts: list[str], label: str) -> None:
    start = time.perf_counter()
    read_skills(texts)
    seconds = time.perf_counter() - start
    print(f"{label}: {len(texts):,} documents in {seconds:.2f} s = {len(texts) / seconds:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    if SKYTRAX.exists():
        _rate(pd.read_csv(SKYTRAX)["content"].fillna("").tolist(), "Skytrax reviews")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ws"
        simulate(path, customers=args.customers, seed=args.seed)
        with Workspace.open(path, read_only=True) as ws:
            _rate(ws.table("documents").text.execute().tolist(), "simulated documents")
            start = time.perf_counter()
            result = skills(ws)
            print(
                f"skills(ws), {result.documents:,} documents: "
                f"{time.perf_counter() - start:.2f} s end to end"
            )


if __name__ == "__main__":
    main()
