"""The version of a workspace's data: what a cached result (the dashboard's Reality Check) is
keyed by, so that it is never served once any table it reads has changed.

:func:`data_version` is cheap: the data stamp (one row that every write transaction of the
store bumps in its commit, :meth:`Workspace.transaction`) with the taxonomy's and settings'
text, so a write by any process (a CLI import while the server runs, another worker) is
seen. :func:`full_fingerprint` scans every row of the tables instead; it is what the tests
check the stamp against (whenever the fingerprint changes, the stamp must have too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from realitygap.store.answer_grid import Fingerprint, table_fingerprint
from realitygap.store.schema import STAMP_TABLE
from realitygap.store.settings import SETTINGS_FILE
from realitygap.store.workspace import TAXONOMY_FILE, Workspace

# The tables the Reality Check and the dashboard's live campaigns read; the taxonomy and
# settings are files and are versioned by their text.
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
    "campaigns",
    "campaign_items",
    "campaign_answers",
)


def data_version(ws: Workspace) -> tuple[Any, ...]:
    """The data stamp with the taxonomy's and the settings' text: one one-row read and two
    small files. A Spark workspace, which has no stamp, gets :func:`full_fingerprint`."""
    if ws.dialect == "spark":
        return full_fingerprint(ws)
    row = ws.con.execute(f"SELECT sum(version) FROM {STAMP_TABLE}").fetchone()
    return (int(row[0]) if row and row[0] is not None else None, *_files(ws))


def full_fingerprint(ws: Workspace) -> Fingerprint:
    """Row count and XOR of row hashes of every column of each data table, with the taxonomy's
    and the settings' text: any insert, delete or change anywhere changes it (one scan per
    table)."""
    tables = tuple(
        table_fingerprint(ws, name, [f'"{c}"' for c in ws.columns(name)]) for name in DATA_TABLES
    )
    return (*tables, *_files(ws))


def _files(ws: Workspace) -> tuple[str | None, ...]:
    return tuple(_text(ws.path / name) for name in (TAXONOMY_FILE, SETTINGS_FILE))


def _text(path: Path) -> str | None:
    return path.read_text("utf-8") if path.is_file() else None
