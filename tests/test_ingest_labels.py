"""Issue 16: answers exported as the survey tools' usual labels ("Very satisfied", "Strongly
agree", "Extremely likely") import without a mapping file, as the numbers the tools themselves
export for those choices; an unknown label is an error naming file, row, column and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    import_file(ws, EXAMPLES / "questions.csv", "questions")
    import_file(ws, EXAMPLES / "respondents.csv", "respondents")
    # a 7-point agreement item (CES wording) besides examples/questions.csv's
    ces = tmp_path / "ces.csv"
    ces.write_text(
        "question_id,text,scale,audience\n"
        "effort7,The company made it easy to handle my issue.,ces7,customer\n"
    )
    import_file(ws, ces, "questions")
    return ws


def _values(ws: Workspace) -> dict[tuple[str, str], float]:
    frame = ws.table("responses").execute()
    return {(r.respondent_id, r.question_id): r.value for r in frame.itertuples()}


def test_labels_read_as_the_tools_numbers(ws: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "labels.csv"
    file.write_text(
        "respondent_id,wave,nps,delivery_speed,staff_welcome,effort7\n"
        "C001,w1,Extremely likely,Very satisfied,Strongly agree,Strongly agree\n"
        "C002,w1,Not at all likely,  very DISSATISFIED ,Neither agree nor disagree,Somewhat agree\n"
        "C003,w1,7,Satisfied,Somewhat disagree,Neither agree nor disagree\n"
    )
    import_file(ws, file, "responses")
    # SurveyMonkey's and Qualtrics' numeric codes for these choices (5-point: 1 Very
    # dissatisfied / Strongly disagree ... 5 Very satisfied / Strongly agree; 7-point agreement:
    # 1 Strongly disagree, 4 Neither, 5 Somewhat agree, 7 Strongly agree; NPS anchors 0 and 10)
    assert _values(ws) == {
        ("C001", "nps"): 10.0,
        ("C001", "delivery_speed"): 5.0,
        ("C001", "staff_welcome"): 5.0,
        ("C001", "effort7"): 7.0,
        ("C002", "nps"): 0.0,
        ("C002", "delivery_speed"): 1.0,
        ("C002", "staff_welcome"): 3.0,
        ("C002", "effort7"): 5.0,
        ("C003", "nps"): 7.0,
        ("C003", "delivery_speed"): 4.0,
        ("C003", "staff_welcome"): 2.0,
        ("C003", "effort7"): 4.0,
    }


def test_an_unknown_label_names_file_row_column_value(ws: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "odd.csv"
    file.write_text("respondent_id,wave,nps,delivery_speed\nC004,w1,8,Rather happy\n")
    with pytest.raises(SurveyDataError) as caught:
        import_file(ws, file, "responses")
    message = str(caught.value)
    assert f"{file}, row 2, column 'delivery_speed': found 'Rather happy'" in message
    assert "5-point label" in message and "[values]" in message
    assert ws.count("responses") == 0  # nothing landed


def test_a_mapping_file_comes_first(ws: Workspace, tmp_path: Path) -> None:
    # a survey whose 'Satisfied' means the top of a 3-label scale, mapped by the user
    file = tmp_path / "own.csv"
    file.write_text("respondent_id,wave,delivery_speed\nC001,w1,Satisfied\n")
    mapping = tmp_path / "own.toml"
    mapping.write_text(
        'respondent_id = "respondent_id"\nwave = "wave"\n[values]\n"Satisfied" = 5\n'
    )
    import_file(ws, file, "responses", mapping=mapping)
    assert _values(ws) == {("C001", "delivery_speed"): 5.0}
