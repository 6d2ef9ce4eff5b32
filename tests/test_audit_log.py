"""Issue #22: every change to users, campaigns, cases, settings and imports leaves exactly one
audit entry (who, when, before, after), which admins see and anyone with the workspace can
export (``realitygap audit-log --csv``), formulas neutralised and personal data redacted.

Expected values come from the test's own inputs: the file's SHA-256 from hashlib, the rows
from the CSV written here, the settings from tomllib over the file written here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from realitygap.cli import app as cli
from realitygap.ingest import import_file
from realitygap.service.access import add_user
from realitygap.service.app import create_app
from realitygap.service.manage import close_campaign, create_campaign
from realitygap.store import Workspace
from realitygap.store import cases as case_store
from realitygap.store.campaigns import utc_now
from realitygap.store.settings import record_settings_change
from realitygap.store.users import AuditEntry, audit_entries, record_failure
from realitygap.store.write import insert_new
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace, sign_in

PASSWORD = "correct horse battery"
runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with make_workspace(tmp_path / "ws") as opened:
        yield opened


def _only(ws: Workspace, action: str) -> AuditEntry:
    found = audit_entries(ws, action=action)
    assert len(found) == 1, [e.action for e in found]
    return found[0]


def _between(entry: AuditEntry, start: datetime, end: datetime) -> None:
    assert start <= entry.changed_at <= end, (start, entry.changed_at, end)


def test_a_campaign_created_and_closed_is_audited_once_each(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    start = utc_now()
    create_campaign(ws, tmp_path / "c.toml")
    created = _only(ws, "campaign.create")
    _between(created, start, utc_now())
    assert (created.actor, created.target, created.before) == ("cli", "2026-spring", None)
    after = json.loads(created.after or "{}")
    # from CAMPAIGN_TOML: its name, wave and the four items in order
    assert (after["name"], after["wave"], after["status"]) == (
        "Spring survey",
        "2026-spring",
        "open",
    )
    assert after["items"] == ["q_nps", "q_ease", "q_followup", "q_staff"]

    close_campaign(ws, "2026-spring")
    close_campaign(ws, "2026-spring")  # already closed: nothing changes, nothing recorded
    closed = _only(ws, "campaign.close")
    assert json.loads(closed.before or "{}")["status"] == "open"
    assert json.loads(closed.after or "{}")["status"] == "closed"
    assert {k: v for k, v in json.loads(closed.after or "{}").items() if k != "status"} == {
        k: v for k, v in json.loads(closed.before or "{}").items() if k != "status"
    }


def test_an_import_is_audited_with_its_digest_and_rows(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("respondent_id,kind\nc1,customer\nc9,customer\nc10,customer\n")
    start = utc_now()
    import_file(ws, path, "respondents")
    entry = _only(ws, "import")
    _between(entry, start, utc_now())
    ledger = ws.con.execute("SELECT import_id FROM imports").fetchall()
    assert entry.target == ledger[-1][0] and entry.before is None and entry.actor == "cli"
    # 3 rows read; c1 exists already (make_workspace), so 2 added
    assert json.loads(entry.after or "{}") == {
        "file": "people.csv",
        "kind": "respondents",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows_read": 3,
        "rows_added": 2,
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,kind\nc11,robot\n")
    with pytest.raises(ValueError):
        import_file(ws, bad, "respondents")
    assert len(audit_entries(ws, action="import")) == 1  # a refused import records nothing


def test_a_settings_change_is_audited_once_with_before_and_after(ws: Workspace) -> None:
    path = ws.path / "settings.toml"
    assert not record_settings_change(ws)  # no file, nothing recorded before: no change
    path.write_text('[report]\ncurrency = "EUR"\n[smtp]\nhost = "mx"\nsender = "a@b.c"\n')
    assert record_settings_change(ws) and not record_settings_change(ws)
    first = _only(ws, "settings.change")
    assert first.before is None
    assert json.loads(first.after or "{}") == tomllib.loads(path.read_text())
    assert first.actor.startswith("system:")  # the account that owns the file
    path.write_text('[report]\ncurrency = "GBP"\n[webhooks]\nsecret_key = "s3cret"\n')
    assert record_settings_change(ws)
    entries = audit_entries(ws, action="settings.change")
    assert len(entries) == 2
    newest = max(entries, key=lambda e: e.changed_at)
    assert newest.before == first.after
    assert json.loads(newest.after or "{}") == {
        "report": {"currency": "GBP"},
        "webhooks": {"secret_key": "[redacted]"},  # a credential is never kept
    }


def test_a_case_change_is_audited_with_personal_data_redacted(ws: Workspace) -> None:
    now = pd.Timestamp(utc_now())
    insert_new(
        ws,
        "cases",
        pd.DataFrame(
            {
                "case_id": ["detractor:c1:w"],
                "customer_id": ["c1"],
                "trigger": ["detractor"],
                "status": ["open"],
                "opened_at": pd.Series([now], dtype="datetime64[us]"),
                "due_at": pd.Series([now + pd.Timedelta(hours=48)], dtype="datetime64[us]"),
            }
        ),
    )
    case_store.update(ws, "detractor:c1:w", status="contacted", actor="u1")
    case_store.update(
        ws, "detractor:c1:w", status="resolved", resolution="Refunded, mailed ann@example.org"
    )
    changed = audit_entries(ws, action="case.status_changed")
    assert len(changed) == 2
    contacted = next(e for e in changed if e.actor == "u1")
    assert json.loads(contacted.before or "{}")["status"] == "open"
    assert json.loads(contacted.after or "{}")["status"] == "contacted"
    resolved = next(e for e in changed if e.actor == "cli")
    assert "ann@example.org" not in (resolved.after or "")
    assert json.loads(resolved.after or "{}")["resolution"].startswith("Refunded, mailed ")


def test_the_cli_exports_the_log_as_csv_and_json_with_formulas_neutralised(
    ws: Workspace, tmp_path: Path
) -> None:
    record_failure(ws, '=HYPERLINK("http://evil.example")', "203.0.113.9")
    (tmp_path / "c.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    create_campaign(ws, tmp_path / "c.toml")
    ws.close()
    out = runner.invoke(cli, ["audit-log", str(ws.path), "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert sorted(r["action"] for r in rows) == ["campaign.create", "login.failed"]
    failed = next(r for r in rows if r["action"] == "login.failed")
    assert failed["actor"] == '\'=HYPERLINK("http://evil.example")'  # text, never a formula
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    listed = runner.invoke(
        cli, ["audit-log", str(ws.path), "--json", "--action", "campaign.create"]
    )
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.stdout)
    assert entry["target"] == "2026-spring" and entry["before"] is None


@pytest.mark.parametrize("role", ["admin", "analyst", "manager", "viewer"])
def test_only_an_admin_sees_the_log(tmp_path: Path, role: str) -> None:
    with make_workspace(tmp_path / "ws") as ws:
        department = "retail" if role == "manager" else None
        add_user(ws, f"{role}@example.com", role, role, PASSWORD, department=department)
        (tmp_path / "c.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
        create_campaign(ws, tmp_path / "c.toml")
    with TestClient(create_app(tmp_path / "ws"), follow_redirects=False) as client:
        assert sign_in(client, f"{role}@example.com", PASSWORD) == 303
        page = client.get("/app/admin/audit")
        export = client.get("/app/admin/audit.csv")
    if role == "admin":
        assert page.status_code == 200 and "campaign.create" in page.text
        assert export.status_code == 200 and "campaign.create" in export.text
    else:
        assert (page.status_code, export.status_code) == (403, 403)
        assert "campaign.create" not in page.text + export.text


def test_the_admin_audit_page_records_a_settings_edit_once(tmp_path: Path) -> None:
    """A hand edit of settings.toml while the server runs shows on the admin's audit page and
    its CSV (as `realitygap audit-log` records it), once. Expected: tomllib over the file
    written here."""
    with make_workspace(tmp_path / "ws") as ws:
        add_user(ws, "admin@example.com", "Admin", "admin", PASSWORD)
    path = tmp_path / "ws" / "settings.toml"
    with TestClient(create_app(tmp_path / "ws"), follow_redirects=False) as client:
        assert sign_in(client, "admin@example.com", PASSWORD) == 303
        path.write_text('[report]\ncurrency = "EUR"\n', encoding="utf-8")
        page = client.get("/app/admin/audit")
        export = client.get("/app/admin/audit.csv")
    assert page.status_code == 200 and "settings.change" in page.text
    rows = [r for r in csv.DictReader(io.StringIO(export.text)) if r["action"] == "settings.change"]
    assert len(rows) == 1  # the page and the export together recorded it once
    assert json.loads(rows[0]["after"]) == tomllib.loads(path.read_text("utf-8"))
