"""Cases in the browser: a manager's department scope (IDOR: another department's case is
404), the loop's rules from store/cases.py, verbatims only for roles with verbatim access,
overdue flags, CSRF, audit entries with before and after, and role-scoped API tokens."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from realitygap.service.app import create_app
from realitygap.service.cases_web import SESSION_COOKIE
from realitygap.service.dashboard import SESSION_COOKIE as DASHBOARD_COOKIE
from realitygap.store import users as user_store
from tests.cases_fixtures import HOSTILE, make_case_company, open_ws, sign_in

LOGISTICS = ("detractor:c1:w1", "detractor:c2:w1")  # delivery's owner is logistics
RETAIL = "staff_attitude:d9"  # store_staff's owner is retail


@pytest.fixture
def company(tmp_path: Path) -> Path:
    return make_case_company(tmp_path / "ws")


@pytest.fixture
def client(company: Path) -> Iterator[TestClient]:
    with TestClient(create_app(company), follow_redirects=False) as c:
        yield c


def url(case_id: str) -> str:
    return "/app/cases/" + quote(case_id, safe="")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def listed(page: str) -> set[str]:
    return set(re.findall(r'<td><a href="/app/cases/[^"]+">([^<]+)</a>', html.unescape(page)))


def test_the_cookie_is_the_dashboards() -> None:
    assert SESSION_COOKIE == DASHBOARD_COOKIE


def test_manager_sees_only_their_department_and_another_departments_case_is_404(
    client: TestClient, company: Path
) -> None:
    # Expected sets from the fixture's touchpoints and the default taxonomy's owners
    # (delivery -> logistics, store_staff -> retail), not from the code.
    assert sign_in(client, "manager") == 303
    assert listed(client.get("/app/cases").text) == set(LOGISTICS)
    # the department filter cannot widen a manager's scope
    assert listed(client.get("/app/cases?department=retail").text) == set(LOGISTICS)
    assert client.get(url(RETAIL)).status_code == 404
    token = csrf_of(client.get(url(LOGISTICS[0])).text)
    r = client.post(url(RETAIL) + "/status", data={"status": "contacted", "csrf": token})
    assert r.status_code == 404
    with open_ws(company) as ws:
        assert ws.con.execute(
            "SELECT status FROM cases WHERE case_id = ?", [RETAIL]
        ).fetchone() == ("open",)
    assert sign_in(client, "retail") == 303
    assert listed(client.get("/app/cases").text) == {RETAIL}
    assert sign_in(client, "analyst") == 303
    assert listed(client.get("/app/cases").text) == {*LOGISTICS, RETAIL}
    assert listed(client.get("/app/cases?department=retail").text) == {RETAIL}


def test_manager_walks_the_loop_and_each_change_is_audited(
    client: TestClient, company: Path
) -> None:
    case = LOGISTICS[1]
    assert sign_in(client, "manager") == 303
    token = csrf_of(client.get(url(case)).text)

    def post(**data: str) -> int:
        return client.post(url(case) + "/status", data={**data, "csrf": token}).status_code

    # open -> resolved skips a step: refused by CASE_TRANSITIONS, nothing changes
    assert post(status="resolved") == 422
    assert post(status="contacted") == 303
    assert post(status="resolved", resolution="refunded the delivery", rating="8") == 303
    assert post(status="closed") == 303
    assert client.post(url(case) + "/assign", data={"owner": "x", "csrf": token}).status_code == 422
    with open_ws(company) as ws:
        row = ws.con.execute(
            "SELECT status, resolution, recovery_rating, first_contact_at IS NOT NULL "
            "FROM cases WHERE case_id = ?",
            [case],
        ).fetchone()
        entries = [e for e in user_store.audit_entries(ws) if e.target == case]
        manager = user_store.user_by_email(ws, "manager@example.com")
    assert row == ("closed", "refunded the delivery", 8.0, True)
    assert [e.action for e in sorted(entries, key=lambda e: e.changed_at)] == [
        "case.status_changed",
        "case.status_changed",
        "case.status_changed",
    ]
    assert manager is not None and {e.actor for e in entries} == {manager.user_id}
    statuses = {(json.loads(e.before or "{}")["status"], json.loads(e.after or "{}")["status"])
                for e in entries}  # fmt: skip
    assert statuses == {("open", "contacted"), ("contacted", "resolved"), ("resolved", "closed")}


def test_customer_words_shown_escaped_to_verbatim_roles_only(client: TestClient) -> None:
    case = LOGISTICS[0]
    assert sign_in(client, "analyst") == 303
    page = client.get(url(case)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert "<img" not in page
    assert html.unescape(re.sub(r"<[^>]+>", "", page)).count(HOSTILE) == 1
    assert "It was easy to order." in page  # the customer's answer, by its question text
    assert sign_in(client, "manager") == 303
    page = client.get(url(case)).text
    assert "late again" not in page and "It was easy to order." not in page
    assert "c1" in page  # the manager still sees whom to call back


def test_overdue_is_flagged_and_filtered(client: TestClient) -> None:
    # the fixture made LOGISTICS[0] due yesterday and the others due tomorrow
    assert sign_in(client, "admin") == 303
    assert listed(client.get("/app/cases?overdue=yes").text) == {LOGISTICS[0]}
    assert listed(client.get("/app/cases?overdue=no").text) == {LOGISTICS[1], RETAIL}
    assert client.get("/app/cases").text.count('class="overdue"') == 1


def test_roles_without_cases_and_forms_without_csrf_are_refused(
    client: TestClient, company: Path
) -> None:
    assert client.get("/app/cases").status_code == 303  # anonymous: to sign in
    assert sign_in(client, "viewer") == 303
    assert client.get("/app/cases").status_code == 403
    assert client.get(url(LOGISTICS[0])).status_code == 403
    assert sign_in(client, "manager") == 303
    target = url(LOGISTICS[0]) + "/status"
    assert client.post(target, data={"status": "contacted"}).status_code == 403
    token = csrf_of(client.get(url(LOGISTICS[0])).text)
    cross = client.post(
        target,
        data={"status": "contacted", "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    with open_ws(company) as ws:
        assert ws.con.execute(
            "SELECT status FROM cases WHERE case_id = ?", [LOGISTICS[0]]
        ).fetchone() == ("open",)
