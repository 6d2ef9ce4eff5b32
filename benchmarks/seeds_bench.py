"""The journey map, wow moments and people on a simulated company, against analyses of the same
workspace measured in the same run.

    .venv/bin/python benchmarks/seeds_bench.py [--customers 100000] [--keep DIR]

Simulates the example company (``--keep DIR`` reuses one), opens it read-only and times:

1. ``journey(ws)``, against ``gap(ws, by=["touchpoint", "department"])`` it calls (the map's
   own cost is the difference: customer scores and comments per touchpoint);
2. ``wow(ws)``: three moments, twelve monthly comparisons each, against ``behaviour(ws)``
   (the other analysis joining customers with their events);
3. ``people(ws)``, against ``listening(ws)`` (the other staff-side analysis).

Prints wall-clock and CPU seconds per step, the 1-minute load average (the machine may be
shared) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from realitygap.analysis import behaviour, gap, journey, listening, people, wow
from realitygap.simulate import simulate
from realitygap.store import Workspace


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(label: str, run: Callable[[], Any]) -> float:
    wall, cpu = time.perf_counter(), _cpu()
    run()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"{label:<40} {wall:8.2f} s wall {cpu:8.2f} s CPU  load {os.getloadavg()[0]:.1f}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "ws"
        if not (path / "truth.json").exists():
            timed(
                f"simulate {args.customers:,} customers",
                lambda: simulate(path, customers=args.customers, seed=1),
            )
        with Workspace.open(path, read_only=True) as ws:
            g = timed(
                "baseline gap(by touchpoint, department)",
                lambda: gap(ws, by=["touchpoint", "department"]),
            )
            j = timed("journey", lambda: journey(ws))
            b = timed("baseline behaviour", lambda: behaviour(ws))
            w = timed("wow (3 moments x 12 months)", lambda: wow(ws))
            li = timed("baseline listening", lambda: listening(ws))
            p = timed("people (24 teams)", lambda: people(ws))
        print(f"journey / gap       {j / g:6.2f}")
        print(f"wow / behaviour     {w / b:6.2f}")
        print(f"people / listening  {p / li:6.2f}")


if __name__ == "__main__":
    main()
