"""Set one column of existing rows, matched on a key column (the simulator's planted text)."""

from __future__ import annotations

import uuid

import pandas as pd

from realitygap.store.workspace import Workspace


def set_column(ws: Workspace, table: str, key: str, column: str, frame: pd.DataFrame) -> int:
    """Set ``table.column`` to ``frame[column]`` on the rows whose ``key`` is in
    ``frame[key]``, in one statement; return how many rows ``frame`` holds."""
    for name in (key, column):
        if name not in ws.columns(table) or name not in frame.columns:
            raise ValueError(f"{table}: column {name!r} missing in the table or the frame")
    if frame.empty:
        return 0
    view = f"_set_{uuid.uuid4().hex}"
    ws.con.register(view, frame[[key, column]])
    try:
        ws.con.execute(
            f'UPDATE {table} SET "{column}" = v."{column}" FROM {view} v '
            f'WHERE {table}."{key}" = v."{key}"'
        )
    finally:
        ws.con.unregister(view)
    ws.changed()
    return len(frame)
