"""Benchmark: simulate a company at several sizes; memory must stay bounded, time linear.

Each size runs in a fresh child process, so its peak memory is its own. Per size the script
prints seconds per simulator step, wall and CPU seconds (user + system of the process, DuckDB's
threads included), peak resident memory (``ru_maxrss``, native DuckDB memory included), and
rows written per table. Across sizes it prints the growth exponent of wall time, CPU time and
peak memory between consecutive sizes (log ratio of the figures over log ratio of the sizes:
1 is linear, 0 is flat). Targets (issue 18): 10M customers with peak memory under 4 GB, time
growing linearly; 1M customers under 120 s on 2 cores.

    .venv/bin/python benchmarks/simulate_bench.py [--customers 100000 1000000 10000000]
        [--keep DIR]

With ``--keep DIR`` each workspace is written to ``DIR/<customers>`` and kept (the layout
``steps_bench.py --keep DIR`` reuses, so the report can be measured on it); without it, to a
temporary directory removed afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS_1M = 120.0
TARGET_PEAK_MB = 4096.0


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(customers: int, seed: int, keep: Path | None) -> dict[str, Any]:
    """Simulate once in this process; return the figures (run in a fresh child process).
    The workspace goes to ``keep / str(customers)`` and stays there when ``keep`` is given."""
    from realitygap.simulate import simulate

    if keep is None:
        directory = Path(tempfile.mkdtemp(prefix="rg_simbench_")) / "ws"
    else:
        directory = keep / str(customers)
        if directory.exists():
            raise SystemExit(f"{directory}: already exists; --keep needs a new directory")
    steps: list[tuple[str, float]] = []
    cpu0, started = _cpu_s(), time.perf_counter()

    def step(name: str) -> None:
        steps.append((name, time.perf_counter()))

    try:
        truth = simulate(directory, customers=customers, seed=seed, progress=step)
        wall = time.perf_counter() - started
        cpu = _cpu_s() - cpu0
        db_mb = (directory / "realitygap.duckdb").stat().st_size / 2**20
    finally:
        if keep is None:
            shutil.rmtree(directory.parent, ignore_errors=True)
    ends = [t for _, t in steps[1:]] + [started + wall]
    return {
        "customers": customers,
        "steps": {name: end - begin for (name, begin), end in zip(steps, ends, strict=True)},
        "wall": wall,
        "cpu": cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "db_mb": db_mb,
        "rows": truth["rows"],
        "load": os.getloadavg()[0],
    }


def _exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    return math.log(b / a) / math.log(n_b / n_a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="keep DIR/<customers>")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seed, args.keep)))
        return
    results = []
    for n in sorted(args.customers):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)]
            + ([] if args.keep is None else ["--keep", str(args.keep)]),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        res = json.loads(out.strip().splitlines()[-1])
        results.append(res)
        print(f"simulate: {n:,} customers, seed {args.seed} (load average {res['load']:.1f})")
        for name, seconds in res["steps"].items():
            print(f"  {name:<22} {seconds:8.2f} s")
        print(
            f"  wall {res['wall']:.2f} s, CPU {res['cpu']:.2f} s, peak RSS {res['peak_mb']:.0f} MB"
        )
        rows = res["rows"]
        print(
            f"  rows written {sum(rows.values()):,}: "
            + ", ".join(f"{k} {v:,}" for k, v in rows.items())
        )
        print(f"  database file {res['db_mb']:.0f} MB", flush=True)
    print("\ncustomers      wall s     CPU s   peak MB   rows written")
    for r in results:
        print(
            f"{r['customers']:>10,} {r['wall']:9.1f} {r['cpu']:9.1f} {r['peak_mb']:9.0f} "
            f"{sum(r['rows'].values()):>14,}"
        )
    for a, b in itertools.pairwise(results):
        n_a, n_b = a["customers"], b["customers"]
        print(
            f"growth exponent {n_a:,} -> {n_b:,}: wall "
            f"{_exponent(a['wall'], b['wall'], n_a, n_b):.2f}, CPU "
            f"{_exponent(a['cpu'], b['cpu'], n_a, n_b):.2f}, peak memory "
            f"{_exponent(a['peak_mb'], b['peak_mb'], n_a, n_b):.2f} (1 = linear)"
        )
    for r in results:
        if r["customers"] == 1_000_000:
            print(
                f"1M: wall / {TARGET_SECONDS_1M:.0f} s target = {r['wall'] / TARGET_SECONDS_1M:.2f}"
            )
        if r["customers"] >= 10_000_000:
            print(f"{r['customers']:,}: peak / 4 GB target = {r['peak_mb'] / TARGET_PEAK_MB:.2f}")


if __name__ == "__main__":
    main()
