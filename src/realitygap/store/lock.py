"""How long opening a workspace that another process holds waits for it, and who is told.

Kept apart from :mod:`realitygap.store.workspace` so the CLI can set it up (and show the default
in ``--help``) without loading the database engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

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
