"""Issue 16, point 7: a case owner's e-mail address never reaches the report (HTML and
spreadsheet) or the CLI, whichever command reads the cases."""

from __future__ import annotations

import zipfile
from pathlib import Path

from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()
ADDRESS = "ana.owner@acme.example"


def test_case_owner_address_reaches_no_output(ws: Workspace, tmp_path: Path) -> None:
    for name, kind in [("responses_long.csv", "responses"), ("cases.csv", "cases")]:
        import_file(ws, EXAMPLES / name, kind)
    path = ws.path
    ws.close()
    outputs = []
    for argv in (
        ["cases", "assign", str(path), "CASE-1", ADDRESS],
        ["cases", "list", str(path)],
        ["cases", "list", str(path), "--json"],
        ["cases", "recovery", str(path), "--json"],
        [
            "report",
            str(path),
            "--out",
            str(tmp_path / "r.html"),
            "--xlsx",
            str(tmp_path / "r.xlsx"),
        ],
    ):
        result = runner.invoke(app, argv, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    with Workspace.open(path, read_only=True) as opened:  # it is stored as assigned
        assert ADDRESS in set(opened.table("cases").execute()["owner"])
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as book:
        sheets = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    for text in [*outputs, html, sheets]:
        assert ADDRESS not in text and "ana.owner" not in text
