"""Workspace settings in ``DIR/settings.toml`` (optional; every setting has a safe default).

```toml
[privacy]
keep_original = false   # true: keep unredacted customer text in document_originals
```
"""

from __future__ import annotations

import tomllib

from realitygap.domain.errors import WorkspaceError
from realitygap.store.workspace import Workspace

SETTINGS_FILE = "settings.toml"


def keep_original(ws: Workspace) -> bool:
    """``[privacy] keep_original`` from ``DIR/settings.toml`` (False when absent)."""
    path = ws.path / SETTINGS_FILE
    if not path.exists():
        return False
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: invalid TOML ({exc})") from None
    value = settings.get("privacy", {}).get("keep_original", False)
    if not isinstance(value, bool):
        raise WorkspaceError(
            f"{path}: [privacy] keep_original is {value!r}, expected true or false"
        )
    return value
