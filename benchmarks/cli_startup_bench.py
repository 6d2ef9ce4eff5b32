"""How long a CLI call takes before it does any work (issue: `realitygap --help` took 5 s).

Runs each command 7 times in a fresh interpreter and prints the median wall and CPU seconds,
beside two baselines measured in the same run: an empty Python start and `import typer` (the
least any Typer CLI pays). Target: `--help` and `info` under 0.5 s on an idle machine. On a
shared machine the wall time mostly measures waiting for a core: compare CPU seconds. For
each command it also prints which heavy libraries the command loaded (a fresh interpreter
running the command in-process), and what its imports cost by top-level package
(``python -X importtime`` self times).

    .venv/bin/python benchmarks/cli_startup_bench.py [WORKSPACE]
"""

from __future__ import annotations

import os
import re
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


WATCHED = ("duckdb", "ibis", "pandas", "numpy", "pyarrow", "scipy", "pydantic", "rich", "typer")


def loaded(py: str, args: list[str]) -> list[str]:
    """The WATCHED libraries loaded after running ``realitygap args`` in a fresh interpreter."""
    code = (
        "import sys\nfrom realitygap.cli import main\n"
        f"sys.argv = ['realitygap', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED:' + ','.join(m for m in {WATCHED!r} if m in sys.modules))\n"
    )
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1].removeprefix("LOADED:").split(",")


def import_costs(py: str, args: list[str], top: int = 6) -> str:
    """Import self time by top-level package (``-X importtime``), the ``top`` largest."""
    err = subprocess.run(
        [py, "-X", "importtime", "-m", "realitygap", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ).stderr
    per: dict[str, int] = {}
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            package = m.group(2).split(".")[0]
            per[package] = per.get(package, 0) + int(m.group(1))
    total = sum(per.values()) or 1
    biggest = sorted(per.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{k} {v / total:.0%}" for k, v in biggest)


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
    for name, args in (("--help", ["--help"]), ("info", ["info", str(workspace)])):
        print(f"realitygap {name}: loads {', '.join(loaded(py, args)) or 'none of them'}")
        print(f"  import time by package: {import_costs(py, args)}")


if __name__ == "__main__":
    main()
