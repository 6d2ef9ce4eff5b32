"""Bulk writes of the simulated arrays into a fresh workspace.

Large tables travel as numeric columns (indices, days) and DuckDB builds the ids, timestamps
and labels in one ``INSERT INTO ... SELECT``; that keeps millions of rows fast and avoids
building millions of Python strings. The workspace must be empty (the simulator checks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from realitygap.simulate._common import DAY_S
from realitygap.store import write as store_write
from realitygap.store.workspace import Workspace

START_SQL = "TIMESTAMP '2024-01-01 00:00:00'"


def customer_id_sql(column: str, n: int) -> str:
    """SQL turning customer index ``column`` (0-based) into its id, e.g. C0000001."""
    width = max(7, len(str(n)))
    return f"printf('C%0{width}d', {column} + 1)"


def customer_ids(index: np.ndarray, n: int) -> list[str]:
    """The same ids as :func:`customer_id_sql`, in Python (for small arrays)."""
    width = max(7, len(str(n)))
    return [f"C{i + 1:0{width}d}" for i in index.tolist()]


def staff_id_sql(column: str) -> str:
    return f"printf('S%05d', {column} + 1)"


def timestamp_sql(column: str) -> str:
    """SQL turning a day offset since the start (DOUBLE, NULL allowed) into a TIMESTAMP."""
    return f"{START_SQL} + to_microseconds(CAST(round({column} * {DAY_S * 1e6}) AS BIGINT))"


def labels(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pd.Categorical[str]:
    """Integer codes -> a categorical column DuckDB reads as text (-1 = NULL)."""
    out: pd.Categorical[str] = pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int32), categories=pd.Index(list(names))
    )
    return out


def insert(ws: Workspace, table: str, frame: pd.DataFrame, select: dict[str, str]) -> int:
    """INSERT INTO ``table`` the columns of ``select`` computed by DuckDB over ``frame``, in
    bounded slices (ids computed from a column of ``frame`` stay global)."""
    return store_write.insert_computed(ws, table, frame, select)
