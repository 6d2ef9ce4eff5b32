"""The Reality Check of a live campaign shows its response rate (issue 21 part 3): invited,
started, completed per open campaign, with a Wilson interval, checked against a hand count
and statsmodels' Wilson interval; the report's methods section shows them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.proportion import proportion_confint

from realitygap.analysis import response_rates
from realitygap.service.app import create_app
from realitygap.service.manage import close_campaign
from realitygap.store import Workspace
from tests.service_fixtures import CUSTOMERS, STAFF, campaign_with_links, make_workspace


def _answer(client: TestClient, token: str, page: int, answers: dict[str, str]) -> None:
    form = {"page": str(page), "key": f"k{page}"} | {f"answer:{q}": v for q, v in answers.items()}
    assert client.post(f"/s/{token}", data=form, follow_redirects=False).status_code == 303


def test_open_campaign_rate_matches_a_hand_count_and_statsmodels_wilson(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "ws") as ws:
        links = campaign_with_links(ws, tmp_path)
    with TestClient(create_app(tmp_path / "ws")) as client:
        # c1 finishes both pages, c2 saves page 1 only, s1 (staff) finishes the mirror
        _answer(client, links["c1"], 1, {"q_nps": "9", "q_ease": "4"})
        _answer(client, links["c1"], 2, {"q_staff": "5"})
        _answer(client, links["c2"], 1, {"q_nps": "3", "q_ease": "2"})
        _answer(client, links["s1"], 1, {"m_nps": "8", "m_ease": "4"})
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        rates = response_rates(ws, min_n=1)
    # hand count: 3 customers + 2 staff invited; started c1, c2, s1; completed c1, s1
    (live,) = rates.campaigns
    assert (live.campaign_id, live.invited, live.started, live.completed) == (
        "2026-spring",
        len(CUSTOMERS) + len(STAFF),
        3,
        2,
    )
    low, high = proportion_confint(2, 5, alpha=0.05, method="wilson")
    assert live.rate.value == pytest.approx(2 / 5)
    assert (live.rate.low, live.rate.high) == (pytest.approx(low), pytest.approx(high))
    assert live.rate.n == 5
    assert "2026-spring: 5 invited, 3 started, 2 completed" in str(rates)
    frame = rates.campaigns_frame()
    assert frame.loc[0, "completed"] == 2 and frame.loc[0, "rate_low"] == pytest.approx(low)


def test_a_closed_campaign_is_not_live_and_too_few_invited_is_insufficient(
    tmp_path: Path,
) -> None:
    with make_workspace(tmp_path / "ws") as ws:
        campaign_with_links(ws, tmp_path)
        (live,) = response_rates(ws).campaigns  # default min_n 30: 5 invited is too few
        assert live.invited == 5 and live.rate.value is None
        close_campaign(ws, "2026-spring")
        assert response_rates(ws).campaigns == ()


def test_the_report_shows_the_open_campaigns_rate(tmp_path: Path) -> None:
    from realitygap.analysis import reality_check
    from realitygap.report.sections import methods_section

    with make_workspace(tmp_path / "ws") as ws:
        campaign_with_links(ws, tmp_path)
        rc = reality_check(ws, min_n=1)
    tables = [b for b in methods_section(rc).blocks if hasattr(b, "frame")]
    (live,) = [t for t in tables if "Open survey campaigns" in t.title]
    assert list(live.frame["invited"]) == [5] and list(live.frame["completed"]) == [0]
