"""The questions an export created (marked ``generated``), as the store reads and replaces
them: the SQL behind :mod:`realitygap.ingest._generated`."""

from __future__ import annotations

import uuid

import pandas as pd

from realitygap.store.workspace import Workspace


def generated_questions(ws: Workspace) -> pd.DataFrame:
    """The questions still marked generated, every column of the questions table, in the
    order they were written (DuckDB's rowid; PostgreSQL's ctid, the physical order of an
    append-only table)."""
    cols = ", ".join(f'"{c}"' for c in ws.columns("questions") if c != "generated")
    order = "ctid" if ws.dialect == "postgres" else "rowid"
    frame: pd.DataFrame = ws.con.execute(
        f"SELECT {cols} FROM questions WHERE generated ORDER BY {order}"
    ).fetchdf()
    return frame


def replace_generated(ws: Workspace, incoming: pd.DataFrame) -> int:
    """Delete the generated questions whose ids ``incoming`` names (inside the import's
    transaction, before its rows are inserted); return how many."""
    ids = pd.DataFrame({"question_id": incoming["question_id"].dropna().astype(str).unique()})
    if ids.empty:
        return 0
    view = f"_replace_{uuid.uuid4().hex}"
    ws.con.register(view, ids)
    try:
        where = f"generated AND question_id IN (SELECT question_id FROM {view})"
        (n,) = ws.con.execute(f"SELECT count(*) FROM questions WHERE {where}").fetchone() or (0,)
        ws.con.execute(f"DELETE FROM questions WHERE {where}")
    finally:
        ws.con.unregister(view)
    ws.changed()
    return int(n)


def generated_ids(ws: Workspace) -> set[str]:
    """The ids of the questions still marked generated."""
    rows = ws.con.execute("SELECT question_id FROM questions WHERE generated").fetchall()
    return {str(r[0]) for r in rows}
