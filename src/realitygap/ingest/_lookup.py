"""Reference checks against the workspace, run in the database (files may be large)."""

from __future__ import annotations

import uuid

import pandas as pd

from realitygap.store.workspace import Workspace


def known_mask(
    ws: Workspace, values: pd.Series, table: str, column: str, where: str = ""
) -> pd.Series:
    """True where ``values`` (None counts as known) is in ``table.column`` (filtered by SQL
    ``where``). Only the distinct values of the file travel to the database and back."""
    distinct = pd.DataFrame({"v": pd.Series(values.dropna().unique(), dtype=object)})
    if distinct.empty:
        return pd.Series(True, index=values.index)
    view = f"_ids_{uuid.uuid4().hex}"
    ws.con.register(view, distinct)
    try:
        condition = f" AND {where}" if where else ""
        unknown = ws.con.execute(
            f"SELECT v FROM {view} s WHERE NOT EXISTS (SELECT 1 FROM {table} t "
            f'WHERE t."{column}" = s.v{condition})'
        ).fetchdf()["v"]
    finally:
        ws.con.unregister(view)
    return values.isna() | ~values.isin(set(unknown))


def questions(ws: Workspace) -> pd.DataFrame:
    """The workspace's questions (a small table): question_id, text, scale, audience."""
    frame: pd.DataFrame = ws.con.execute(
        "SELECT question_id, text, scale, audience FROM questions"
    ).fetchdf()
    return frame
