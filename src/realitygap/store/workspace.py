"""A workspace: one organisation's data in a directory.

``DIR/realitygap.duckdb`` holds the tables, ``DIR/taxonomy.toml`` the journey stages,
touchpoints and layers. Analyses read tables as Ibis expressions (:meth:`Workspace.table`), so
the same analysis code can later run on PostgreSQL or Spark; writes go through
:meth:`Workspace.transaction`, which makes every import land whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from realitygap.domain.errors import WorkspaceError
from realitygap.domain.taxonomy import Taxonomy, default_taxonomy_text
from realitygap.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILE = "realitygap.duckdb"
TAXONOMY_FILE = "taxonomy.toml"


class Workspace:
    """An open workspace. Use as a context manager, or call :meth:`close`.

    >>> import tempfile
    >>> with Workspace.create(tempfile.mkdtemp() + "/ws") as ws:
    ...     print(ws.schema_version, len(ws.taxonomy.touchpoints))
    2 15
    """

    def __init__(
        self, path: Path, con: duckdb.DuckDBPyConnection, *, read_only: bool = False
    ) -> None:
        self.path = path
        self.con = con
        self.read_only = read_only
        self.backend = ibis.duckdb.from_connection(con)
        self._taxonomy: Taxonomy | None = None
        # Results derived from the data that several analyses share (e.g. customer activity),
        # kept for this connection's lifetime. Each key ends with the version of the data it
        # was derived from, so an entry is never read once the data change (see
        # realitygap.analysis._activity.shared_activity); close() drops them.
        self.derived: dict[tuple[Any, ...], Any] = {}

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, taxonomy_text: str | None = None) -> Workspace:
        """Create (or open, if it exists) a workspace at ``path`` with the default taxonomy."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tax = path / TAXONOMY_FILE
        if not tax.exists():
            tax.write_text(taxonomy_text or default_taxonomy_text(), encoding="utf-8")
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Workspace:
        """Open an existing workspace, applying pending schema migrations."""
        path = Path(path)
        db = path / DB_FILE
        if not (path / TAXONOMY_FILE).exists():
            raise WorkspaceError(
                f"{path}: not a realitygap workspace (no {TAXONOMY_FILE}); "
                f"create one with `realitygap init {path}`"
            )
        try:
            con = duckdb.connect(str(db), read_only=read_only and db.exists())
        except duckdb.IOException as exc:
            raise WorkspaceError(f"{db}: cannot open the workspace database ({exc})") from None
        ws = cls(path, con, read_only=read_only and db.exists())
        if not read_only:
            ws.migrate()
        return ws

    def close(self) -> None:
        self.derived.clear()
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or exists[0] == 0:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction. Returns the new version."""
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path}: workspace schema version {current} is newer than this "
                f"realitygap ({SCHEMA_VERSION}); upgrade realitygap"
            )
        if current == 0:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in MIGRATIONS[version]:
                    self.con.execute(statement)
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?)",
                    [version + 1, datetime.now(UTC).replace(tzinfo=None)],
                )
        return SCHEMA_VERSION

    # ---- reading and writing ---------------------------------------------------------------
    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy = Taxonomy.load(self.path / TAXONOMY_FILE)
        return self._taxonomy

    def reload_taxonomy(self) -> Taxonomy:
        self._taxonomy = None
        return self.taxonomy

    def table(self, name: str) -> ir.Table:
        """A workspace table as an Ibis expression (nothing is read until executed)."""
        return self.backend.table(name)

    def columns(self, name: str) -> list[str]:
        return list(self.table(name).columns)

    def pages(
        self, sql: str, params: dict[str, Any] | None = None, batch_size: int = 1024
    ) -> Iterator[pd.DataFrame]:
        """The result of ``sql`` in pages of ``batch_size`` rows, streamed from one query on a
        cursor of its own (statements run meanwhile through :attr:`con` do not disturb it):
        only one page is held in memory, and nothing is re-scanned per page."""
        cursor = self.con.cursor()
        try:
            reader = cursor.execute(sql, params).to_arrow_reader(batch_size)
            for batch in reader:
                if batch.num_rows:
                    yield batch.to_pandas()
        finally:
            cursor.close()

    def count(self, name: str) -> int:
        return int(self.table(name).count().execute())

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All statements inside land together or not at all (also if the process dies)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
