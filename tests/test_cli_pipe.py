"""A reader that stops reading (`realitygap ... | head`, quitting `less`) is not an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _closed_pipe_run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with its stdout a pipe whose read end is already closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "realitygap", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from realitygap.simulate import simulate

    path = tmp_path_factory.mktemp("pipe") / "ws"
    simulate(path, customers=300, seed=1)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["init"],  # its one line is flushed at exit, after the command returned
        ["metrics", "--json"],  # a long write inside the command: handles_errors saw it and
        ["behaviour"],  # printed "error: Broken pipe" with exit 2 before the fix
    ],
)
def test_closed_pipe_exits_quietly(command: list[str], small_company: Path, tmp_path: Path) -> None:
    # Expected: what Click does for EPIPE (click.core.BaseCommand.main: exit 1, nothing on
    # stderr), as `git log | head` is quiet.
    target = tmp_path / "new" if command == ["init"] else small_company
    child = _closed_pipe_run(command[0], str(target), *command[1:])
    assert child.stderr.strip() == ""
    assert child.returncode == 1
