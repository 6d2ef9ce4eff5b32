"""Personal data in imported free text is redacted before it is stored."""

from __future__ import annotations

from pathlib import Path

from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# 4111 1111 1111 1111 is the Visa test number (passes the Luhn check)
TEXT = "Refund to card 4111 1111 1111 1111 please, mail me at ann@example.com (order 100234567)"
REDACTED = "Refund to card [CARD] please, mail me at [EMAIL] (order 100234567)"


def _documents(tmp_path: Path) -> Path:
    path = tmp_path / "docs.csv"
    path.write_text(
        "document_id,source,text,customer_id\n"
        f'd1,ticket,"{TEXT}",C001\n'
        "d2,review,Lovely staff on 12/03/2024 and only 19.99,C002\n",
        encoding="utf-8",
    )
    return path


def _customers(ws: Workspace) -> None:
    import_file(ws, EXAMPLES / "respondents.csv", "respondents")


def test_stored_text_is_redacted_and_no_original_kept(workspace: Workspace, tmp_path: Path) -> None:
    _customers(workspace)
    report = import_file(workspace, _documents(tmp_path), "documents")
    stored = dict(workspace.con.execute("SELECT document_id, text FROM documents").fetchall())
    assert stored["d1"] == REDACTED
    # dates, prices and order numbers are not personal data and stay as written
    assert stored["d2"] == "Lovely staff on 12/03/2024 and only 19.99"
    assert workspace.count("document_originals") == 0
    assert report.rows_added["documents"] == 2


def test_original_kept_only_when_configured(workspace: Workspace, tmp_path: Path) -> None:
    (workspace.path / "settings.toml").write_text("[privacy]\nkeep_original = true\n")
    _customers(workspace)
    import_file(workspace, _documents(tmp_path), "documents")
    originals = workspace.con.execute("SELECT document_id, text FROM document_originals").fetchall()
    assert originals == [("d1", TEXT)]
