"""Benchmark: where ``wow()`` spends its time, query by query (issue 18).

Runs ``realitygap.analysis.wow.wow`` once on a workspace, timing every Ibis ``execute()`` it
makes: process CPU seconds (user + system, DuckDB's threads included) and wall seconds, the
rows returned, and the lines of ``analysis/wow.py`` that asked for it. Prints the costliest
queries and the total.

    .venv/bin/python benchmarks/wow_queries_profile.py WORKSPACE [--top 12]
"""

from __future__ import annotations

import argparse
import resource
import time
import traceback
from pathlib import Path
from typing import Any

import ibis.expr.types.core as core


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    from realitygap.analysis.wow import wow
    from realitygap.store import Workspace

    original = core.Expr.execute
    log: list[tuple[float, float, int, str]] = []

    def timed(self: core.Expr, *a: Any, **k: Any) -> Any:
        c0, t0 = cpu_s(), time.perf_counter()
        out = original(self, *a, **k)
        cpu, wall = cpu_s() - c0, time.perf_counter() - t0
        stack = traceback.extract_stack()[:-1]
        where = [f"{f.name}:{f.lineno}" for f in stack if f.filename.endswith("analysis/wow.py")]
        log.append(
            (cpu, wall, len(out) if hasattr(out, "__len__") else 1, " <- ".join(where[::-1]))
        )
        return out

    core.Expr.execute = timed  # type: ignore[method-assign]
    try:
        with Workspace.open(args.workspace, read_only=True) as ws:
            c0, t0 = cpu_s(), time.perf_counter()
            wow(ws)
            total_cpu, total_wall = cpu_s() - c0, time.perf_counter() - t0
    finally:
        core.Expr.execute = original  # type: ignore[method-assign]
    for cpu, wall, rows, where in sorted(log, reverse=True)[: args.top]:
        print(f"{cpu:8.2f} CPU s {wall:8.2f} wall s  rows {rows:>9,}  {where}")
    print(f"wow: {total_cpu:.2f} CPU s, {total_wall:.2f} wall s, {len(log)} queries")


if __name__ == "__main__":
    main()
