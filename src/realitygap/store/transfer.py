"""Copy every table of one workspace into another (e.g. a DuckDB workspace into PostgreSQL).

The target must be empty and at the same schema version. Each table goes across in Arrow
batches (COPY on PostgreSQL), segment columns the target lacks are added first, the taxonomy
and settings files are copied, and everything lands in one transaction of the target: a
failed copy leaves the target as it was. Derived tables (the answer grid) are rebuilt, not
copied.
"""

from __future__ import annotations

from realitygap.domain.errors import WorkspaceError
from realitygap.store.atomic import atomic_write
from realitygap.store.schema import KEYS, SCHEMA_VERSION
from realitygap.store.workspace import TAXONOMY_FILE, Workspace

# every table a migration creates, in the order they are copied
TABLES = (*KEYS, "imports")
BATCH_ROWS = 200_000


def copy_workspace(source: Workspace, target: Workspace) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; return rows per table."""
    from realitygap.store import answer_grid
    from realitygap.store.settings import SETTINGS_FILE
    from realitygap.store.write import append_frame, ensure_columns

    if source.schema_version != SCHEMA_VERSION or target.schema_version != SCHEMA_VERSION:
        raise WorkspaceError(
            f"{target.where}: both workspaces must be at schema version {SCHEMA_VERSION}"
        )
    filled = [t for t in TABLES if target.count(t)]
    if filled:
        raise WorkspaceError(f"{target.where}: already holds data {filled}; copy into a new one")
    for name in (TAXONOMY_FILE, SETTINGS_FILE):
        if (source.path / name).exists():
            atomic_write(target.path / name, (source.path / name).read_bytes())
    target.reload_taxonomy()
    copied: dict[str, int] = {}
    with target.transaction():
        for table in TABLES:
            columns = source.columns(table)
            ensure_columns(target, table, columns)
            copied[table] = 0
            for page in source.pages(f'SELECT * FROM "{table}"', batch_size=BATCH_ROWS):
                append_frame(target, table, page)
                copied[table] += len(page)
        if copied["responses"]:
            answer_grid.refresh(target)
    return copied
