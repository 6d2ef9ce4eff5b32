"""A few rows to insert, as Python values: what one submission lands.

A pandas frame of three answers costs more to build and to read back (about 1.5 ms each on
the shared benchmark machine) than the SQL that stores it; the survey service passes these
instead (BENCHMARKS.md, "Survey service under load").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Rows:
    """Rows in ``columns`` order; a missing value is None or a float NaN."""

    columns: tuple[str, ...]
    values: list[list[Any]]

    def __len__(self) -> int:
        return len(self.values)

    @property
    def empty(self) -> bool:
        return not self.values

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, columns=list(self.columns))


def as_frame(rows: pd.DataFrame | Rows) -> pd.DataFrame:
    return rows.frame() if isinstance(rows, Rows) else rows
