"""The perception gap recovers what the simulator planted (the shared 20,000-customer company)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from scipy import stats

from realitygap.analysis.gap import GapResult, gap
from realitygap.analysis.metrics import metrics
from realitygap.store import Workspace


@pytest.fixture(scope="session")
def simulated(company: tuple[Workspace, dict[str, Any]]) -> tuple[Workspace, dict[str, Any]]:
    """The shared simulated company (tests/conftest.py; its contract: docs/simulator.md)."""
    return company


@pytest.fixture(scope="session")
def result(simulated: tuple[Workspace, dict[str, Any]]) -> GapResult:
    ws, _ = simulated
    return gap(ws, by=["role", "department"])


def test_blind_spot_ranking_recovers_planted_overestimation(
    simulated: tuple[Workspace, dict[str, Any]], result: GapResult
) -> None:
    # planted truth: truth["overestimation"]["by_item"], mean staff over-estimation in points
    _, truth = simulated
    planted: dict[str, float] = truth["overestimation"]["by_item"]
    ours = {r.question_id: r.gap.value for r in result.item_rows() if r.gap.value is not None}
    common = sorted(set(planted) & set(ours))
    assert len(common) >= 5
    rho = stats.spearmanr([planted[q] for q in common], [ours[q] for q in common]).statistic
    assert rho >= 0.9, rho


def test_headline_shares_cover_the_planted_values(
    simulated: tuple[Workspace, dict[str, Any]], result: GapResult
) -> None:
    # planted truth: truth["headline"], computed by the simulator from its probabilities
    _, truth = simulated
    head = result.headline
    assert head is not None
    assert head.question_id == truth["nps_question"]
    assert head.mirror_id == truth["nps_mirror_question"]
    planted = truth["headline"]
    s, c = head.staff_share, head.customer_share
    assert s.low is not None and s.high is not None and c.low is not None and c.high is not None
    assert s.low <= planted["executive_superior_share"] <= s.high
    assert c.low <= planted["customer_promoter_share"] <= c.high


def test_role_furthest_off_is_the_planted_one(
    simulated: tuple[Workspace, dict[str, Any]], result: GapResult
) -> None:
    # planted truth: truth["overestimation"]["by_role"]; the largest must come out on top
    _, truth = simulated
    planted: dict[str, float] = truth["overestimation"]["by_role"]
    roles = {o.group: o.offset.value for o in result.offsets if o.dimension == "role"}
    assert max(roles, key=lambda r: roles[r] or -np.inf) == max(planted, key=lambda r: planted[r])


def test_nps_by_wave_is_computed_for_every_planted_wave(
    simulated: tuple[Workspace, dict[str, Any]],
) -> None:
    # planted truth: truth["waves"] lists the waves in time order; every wave gets an NPS and
    # the trend table pairs consecutive waves in that order
    ws, truth = simulated
    res = metrics(ws, by=["wave"], questions=[truth["nps_question"]])
    frame = res.to_frame()
    nps = frame[(frame.metric == "nps") & frame.question_id.notna()]
    assert set(nps.wave) == set(truth["waves"])
    pairs = [(c.earlier, c.later) for c in res.trends]
    waves = truth["waves"]
    assert pairs == list(itertools.pairwise(waves))
