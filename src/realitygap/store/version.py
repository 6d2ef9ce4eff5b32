"""The version of a workspace's data: what a cached result (the dashboard's Reality Check) is
keyed by, so that it is never served once any table it reads has changed."""

from __future__ import annotations

from pathlib import Path

from realitygap.store.answer_grid import Fingerprint, table_fingerprint
from realitygap.store.settings import SETTINGS_FILE
from realitygap.store.workspace import TAXONOMY_FILE, Workspace

# The tables the Reality Check reads (the composite's inputs); the taxonomy and settings are
# files and are versioned by their text.
DATA_TABLES = (
    "questions",
    "respondents",
    "responses",
    "invitations",
    "documents",
    "events",
    "cases",
    "contacts",
    "document_tags",
    "document_aspects",
)


def data_version(ws: Workspace) -> Fingerprint:
    """Row count and XOR of row hashes of every column of each data table, with the taxonomy's
    and the settings' text: any insert, delete or change anywhere changes it (one scan per
    table)."""
    tables = tuple(
        table_fingerprint(ws, name, [f'"{c}"' for c in ws.columns(name)]) for name in DATA_TABLES
    )
    files = tuple(_text(ws.path / name) for name in (TAXONOMY_FILE, SETTINGS_FILE))
    return (*tables, *files)


def _text(path: Path) -> str | None:
    return path.read_text("utf-8") if path.is_file() else None
