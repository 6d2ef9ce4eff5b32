"""How long a CLI call takes before it does any work (issue: `realitygap --help` took 5 s).

Runs each command 7 times in a fresh interpreter and prints the median wall and CPU seconds,
beside two baselines measured in the same run: an empty Python start and `import typer` (the
least any Typer CLI pays). Target: `--help` and `info` under 0.5 s on an idle machine.

    .venv/bin/python benchmarks/cli_startup_bench.py [WORKSPACE]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7


def timed(argv: list[str]) -> tuple[float, float]:
    """Median wall and child CPU seconds of ``argv`` over RUNS runs."""
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    py = sys.executable
    if len(sys.argv) > 1:
        workspace = Path(sys.argv[1])
    else:
        workspace = Path(tempfile.mkdtemp()) / "ws"
        subprocess.run([py, "-m", "realitygap", "init", str(workspace)], check=True)
    cases = {
        "python -c pass (baseline)": [py, "-c", "pass"],
        "import typer (baseline)": [py, "-c", "import typer"],
        "realitygap --help": [py, "-m", "realitygap", "--help"],
        "realitygap info": [py, "-m", "realitygap", "info", str(workspace)],
    }
    print(f"load average {os.getloadavg()[0]:.2f}; median of {RUNS} runs")
    base = None
    for name, argv in cases.items():
        wall, cpu = timed(argv)
        base = base or wall
        print(f"{name:<28} wall {wall:6.3f} s  cpu {cpu:6.3f} s  ({wall / base:4.1f}x python)")


if __name__ == "__main__":
    main()
