"""Survey audit against hand formulas, NumPy on the rows and SciPy's Mann-Whitney U."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from realitygap.analysis.audit import (
    auc_from_counts,
    audit,
    cronbach_alpha,
    feldt_interval,
    hanley_mcneil,
)
from realitygap.store import Workspace
from realitygap.store.write import insert_new
from tests.test_drivers import load_wide

ITEMS = ["q1", "q2", "q3", "q4", "q5", "q6"]


def _survey(n: int = 800, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers with latent loyalty L: q1-q3 follow L, q4 = q1 almost exactly (redundant),
    q5 is a bare fundamental (90% give 5, independent of L), q6 is noise (predicts nothing)."""
    rng = np.random.default_rng(seed)
    loyalty = rng.normal(size=n)

    def likert(x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(3 + x), 1, 5)

    q1 = likert(loyalty + rng.normal(0, 0.6, n))
    frame = pd.DataFrame(
        {
            "q1": q1,
            "q2": likert(0.8 * loyalty + rng.normal(0, 0.8, n)),
            "q3": likert(0.6 * loyalty + rng.normal(0, 0.9, n)),
            "q4": np.where(rng.random(n) < 0.03, np.clip(q1 - 1, 1, 5), q1),
            "q5": np.where(rng.random(n) < 0.9, 5.0, rng.integers(2, 5, n).astype(float)),
            "q6": likert(rng.normal(0, 1, n)),
            "nps": np.clip(np.round(7 + 1.8 * loyalty + rng.normal(0, 1, n)), 0, 10),
        }
    )
    return frame, loyalty


def _with_behaviour(ws: Workspace, frame: pd.DataFrame, loyalty: np.ndarray) -> np.ndarray:
    """Answers on 2025-01-15; everyone bought monthly before; low-loyalty customers cancel in
    March 2025, the rest keep buying monthly to the end of 2025. Returns the churn flags."""
    scales = {**dict.fromkeys(ITEMS, "likert5"), "nps": "nps"}
    load_wide(ws, frame, scale=scales)
    ws.con.execute("UPDATE responses SET submitted_at = TIMESTAMP '2025-01-15 10:00:00'")
    ws.con.execute("UPDATE questions SET layer = 'service' WHERE question_id IN ('q1','q2')")
    ws.con.execute("UPDATE questions SET layer = 'hospitality' WHERE question_id <> 'q1'")
    rng = np.random.default_rng(9)
    churn = rng.random(len(frame)) < 1 / (1 + np.exp(1.5 + 1.5 * loyalty))
    ids = [f"r{i}" for i in range(len(frame))]
    before = pd.date_range("2024-08-01", "2025-01-01", freq="MS")
    after = pd.date_range("2025-02-01", "2025-12-01", freq="MS")
    rows = [
        (cid, "purchase", day, 20.0)
        for cid, gone in zip(ids, churn, strict=True)
        for day in (before if gone else before.append(after))
    ]
    rows += [
        (cid, "cancellation", pd.Timestamp("2025-03-10"), None)
        for cid, g in zip(ids, churn, strict=True)
        if g
    ]
    events = pd.DataFrame(rows, columns=["customer_id", "type", "occurred_at", "amount"])
    events.insert(0, "event_id", [f"e{i}" for i in range(len(events))])
    insert_new(ws, "events", events)
    return churn


def test_alpha_and_feldt_match_hand_formulas() -> None:
    # alpha = k/(k-1) (1 - sum of item variances / variance of the total), on the rows;
    # Feldt (1965): [1 - (1-a) F(0.975; n-1, (n-1)(k-1)), 1 - (1-a) F(0.025; ...)]
    frame, _ = _survey()
    x = frame[["q1", "q2", "q3"]].to_numpy()
    n, k = x.shape
    hand = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(np.cov(x.T)) == pytest.approx(hand, abs=1e-12)
    low, high = feldt_interval(hand, n, k)
    assert low == pytest.approx(1 - (1 - hand) * stats.f.ppf(0.975, n - 1, (n - 1) * (k - 1)))
    assert high == pytest.approx(1 - (1 - hand) * stats.f.ppf(0.025, n - 1, (n - 1) * (k - 1)))


def test_auc_from_counts_matches_mannwhitneyu() -> None:
    rng = np.random.default_rng(1)
    pos = rng.integers(1, 6, 300).astype(float)
    neg = np.clip(rng.integers(1, 6, 200) - 1, 1, 5).astype(float)
    values = np.arange(1.0, 6.0)
    auc, n1, n0 = auc_from_counts(
        values,
        np.array([(pos == v).sum() for v in values]),
        np.array([(neg == v).sum() for v in values]),
    )
    u = stats.mannwhitneyu(pos, neg).statistic
    assert (n1, n0) == (300, 200)
    assert auc == pytest.approx(u / (300 * 200), abs=1e-12)


def test_hanley_mcneil_matches_hand_calculation() -> None:
    # A = 0.8, n1 = 50, n0 = 40: Q1 = 0.8/1.2 = 0.6667, Q2 = 1.28/1.8 = 0.7111,
    # var = (0.16 + 49*0.026667 + 39*0.071111) / 2000 = 4.24 / 2000 = 0.00212, se = 0.04604
    low, high = hanley_mcneil(0.8, 50, 40)
    se = math.sqrt((0.16 + 49 * (0.8 / 1.2 - 0.64) + 39 * (1.28 / 1.8 - 0.64)) / 2000)
    assert se == pytest.approx(0.04604, abs=1e-5)
    assert (low, high) == pytest.approx((0.8 - 1.959964 * se, 0.8 + 1.959964 * se), abs=1e-6)


def test_audit_items_match_numpy_on_the_rows(workspace: Workspace) -> None:
    frame, loyalty = _survey()
    churn = _with_behaviour(workspace, frame, loyalty)
    result = audit(workspace, "nps")
    got = {i.question_id: i for i in result.items}
    assert sorted(got) == ITEMS
    for q in ITEMS:
        col = frame[q]
        item = got[q]
        assert item.n == len(col)
        assert item.sd == pytest.approx(col.std(ddof=1), abs=1e-12)
        assert item.top_score_share == pytest.approx((col == 5).mean())
        assert item.top_box == pytest.approx((col >= 4).mean())
        assert item.ceiling == ((col == 5).mean() > 0.15)  # Terwee et al. 2007
        assert item.r_outcome.value == pytest.approx(np.corrcoef(col, frame["nps"])[0, 1])
        # AUC for retention against scipy's Mann-Whitney U on the rows
        u = stats.mannwhitneyu(col[~churn], col[churn]).statistic
        assert item.auc_retention is not None
        assert item.auc_retention.value == pytest.approx(u / ((~churn).sum() * churn.sum()))
    # item-rest correlation and alpha if deleted in the hospitality block (q2..q6), on rows
    block = ["q2", "q3", "q4", "q5", "q6"]
    x = frame[block]
    assert got["q3"].item_rest_r == pytest.approx(
        np.corrcoef(x["q3"], x.drop(columns="q3").sum(axis=1))[0, 1], abs=1e-12
    )
    rest = x.drop(columns="q3").to_numpy()
    assert got["q3"].alpha_if_deleted == pytest.approx(cronbach_alpha(np.cov(rest.T)))
    assert result.layer_share == pytest.approx({"hospitality": 5 / 6, "service": 1 / 6})
    assert result.hospitality_heavy


def test_audit_verdicts_find_the_planted_items(workspace: Workspace) -> None:
    # planted: q5 bare fundamental, q4 a near copy of q1, q6 noise; q1-q3 predict loyalty
    frame, loyalty = _survey()
    _with_behaviour(workspace, frame, loyalty)
    result = audit(workspace, "nps")
    verdict = {i.question_id: i.verdict for i in result.items}
    assert verdict["q5"] == "bare minimum"
    assert verdict["q6"] == "predicts nothing"
    assert {verdict["q1"], verdict["q4"]} == {"discriminating", "redundant"}
    assert verdict["q2"] == verdict["q3"] == "discriminating"
    reason = next(i.reason for i in result.items if i.question_id == "q5")
    top = (frame["q5"] == 5).mean()
    assert reason == f"bare minimum: {top:.0%} give the top score and it does not predict retention"
    assert [(a, b) for a, b, _, _ in result.redundant_pairs] == [("q1", "q4")]


def test_nonresponse_rates_match_hand_counts(workspace: Workspace) -> None:
    frame, loyalty = _survey(n=300)
    _with_behaviour(workspace, frame, loyalty)
    # invite the 300 respondents plus 200 who never answered; segments a (even) / b (odd)
    ids = [f"r{i}" for i in range(500)]
    segment = ["a" if i % 2 == 0 else "b" for i in range(500)]
    insert_new(
        workspace,
        "respondents",
        pd.DataFrame({"respondent_id": ids, "kind": "customer", "segment": segment}),
    )
    # 40 staff invited to the mirror survey: not customers, so neither rates nor churn count them
    staff = [f"s{i}" for i in range(40)]
    insert_new(workspace, "respondents", pd.DataFrame({"respondent_id": staff, "kind": "staff"}))
    insert_new(
        workspace,
        "invitations",
        pd.DataFrame(
            {
                "respondent_id": ids + staff,
                "wave": "2025-Q1",
                "invited_at": pd.Timestamp("2025-01-15"),
            }
        ),
    )
    nr = audit(workspace, "nps").nonresponse
    assert nr is not None
    by = nr.by_segment.set_index("segment")
    # hand counts: 150 of 250 in each segment responded (r0..r299 half even, half odd)
    assert list(by.index) == ["a", "b"] and list(by["invited"]) == [250, 250]
    assert list(by["responded"]) == [150, 150]
    z = 1.959964
    p, n = 0.6, 250
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert by.loc["a", "rate_low"] == pytest.approx(centre - half, abs=1e-6)
    # non-respondents r300..r499 have no events at all: every one counts as churned
    assert nr.churn_nonrespondents is not None and nr.churn_nonrespondents.value == 1.0
    assert nr.churn_respondents is not None and nr.churn_respondents.value < 0.5
