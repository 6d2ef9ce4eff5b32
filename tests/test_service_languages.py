"""Questions in the respondent's language: translations imported per question and language,
the page following Accept-Language, a switch that sticks, and the bank's language otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.service.app import create_app
from realitygap.service.manage import create_campaign, invite
from realitygap.service.survey import accepted_languages, choose_language
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace

FRENCH = {
    "q_nps": "Recommanderiez-vous notre magasin ?",
    "q_ease": "Il était facile de commander.",
    "q_followup": "Que devrions-nous améliorer ?",
    "q_staff": "Le personnel était aimable.",
    "m_nps": "Quelle note les clients donneront-ils à la recommandation ?",
    "m_ease": "Quelle note les clients donneront-ils à la commande ?",
}


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    rows = "\n".join(
        [f'{q},fr,"{t}"' for q, t in FRENCH.items()] + [f'{q},pt,"(pt) {q}"' for q in FRENCH]
    )
    (tmp_path / "tr.csv").write_text(f"question_id,language,text\n{rows}\n", encoding="utf-8")
    toml = tmp_path / "c.toml"
    toml.write_text(
        CAMPAIGN_TOML.replace("mirror = true", 'mirror = true\nlanguages = ["en", "fr", "pt"]')
    )
    with make_workspace(tmp_path / "ws") as ws:
        assert import_file(ws, tmp_path / "tr.csv", "translations").rows_added == {
            "question_translations": 12
        }
        create_campaign(ws, toml)
        links = {
            str(r.respondent_id): str(r.link).rsplit("/", 1)[1]
            for r in invite(ws, "2026-spring", "http://testserver").links.itertuples()
        }
    return TestClient(create_app(tmp_path / "ws")), links


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_page_follows_accept_language_and_the_switch_sticks(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, links = served
    link = f"/s/{links['c1']}"
    fr = client.get(link, headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert _lang(fr.text) == "fr"
    assert "Recommanderiez-vous notre magasin ?" in fr.text
    assert "How likely are you" not in fr.text
    # the page's own words are French too (checked in test_a_french_respondent_sees_...)
    assert "<p>Page 1 sur 2." in fr.text
    # the switch: a plain link per language, in that language, the current one marked
    assert f'<a href="{link}?page=1&amp;lang=en" hreflang="en" lang="en">English</a>' in fr.text
    assert 'hreflang="fr" lang="fr" aria-current="true">Français</a>' in fr.text

    en = client.get(f"{link}?lang=en", headers={"Accept-Language": "fr"})
    assert _lang(en.text) == "en" and "How likely are you to recommend us?" in en.text
    # the choice outlives the page: the next one is English although the browser asks French
    again = client.get(link, headers={"Accept-Language": "fr"})
    assert _lang(again.text) == "en"


def test_a_language_the_campaign_lacks_falls_back_to_the_banks(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, links = served
    page = client.get(f"/s/{links['c2']}", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert _lang(page.text) == "en" and "How likely are you to recommend us?" in page.text


def test_staff_get_the_mirror_questions_own_translation(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, links = served
    page = client.get(f"/s/{links['s1']}", headers={"Accept-Language": "fr"})
    assert "Quelle note les clients donneront-ils à la recommandation ?" in page.text
    assert "How will customers answer" not in page.text


def test_a_campaign_language_without_every_translation_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        CAMPAIGN_TOML.replace("mirror = true", 'mirror = false\nlanguages = ["en", "de"]')
    )
    with make_workspace(tmp_path / "ws") as ws, pytest.raises(SurveyDataError) as caught:
        create_campaign(ws, toml)
    message = str(caught.value)
    assert "column 'languages': found 'de'" in message
    assert "missing: q_nps, q_ease, q_followup, q_staff" in message


def test_accept_language_is_read_by_its_weights() -> None:
    # RFC 9110 section 12.5.4's example: "da, en-gb;q=0.8, en;q=0.7" prefers Danish, then
    # British English, then any English
    assert accepted_languages("da, en-gb;q=0.8, en;q=0.7") == ["da", "en-gb", "en"]
    assert accepted_languages("en;q=0, *;q=0.5, fr") == ["fr"]  # q=0: not acceptable
    assert accepted_languages(None) == []
    # a region falls back to its primary language and the other way round
    assert choose_language(("en", "fr"), ["fr-CA"], "en") == "fr"
    assert choose_language(("en", "pt-br"), ["pt"], "en") == "pt-br"
    assert choose_language(("en", "fr"), ["de"], "en") == "en"


# The French words of the page, written here by hand (not read from the catalogue): what a
# French respondent must see.
FRENCH_CHROME = [
    "<title>Spring survey : page 1 sur 2</title>",
    "<p>Page 1 sur 2. Vos réponses sont enregistrées quand vous passez à la suite ; vous pouvez "
    "partir et revenir avec le même lien.</p>",
    "(obligatoire)",
    '<button type="submit">Suivant</button>',
    "0 signifie pas du tout probable, 10 signifie extrêmement probable.",
    "Pas du tout d&#39;accord",  # the agreement scale's end, escaped by the page
    '<nav aria-label="Langue">',
]


def test_a_french_respondent_sees_the_pages_own_words_in_french(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, links = served
    link = f"/s/{links['c1']}"
    page = client.get(link, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    for words in FRENCH_CHROME:
        assert words in page.text, words
    assert "Next" not in page.text and "(required)" not in page.text
    assert 'lang="en"' in page.text.split("<nav", 1)[1].split("</nav>")[0]  # "English" link only
    assert '<p lang="en">' not in page.text  # nothing on the page is left in English
    # a required question left empty: the message and the summary in French
    empty = client.post(link, data={"page": "1", "key": "k1"}, headers={"Accept-Language": "fr"})
    assert empty.status_code == 422
    assert "Veuillez vérifier 1 réponse :" in empty.text
    assert "Cette question demande une réponse." in empty.text
    # a value off the scale keeps the import's message, marked as English
    bad = client.post(
        link,
        data={"page": "1", "key": "k2", "answer:q_nps": "11"},
        headers={"Accept-Language": "fr"},
    )
    assert '<p class="error" id="q1-error" lang="en">found &#39;11&#39;' in bad.text
    # finished: the thank-you page in French
    for page_number, answers in ((1, {"answer:q_nps": "9"}), (2, {"answer:q_staff": "4"})):
        client.post(
            link,
            data={"page": str(page_number), "key": f"f{page_number}", **answers},
            headers={"Accept-Language": "fr"},
        )
    thanks = client.get(link, headers={"Accept-Language": "fr"})
    assert _lang(thanks.text) == "fr"
    assert "<h1>Merci</h1>" in thanks.text
    assert "Vos réponses ont bien été reçues. Merci de votre participation." in thanks.text


def test_a_language_without_a_catalogue_shows_english_words_marked_english(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, links = served
    page = client.get(f"/s/{links['c3']}", headers={"Accept-Language": "pt"})
    assert _lang(page.text) == "pt" and "(pt) q_nps" in page.text  # the questions: Portuguese
    # the page's own words: English, marked so for screen readers
    assert '<p lang="en">Page 1 of 2.' in page.text
    assert '<p lang="en"><button type="submit">Next</button></p>' in page.text
    assert '<span lang="en">(required)</span>' in page.text
    # an unknown link for a browser asking Portuguese: English
    unknown = client.get("/s/not-a-token", headers={"Accept-Language": "pt"})
    assert _lang(unknown.text) == "en" and "Link not found" in unknown.text
