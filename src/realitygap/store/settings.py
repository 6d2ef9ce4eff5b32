"""Workspace settings in ``DIR/settings.toml`` (optional; every setting has a safe default).

```toml
[privacy]
keep_original = false   # true: keep unredacted customer text in document_originals

[report]
currency = "EUR"        # shown beside money figures (value at risk); default: none stated
```
"""

from __future__ import annotations

import tomllib
from typing import Any

from realitygap.domain.errors import WorkspaceError
from realitygap.store.workspace import Workspace

SETTINGS_FILE = "settings.toml"


def _settings(ws: Workspace) -> dict[str, Any]:
    path = ws.path / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: invalid TOML ({exc})") from None


def currency(ws: Workspace) -> str:
    """``[report] currency`` from ``DIR/settings.toml``: a short code or symbol such as "EUR"
    or "£" ("" when absent: money is then shown without a currency)."""
    path = ws.path / SETTINGS_FILE
    value = _settings(ws).get("report", {}).get("currency", "")
    if not isinstance(value, str) or len(value.strip()) > 5:
        raise WorkspaceError(
            f"{path}: [report] currency is {value!r}, expected a code or symbol of at most "
            'five characters, e.g. "EUR"'
        )
    return value.strip()


def keep_original(ws: Workspace) -> bool:
    """``[privacy] keep_original`` from ``DIR/settings.toml`` (False when absent)."""
    path = ws.path / SETTINGS_FILE
    value = _settings(ws).get("privacy", {}).get("keep_original", False)
    if not isinstance(value, bool):
        raise WorkspaceError(
            f"{path}: [privacy] keep_original is {value!r}, expected true or false"
        )
    return value
