"""Reference checks against the workspace, run in the database (files may be large)."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

from realitygap.store.workspace import Workspace

# A row filter of a workspace table, e.g. ``lambda t: t.kind == "staff"``.
RowFilter = Callable[[ir.Table], ir.BooleanValue]


def known_mask(
    ws: Workspace, values: pd.Series, table: str, column: str, where: RowFilter | None = None
) -> pd.Series:
    """True where ``values`` (None counts as known) is in ``table.column`` (among the rows
    ``where`` keeps). Only the distinct values of the file travel to the database and back."""
    distinct = pd.DataFrame({"v": pd.Series(values.dropna().unique(), dtype=object)})
    if distinct.empty:
        return pd.Series(True, index=values.index)
    known = ws.table(table)
    if where is not None:
        known = known.filter(where(known))
    incoming = ibis.memtable(distinct)
    unknown = incoming.anti_join(known, incoming.v == known[column]).to_pandas()["v"]
    return values.isna() | ~values.isin(set(unknown))


def questions(ws: Workspace) -> pd.DataFrame:
    """The workspace's questions (a small table): question_id, text, scale, audience."""
    frame: pd.DataFrame = (
        ws.table("questions").select("question_id", "text", "scale", "audience").to_pandas()
    )
    return frame
