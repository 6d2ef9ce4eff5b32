"""The dashboard in Debian's chromium as a person uses it (issue 22): an admin reads every page
at 1280 px and 390 px (axe-core: no serious or critical violation; no table sticks out of its
box and nothing is wider than the phone's screen; no console error, so the
Content-Security-Policy blocks nothing of ours); an analyst filters the gap by department and
sees the figures pandas and SciPy compute from the workspace's tables, and the filtered link
shows the same figures in a fresh browser; a live campaign's response rate moves, without a
reload, when a response comes in through the survey API; a viewer's text page has no quotes; a
form posted from another site adds no user."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from axe_playwright_python.sync_playwright import Axe
from scipy import stats

from realitygap.service.manage import create_campaign, create_token, invite
from realitygap.store import Workspace
from tests.browser import chromium
from tests.service_fixtures import DASHBOARD_PASSWORD, make_dashboard_company, serving

pytestmark = pytest.mark.browser
BLOCKING = ("serious", "critical")
DEPARTMENT = "retail"  # the simulated company's retail staff answer every mirror question
BLIND_SPOTS = "Blind spots: questions ranked by over-estimation"
LIVE_WAVE = "2026-live"
# a figure as the report prints it: "3.56 (3.21 to 3.92)"
FIGURE = re.compile(r"^(-?[\d.]+) \((-?[\d.]+) to (-?[\d.]+)\)$")


@dataclass(frozen=True)
class Site:
    base: str
    path: Path
    tables: dict[str, pd.DataFrame]  # read before the server started: what the page shows
    campaign: str  # an open campaign with every customer invited and no answer yet
    write_token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("dash-browser")
    path = make_dashboard_company(tmp / "ws")
    toml = tmp / "live.toml"
    toml.write_text(f'name = "Live"\nwave = "{LIVE_WAVE}"\n\n[[items]]\nquestion = "nps"\n')
    with Workspace.open(path) as ws:
        campaign = str(create_campaign(ws, toml).campaign_id)
        invite(ws, campaign, "")
        _, token = create_token(ws, "write")
        tables = {
            name: ws.table(name).to_pandas()
            for name in ("questions", "respondents", "responses", "invitations")
        }
    with serving(path) as base:
        yield Site(base, path, tables, campaign, token)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    with chromium() as b:
        yield b


def signed_in(
    browser: Any,
    base: str,
    email: str,
    width: int,
    start: str = "/app/summary",
    lands: str | None = None,
) -> tuple[Any, list[str]]:
    """A fresh browser context (no cookie) that opens ``start``, is sent to the sign-in page,
    signs in and lands on ``lands`` (default: back on ``start``)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    # the first page after sign-in computes the composite (seconds; more on a loaded machine)
    context.set_default_timeout(180_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + start)
    assert "/login" in page.url  # not signed in yet: sent to the sign-in page
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DASHBOARD_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + (lands or start))
    return page, errors


def blocking(page: Any) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


# Each table's box (its scrolling wrapper) inside the main column and the window, and a table
# wider than its box only where the box scrolls (the rest of the table is reachable).
TABLES_OUT_OF_THEIR_BOX = """() => {
  const main = document.querySelector("main").getBoundingClientRect();
  const out = [];
  for (const table of document.querySelectorAll("main table")) {
    const box = table.closest(".table-wrap") || table.parentElement;
    const edge = box.getBoundingClientRect();
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
    const name = (table.caption && table.caption.textContent) || box.className;
    if (edge.left < main.left - 0.5 || edge.right > Math.min(main.right, window.innerWidth) + 0.5)
      out.push(name + ": its box runs past the page column");
    if (table.getBoundingClientRect().width > box.clientWidth + 0.5 && !scrolls)
      out.push(name + ": wider than its box, which does not scroll");
  }
  return out;
}"""


def dashboard_pages(page: Any) -> list[str]:
    """Every page the navigation links to, the cases' pages (another part of the service)
    left out."""
    links = page.locator("nav.pages a").evaluate_all("links => links.map(a => a.pathname)")
    return [p for p in links if not p.startswith("/app/cases")]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_dashboard_page_accessible_and_its_tables_within_the_screen(
    browser: Any, site: Site, width: int
) -> None:
    page, errors = signed_in(browser, site.base, "admin@example.com", width)
    paths = dashboard_pages(page)
    # the report's sections (one page each) and the admin's pages: a guard against an empty nav
    assert {"/app/summary", "/app/gap", "/app/text", "/app/admin/users"} <= set(paths), paths
    for path in paths:
        page.goto(site.base + path)
        assert page.locator("main h1, main h2").first.is_visible()
        assert blocking(page) == [], path
        assert page.evaluate(TABLES_OUT_OF_THEIR_BOX) == [], path
        # wide tables scroll inside their own box; the page itself never scrolls sideways
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    assert errors == []  # a style or image blocked by the CSP would be a console error
    page.context.close()


def test_a_table_too_wide_for_its_box_is_found(browser: Any) -> None:
    # a positive control of the check above: a wide table in a box that does not scroll
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.set_content(
        '<main style="width:300px"><div class="table-wrap" style="overflow:visible">'
        '<table style="width:600px"><caption>wide</caption><tr><td>x</td></tr></table>'
        "</div></main>"
    )
    assert page.evaluate(TABLES_OUT_OF_THEIR_BOX) == [
        "wide: wider than its box, which does not scroll"
    ]
    page.close()


def blind_spot_rows(page: Any) -> dict[str, dict[str, str]]:
    """The gap page's blind-spot table: question text -> column -> cell text."""
    table = page.get_by_role("region", name=BLIND_SPOTS).locator("table")
    header = table.locator("thead th").all_inner_texts()
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
    )
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def figure(cell: str) -> tuple[float, float, float]:
    found = FIGURE.match(cell.strip())
    assert found, f"not a figure with its interval: {cell!r}"
    value, low, high = (float(g) for g in found.groups())
    return value, low, high


def answers_to(tables: dict[str, pd.DataFrame], question_id: str, kind: str) -> pd.Series:
    """The values given to ``question_id`` by respondents of ``kind`` (customer, or staff of
    DEPARTMENT), straight from the workspace's tables."""
    people = tables["respondents"]
    people = people[people["kind"] == kind]
    if kind == "staff":
        people = people[people["department"] == DEPARTMENT]
    r = tables["responses"]
    return (
        r[(r["question_id"] == question_id) & r["respondent_id"].isin(people["respondent_id"])][
            "value"
        ]
        .astype(float)
        .dropna()
    )


def filter_gap_by_department(browser: Any, site: Site) -> tuple[str, dict[str, dict[str, str]]]:
    """An analyst opens the gap page, picks the department in the filter form and applies it:
    the filtered page's URL and its blind-spot rows."""
    page, errors = signed_in(browser, site.base, "analyst@example.com", 1280, "/app/gap")
    unfiltered = blind_spot_rows(page)
    page.get_by_label("Department", exact=True).select_option(DEPARTMENT)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(rf"department={DEPARTMENT}"))
    assert f"Showing: department {DEPARTMENT}." in page.locator("p.subset").inner_text()
    rows = blind_spot_rows(page)
    assert rows != unfiltered  # the retail staff predict otherwise than all staff
    assert errors == []
    url = str(page.url)
    page.context.close()
    return url, rows


def test_gap_filtered_by_department_is_what_pandas_and_scipy_compute(
    browser: Any, site: Site
) -> None:
    _, rows = filter_gap_by_department(browser, site)
    questions = site.tables["questions"]
    mirrors = questions[questions["audience"] == "mirror"].set_index("mirrors")["question_id"]
    text_of = questions.set_index("question_id")["text"]
    checked = 0
    for question_id, mirror_id in mirrors.items():
        customers = answers_to(site.tables, str(question_id), "customer")
        staff = answers_to(site.tables, mirror_id, "staff")
        row = rows[str(text_of[question_id])]
        # Independent: the means of the raw answers (pandas), and the staff - customer
        # difference with Welch's 95% interval (SciPy's ttest_ind, equal_var=False)
        welch = stats.ttest_ind(staff, customers, equal_var=False).confidence_interval(0.95)
        assert figure(row["staff predict"])[0] == pytest.approx(staff.mean(), abs=0.005)
        assert figure(row["customers say"])[0] == pytest.approx(customers.mean(), abs=0.005)
        gap, low, high = figure(row["gap (points)"])
        assert gap == pytest.approx(staff.mean() - customers.mean(), abs=0.005)
        assert (low, high) == pytest.approx((welch.low, welch.high), abs=0.005)
        checked += 1
    assert checked == len(rows) == 19  # every mirror question of the example company


def test_a_filtered_link_shows_the_same_figures_in_a_fresh_browser(
    browser: Any, site: Site
) -> None:
    url, rows = filter_gap_by_department(browser, site)
    start = url.removeprefix(site.base)  # the form's: /app/gap?wave=&...&department=retail
    # another person's browser: no cookie; the link survives the sign-in (its empty filters
    # dropped on the way)
    page, errors = signed_in(
        browser, site.base, "analyst@example.com", 1280, start, f"/app/gap?department={DEPARTMENT}"
    )
    assert page.get_by_label("Department", exact=True).input_value() == DEPARTMENT
    assert blind_spot_rows(page) == rows
    assert errors == []
    page.context.close()


def test_viewer_text_page_has_no_quotes(browser: Any, site: Site) -> None:
    page, _ = signed_in(browser, site.base, "viewer@example.com", 1280)
    page.goto(site.base + "/app/text")
    assert page.locator("main h2").first.is_visible()
    assert page.locator("blockquote").count() == 0
    page.context.close()


def test_form_posted_from_another_site_adds_no_user(browser: Any, site: Site) -> None:
    page, _ = signed_in(browser, site.base, "admin@example.com", 1280)
    page.set_content(
        f'<form method="post" action="{site.base}/app/admin/users">'
        '<input name="email" value="intruder@example.com"><input name="role" value="admin">'
        '<input name="password" value="intruder password!"><button>go</button></form>'
    )
    page.click("button")
    page.wait_for_load_state()
    page.context.close()
    with Workspace.open(site.path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT count(*) FROM users WHERE email = 'intruder@example.com'"
        ).fetchone()
    assert row == (0,)


def test_live_response_rate_moves_without_a_reload_when_a_response_comes_in(
    browser: Any, site: Site
) -> None:
    invitations = site.tables["invitations"]
    mine = invitations[invitations["campaign_id"] == site.campaign]
    customers = site.tables["respondents"].query("kind == 'customer'")["respondent_id"]
    # Independent: every customer is invited to the live campaign, and no one has answered
    assert len(mine) == len(customers) and mine["responded_at"].isna().all()
    page, errors = signed_in(browser, site.base, "analyst@example.com", 1280)
    item = page.locator(f'#live-campaigns li[data-campaign="{site.campaign}"]')
    assert item.get_attribute("data-completed") == "0"
    assert f"0 of {len(mine):,} answered" in item.inner_text()
    page.evaluate("window.notReloaded = true")  # a full reload would lose it
    answered = httpx.post(
        f"{site.base}/api/campaigns/{site.campaign}/submissions",
        json={"respondent_id": str(mine["respondent_id"].iloc[0]), "answers": {"nps": 9}},
        headers={"Authorization": f"Bearer {site.write_token}", "Idempotency-Key": "live-1"},
        timeout=60,
    )
    assert answered.status_code == 201, answered.text
    # the page polls every LIVE_SECONDS; give it a few rounds on a loaded machine
    page.wait_for_selector(
        f'#live-campaigns li[data-campaign="{site.campaign}"][data-completed="1"]',
        timeout=90_000,
    )
    assert f"1 of {len(mine):,} answered" in item.inner_text()
    assert page.evaluate("window.notReloaded") is True
    assert errors == []
    page.context.close()
