"""The dashboard in Debian's chromium as a person uses it: an analyst signs in and reads the
pages at 1280 px and 390 px (axe-core: no serious or critical violation; nothing wider than the
phone's screen; no console error, so the Content-Security-Policy blocks nothing of ours); a
viewer's text page has no quotes; a form posted from another site adds no user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from realitygap.store import Workspace
from tests.browser import chromium
from tests.service_fixtures import DASHBOARD_PASSWORD, make_dashboard_company, serving

pytestmark = pytest.mark.browser
BLOCKING = ("serious", "critical")
PAGES = ("/app/summary", "/app/headline", "/app/gap", "/app/text", "/app/behaviour")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    path = make_dashboard_company(tmp_path_factory.mktemp("dash-browser") / "ws")
    with serving(path) as base:
        yield base, path


@pytest.fixture(scope="module")
def browser(site: tuple[str, Path]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def signed_in(browser: Any, base: str, email: str, width: int) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    # the first page after sign-in computes the composite (seconds; more on a loaded machine)
    context.set_default_timeout(180_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/app/summary")
    assert "/login" in page.url  # not signed in yet: sent to the sign-in page
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DASHBOARD_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/app/summary")
    return page, errors


def blocking(page: Any) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_analyst_reads_every_page_accessible_and_within_the_screen(
    browser: Any, site: tuple[str, Path], width: int
) -> None:
    base, _ = site
    page, errors = signed_in(browser, base, "analyst@example.com", width)
    for path in PAGES:
        page.goto(base + path)
        assert page.locator("main h2").first.is_visible()
        assert blocking(page) == [], path
        # wide tables scroll inside their own box; the page itself never scrolls sideways
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    assert errors == []  # a style or image blocked by the CSP would be a console error
    page.context.close()


def test_viewer_text_page_has_no_quotes(browser: Any, site: tuple[str, Path]) -> None:
    base, _ = site
    page, _ = signed_in(browser, base, "viewer@example.com", 1280)
    page.goto(base + "/app/text")
    assert page.locator("main h2").first.is_visible()
    assert page.locator("blockquote").count() == 0
    page.context.close()


def test_form_posted_from_another_site_adds_no_user(browser: Any, site: tuple[str, Path]) -> None:
    base, path = site
    page, _ = signed_in(browser, base, "admin@example.com", 1280)
    page.set_content(
        f'<form method="post" action="{base}/app/admin/users">'
        '<input name="email" value="intruder@example.com"><input name="role" value="admin">'
        '<input name="password" value="intruder password!"><button>go</button></form>'
    )
    page.click("button")
    page.wait_for_load_state()
    page.context.close()
    with Workspace.open(path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT count(*) FROM users WHERE email = 'intruder@example.com'"
        ).fetchone()
    assert row == (0,)
