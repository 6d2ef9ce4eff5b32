"""Answers in long form -> validated ``responses`` rows and ``documents`` rows (text answers).

Every importer of answers (the generic long and wide files, the survey-tool exports) builds
the same long frame and hands it here, so scale checks and references work the same for all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from realitygap.domain.scales import SCALES, ScaleKind
from realitygap.ingest._fields import flag_duplicates, parse_number
from realitygap.ingest._labels import labels_hint, standard_label_numbers
from realitygap.ingest._lookup import known_mask, questions
from realitygap.ingest._problems import Problems
from realitygap.store.workspace import Workspace

# "10 - Extremely likely", "5 = Very easy", "4 Agree": the leading number is the answer.
# ASCII digits only: other scripts' digits are not silently read as numbers.
YES_NO_NUMBERS = {"yes": 1.0, "no": 0.0}
_LEADING_NUMBER = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)(?:\s*[-=:.)]\s*|\s+)[^0-9]")


@dataclass(frozen=True)
class Answers:
    """Answers in long form, one row per answer, aligned by index.

    ``frame`` columns: respondent_id, question_id, value (the answer as written), wave,
    submitted_at (timestamp or NaT), channel. ``rows`` the user-visible row of each answer;
    ``question_columns`` and ``value_columns`` the file columns that hold each answer's
    question and value (for error messages: ``question_id``/``value`` in a long file, the
    question's own column in a wide file or a survey-tool export).
    """

    frame: pd.DataFrame
    rows: np.ndarray
    question_columns: pd.Series
    value_columns: pd.Series


def answer_numbers(values: pd.Series, labels: dict[str, float]) -> pd.Series:
    """Numbers for answers: numeric text, else a label of ``labels`` (case-insensitive), else
    a leading number ("10 - Extremely likely"). NaN where none applies."""
    number = parse_number(values)
    todo = values.notna() & number.isna()
    if todo.any() and labels:
        folded = {k.strip().casefold(): v for k, v in labels.items()}
        mapped = values[todo].astype(str).str.strip().str.casefold().map(folded)
        number[todo] = mapped.astype("float64")
        todo &= number.isna()
    if todo.any():
        lead = values[todo].astype(str).str.extract(_LEADING_NUMBER, expand=False)
        number[todo] = pd.to_numeric(lead, errors="coerce")
    return number.astype("float64")


def _check_mirror_answers(
    ws: Workspace,
    frame: pd.DataFrame,
    rows: np.ndarray,
    known: pd.DataFrame,
    problems: Problems,
    *,
    created: bool,
    kinds: dict[str, str] | None = None,
) -> None:
    """Mirror questions are answered by staff: a customer's answer to one is a problem.

    ``created``: the import creates its respondents as customers (survey-tool exports), so a
    mirror answer needs its respondent to be staff of the workspace already.
    """
    mirror_ids = set(known.loc[known["audience"] == "mirror", "question_id"])
    is_mirror = frame["question_id"].isin(mirror_ids)
    if not is_mirror.any():
        return
    ids = frame.loc[is_mirror, "respondent_id"]
    if kinds is None:
        not_customer = known_mask(
            ws, ids, "respondents", "respondent_id", lambda t: t.kind != "customer"
        )
        exists = known_mask(ws, ids, "respondents", "respondent_id")
    else:  # the same masks from kinds the caller read (None counts as known)
        kind = ids.map(kinds)
        not_customer = ids.isna() | (kind.notna() & (kind != "customer"))
        exists = ids.isna() | kind.notna()
    wrong = ids.notna() & ~not_customer
    if not created:
        wrong &= exists  # unknown respondents are reported once, as unknown
    bad = np.zeros(len(frame), dtype=bool)
    bad[is_mirror.to_numpy()] = wrong.to_numpy(dtype=bool)
    expected = "a staff respondent (mirror questions are answered by staff)"
    if created:
        expected += (
            "; import the staff as respondents first and map the export's staff id column "
            '(e.g. respondent_id = "ExternalReference" in a mapping file)'
        )
    problems.add_rows(bad, rows, "respondent_id", frame["respondent_id"], expected)


def validate_answers(
    ws: Workspace,
    answers: Answers,
    problems: Problems,
    *,
    labels: dict[str, float] | None = None,
    check_respondents: bool = True,
    new_questions: pd.DataFrame | None = None,
    known_questions: pd.DataFrame | None = None,
    respondent_kinds: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check answers against the workspace; return (responses rows, documents rows).

    Checks: the question exists; the respondent exists (unless the import creates them); the
    value is on the question's scale; no (respondent, question, wave) twice. Answers to
    ``text`` questions become documents (source ``survey``) so that no answer is lost.
    ``new_questions`` (question_id, text, scale, audience) are questions the same import
    creates: they count as questions of the workspace.

    A caller checking a few answers at a time (the survey service) may pass what it has read
    already: ``known_questions`` (question_id, text, scale, audience of the questions the
    answers name) and ``respondent_kinds`` (respondent_id -> kind of those that exist), so no
    lookup goes through Ibis; the rules and the messages are the same. On a page's few answers
    the service runs :func:`realitygap.ingest._few_answers.validate_few` instead: these rules
    without the frames (tests/test_few_answers.py compares the two).
    """
    frame, rows = answers.frame, answers.rows
    known = questions(ws) if known_questions is None else known_questions
    if new_questions is not None and len(new_questions):
        known = pd.concat([known, new_questions[known.columns]], ignore_index=True)
    scale_of = dict(zip(known["question_id"], known["scale"], strict=True))
    qid = frame["question_id"]
    unknown_q = qid.notna() & ~qid.isin(scale_of.keys())
    problems.add_rows(
        unknown_q,
        rows,
        answers.question_columns,
        qid,
        "a question_id of the workspace (import the questions first with --kind questions)",
    )
    if check_respondents:
        if respondent_kinds is None:
            unknown_r = ~known_mask(ws, frame["respondent_id"], "respondents", "respondent_id")
        else:
            ids = frame["respondent_id"]
            unknown_r = ids.notna() & ~ids.isin(respondent_kinds.keys())
        problems.add_rows(
            unknown_r,
            rows,
            "respondent_id",
            frame["respondent_id"],
            "a respondent_id of the workspace (import the respondents first)",
        )
    _check_mirror_answers(
        ws, frame, rows, known, problems, created=not check_respondents, kinds=respondent_kinds
    )
    scale = qid.map(scale_of)
    is_text = scale == ScaleKind.TEXT.value
    closed = scale.notna() & ~is_text
    number = answer_numbers(frame["value"].where(closed), labels or {})
    # Yes/No answers to a binary question are 1/0 (Google Forms and Typeform write the words).
    binary = (scale == ScaleKind.BINARY.value) & number.isna() & frame["value"].notna()
    if binary.any():
        words = frame.loc[binary, "value"].astype(str).str.strip().str.casefold()
        number[binary] = words.map(YES_NO_NUMBERS).astype("float64")
    # "Very satisfied", "Strongly agree", "Extremely likely": the tools' usual labels
    labelled = closed & number.isna() & frame["value"].notna()
    if labelled.any():
        number[labelled] = standard_label_numbers(frame.loc[labelled, "value"], scale[labelled])
    low = scale.map({k.value: s.low for k, s in SCALES.items()})
    high = scale.map({k.value: s.high for k, s in SCALES.items()})
    on_scale = number.notna() & (number % 1 == 0) & (number >= low) & (number <= high)
    bad = closed & frame["value"].notna() & ~on_scale
    describe = scale.map({k.value: s.describe() for k, s in SCALES.items()})
    # a word where a number belongs: say which labels are read without a mapping file
    worded = bad & parse_number(frame["value"].where(bad)).isna()
    if worded.any():
        describe[worded] += scale[worded].map(labels_hint)
    problems.add_rows(bad, rows, answers.value_columns, frame["value"], describe)
    flag_duplicates(
        frame[["respondent_id", "question_id", "wave"]],
        rows,
        "respondent_id",
        problems,
        "answer per respondent, question and wave",
    )
    responses = frame.loc[
        closed, ["respondent_id", "question_id", "wave", "submitted_at", "channel"]
    ]
    responses = responses.assign(value=number[closed])
    texts = frame.loc[is_text & frame["value"].notna()]
    documents = pd.DataFrame(
        {
            "document_id": texts["respondent_id"].astype(str)
            + ":"
            + texts["question_id"].astype(str)
            + ":"
            + texts["wave"].astype(str),
            "source": "survey",
            "text": texts["value"].astype(str),
            "customer_id": texts["respondent_id"],
            "created_at": texts["submitted_at"],
            "question_id": texts["question_id"],
            "wave": texts["wave"],
        }
    )
    return responses.reset_index(drop=True), documents.reset_index(drop=True)
