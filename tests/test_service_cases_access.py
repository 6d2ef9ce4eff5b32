"""Every endpoint of the API (read from the app's OpenAPI schema) and every case page, with
each role and with no credentials: a table of expected codes, so a new endpoint without an
entry fails here. Also: role-scoped API tokens (hashed, shown once, revocable), the CRM
exports' columns, redaction and formula neutralisation, and `cases open` announcing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from realitygap.cli import app as cli
from realitygap.service.app import create_app
from realitygap.store import Workspace
from realitygap.store import cases as case_store
from realitygap.store.campaigns import token_digest
from tests.cases_fixtures import make_case_company, sign_in

runner = CliRunner()
ROLES = ("admin", "analyst", "manager", "viewer")  # manager: logistics
RETAIL = "staff_attitude:d9"
ANY = ("none", *ROLES)


def codes(none: int, admin: int, analyst: int, manager: int, viewer: int) -> dict[str, int]:
    return dict(zip(ANY, (none, admin, analyst, manager, viewer), strict=True))


# /api: credentials are a role token per role (or none). Expected from the rules in
# docs/service.md: a token of any role may read campaigns (none exist here: 404), their
# invitations (respondent ids) only with verbatim access (403 before the 404), only a write
# token submits (403), cases need a role with case access, and the help desk's endpoint
# accepts a signature only (a token is not one: 401).
API: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/campaigns"): codes(401, 200, 200, 200, 200),
    ("GET", "/api/campaigns/{campaign_id}"): codes(401, 404, 404, 404, 404),
    ("GET", "/api/campaigns/{campaign_id}/invitations"): codes(401, 404, 404, 403, 403),
    ("POST", "/api/campaigns/{campaign_id}/submissions"): codes(401, 403, 403, 403, 403),
    ("GET", "/api/cases"): codes(401, 200, 200, 200, 403),
    ("POST", "/api/cases/{case_id}/status"): codes(401, 401, 401, 401, 401),
}
# /app/cases pages: credentials are a dashboard session (none: sent to sign in, 303). The
# case asked for is retail's: not the logistics manager's (404, as if it did not exist). Posts
# without a CSRF token are refused (403).
PAGES: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/app/cases"): codes(303, 200, 200, 200, 403),
    ("GET", "/app/cases/export/{crm}.csv"): codes(303, 200, 200, 200, 403),
    ("GET", "/app/cases/{case_id}"): codes(303, 200, 200, 404, 403),
    ("POST", "/app/cases/{case_id}/assign"): codes(303, 403, 403, 403, 403),
    ("POST", "/app/cases/{case_id}/status"): codes(303, 403, 403, 403, 403),
}


SECURITY_DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"


def markdown_table(table: dict[tuple[str, str], dict[str, int]], first: str) -> str:
    """``table`` as docs/security.md shows it: a row an endpoint, a column a credential."""
    head = f"| {first} | no credentials | " + " | ".join(ROLES) + " |"
    rows = [
        f"| `{method} {path}` | " + " | ".join(str(want[who]) for who in ANY) + " |"
        for (method, path), want in table.items()
    ]
    return "\n".join([head, "|---" * (len(ANY) + 1) + "|", *rows])


def test_the_security_doc_shows_these_tables() -> None:
    # docs/security.md quotes API and PAGES, the tables the test below checks every endpoint
    # against, as this module renders them: a code changed here and not there fails.
    doc = SECURITY_DOC.read_text(encoding="utf-8")
    assert markdown_table(API, "endpoint (API token)") in doc
    assert markdown_table(PAGES, "case page (session)") in doc


@pytest.fixture
def company(tmp_path: Path) -> Path:
    return make_case_company(tmp_path / "ws")


@pytest.fixture
def client(company: Path) -> Iterator[TestClient]:
    with TestClient(create_app(company), follow_redirects=False) as c:
        yield c


def role_tokens(company: Path) -> dict[str, str]:
    out = {}
    for role in ROLES:
        extra = ["--department", "logistics"] if role == "manager" else []
        r = runner.invoke(cli, ["token", "create", str(company), "--role", role, *extra])
        assert r.exit_code == 0, r.output
        found = re.search(r"(tok_\w+) \(role [^)]*\): (rg_\S+)", r.output)
        assert found, r.output
        out[role] = found.group(2)
    return out


def filled(path: str) -> str:
    return (
        path.replace("{campaign_id}", "nope")
        .replace("{case_id}", quote(RETAIL, safe=""))
        .replace("{crm}", "zendesk")
    )


def test_every_endpoint_and_case_page_has_an_expected_code_per_role(
    client: TestClient, company: Path
) -> None:
    schema = client.app.openapi()  # type: ignore[attr-defined]
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert documented == set(API), "an /api endpoint without an expected code per role"
    pages = {
        (m, r.path)  # type: ignore[attr-defined]
        for r in client.app.routes  # type: ignore[attr-defined]
        if getattr(r, "path", "").startswith("/app/cases")
        for m in getattr(r, "methods", ())
        if m != "HEAD"
    }
    assert pages == set(PAGES), "a case page without an expected code per role"
    tokens = role_tokens(company)
    body = {"respondent_id": "c1", "answers": {"q_nps": 9}}
    for who in ANY:
        headers = {} if who == "none" else {"Authorization": f"Bearer {tokens[who]}"}
        for (method, path), want in API.items():
            r = client.request(
                method,
                filled(path),
                json=body if method == "POST" else None,
                headers={**headers, "Idempotency-Key": "k1"},
            )
            assert r.status_code == want[who], (who, method, path, r.status_code, r.text)
    for who in ANY:
        client.cookies.clear()
        if who != "none":
            assert sign_in(client, who) == 303
        for (method, path), want in PAGES.items():
            got = client.request(method, filled(path), data={"status": "contacted"}).status_code
            assert got == want[who], (who, method, path, got)


def test_role_tokens_hashed_scoped_and_revocable(client: TestClient, company: Path) -> None:
    tokens = role_tokens(company)
    with Workspace.open(company, read_only=True) as ws:
        stored = [r[0] for r in ws.con.execute("SELECT token_sha256 FROM api_tokens").fetchall()]
    assert token_digest(tokens["manager"]) in stored
    assert not any(t in stored for t in tokens.values())  # only the hashes are kept
    auth = {"Authorization": f"Bearer {tokens['manager']}"}
    got = client.get("/api/cases", headers=auth).json()
    # the fixture's logistics cases (delivery's owner department is logistics)
    assert {c["case_id"] for c in got["items"]} == {"detractor:c1:w1", "detractor:c2:w1"}
    assert "resolution" not in got["items"][0]  # no verbatim access
    listed = runner.invoke(cli, ["token", "list", str(company)])
    token_id = re.search(r"(tok_\w+)  role manager, logistics", listed.output)
    assert token_id, listed.output
    assert runner.invoke(cli, ["token", "revoke", str(company), token_id.group(1)]).exit_code == 0
    assert client.get("/api/cases", headers=auth).status_code == 401
    bad = runner.invoke(cli, ["token", "create", str(company), "--role", "manager"])
    assert bad.exit_code == 2 and "--department" in bad.output


# The import columns documented in docs/service.md, from each vendor's field reference
# (Salesforce Case API names; HubSpot ticket property labels; Zendesk Tickets API fields).
COLUMNS = {
    "salesforce": ["Subject", "Description", "Status", "Priority", "Origin", "Type", "Reason",
                   "SuppliedName", "SuppliedEmail", "Comments"],
    "hubspot": ["Ticket name", "Pipeline", "Ticket status", "Ticket description", "Priority",
                "Source", "Create date", "Ticket ID (external)"],
    "zendesk": ["external_id", "subject", "description", "status", "priority", "type",
                "due_at", "tags", "created_at"],
}  # fmt: skip


def test_crm_exports_have_the_import_columns_redacted_and_formula_safe(
    client: TestClient, company: Path
) -> None:
    with Workspace.open(company) as ws:
        case_store.update(ws, "detractor:c1:w1", status="contacted")
        case_store.update(
            ws,
            "detractor:c1:w1",
            status="resolved",
            resolution='=HYPERLINK("http://x") call me on jane.doe@example.com',
        )
    assert sign_in(client, "analyst") == 303
    for crm, columns in COLUMNS.items():
        r = client.get(f"/app/cases/export/{crm}.csv?overdue=yes")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == columns
        # the fixture's one overdue case is resolved now (no longer overdue): the header alone
        assert len(rows) == 1
    r = client.get("/app/cases/export/salesforce.csv?status=resolved")
    [row] = list(csv.DictReader(io.StringIO(r.text)))
    assert row["Comments"].startswith("'=HYPERLINK")  # shown as text by a spreadsheet
    assert "jane.doe@example.com" not in r.text  # redacted like any customer text
    assert row["Status"] == "Closed" and "late again" in row["Description"]  # analyst: words
    assert sign_in(client, "manager") == 303
    r = client.get("/app/cases/export/zendesk.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {x["external_id"] for x in rows} == {"detractor:c1:w1", "detractor:c2:w1"}
    assert "late again" not in r.text  # a manager has no verbatim access


def test_cases_open_audits_and_queues_the_opened_cases(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (company / "settings.toml").write_text(
        '[webhooks]\nurl = "http://127.0.0.1:9/hook"\n', encoding="utf-8"
    )
    with Workspace.open(company) as ws:
        ws.con.execute("DELETE FROM cases")
    # c1 answered q_nps 3 in the fixture: a detractor (0-6), the only one
    r = runner.invoke(cli, ["cases", "open", str(company), "--trigger", "detractor"])
    assert r.exit_code == 0 and "1 new cases opened" in r.output, r.output
    with Workspace.open(company, read_only=True) as ws:
        queued = ws.con.execute("SELECT event, case_id FROM webhook_deliveries").fetchall()
        audited = ws.con.execute(
            "SELECT action, target FROM audit_log WHERE action LIKE 'case.%'"
        ).fetchall()
    assert queued == [("case.opened", "detractor:c1:w1")]
    assert audited == [("case.opened", "detractor:c1:w1")]


def test_the_opening_rule_is_configurable_by_score_touchpoint_and_segment(
    company: Path,
) -> None:
    # Planted here: c1 answered NPS 3 and q_ease 2 (q_ease at delivery), segment "b2c";
    # c2 answers NPS 5 only, segment "b2b". Both are detractors under the default rule (0-6).
    with Workspace.open(company) as ws:
        ws.con.execute("DELETE FROM cases")
        ws.con.execute("UPDATE questions SET touchpoint = 'delivery' WHERE question_id = 'q_ease'")
        ws.con.execute("UPDATE respondents SET segment = 'b2c' WHERE respondent_id = 'c1'")
        ws.con.execute("UPDATE respondents SET segment = 'b2b' WHERE respondent_id = 'c2'")
        ws.con.execute(
            "INSERT INTO responses (respondent_id, question_id, wave, value) "
            "VALUES ('c2', 'q_nps', 'w1', 5)"
        )

    def opened(*options: str) -> list[str]:
        args = ["cases", "open", str(company), "--trigger", "detractor", "--json", *options]
        r = runner.invoke(cli, args)
        assert r.exit_code == 0, r.output
        with Workspace.open(company) as ws:
            ids = [row[0] for row in ws.con.execute("SELECT case_id FROM cases").fetchall()]
            ws.con.execute("DELETE FROM cases")
        return sorted(ids)

    assert opened("--score-to", "2") == []  # 3 and 5 are both above 2
    assert opened("--score-to", "4") == ["detractor:c1:w1"]
    assert opened("--segment", "b2b") == ["detractor:c2:w1"]
    assert opened("--touchpoint", "delivery") == ["detractor:c1:w1"]
    assert opened() == ["detractor:c1:w1", "detractor:c2:w1"]
