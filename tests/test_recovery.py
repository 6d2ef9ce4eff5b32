"""Service recovery: case rules and the recovery comparison on a hand-built workspace."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from realitygap.actions.cases import case_candidates, open_cases
from realitygap.analysis.recovery import recovery
from realitygap.store import Workspace
from realitygap.store.write import insert_new
from tests.nps_coverage import score_limits_brute_force

T0 = datetime(2025, 3, 1)
END = datetime(2026, 3, 1)  # last event: every anchor below is observed for 180 days


def _fill(ws: Workspace) -> None:
    insert_new(
        ws,
        "questions",
        pd.DataFrame(
            {
                "question_id": ["nps", "q1", "q2"],
                "text": ["Recommend?", "Delivery on time", "Staff friendly"],
                "scale": ["nps", "likert5", "likert5"],
                "touchpoint": [None, "delivery", "store_staff"],
                "audience": ["customer"] * 3,
            }
        ),
    )
    # recovered: r0..r39 (case resolved, rated 9), answers after the case: 30 x 10, 10 x 8
    # not recovered: n0..n39 (case open), answers after: 10 x 8, 30 x 3
    # never had a problem: h0..h59: 30 x 9, 20 x 7, 10 x 5; h0..h5 cancel within 180 days
    # complained without a case: x0..x4 (excluded from every group)
    groups = {
        "r": [10] * 30 + [8] * 10,
        "n": [8] * 10 + [3] * 30,
        "h": [9] * 30 + [7] * 20 + [5] * 10,
        "x": [2] * 5,
    }
    people, answers, cases, events = [], [], [], []
    for prefix, scores in groups.items():
        for i, score in enumerate(scores):
            cid = f"{prefix}{i}"
            people.append(cid)
            answers.append((cid, "nps", "w2", float(score), T0 + timedelta(days=10)))
            if prefix in "rn":
                contact = T0 + timedelta(hours=24 if i % 2 else 72)
                cases.append(
                    {
                        "case_id": f"case-{cid}",
                        "customer_id": cid,
                        "trigger": "detractor",
                        "status": "resolved" if prefix == "r" else "contacted",
                        "opened_at": T0,
                        "due_at": T0 + timedelta(hours=48),
                        "first_contact_at": contact,
                        "resolved_at": T0 + timedelta(days=5) if prefix == "r" else None,
                        "recovery_rating": 9.0 if prefix == "r" else None,
                    }
                )
            events.append((f"e-{cid}", cid, "purchase", END, 10.0))
    for i in range(6):
        events.append((f"c-h{i}", f"h{i}", "cancellation", T0 + timedelta(days=40), None))
    for i in range(5):
        events.append((f"k-x{i}", f"x{i}", "complaint", T0, None))
    insert_new(ws, "respondents", pd.DataFrame({"respondent_id": people, "kind": "customer"}))
    insert_new(
        ws,
        "responses",
        pd.DataFrame(
            answers, columns=["respondent_id", "question_id", "wave", "value", "submitted_at"]
        ),
    )
    insert_new(ws, "cases", pd.DataFrame(cases))
    insert_new(
        ws,
        "events",
        pd.DataFrame(events, columns=["event_id", "customer_id", "type", "occurred_at", "amount"]),
    )


def _score_interval(pro: int, det: int, n: int) -> tuple[float, float]:
    # Tango's score interval by a brute-force root find (numerical restricted MLE), in points
    low, high = score_limits_brute_force(pro, det, n, 0.95)
    return 100 * low, 100 * high


def test_groups_nps_retention_and_verdict(workspace: Workspace) -> None:
    _fill(workspace)
    result = recovery(workspace, horizon_days=180)
    g = {x.group: x for x in result.groups}
    assert g["recovered"].customers == 40
    assert g["not recovered"].customers == 40
    assert g["never had a problem"].customers == 60  # the 5 complainers are left out
    # recovered: 30 promoters of 40 -> NPS 75; not recovered: 30 detractors -> -75
    assert g["recovered"].nps.value == pytest.approx(75.0)
    assert g["not recovered"].nps.value == pytest.approx(-75.0)
    # never: (30 - 10) / 60 = 33.3
    assert g["never had a problem"].nps.value == pytest.approx(100 * 20 / 60)
    lo, hi = _score_interval(30, 10, 60)
    assert (g["never had a problem"].nps.low, g["never had a problem"].nps.high) == (
        pytest.approx((lo, hi), abs=1e-4)
    )
    # retention: 6 of 60 never-a-problem customers cancelled within 180 days
    assert g["never had a problem"].retention.value == pytest.approx(54 / 60)
    assert g["recovered"].retention.value == pytest.approx(1.0)
    assert result.nps_recovered_vs_never is not None
    assert result.nps_recovered_vs_never.value == pytest.approx(75 - 100 * 20 / 60)
    assert "recovery paradox holds" in result.verdict
    # service level: 80 cases, half contacted after 24 h (in time), half after 72 h (late)
    assert result.service.cases == 80
    assert result.service.contacted_in_time.value == pytest.approx(0.5)
    assert result.service.median_hours_to_contact == pytest.approx(48.0)
    assert result.service.median_hours_to_resolution == pytest.approx(120.0)


def test_detractor_rule_routes_to_the_owner_of_the_worst_touchpoint(workspace: Workspace) -> None:
    _fill(workspace)
    insert_new(
        workspace,
        "responses",
        pd.DataFrame(
            {
                "respondent_id": ["x0", "x0"],
                "question_id": ["q1", "q2"],
                "wave": ["w2", "w2"],
                "value": [1.0, 4.0],  # delivery is the worst-rated touchpoint
            }
        ),
    )
    cand = case_candidates(workspace, triggers=("detractor",), sla=timedelta(hours=24))
    # detractors (0-6) without a case yet: n10..n39 answered 3 (but have cases under another
    # id, so the rule still proposes one per answer), h50..h59 answered 5, x0..x4 answered 2
    assert len(cand) == 30 + 10 + 5
    x0 = cand.set_index("customer_id").loc["x0"]
    assert x0["touchpoint"] == "delivery"
    assert x0["owner"] == "logistics"  # the default taxonomy's owner of delivery
    assert x0["due_at"] - x0["opened_at"] == pd.Timedelta(hours=24)
    assert open_cases(workspace, cand) == 45
    assert open_cases(workspace, cand) == 0  # re-running opens nothing twice
    assert case_candidates(workspace, triggers=("detractor",)).empty


def test_service_level_counts_only_cases_that_could_be_met(workspace: Workspace) -> None:
    _fill(workspace)
    # 10 cases due before they were opened (could never be met) and 10 open cases due after
    # the end of the data (may still be met): neither counts in the share
    extra = [
        {
            "case_id": f"late-born-{i}",
            "customer_id": f"h{i}",
            "trigger": "detractor",
            "status": "open",
            "opened_at": T0,
            "due_at": T0 - timedelta(days=30),
        }
        for i in range(10)
    ] + [
        {
            "case_id": f"not-due-{i}",
            "customer_id": f"h{10 + i}",
            "trigger": "detractor",
            "status": "open",
            "opened_at": T0 + timedelta(days=4),
            "due_at": T0 + timedelta(days=30),  # the data end at the last resolution, T0 + 5d
        }
        for i in range(10)
    ]
    insert_new(workspace, "cases", pd.DataFrame(extra))
    s = recovery(workspace).service
    # hand count: of the 80 cases of _fill, 40 were contacted after 24 h (due 48 h): in time
    assert s.cases == 100
    assert s.contacted_in_time.n == 80
    assert s.contacted_in_time.value == pytest.approx(40 / 80)
    # open and past due: the 40 "contacted" cases of _fill (due T0 + 48 h) and the 10 that
    # were due before they opened
    assert s.open_overdue == 50


def test_cases_open_today_and_are_not_overdue_on_opening(workspace: Workspace) -> None:
    _fill(workspace)
    answered = T0 + timedelta(days=10)  # every NPS answer of _fill
    today = datetime(2026, 6, 1, 12)
    cand = case_candidates(workspace, triggers=("detractor",), sla=timedelta(hours=24), now=today)
    assert len(cand) > 0
    # an answer of last year: the case opens today and is due 24 h from today
    assert (cand["opened_at"] == pd.Timestamp(today)).all()
    assert (cand["due_at"] == pd.Timestamp(today + timedelta(hours=24))).all()
    # opened one hour after the answer: due 24 h after the answer, still ahead
    soon = answered + timedelta(hours=1)
    cand = case_candidates(workspace, triggers=("detractor",), sla=timedelta(hours=24), now=soon)
    assert (cand["due_at"] == pd.Timestamp(answered + timedelta(hours=24))).all()
    assert (cand["opened_at"] == pd.Timestamp(soon)).all()
    # since: answers before the date get no case
    later = case_candidates(workspace, triggers=("detractor",), since=answered + timedelta(days=1))
    assert later.empty
    same = case_candidates(workspace, triggers=("detractor",), since=answered.date())
    assert len(same) == len(cand)


def test_cli_cases_open_since(workspace: Workspace) -> None:
    from typer.testing import CliRunner

    from realitygap.cli import app

    _fill(workspace)
    path = str(workspace.path)
    workspace.close()
    runner = CliRunner()
    result = runner.invoke(
        app, ["cases", "open", path, "--trigger", "detractor", "--since", "2025-03-12", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"opened": 0' in result.output  # every answer was on 2025-03-11
    result = runner.invoke(
        app, ["cases", "open", path, "--trigger", "detractor", "--since", "2025-03-11", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"opened": 0' not in result.output
