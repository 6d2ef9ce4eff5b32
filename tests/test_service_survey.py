"""The respondent pages through FastAPI's TestClient: answer, leave, resume, finish; retries;
closed campaigns; the import's messages; and the gap analysis seeing the answers at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from realitygap.analysis.gap import gap
from realitygap.ingest import import_file
from realitygap.service.app import create_app
from realitygap.service.manage import close_campaign, create_campaign, invite
from realitygap.service.survey import REQUIRED_MESSAGE
from realitygap.store import Workspace
from tests.service_fixtures import CAMPAIGN_TOML, campaign_with_links, make_workspace

WAVE = "2026-spring"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    with make_workspace(tmp_path / "ws") as ws:
        links = campaign_with_links(ws, tmp_path)
    with TestClient(create_app(tmp_path / "ws")) as client:
        yield client, links, tmp_path / "ws"


def _key(html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', html)
    assert found, "every survey form carries an idempotency key"
    return found.group(1)


def _legends(html: str) -> list[str]:
    return re.findall(r"<legend>([^<]*)</legend>", html) + re.findall(
        r"<label for=\"q\d+\"><strong>([^<]*)</strong>", html
    )


def _post(client: TestClient, token: str, page: int, key: str, **answers: str) -> object:
    data = {"page": str(page), "key": key} | {f"answer:{q}": v for q, v in answers.items()}
    return client.post(f"/s/{token}", data=data, follow_redirects=False)


def _responses(path: Path) -> list[tuple[str, str, str, float]]:
    with Workspace.open(path, read_only=True) as ws:
        frame = ws.table("responses").to_pandas()
    rows = frame[["respondent_id", "question_id", "wave", "value"]].itertuples(index=False)
    return sorted((str(a), str(b), str(c), float(d)) for a, b, c, d in rows)


def test_answer_page_one_leave_resume_and_finish(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, path = served
    token = links["c1"]
    first = client.get(f"/s/{token}")
    assert first.status_code == 200
    assert "Page 1 of 2" in first.text
    assert _legends(first.text) == [
        "How likely are you to recommend us? (required)",
        "It was easy to order.",
    ]
    saved = _post(client, token, 1, _key(first.text), q_nps="4", q_ease="2")
    assert saved.status_code == 303  # type: ignore[attr-defined]
    # Left halfway: nothing is a response yet; the same link opens page 2 (NPS 4 <= 6 shows
    # the follow-up), with page 1's answers kept.
    assert _responses(path) == []
    again = client.get(f"/s/{token}")
    assert "Page 2 of 2" in again.text
    assert _legends(again.text) == ["Staff were friendly.", "What should we do better?"]
    back = client.get(f"/s/{token}?page=1")
    assert re.search(r'value="4" checked', back.text)
    done = _post(client, token, 2, _key(again.text), q_staff="5", q_followup="Faster delivery")
    assert done.headers["location"] == f"/s/{token}"  # type: ignore[attr-defined]
    # The answers typed, as responses rows of the campaign's wave (the text as a document).
    assert _responses(path) == [
        ("c1", "q_ease", WAVE, 2.0),
        ("c1", "q_nps", WAVE, 4.0),
        ("c1", "q_staff", WAVE, 5.0),
    ]
    with Workspace.open(path, read_only=True) as ws:
        docs = ws.table("documents").to_pandas()
        inv = ws.table("invitations").to_pandas().set_index("respondent_id")
    assert docs["text"].tolist() == ["Faster delivery"]
    assert inv.loc["c1", "responded_at"] is not None and inv["responded_at"].notna().sum() == 1
    thanks = client.get(f"/s/{token}")
    assert thanks.status_code == 200 and "Your answers have been received" in thanks.text


def test_display_logic_hides_the_follow_up_for_a_promoter(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, _ = served
    token = links["c2"]
    _post(client, token, 1, _key(client.get(f"/s/{token}").text), q_nps="9")
    # 9 > 6: the follow-up on "q_nps <= 6" is not shown
    assert _legends(client.get(f"/s/{token}").text) == ["Staff were friendly."]


def test_a_retry_with_the_same_key_never_doubles_an_answer(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, path = served
    token = links["c1"]
    key1 = _key(client.get(f"/s/{token}").text)
    for _ in range(2):
        _post(client, token, 1, key1, q_nps="7")
    key2 = _key(client.get(f"/s/{token}").text)
    for _ in range(3):  # a browser re-sending the last page: acknowledged the same each time
        reply = _post(client, token, 2, key2, q_staff="3")
        assert reply.status_code == 303  # type: ignore[attr-defined]
    # one answer per question: NPS 7 and staff 3, as posted (7 > 6 hides the follow-up)
    assert _responses(path) == [("c1", "q_nps", WAVE, 7.0), ("c1", "q_staff", WAVE, 3.0)]


def test_an_answer_changed_on_a_revisited_page_replaces_the_first(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, path = served
    token = links["c3"]
    _post(client, token, 1, _key(client.get(f"/s/{token}").text), q_nps="3")
    _post(client, token, 1, _key(client.get(f"/s/{token}?page=1").text), q_nps="8")
    _post(client, token, 2, _key(client.get(f"/s/{token}").text), q_staff="4")
    assert _responses(path) == [("c3", "q_nps", WAVE, 8.0), ("c3", "q_staff", WAVE, 4.0)]


def test_a_bad_value_gets_the_import_message_tied_to_its_field(
    served: tuple[TestClient, dict[str, str], Path], tmp_path: Path
) -> None:
    client, links, path = served
    token = links["c1"]
    reply = _post(client, token, 1, _key(client.get(f"/s/{token}").text), q_nps="11")
    assert reply.status_code == 422  # type: ignore[attr-defined]
    html = reply.text  # type: ignore[attr-defined]
    # the same text as importing the same answer from a file (below), position left out
    expected = "found '11', expected an integer from 0 to 10 (nps scale)"
    error = re.search(r'<p class="error" id="(q\d+)-error">([^<]*)</p>', html)
    assert error is not None
    assert error.group(2).replace("&#39;", "'") == expected
    assert f'aria-describedby="{error.group(1)}-error"' in html
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,question_id,wave,value\nc1,q_nps,w,11\n", encoding="utf-8")
    with Workspace.open(path) as ws, pytest.raises(ValueError) as raised:
        import_file(ws, bad, kind="responses")
    assert f"column 'value': {expected}" in str(raised.value)


def test_a_required_question_left_empty_is_asked_again(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, _ = served
    token = links["c1"]
    reply = _post(client, token, 1, _key(client.get(f"/s/{token}").text), q_ease="3")
    assert reply.status_code == 422  # type: ignore[attr-defined]
    assert REQUIRED_MESSAGE in reply.text  # type: ignore[attr-defined]
    assert "Page 1 of 2" in client.get(f"/s/{token}").text  # nothing was saved


def test_a_closed_campaign_says_so_politely(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, path = served
    with Workspace.open(path) as ws:
        close_campaign(ws, WAVE)
    reply = client.get(f"/s/{links['c1']}")
    assert reply.status_code == 410
    assert "This survey is closed" in reply.text
    posted = _post(client, links["c1"], 1, "k", q_nps="5")
    assert posted.status_code == 410  # type: ignore[attr-defined]
    assert _responses(path) == []


def test_links_before_the_opening_and_after_the_closing_time_say_so(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    for opens, closes, status, words in (
        (now + timedelta(days=1), None, 403, "This survey is not open yet"),
        (now - timedelta(days=2), now - timedelta(days=1), 410, "This survey is closed"),
    ):
        root = tmp_path / f"ws{status}"
        root.mkdir()
        toml = CAMPAIGN_TOML.replace(
            "page_size = 2", f"page_size = 2\nopens = {opens:%Y-%m-%dT%H:%M:%S}"
        )
        if closes is not None:
            toml = toml.replace(
                "page_size = 2", f"page_size = 2\ncloses = {closes:%Y-%m-%dT%H:%M:%S}"
            )
        (root / "campaign.toml").write_text(toml, encoding="utf-8")
        with make_workspace(root / "ws") as ws:
            create_campaign(ws, root / "campaign.toml")
            links = invite(ws, WAVE, "http://testserver").links
        token = str(links["link"].iloc[0]).rsplit("/", 1)[1]
        with TestClient(create_app(root / "ws")) as client:
            reply = client.get(f"/s/{token}")
        assert (reply.status_code, words in reply.text) == (status, True)


def test_an_unknown_link_is_refused(served: tuple[TestClient, dict[str, str], Path]) -> None:
    client, _, _ = served
    assert client.get("/s/not-a-token").status_code == 404


def test_the_gap_sees_a_finished_mirror_and_customer_campaign(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, links, path = served
    customers = {"c1": ("8", "4"), "c2": ("10", "5"), "c3": ("3", "2")}  # nps, ease
    for rid, (nps, ease) in customers.items():
        token = links[rid]
        _post(client, token, 1, _key(client.get(f"/s/{token}").text), q_nps=nps, q_ease=ease)
        _post(client, token, 2, _key(client.get(f"/s/{token}").text), q_staff="4")
    staff = {"s1": ("9", "5"), "s2": ("6", "3")}
    for rid, (nps, ease) in staff.items():
        token = links[rid]
        page = client.get(f"/s/{token}").text
        # staff see the mirror of each mirrored item, on one page (q_staff has no mirror)
        assert _legends(page) == [
            "How will customers answer: How likely are you to recommend us? (required)",
            "How will customers answer: It was easy to order?",
        ]
        reply = _post(client, token, 1, _key(page), m_nps=nps, m_ease=ease)
        assert reply.headers["location"] == f"/s/{token}"  # type: ignore[attr-defined]
    with Workspace.open(path, read_only=True) as ws:
        result = gap(ws, min_n=2)
    rows = {r.question_id: r for r in result.item_rows("all")}
    # hand-computed: customers' NPS (8 + 10 + 3) / 3 = 7.0, staff (9 + 6) / 2 = 7.5;
    # ease (4 + 5 + 2) / 3 = 3.667, staff (5 + 3) / 2 = 4.0
    assert rows["q_nps"].customer_mean.value == pytest.approx(7.0)
    assert rows["q_nps"].staff_mean.value == pytest.approx(7.5)
    assert rows["q_nps"].gap.value == pytest.approx(0.5)
    assert rows["q_ease"].customer_mean.value == pytest.approx(11 / 3)
    assert rows["q_ease"].staff_mean.value == pytest.approx(4.0)
    assert (rows["q_nps"].customer_mean.n, rows["q_nps"].staff_mean.n) == (3, 2)
