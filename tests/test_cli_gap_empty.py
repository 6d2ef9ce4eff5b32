"""Issue 16, point 8: `realitygap gap` on a workspace without staff predictions says in one
sentence what is missing and how to import it (exit 0), instead of an empty heading."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def _gap(ws: Path) -> str:
    result = runner.invoke(app, ["gap", str(ws)], env={"COLUMNS": "2000"})
    assert result.exit_code == 0, result.output
    return result.output


def _import(ws: Path, file: Path, kind: str) -> None:
    result = runner.invoke(app, ["import", str(ws), str(file), "--kind", kind])
    assert result.exit_code == 0, result.output


def test_gap_says_what_to_collect_at_each_step(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Workspace.create(ws):
        pass
    # nothing yet: how to write and import the mirror survey
    out = _gap(ws)
    assert "No staff predictions to compare yet" in out
    assert f"realitygap import {ws} FILE --kind questions" in out
    assert "Most over-estimated" not in out
    assert len(out.strip().splitlines()) == 1  # one sentence, one line when not wrapped

    # examples/questions.csv holds three mirror questions (m_nps, m_delivery_speed,
    # m_staff_welcome: counted by hand), nobody has answered them
    _import(ws, EXAMPLES / "questions.csv", "questions")
    out = _gap(ws)
    assert "No staff have answered the 3 mirror question(s) yet" in out
    assert "--kind respondents" in out and "--kind responses" in out

    # two staff predictions (hand-made file), no customer answers
    _import(ws, EXAMPLES / "respondents.csv", "respondents")
    staff_only = tmp_path / "mirror.csv"
    staff_only.write_text(
        "respondent_id,question_id,value,wave\nS001,m_nps,9,2024-Q1\nS002,m_staff_welcome,4,2024-Q1\n"
    )
    _import(ws, staff_only, "responses")
    out = _gap(ws)
    assert "2 staff prediction(s) but no customer answers to the mirrored questions yet" in out

    # with customers' answers there is a gap to show, and no such sentence
    _import(ws, EXAMPLES / "responses_long.csv", "responses")
    out = _gap(ws)
    assert "yet" not in out
    assert "Most over-estimated" in out
