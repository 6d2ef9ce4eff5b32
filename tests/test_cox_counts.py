"""The Cox model fitted from counts (analysis._cox) against lifelines on the expanded rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from realitygap.analysis._cox import CoxFit, cox_from_counts
from realitygap.analysis.behaviour import cox_per_item, cox_per_item_counts

# lifelines stops by default once the log-likelihood moves by less than 1e-9 (relative);
# tighter stops put its coefficient at the maximum to machine precision, so the two
# implementations can be compared at 1e-6
TIGHT = {"precision": 1e-14, "r_precision": 1e-15}


def _rows(seed: int, n: int = 3000, *, whole_days: bool = True) -> pd.DataFrame:
    """Scores 1..5, churn faster for low scores, random censoring; durations 1..60 whole
    days (heavy ties) or continuous (no ties)."""
    rng = np.random.default_rng(seed)
    score = rng.integers(1, 6, n)
    churn = rng.exponential(40.0 * np.exp(0.25 * (score - 3)))
    censor = rng.uniform(0.0, 90.0, n)
    duration = np.minimum(churn, censor)
    event = churn <= censor
    if whole_days:  # followed for 60 days at most
        event &= duration <= 60.0
        duration = np.clip(np.ceil(duration), 1, 60)
    return pd.DataFrame({"score": score, "duration": duration, "event": event.astype(int)})


def _counts(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.value_counts(["score", "duration", "event"]).rename("count").reset_index()


def _assert_matches_lifelines(fit: CoxFit | None, rows: pd.DataFrame) -> None:
    expected = (
        CoxPHFitter()
        .fit(rows, duration_col="duration", event_col="event", fit_options=TIGHT)
        .summary.loc["score"]
    )
    assert fit is not None
    assert fit.coef == pytest.approx(expected["coef"], rel=1e-6)
    assert fit.se == pytest.approx(expected["se(coef)"], rel=1e-6)
    assert fit.hazard_ratio == pytest.approx(expected["exp(coef)"], rel=1e-6)
    assert fit.low == pytest.approx(expected["exp(coef) lower 95%"], rel=1e-6)
    assert fit.high == pytest.approx(expected["exp(coef) upper 95%"], rel=1e-6)
    assert fit.p == pytest.approx(expected["p"], rel=1e-6)
    assert fit.n == len(rows)
    assert fit.events == rows["event"].sum()


def test_heavy_ties_match_lifelines_on_the_rows() -> None:
    rows = _rows(seed=7)
    counts = _counts(rows)
    assert len(counts) < len(rows) / 4  # many customers share a (score, day, event)
    fit = cox_from_counts(counts)
    _assert_matches_lifelines(fit, rows)
    assert fit is not None and fit.hazard_ratio < 1.0  # planted: low scores churn faster


def test_no_ties_match_lifelines() -> None:
    rows = _rows(seed=8, n=800, whole_days=False)
    assert rows["duration"].is_unique
    _assert_matches_lifelines(cox_from_counts(_counts(rows)), rows)


def test_repeated_count_rows_add_up() -> None:
    # the same counts split over two rows each give the same fit as the merged counts
    rows = _rows(seed=9, n=500)
    merged = _counts(rows)
    split = pd.concat([merged.assign(count=merged["count"] // 2), merged])
    split["count"] = np.concatenate([merged["count"] // 2, merged["count"] - merged["count"] // 2])
    a, b = cox_from_counts(merged), cox_from_counts(split)
    assert a is not None and b is not None
    assert b.coef == pytest.approx(a.coef, rel=1e-12)
    assert b.se == pytest.approx(a.se, rel=1e-12)


def test_every_event_at_one_middle_score_is_finite() -> None:
    # churners all gave 3 while others gave 1..5: the maximum is finite and lifelines agrees
    rows = _rows(seed=10, n=1000)
    rows.loc[rows["event"] == 1, "score"] = 3
    _assert_matches_lifelines(cox_from_counts(_counts(rows)), rows)


@pytest.mark.parametrize("level", [1, 5])
def test_every_event_at_the_top_or_bottom_score_gives_none(level: int) -> None:
    # monotone likelihood: every churner gave the highest (lowest) score at risk, so ll keeps
    # rising as the coefficient goes to +-infinity and there is no hazard ratio to report
    rows = _rows(seed=11, n=1000)
    rows.loc[rows["event"] == 1, "score"] = level
    assert cox_from_counts(_counts(rows)) is None


def test_no_events_or_one_score_gives_none() -> None:
    rows = _rows(seed=12, n=300)
    assert cox_from_counts(_counts(rows.assign(event=0))) is None
    assert cox_from_counts(_counts(rows.assign(score=4))) is None


def test_counts_must_be_whole_numbers() -> None:
    counts = _counts(_rows(seed=13, n=200))
    with pytest.raises(ValueError, match="whole numbers"):
        cox_from_counts(counts.assign(count=counts["count"] * 0.5))


def test_cox_per_item_on_rows_and_its_eligibility_rule() -> None:
    a = _rows(seed=14, n=1500).assign(item="a")
    b = _rows(seed=15, n=1500).assign(item="b")
    few = _rows(seed=16, n=1500).assign(item="few_events", event=0)
    few.loc[:3, "event"] = 1  # 4 churners: below the 5 the rule needs
    flat = _rows(seed=17, n=1500).assign(item="one_score", score=2)
    top = _rows(seed=18, n=1500).assign(item="top")
    top.loc[top["event"] == 1, "score"] = 5
    frame = pd.concat([a, b, few, flat, top], ignore_index=True)
    cox = cox_per_item(frame)
    assert cox is not None
    assert list(cox.columns) == ["item", "n", "churned", "hazard_ratio", "low", "high", "p"]
    assert list(cox["item"]) == ["a", "b"]
    for rows, got in zip((a, b), cox.itertuples(index=False), strict=True):
        expected = (
            CoxPHFitter()
            .fit(rows.drop(columns="item"), "duration", "event", fit_options=TIGHT)
            .summary.loc["score"]
        )
        assert got.hazard_ratio == pytest.approx(expected["exp(coef)"], rel=1e-6)
        assert got.p == pytest.approx(expected["p"], rel=1e-6)
        assert got.n == len(rows) and got.churned == rows["event"].sum()
    counts = frame.value_counts(["item", "score", "duration", "event"]).rename("count")
    _, skipped = cox_per_item_counts(counts.reset_index())
    assert skipped == ["top"]  # eligible by the rule but no finite estimate
