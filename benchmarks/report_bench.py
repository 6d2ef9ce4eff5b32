"""Benchmark: the Reality Check for a large simulated company (target: under 60 s on 2 cores).

Simulates the company (not timed; it builds the answer grid as an import does), tags its text
with the fast path (timed separately), then opens the workspace read-only as `realitygap
report` does and times every section's analysis and the rendering of HTML, PDF and XLSX.
Prints wall and CPU seconds per section with the load average (the machine may be shared), the
total, peak resident memory (getrusage, this process) and the ratio to the target.

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

from realitygap.actions.text import tag_workspace
from realitygap.report import save
from realitygap.report.model import Omitted, Report, Section
from realitygap.report.sections import BUILDERS, Context, methods_section
from realitygap.simulate import simulate
from realitygap.store import Workspace, answer_grid

TARGET_SECONDS = 60.0


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, its threads included (DuckDB's, BLAS')."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
            if answer_grid.current(ws) is None:  # a workspace kept from an older realitygap
                answer_grid.refresh(ws)
        # the report opens the workspace read-only, as `realitygap report` does
        with Workspace.open(directory, read_only=True) as ws:
            total, cpu = time_report(ws, directory.parent / "out")
    finally:
        if args.keep is None:
            shutil.rmtree(directory.parent, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"report total {total:.1f} s wall, {cpu:.1f} s CPU (target {TARGET_SECONDS:.0f} s, "
        f"ratio {total / TARGET_SECONDS:.2f}); peak memory {peak_mb:,.0f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def time_report(ws: Workspace, out: Path) -> tuple[float, float]:
    """Build every section and write the three files, printing each step; (wall, CPU) s."""
    ctx = Context(ws)
    parts: list[Section | Omitted] = []
    started, cpu_started = time.perf_counter(), cpu_seconds()
    for builder in [*BUILDERS, methods_section]:
        t0, c0 = time.perf_counter(), cpu_seconds()
        parts.append(builder(ctx))
        print(
            f"  {builder.__name__:<20} {time.perf_counter() - t0:7.2f} s wall "
            f"{cpu_seconds() - c0:7.2f} s CPU  load {os.getloadavg()[0]:.1f}"
        )
    report = Report("Reality Check", "benchmark", tuple(parts))
    t0, c0 = time.perf_counter(), cpu_seconds()
    out.mkdir(exist_ok=True)
    save(report, out / "r.html", pdf=out / "r.pdf", xlsx=out / "r.xlsx")
    print(
        f"  {'render html/pdf/xlsx':<20} {time.perf_counter() - t0:7.2f} s wall "
        f"{cpu_seconds() - c0:7.2f} s CPU  load {os.getloadavg()[0]:.1f}"
    )
    return time.perf_counter() - started, cpu_seconds() - cpu_started


if __name__ == "__main__":
    main()
