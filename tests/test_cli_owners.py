"""Issue 16, point 7: case owners appear by name, never by e-mail address, in the CLI: a staff
member named in the staff table shows by that name (assigned by id or by e-mail), an e-mail
address nobody is named for is redacted, a department shows as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.cli._owners import owner_label
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "respondent_id,kind,role,department,name,email\n"
        "S101,staff,manager,retail,Ana Silva,ana@acme.example\n"
        "S102,staff,frontline,logistics,Bo Chen,bo@acme.example\n"
    )
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "case_id,customer_id,trigger,touchpoint,owner,status,opened_at,due_at\n"
        "K1,C001,detractor,delivery,logistics,open,2024-02-05 09:00,2024-02-07 09:00\n"
        "K2,C002,detractor,store_staff,retail,open,2024-02-06 09:00,2024-02-08 09:00\n"
        "K3,C003,detractor,delivery,logistics,open,2024-02-07 09:00,2024-02-09 09:00\n"
    )
    with Workspace.create(tmp_path / "ws") as ws:
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
        import_file(ws, staff, "respondents")
        import_file(ws, cases, "cases")
    return tmp_path / "ws"


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_owners_by_name_never_by_email(ws_path: Path) -> None:
    ws = str(ws_path)
    out = _cli("cases", "assign", ws, "K1", "ana@acme.example")
    assert "now owned by Ana Silva" in out and "ana@acme.example" not in out
    out = _cli("cases", "assign", ws, "K2", "S102")  # by staff id
    assert "now owned by Bo Chen" in out
    out = _cli("cases", "assign", ws, "K3", "cy@elsewhere.example")  # nobody of that name
    assert "now owned by [EMAIL]" in out and "cy@elsewhere.example" not in out

    listed = json.loads(_cli("cases", "list", ws, "--json"))
    assert {row["case_id"]: row["owner"] for row in listed} == {
        "K1": "Ana Silva",
        "K2": "Bo Chen",
        "K3": "[EMAIL]",
    }
    table = _cli("cases", "list", ws)
    assert "Ana Silva" in table and "@" not in table


def test_departments_and_missing_owners_stay() -> None:
    names = {"s101": "Ana Silva"}
    assert owner_label("customer_service", names) == "customer_service"
    assert owner_label(None, names) is None
    assert owner_label(" S101 ", names) == "Ana Silva"  # ids match ignoring case and spaces
