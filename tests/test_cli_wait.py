"""Issue 16, point 6, with two real CLI processes: every command that opens a workspace has
``--wait SECONDS``; a second command waits for the first and then succeeds, and one that does
not wait long enough gets one plain line naming the command that holds the workspace (never
DuckDB's "Conflicting lock" text)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.store import Workspace

SRC = Path(__file__).resolve().parents[1] / "src"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()

# A stand-in for the console script, so that the holder's command line reads
# ``realitygap import WS FILE --kind respondents`` as a user's would: the real CLI, whose
# importer sleeps (holding the workspace) before it imports.
_SLOW_REALITYGAP = """
import os, sys, time
import realitygap.ingest as ingest
real = ingest.import_file
def slow(*args, **kwargs):
    print("holding", flush=True)
    time.sleep(float(os.environ["HOLD_SECONDS"]))
    return real(*args, **kwargs)
ingest.import_file = slow
from realitygap.cli import main
sys.exit(main())
"""

# Commands that open a workspace, with the arguments they need (issue 16: every one has --wait).
OPENING = [
    ["info"],
    ["import", "x.csv", "--kind", "respondents"],
    ["metrics"],
    ["gap"],
    ["audit"],
    ["drivers"],
    ["behaviour"],
    ["journey"],
    ["wow"],
    ["people"],
    ["kano"],
    ["listening"],
    ["report"],
    ["cases", "open"],
    ["cases", "recovery"],
    ["cases", "list"],
    ["cases", "assign"],
    ["cases", "update"],
    ["text", "tag"],
    ["text", "train"],
    ["text", "themes"],
]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200", **extra}


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    with Workspace.create(tmp_path / "ws"):
        pass
    return tmp_path / "ws"


@contextmanager
def importing(ws: Path, tmp_path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """A ``realitygap import`` process holding ``ws`` for ``seconds``."""
    script = tmp_path / "bin" / "realitygap"
    script.parent.mkdir()
    script.write_text(_SLOW_REALITYGAP)
    argv = [str(script), "import", str(ws), str(EXAMPLES / "respondents.csv")]
    child = subprocess.Popen(
        [sys.executable, *argv, "--kind", "respondents"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(HOLD_SECONDS=str(seconds)),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "realitygap", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=120,
    )


def test_every_command_that_opens_a_workspace_has_wait() -> None:
    for command in OPENING:
        result = runner.invoke(
            app,
            [*command[:2], "--help"] if command[0] in {"cases", "text"} else [command[0], "--help"],
            env={"COLUMNS": "200"},
        )
        assert result.exit_code == 0, command
        assert "--wait" in result.output, f"{' '.join(command)} has no --wait"


def test_second_command_waits_then_succeeds(ws_path: Path, tmp_path: Path) -> None:
    with importing(ws_path, tmp_path, 3.0) as first:
        start = time.monotonic()
        second = _cli("cases", "list", str(ws_path), "--wait", "60")
        waited = time.monotonic() - start
        first_out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, first_out
    assert second.returncode == 0, second.stderr
    # it waited for the holder (which slept 3 s after opening), and not the whole minute
    assert 1.0 < waited < 50
    assert "waiting up to 60 seconds" in second.stderr
    assert "`realitygap import`" in second.stderr  # the other command, named
    assert "Conflicting lock" not in second.stderr


def test_without_enough_wait_one_line_names_the_other_command(
    ws_path: Path, tmp_path: Path
) -> None:
    with importing(ws_path, tmp_path, 30.0) as first:
        # no --wait: the default (here set short through the environment)
        result = _cli("kano", str(ws_path), REALITYGAP_WAIT="0.5")
        pid = first.pid
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    [line] = error_lines
    assert f"in use by `realitygap import` (process id {pid})" in line
    assert "--wait SECONDS" in line
    assert "Conflicting lock" not in result.stderr and "Traceback" not in result.stderr
