"""Benchmark: the Reality Check for a large simulated company (target: under 60 s on 2 cores).

Simulates the company (not timed; it builds the answer grid as an import does), tags its text
with the fast path (timed separately), then opens the workspace read-only as `realitygap
report` does and times the Reality Check (each analysis family it runs, timed by wrapping
it), the building of the sections and the rendering of HTML, PDF and XLSX.
Prints wall and CPU seconds per section with the load average (the machine may be shared), the
total, peak resident memory (getrusage, this process) and the ratio to the target.

    .venv/bin/python benchmarks/report_bench.py [--customers 1000000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from realitygap.actions.text import tag_workspace
from realitygap.analysis import reality_check
from realitygap.report import build, save
from realitygap.simulate import simulate
from realitygap.store import Workspace, answer_grid

TARGET_SECONDS = 60.0
# the module, not the function realitygap.analysis re-exports under the same name
rc_module = importlib.import_module("realitygap.analysis.reality_check")


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


# The analysis families reality_check() runs, by their names in its module.
FAMILIES = (
    "gap", "metrics", "audit", "drivers", "behaviour", "discover_themes", "touchpoint_senses",
    "kano", "recovery", "listening", "journey", "wow", "people", "skills", "response_rates",
)  # fmt: skip


def _timed_families() -> dict[str, list[float]]:
    """Wrap each family in reality_check's module to add its wall and CPU seconds to a tally."""
    tally: dict[str, list[float]] = {}
    for name in FAMILIES:
        original = getattr(rc_module, name)

        def timed(
            *args: Any, _name: str = name, _fn: Callable[..., Any] = original, **kwargs: Any
        ) -> Any:
            t0, c0 = time.perf_counter(), cpu_seconds()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent = tally.setdefault(_name, [0.0, 0.0])
                spent[0] += time.perf_counter() - t0
                spent[1] += cpu_seconds() - c0

        setattr(rc_module, name, timed)
    return tally


def time_report(ws: Workspace, out: Path) -> tuple[float, float]:
    """Run the Reality Check, build its sections and write the three files, printing each
    step; (wall, CPU) s."""
    tally = _timed_families()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    check = reality_check(ws)
    for name, (wall, cpu) in tally.items():
        print(f"  {name:<20} {wall:7.2f} s wall {cpu:7.2f} s CPU")
    print(
        f"  {'reality_check total':<20} {time.perf_counter() - started:7.2f} s wall "
        f"{cpu_seconds() - cpu_started:7.2f} s CPU  load {os.getloadavg()[0]:.1f}"
    )
    t0, c0 = time.perf_counter(), cpu_seconds()
    report = build(check)
    print(
        f"  {'build sections':<20} {time.perf_counter() - t0:7.2f} s wall "
        f"{cpu_seconds() - c0:7.2f} s CPU"
    )
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
