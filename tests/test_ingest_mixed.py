"""Issue 16: an export whose columns partly match the question bank and partly are new imports
in one go: matching columns map to their questions, new question columns become questions
(texts from the header, scales from the answers, including the tools' usual labels), other
columns stay respondent attributes; a bad answer anywhere means nothing lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HEADER = (
    "Timestamp,Email Address,"
    "How likely are you to recommend Northwind to a friend or colleague?,"  # nps (bank text)
    "How satisfied were you with the speed of your delivery?,"  # delivery_speed (bank text)
    "How satisfied are you with our prices?,"  # new, answered with labels
    "Would you buy from us again?,"  # new, Yes/No
    "Order number\n"  # numbers on no scale: an attribute, not an error
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    import_file(ws, EXAMPLES / "questions.csv", "questions")
    return ws


def test_known_columns_map_and_new_ones_become_questions(ws: Workspace, tmp_path: Path) -> None:
    export = tmp_path / "forms.csv"
    export.write_text(
        HEADER
        + "2/3/2024 10:15:40,ann@example.com,9,5,Very satisfied,Yes,100234\n"
        + "2/3/2024 14:02:11,bo@example.com,3,1,Dissatisfied,No,100871\n"
        + "2/4/2024 09:30:00,cy@example.com,10,4,Neither satisfied nor dissatisfied,Yes,101002\n"
    )
    before = ws.count("questions")
    report = import_file(ws, export, "responses", fmt="google_forms")
    questions = ws.table("questions").execute().set_index("question_id")
    # two new questions: ids from their texts (docs/formats.md: lower case, runs of other
    # characters -> "_"), scales from the answers
    assert ws.count("questions") == before + 2
    assert questions.loc["how_satisfied_are_you_with_our_prices", "scale"] == "likert5"
    assert questions.loc["would_you_buy_from_us_again", "scale"] == "binary"
    assert (
        questions.loc["how_satisfied_are_you_with_our_prices", "text"]
        == "How satisfied are you with our prices?"
    )
    answers = ws.table("responses").execute()
    by_question = answers.groupby("question_id")["value"].apply(sorted).to_dict()
    # hand-read from the file above (labels: Very satisfied 5, Dissatisfied 2, Neither 3)
    assert by_question == {
        "nps": [3.0, 9.0, 10.0],
        "delivery_speed": [1.0, 4.0, 5.0],
        "how_satisfied_are_you_with_our_prices": [2.0, 3.0, 5.0],
        "would_you_buy_from_us_again": [0.0, 1.0, 1.0],
    }
    assert "order_number" in ws.columns("respondents")
    said = str(report)
    assert "new question how_satisfied_are_you_with_our_prices (likert5" in said
    assert "respondent attribute order_number" in said
    assert (ws.path / "questions.generated.csv").exists()


def test_a_bad_answer_to_a_known_question_lands_no_new_question(
    ws: Workspace, tmp_path: Path
) -> None:
    export = tmp_path / "forms.csv"
    export.write_text(
        HEADER
        + "2/3/2024 10:15:40,ann@example.com,9,5,Very satisfied,Yes,100234\n"
        + "2/3/2024 14:02:11,bo@example.com,3,9,Dissatisfied,No,100871\n"  # 9 on likert5
    )
    before = {name: ws.count(name) for name in ("questions", "responses", "respondents")}
    with pytest.raises(SurveyDataError) as caught:
        import_file(ws, export, "responses", fmt="google_forms")
    assert "row 3" in str(caught.value) and "found '9'" in str(caught.value)
    assert {name: ws.count(name) for name in before} == before
