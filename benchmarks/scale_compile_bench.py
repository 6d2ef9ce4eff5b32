"""Benchmark: the share of Ibis compilation in the fixed heavy queries (issue 18 point 3).

Opens a kept workspace read-only (e.g. one ``steps_bench.py --keep DIR`` simulated) and runs
metrics (NPS by segment x wave), gap (role, department, touchpoint, layer) and audit +
drivers (100 bootstrap replicates). Compilation (Ibis expression -> sqlglot -> SQL text) is
timed by wrapping the compiler's ``to_sqlglot`` and sqlglot's ``Expression.sql`` with a
thread-CPU timer: it runs in the main thread, DuckDB's worker threads never compile. Prints
per step the process CPU seconds, the compile CPU seconds and calls, their share, and the
main thread's CPU (Python and DuckDB's work on that thread): the most that reusing compiled
SQL could save is the compile share.

    .venv/bin/python benchmarks/scale_compile_bench.py DIR/1000000
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import sqlglot.expressions as sge
from ibis.backends.sql.compilers.base import SQLGlotCompiler

from realitygap.analysis.audit import audit
from realitygap.analysis.drivers import drivers
from realitygap.analysis.gap import gap
from realitygap.analysis.metrics import metrics
from realitygap.store import Workspace

SPENT = [0.0, 0.0]  # compile CPU seconds, calls
_DEPTH = [0]


def _timed(cls: type, name: str) -> None:
    original = getattr(cls, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        if _DEPTH[0]:  # nested (sql() inside to_sqlglot): counted once, by the outer call
            return original(*args, **kwargs)
        _DEPTH[0] += 1
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[0] += time.thread_time() - started
            SPENT[1] += 1
            _DEPTH[0] -= 1

    setattr(cls, name, timed)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    _timed(SQLGlotCompiler, "to_sqlglot")
    _timed(sge.Expression, "sql")
    with Workspace.open(sys.argv[1], read_only=True) as ws:
        ws.backend  # noqa: B018  (made outside the measurement)
        steps: dict[str, Callable[[], object]] = {
            "metrics": lambda: metrics(ws, by=["segment", "wave"], questions=["nps"]),
            "gap": lambda: gap(ws, by=["role", "department", "touchpoint", "layer"]),
            "audit+drivers": lambda: (audit(ws, "nps"), drivers(ws, "nps", bootstrap=100)),
        }
        for name, run in steps.items():
            SPENT[:] = [0.0, 0.0]
            cpu0, wall0, main0 = _cpu_s(), time.perf_counter(), time.thread_time()
            run()
            cpu, wall = _cpu_s() - cpu0, time.perf_counter() - wall0
            main_thread = time.thread_time() - main0
            print(
                f"{name:<14} wall {wall:6.2f} s  CPU {cpu:6.2f} s  compile {SPENT[0]:5.2f} CPU s "
                f"in {int(SPENT[1])} calls = {SPENT[0] / cpu:5.1%} of CPU  main thread "
                f"{main_thread:5.2f} s  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
