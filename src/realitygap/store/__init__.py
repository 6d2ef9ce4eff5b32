"""Workspace storage: schema, migrations and connections.

Names are imported on first use, so that :mod:`realitygap.store.lock` and the CLI's help load
no database engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realitygap.store.schema import KEYS, SCHEMA_VERSION
    from realitygap.store.workspace import DB_FILE, TAXONOMY_FILE, Workspace

_MODULE_OF = {
    "DB_FILE": "workspace",
    "KEYS": "schema",
    "SCHEMA_VERSION": "schema",
    "TAXONOMY_FILE": "workspace",
    "Workspace": "workspace",
}

__all__ = ["DB_FILE", "KEYS", "SCHEMA_VERSION", "TAXONOMY_FILE", "Workspace"]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
