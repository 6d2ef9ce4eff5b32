"""Issue 16, point 8: every shell example of README.md and docs/*.md runs as written, in the
order written, in a fresh directory holding the repository's examples/ (the files examples
name, such as examples/margins.csv and examples/labels.csv, are shipped there), and exits 0.

Lines that are synopses (placeholders such as DIR or FILE, optional parts in ``[--...]``) are
not examples. ``CASE_ID`` stands for a case the commands before it opened: the test puts the
first open case's id there, as a reader would. docs/real-data.md's example needs the shared
public data sets and a loader script; tests/test_real_data.py runs that analysis."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_HERE = {
    "real-data.md": "needs ../shared/data and load.py (tests/test_real_data.py)",
    "scale.md": "names the reader's own database server (tests/test_engines.py runs PostgreSQL)",
}
PROGRAM = re.compile(r"^(?:\.venv/bin/)?realitygap(?=\s)")
SYNOPSIS = re.compile(r"\[--|\b(DIR|FILE|KIND|TOOL|Q|W|N|S|TOKEN_ID)\b")
FENCE_LANGUAGES = {"", "sh", "bash", "shell", "console"}


def shell_examples() -> list[tuple[str, int, list[str]]]:
    """(file, line, argv after the program) of every example, in reading order."""
    found = []
    for doc in DOCS:
        if doc.name in NOT_HERE:
            continue
        fence: str | None = None
        lines = doc.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if line.strip().startswith("```"):
                fence = None if fence is not None else line.strip()[3:].strip()
                continue
            if fence not in FENCE_LANGUAGES or not PROGRAM.match(line.strip()):
                continue
            command = line.strip()
            if SYNOPSIS.search(command.split("#")[0].replace("CASE_ID", "")):
                continue
            argv = shlex.split(PROGRAM.sub("", command), comments=True)
            found.append((doc.name, number, argv))
    return found


EXAMPLES = shell_examples()


def test_the_readme_examples_are_found() -> None:
    # README.md's quick start, its command tour and the surveys (counted by hand:
    # 4 + 2 + 20 + 1 + 3)
    assert sum(1 for doc, _, _ in EXAMPLES if doc == "README.md") == 30


def _run(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "realitygap", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )


def _serves(cwd: Path, argv: list[str]) -> str | None:
    """Start a `serve` example, wait until it answers HTTP on its port, stop it: None when it
    answered, else what it printed."""
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 8000
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "realitygap", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5):
                    return None
            except OSError:
                time.sleep(0.5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    return output[-500:] or "no answer within 120 s"


@pytest.mark.slow
def test_every_example_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    failed = []
    for doc, number, argv in EXAMPLES:
        if "CASE_ID" in argv:
            listed = _run(tmp_path, ["cases", "list", argv[2], "--status", "open", "--json"])
            case_id = json.loads(listed.stdout)[0]["case_id"]
            argv = [case_id if a == "CASE_ID" else a for a in argv]
        if argv[0] == "serve":  # a server runs until stopped: it must answer, then stop
            problem = _serves(tmp_path, argv)
            if problem is not None:
                failed.append(f"{doc}:{number} realitygap {shlex.join(argv)}: {problem}")
            continue
        result = _run(tmp_path, argv)
        if result.returncode != 0:
            failed.append(f"{doc}:{number} realitygap {shlex.join(argv)}: {result.stderr[-500:]}")
    assert not failed, "\n".join(failed)
