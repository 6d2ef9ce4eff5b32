"""Issue 16, point 6: a workspace another process holds makes a command wait (up to --wait
seconds), say so in plain words, and then exit 2 naming the other process's id; commands that
only read share the workspace."""

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
from realitygap.domain.errors import WorkspaceError
from realitygap.store import Workspace
from realitygap.store.workspace import LOCK_WAIT, configure_lock_wait

SRC = Path(__file__).resolve().parents[1] / "src"
runner = CliRunner()

_HOLD = """
import sys, time
from realitygap.store import Workspace
with Workspace.open(sys.argv[1], read_only=sys.argv[2] == "ro") as ws:
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
    letting_go = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
print("released", letting_go, flush=True)
"""


@contextmanager
def holder(
    path: Path, seconds: float, *, read_only: bool = False
) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the workspace for ``seconds``."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    mode = "ro" if read_only else "rw"
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        yield child
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    with Workspace.create(tmp_path / "ws"):
        pass
    return tmp_path / "ws"


@contextmanager
def held(path: Path, seconds: float, *, read_only: bool = False) -> Iterator[int]:
    """Another process holding the workspace for ``seconds``; yields its process id."""
    with holder(path, seconds, read_only=read_only) as child:
        yield child.pid


def test_gives_up_after_wait_naming_the_other_process(ws_path: Path) -> None:
    heard: list[str] = []
    announce = LOCK_WAIT.announce
    configure_lock_wait(announce=heard.append)
    try:
        with held(ws_path, 60) as pid:
            start = time.monotonic()
            with pytest.raises(WorkspaceError) as info:
                Workspace.open(ws_path, wait=1.0)
            waited = time.monotonic() - start
    finally:
        LOCK_WAIT.announce = announce
    assert waited >= 1.0
    message = str(info.value)
    assert f"in use by another process (id {pid})" in message and "--wait" in message
    assert "Conflicting lock" not in message  # DuckDB's own text is not what users read
    [said] = heard  # told once that it waits
    assert f"id {pid}" in said and "waiting up to 1 seconds" in said


def test_waits_for_the_other_process_to_finish(ws_path: Path) -> None:
    with holder(ws_path, 1.5) as child:
        start = time.monotonic()
        with Workspace.open(ws_path, wait=60) as ws:
            opened = time.monotonic()
            assert ws.count("questions") == 0
        assert child.stdout is not None
        word, released = child.stdout.readline().split()
    # it opened only once the holder had let go, and did not wait the whole minute
    assert word == "released" and float(released) <= opened < start + 60


def test_readers_share_the_workspace(ws_path: Path) -> None:
    with held(ws_path, 60, read_only=True), Workspace.open(ws_path, read_only=True, wait=0) as ws:
        assert ws.count("questions") == 0


def test_cli_exits_2_with_plain_words_and_the_process_id(ws_path: Path) -> None:
    with held(ws_path, 60) as pid:
        result = runner.invoke(app, ["info", str(ws_path), "--wait", "0.5"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert f"in use by another process (id {pid})" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(("value", "expected"), [("12", 12.0), ("0", 0.0), ("soon", 5.0),
                                                  ("-3", 5.0), ("nan", 5.0)])  # fmt: skip
def test_wait_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: float
) -> None:
    # docs/formats.md: REALITYGAP_WAIT seconds, else 5; a bad value must not crash the CLI
    from realitygap.store.lock import _wait_from_environment

    monkeypatch.setenv("REALITYGAP_WAIT", value)
    assert _wait_from_environment() == expected
