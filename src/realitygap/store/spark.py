"""The Spark connection of a workspace, shaped like the DuckDB one the store speaks to.

A Spark workspace is a warehouse path: every table is a set of Parquet directories under
``PATH/<table>/``, and ``PATH/_log/`` says which. The log is a folder of Parquet files, one per
commit, each listing what the commit did: a table's columns (``schema``), a directory added
(``append``), the table replaced by one directory (``replace``, empty for none) or dropped
(``drop``). A table is the fold of the log over commits in order.

**Atomic means**: a commit's data directories are written first, under new names nothing
refers to yet; the commit becomes visible only when its one log file appears, by a single
rename (``os.replace`` for a local path; Spark's file committer renaming its one output file
under Spark Connect). A process that dies before leaves directories no log entry names, so
readers never see half an import. There is no lock: a Spark workspace has one writer at a
time (readers any time); two writers' appends both land, and of two replacements the later
commit wins.

:class:`SparkConnection` runs the store's statements (written once, in DuckDB's dialect with
``?``/``$name`` parameters) on a Spark session of its own (``newSession()`` of the process's
local session, or a Spark Connect session), where every table is a temporary view over its
directories. It understands the statements the store issues: queries, ``CREATE TABLE``
(columns, or ``AS`` a query), ``ALTER TABLE ... ADD COLUMN``, ``INSERT INTO ... SELECT`` or
``VALUES``, ``DELETE FROM`` (the kept rows written to a new directory), ``UPDATE ... FROM``
a view matched on a key, ``UPDATE ... SET col = ? ... WHERE``, ``DROP TABLE``; anything
else is a clear error.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from realitygap.domain.errors import WorkspaceError
from realitygap.store.location import SparkLocation

LOG_DIR = "_log"
LOG_SCHEMA = "commit STRING, seq INT, tbl STRING, kind STRING, value STRING"
# a local session's shuffle width: the default 200 tasks per shuffle dominate small queries
LOCAL_SHUFFLE_PARTITIONS = "4"
# the column of :meth:`SparkConnection.map_into`'s output that names each row's table
TABLE_COLUMN = "_table"
# the Python exception's own last line in the text of a failed Spark task
_PYTHON_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)\b.*)$", re.M)

PageFunction = Callable[[Iterator[pd.DataFrame]], Iterator[tuple[pd.DataFrame, ...]]]

_NAME = r'"?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"?'
_CREATE_AS = re.compile(
    rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?P<temp>TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"{_NAME}\s+AS\s+(?P<query>.*)$",
    re.I | re.S,
)
_CREATE = re.compile(
    rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?P<temp>TEMP(?:ORARY)?\s+)?TABLE\s+"
    rf"(?P<exists>IF\s+NOT\s+EXISTS\s+)?{_NAME}\s*\((?P<cols>.*)\)$",
    re.I | re.S,
)
_ALTER = re.compile(
    rf'^ALTER\s+TABLE\s+{_NAME}\s+ADD\s+COLUMN\s+(?:"(?P<quoted>[^"]+)"|(?P<plain>\w+))\s+'
    r"(?P<type>\w+)$",
    re.I | re.S,
)
_INSERT = re.compile(
    rf"^INSERT\s+INTO\s+{_NAME}\s*(?:\((?P<cols>[^)]*)\)\s*)?(?P<query>(?:SELECT|WITH|VALUES)\b.*)$",
    re.I | re.S,
)
_DELETE = re.compile(rf"^DELETE\s+FROM\s+{_NAME}(?:\s+WHERE\s+(?P<where>.*))?$", re.I | re.S)
_DROP = re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}$", re.I | re.S)
_UPDATE_FROM = re.compile(
    rf'^UPDATE\s+{_NAME}\s+SET\s+"?(?P<col>\w+)"?\s*=\s*v\."?(?P<src>\w+)"?\s+FROM\s+'
    r'(?P<view>\w+)\s+v\s+WHERE\s+(?P=name)\."?(?P<key>\w+)"?\s*=\s*v\."?(?P<vkey>\w+)"?$',
    re.I | re.S,
)
_UPDATE_SET = re.compile(
    rf'^UPDATE\s+{_NAME}\s+SET\s+(?P<cols>"?\w+"?\s*=\s*\?(?:\s*,\s*"?\w+"?\s*=\s*\?)*)'
    r"\s+WHERE\s+(?P<where>.*)$",
    re.I | re.S,
)
_QUERY = re.compile(r"^\(?\s*(SELECT|WITH|VALUES|FROM)\b", re.I)
_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NOT_NULL = re.compile(r"\s+NOT\s+NULL\b", re.I)

# Arrow types of the Spark column types a workspace uses (the direct Parquet write)
_ARROW = {
    "string": pa.string(),
    "double": pa.float64(),
    "float": pa.float32(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "boolean": pa.bool_(),
    "timestamp_ntz": pa.timestamp("us"),
    "date": pa.date32(),
}


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _ddl(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{_quote(n)} {t}" for n, t in columns)


def local_session() -> Any:
    """The process's local Spark session (``REALITYGAP_SPARK_MASTER``, default ``local[2]``),
    started on first use: a JVM per process, shared by every workspace through
    ``newSession()`` (each with its own temporary views)."""
    from pyspark.sql import SparkSession

    # the executors' Python: this interpreter (where realitygap is installed) unless
    # PYSPARK_PYTHON names another; PySpark's default is whatever `python3` is on the PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(os.environ.get("REALITYGAP_SPARK_MASTER", "local[2]"))
        .appName("realitygap")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", LOCAL_SHUFFLE_PARTITIONS)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    # a failed query is raised to Python, which says what went wrong; Spark's own log of it
    # (a Java stack trace on stderr) would bury the message
    session.sparkContext.setLogLevel("FATAL")
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return session


def _float_literals_as_doubles() -> None:
    """Ibis 12 writes a float literal as ``100.0``, which Spark reads as a DECIMAL: a sum or
    mean over it then reaches pandas as ``decimal.Decimal`` objects where Ibis promised
    float64. Every finite float literal is cast to DOUBLE instead (once per process)."""
    import math

    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if getattr(PySparkCompiler, "_realitygap_doubles", False):
        return
    original = PySparkCompiler.visit_NonNullLiteral

    def visit_NonNullLiteral(self: Any, op: Any, *, value: Any, dtype: Any) -> Any:
        result = original(self, op, value=value, dtype=dtype)
        if dtype.is_floating() and math.isfinite(value):
            return self.cast(result, dtype)
        return result

    PySparkCompiler.visit_NonNullLiteral = visit_NonNullLiteral  # type: ignore[method-assign]
    PySparkCompiler._realitygap_doubles = True  # type: ignore[attr-defined]


def _epoch_seconds_with_fraction() -> None:
    """Ibis 12 compiles ``epoch_seconds()`` for Spark to ``unix_timestamp``, which drops the
    fraction of a second, where DuckDB's ``epoch`` and PostgreSQL's ``EXTRACT(epoch ...)``
    keep the microseconds: a case's hours to resolution then differed in the sixth digit.
    Spark's ``unix_micros`` over 10^6 keeps them too (once per process)."""
    import ibis.expr.datatypes as dt
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if getattr(PySparkCompiler, "_realitygap_epoch", False):
        return

    def visit_ExtractEpochSeconds(self: Any, op: Any, *, arg: Any) -> Any:
        # BIGINT / INT is a DOUBLE on Spark: exact to the microsecond (below 2^53 us)
        return self.f.unix_micros(self.cast(arg, dt.timestamp)) / 1_000_000

    PySparkCompiler.visit_ExtractEpochSeconds = visit_ExtractEpochSeconds  # type: ignore[method-assign]
    PySparkCompiler._realitygap_epoch = True  # type: ignore[attr-defined]


def ibis_backend(con: SparkConnection) -> Any:
    """The Ibis backend over the connection's session. Under ibis 12 the PySpark backend's
    ``Table.cache()`` does not register the expression's ``ibis.memtable`` tables first (its
    query then names a view that does not exist): they are registered here before caching."""
    import ibis

    _float_literals_as_doubles()
    _epoch_seconds_with_fraction()
    backend = ibis.pyspark.connect(con.session)
    create_cached = backend._create_cached_table

    def _create_cached_table(name: str, expr: Any) -> Any:
        backend._run_pre_execute_hooks(expr)
        return create_cached(name, expr)

    backend._create_cached_table = _create_cached_table
    return backend


def _session(location: SparkLocation) -> Any:
    try:
        if location.remote is None:
            session = local_session().newSession()
            session.conf.set("spark.sql.shuffle.partitions", LOCAL_SHUFFLE_PARTITIONS)
        else:
            from pyspark.sql import SparkSession

            session = SparkSession.builder.remote(location.remote).create()
    except ImportError:
        raise WorkspaceError(
            f"{location.url}: a Spark workspace needs PySpark: pip install 'realitygap[spark]'"
        ) from None
    except Exception as exc:  # Java missing, server unreachable: say which, not a traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkspaceError(f"{location.url}: cannot start or reach Spark ({first})") from None
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.ansi.enabled", "true")
    # the store quotes identifiers as SQL does ("name"); Spark's default reads them as strings
    session.conf.set("spark.sql.ansi.doubleQuotedIdentifiers", "true")
    return session


@dataclass
class _Table:
    columns: list[tuple[str, str]]
    parts: list[str] = field(default_factory=list)


class SparkResult:
    """The result of one query: DuckDB's ``fetchone``/``fetchall``/``df``."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    @property
    def description(self) -> list[tuple[str]]:
        return [(c,) for c in self._frame.columns]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._frame.take(1)
        return tuple(rows[0]) if rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._frame.collect()]

    def df(self) -> pd.DataFrame:
        frame: pd.DataFrame = self._frame.toPandas()
        return frame

    fetchdf = df


class SparkConnection:
    """One workspace's Spark session, its tables as temporary views over the directories the
    log names, and the store's statements run on it (module docstring)."""

    def __init__(self, location: SparkLocation) -> None:
        self.location = location
        self.path = location.path
        self.session = _session(location)
        self._committed: dict[str, _Table] = {}
        self._state: dict[str, _Table] = {}
        self._temps: set[str] = set()
        self._pending: list[tuple[str, str, str]] | None = None
        self._written: list[str] = []
        self._load_log()

    # ---- the log -----------------------------------------------------------------------------
    @property
    def local(self) -> bool:
        return self.location.remote is None

    def _load_log(self) -> None:
        log = f"{self.path}/{LOG_DIR}"
        if self.local:
            if not os.path.isdir(log):
                return
            frame = pq.read_table(log).to_pandas() if os.listdir(log) else pd.DataFrame()
        else:
            try:
                frame = self.session.read.schema(LOG_SCHEMA).parquet(log).toPandas()
            except Exception as exc:
                if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
                    return
                raise
        if frame.empty:
            return
        for row in frame.sort_values(["commit", "seq"]).itertuples():
            self._apply(self._state, str(row.tbl), str(row.kind), str(row.value))
        self._committed = _copy(self._state)
        for name in self._state:
            self._register(name)

    @staticmethod
    def _apply(state: dict[str, _Table], table: str, kind: str, value: str) -> None:
        if kind == "schema":
            columns = [(str(n), str(t)) for n, t in json.loads(value)]
            parts = state[table].parts if table in state else []
            state[table] = _Table(columns, list(parts))
        elif kind == "append":
            state[table].parts.append(value)
        elif kind == "replace":
            state[table].parts = [value] if value else []
        elif kind == "drop":
            state.pop(table, None)

    def _record(self, table: str, kind: str, value: str) -> None:
        assert self._pending is not None
        self._apply(self._state, table, kind, value)
        self._pending.append((table, kind, value))
        if kind == "drop":
            self._drop_view(table)
        else:
            self._register(table)

    def _write_log(self, entries: list[tuple[str, str, str]]) -> None:
        commit = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        rows = [(commit, i, t, k, v) for i, (t, k, v) in enumerate(entries)]
        log = f"{self.path}/{LOG_DIR}"
        if self.local:
            os.makedirs(log, exist_ok=True)
            names = ["commit", "seq", "tbl", "kind", "value"]
            table = pa.table([pa.array([r[i] for r in rows]) for i in range(5)], names=names).cast(
                pa.schema(
                    [
                        ("commit", pa.string()),
                        ("seq", pa.int32()),
                        ("tbl", pa.string()),
                        ("kind", pa.string()),
                        ("value", pa.string()),
                    ]
                )
            )
            hidden = f"{log}/.{commit}.parquet.tmp"
            pq.write_table(table, hidden)
            os.replace(hidden, f"{log}/{commit}.parquet")  # the commit: one rename
            return
        frame = self.session.createDataFrame(rows, LOG_SCHEMA)
        frame.coalesce(1).write.mode("append").parquet(log)

    # ---- views -------------------------------------------------------------------------------
    def _register(self, name: str) -> None:
        table = self._state[name]
        ddl = _ddl(table.columns)
        if table.parts:
            dirs = [f"{self.path}/{name}/{p}" for p in table.parts]
            frame = self.session.read.schema(ddl).parquet(*dirs)
        else:
            frame = self.session.createDataFrame([], ddl)
        frame.createOrReplaceTempView(name)

    def _drop_view(self, name: str) -> None:
        self.session.catalog.dropTempView(name)

    def has_table(self, name: str) -> bool:
        """Whether the workspace has the stored table ``name``."""
        return name in self._state

    def count(self, name: str) -> int | None:
        """0 for a stored table without data directories (no Spark job needed), else None."""
        table = self._state.get(name)
        return 0 if table is not None and not table.parts else None

    def has_temp(self, name: str) -> bool:
        return name in self._temps

    def columns(self, name: str) -> list[str]:
        return [n for n, _ in self._state[name].columns]

    # ---- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write inside lands in one commit, or none does; nested blocks join the
        outer one."""
        if self._pending is not None:
            yield
            return
        self._pending, self._written = [], []
        try:
            yield
        except BaseException:
            self._pending = None
            touched = set(self._state) | set(self._committed)
            self._state = _copy(self._committed)
            for name in touched:
                if name in self._state:
                    self._register(name)
                else:
                    self._drop_view(name)
            if self.local:  # directories no commit names: remove them
                for d in self._written:
                    shutil.rmtree(d, ignore_errors=True)
            raise
        entries, self._pending = self._pending, None
        if entries:
            self._write_log(entries)
        self._committed = _copy(self._state)

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self.transaction():
            yield

    def _new_part(self, table: str) -> tuple[str, str]:
        part = uuid.uuid4().hex
        directory = f"{self.path}/{table}/{part}"
        self._written.append(directory)
        return part, directory

    def _write_frame(self, table: str, frame: Any, kind: str = "append") -> None:
        """Write the Spark DataFrame ``frame`` (aligned to ``table``) as a new directory."""
        part, directory = self._new_part(table)
        frame.write.mode("error").parquet(directory)  # a new name: never overwrites
        self._record(table, kind, part)

    def _aligned(self, table: str, frame: Any, names: list[str] | None) -> Any:
        """``frame``'s columns renamed to ``names`` (positionally; the table's columns when
        None), missing columns NULL, everything cast to the table's types, in its order."""
        from pyspark.sql import functions as F

        target = self._state[table].columns if table in self._state else None
        columns = self.columns(table) if names is None and target else names
        if columns is not None:
            frame = frame.toDF(*columns[: len(frame.columns)])
        if target is None:
            return frame
        present = set(frame.columns)
        return frame.select(
            *[
                (F.col(_quote(n)) if n in present else F.lit(None)).cast(t).alias(n)
                for n, t in target
            ]
        )

    # ---- the statements ----------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        from realitygap.store.schema import for_dialect

        text = sql.strip().rstrip(";").strip()
        args = self._args(params)
        if isinstance(params, dict):
            text = _NAMED.sub(lambda m: f":{m.group(1)}", text)
        if _QUERY.match(text):
            return SparkResult(self.session.sql(text, args=args))
        if text[:6].upper() in ("CREATE", "ALTER "):
            text = for_dialect(text, "spark")
        if m := _CREATE_AS.match(text):
            self._create_as(m.group("name"), m.group("query"), args, bool(m.group("temp")))
        elif m := _CREATE.match(text):
            self._create(m.group("name"), m.group("cols"), bool(m.group("temp")))
        elif m := _ALTER.match(text):
            column = m.group("quoted") or m.group("plain")
            self._alter(m.group("name"), column, for_dialect(m.group("type"), "spark"))
        elif m := _INSERT.match(text):
            names = (
                [c.strip().strip('"') for c in m.group("cols").split(",")]
                if m.group("cols")
                else None
            )
            self._insert(m.group("name"), names, m.group("query"), args)
        elif m := _DELETE.match(text):
            self._delete(m.group("name"), m.group("where"), args)
        elif m := _UPDATE_FROM.match(text):
            self._update_from(m)
        elif m := _UPDATE_SET.match(text):
            self._update_set(m, args)
        elif m := _DROP.match(text):
            self._drop(m.group("name"))
        elif text.upper().startswith("SET "):
            pass  # engine settings of DuckDB's (memory limits) have no Spark meaning here
        else:
            first = " ".join(text.split()[:3])
            raise WorkspaceError(
                f"{self.location.url}: not available on a Spark workspace ({first} ...)"
            )
        return SparkResult(self.session.createDataFrame([], "ok BOOLEAN"))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction():
            for row in rows:
                self.execute(sql, list(row))

    @staticmethod
    def _args(params: Sequence[Any] | dict[str, Any] | None) -> Any:
        if params is None:
            return None
        return dict(params) if isinstance(params, dict) else list(params)

    def _create(self, name: str, cols: str, temporary: bool) -> None:
        columns = _parse_columns(cols)
        if temporary:
            self.session.createDataFrame([], _ddl(columns)).createOrReplaceTempView(name)
            self._temps.add(name)
            return
        if name in self._state:
            return  # CREATE TABLE IF NOT EXISTS (the migrations never create one twice)
        with self._write():
            self._record(name, "schema", json.dumps(columns))

    def _create_as(self, name: str, query: str, args: Any, temporary: bool) -> None:
        frame = self.session.sql(query, args=args)
        if temporary:
            frame.localCheckpoint(eager=True).createOrReplaceTempView(name)
            self._temps.add(name)
            return
        columns = [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]
        with self._write():
            self._record(name, "schema", json.dumps(columns))
            self._write_frame(name, frame, "replace")

    def _alter(self, name: str, column: str, kind: str) -> None:
        columns = [*self._state[name].columns, (column, kind.lower())]
        with self._write():
            self._record(name, "schema", json.dumps(columns))

    def _insert(self, name: str, names: list[str] | None, query: str, args: Any) -> None:
        frame = self.session.sql(query, args=args)
        if name in self._temps:
            old = self.session.table(name)
            new = old.unionByName(
                frame.toDF(*(names or old.columns[: len(frame.columns)])), allowMissingColumns=True
            )
            new.localCheckpoint(eager=True).createOrReplaceTempView(name)
            return
        with self._write():
            self._write_frame(name, self._aligned(name, frame, names))

    def _delete(self, name: str, where: str | None, args: Any) -> None:
        with self._write():
            if where is None:
                self._record(name, "replace", "")
                return
            kept = self.session.sql(
                f"SELECT * FROM {_quote(name)} WHERE NOT coalesce(({where}), false)", args=args
            )
            self._write_frame(name, kept, "replace")

    def _update_from(self, m: re.Match[str]) -> None:
        name, col = m.group("name"), m.group("col")
        select = ", ".join(
            f"CASE WHEN v._matched THEN v._value ELSE t.{_quote(c)} END AS {_quote(c)}"
            if c == col
            else f"t.{_quote(c)}"
            for c in self.columns(name)
        )
        query = (
            f"SELECT {select} FROM {_quote(name)} t LEFT JOIN (SELECT {_quote(m.group('vkey'))} "
            f"AS _key, {_quote(m.group('src'))} AS _value, true AS _matched FROM "
            f"{m.group('view')}) v ON t.{_quote(m.group('key'))} = v._key"
        )
        with self._write():
            self._write_frame(name, self._aligned(name, self.session.sql(query), None), "replace")

    def _update_set(self, m: re.Match[str], args: Any) -> None:
        """``UPDATE t SET a = ?, b = ? WHERE cond``: the table rewritten to a new directory,
        the new values where ``cond`` holds. The values are selected before the condition,
        so the positional parameters keep the statement's order."""
        name = m.group("name")
        targets = [c.split("=")[0].strip().strip('"') for c in m.group("cols").split(",")]
        values = ", ".join(f"? AS _v{i}" for i in range(len(targets)))
        inner = (
            f"SELECT {values}, coalesce(({m.group('where')}), false) AS _matched, t.* "
            f"FROM {_quote(name)} t"
        )
        select = ", ".join(
            f"CASE WHEN _matched THEN _v{targets.index(c)} ELSE {_quote(c)} END AS {_quote(c)}"
            if c in targets
            else _quote(c)
            for c in self.columns(name)
        )
        frame = self.session.sql(f"SELECT {select} FROM ({inner}) u", args=args)
        with self._write():
            self._write_frame(name, self._aligned(name, frame, None), "replace")

    def _drop(self, name: str) -> None:
        if name in self._temps:
            self._temps.discard(name)
            self._drop_view(name)
        elif name in self._state:
            with self._write():
                self._record(name, "drop", "")

    # ---- frames ------------------------------------------------------------------------------
    def register(self, name: str, rows: pd.DataFrame | pa.Table) -> None:
        """``rows`` as the temporary view ``name`` (dropped by :meth:`unregister`)."""
        self._frame(rows).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self._drop_view(name)

    def _frame(self, rows: pd.DataFrame | pa.Table) -> Any:
        from realitygap.store.postgres import to_arrow

        table = to_arrow(rows)
        if table.num_rows == 0:
            ddl = _ddl([(f.name, _spark_type(f.type)) for f in table.schema])
            return self.session.createDataFrame([], ddl)
        return self.session.createDataFrame(table.to_pandas())

    def append(self, table: str, rows: pd.DataFrame | pa.Table) -> int:
        """Append ``rows`` to ``table`` (its columns by name, the others NULL) as one new
        Parquet directory: written by Arrow straight to a local path, through a DataFrame
        made from Arrow under Spark Connect. Returns the rows written."""
        from realitygap.store.postgres import to_arrow

        data = to_arrow(rows)
        if data.num_rows == 0:
            return 0
        columns = self._state[table].columns
        arrow_types = [_ARROW.get(t.lower()) for _, t in columns]
        with self._write():
            if self.local and all(arrow_types):
                arrays = []
                for (n, _), kind in zip(columns, arrow_types, strict=True):
                    if n in data.column_names:
                        arrays.append(_cast(data.column(n), kind, table, n))
                    else:
                        arrays.append(pa.nulls(data.num_rows, kind))
                out = pa.table(arrays, names=[n for n, _ in columns])
                part, directory = self._new_part(table)
                os.makedirs(directory)
                pq.write_table(out, f"{directory}/part-00000.parquet")
                self._record(table, "append", part)
            else:
                frame = self._frame(data)
                self._write_frame(table, self._aligned(table, frame, list(data.column_names)))
        return int(data.num_rows)

    def pages(
        self, sql: str, params: dict[str, Any] | None, batch_size: int
    ) -> Iterator[pd.DataFrame]:
        """The rows of ``sql`` in pages of ``batch_size``: Spark's result arrives as Arrow
        batches, cut into pages here."""
        text = _NAMED.sub(lambda m: f":{m.group(1)}", sql) if params else sql
        table = self.session.sql(text, args=self._args(params)).toArrow()
        for batch in table.to_batches(max_chunksize=batch_size):
            if batch.num_rows:
                yield batch.to_pandas()

    def map_into(
        self, sql: str, fn: PageFunction, tables: Sequence[str], rows_per_partition: int
    ) -> dict[str, int]:
        """Run ``fn`` inside Spark over the rows of ``sql`` and append what it yields to
        ``tables``, in one commit; returns the rows appended per table.

        The rows are cut into partitions of about ``rows_per_partition`` and each partition
        is handed to ``fn`` on an executor (``mapInPandas``) as an iterator of pandas frames;
        ``fn`` yields one frame per table for each (``tables``' order, its columns by name).
        ``fn`` travels to the executors pickled, with what it holds (so it must be picklable
        and need nothing the executors lack). The output is computed once (persisted, memory
        then disk), counted per table, then written by Spark as one new directory per table
        and committed by the log like any write: readers see all of it or none. Only those
        counts come back to the driver. A failure in ``fn`` leaves nothing committed and is
        raised as :class:`WorkspaceError` with the Python error's own line.
        """
        from pyspark.sql import functions as F

        columns = self._union_columns(tables)
        source = self.session.sql(sql)
        rows = self._on_spark(source.count)
        if not rows:
            return {t: 0 for t in tables}
        schema = _ddl([(TABLE_COLUMN, "string"), *columns])
        mapper = _IntoTables(fn, tuple(tables), tuple(n for n, _ in columns))
        partitions = max(1, math.ceil(rows / rows_per_partition))
        mapped = self._computed_once(source.repartition(partitions).mapInPandas(mapper, schema))
        try:
            found = self._on_spark(lambda: mapped.groupBy(TABLE_COLUMN).count().collect())
            counts = {t: 0 for t in tables} | {str(r[0]): int(r[1]) for r in found}
            with self.transaction():
                for table in tables:
                    if counts[table]:
                        rows_of = mapped.filter(F.col(TABLE_COLUMN) == table).select(
                            *[
                                F.col(_quote(n)).cast(t).alias(n)
                                for n, t in self._state[table].columns
                            ]
                        )
                        self._on_spark(functools.partial(self._write_frame, table, rows_of))
        finally:
            if self.local:  # a checkpoint's blocks go when its DataFrame does (Spark Connect)
                mapped.unpersist()
        return counts

    def _computed_once(self, mapped: Any) -> Any:
        """``mapped``, kept so that the counts and every table's write read one computation.

        A local session binds a DataFrame's views when it is made, so persisting it (memory,
        then disk) is enough: a lost block is recomputed from the same plan. Spark Connect
        resolves a DataFrame's SQL on the server again each time it runs, against the views as
        they are then: once the first table's directory joins its view, a recomputed source
        (the documents *not yet tagged*) is empty, and the second table read back empty
        (tagging's ``document_aspects``). There the output is checkpointed (computed now and
        kept on the executors, memory then disk) before anything is written."""
        from pyspark import StorageLevel

        if self.local:
            return mapped.persist(StorageLevel.MEMORY_AND_DISK)
        return self._on_spark(
            lambda: mapped.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        )

    def _union_columns(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """Every column of ``tables`` once, by name; a name must have one type in all."""
        union: dict[str, str] = {}
        for table in tables:
            for name, kind in self._state[table].columns:
                if union.setdefault(name, kind) != kind:
                    raise WorkspaceError(
                        f"{self.location.url}: {table}.{name} is {kind}, elsewhere {union[name]}"
                    )
        return list(union.items())

    def _on_spark(self, run: Callable[[], Any]) -> Any:
        """``run()``, a Spark job whose Python code failed raised as the Python error's line
        (Spark's own message is pages of JVM and worker stack)."""
        from pyspark.errors import PySparkException

        try:
            return run()
        except PySparkException as exc:
            text = str(exc)
            if "Traceback (most recent call last)" not in text:
                raise
            found = _PYTHON_ERROR.findall(text.split("Traceback (most recent call last)")[-1])
            what = found[-1].strip() if found else text.strip().splitlines()[0]
            raise WorkspaceError(
                f"{self.location.url}: failed inside Spark, nothing was written ({what})"
            ) from None

    def close(self) -> None:
        if not self.local:
            self.session.stop()
            # PySpark's Connect client shuts a pool every Connect session of the process
            # shares each time a client closes, and a stopped session closes its client again
            # when it is garbage-collected: that can land inside a later session's query
            # ("cannot schedule new futures after shutdown", seen reopening a warehouse).
            # stop() has closed it; any later close of this client does nothing.
            self.session.client.close = _closed_already
            return
        for name in [*self._state, *self._temps]:
            self._drop_view(name)


class _IntoTables:
    """The function ``mapInPandas`` runs (:meth:`SparkConnection.map_into`): ``fn``'s frames,
    one per table, as rows of the union of the tables' columns with the table's name in
    :data:`TABLE_COLUMN`. Top-level, so that executors import it rather than unpickle code."""

    def __init__(self, fn: PageFunction, tables: tuple[str, ...], columns: tuple[str, ...]):
        self.fn, self.tables, self.columns = fn, tables, columns

    def __call__(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frames in self.fn(batches):
            for table, frame in zip(self.tables, frames, strict=True):
                if not len(frame):
                    continue
                frame = frame.reset_index(drop=True)
                empty = pd.Series([None] * len(frame), dtype=object)
                out = pd.DataFrame({c: frame.get(c, empty) for c in self.columns})
                out.insert(0, TABLE_COLUMN, table)
                yield out


def _closed_already() -> None:
    """The ``close`` of a Spark Connect client that :meth:`SparkConnection.close` closed."""


def _copy(state: dict[str, _Table]) -> dict[str, _Table]:
    return {k: _Table(list(v.columns), list(v.parts)) for k, v in state.items()}


def _parse_columns(cols: str) -> list[tuple[str, str]]:
    """(name, type) of a column list such as ``a STRING NOT NULL, b DOUBLE``."""
    columns = []
    for item in cols.split(","):
        words = _NOT_NULL.sub("", item).split()
        columns.append((words[0].strip('"`'), " ".join(words[1:]).lower()))
    return columns


def _spark_type(kind: pa.DataType) -> str:
    for name, arrow in _ARROW.items():
        if arrow == kind:
            return name
    if pa.types.is_timestamp(kind):
        return "timestamp_ntz"
    return "string"


def _cast(column: pa.ChunkedArray, kind: pa.DataType, table: str, name: str) -> pa.ChunkedArray:
    try:
        if pa.types.is_timestamp(kind) and pa.types.is_timestamp(column.type):
            return column.cast(kind, safe=False)  # nanoseconds to the stored microseconds
        return column.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise WorkspaceError(
            f"{table}.{name}: cannot store {column.type} as {kind} ({exc})"
        ) from None
