"""Benchmark: simulate a company of 1M customers (target: under 120 s on 2 cores).

Prints seconds per simulator step, total seconds, peak resident memory (getrusage) and rows
per table, and the ratio of the measured time to the 120-second target.

    .venv/bin/python benchmarks/simulate_bench.py [--customers 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from realitygap.simulate import simulate

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="rg_simbench_")) / "ws"
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()

    def step(name: str) -> None:
        steps.append((name, time.perf_counter()))

    try:
        truth = simulate(directory, customers=args.customers, seed=args.seed, progress=step)
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(directory.parent, ignore_errors=True)
    ends = [t for _, t in steps[1:]] + [started + total]
    print(f"simulate: {args.customers:,} customers, seed {args.seed}")
    for (name, begin), end in zip(steps, ends, strict=True):
        print(f"  {name:<22} {end - begin:8.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"total                    {total:8.2f} s   (target {TARGET_SECONDS:.0f} s)")
    print(f"ratio to target          {total / TARGET_SECONDS:8.2f}   (< 1 meets the target)")
    print(f"peak resident memory     {peak_mb:8.0f} MB")
    for table, rows in truth["rows"].items():
        print(f"  {table:<12} {rows:>12,} rows")


if __name__ == "__main__":
    main()
