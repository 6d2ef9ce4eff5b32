"""Columns of a survey-tool export that are not answers: derived columns checked against
their source, other columns kept as respondent attributes, and the default wave.

The rules (documented in docs/formats.md):

- ``X_NPS_GROUP`` (Qualtrics writes one beside every NPS question ``X``) is derived from the
  score in column ``X``: 0-6 Detractor, 7-8 Passive, 9-10 Promoter, written as the label or
  as Qualtrics' numeric code 1, 2, 3. It is checked, row by row, and not stored (the score
  is); a group that disagrees with its score is an error.
- Any other column that is neither the tool's metadata nor a question becomes a respondent
  attribute, named by :func:`attribute_name` ("Which store did you visit?" ->
  ``which_store_did_you_visit``).
- Without ``--wave`` and without a wave column, the wave is the export's month range of
  submission dates (``2024-02``, or ``2024-02..2024-04``), announced in the import report.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from realitygap.ingest._problems import Problems

NPS_GROUP_SUFFIX = re.compile(r"^(?P<base>.+)_NPS_GROUP$", re.IGNORECASE)
_GROUPS = {
    "1": "detractor",
    "detractor": "detractor",
    "detractors": "detractor",
    "2": "passive",
    "passive": "passive",
    "passives": "passive",
    "neutral": "passive",
    "3": "promoter",
    "promoter": "promoter",
    "promoters": "promoter",
}
_RESERVED = {"respondent_id", "kind", "role"}


def nps_group_of(scores: pd.Series) -> pd.Series:
    """detractor (0-6), passive (7-8) or promoter (9-10) per score; None where no score."""
    out = pd.Series(None, index=scores.index, dtype=object)
    out[scores <= 6] = "detractor"
    out[(scores >= 7) & (scores <= 8)] = "passive"
    out[scores >= 9] = "promoter"
    return out.where(scores.notna(), None)


def check_nps_group(
    groups: pd.Series,
    scores: pd.Series,
    rows: np.ndarray,
    column: str,
    score_column: str,
    problems: Problems,
) -> None:
    """A problem for every row whose NPS group is not a group, or not its score's group.

    ``scores`` are the parsed scores of ``score_column`` (NaN where empty or not on the 0-10
    scale: those are reported by the answer checks, not here).
    """
    present = groups.notna()
    said = groups.where(present, None).astype(object)
    said = said.where(~present, said.astype(str).str.strip().str.casefold().map(_GROUPS))
    on_scale = scores.notna() & (scores % 1 == 0) & (scores >= 0) & (scores <= 10)
    expected_group = nps_group_of(scores.where(on_scale))
    unknown = present & said.isna()
    problems.add_rows(
        unknown,
        rows,
        column,
        groups,
        "an NPS group: Detractor, Passive or Promoter (or Qualtrics' codes 1, 2, 3)",
    )
    wrong = present & ~unknown & on_scale & (said != expected_group)
    expected = (
        "the NPS group of the score "
        + scores.map(lambda s: f"{s:g}")
        + f" in column {score_column!r} ("
        + expected_group.astype(str).str.capitalize()
        + "): the export disagrees with itself"
    )
    problems.add_rows(wrong, rows, column, groups, expected)
    no_score = present & ~unknown & scores.isna()
    problems.add_rows(
        no_score, rows, column, groups, f"an empty cell (column {score_column!r} has no score)"
    )


def attribute_name(column: str, taken: set[str]) -> str:
    """A respondent-attribute name for ``column``: ASCII letters, digits and ``_``, starting
    with a letter, at most 40 characters, not in ``taken`` (lower case), not a reserved name."""
    ascii_text = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^0-9a-z]+", "_", ascii_text.casefold()).strip("_")[:40].strip("_")
    if not slug or not slug[0].isalpha() or slug in _RESERVED:
        slug = f"attr_{slug}".strip("_")
    name, n = slug, 2
    while name in taken:
        name, n = f"{slug}_{n}", n + 1
    return name


def month_range_wave(submitted: pd.Series) -> str | None:
    """``YYYY-MM`` when every submission date is in one month, else ``YYYY-MM..YYYY-MM``;
    None without dates."""
    dates = submitted.dropna()
    if dates.empty:
        return None
    first, last = dates.min().strftime("%Y-%m"), dates.max().strftime("%Y-%m")
    return first if first == last else f"{first}..{last}"
