"""Issue 16, point 2: an export into a workspace without its questions brings its question
bank: texts from the header, scales from the header and the answers, an ambiguous scale an
error, everything in one transaction, and an editable questions file.

Expected scales, ids and answers are written by hand from the example files (the values of
each column read off the file; the rules in docs/formats.md), not taken from the code."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SETTLE = "add the question to the question bank with its scale, or import questions first"


def _questions(ws: Workspace) -> dict[str, tuple[str, str]]:
    rows = ws.con.execute("SELECT question_id, text, scale FROM questions").fetchall()
    return {str(q): (str(t), str(s)) for q, t, s in rows}


def _values(ws: Workspace, question_id: str) -> list[float]:
    rows = ws.con.execute(
        "SELECT value FROM responses WHERE question_id = ? ORDER BY value", [question_id]
    ).fetchall()
    return [float(r[0]) for r in rows]


def _counts(ws: Workspace) -> dict[str, int]:
    tables = ("questions", "respondents", "responses", "documents")
    return {t: ws.count(t) for t in tables}


def test_google_forms_export_creates_its_questions(workspace: Workspace) -> None:
    path = EXAMPLES / "google_forms_store.csv"
    report = import_file(workspace, path, "responses", fmt="google_forms")
    # By hand from examples/google_forms_store.csv: recommend 9, 3, 7 ("recommend": nps);
    # delivery 5, 1, 3 (top 5: likert5); shop again 1, 0, 1 (binary); comments (text);
    # the store names are short labels, so a respondent attribute, not a question.
    # Ids: the text in lower case with "_", cut after a whole word at 40 characters.
    assert _questions(workspace) == {
        "how_likely_are_you_to_recommend": (
            "How likely are you to recommend Northwind to a friend or colleague?",
            "nps",
        ),
        "how_satisfied_were_you_with_the_speed_of": (
            "How satisfied were you with the speed of your delivery?",
            "likert5",
        ),
        "will_you_shop_with_us_again": ("Will you shop with us again?", "binary"),
        "is_there_anything_else_you_would_like_to": (
            "Is there anything else you would like to tell us?",
            "text",
        ),
    }
    assert _values(workspace, "how_likely_are_you_to_recommend") == [3, 7, 9]
    assert _values(workspace, "how_satisfied_were_you_with_the_speed_of") == [1, 3, 5]
    assert _values(workspace, "will_you_shop_with_us_again") == [0, 1, 1]
    assert workspace.count("documents") == 2  # two of the three rows have a comment
    stores = workspace.con.execute(
        "SELECT which_store_did_you_visit FROM respondents ORDER BY 1"
    ).fetchall()
    assert [s[0] for s in stores] == ["Aspen", "Boulder Pearl St", "Denver Union Station"]
    assert report.rows_added["questions"] == 4
    column = "How likely are you to recommend Northwind to a friend or colleague?"
    assert report.columns[column].startswith("new question how_likely_are_you_to_recommend (nps")
    assert report.columns["Which store did you visit?"].startswith("respondent attribute")
    assert any("questions.generated.csv" in n for n in report.notes)


def test_qualtrics_export_creates_its_questions(workspace: Workspace) -> None:
    path = EXAMPLES / "qualtrics_new_survey.csv"
    report = import_file(workspace, path, "responses", fmt="qualtrics")
    # By hand from examples/qualtrics_new_survey.csv, leaving out the Survey Preview row:
    # Q1 9, 4, 7, 10 (recommend: nps); Q2 5, 2, 4 (likert5); Q3_1 5, 2, 3, 4 and
    # Q3_2 4, 1, 3, 5 (likert5); Q5 7, 2, 5, 6 with "easy" (ces7); Q6 Yes/No (binary);
    # Q4 has ImportId QID4_TEXT (text). Ids are the export tags; texts from header row 2.
    scales = {q: s for q, (_, s) in _questions(workspace).items()}
    assert scales == {
        "q1": "nps",
        "q2": "likert5",
        "q3_1": "likert5",
        "q3_2": "likert5",
        "q5": "ces7",
        "q6": "binary",
        "q4": "text",
    }
    assert _questions(workspace)["q3_1"][0] == (
        "Please tell us about your store visit - The staff in the store made me feel welcome."
    )
    assert _values(workspace, "q1") == [4, 7, 9, 10]
    assert _values(workspace, "q2") == [2, 4, 5]  # R_8uV... left Q2 empty
    assert _values(workspace, "q6") == [0, 1, 1, 1]  # No once, Yes three times
    assert workspace.count("respondents") == 4 and workspace.count("responses") == 23
    assert report.columns["Q1_NPS_GROUP"].startswith("derived: NPS group of q1")
    assert report.columns["store"] == "respondent attribute store"  # embedded data
    # the same export again finds its questions and adds nothing
    again = import_file(workspace, path, "responses", fmt="qualtrics")
    assert again.total_added == 0 and "questions" not in again.rows_added


def test_generated_file_imports_as_questions_and_replaces_the_drafts(
    workspace: Workspace,
) -> None:
    import_file(workspace, EXAMPLES / "qualtrics_new_survey.csv", "responses", fmt="qualtrics")
    generated = workspace.path / "questions.generated.csv"
    with generated.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["question_id"] for r in rows] == ["q1", "q2", "q3_1", "q3_2", "q5", "q6", "q4"]
    for row in rows:
        if row["question_id"] == "q3_1":
            row.update(touchpoint="store_staff", layer="hospitality")
        if row["question_id"] == "q3_2":  # answers 1-5 fit a 7-point scale too
            row["scale"] = "likert7"
    edited = workspace.path.parent / "questions.csv"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_file(workspace, edited, "questions")
    assert any("7 generated question(s) replaced" in n for n in report.notes)
    stored = workspace.con.execute(
        "SELECT touchpoint, layer, generated FROM questions WHERE question_id = 'q3_1'"
    ).fetchone()
    assert stored == ("store_staff", "hospitality", None)
    assert _questions(workspace)["q3_2"][1] == "likert7"
    assert workspace.count("questions") == 7
    # no longer a draft: the scale is fixed now, like any imported question's
    for row in rows:
        if row["question_id"] == "q3_2":
            row["scale"] = "likert5"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(SurveyDataError, match="cannot be redefined"):
        import_file(workspace, edited, "questions")


def test_draft_scale_the_stored_answers_do_not_fit_is_refused(workspace: Workspace) -> None:
    import_file(workspace, EXAMPLES / "qualtrics_new_survey.csv", "responses", fmt="qualtrics")
    text = (workspace.path / "questions.generated.csv").read_text(encoding="utf-8")
    edited = workspace.path.parent / "q.csv"
    # q1's stored answers reach 10: likert5 (1-5) cannot hold them
    edited.write_text(text.replace(",nps,", ",likert5,"), encoding="utf-8")
    before = _counts(workspace)
    with pytest.raises(SurveyDataError, match="cannot be redefined"):
        import_file(workspace, edited, "questions")
    assert _counts(workspace) == before


def test_ambiguous_scale_is_an_error_naming_column_and_values(
    workspace: Workspace, tmp_path: Path
) -> None:
    # examples/qualtrics_nps.csv: delivery_speed has only 4 and 2 (the preview row aside)
    with pytest.raises(SurveyDataError) as err:
        import_file(workspace, EXAMPLES / "qualtrics_nps.csv", "responses", fmt="qualtrics")
    problems = {p.column: p for p in err.value.problems}
    assert problems["delivery_speed"].value == "2, 4"
    assert SETTLE in problems["delivery_speed"].expected
    # the header says 0 to 10, the answers 1-5 say likert5
    export = tmp_path / "gf.csv"
    export.write_text(
        "Timestamp,On a scale from 0 to 10 how satisfied are you?\n"
        "2/3/2024 10:15:40,1\n2/3/2024 10:16:40,5\n2/3/2024 10:17:40,3\n",
        encoding="utf-8",
    )
    with pytest.raises(SurveyDataError) as err:
        import_file(workspace, export, "responses", fmt="google_forms")
    [problem] = err.value.problems
    assert problem.value == "1, 3, 5" and "nps" in problem.expected
    assert "likert5" in problem.expected and SETTLE in problem.expected
    assert _counts(workspace) == dict.fromkeys(_counts(workspace), 0)


def test_bad_answer_means_no_question_lands(workspace: Workspace, tmp_path: Path) -> None:
    export = tmp_path / "gf_bad.csv"
    shutil.copy(EXAMPLES / "google_forms_store.csv", export)
    lines = export.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("bo.chen@example.com,3,", "bo.chen@example.com,11,")
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SurveyDataError) as err:
        import_file(workspace, export, "responses", fmt="google_forms")
    [problem] = err.value.problems
    assert problem.row == 3 and problem.value == "11"  # 11 is off the 0-10 nps scale
    assert _counts(workspace) == dict.fromkeys(_counts(workspace), 0)
    assert not (workspace.path / "questions.generated.csv").exists()


def test_cli_import_of_google_forms_into_empty_workspace(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path).close()
    result = CliRunner().invoke(
        app,
        [
            "import",
            str(path),
            str(EXAMPLES / "google_forms.csv"),
            "--kind",
            "responses",
            "--format",
            "google_forms",
        ],
    )
    assert result.exit_code == 0, result.output
    flat = "".join(result.output.split())
    assert "addedsomething" not in flat and "4questions" in flat
    assert "newquestionwill_you_shop_with_us_again(binary" in flat
    with (path / "questions.generated.csv").open(encoding="utf-8", newline="") as fh:
        generated = {r["question_id"]: r["scale"] for r in csv.DictReader(fh)}
    # examples/google_forms.csv: the same four questions as google_forms_store.csv
    assert generated == {
        "how_likely_are_you_to_recommend": "nps",
        "how_satisfied_were_you_with_the_speed_of": "likert5",
        "will_you_shop_with_us_again": "binary",
        "is_there_anything_else_you_would_like_to": "text",
    }


def test_qsf_imports_as_questions_and_the_export_then_matches(workspace: Workspace) -> None:
    report = import_file(workspace, EXAMPLES / "qualtrics_survey.qsf", "questions")
    # By hand from examples/qualtrics_survey.qsf: QID1 MC/NPS; QID2 five choices recoded 1-5;
    # QID3 a Likert matrix of two statements on five points recoded 1-5 (columns Q3_1, Q3_2);
    # QID5 seven choices 1-7 asking how "easy" (ces7); QID6 Yes/No recoded 1/0; QID4 TE;
    # QID7 is descriptive text (no question) and QID8 multiple answers (left out, noted).
    assert {q: s for q, (_, s) in _questions(workspace).items()} == {
        "q1": "nps",
        "q2": "likert5",
        "q3_1": "likert5",
        "q3_2": "likert5",
        "q5": "ces7",
        "q6": "binary",
        "q4": "text",
    }
    # HTML is dropped from the text (QID2 has <strong>speed</strong>)
    assert _questions(workspace)["q2"][0] == (
        "How satisfied were you with the speed of your delivery?"
    )
    blocks = workspace.con.execute(
        "SELECT question_id FROM questions WHERE block = 'Q3' ORDER BY 1"
    ).fetchall()
    assert [b[0] for b in blocks] == ["q3_1", "q3_2"]
    assert any(n.startswith("Q8 left out") for n in report.notes)
    assert (workspace.path / "questions.generated.csv").exists()
    # the export of the same survey finds every question by its column (no new questions)
    export = import_file(
        workspace, EXAMPLES / "qualtrics_new_survey.csv", "responses", fmt="qualtrics"
    )
    assert "questions" not in export.rows_added and export.rows_added["responses"] == 23
    assert _values(workspace, "q6") == [0, 1, 1, 1]  # Yes/No answers of a binary question


def test_qsf_that_is_not_a_survey_definition_exits_with_a_message(
    workspace: Workspace, tmp_path: Path
) -> None:
    bad = tmp_path / "survey.qsf"
    bad.write_text('{"SurveyEntry": {}}', encoding="utf-8")
    with pytest.raises(SurveyDataError) as err:
        import_file(workspace, bad, "questions")
    [problem] = err.value.problems
    assert problem.file == str(bad) and "SurveyElements" in problem.expected
    assert workspace.count("questions") == 0


def test_comment_column_with_a_number_stays_text_and_mixed_ratings_are_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    export = tmp_path / "typeform.csv"
    # by hand: the comments are sentences with one "10" among them (numbers 1 of 3: text);
    # the rating column has 4, 5 and the word "great" (numbers 2 of 3: ambiguous)
    export.write_text(
        "#,How did we do today?,Any comments?,Submitted At\n"
        "t1,4,The parcel came two days late,2024-02-03 10:00:00\n"
        "t2,5,10,2024-02-03 11:00:00\n"
        "t3,great,Lovely staff in the shop,2024-02-03 12:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(SurveyDataError) as err:
        import_file(workspace, export, "responses", fmt="typeform")
    [problem] = err.value.problems
    assert problem.column == "How did we do today?" and problem.value == "great"
    assert SETTLE in problem.expected
    fixed = tmp_path / "typeform_fixed.csv"
    fixed.write_text(
        export.read_text(encoding="utf-8").replace("t3,great,", "t3,1,"), encoding="utf-8"
    )
    report = import_file(workspace, fixed, "responses", fmt="typeform")
    assert report.columns["Any comments?"] == "new question any_comments (text: free-text answers)"
    assert report.columns["How did we do today?"].startswith("new question how_did_we_do_today")
    assert workspace.count("documents") == 3  # "10" is kept as a comment
