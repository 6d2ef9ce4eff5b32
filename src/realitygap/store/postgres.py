"""The PostgreSQL connection of a workspace, shaped like the DuckDB one the store speaks to.

The store's statements are written once, in the portable core of SQL with DuckDB's ``?``
(and ``$name``) parameters; :class:`PgConnection` runs them through psycopg, turning the
markers into psycopg's. Frames go in with ``COPY ... FROM STDIN`` (CSV written by Arrow, one
round trip per hundred thousand rows), never row by row: :meth:`PgConnection.register` lands a
frame in a temporary table that the statements then read, as DuckDB reads a registered frame.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from realitygap.domain.errors import WorkspaceError
from realitygap.store.location import PostgresLocation

COPY_BATCH_ROWS = 100_000
_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _pg_type(kind: pa.DataType) -> str:
    """The PostgreSQL type of a column of Arrow type ``kind`` (text for anything else)."""
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "INTEGER" if kind.bit_width <= 32 else "BIGINT"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP"
    if pa.types.is_date(kind):
        return "DATE"
    return "VARCHAR"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_arrow(rows: pd.DataFrame | pa.Table) -> pa.Table:
    """``rows`` as an Arrow table (pandas' index dropped; timezones dropped to UTC-naive, as
    the workspace stores naive timestamps)."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp(column.type.unit))
        elif pa.types.is_null(column.type) or pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class PgResult:
    """The result of one statement: DuckDB's ``fetchone``/``fetchall``/``df``."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._cursor.fetchall()]

    def df(self) -> pd.DataFrame:
        names = [d[0] for d in self._cursor.description or []]
        return pd.DataFrame(self.fetchall(), columns=names)

    fetchdf = df


def translate(sql: str, params: Sequence[Any] | dict[str, Any] | None) -> str:
    """DuckDB's parameter markers as psycopg's (``?`` -> ``%s``, ``$name`` -> ``%(name)s``);
    a literal ``%`` is doubled when parameters are given; DuckDB's ``DOUBLE`` in a CREATE or
    ALTER statement is PostgreSQL's ``DOUBLE PRECISION``."""
    if sql.lstrip()[:6].upper() in ("CREATE", "ALTER "):
        from realitygap.store.schema import for_dialect

        sql = for_dialect(sql, "postgres")
    if params is None:
        return sql
    sql = sql.replace("%", "%%")
    if isinstance(params, dict):
        return _NAMED.sub(lambda m: f"%({m.group(1)})s", sql)
    return sql.replace("?", "%s")


class PgConnection:
    """A psycopg connection (autocommit outside :meth:`transaction` blocks) whose
    ``search_path`` is the workspace's schema, created on first connect."""

    def __init__(self, location: PostgresLocation) -> None:
        import psycopg

        self.location = location
        try:
            self.raw = psycopg.connect(**location.connect_kwargs(), autocommit=True)  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WorkspaceError(
                f"{location.url}: cannot connect to the PostgreSQL server ({first})"
            ) from None
        schema = _quote(location.schema)
        self.raw.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.raw.execute(f"SET search_path TO {schema}")
        self.raw.execute("SET TIMEZONE = UTC")

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgResult:
        return PgResult(self.raw.execute(translate(sql, params), params))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql, []), rows)  # type: ignore[arg-type]

    def register(self, name: str, rows: pd.DataFrame | pa.Table) -> None:
        """Land ``rows`` in the temporary table ``name`` (dropped by :meth:`unregister`)."""
        table = to_arrow(rows)
        columns = ", ".join(f"{_quote(f.name)} {_pg_type(f.type)}" for f in table.schema)
        self.raw.execute(f"CREATE TEMP TABLE {_quote(name)} ({columns})")
        copy_into(self, name, table)

    def unregister(self, name: str) -> None:
        self.raw.execute(f"DROP TABLE IF EXISTS {_quote(name)}")

    def close(self) -> None:
        self.raw.close()

    def pages(
        self, sql: str, params: dict[str, Any] | None, batch_size: int
    ) -> Iterator[pd.DataFrame]:
        """The rows of ``sql`` in pages, from a server-side cursor on a connection of its own
        (it sees what is committed; statements run meanwhile on this one do not disturb it)."""
        import psycopg

        with psycopg.connect(**self.location.connect_kwargs()) as other:  # type: ignore[arg-type]
            other.execute(f"SET search_path TO {_quote(self.location.schema)}")
            with other.cursor(name="realitygap_pages") as cursor:
                cursor.itersize = batch_size
                cursor.execute(translate(sql, params), params)
                names: list[str] | None = None
                while rows := cursor.fetchmany(batch_size):
                    if names is None:
                        names = [d[0] for d in cursor.description or []]
                    yield pd.DataFrame([tuple(r) for r in rows], columns=names)


def copy_into(con: PgConnection, table: str, rows: pd.DataFrame | pa.Table) -> int:
    """Append ``rows`` to ``table`` (its columns by name) with ``COPY ... FROM STDIN`` in CSV
    written by Arrow; returns the rows sent. Every value is quoted, so an empty string stays
    an empty string and only a missing value (a bare empty field) is NULL."""
    data = to_arrow(rows)
    if data.num_rows == 0:
        return 0
    cols = ", ".join(_quote(c) for c in data.column_names)
    statement = f"COPY {_quote(table)} ({cols}) FROM STDIN (FORMAT csv)"
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    with con.raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, data.num_rows, COPY_BATCH_ROWS):
            buffer = io.BytesIO()
            pa_csv.write_csv(data.slice(start, COPY_BATCH_ROWS), buffer, options)
            copy.write(buffer.getvalue())
    return int(data.num_rows)


def connection_error(location: PostgresLocation, exc: BaseException) -> WorkspaceError:
    return WorkspaceError(f"{location.url}: {exc}")
