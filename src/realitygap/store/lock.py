"""How long opening a workspace that another process holds waits for it, and who is told.

Kept apart from :mod:`realitygap.store.workspace` so the CLI can set it up (and show the default
in ``--help``) without loading the database engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# How long opening a workspace another process has locked waits for it (seconds), and who is
# told that it waits (the CLI prints it; a library caller hears nothing). The CLI's
# ``--wait SECONDS`` and the environment variable REALITYGAP_WAIT set it.
DEFAULT_WAIT_SECONDS = 5.0


@dataclass
class LockWait:
    seconds: float = DEFAULT_WAIT_SECONDS
    announce: Callable[[str], None] | None = None


def _wait_from_environment() -> float:
    """REALITYGAP_WAIT in seconds; the default when unset or not a number of 0 or more."""
    try:
        seconds = float(os.environ.get("REALITYGAP_WAIT", DEFAULT_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS
    return seconds if seconds >= 0 and seconds == seconds else DEFAULT_WAIT_SECONDS


LOCK_WAIT = LockWait(_wait_from_environment())


def configure_lock_wait(
    seconds: float | None = None, announce: Callable[[str], None] | None = None
) -> None:
    """Set how long :meth:`Workspace.open` waits for a workspace another process holds, and
    the function told (once) that it waits."""
    if seconds is not None:
        LOCK_WAIT.seconds = max(0.0, seconds)
    if announce is not None:
        LOCK_WAIT.announce = announce


_PROGRAM_NAMES = {"realitygap", "realitygap.exe"}


def holder_command(pid: int, workspace: Path) -> str | None:
    """The realitygap command process ``pid`` runs on ``workspace`` (``realitygap import``),
    read from its command line where the system shows it (Linux ``/proc``); None otherwise."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    # the console script (.../bin/realitygap) or ``python -m realitygap``
    starts = [i for i, word in enumerate(argv) if Path(word).name in _PROGRAM_NAMES]
    if not starts:
        return None
    words: list[str] = []
    for word in argv[starts[0] + 1 : starts[0] + 3]:  # a command, or a group and its command
        if word.startswith("-") or _same_path(word, workspace):
            break
        words.append(word)
    return " ".join(["realitygap", *words])


def _same_path(word: str, workspace: Path) -> bool:
    try:
        return Path(word).resolve() == workspace.resolve()
    except (OSError, RuntimeError):
        return False


def _holder(pid: int, workspace: Path) -> str:
    command = holder_command(pid, workspace)
    return f"`{command}` (process id {pid})" if command else f"another process (id {pid})"


def busy_message(workspace: Path, pid: int, waited: float) -> str:
    """One line: who holds the workspace, how long we waited, what to do."""
    return (
        f"{workspace}: the workspace is in use by {_holder(pid, workspace)}; waited "
        f"{waited:g} seconds. Run the command again when that one has finished, "
        "or wait longer with --wait SECONDS."
    )


def waiting_message(workspace: Path, pid: int, limit: float) -> str:
    """Said once when a command starts waiting for a workspace."""
    return (
        f"{workspace}: the workspace is in use by {_holder(pid, workspace)}; "
        f"waiting up to {limit:g} seconds for it to finish"
    )
