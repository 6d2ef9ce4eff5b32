"""The import's answer checks in plain Python (``validate_few``, what the survey service runs
on a page's few answers) give the same problems, messages and rows as the import's own
``validate_answers`` on the same answers: on every bad-answer case of the import's tests
(tests/test_ingest_bad.py, tests/test_ingest_labels-style words) and on generated answers.

The expected values come from the other implementation: ``validate_answers`` with the
workspace's Ibis lookups (the import's path), and with the lookups passed in (the service's
path before ``validate_few``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.ingest._answers import validate_answers
from realitygap.ingest._few_answers import (
    DOCUMENT_COLUMNS,
    MAX_ROWS,
    RESPONSE_COLUMNS,
    Answer,
    as_answers,
    rows_frame,
    validate_few,
)
from realitygap.ingest._lookup import questions
from realitygap.ingest._problems import Problems
from realitygap.store.campaigns import _values
from realitygap.store.workspace import Workspace

WHEN = datetime(2026, 12, 3, 10, 30, 15, 123456)
Row = tuple[str | None, str | None, str | None]  # respondent, question, value


def _answers(rows: list[Row], wave: str | None = "w") -> list[Answer]:
    # row numbers as a long file's: the header is row 1
    return [
        Answer(r, q, v, wave, WHEN, "web", i + 2, "question_id", "value")
        for i, (r, q, v) in enumerate(rows)
    ]


def _problems(problems: Problems) -> list[Problem]:
    try:
        problems.raise_if_any()
    except SurveyDataError as exc:
        return exc.problems
    return []


def _outcome(problems: Problems, responses: pd.DataFrame, documents: pd.DataFrame) -> Any:
    # what the store would be sent: the rows as Python values (campaigns._values)
    return (
        [(p, str(p)) for p in _problems(problems)],
        len(problems),
        list(responses.columns),
        _values(responses),
        list(documents.columns),
        _values(documents),
    )


_BANKS: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}


def _bank(ws: Workspace) -> tuple[pd.DataFrame, dict[str, str]]:
    if str(ws.where) in _BANKS:  # the workspace is only read: once per test
        return _BANKS[str(ws.where)]
    known = questions(ws)[["question_id", "text", "scale", "audience"]]
    people = ws.table("respondents").select("respondent_id", "kind").to_pandas()
    _BANKS[str(ws.where)] = known, dict(zip(people["respondent_id"], people["kind"], strict=True))
    return _BANKS[str(ws.where)]


def _pandas(
    ws: Workspace,
    answers: list[Answer],
    *,
    lookups: tuple[pd.DataFrame, dict[str, str]] | None,
    check_respondents: bool = True,
    labels: dict[str, float] | None = None,
) -> Any:
    problems = Problems("answers.csv")
    known, kinds = lookups if lookups is not None else (None, None)
    responses, documents = validate_answers(
        ws,
        as_answers(answers),
        problems,
        labels=labels,
        check_respondents=check_respondents,
        known_questions=known,
        respondent_kinds=kinds,
    )
    return _outcome(problems, responses, documents)


def _few(
    answers: list[Answer],
    known: pd.DataFrame,
    kinds: dict[str, str],
    *,
    check_respondents: bool = True,
    labels: dict[str, float] | None = None,
) -> Any:
    problems = Problems("answers.csv")
    bank = {
        q: (s, a) for q, s, a in zip(known.question_id, known.scale, known.audience, strict=True)
    }
    responses, documents = validate_few(
        answers,
        problems,
        known_questions=bank,
        respondent_kinds=kinds,
        labels=labels,
        check_respondents=check_respondents,
    )
    return _outcome(
        problems, rows_frame(responses, RESPONSE_COLUMNS), rows_frame(documents, DOCUMENT_COLUMNS)
    )


# examples/: C001, C002 customers, S001 staff; questions on every scale, m_nps a mirror
CASES: dict[str, tuple[list[Row], dict[str, Any]]] = {
    "valid, every scale and a comment": (
        [
            ("C001", "nps", "9"),
            ("C001", "delivery_speed", "4"),
            ("C001", "store_memorable", "7"),
            ("C001", "help_ease", "1"),
            ("C001", "kano_tracking_f", "5"),
            ("C001", "would_return", "1"),
            ("C001", "comment", "Fast, thanks"),
        ],
        {},
    ),
    # test_out_of_scale_value_names_row_column_value_and_scale
    "out of scale": ([("C001", "nps", "9"), ("C002", "nps", "11")], {}),
    # test_fractional_and_likert_out_of_scale
    "fractional and likert": (
        [("C001", "delivery_speed", "0"), ("C002", "delivery_speed", "4.5")],
        {},
    ),
    # test_unknown_question
    "unknown question": ([("C001", "no_such_item", "3")], {}),
    # test_unknown_respondent
    "unknown respondent": ([("C999", "nps", "3")], {}),
    # test_duplicate_answer_within_file
    "duplicate answer": ([("C001", "nps", "3"), ("C001", "nps", "4"), ("C001", "nps", "5")], {}),
    # a missing id beside a duplicate: the import said "row 2.0" before validate_few
    "duplicate after a missing id": (
        [(None, "nps", "3"), ("C001", "nps", "3"), ("C001", "nps", "4")],
        {},
    ),
    # test_mirror_questions_are_answered_by_staff
    "mirror answered by a customer": ([("S001", "m_nps", "8"), ("C001", "m_nps", "9")], {}),
    # test_mirror_survey_export_maps_staff_ids: the export creates respondents
    "mirror, respondents created": (
        [("S001", "m_nps", "9"), ("S404", "m_nps", "7")],
        {"check_respondents": False},
    ),
    "mirror, unknown respondent reported once": ([("S404", "m_nps", "7")], {}),
    # the labels the tools export (tests/test_ingest_labels.py) and Yes/No
    "labels and words": (
        [
            ("C001", "nps", "10 - Extremely likely"),
            ("C001", "delivery_speed", " Very   Satisfied "),
            ("C001", "store_memorable", "Slightly agree"),
            ("C001", "help_ease", "Very easy"),
            ("C001", "would_return", " YES "),
            ("C002", "would_return", "maybe"),
            ("C002", "nps", "Extremely likely"),
            ("C002", "delivery_speed", "great"),
            ("C002", "kano_tracking_d", "I like it"),
        ],
        {},
    ),
    "a mapping file's labels": (
        [("C001", "delivery_speed", "Top"), ("C002", "delivery_speed", "bottom ")],
        {"labels": {" top ": 5.0, "Bottom": 1.0}},
    ),
    "numbers as written": (
        [
            ("C001", "nps", " 7 "),
            ("C002", "nps", "7.0"),
            ("S001", "delivery_speed", "+3"),
            ("C001", "help_ease", "1e309"),
            ("C002", "help_ease", "inf"),
            ("C001", "store_memorable", "\u0663"),
            ("C002", "store_memorable", "-1"),
            ("S002", "delivery_speed", "5e0"),
        ],
        {},
    ),
    "missing ids and values": (
        [(None, "nps", "3"), ("C001", None, "3"), ("C001", "nps", None), ("C001", "comment", None)],
        {},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_import_cases_give_the_same_problems_and_rows(ws: Workspace, case: str) -> None:
    rows, options = CASES[case]
    answers = _answers(rows)
    known, kinds = _bank(ws)
    few = _few(answers, known, kinds, **options)
    # the import's path: its own Ibis lookups of the workspace
    assert few == _pandas(ws, answers, lookups=None, **options)
    # the service's path before validate_few: the lookups passed in
    assert few == _pandas(ws, answers, lookups=(known, kinds), **options)


def test_the_cases_do_find_problems(ws: Workspace) -> None:
    """A positive control: the cases above are bad where the import's tests say they are
    (expected values from tests/test_ingest_bad.py), so equal outcomes are not two empties."""
    known, kinds = _bank(ws)
    found = _few(_answers(CASES["out of scale"][0]), known, kinds)[0]
    assert [p for p, _ in found] == [
        Problem("answers.csv", 3, "value", "11", "an integer from 0 to 10 (nps scale)")
    ]
    found = _few(_answers(CASES["mirror answered by a customer"][0]), known, kinds)[0]
    assert [(p.row, p.column, p.value) for p, _ in found] == [(3, "respondent_id", "C001")]
    found = _few(_answers(CASES["duplicate after a missing id"][0]), known, kinds)[0]
    # rows 3 and 4 of the file (row 1 the header) repeat C001's nps: by hand, "row 3"
    assert [p.expected.endswith("(already in row 3)") for p, _ in found] == [True]
    # every case but these has problems: missing ids and values are the file parser's to
    # report (a required column), not the answer checks'
    valid = {
        "valid, every scale and a comment",
        "a mapping file's labels",
        "missing ids and values",
    }
    for case, (rows, options) in CASES.items():
        assert bool(_few(_answers(rows), known, kinds, **options)[0]) != (case in valid), case


def test_more_answers_than_a_check_keeps_are_refused() -> None:
    answers = _answers([("C001", f"q{i}", "1") for i in range(MAX_ROWS + 1)])
    with pytest.raises(ValueError, match="at most"):
        validate_few(answers, Problems("f"), known_questions={}, respondent_kinds={})


_VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "0",
            "1",
            "5",
            "7",
            "10",
            "11",
            "-1",
            "4.5",
            "3.0",
            " 2 ",
            "yes",
            "No",
            "1e1",
            "nan",
            "Very satisfied",
            "Strongly  agree",
            "Extremely likely",
            "10 - Extremely likely",
            "5 = Very easy",
            "4 Agree",
            "Top",
            "\u0663",
            "",
            " ",
        ]
    ),
    st.text(alphabet="0123456789 .-+=:)eEaYyesNo\u0663\u2003", max_size=8),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the workspace is only read
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["C001", "C002", "S001", "X404", None]),
            st.sampled_from(
                [
                    "nps",
                    "delivery_speed",
                    "store_memorable",
                    "help_ease",
                    "kano_tracking_f",
                    "would_return",
                    "comment",
                    "m_nps",
                    "m_delivery_speed",
                    "nope",
                    None,
                ]
            ),
            _VALUES,
        ),
        max_size=8,
    ),
    check_respondents=st.booleans(),
    labels=st.sampled_from([None, {" top ": 5.0, "bottom": 1.0, "Mid": 2.5}]),
    wave=st.sampled_from(["w", None]),
)
def test_generated_answers_give_the_same_problems_and_rows(
    ws: Workspace,
    rows: list[Row],
    check_respondents: bool,
    labels: dict[str, float] | None,
    wave: str | None,
) -> None:
    answers = _answers(rows, wave)
    known, kinds = _bank(ws)
    options = {"check_respondents": check_respondents, "labels": labels}
    assert _few(answers, known, kinds, **options) == _pandas(
        ws, answers, lookups=(known, kinds), **options
    )
