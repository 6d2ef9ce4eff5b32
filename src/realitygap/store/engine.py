"""The engine-specific pieces every layer above ``store/`` may ask for by name.

Analyses speak Ibis over the workspace's tables (:meth:`Workspace.table`). Where Ibis is too
slow or cannot say something, the statement lives here, behind a named function that takes
Ibis expressions or frames, so that this package is the only place with SQL and a backend
connection (docs/engines.md; tests/test_engine_boundary.py keeps it so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from realitygap.domain.errors import WorkspaceError
from realitygap.store.workspace import Workspace

AggregateKind = Literal["count", "sum", "sum_product", "corr", "regr_count"]


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of :func:`aggregate`: ``name`` is its output column; ``kind`` says what
    it reduces: ``count`` (rows, or non-NULL values of the one column given), ``sum`` and
    ``sum_product`` (the sum of the product of the columns given), ``corr`` (Pearson of two
    columns over rows where both are present), ``regr_count`` (rows where both are present)."""

    name: str
    kind: AggregateKind
    columns: tuple[str, ...] = ()

    def sql(self) -> str:
        cols = self.columns
        if self.kind == "count":
            body = f"COUNT({cols[0]})" if cols else "COUNT(*)"
        elif self.kind in ("sum", "sum_product"):
            body = f"SUM({' * '.join(cols)})"
        elif self.kind == "corr":
            body = f"corr({cols[0]}, {cols[1]})"
        else:
            body = f"regr_count({cols[0]}, {cols[1]})"
        return f"{body} AS {self.name}"


def _sql(ws: Workspace, expr: ir.Table) -> str:
    """The SQL of ``expr`` for the workspace's engine, its in-memory tables
    (``ibis.memtable``) registered first as Ibis does before it executes an expression (a
    statement run on the cursor would not find them otherwise)."""
    ws.backend._run_pre_execute_hooks(expr)
    return str(ibis.to_sql(expr, dialect=ws.backend.name))


def aggregate(
    ws: Workspace, rows: ir.Table, aggregates: Sequence[Aggregate], by: str | None = None
) -> pd.DataFrame:
    """The ``aggregates`` of ``rows`` in one engine pass: one row, or one per value of the
    column ``by`` (which leads the result). Many aggregates (a driver matrix has thousands)
    are written as plain SQL over the Ibis-compiled rows and run on the backend's cursor:
    Ibis needs seconds to compile and re-parse a thousand aggregates."""
    parts = ", ".join(a.sql() for a in aggregates)
    inner = _sql(ws, rows)
    query = (
        f"SELECT {by}, {parts} FROM ({inner}) AS rows GROUP BY {by}"
        if by is not None
        else f"SELECT {parts} FROM ({inner}) AS rows"
    )
    if ws.dialect == "spark":
        frame: pd.DataFrame = ws.con.execute(query).df()
        return frame
    cursor = ws.backend.raw_sql(query)
    names = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def cache_temp_table(ws: Workspace, name: str, expr: ir.Table) -> ir.Table:
    """``expr`` computed once into the connection's temporary table ``name`` (replacing
    one of that name), as an Ibis table."""
    from realitygap.store.write import create_table_as

    create_table_as(ws, name, _sql(ws, expr), temporary=True)
    if ws.dialect in ("postgres", "spark"):  # pg_temp first on the path; Spark's views
        return ws.backend.table(name)
    return ws.backend.table(name, database="temp")


def temp_table_exists(ws: Workspace, name: str) -> bool:
    """Whether the connection has the temporary table ``name`` (a rolled-back transaction
    drops one)."""
    if ws.dialect == "spark":
        return bool(ws.con.has_temp(name))
    if ws.dialect == "postgres":
        found = ws.con.execute("SELECT to_regclass(?) IS NOT NULL", [f"pg_temp.{name}"])
        return bool((found.fetchone() or (False,))[0])
    row = ws.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def stream(ws: Workspace, expr: ir.Table, batch_size: int = 1024) -> Iterator[pd.DataFrame]:
    """The rows of ``expr`` in pages of ``batch_size``, from one streaming query on a cursor
    of its own (:meth:`Workspace.pages`): one page in memory, nothing re-scanned per page,
    and statements run meanwhile on the workspace do not disturb it (DuckDB gives the cursor
    a snapshot). The cursor is a connection of its own: ``expr`` may read the workspace's
    stored tables, not a temporary table or an ``ibis.memtable`` of the main connection."""
    return ws.pages(_sql(ws, expr), batch_size=batch_size)


def maps_partitions(ws: Workspace) -> bool:
    """Whether the workspace's engine runs Python over its partitions (:func:`map_into`):
    Spark does, a local session or Spark Connect (whose executors then need realitygap
    installed); DuckDB and PostgreSQL hand the rows to the calling process instead."""
    return ws.dialect == "spark"


def map_into(
    ws: Workspace,
    rows: ir.Table,
    fn: Callable[[Iterator[pd.DataFrame]], Iterator[tuple[pd.DataFrame, ...]]],
    tables: Sequence[str],
    rows_per_partition: int,
) -> dict[str, int]:
    """Run ``fn`` inside the engine over ``rows``, partition by partition, and
    append what it yields to ``tables`` in one commit; returns the rows appended per table.

    ``fn`` gets a partition as an iterator of pandas frames and yields, for each, one frame
    per table (in ``tables``' order, their columns by name). It is pickled to the executors
    with what it holds. Spark only (:func:`maps_partitions`;
    :meth:`realitygap.store.spark.SparkConnection.map_into`).
    """
    if not maps_partitions(ws):
        raise WorkspaceError(f"{ws.where}: the {ws.dialect} engine runs no Python inside it")
    counts: dict[str, int] = ws.con.map_into(_sql(ws, rows), fn, tables, rows_per_partition)
    return counts


def set_memory_limit(ws: Workspace, limit: str) -> None:
    """Cap the engine's buffers for this connection (DuckDB's default is 80% of RAM), e.g.
    ``"2GB"``: a writer that streams in chunks stays bounded at any data size."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
        raise ValueError(f"memory limit: found {limit!r}, expected a size such as '2GB'")
    if ws.dialect in ("postgres", "spark"):  # the server's own configuration bounds it
        return
    ws.con.execute(f"SET memory_limit = '{limit}'")


def as_number(condition: ir.BooleanValue, type: str = "int64") -> ir.NumericValue:
    """1 where ``condition`` holds, 0 where it does not, NULL where it is NULL, as ``type``:
    what casting a boolean gives on DuckDB, in a form every engine accepts (PostgreSQL has no
    cast from boolean to bigint or double, and ibis 12 emits one)."""
    one = ibis.literal(1).cast(type)
    zero = ibis.literal(0).cast(type)
    result: ir.NumericValue = ibis.cases((condition, one), (~condition, zero))
    return result


@ibis.udf.scalar.builtin(name="md5")  # type: ignore[untyped-decorator,misc]
def _md5(value: str) -> str:  # type: ignore[empty-body]
    """The engine's own ``md5``: lower-case hex on DuckDB and PostgreSQL alike."""


def md5_hex(value: ir.StringValue) -> ir.StringValue:
    """The MD5 of ``value`` as 32 lower-case hex digits, computed in the engine: Ibis's
    ``hexdigest("md5")`` has no PostgreSQL rule under ibis 12, while both engines have the
    same ``md5`` function."""
    result: ir.StringValue = _md5(value)
    return result


_REGEX_META = re.compile(r"[.^$*+?()\[\]{}|\\]")


def has_word(text: ir.StringValue, words: Sequence[str]) -> ir.BooleanValue:
    """Whether ``text`` holds one of ``words`` (or phrases) as a whole word, in the engine.

    ``\\b`` is no word boundary on every engine: DuckDB (RE2) and Spark (Java) read it as
    one, PostgreSQL as a backspace, so a ``\\b...\\b`` search matched nothing there. The
    boundary is spelled as a character class instead, which all three read alike: a word
    starts at the text's start or after a character that is not an ASCII letter, digit or
    ``_`` (RE2's ``\\b``), and ends likewise. Give ``text`` lower-cased and ``words`` in
    lower case: the class lists lower-case letters only.
    """
    # only the metacharacters escaped: re.escape's "\\ " for a space is not RE2's to read
    alternatives = "|".join(_REGEX_META.sub(r"\\\g<0>", w) for w in words)
    found: ir.BooleanValue = text.re_search(f"(^|[^a-z0-9_])({alternatives})([^a-z0-9_]|$)")
    return found


@dataclass(frozen=True)
class EngineGap:
    """A known difference of one engine's results from DuckDB's: in ``family``'s result
    frame, ``columns`` may differ by up to ``tolerance`` (absolute), for the reason given.
    tests/test_engines.py checks each one as declared (within tolerance, and still real)."""

    engine: str
    family: str
    columns: tuple[str, ...]
    tolerance: float
    why: str


# Every engine gap, in one place (docs/scale.md repeats it). Everything not listed agrees
# with DuckDB to 1e-9 (relative) on the same workspace.
ENGINE_GAPS: tuple[EngineGap, ...] = (
    EngineGap(
        engine="postgres",
        family="drivers",
        columns=("share_low", "share_high", "normalised_low", "normalised_high"),
        tolerance=0.05,
        why=(
            "the grouped bootstrap puts respondents into buckets by the engine's own string "
            "hash (DuckDB's hash(), PostgreSQL's hashtext), so its replicates are different, "
            "equally valid draws: the percentile interval ends move by Monte Carlo error "
            "(a few points of share at 200 replicates); the estimates themselves agree"
        ),
    ),
    EngineGap(
        engine="spark",
        family="drivers",
        columns=("share_low", "share_high", "normalised_low", "normalised_high"),
        tolerance=0.05,
        why=(
            "as on PostgreSQL: the grouped bootstrap's buckets come from Spark's own string "
            "hash, so the replicates are other, equally valid draws; the estimates agree"
        ),
    ),
)
