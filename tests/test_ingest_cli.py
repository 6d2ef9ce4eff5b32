"""`realitygap import`: exit code 2 with a message naming file, row, column and value; JSON
output; survey-tool exports that do not fit their format."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    with Workspace.create(path) as ws:
        import_file(ws, EXAMPLES / "questions.csv", "questions")
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
    return path


def test_bad_file_exits_2_naming_file_row_column_value(ws_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad_responses.csv"
    bad.write_text("respondent_id,question_id,value,wave\nC001,nps,11,w1\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(ws_path), str(bad), "--kind", "responses"])
    assert result.exit_code == 2
    # the console wraps long lines (even inside words): compare without whitespace
    message = "".join(result.output.split())
    for part in (
        f"{bad}, row 2, column 'value': found '11'",
        "expected an integer from 0 to 10 (nps scale)",
    ):
        assert "".join(part.split()) in message


def test_json_report(ws_path: Path) -> None:
    result = runner.invoke(
        app, ["import", str(ws_path), str(EXAMPLES / "events.csv"), "--kind", "events", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # examples/events.csv has 8 rows
    assert report["rows_read"] == 8 and report["encoding"] == "utf-8"
    assert report["kind"] == "events" and set(report["rows_added"]) == {"events"}
    assert report["sha256"] == hashlib.sha256((EXAMPLES / "events.csv").read_bytes()).hexdigest()


def test_unknown_kind_and_format_exit_2(ws_path: Path) -> None:
    events = str(EXAMPLES / "events.csv")
    result = runner.invoke(app, ["import", str(ws_path), events, "--kind", "things"])
    assert result.exit_code == 2 and "things" in result.output
    result = runner.invoke(
        app, ["import", str(ws_path), events, "--kind", "responses", "--format", "limesurvey"]
    )
    assert result.exit_code == 2 and "limesurvey" in result.output


def test_unmatched_survey_column_becomes_a_respondent_attribute(
    ws_path: Path, tmp_path: Path
) -> None:
    # issue 16: an extra column of an export is kept as an attribute, not refused
    path = tmp_path / "typeform.csv"
    text = (EXAMPLES / "typeform.csv").read_text(encoding="utf-8")
    path.write_text(text.replace("Network ID", "Favourite colour"), encoding="utf-8")
    with Workspace.open(ws_path) as ws:
        report = import_file(ws, path, "responses", fmt="typeform", wave="w")
        assert report.columns["Favourite colour"] == "respondent attribute favourite_colour"
        # the column's cells, read with the csv module, are what the attribute holds
        with path.open(encoding="utf-8", newline="") as fh:
            expected = {r["#"]: r["Favourite colour"] for r in csv.DictReader(fh)}
        got = dict(
            ws.con.execute(
                "SELECT respondent_id, favourite_colour FROM respondents "
                "WHERE favourite_colour IS NOT NULL"
            ).fetchall()
        )
    assert got == expected


def test_qualtrics_shape_is_checked(ws_path: Path) -> None:
    # a Google Forms file read as Qualtrics: row 3 holds no {"ImportId": ...} cells
    with Workspace.open(ws_path) as ws, pytest.raises(SurveyDataError) as info:
        import_file(ws, EXAMPLES / "google_forms.csv", "responses", fmt="qualtrics", wave="w")
    assert any(p.row == 3 and "ImportId" in p.expected for p in info.value.problems)


def test_survey_export_without_wave_gets_its_month_range(ws_path: Path, tmp_path: Path) -> None:
    source = EXAMPLES / "typeform.csv"
    with source.open(encoding="utf-8", newline="") as fh:
        months = sorted(r["Submit Date (UTC)"][:7] for r in csv.DictReader(fh))
    expected = months[0] if months[0] == months[-1] else f"{months[0]}..{months[-1]}"
    copy = tmp_path / "typeform.csv"
    copy.write_bytes(source.read_bytes())
    with Workspace.open(ws_path) as ws:
        report = import_file(ws, copy, "responses", fmt="typeform")
        waves = ws.con.execute(
            "SELECT DISTINCT wave FROM responses r JOIN imports i ON true "
            "WHERE i.file = ? AND r.wave = ?",
            [str(copy), expected],
        ).fetchall()
    assert waves == [(expected,)]
    [note] = report.notes
    assert repr(expected) in note and "--wave" in note and note in str(report)


def test_survey_export_without_wave_or_dates_is_an_error(ws_path: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLES / "typeform.csv", dtype=str)
    path = tmp_path / "no_dates.csv"
    frame.drop(columns=["Start Date (UTC)", "Submit Date (UTC)"]).to_csv(path, index=False)
    with Workspace.open(ws_path) as ws, pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "responses", fmt="typeform")
    [p] = info.value.problems
    assert p.column == "wave" and "--wave" in p.expected


def test_mapping_file_names_missing_columns(ws_path: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('respondent_id = "Customer no"\nwave = "Round"\n', encoding="utf-8")
    with Workspace.open(ws_path) as ws, pytest.raises(SurveyDataError) as info:
        import_file(ws, EXAMPLES / "feedback_export.csv", "responses", mapping=mapping)
    assert "Customer no" in {p.column for p in info.value.problems}
