"""Typed columns: parse a column of strings into ids, numbers, dates or enum values.

Each parser takes a column of strings (None = empty) and the row numbers, records a problem
for every cell that does not parse and returns the parsed column. Work is vectorised with
pandas; only the first problems of a column are turned into records (see ``Problems``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from realitygap.ingest._problems import Problems

# Tried in order after ISO 8601. Slash dates are month first, as the US survey tools export
# them (Google Forms, SurveyMonkey); other orders need ``date_format`` in a mapping file.
DATE_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)
DATE_EXPECTED = (
    "a date such as 2024-01-31, 2024-01-31 14:05:00, 2024-01-31T14:05:00Z or "
    "1/31/2024 2:05:00 PM (formats in docs/formats.md)"
)


class Kind(StrEnum):
    ID = "id"  # stripped string
    TEXT = "text"  # kept as written
    NUMBER = "number"
    DATETIME = "datetime"
    ENUM = "enum"  # case-insensitive, stored lower case


@dataclass(frozen=True)
class Field:
    """One column of an import format."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


def parse_datetime(values: pd.Series, extra_format: str | None = None) -> pd.Series:
    """Parse dates to naive UTC timestamps (offsets are converted); NaT where unparsable."""
    text = values.astype(object).where(values.notna(), None)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = text.notna()
    formats: list[str] = [extra_format] if extra_format else []
    if extra_format:
        parsed = pd.to_datetime(text[todo], format=extra_format, errors="coerce")
        out[todo] = parsed
        todo &= out.isna()
    if todo.any():
        iso = pd.to_datetime(text[todo], format="ISO8601", errors="coerce", utc=True)
        out[todo] = iso.dt.tz_convert(None)
        todo &= out.isna()
    for fmt in DATE_FORMATS:
        if fmt in formats or not todo.any():
            continue
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        todo &= out.isna()
    return out


# A number as people write it in a data file: ASCII digits, an optional sign, decimal point
# and exponent. Python's float() also takes "inf", "nan", "1_000" and other scripts' digits
# ("\u0663" is 3), none of which belongs in an amount or a rating.
_NUMBER = r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
NUMBER_EXPECTED = "a number (digits 0-9, a decimal point, finite)"


def parse_number(values: pd.Series) -> pd.Series:
    """Parse numbers (ASCII digits, a decimal point, no thousands separators); NaN where
    unparsable or not finite (``inf``, ``1e309``)."""
    present = values.notna()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    if not present.any():
        return out
    text = values[present].astype(str)
    written = text.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    numbers = np.full(len(text), np.nan)
    with np.errstate(over="ignore"):
        numbers[written] = text[written].astype("float64").to_numpy()
    numbers[~np.isfinite(numbers)] = np.nan
    out[present] = numbers
    return out


def parse_field(
    field: Field,
    values: pd.Series,
    rows: np.ndarray,
    problems: Problems,
    date_format: str | None = None,
) -> pd.Series:
    """Parse one column by its ``field`` spec, recording problems; returns the typed column."""
    present = values.notna()
    if field.required:
        problems.add_rows(~present, rows, field.name, None, "a value (this column is required)")
    if field.kind is Kind.TEXT:
        return values.astype(object)
    if field.kind is Kind.ID:
        return values.astype(object).str.strip() if present.any() else values.astype(object)
    if field.kind is Kind.ENUM:
        lowered = values.astype(object)
        if present.any():
            lowered = lowered.str.strip().str.lower()
        bad = present & ~lowered.isin(field.choices)
        problems.add_rows(bad, rows, field.name, values, f"one of {', '.join(field.choices)}")
        return lowered
    if field.kind is Kind.NUMBER:
        number = parse_number(values)
        problems.add_rows(present & number.isna(), rows, field.name, values, NUMBER_EXPECTED)
        return number.astype("float64")
    dates = parse_datetime(values, date_format)
    problems.add_rows(present & dates.isna(), rows, field.name, values, DATE_EXPECTED)
    return dates


def parse_fields(
    frame: pd.DataFrame,
    rows: np.ndarray,
    fields: Iterable[Field],
    problems: Problems,
    *,
    kind: str,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Parse the columns ``fields`` of ``frame``; a missing required column is one problem.

    Returns a frame with one column per field (absent optional columns are all None).
    """
    out: dict[str, pd.Series] = {}
    for field in fields:
        if field.name not in frame.columns:
            if field.required:
                problems.add(
                    None,
                    field.name,
                    None,
                    f"a column named {field.name!r} (required for --kind {kind}"
                    + (f"; {field.doc}" if field.doc.startswith("or ") else "")
                    + "); "
                    f"the file has {', '.join(map(str, frame.columns)) or 'no columns'}",
                )
            out[field.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        out[field.name] = parse_field(field, frame[field.name], rows, problems, date_format)
    return pd.DataFrame(out, index=frame.index)


def flag_duplicates(
    keys: pd.DataFrame, rows: np.ndarray, column: str, problems: Problems, what: str
) -> None:
    """A problem for every row whose key repeats an earlier row of the same file."""
    complete = keys.notna().all(axis=1).to_numpy()
    if not complete.any():
        return
    dup = keys.duplicated(keep="first").to_numpy() & complete
    if not dup.any():
        return
    first_row = (
        pd.Series(rows, index=keys.index)
        .groupby([keys[c] for c in keys.columns], sort=False, dropna=True)
        .transform("first")
    )
    repeated = keys[dup]
    label = repeated.astype(str).agg(" / ".join, axis=1)
    # int: a group left out for a missing key makes the column float ("row 2.0")
    first = first_row[dup].astype("int64").astype(str)
    expected = "a unique " + what + " (already in row " + first + ")"
    problems.add_rows(np.ones(len(repeated), dtype=bool), rows[dup], column, label, expected)
