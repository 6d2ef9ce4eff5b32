"""Collect every problem of a file, vectorised, and raise them together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from realitygap.domain.errors import Problem, SurveyDataError

MAX_PROBLEMS = 50  # problems listed in one error; the rest are counted


class Problems:
    """Problems found in one file. Checks add boolean masks; :meth:`raise_if_any` reports.

    Only the first ``MAX_PROBLEMS`` problems of each check are kept as records (the rest are
    counted), so a file with a million bad rows costs no more than one with fifty.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self._kept: list[tuple[int, int, Problem]] = []  # (row or -1, order, problem)
        self._total = 0

    def __len__(self) -> int:
        return self._total

    def add(self, row: int | None, column: str | None, value: object, expected: str) -> None:
        """One problem (a whole-file or header problem has ``row`` None)."""
        self._total += 1
        self._kept.append(
            (
                -1 if row is None else row,
                len(self._kept),
                Problem(self.file, row, column, value, expected),
            )
        )

    def add_rows(
        self,
        mask: pd.Series | np.ndarray,
        rows: np.ndarray,
        column: str | pd.Series,
        values: pd.Series | None,
        expected: str | pd.Series,
    ) -> None:
        """A problem for every row where ``mask`` is true.

        ``rows`` are the user-visible row numbers aligned with ``mask``; ``column``,
        ``values`` and ``expected`` are either one value or a Series aligned with it.
        """
        flags = np.asarray(mask, dtype=bool)
        hits = np.flatnonzero(flags)
        if hits.size == 0:
            return
        self._total += int(hits.size)
        first = hits[:MAX_PROBLEMS]
        for i in first:
            col = column.iloc[i] if isinstance(column, pd.Series) else column
            val = None if values is None else values.iloc[i]
            exp = expected.iloc[i] if isinstance(expected, pd.Series) else expected
            row = int(rows[i])
            self._kept.append((row, len(self._kept), Problem(self.file, row, col, val, str(exp))))

    def raise_if_any(self) -> None:
        """Raise one :class:`SurveyDataError` with every problem found, ordered by row."""
        if not self._total:
            return
        ordered = [p for _, _, p in sorted(self._kept, key=lambda t: (t[0], t[1]))]
        shown = ordered[:MAX_PROBLEMS]
        raise SurveyDataError(shown, truncated=self._total - len(shown))
