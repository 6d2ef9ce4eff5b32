"""Issue 16, point 1: survey-tool exports import as they come, without a mapping file.

Qualtrics' ``_NPS_GROUP`` column is checked against its score, embedded data and any other
extra column become respondent attributes, and a missing wave is the export's month range,
announced in the report. Expected values are read from the example files with the csv module
and the NPS groups by the published rule (0-6 detractor, 7-8 passive, 9-10 promoter)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.ingest._derived import attribute_name
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOT_REAL = {"Survey Preview", "Survey Test", "Spam"}  # Qualtrics Status of test responses


def _qualtrics_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    names = rows[0]
    return names, [dict(zip(names, r, strict=True)) for r in rows[3:]]


def _group(score: str) -> str:
    s = int(score)  # Reichheld's NPS groups
    return "Detractor" if s <= 6 else "Passive" if s <= 8 else "Promoter"


def test_qualtrics_nps_export_imports_without_mapping_or_wave(ws: Workspace) -> None:
    path = EXAMPLES / "qualtrics_nps.csv"
    _, rows = _qualtrics_rows(path)
    real = [r for r in rows if r["Status"] not in NOT_REAL]
    # the example is self-consistent: every group is its score's group
    assert all(r["Q1_NPS_GROUP"] == _group(r["Q1"]) for r in rows if r["Q1"])
    report = import_file(ws, path, "responses", fmt="qualtrics")
    assert report.columns["Q1"] == "question nps"
    assert report.columns["Q1_NPS_GROUP"].startswith("derived: NPS group of nps")
    assert report.columns["store"] == "respondent attribute store"
    assert report.columns["loyalty_tier"] == "respondent attribute loyalty_tier"
    assert report.columns["IPAddress"] == "ignored (qualtrics metadata)"
    months = sorted(r["RecordedDate"][:7] for r in real)
    wave = months[0] if months[0] == months[-1] else f"{months[0]}..{months[-1]}"
    assert any(repr(wave) in note for note in report.notes)
    stored = dict(
        ws.con.execute(
            "SELECT respondent_id, store FROM respondents WHERE respondent_id LIKE 'R\\_%' "
            "ESCAPE '\\'"
        ).fetchall()
    )
    assert stored == {r["ResponseId"]: r["store"] for r in real}
    scores = dict(
        ws.con.execute(
            "SELECT respondent_id, value FROM responses WHERE question_id = 'nps'"
        ).fetchall()
    )
    assert scores == {r["ResponseId"]: float(r["Q1"]) for r in real if r["Q1"]}
    [(n_waves,)] = ws.con.execute("SELECT count(DISTINCT wave) FROM responses").fetchall()
    assert n_waves == 1


@pytest.mark.parametrize(
    ("file_row", "score", "group", "why"),
    [
        (4, "9", "Detractor", "the export disagrees with itself"),  # 9 is a Promoter
        (5, "4", "3", "the export disagrees with itself"),  # code 3 = Promoter, 4 detracts
        (5, "4", "Fan", "an NPS group"),
    ],
)
def test_qualtrics_nps_group_that_disagrees_with_its_score_is_an_error(
    ws: Workspace, tmp_path: Path, file_row: int, score: str, group: str, why: str
) -> None:
    with (EXAMPLES / "qualtrics_nps.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    names = rows[0]
    assert rows[file_row - 1][names.index("Q1")] == score
    rows[file_row - 1][names.index("Q1_NPS_GROUP")] = group
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = ws.count("responses")
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "responses", fmt="qualtrics")
    [p] = info.value.problems
    assert (p.row, p.column, p.value) == (file_row, "Q1_NPS_GROUP", group)
    assert why in p.expected
    assert ws.count("responses") == before


def test_nps_group_of_a_question_that_is_not_nps_is_an_error(ws: Workspace, tmp_path: Path) -> None:
    text = (EXAMPLES / "qualtrics_nps.csv").read_text(encoding="utf-8")
    # delivery_speed is likert5 (examples/questions.csv): a group beside it is wrong
    path = tmp_path / "export.csv"
    path.write_text(text.replace("Q1_NPS_GROUP", "delivery_speed_NPS_GROUP", 1), "utf-8")
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "responses", fmt="qualtrics")
    [p] = info.value.problems
    assert p.column == "delivery_speed_NPS_GROUP" and "likert5" in p.expected


def test_google_forms_extra_column_becomes_an_attribute(ws: Workspace) -> None:
    path = EXAMPLES / "google_forms_store.csv"
    report = import_file(ws, path, "responses", fmt="google_forms", wave="2024-02")
    name = "which_store_did_you_visit"
    assert report.columns["Which store did you visit?"] == f"respondent attribute {name}"
    with path.open(encoding="utf-8", newline="") as fh:
        expected = sorted(r["Which store did you visit?"] for r in csv.DictReader(fh))
    got = sorted(
        r[0]
        for r in ws.con.execute(
            f"SELECT {name} FROM respondents WHERE {name} IS NOT NULL"
        ).fetchall()
    )
    assert got == expected
    assert f"Which store did you visit?: respondent attribute {name}" in str(report)


def test_surveymonkey_extra_question_becomes_an_attribute(ws: Workspace, tmp_path: Path) -> None:
    with (EXAMPLES / "surveymonkey.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("Which store did you visit?")
    rows[1].append("Response")
    for i, row in enumerate(rows[2:]):
        row.append(f"Store {i}")
    path = tmp_path / "sm.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    # the example's labels ("Strongly agree") need its mapping file's [values]
    mapping = EXAMPLES / "surveymonkey_mapping.toml"
    report = import_file(ws, path, "responses", fmt="surveymonkey", wave="w", mapping=mapping)
    assert report.columns["Which store did you visit?"].endswith("which_store_did_you_visit")
    got = {
        r[0] for r in ws.con.execute("SELECT which_store_did_you_visit FROM respondents").fetchall()
    }
    assert {f"Store {i}" for i in range(len(rows) - 2)} <= got


def test_qualtrics_question_column_unknown_to_the_workspace_stays_an_error(
    ws: Workspace, tmp_path: Path
) -> None:
    # a QID column is an answer: without its question it must not become an attribute
    text = (EXAMPLES / "qualtrics_nps.csv").read_text(encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text(text.replace("delivery_speed,", "Q2,", 1), "utf-8")
    path.write_text(
        path.read_text("utf-8").replace(
            "How satisfied were you with the speed of your delivery?", "A new question?", 1
        ),
        "utf-8",
    )
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "responses", fmt="qualtrics")
    [p] = info.value.problems
    assert p.column == "Q2" and "[questions]" in p.expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("Which store did you visit?", "which_store_did_you_visit"),
        ("Région / Ville", "region_ville"),
        ("2nd visit", "attr_2nd_visit"),
        ("kind", "attr_kind"),
        ("???", "attr"),
        ("store", "store_2"),  # "store" is taken
    ],
)
def test_attribute_names(column: str, expected: str) -> None:
    # the naming rule of docs/formats.md, by hand
    assert attribute_name(column, {"store"}) == expected
