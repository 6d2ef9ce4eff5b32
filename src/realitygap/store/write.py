"""Bulk writes into workspace tables, idempotent on each table's natural key."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pyarrow as pa

from realitygap.store.schema import KEYS
from realitygap.store.workspace import Workspace


def ensure_columns(ws: Workspace, table: str, columns: list[str]) -> list[str]:
    """Add missing columns to ``table`` as VARCHAR (segment attributes). Returns those added."""
    existing = set(ws.columns(table))
    added = [c for c in columns if c not in existing]
    for col in added:
        ws.con.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" VARCHAR')
    return added


def insert_new(ws: Workspace, table: str, rows: pd.DataFrame | pa.Table) -> int:
    """Insert the rows of ``rows`` whose key is not yet in ``table``; return how many landed.

    Columns of ``table`` absent from ``rows`` are NULL. Call inside ``ws.transaction()`` when
    several writes must land together. Rows must already be validated (types, key unique).
    """
    columns = list(rows.column_names if isinstance(rows, pa.Table) else rows.columns)
    unknown = set(columns) - set(ws.columns(table))
    if unknown:
        raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
    view = f"_incoming_{uuid.uuid4().hex}"
    ws.con.register(view, rows)
    try:
        before = ws.count(table)
        key = KEYS[table]
        match = " AND ".join(f't."{k}" = s."{k}"' for k in key)
        cols = ", ".join(f'"{c}"' for c in columns)
        ws.con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        )
        ws.changed()
        return ws.count(table) - before
    finally:
        ws.con.unregister(view)


def append_row(ws: Workspace, table: str, values: list[Any]) -> None:
    """Append one row to ``table``, ``values`` in the order of its columns (bound as
    parameters, never spliced into the statement)."""
    marks = ", ".join("?" for _ in values)
    ws.con.execute(f"INSERT INTO {table} VALUES ({marks})", values)
    ws.changed()


def append_frame(ws: Workspace, table: str, frame: pd.DataFrame) -> None:
    """Append every row of ``frame`` to ``table`` (its columns by name, the others NULL), in
    one statement (COPY on PostgreSQL): call inside ``ws.transaction()`` to land it with
    other writes."""
    if ws.dialect == "postgres":
        from realitygap.store.postgres import copy_into

        copy_into(ws.con, table, frame)
    elif ws.dialect == "spark":  # Parquet written from Arrow, not a query per row
        ws.con.append(table, frame)
    else:
        view = f"_append_{uuid.uuid4().hex}"
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        ws.con.register(view, frame)
        try:
            ws.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        finally:
            ws.con.unregister(view)
    ws.changed()


SELECT_ROWS = 500_000  # rows handed to DuckDB per statement: bounds its conversion buffers


def insert_computed(
    ws: Workspace,
    table: str,
    frame: pd.DataFrame,
    select: dict[str, str],
    *,
    chunk_rows: int = SELECT_ROWS,
) -> int:
    """INSERT INTO ``table`` the columns of ``select``, each a DuckDB expression over the
    columns of ``frame`` (the simulator builds ids, timestamps and labels from numeric
    columns this way), in slices of ``chunk_rows`` rows so that the engine never converts the
    whole frame at once; returns the rows inserted. DuckDB workspaces only."""
    _require_duckdb(ws, "insert_computed")
    cols = ", ".join(f'"{c}"' for c in select)
    exprs = ", ".join(f'{expr} AS "{c}"' for c, expr in select.items())
    for start in range(0, len(frame), chunk_rows):
        view = f"_computed_{uuid.uuid4().hex}"
        ws.con.register(view, frame.iloc[start : start + chunk_rows])
        try:
            ws.con.execute(f"INSERT INTO {table} ({cols}) SELECT {exprs} FROM {view}")
        finally:
            ws.con.unregister(view)
    ws.changed()
    return len(frame)


def update_computed(
    ws: Workspace, table: str, frame: pd.DataFrame, key: str, select: dict[str, str]
) -> None:
    """UPDATE the rows of ``table`` whose ``key`` matches a row of ``frame``, setting each
    column of ``select`` (``key`` included, it is how rows match) to its DuckDB expression
    over the columns of ``frame``. DuckDB workspaces only."""
    _require_duckdb(ws, "update_computed")
    if key not in select:
        raise ValueError(f"update_computed: the key {key!r} must be one of the computed columns")
    exprs = ", ".join(f'{expr} AS "{c}"' for c, expr in select.items())
    sets = ", ".join(f'"{c}" = v."{c}"' for c in select if c != key)
    view = f"_computed_{uuid.uuid4().hex}"
    ws.con.register(view, frame)
    try:
        ws.con.execute(
            f"UPDATE {table} SET {sets} FROM (SELECT {exprs} FROM {view}) v "
            f'WHERE {table}."{key}" = v."{key}"'
        )
    finally:
        ws.con.unregister(view)
    ws.changed()


def _require_duckdb(ws: Workspace, what: str) -> None:
    if ws.dialect != "duckdb":
        raise ValueError(f"{what}: DuckDB expressions, this workspace is {ws.dialect}")


def delete_all(ws: Workspace, *tables: str) -> None:
    """Empty ``tables`` (their definitions stay): call inside ``ws.transaction()``."""
    for table in tables:
        ws.con.execute(f"DELETE FROM {table}")
    ws.changed()


def drop_tables(ws: Workspace, *tables: str) -> None:
    """Drop ``tables`` where they exist (derived or scratch tables, never a schema table)."""
    for table in tables:
        ws.con.execute(f"DROP TABLE IF EXISTS {table}")


def empty_temp_copy(ws: Workspace, name: str, like: str) -> None:
    """A fresh, empty temporary table ``name`` with the columns and types of ``like``
    (replacing one of that name: rows deleted from a temporary table keep their memory)."""
    cols = ", ".join(f'"{c}"' for c in ws.columns(like))
    create_table_as(ws, name, f"SELECT {cols} FROM {like} LIMIT 0", temporary=True)


def create_table_as(ws: Workspace, name: str, query: str, *, temporary: bool = False) -> None:
    """Create (or replace) the table ``name`` holding the rows of the SELECT ``query``."""
    kind = "TEMP TABLE" if temporary else "TABLE"
    if ws.dialect == "postgres":
        ws.con.execute(f"DROP TABLE IF EXISTS {name}")
        ws.con.execute(f"CREATE {kind} {name} AS {query}")
    else:
        ws.con.execute(f"CREATE OR REPLACE {kind} {name} AS {query}")


def copy_rows(ws: Workspace, source: str, target: str) -> None:
    """Append every row of ``source`` to ``target`` (the columns of ``target``, by name)."""
    cols = ", ".join(f'"{c}"' for c in ws.columns(target))
    ws.con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}")
    ws.changed()
