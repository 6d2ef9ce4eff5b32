"""Benchmark: each analysis step at several company sizes, with its growth exponent.

For every size the script simulates a company (seed 1; not timed here, see
``simulate_bench.py``), then runs each step in a fresh child process that opens the workspace
read-only, as the CLI and the report do. Per step it prints wall seconds, CPU seconds (user +
system of the process, DuckDB's threads included), peak memory above the RSS before the step
(``VmHWM`` minus the current RSS) and the rows pulled into Python: the rows of every frame
or column that an Ibis expression's ``execute()`` returned (a scalar counts 1; queries run on
the raw connection, like the answer-grid fingerprint, are not counted). Across sizes it prints
the growth exponent of each figure (log ratio over log ratio of the sizes: 1 is linear, 0 flat).

Steps: ``metrics`` (NPS by segment x wave), ``gap`` (role, department, touchpoint, layer),
``audit`` (the survey audit, with the retention AUC and the non-response check), ``behaviour``
(stated vs revealed), ``audit+behaviour`` (both on one workspace: the customer activity they
share is computed once), ``drivers`` (100 bootstrap replicates).

    .venv/bin/python benchmarks/steps_bench.py [--customers 100000 1000000] [--keep DIR]

With ``--keep DIR`` the simulated workspaces are kept in DIR (``DIR/<customers>``) and reused
by the next run, so two versions of the code can be compared on the same data by running the
script with each on ``PYTHONPATH``.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEPS = ("metrics", "gap", "audit", "behaviour", "audit+behaviour", "drivers")


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: after fork and exec that keeps the
    parent's RSS at the fork, which here holds a just simulated company."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise OSError("no VmHWM in /proc/self/status")


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:  # Linux: pages
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _count_rows() -> list[int]:
    """Patch Ibis' execute() to count the rows it returns to Python; return the counter."""
    import ibis.expr.types as ir

    pulled = [0]
    for cls in (ir.Table, ir.Column, ir.Scalar):
        original = cls.execute

        def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            out = _original(self, *args, **kwargs)
            pulled[0] += len(out) if hasattr(out, "__len__") and not isinstance(out, str) else 1
            return out

        cls.execute = counted  # type: ignore[method-assign]
    return pulled


def child(step: str, directory: Path) -> dict[str, Any]:
    from realitygap.analysis.audit import audit
    from realitygap.analysis.behaviour import behaviour
    from realitygap.analysis.drivers import drivers
    from realitygap.analysis.gap import gap
    from realitygap.analysis.metrics import metrics
    from realitygap.store import Workspace

    pulled = _count_rows()
    runs: dict[str, Callable[[Workspace], object]] = {
        "metrics": lambda ws: metrics(ws, by=["segment", "wave"], questions=["nps"]),
        "gap": lambda ws: gap(ws, by=["role", "department", "touchpoint", "layer"]),
        "audit": lambda ws: audit(ws, "nps"),
        "behaviour": lambda ws: behaviour(ws),
        "audit+behaviour": lambda ws: (audit(ws, "nps"), behaviour(ws)),
        "drivers": lambda ws: drivers(ws, "nps", bootstrap=100),
    }
    base = _current_rss_mb()
    with Workspace.open(directory, read_only=True) as ws:
        cpu0, t0 = _cpu_s(), time.perf_counter()
        runs[step](ws)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_mb": _peak_rss_mb() - base,
        "rows": pulled[0],
        "load": os.getloadavg()[0],
    }


def _exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    if a <= 0 or b <= 0:
        return float("nan")
    return math.log(b / a) / math.log(n_b / n_a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.dir)))
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="rg_steps_"))
    sizes = sorted(args.customers)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    try:
        for n in sizes:
            directory = root / str(n)
            if not (directory / "realitygap.duckdb").exists():
                from realitygap.simulate import simulate

                t0 = time.perf_counter()
                simulate(directory, customers=n, seed=1)
                print(f"simulated {n:,} customers in {time.perf_counter() - t0:.1f} s")
            for step in args.steps:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", step, "--dir", str(directory)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                res = json.loads(out.strip().splitlines()[-1])
                results[(step, n)] = res
                print(
                    f"{step:<16} {n:>11,}  wall {res['wall']:7.2f} s  CPU {res['cpu']:7.2f} s  "
                    f"peak +{res['peak_mb']:6.0f} MB  rows to Python {res['rows']:>9,}  "
                    f"(load {res['load']:.1f})",
                    flush=True,
                )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    for a, b in itertools.pairwise(sizes):
        print(f"\ngrowth exponent {a:,} -> {b:,} (1 = linear, 0 = flat)")
        for step in args.steps:
            ra, rb = results[(step, a)], results[(step, b)]
            figures = ", ".join(
                f"{k} {_exponent(ra[k], rb[k], a, b):.2f}"
                for k in ("wall", "cpu", "peak_mb", "rows")
            )
            print(f"  {step:<16} {figures}")


if __name__ == "__main__":
    main()
