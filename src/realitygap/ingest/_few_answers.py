"""The import's answer checks for a handful of answers, in plain Python.

:func:`realitygap.ingest._answers.validate_answers` works on whole files with pandas; on the
three answers of a survey page its frames cost most of a submission's CPU (BENCHMARKS.md,
"Survey service under load"). :func:`validate_few` applies the same rules in the same order
and words the same problems; ``tests/test_few_answers.py`` runs both on the same inputs
(the import's bad-input cases and generated ones) and compares their problems and rows.
It needs what the service has read already (the questions' scales and audiences, the
respondents' kinds) and at most :data:`MAX_ROWS` answers, so no check's problem list is cut.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from realitygap.domain.scales import SCALES, ScaleKind
from realitygap.ingest._answers import _LEADING_NUMBER, YES_NO_NUMBERS, Answers
from realitygap.ingest._fields import _NUMBER
from realitygap.ingest._labels import STANDARD_LABELS, labels_hint
from realitygap.ingest._problems import MAX_PROBLEMS, Problems

MAX_ROWS = MAX_PROBLEMS  # one problem per row and check at most: none is dropped

RESPONSE_COLUMNS = ("respondent_id", "question_id", "wave", "submitted_at", "channel", "value")
DOCUMENT_COLUMNS = (
    "document_id",
    "source",
    "text",
    "customer_id",
    "created_at",
    "question_id",
    "wave",
)
_NUMBER_RE = re.compile(_NUMBER)
_SPACES = re.compile(r"\s+")
_LOW_HIGH = {k.value: (s.low, s.high, s.describe()) for k, s in SCALES.items()}


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as a row of the long frame of :class:`Answers`, with the user-visible row
    and the file columns its question and value came from (for the messages)."""

    respondent_id: str | None
    question_id: str | None
    value: str | None
    wave: str | None
    submitted_at: datetime | None
    channel: str | None
    row: int
    question_column: str
    value_column: str


def as_answers(answers: Sequence[Answer]) -> Answers:
    """The same answers as the import's long frame (what :func:`validate_answers` takes)."""
    frame = pd.DataFrame(
        {
            "respondent_id": pd.Series([a.respondent_id for a in answers], dtype=object),
            "question_id": pd.Series([a.question_id for a in answers], dtype=object),
            "value": pd.Series([a.value for a in answers], dtype=object),
            "wave": pd.Series([a.wave for a in answers], dtype=object),
            "submitted_at": pd.Series([a.submitted_at for a in answers], dtype="datetime64[us]"),
            "channel": pd.Series([a.channel for a in answers], dtype=object),
        }
    )
    return Answers(
        frame,
        np.array([a.row for a in answers], dtype=np.int64),
        pd.Series([a.question_column for a in answers], dtype=object),
        pd.Series([a.value_column for a in answers], dtype=object),
    )


def parse_number(value: str) -> float | None:
    """:func:`realitygap.ingest._fields.parse_number` of one value."""
    if not _NUMBER_RE.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def answer_number(value: str, folded_labels: Mapping[str, float]) -> float | None:
    """:func:`realitygap.ingest._answers.answer_numbers` of one value (``folded_labels``:
    the labels with their keys stripped and casefolded)."""
    number = parse_number(value)
    if number is None and folded_labels:
        number = folded_labels.get(value.strip().casefold())
        number = None if number is None or math.isnan(number) else float(number)
    if number is None:
        lead = _LEADING_NUMBER.search(value)
        number = float(lead.group(1)) if lead else None
    return number


def _standard_label(value: str, scale: str) -> float | None:
    labels = STANDARD_LABELS.get(scale)
    if labels is None:
        return None
    return labels.get(_SPACES.sub(" ", value.strip().casefold()))


def validate_few(
    answers: Sequence[Answer],
    problems: Problems,
    *,
    known_questions: Mapping[str, tuple[str, str]],
    respondent_kinds: Mapping[str, str],
    labels: Mapping[str, float] | None = None,
    check_respondents: bool = True,
) -> tuple[list[list[Any]], list[list[Any]]]:
    """:func:`validate_answers` of at most :data:`MAX_ROWS` answers: the same problems added
    to ``problems``, and the rows (lists in :data:`RESPONSE_COLUMNS` and
    :data:`DOCUMENT_COLUMNS` order) of the responses and documents it would return.
    ``known_questions``: question_id -> (scale, audience) of the workspace's questions;
    ``respondent_kinds``: respondent_id -> kind of those that exist."""
    if len(answers) > MAX_ROWS:
        raise ValueError(f"validate_few takes at most {MAX_ROWS} answers; use validate_answers")
    found: list[tuple[int, int, str, object, str]] = []  # (check, index, column, value, msg)

    def problem(check: int, i: int, column: str, value: object, expected: str) -> None:
        found.append((check, i, column, value, expected))

    for i, a in enumerate(answers):
        if a.question_id is not None and a.question_id not in known_questions:
            problem(
                0,
                i,
                a.question_column,
                a.question_id,
                "a question_id of the workspace (import the questions first with --kind questions)",
            )
    if check_respondents:
        for i, a in enumerate(answers):
            if a.respondent_id is not None and a.respondent_id not in respondent_kinds:
                problem(
                    1,
                    i,
                    "respondent_id",
                    a.respondent_id,
                    "a respondent_id of the workspace (import the respondents first)",
                )
    mirror_expected = "a staff respondent (mirror questions are answered by staff)"
    if not check_respondents:
        mirror_expected += (
            "; import the staff as respondents first and map the export's staff id column "
            '(e.g. respondent_id = "ExternalReference" in a mapping file)'
        )
    for i, a in enumerate(answers):
        known = known_questions.get(a.question_id) if a.question_id is not None else None
        if known is None or known[1] != "mirror" or a.respondent_id is None:
            continue
        kind = respondent_kinds.get(a.respondent_id)
        if kind is None and check_respondents:
            continue  # an unknown respondent is reported once, as unknown
        if kind is None or kind == "customer":
            problem(2, i, "respondent_id", a.respondent_id, mirror_expected)
    folded = {k.strip().casefold(): v for k, v in (labels or {}).items()}
    responses: list[list[Any]] = []
    documents: list[list[Any]] = []
    for i, a in enumerate(answers):
        known = known_questions.get(a.question_id) if a.question_id is not None else None
        if known is None:
            continue
        scale = known[0]
        if scale == ScaleKind.TEXT.value:
            if a.value is not None:
                documents.append(
                    [
                        f"{a.respondent_id}:{a.question_id}:{a.wave}",
                        "survey",
                        a.value,
                        a.respondent_id,
                        a.submitted_at,
                        a.question_id,
                        a.wave,
                    ]
                )
            continue
        number = None
        if a.value is not None:
            number = answer_number(a.value, folded)
            if number is None and scale == ScaleKind.BINARY.value:
                number = YES_NO_NUMBERS.get(a.value.strip().casefold())
            if number is None:
                number = _standard_label(a.value, scale)
            low, high, describe = _LOW_HIGH.get(scale, (None, None, "nan"))
            on_scale = (
                number is not None
                and low is not None
                and high is not None
                and number % 1 == 0
                and low <= number <= high
            )
            if not on_scale:
                if parse_number(a.value) is None:  # a word where a number belongs
                    describe += labels_hint(scale)
                problem(3, i, a.value_column, a.value, describe)
        responses.append(
            [
                a.respondent_id,
                a.question_id,
                a.wave,
                a.submitted_at,
                a.channel,
                math.nan if number is None else number,
            ]
        )
    first: dict[tuple[str, str, str], int] = {}
    for i, a in enumerate(answers):
        if a.respondent_id is None or a.question_id is None or a.wave is None:
            continue
        key = (a.respondent_id, a.question_id, a.wave)
        if key in first:
            problem(
                4,
                i,
                "respondent_id",
                " / ".join(key),
                "a unique answer per respondent, question and wave "
                f"(already in row {answers[first[key]].row})",
            )
        else:
            first[key] = i
    # Problems orders by row, then by the order added: the checks' order, as the import's
    for _, i, column, value, expected in sorted(found, key=lambda f: (f[0], f[1])):
        problems.add(answers[i].row, column, value, expected)
    return responses, documents


def rows_frame(rows: list[list[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows of :func:`validate_few` as a frame."""
    return pd.DataFrame(rows, columns=list(columns))
