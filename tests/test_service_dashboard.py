"""The dashboard as each role and as an attacker meets it: sign-in, sessions, CSRF, throttling,
the role × page table, verbatims kept from viewers, the audit log, and the cached composite."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from realitygap.analysis import reality_check
from realitygap.analysis.findings import executive_summary
from realitygap.service.access import MAX_FAILURES_PER_ACCOUNT
from realitygap.service.app import create_app
from realitygap.service.dashboard import CSP, LOGIN_COOKIE, SESSION_COOKIE
from realitygap.service.manage import create_campaign, invite
from realitygap.store import Workspace
from tests.service_fixtures import DASHBOARD_PASSWORD, DASHBOARD_ROLES, make_dashboard_company
from tests.test_engines import pg_home, pg_url  # noqa: F401  (fixtures)

PASSWORD = DASHBOARD_PASSWORD
ROLES = DASHBOARD_ROLES


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dashboard_company(tmp_path_factory.mktemp("dash") / "ws")


@pytest.fixture(scope="module")
def served(company: Path) -> Iterator[TestClient]:
    """One application for the module, so the composite is computed once for every test."""
    with TestClient(create_app(company), follow_redirects=False) as c:
        yield c


@pytest.fixture
def client(served: TestClient) -> TestClient:
    served.cookies.clear()  # each test starts as an anonymous browser
    return served


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    client.get("/login")
    token = client.cookies.get(LOGIN_COOKIE)
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": token, "next": "/app/summary"},
    )
    return r.status_code


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "every signed-in page carries the sign-out form with its CSRF token"
    return found.group(1)


def test_password_stored_as_argon2id_that_argon2_itself_verifies(company: Path) -> None:
    # Independent check: argon2-cffi's own verifier accepts the stored hash for the password.
    with Workspace.open(company, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT password_hash FROM users WHERE email = 'analyst@example.com'"
        ).fetchone()
    assert row is not None and row[0].startswith("$argon2id$")
    assert PasswordHasher().verify(row[0], PASSWORD)
    assert PASSWORD not in row[0]


def test_session_cookie_flags_and_a_fresh_id_at_each_sign_in(client: TestClient) -> None:
    client.cookies.set(
        SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local"
    )  # session fixation attempt
    client.get("/login")
    token = client.cookies.get(LOGIN_COOKIE)
    r = client.post(
        "/login", data={"email": "viewer@example.com", "password": PASSWORD, "csrf": token}
    )
    assert r.status_code == 303 and r.headers["location"] == "/app"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    first = client.cookies.get(SESSION_COOKIE)
    assert first and first != "planted-by-an-attacker" and len(first) >= 43  # 256 bits
    assert sign_in(client, "viewer@example.com") == 303
    assert client.cookies.get(SESSION_COOKIE) != first
    # the planted value never becomes a session
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
    assert client.get("/app/summary").status_code == 303


# Expected status of every dashboard route for each visitor: 200 shown, 303 sent to sign in,
# 403 refused. The route list is read from the application, so a new page without an entry
# here fails the test.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/app"): dict.fromkeys(("anonymous", *ROLES), 303),
    ("GET", "/app/static/dashboard.css"): dict.fromkeys(("anonymous", *ROLES), 200),
    ("GET", "/app/{section_id}"): {"anonymous": 303, **dict.fromkeys(ROLES, 200)},
    ("GET", "/app/static/live.js"): dict.fromkeys(("anonymous", *ROLES), 200),
    ("GET", "/app/report.{kind}"): {"anonymous": 303, **dict.fromkeys(ROLES, 200)},
    ("GET", "/app/live.json"): {"anonymous": 401, **dict.fromkeys(ROLES, 200)},
    ("GET", "/app/admin/users"): {"anonymous": 303, "admin": 200, "analyst": 403,
                                  "manager": 403, "viewer": 403},
    ("GET", "/app/admin/audit"): {"anonymous": 303, "admin": 200, "analyst": 403,
                                  "manager": 403, "viewer": 403},
    ("GET", "/app/admin/audit.csv"): {"anonymous": 303, "admin": 200, "analyst": 403,
                                      "manager": 403, "viewer": 403},
    ("GET", "/login"): dict.fromkeys(("anonymous", *ROLES), 200),
    # cases (service/cases_web.py; tests/test_service_cases*.py test them with cases in place)
    ("GET", "/app/cases"): {"anonymous": 303, "admin": 200, "analyst": 200, "manager": 200,
                            "viewer": 403},
    ("GET", "/app/cases/export/{crm}.csv"): {"anonymous": 303, "admin": 200, "analyst": 200,
                                             "manager": 200, "viewer": 403},
    ("GET", "/app/cases/{case_id}"): {"anonymous": 303, "admin": 404, "analyst": 404,
                                      "manager": 404, "viewer": 403},  # no such case
}  # fmt: skip
# Form posts are checked apart (they need a CSRF token): /login, /logout, /app/admin/users.
POSTS = {
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/app/admin/users"),
    ("POST", "/app/cases/{case_id}/assign"),
    ("POST", "/app/cases/{case_id}/status"),
}


def dashboard_routes(client: TestClient) -> set[tuple[str, str]]:
    found = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if path.startswith(("/app", "/login", "/logout")):
            found |= {(m, path) for m in getattr(route, "methods", ()) if m != "HEAD"}
    return found


def test_every_dashboard_route_has_an_expected_code_for_every_role(client: TestClient) -> None:
    assert dashboard_routes(client) == set(EXPECTED) | POSTS
    for visitor in ("anonymous", *ROLES):
        client.cookies.clear()
        if visitor != "anonymous":
            assert sign_in(client, f"{visitor}@example.com") == 303
        for (method, path), codes in EXPECTED.items():
            url = path.replace("{section_id}", "summary").replace("{kind}", "html")
            url = url.replace("{case_id}", "no-such-case").replace("{crm}", "zendesk")
            got = client.request(method, url).status_code
            assert got == codes[visitor], (visitor, method, url, got)


def test_summary_page_shows_the_composites_executive_summary(
    client: TestClient, company: Path
) -> None:
    # Independent of the page: the findings computed here from the composite itself.
    with Workspace.open(company, read_only=True) as ws:
        top = executive_summary(reality_check(ws))
    assert top, "the example company has an executive summary"
    assert sign_in(client, "viewer@example.com") == 303
    r = client.get("/app/summary")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CSP
    # no inline script: the one script element is our own file (CSP script-src 'self')
    assert re.findall(r"<script[^>]*>", r.text) == ['<script src="/app/static/live.js" defer>']
    text = html.unescape(r.text)
    for finding in top:
        assert finding.text in text


def document_texts(company: Path) -> list[str]:
    with Workspace.open(company, read_only=True) as ws:
        rows = ws.con.execute("SELECT text FROM documents WHERE length(text) >= 40").fetchall()
    return [r[0] for r in rows]


def customer_ids(company: Path) -> set[str]:
    with Workspace.open(company, read_only=True) as ws:
        rows = ws.con.execute("SELECT respondent_id FROM respondents WHERE kind = 'customer'")
        return {r[0] for r in rows.fetchall()}


def all_pages(client: TestClient) -> str:
    listing = client.get("/app/summary").text
    pages = sorted(set(re.findall(r'href="(/app/[a-z_]+)"', listing)))
    assert "/app/text" in pages and "/app/behaviour" in pages
    return "\n".join(client.get(p).text for p in pages) + client.get("/app/report.html").text


def test_viewer_finds_no_verbatim_and_no_customer_id_anywhere(
    client: TestClient, company: Path
) -> None:
    texts = document_texts(company)
    ids = customer_ids(company)
    assert sign_in(client, "analyst@example.com") == 303
    analyst = html.unescape(all_pages(client))
    # the analyst does see customers' words and the silent-attrition customers
    assert any(t in analyst for t in texts)
    assert "<blockquote>" in analyst.replace("<blockquote ", "<blockquote>")
    client.cookies.clear()
    assert sign_in(client, "viewer@example.com") == 303
    viewer = html.unescape(all_pages(client))
    assert not [t for t in texts if t in viewer]
    assert "<blockquote" not in viewer
    tokens = set(re.findall(r"\b[\w-]+\b", viewer))
    assert not tokens & ids


def test_forms_refused_without_the_csrf_token_or_from_another_site(
    client: TestClient, company: Path
) -> None:
    assert sign_in(client, "admin@example.com") == 303
    token = csrf_of(client.get("/app/admin/users").text)
    new = {"email": "new@example.com", "name": "N", "role": "viewer", "password": PASSWORD}
    assert client.post("/app/admin/users", data=new).status_code == 403
    assert client.post("/app/admin/users", data={**new, "csrf": "forged"}).status_code == 403
    cross = client.post(
        "/app/admin/users",
        data={**new, "csrf": token},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    with Workspace.open(company, read_only=True) as ws:
        n = ws.con.execute("SELECT count(*) FROM users WHERE email = 'new@example.com'").fetchone()
    assert n == (0,)
    # the sign-in form too: without its token nobody is signed in
    client.cookies.clear()
    r = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert r.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_admin_adds_a_user_escaped_and_audited_and_export_neutralises_formulas(
    client: TestClient, company: Path
) -> None:
    assert sign_in(client, "admin@example.com") == 303
    token = csrf_of(client.get("/app/admin/users").text)
    name = '=HYPERLINK("x")<script>alert(1)</script><img src=x onerror=alert(1)>'
    r = client.post(
        "/app/admin/users",
        data={"email": "Ops@Example.com", "name": name, "role": "analyst", "password": PASSWORD,
              "csrf": token},
    )  # fmt: skip
    assert r.status_code == 303
    page = client.get("/app/admin/users").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    audit = client.get("/app/admin/audit").text
    assert "user.add" in audit and "ops@example.com" in audit
    csv_text = client.get("/app/admin/audit.csv").text
    row = next(line for line in csv_text.splitlines() if "ops@example.com" in line)
    assert "<script>" in row  # kept as text in the export, never run
    with Workspace.open(company, read_only=True) as ws:
        actor = ws.con.execute(
            "SELECT actor FROM audit_log WHERE action = 'user.add' AND after_json LIKE '%ops@%'"
        ).fetchone()
        admin = ws.con.execute("SELECT user_id FROM users WHERE role = 'admin'").fetchone()
    assert actor == admin  # who made the change is recorded
    # what a stranger types as an e-mail lands in the log (failed sign-in): exported as text,
    # prefixed so a spreadsheet never runs it as a formula (OWASP CSV injection)
    client.cookies.clear()
    assert sign_in(client, '=HYPERLINK("http://evil.example")', "wrong password!!") == 401
    assert sign_in(client, "admin@example.com") == 303
    exported = client.get("/app/admin/audit.csv").text
    assert "'=hyperlink" in exported
    assert not re.search(r'(^|,)"?=', exported, re.M)


def test_sign_in_throttled_after_repeated_failures_per_account(client: TestClient) -> None:
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert sign_in(client, "manager@example.com", "wrong password!!") == 401
    # now even the right password is refused for the window, with Retry-After
    client.get("/login")
    r = client.post(
        "/login",
        data={"email": "manager@example.com", "password": PASSWORD,
              "csrf": client.cookies.get(LOGIN_COOKIE)},
    )  # fmt: skip
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 15 * 60
    assert SESSION_COOKIE not in client.cookies
    # another account from the same address is not locked out by it
    assert sign_in(client, "viewer@example.com") == 303


def test_wrong_email_and_wrong_password_get_the_same_answer(client: TestClient) -> None:
    client.get("/login")
    token = client.cookies.get(LOGIN_COOKIE)
    a = client.post("/login", data={"email": "nobody@example.com", "password": "x" * 12,
                                    "csrf": token})  # fmt: skip
    b = client.post("/login", data={"email": "analyst@example.com", "password": "x" * 12,
                                    "csrf": token})  # fmt: skip
    assert a.status_code == b.status_code == 401
    assert a.text == b.text


def test_idle_session_ends_and_sign_out_ends_it(client: TestClient, company: Path) -> None:
    assert sign_in(client, "analyst@example.com") == 303
    page = client.get("/app/summary")
    assert page.status_code == 200
    with Workspace.open(company) as ws:
        ws.con.execute(
            "UPDATE web_sessions SET seen_at = seen_at - ?::INTERVAL WHERE ended_at IS NULL",
            [f"{int(timedelta(minutes=31).total_seconds())} seconds"],
        )
    assert client.get("/app/summary").status_code == 303  # idle for 31 min: ended
    assert sign_in(client, "analyst@example.com") == 303
    token = csrf_of(client.get("/app/summary").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert client.get("/app/summary").status_code == 303


def test_open_redirect_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"email": "viewer@example.com", "password": PASSWORD,
              "csrf": client.cookies.get(LOGIN_COOKIE), "next": "//evil.example/app"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/app"


def test_composite_computed_once_per_data_version(client: TestClient, company: Path) -> None:
    cache = client.app.state.dashboard_cache  # type: ignore[attr-defined]
    assert sign_in(client, "analyst@example.com") == 303
    for page in ("/app/summary", "/app/gap", "/app/summary"):
        assert client.get(page).status_code == 200
    before = cache.computed
    assert before >= 1
    with Workspace.open(company) as ws:  # another process reading is no change
        ws.count("responses")
    assert client.get("/app/summary").status_code == 200
    assert cache.computed == before
    # another process writing through the store (a transaction, as every writer does)
    with Workspace.open(company) as ws, ws.transaction() as con:
        con.execute("DELETE FROM responses WHERE rowid = (SELECT min(rowid) FROM responses)")
    assert client.get("/app/summary").status_code == 200  # one answer fewer: recomputed
    assert cache.computed == before + 1


def test_users_sessions_and_throttling_on_postgresql(pg_url: str) -> None:  # noqa: F811
    """The same access rules on a PostgreSQL workspace (several workers share these tables)."""
    from realitygap.service import access as auth
    from realitygap.store import users as store

    with Workspace.create(pg_url) as ws:
        user = auth.add_user(ws, "Lead@Example.com", "Lead", "analyst", PASSWORD)
        done = auth.sign_in(ws, "lead@example.com", PASSWORD, "10.0.0.1")
        assert done is not None and done.user.user_id == user.user_id
        seen = auth.visitor(ws, done.session_id)
        assert seen is not None and seen.user.email == "lead@example.com"
        for _ in range(MAX_FAILURES_PER_ACCOUNT):
            assert auth.sign_in(ws, "lead@example.com", "wrong password!!", "10.0.0.2") is None
        with pytest.raises(auth.Throttled):
            auth.sign_in(ws, "lead@example.com", PASSWORD, "10.0.0.3")
        store.update_user(ws, user.user_id, "test", disabled=True)
        assert auth.visitor(ws, done.session_id) is None  # disabling ends the session
        actions = [e.action for e in store.audit_entries(ws)]
        # 1 add, 1 session, 5 failures, 1 update: every change recorded
        assert sorted(actions) == sorted(
            ["user.add", "session.start", *["login.failed"] * 5, "user.update"]
        )


def test_cli_adds_lists_and_disables_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from realitygap.cli import app

    path = tmp_path / "ws"
    Workspace.create(path).close()
    runner = CliRunner()
    monkeypatch.setenv("REALITYGAP_PASSWORD", "short")
    short = runner.invoke(app, ["user", "add", str(path), "a@example.com", "--role", "admin"])
    assert short.exit_code == 2 and "12 to 128 characters" in short.output
    monkeypatch.setenv("REALITYGAP_PASSWORD", PASSWORD)
    added = runner.invoke(app, ["user", "add", str(path), "A@Example.com", "--role", "admin"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["user", "add", str(path), "a@example.com"])
    assert again.exit_code == 2 and "already exists" in again.output
    manager = runner.invoke(app, ["user", "add", str(path), "m@example.com", "--role", "manager"])
    assert manager.exit_code == 2 and "--department" in manager.output
    assert runner.invoke(app, ["user", "disable", str(path), "a@example.com"]).exit_code == 0
    listed = runner.invoke(app, ["user", "list", str(path)])
    assert "a@example.com  admin  disabled" in listed.output
    with Workspace.open(path) as ws:
        from realitygap.service.access import sign_in as check_sign_in

        assert check_sign_in(ws, "a@example.com", PASSWORD, "127.0.0.1") is None


# ---- filters, downloads and live figures (issue 22 section 1) -----------------------------


def test_filtered_page_shows_the_subset_and_keeps_it_in_every_link(client: TestClient) -> None:
    assert sign_in(client, "analyst@example.com") == 303
    page = client.get("/app/gap?department=retail&wave=")
    assert page.status_code == 200
    text = page.text
    assert "Showing: department retail." in text
    assert 'href="/app/summary?department=retail"' in text  # the view's link is shareable
    assert 'href="/app/report.pdf?department=retail"' in text
    assert '<option value="retail" selected>' in text
    # the methods section says which subset was analysed
    assert (
        "Data analysed: only department retail" in client.get("/app/methods?department=retail").text
    )
    refused = client.get("/app/gap?department=no_such_team")
    assert refused.status_code == 400 and "no_such_team" in html.unescape(refused.text)


def test_a_shared_filtered_link_survives_the_sign_in(client: TestClient) -> None:
    r = client.get("/app/gap?segment=vip")
    assert r.status_code == 303
    next_path = r.headers["location"].split("next=", 1)[1]
    client.get("/login")
    r = client.post(
        "/login",
        data={"email": "analyst@example.com", "password": PASSWORD,
              "csrf": client.cookies.get(LOGIN_COOKIE), "next": unquote(next_path)},
    )  # fmt: skip
    assert r.headers["location"] == "/app/gap?segment=vip"


def test_composite_cached_per_data_version_and_filter(client: TestClient) -> None:
    cache = client.app.state.dashboard_cache  # type: ignore[attr-defined]
    assert sign_in(client, "analyst@example.com") == 303
    client.get("/app/summary")
    before = cache.computed
    assert client.get("/app/summary?segment=new").status_code == 200
    assert cache.computed == before + 1  # a new filter: computed once
    assert client.get("/app/gap?segment=new").status_code == 200
    assert client.get("/app/summary").status_code == 200
    assert cache.computed == before + 1  # both filters served from the cache


def test_downloads_in_three_formats_and_none_holds_a_viewers_verbatim(
    client: TestClient,
) -> None:
    from openpyxl import load_workbook

    assert sign_in(client, "analyst@example.com") == 303
    pdf = client.get("/app/report.pdf?segment=vip")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    analyst_xlsx = client.get("/app/report.xlsx?segment=vip")
    analyst_sheets = load_workbook(io.BytesIO(analyst_xlsx.content)).sheetnames
    assert "Data analysed: only segment vip" in client.get("/app/report.html?segment=vip").text
    client.cookies.clear()
    assert sign_in(client, "viewer@example.com") == 303
    viewer_xlsx = client.get("/app/report.xlsx?segment=vip")
    assert viewer_xlsx.status_code == 200
    book = load_workbook(io.BytesIO(viewer_xlsx.content))
    # the table of customer ids (Table.personal) is the only sheet a viewer's copy lacks
    assert set(analyst_sheets) - set(book.sheetnames)
    assert set(book.sheetnames) <= set(analyst_sheets)
    assert "<blockquote" not in client.get("/app/report.html?segment=vip").text
    assert client.get("/app/report.docx").status_code == 404


def _live_campaign(company: Path, tmp: Path) -> str:
    toml = tmp / "live.toml"
    toml.write_text('name = "Live"\nwave = "2026-live"\n\n[[items]]\nquestion = "nps"\n')
    with Workspace.open(company) as ws:
        row = create_campaign(ws, toml)
        invite(ws, row.campaign_id, "http://testserver")
    return str(row.campaign_id)


def test_live_figures_match_the_invitations_and_move_with_a_submission(
    client: TestClient, company: Path, tmp_path: Path
) -> None:
    campaign = _live_campaign(company, tmp_path)
    assert client.get("/app/live.json").status_code == 401
    assert sign_in(client, "analyst@example.com") == 303
    live = client.get("/app/live.json?department=retail").json()
    with Workspace.open(company, read_only=True) as ws:
        # Independent: counted here in SQL over the invitations and the retail executives' answers
        invited, done = ws.con.execute(
            "SELECT count(*), count(responded_at) FROM invitations WHERE campaign_id = ?",
            [campaign],
        ).fetchone()
        executives = ws.con.execute(
            "SELECT count(*) FROM responses r JOIN respondents p "
            "USING (respondent_id) WHERE p.kind = 'staff' AND p.role = 'executive' "
            "AND p.department = 'retail' AND r.question_id = 'm_nps'"
        ).fetchone()[0]
    (found,) = [c for c in live["campaigns"] if c["campaign_id"] == campaign]
    assert (found["invited"], found["completed"]) == (invited, done) and invited > 0
    assert live["gap"]["staff"] == executives
    # one customer finishes (what a submission records), written through the store's transaction
    with Workspace.open(company) as ws, ws.transaction() as con:
        con.execute(
            "UPDATE invitations SET responded_at = now() WHERE campaign_id = ? AND rowid = "
            "(SELECT min(rowid) FROM invitations WHERE campaign_id = ?)",
            [campaign, campaign],
        )
    after = client.get("/app/live.json?department=retail").json()
    (moved,) = [c for c in after["campaigns"] if c["campaign_id"] == campaign]
    assert moved["completed"] == done + 1
    assert moved["rate"] == pytest.approx((done + 1) / invited)  # completed over invited


def test_live_figures_after_a_page_come_from_the_composite_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a page has computed the composite of a filter, /app/live.json of that filter is
    answered from it: no analysis runs again (response_rates and gap are made to fail here),
    and the figures are what those analyses give. Expected: response_rates and gap(by=())
    run here directly on the filtered view, before the application is started."""
    from realitygap import analysis
    from realitygap.store.subset import Subset, restrict

    company = make_dashboard_company(tmp_path / "ws")  # its own application and cache
    campaign = _live_campaign(company, tmp_path)
    with Workspace.open(company, read_only=True) as ws:
        view = restrict(ws, Subset(department="retail"))
        rates = {
            k.campaign_id: (k.invited, k.completed, k.rate.value)
            for k in analysis.response_rates(view).campaigns
        }
        headline = analysis.gap(view, by=()).headline
        view.close()
    assert headline is not None and campaign in rates
    with TestClient(create_app(company), follow_redirects=False) as fresh:
        assert sign_in(fresh, "analyst@example.com") == 303
        assert fresh.get("/app/summary?department=retail").status_code == 200

        def refused(*args: object, **kwargs: object) -> None:
            raise AssertionError("the live figures ran an analysis again")

        # the package's public names resolve through its table (realitygap.analysis._public)
        monkeypatch.setitem(analysis._resolved, "response_rates", refused)
        monkeypatch.setitem(analysis._resolved, "gap", refused)
        live = fresh.get("/app/live.json?department=retail")
        computed = fresh.app.state.dashboard_cache.computed  # type: ignore[attr-defined]
    assert live.status_code == 200, live.text
    body = live.json()
    assert {
        c["campaign_id"]: (c["invited"], c["completed"], c["rate"]) for c in body["campaigns"]
    } == rates
    assert body["gap"] == {
        "staff_share": headline.staff_share.value,
        "customer_share": headline.customer_share.value,
        "customers": headline.customer_share.n,
        "staff": headline.staff_share.n,
        "text": headline.sentence(),
    }
    assert computed == 1  # the page's composite, and nothing for the live figures
