"""Benchmark: where the simulator's memory peaks, step by step (issue 18).

Runs ``simulate`` once in this process and samples, every ``--every`` seconds from a thread:
the process's resident memory (VmRSS from /proc/self/status) and DuckDB's own accounting of
its buffers (``duckdb_memory()``, read through a cursor of the simulator's database), so that
Python-side arrays and DuckDB's buffer pool can be told apart. At every new high (``--step-mb``
above the last) it keeps the main thread's innermost frames: where in the simulator the peak
was reached. Prints, as the run goes, one line per simulator step (RSS at its start, the peak
so far); at the end, per step the highest RSS and DuckDB's memory at that moment, the last
highs with their frames, and wall, CPU (user + system, DuckDB's threads included) and peak
RSS (``ru_maxrss``, the same figure ``wait4`` gives ``steps_bench.py``). ``--tracemalloc``
adds, at each step, the lines holding the most live Python-side memory (slower).

    .venv/bin/python benchmarks/simulate_memory_profile.py --customers 1000000 \\
        --directory /tmp/ws [--json out.json] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import threading
import time
import traceback
import tracemalloc
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sampler:
    """RSS and DuckDB memory every ``every`` seconds; frames of the main thread at each high."""

    def __init__(self, every: float, step_mb: float) -> None:
        self.every, self.step_mb = every, step_mb
        self.step = "start"
        self.cursor: Any = None  # a cursor of the simulator's database, once it is open
        self.per_step: dict[str, tuple[float, float | None]] = {}
        self.highs: list[dict[str, Any]] = []
        self._high = 0.0
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def duckdb_mb(self) -> float | None:
        if self.cursor is None:
            return None
        try:
            row = self.cursor.execute(
                "SELECT sum(memory_usage_bytes) / 2 ^ 20 FROM duckdb_memory()"
            ).fetchone()
        except Exception:  # the database may be closing
            return None
        return float(row[0]) if row and row[0] is not None else None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            rss, duck = rss_mb(), self.duckdb_mb()
            if rss > self.per_step.get(self.step, (0.0, None))[0]:
                self.per_step[self.step] = (rss, duck)
            if rss > self._high + self.step_mb:
                self._high = rss
                frames = sys._current_frames().get(self._main)
                stack = traceback.format_stack(frames)[-6:] if frames else []
                self.highs.append(
                    {
                        "rss_mb": round(rss),
                        "duckdb_mb": None if duck is None else round(duck),
                        "step": self.step,
                        "frames": [" ".join(s.split()) for s in stack],
                    }
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--directory", type=Path, required=True, help="a new workspace")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--step-mb", type=float, default=50.0, help="MB between kept highs")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()

    from realitygap import simulate as simulate_module
    from realitygap.store import engine

    sampler = Sampler(args.every, args.step_mb)
    set_limit = engine.set_memory_limit

    def set_limit_and_watch(ws: Any, limit: str) -> None:
        set_limit(ws, limit)
        sampler.cursor = ws.con.cursor()  # another connection to the same database

    simulate_module.engine.set_memory_limit = set_limit_and_watch  # type: ignore[assignment]
    if args.tracemalloc:
        tracemalloc.start(1)
    started, cpu0 = time.perf_counter(), cpu_s()

    def progress(name: str) -> None:
        sampler.step = name
        high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{time.strftime('%H:%M:%S')} {name}: rss {rss_mb():.0f} MB, peak so far "
            f"{high:.0f} MB, DuckDB {sampler.duckdb_mb() or 0:.0f} MB, "
            f"{time.perf_counter() - started:.0f} s wall, {cpu_s() - cpu0:.0f} CPU s, "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if args.tracemalloc:
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:10]:
                frame = stat.traceback[0]
                print(f"    {stat.size / 2**20:8.1f} MB {frame.filename}:{frame.lineno}")

    sampler.start()
    simulate_module.simulate(
        args.directory, customers=args.customers, seed=args.seed, progress=progress
    )
    wall, cpu = time.perf_counter() - started, cpu_s() - cpu0
    progress("done")
    sampler.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "customers": args.customers,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_mb": round(peak),
        "load_end": round(os.getloadavg()[0], 1),
        "per_step": {
            step: {"rss_mb": round(rss), "duckdb_mb": None if duck is None else round(duck)}
            for step, (rss, duck) in sampler.per_step.items()
        },
        "highs": sampler.highs[-8:],
    }
    for step, values in figures["per_step"].items():
        print(f"  {step:22s} highest RSS {values['rss_mb']:>7} MB, DuckDB {values['duckdb_mb']}")
    for high in figures["highs"]:
        print(f"  high {high['rss_mb']} MB in {high['step']} (DuckDB {high['duckdb_mb']} MB)")
        print("      " + "\n      ".join(high["frames"][-3:]))
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if os.environ.get("SIMULATE_PROFILE_DELETE"):
        shutil.rmtree(args.directory, ignore_errors=True)


if __name__ == "__main__":
    main()
