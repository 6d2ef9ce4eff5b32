"""Benchmark: the Reality Check for a large simulated company (target: under 60 s on 2 cores).

Simulates the company (not timed), tags its text with the fast path (timed separately), then
times every section's analysis and the rendering of HTML, PDF and XLSX. Prints seconds per
section, the total, peak resident memory (getrusage, this process) and the ratio to the target.

    .venv/bin/python benchmarks/report_bench.py [--customers 1000000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from realitygap.analysis.text.store import tag_workspace
from realitygap.report import save
from realitygap.report.model import Omitted, Report, Section
from realitygap.report.sections import BUILDERS, Context, methods_section
from realitygap.simulate import simulate
from realitygap.store import Workspace

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="reuse (or keep) the workspace here")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="rg_reportbench_")) / "ws"
    try:
        if not (directory / "realitygap.duckdb").exists():
            started = time.perf_counter()
            simulate(directory, customers=args.customers, seed=args.seed)
            print(
                f"simulated {args.customers:,} customers in {time.perf_counter() - started:.1f} s"
            )
        with Workspace.open(directory) as ws:
            started = time.perf_counter()
            run = tag_workspace(ws)
            print(f"tagged {run.documents:,} documents in {time.perf_counter() - started:.1f} s")
            ctx = Context(ws)
            parts: list[Section | Omitted] = []
            started = time.perf_counter()
            for builder in BUILDERS:
                t0 = time.perf_counter()
                parts.append(builder(ctx))
                print(f"  {builder.__name__:<20} {time.perf_counter() - t0:7.2f} s")
            parts.append(methods_section(ctx))
            report = Report("Reality Check", "benchmark", tuple(parts))
            t0 = time.perf_counter()
            out = directory.parent / "out"
            out.mkdir(exist_ok=True)
            save(report, out / "r.html", pdf=out / "r.pdf", xlsx=out / "r.xlsx")
            print(f"  {'render html/pdf/xlsx':<20} {time.perf_counter() - t0:7.2f} s")
            total = time.perf_counter() - started
    finally:
        if args.keep is None:
            shutil.rmtree(directory.parent, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"report total {total:.1f} s (target {TARGET_SECONDS:.0f} s, ratio "
        f"{total / TARGET_SECONDS:.2f}); peak memory {peak_mb:,.0f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
