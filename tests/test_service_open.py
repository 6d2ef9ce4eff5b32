"""The open link of an anonymous campaign: a fresh session per browser (a signed cookie),
answers resumable by that cookie, one response per browser, ordinary responses of the wave."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from realitygap.service.app import create_app
from realitygap.service.manage import create_campaign
from realitygap.store import Workspace
from realitygap.store import campaigns as store
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace

OPEN_TOML = CAMPAIGN_TOML.replace("mirror = true", "mirror = false\nanonymous = true")


def open_campaign(tmp_path: Path) -> tuple[Path, str]:
    """A workspace with the fixture's campaign made anonymous: (its path, the open link)."""
    with make_workspace(tmp_path / "ws") as ws:
        toml = tmp_path / "open.toml"
        toml.write_text(OPEN_TOML, encoding="utf-8")
        row = create_campaign(ws, toml)
    assert row.open_id is not None and len(row.open_id) == 16  # 12 random bytes
    return tmp_path / "ws", f"/s/open/{row.open_id}"


def _finish(client: TestClient, link: str, nps: str, key: str) -> None:
    first = {"page": "1", "key": f"{key}1", "answer:q_nps": nps, "answer:q_ease": "4"}
    assert client.post(link, data=first, follow_redirects=False).status_code == 303
    second = {"page": "2", "key": f"{key}2", "answer:q_staff": "5"}
    if float(nps) <= 6:
        second["answer:q_followup"] = "Faster replies"
    assert client.post(link, data=second, follow_redirects=False).status_code == 303


def test_each_browser_answers_once_and_the_answers_are_ordinary_responses(
    tmp_path: Path,
) -> None:
    path, link = open_campaign(tmp_path)
    app = create_app(path)
    one, two = TestClient(app), TestClient(app)  # two browsers: separate cookie jars
    assert "Page 1 of 2" in one.get(link).text
    with Workspace.open(path, read_only=True) as ws:  # only looking starts no session
        assert store.invitations_page(ws, "2026-spring", 0, 10)[1] == 0

    # a first page refused (the required NPS left empty) starts no session
    refused = one.post(link, data={"page": "1", "key": "a0", "answer:q_ease": "4"})
    assert refused.status_code == 422 and "This question needs an answer." in refused.text
    assert not any(c.startswith("rg_open_") for c in one.cookies)
    with Workspace.open(path, read_only=True) as ws:
        assert store.invitations_page(ws, "2026-spring", 0, 10)[1] == 0

    # browser one saves page 1, leaves, comes back: page 2, resumed by the cookie
    form = {"page": "1", "key": "a1", "answer:q_nps": "5", "answer:q_ease": "4"}
    assert one.post(link, data=form, follow_redirects=False).status_code == 303
    assert any(c.startswith("rg_open_") for c in one.cookies)
    assert "Page 2 of 2" in one.get(link).text
    assert "What should we do better?" in one.get(link).text  # 5 <= 6: follow-up shown
    second = {"page": "2", "key": "a2", "answer:q_followup": "Faster", "answer:q_staff": "5"}
    one.post(link, data=second, follow_redirects=False)
    assert "Your answers have been received" in one.get(link).text
    # the same browser cannot answer again
    again = {"page": "1", "key": "a3", "answer:q_nps": "10", "answer:q_ease": "5"}
    one.post(link, data=again)
    assert "Your answers have been received" in one.get(link).text

    _finish(two, link, "9", "b")  # another browser: a second response
    with Workspace.open(path, read_only=True) as ws:
        responses = ws.table("responses").to_pandas()
    anon = responses[responses["respondent_id"].str.startswith("anon-")]
    assert anon["respondent_id"].nunique() == 2
    assert set(anon["wave"]) == {"2026-spring"} and set(anon["channel"]) == {"web"}
    # the values posted above, one row per question of each browser
    got = sorted(anon.groupby("respondent_id")["value"].apply(lambda v: tuple(sorted(v))))
    assert got == [(4.0, 5.0, 5.0), (4.0, 5.0, 9.0)]


def test_a_forged_cookie_starts_a_fresh_session_and_a_retried_first_page_is_not_doubled(
    tmp_path: Path,
) -> None:
    path, link = open_campaign(tmp_path)
    client = TestClient(create_app(path))
    _finish(client, link, "9", "k")
    name = next(c for c in client.cookies if c.startswith("rg_open_"))
    value = client.cookies[name]
    forged = TestClient(create_app(path), cookies={name: value[:-2] + "xx"})
    assert "Page 1 of 2" in forged.get(link).text  # a tampered cookie is no session

    # a first page retried without the cookie (its answer was lost) joins the same session
    fresh = TestClient(create_app(path))
    form = {"page": "1", "key": "same", "answer:q_nps": "8", "answer:q_ease": "3"}
    fresh.post(link, data=form, follow_redirects=False)
    TestClient(create_app(path)).post(link, data=form, follow_redirects=False)
    with Workspace.open(path, read_only=True) as ws:
        _, invited = store.invitations_page(ws, "2026-spring", 0, 10)
    assert invited == 2  # the first browser's session and this one, not a third


@pytest.mark.parametrize("anonymous", ["yes", 1])
def test_anonymous_must_be_true_or_false(tmp_path: Path, anonymous: object) -> None:
    from realitygap.domain.errors import SurveyDataError

    with make_workspace(tmp_path / "ws") as ws:
        toml = tmp_path / "bad.toml"
        toml.write_text(OPEN_TOML.replace("anonymous = true", f"anonymous = {anonymous!r}"))
        with pytest.raises(SurveyDataError, match=r"expected true \(an open link"):
            create_campaign(ws, toml)


def test_create_and_list_print_the_open_link(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from realitygap.cli import app

    make_workspace(tmp_path / "ws").close()
    (tmp_path / "open.toml").write_text(OPEN_TOML, encoding="utf-8")
    runner = CliRunner()
    created = runner.invoke(
        app, ["campaign", "create", str(tmp_path / "ws"), str(tmp_path / "open.toml")]
    )
    assert created.exit_code == 0, created.output
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        open_id = store.campaign(ws, "2026-spring").open_id  # type: ignore[union-attr]
    assert f"open link (anyone, once per browser): /s/open/{open_id}" in created.output
    listed = runner.invoke(app, ["campaign", "list", str(tmp_path / "ws")])
    assert f"open link /s/open/{open_id}" in listed.output
