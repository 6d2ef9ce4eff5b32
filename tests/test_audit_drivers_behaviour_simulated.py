"""Audit, drivers and behaviour against the simulator's planted truth (docs/simulator.md)."""

from __future__ import annotations

from typing import Any

from scipy import stats

from realitygap.analysis.audit import audit
from realitygap.analysis.behaviour import behaviour
from realitygap.analysis.drivers import drivers
from realitygap.store import Workspace

# `company` (tests/conftest.py): one simulated company shared by the planted-truth tests
Company = tuple[Workspace, dict[str, Any]]


def test_audit_flags_the_planted_bare_fundamentals(
    company: Company,
) -> None:
    # planted truth: `bare_fundamentals`; at least 90% of them flagged "bare minimum",
    # at most 10% of the other items flagged
    ws, truth = company
    result = audit(ws, truth["nps_question"])
    planted = set(truth["bare_fundamentals"])
    flagged = set(result.flagged("bare minimum"))
    others = {i.question_id for i in result.items} - planted
    assert len(flagged & planted) >= 0.9 * len(planted)
    assert len(flagged & others) <= 0.1 * len(others)


def test_drivers_recover_the_planted_ranking(company: Company) -> None:
    # planted truth: drivers.weights; Spearman between true weights and measured shares >= 0.9
    ws, truth = company
    weights = truth["drivers"]["weights"]
    result = drivers(
        ws, truth["drivers"]["outcome"], sorted(weights), missing="pairwise", bootstrap=0
    )
    shares = {d.question_id: d.share.value for d in result.drivers}
    items = sorted(weights)
    rho = stats.spearmanr([weights[q] for q in items], [shares[q] for q in items]).statistic
    assert rho >= 0.9


def test_silent_churners_are_found(company: Company) -> None:
    # planted truth: silent_churners.customer_ids; precision and recall >= 0.8
    ws, truth = company
    found = set(behaviour(ws, truth["nps_question"], silent_top=None).silent["customer_id"])
    planted = set(truth["silent_churners"]["customer_ids"])
    hits = len(found & planted)
    assert hits / len(found) >= 0.8
    assert hits / len(planted) >= 0.8
