"""Cases in Debian's chromium as a manager works them: signed in, they see only their
department's cases, open one, move it along the loop and close it with a recovery rating;
the page passes axe-core (no serious or critical violation) and fits a 390 px screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from realitygap.store import Workspace
from tests.browser import chromium
from tests.cases_fixtures import make_case_company
from tests.service_fixtures import DASHBOARD_PASSWORD, serving

pytestmark = pytest.mark.browser
CASE = "detractor:c2:w1"  # a logistics case (delivery), due tomorrow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    path = make_case_company(tmp_path_factory.mktemp("cases-browser") / "ws")
    with serving(path) as base:
        yield base, path


def test_manager_sees_their_department_and_closes_a_case_with_a_rating(
    site: tuple[str, Path],
) -> None:
    base, path = site
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 900})
        context.set_default_timeout(60_000)
        page: Any = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/app/cases")
        assert "/login" in page.url
        page.get_by_label("E-mail address").fill("manager@example.com")
        page.get_by_label("Password").fill(DASHBOARD_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/app/cases")
        # the fixture's logistics cases only (delivery -> logistics in the default taxonomy)
        shown = set(page.locator("table.data tbody td:first-child a").all_inner_texts())
        assert shown == {"detractor:c1:w1", CASE}
        found = [v for v in Axe().run(page).response["violations"]
                 if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert found == [], found
        page.get_by_role("link", name=CASE).click()
        for status in ("contacted", "resolved"):
            page.get_by_label("New status").select_option(status)
            if status == "resolved":
                page.get_by_label("Resolution").fill("re-delivered the next morning")
                page.get_by_label("Recovery rating (0–10, once resolved)").fill("9")
            page.get_by_role("button", name="Save").click()
            assert page.locator("#case-status").inner_text() == status
        page.get_by_label("New status").select_option("closed")
        page.get_by_role("button", name="Save").click()
        assert page.locator("#case-status").inner_text() == "closed"
        assert page.locator("#case-rating").inner_text() == "9"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert errors == []
        context.close()
    with Workspace.open(path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT status, recovery_rating, resolution FROM cases WHERE case_id = ?", [CASE]
        ).fetchone()
    assert row == ("closed", 9.0, "re-delivered the next morning")
