"""axe-core (bundled in the axe-playwright-python package: nothing is downloaded) on every
respondent page at 390 px in Debian's chromium: no serious or critical violation, and each
page under 100 KB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from realitygap.ingest import import_file
from realitygap.service.manage import close_campaign, create_campaign, invite
from tests.browser import chromium
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace, serving

pytestmark = pytest.mark.browser
PAGE_LIMIT = 100 * 1024  # issue 21: respondent pages load in under 100 KB
BLOCKING = ("serious", "critical")
FRENCH = [
    ("q_nps", "Recommanderiez-vous notre magasin ?"),
    ("q_ease", "Il était facile de commander."),
    ("q_followup", "Que devrions-nous améliorer ?"),
    ("q_staff", "Le personnel était aimable."),
    ("m_nps", "Quelle note les clients donneront-ils à la recommandation ?"),
    ("m_ease", "Quelle note les clients donneront-ils à la commande ?"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The service with an open (anonymous), mirrored, bilingual campaign and a closed one:
    the URL of each kind of respondent page."""
    tmp = tmp_path_factory.mktemp("a11y")
    rows = "\n".join(f'{q},fr,"{t}"' for q, t in FRENCH)
    (tmp / "tr.csv").write_text(f"question_id,language,text\n{rows}\n", encoding="utf-8")
    spring = tmp / "spring.toml"
    spring.write_text(
        CAMPAIGN_TOML.replace(
            "mirror = true", 'mirror = true\nanonymous = true\nlanguages = ["en", "fr"]'
        ),
        encoding="utf-8",
    )
    autumn = tmp / "autumn.toml"
    autumn.write_text(CAMPAIGN_TOML.replace("2026-spring", "2026-autumn"), encoding="utf-8")
    with make_workspace(tmp / "ws") as ws:
        import_file(ws, tmp / "tr.csv", "translations")
        row = create_campaign(ws, spring)
        links = invite(ws, "2026-spring", "").links.set_index("respondent_id")["link"]
        create_campaign(ws, autumn)
        closed = invite(ws, "2026-autumn", "").links.set_index("respondent_id")["link"]
        close_campaign(ws, "2026-autumn")
    with serving(tmp / "ws") as base:
        yield {
            "start": base + links["c1"],
            "mirror": base + links["s1"],
            "closed": base + closed["c1"],
            "open": f"{base}/s/open/{row.open_id}",
            "french": base + links["c2"] + "?lang=fr",
        }


def _blocking(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture(scope="module")
def phone(site: dict[str, str]) -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def _visit(browser: Any, url: str) -> tuple[Any, int]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    response = page.goto(url)
    assert response is not None
    return page, len(response.body())


@pytest.mark.parametrize("name", ["start", "mirror", "closed", "open", "french"])
def test_a_respondent_page_has_no_serious_violation_and_is_light(
    site: dict[str, str], phone: Any, name: str
) -> None:
    page, size = _visit(phone, site[name])
    assert size < PAGE_LIMIT, f"{name}: {size} bytes"
    assert _blocking(page) == []
    # what the page is: the text each page must show (guards against a blank page passing)
    expected = {
        "start": "Page 1 of 2",
        "mirror": "How will customers answer",
        "closed": "This survey is closed",
        "open": "Page 1 of 2",
        "french": "Recommanderiez-vous notre magasin ?",
    }[name]
    assert expected in page.content()
    if name == "french":
        assert page.evaluate("document.documentElement.lang") == "fr"
    page.context.close()


def test_a_page_with_an_error_has_no_serious_violation(site: dict[str, str], phone: Any) -> None:
    page, _ = _visit(phone, site["start"])
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())))
    page.get_by_role("button", name="Next").click()  # the required NPS left empty
    error = page.get_by_text("This question needs an answer.")
    assert error.is_visible()
    # the message is tied to its field: the fieldset is described by it
    described = page.get_by_role("group", name="How likely are you to recommend us? (required)")
    assert described.get_attribute("aria-describedby") == error.get_attribute("id")
    assert sizes and max(sizes) < PAGE_LIMIT
    assert _blocking(page) == []
    page.context.close()


def test_axe_finds_what_it_should(phone: Any) -> None:
    # a positive control: an input without a label and text too faint to read are violations
    # axe-core rates critical and serious (its rules label and color-contrast)
    page = phone.new_page()
    page.set_content(
        '<html lang="en"><body><main><input type="text">'
        '<p style="color:#ccc;background:#fff">faint</p></main></body></html>'
    )
    found = " ".join(_blocking(page))
    assert "label (critical)" in found and "color-contrast (serious)" in found
    page.close()
