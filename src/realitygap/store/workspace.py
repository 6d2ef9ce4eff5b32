"""A workspace: one organisation's data in a directory, or in a PostgreSQL schema.

``DIR/realitygap.duckdb`` holds the tables, ``DIR/taxonomy.toml`` the journey stages,
touchpoints and layers. A ``postgresql://user@host:port/db?schema=name`` workspace keeps its
tables in that schema and its files (taxonomy, settings, models) in a local folder of its
own (:func:`files_folder`); a ``spark:///path`` or ``sc://host:port/path`` workspace keeps
its tables as Parquet under that path (:mod:`realitygap.store.spark`) and its files likewise
in a local folder. Analyses read tables as Ibis expressions (:meth:`Workspace.table`), so
the same analysis code can later run on PostgreSQL or Spark; writes go through
:meth:`Workspace.transaction`, which makes every import land whole or not at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # loaded with the first table read: `realitygap info` needs neither
    import ibis
    import ibis.expr.types as ir
    import pandas as pd

from realitygap.domain.errors import StorageError, WorkspaceError
from realitygap.domain.taxonomy import Taxonomy, default_taxonomy_text
from realitygap.store.atomic import atomic_write
from realitygap.store.location import (
    PostgresLocation,
    SparkLocation,
    is_postgres,
    is_spark,
    parse_postgres,
    parse_spark,
)
from realitygap.store.lock import DEFAULT_WAIT_SECONDS as DEFAULT_WAIT_SECONDS  # re-exported
from realitygap.store.lock import LOCK_WAIT, busy_message, waiting_message
from realitygap.store.lock import configure_lock_wait as configure_lock_wait
from realitygap.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    for_dialect,
    stamp_bump,
)

DB_FILE = "realitygap.duckdb"
TAXONOMY_FILE = "taxonomy.toml"

MEMORY_ENV = "REALITYGAP_MEMORY_LIMIT"
_MEMORY = re.compile(r"\d+(\.\d+)?\s*[KMGT]i?B")
_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_POLL_SECONDS = 0.2


def files_folder(location: PostgresLocation | SparkLocation) -> Path:
    """The local folder of a PostgreSQL or Spark workspace's files (taxonomy, settings,
    models): ``$REALITYGAP_HOME/postgres/HOST_PORT/DB.SCHEMA``, or
    ``$REALITYGAP_HOME/spark/local`` (``/HOST_PORT`` for Spark Connect) followed by the
    warehouse path (``REALITYGAP_HOME`` defaults to ``~/.local/share/realitygap``)."""
    home = Path(os.environ.get("REALITYGAP_HOME", Path.home() / ".local/share/realitygap"))
    if isinstance(location, SparkLocation):
        where = "local"
        if location.remote is not None:
            where = location.remote[len("sc://") :].split("/")[0].replace(":", "_")
        return home / "spark" / where / location.path.strip("/")
    return (
        home
        / "postgres"
        / f"{location.host}_{location.port}"
        / (f"{location.dbname}.{location.schema}")
    )


def _connect(
    path: Path, db: Path, *, read_only: bool, wait: float | None
) -> duckdb.DuckDBPyConnection:
    """Connect to ``db``, waiting while another process holds its lock."""
    limit = LOCK_WAIT.seconds if wait is None else max(0.0, wait)
    deadline = time.monotonic() + limit
    announced = False
    while True:
        try:
            con = duckdb.connect(str(db), read_only=read_only)
            _cap_memory(con)
            return con
        except duckdb.IOException as exc:
            held = _LOCK_HELD.search(str(exc))
            if held is None:
                raise WorkspaceError(f"{db}: cannot open the workspace database ({exc})") from None
            pid = int(held.group("pid"))
            if time.monotonic() >= deadline:
                raise WorkspaceError(busy_message(path, pid, limit)) from None
            if not announced and LOCK_WAIT.announce is not None:
                LOCK_WAIT.announce(waiting_message(path, pid, limit))
                announced = True
            time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _cap_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Cap DuckDB's buffers at ``$REALITYGAP_MEMORY_LIMIT`` (e.g. ``6GB``) when it is set:
    DuckDB's default is 80% of RAM; under a cap, large joins and aggregations spill to
    disk instead (slower, bounded; docs/scale.md)."""
    limit = os.environ.get(MEMORY_ENV, "").strip()
    if not limit:
        return
    if not _MEMORY.fullmatch(limit):
        raise WorkspaceError(f"{MEMORY_ENV}: found {limit!r}, expected a size such as '6GB'")
    con.execute(f"SET memory_limit = '{limit}'")


class Workspace:
    """An open workspace. Use as a context manager, or call :meth:`close`.

    >>> import tempfile
    >>> with Workspace.create(tempfile.mkdtemp() + "/ws") as ws:
    ...     print(ws.schema_version, len(ws.taxonomy.touchpoints))
    11 15
    """

    def __init__(
        self,
        path: Path,
        con: Any,
        *,
        read_only: bool = False,
        location: PostgresLocation | SparkLocation | None = None,
    ) -> None:
        self.path = path
        # a duckdb connection, or a store.postgres.PgConnection (same execute/register)
        self.con = con
        self.read_only = read_only
        self.location = location
        self.dialect = (
            "duckdb"
            if location is None
            else "spark"
            if isinstance(location, SparkLocation)
            else "postgres"
        )
        self._backend: ibis.BaseBackend | None = None
        self._taxonomy: Taxonomy | None = None
        # Results derived from the data that several analyses share (e.g. customer activity),
        # kept for this connection's lifetime. Each key ends with the version of the data it
        # was derived from, so an entry is never read once the data change (see
        # realitygap.analysis._activity.shared_activity); close() drops them.
        self.derived: dict[tuple[Any, ...], Any] = {}
        # "" for the whole workspace; a subset's view (store/subset.py) names its temporary
        # tables apart with it and never reads the stored answer grid (it holds every answer)
        self.restriction = ""
        # The statement bumping the data stamp (store/version.py) that every write transaction
        # runs, None without one: known once migrations ran, so a write costs no extra query.
        self._stamp_bump: str | None = None
        self._depth = 0  # open ws.transaction() blocks (PostgreSQL nests them)

    @property
    def backend(self) -> ibis.BaseBackend:
        """The Ibis backend over :attr:`con`, made on first use (``info`` and ``init`` never
        load Ibis)."""
        if self._backend is None:
            import ibis

            if self.location is None:
                self._backend = ibis.duckdb.from_connection(self.con)
            elif self.dialect == "spark":
                from realitygap.store.spark import ibis_backend

                self._backend = ibis_backend(self.con)
            else:
                self._backend = ibis.postgres.from_connection(self.con.raw)
        return self._backend

    @property
    def frozen(self) -> bool:
        """Whether the data cannot change while this connection is open: a read-only DuckDB
        workspace (the file is locked against writers). A PostgreSQL workspace never is:
        other workers may write meanwhile, so caches there are keyed by fingerprints."""
        return self.read_only and self.location is None

    @property
    def where(self) -> str:
        """Where the tables are, for messages: the database file or the PostgreSQL URL."""
        return str(self.path / DB_FILE) if self.location is None else self.location.url

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, taxonomy_text: str | None = None) -> Workspace:
        """Create (or open, if it exists) a workspace at ``path`` (a directory, or a
        ``postgresql://`` URL) with the default taxonomy."""
        if is_postgres(path) or is_spark(path):
            location = parse_postgres(str(path)) if is_postgres(path) else parse_spark(str(path))
            folder = files_folder(location)
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / TAXONOMY_FILE).exists():
                atomic_write(folder / TAXONOMY_FILE, taxonomy_text or default_taxonomy_text())
            return cls.open(path)
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tax = path / TAXONOMY_FILE
        if not tax.exists():
            atomic_write(tax, taxonomy_text or default_taxonomy_text())
        return cls.open(path)

    @classmethod
    def open(
        cls, path: str | Path, *, read_only: bool = False, wait: float | None = None
    ) -> Workspace:
        """Open an existing workspace, applying pending schema migrations.

        ``read_only`` opens it for reading only (several readers may share it). When another
        process holds it, waits up to ``wait`` seconds (default :data:`LOCK_WAIT`) for it to
        finish, then raises :class:`WorkspaceError` naming that process's id.

        ``path`` may be a ``postgresql://`` URL (:mod:`realitygap.store.location`): the
        database's own transactions then keep writers apart, and migrations run under an
        advisory lock so that two workers never apply one twice.
        """
        if is_postgres(path):
            return cls._open_postgres(parse_postgres(str(path)), read_only=read_only)
        if is_spark(path):
            return cls._open_spark(parse_spark(str(path)), read_only=read_only)
        path = Path(path)
        db = path / DB_FILE
        if not (path / TAXONOMY_FILE).exists():
            raise WorkspaceError(
                f"{path}: not a realitygap workspace (no {TAXONOMY_FILE}); "
                f"create one with `realitygap init {path}`"
            )
        con = _connect(path, db, read_only=read_only and db.exists(), wait=wait)
        ws = cls(path, con, read_only=read_only and db.exists())
        if not read_only:
            ws.migrate()
        elif ws.schema_version < SCHEMA_VERSION:
            # an older workspace is brought up to date once (e.g. its stored text redacted)
            # before anyone reads it, even a reader
            ws.close()
            with cls.open(path, wait=wait):
                pass
            return cls.open(path, read_only=True, wait=wait)
        return ws

    @classmethod
    def _open_postgres(cls, location: PostgresLocation, *, read_only: bool) -> Workspace:
        from realitygap.store.postgres import PgConnection

        folder = files_folder(location)
        if not (folder / TAXONOMY_FILE).exists():
            raise WorkspaceError(
                f"{location.url}: not a realitygap workspace (no {folder / TAXONOMY_FILE}); "
                f"create one with `realitygap init {location.url}`"
            )
        ws = cls(folder, PgConnection(location), read_only=read_only, location=location)
        if ws.schema_version < SCHEMA_VERSION:
            # one key per schema: a second worker waits here, then finds nothing to do
            ws.con.execute("SELECT pg_advisory_lock(hashtext(current_schema()))")
            try:
                ws.migrate()
            finally:
                ws.con.execute("SELECT pg_advisory_unlock(hashtext(current_schema()))")
        ws._stamp_bump = stamp_bump(SCHEMA_VERSION, ws.dialect)
        return ws

    @property
    def reusable(self) -> bool:
        """Whether a PostgreSQL workspace's connection may serve another request: open, and
        neither inside nor left in a failed transaction (a server keeps a pool of them)."""
        if self.dialect != "postgres":
            return False
        raw = self.con.raw
        return not raw.closed and int(raw.info.transaction_status) == 0  # PQTRANS_IDLE

    @classmethod
    def _open_spark(cls, location: SparkLocation, *, read_only: bool) -> Workspace:
        from realitygap.store.spark import SparkConnection

        folder = files_folder(location)
        if not (folder / TAXONOMY_FILE).exists():
            raise WorkspaceError(
                f"{location.url}: not a realitygap workspace (no {folder / TAXONOMY_FILE}); "
                f"create one with `realitygap init {location.url}`"
            )
        ws = cls(folder, SparkConnection(location), read_only=read_only, location=location)
        if ws.schema_version < SCHEMA_VERSION:
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
        if self.dialect == "spark":
            has = self.con.has_table("schema_version")
        else:
            has = self._has_version_table()
        if not has:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _has_version_table(self) -> bool:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            + (" AND table_schema = current_schema()" if self.location is not None else "")
        ).fetchone()
        return bool(exists and exists[0])

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
            # a migration from the one creating the stamp on counts as a change of the data
            # (a data migration may rewrite rows); earlier ones predate the stamp
            self._stamp_bump = stamp_bump(version + 1, self.dialect)
            with self.transaction(data=self._stamp_bump is not None):
                for step in MIGRATIONS[version]:
                    if isinstance(step, str):
                        self.con.execute(for_dialect(step, self.dialect))
                    else:
                        step(self)  # a data migration written in Python
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?)",
                    [version + 1, datetime.now(UTC).replace(tzinfo=None)],
                )
        self._stamp_bump = stamp_bump(SCHEMA_VERSION, self.dialect)
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
        if self.location is not None:
            yield from self.con.pages(sql, params, batch_size)
            return
        cursor = self.con.cursor()
        try:
            reader = cursor.execute(sql, params).to_arrow_reader(batch_size)
            for batch in reader:
                if batch.num_rows:
                    yield batch.to_pandas()
        finally:
            cursor.close()

    def count(self, name: str) -> int:
        """Rows of a workspace table (a plain count: no Ibis needed)."""
        if self.dialect == "spark" and (known := self.con.count(name)) is not None:
            return int(known)
        row = self.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self, *, data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """All statements inside land together or not at all (also if the process dies).

        ``data`` says the block may change data a cached result reads: the data stamp
        (:mod:`realitygap.store.version`) is bumped in the same commit. Pass ``data=False``
        only for the service's bookkeeping (sessions, login failures, users, tokens, the
        webhook queue, audit entries alone), so that serving a page does not drop the cache.

        A write the disk refuses (full, file too large, no permission) is undone and raised as
        :class:`StorageError` naming the database file.
        """
        if self.dialect == "spark":
            with self.con.transaction():
                yield self.con
            return
        self._depth += 1
        try:
            if self.location is not None:
                with self._pg_transaction():
                    yield self.con
                    if data and self._depth == 1:
                        self._bump()
                return
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
                if data:
                    self._bump()
            except (duckdb.IOException, duckdb.TransactionException, OSError) as exc:
                self._rollback()
                if isinstance(exc, StorageError):
                    raise
                raise self._storage_error(exc) from None
            except BaseException:
                self._rollback()
                raise
            try:
                self.con.execute("COMMIT")
            except (duckdb.IOException, duckdb.TransactionException) as exc:
                self._rollback()
                raise self._storage_error(exc) from None
        finally:
            self._depth -= 1

    def changed(self) -> None:
        """Record that the data changed: the store's write helpers call it after writing. In a
        :meth:`transaction` the stamp is bumped at its commit; a write outside one
        (autocommitted) bumps it now, after the write, so a reader between the two caches
        the new data under the old stamp and recomputes once more, never the reverse."""
        if self._depth == 0 and self.dialect != "spark":
            self._bump()

    def _bump(self) -> None:
        # last in the transaction: on PostgreSQL the row's lock, which orders concurrent
        # writers, is held only until the commit right after
        if self._stamp_bump is not None:
            self.con.execute(self._stamp_bump)

    @contextmanager
    def _pg_transaction(self) -> Iterator[None]:
        import psycopg

        try:
            with self.con.raw.transaction():
                yield
        except (psycopg.errors.DiskFull, psycopg.errors.InsufficientResources) as exc:
            raise self._storage_error(exc) from None

    def _rollback(self) -> None:
        # A failed COMMIT has already been rolled back by DuckDB: nothing is left to undo.
        with contextlib.suppress(duckdb.TransactionException):
            self.con.execute("ROLLBACK")

    def _storage_error(self, exc: BaseException) -> StorageError:
        return StorageError(
            f"{self.where}: could not write the workspace database ({exc}); "
            "nothing was changed (is the disk full?)"
        )
