"""Issue 16, point 6, with two real CLI processes: every command that opens a workspace has
``--wait SECONDS``; a second command waits for the first and then succeeds, and one that does
not wait long enough gets one plain line naming the command that holds the workspace (never
DuckDB's "Conflicting lock" text)."""

from __future__ import annotations

import os
import subprocess
import sys
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
    release = os.environ.get("RELEASE_FILE", "")
    until = time.monotonic() + float(os.environ["HOLD_SECONDS"])
    while time.monotonic() < until and not (release and os.path.exists(release)):
        time.sleep(0.05)
    return real(*args, **kwargs)
ingest.import_file = slow
from realitygap.cli import main
sys.exit(main())
"""

# Commands that open a workspace (issue 16: every one has --wait). simulate and demo create a
# new directory, replacing an earlier simulated one, and have none.
OPENING = [
    ["init"],
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
def importing(
    ws: Path, tmp_path: Path, seconds: float, release: Path | None = None
) -> Iterator[subprocess.Popen[str]]:
    """A ``realitygap import`` process holding ``ws`` for ``seconds`` or until ``release``
    exists."""
    script = tmp_path / "bin" / "realitygap"
    script.parent.mkdir()
    script.write_text(_SLOW_REALITYGAP)
    argv = [str(script), "import", str(ws), str(EXAMPLES / "respondents.csv")]
    child = subprocess.Popen(
        [sys.executable, *argv, "--kind", "respondents"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(HOLD_SECONDS=str(seconds), RELEASE_FILE=str(release or "")),
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
    release = tmp_path / "release"
    with importing(ws_path, tmp_path, 120.0, release) as first:
        second = subprocess.Popen(
            [sys.executable, "-m", "realitygap", "cases", "list", str(ws_path), "--wait", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        assert second.stderr is not None
        said = second.stderr.readline()  # it says that it waits, then waits
        assert second.poll() is None, "the second command did not wait"
        release.touch()  # the first command goes on, imports and lets go
        out, rest = second.communicate(timeout=120)
        first_out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, first_out
    assert second.returncode == 0, said + rest
    assert "waiting up to 60 seconds" in said
    assert "`realitygap import`" in said  # the other command, named
    assert "Conflicting lock" not in said + rest
    assert "0 cases" in out


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
