"""Stated vs revealed loyalty against planted behaviour and lifelines on per-customer rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from realitygap.analysis._activity import Windows
from realitygap.analysis.behaviour import behaviour
from realitygap.domain.errors import SurveyDataError
from realitygap.store import Workspace
from realitygap.store.write import insert_new
from tests.test_drivers import load_wide

T0 = pd.Timestamp("2025-01-15 10:00:00")
CANCEL = pd.Timestamp("2025-04-01")
BEFORE = pd.date_range("2024-08-01", "2025-01-01", freq="MS")  # 6 purchases in the baseline
AFTER = pd.date_range("2025-02-01", "2025-12-01", freq="MS")


def _planted(n: int = 600, seed: int = 8) -> pd.DataFrame:
    """One row per customer: nps, one item score, and the planted behaviour after answering:
    'retained' (monthly purchases go on), 'declining' (1 purchase in the next 6 months, then
    monthly again) or 'churned' (cancels on 2025-04-01)."""
    rng = np.random.default_rng(seed)
    nps = rng.integers(0, 11, n).astype(float)
    p_churn = np.where(nps >= 9, 0.08, np.where(nps >= 7, 0.2, 0.4))
    draw = rng.random(n)
    fate = np.where(
        draw < p_churn, "churned", np.where(draw < p_churn + 0.1, "declining", "retained")
    )
    score = np.clip(np.round(nps / 2.5 + rng.normal(0, 1, n)), 1, 5)
    return pd.DataFrame({"nps": nps, "q1": score, "fate": fate})


def _load(ws: Workspace, planted: pd.DataFrame) -> None:
    load_wide(ws, planted[["nps", "q1"]], scale={"nps": "nps", "q1": "likert5"})
    ws.con.execute(f"UPDATE responses SET submitted_at = TIMESTAMP '{T0}'")
    rows = []
    for i, fate in enumerate(planted["fate"]):
        cid = f"r{i}"
        rows += [(cid, "purchase", d, 10.0) for d in BEFORE]
        if fate == "retained":
            rows += [(cid, "purchase", d, 10.0) for d in AFTER]
        elif fate == "declining":
            rows += [(cid, "purchase", d, 10.0) for d in AFTER if d.month in (3, 8, 9, 10, 11, 12)]
        else:
            rows.append((cid, "cancellation", CANCEL, None))
    events = pd.DataFrame(rows, columns=["customer_id", "type", "occurred_at", "amount"])
    events.insert(0, "event_id", [f"e{i}" for i in range(len(events))])
    insert_new(ws, "events", events)


def _group(nps: pd.Series) -> pd.Series:
    return pd.Series(np.where(nps >= 9, "promoter", np.where(nps >= 7, "passive", "detractor")))


def test_matrix_and_silent_list_match_the_planted_fates(workspace: Workspace) -> None:
    planted = _planted()
    _load(workspace, planted)
    result = behaviour(workspace)
    # expected counts: planted fate x NPS group, counted with pandas
    expected = pd.crosstab(_group(planted["nps"]), planted["fate"])
    got = result.matrix.set_index("group")
    for group in ("promoter", "passive", "detractor"):
        for fate in ("retained", "declining", "churned"):
            assert got.loc[group, fate] == expected.loc[group, fate], (group, fate)
    promoters = planted["nps"] >= 9
    silent = {f"r{i}" for i in np.flatnonzero(promoters & (planted["fate"] != "retained"))}
    assert set(result.silent["customer_id"]) == silent
    # value at risk: churners lose all 6 x 10 per half year = 120 a year (365/183 x 60),
    # decliners lose 5 of 6 purchases: 5/6 of that; churners rank first
    yearly = 60.0 * 365.0 / 183.0
    churned = result.silent[result.silent["status"] == "churned"]
    assert churned["value_at_risk"].to_numpy() == pytest.approx(yearly)
    declining = result.silent[result.silent["status"] == "declining"]
    assert declining["value_at_risk"].to_numpy() == pytest.approx(yearly * 5 / 6)
    assert list(result.silent["status"]).index("declining") == len(churned)
    stopped = (promoters & (planted["fate"] == "churned")).sum() / promoters.sum()
    assert result.promoters_stopped.value == pytest.approx(stopped)
    assert result.headline.startswith(f"{stopped:.0%} of your promoters stopped buying within 6")


def test_survival_matches_lifelines_on_customer_rows(workspace: Workspace) -> None:
    planted = _planted()
    _load(workspace, planted)
    result = behaviour(workspace)
    # per-customer rows built with pandas: days from answering to cancellation, or to the
    # last event in the data (2025-12-01) for everyone else
    end = AFTER.max()
    churned = planted["fate"] == "churned"
    stop = np.where(churned, CANCEL.value, end.value).astype("datetime64[ns]")
    days = np.floor((stop - np.datetime64(T0)) / np.timedelta64(1, "D")).astype(int)
    group = _group(planted["nps"])
    for s in result.survival:
        rows = group == s.group
        km = KaplanMeierFitter().fit(days[rows], churned[rows])
        assert s.retention.value == pytest.approx(float(km.predict(183.0)), abs=1e-12)
    logrank = multivariate_logrank_test(days, group, churned)
    assert result.logrank_p == pytest.approx(logrank.p_value, rel=1e-9)
    # one Cox model per item on the customer rows (lifelines, no weights)
    frame = pd.DataFrame({"duration": days, "event": churned.astype(int), "score": planted["q1"]})
    cph = CoxPHFitter().fit(frame, duration_col="duration", event_col="event")
    assert result.cox is not None
    cox = result.cox.set_index("item").loc["q1"]
    assert cox["hazard_ratio"] == pytest.approx(float(cph.summary.loc["score", "exp(coef)"]))
    assert cox["p"] == pytest.approx(float(cph.summary.loc["score", "p"]), rel=1e-4)
    assert cox["n"] == len(frame)


def test_decline_threshold_is_configurable(workspace: Workspace) -> None:
    # decliners keep 1 of 6 purchases (an 83% fall): a 90% threshold no longer flags them
    planted = _planted()
    _load(workspace, planted)
    strict = behaviour(workspace, windows=Windows(decline=0.9))
    assert strict.matrix["declining"].sum() == 0
    assert set(strict.silent["status"]) == {"churned"}


def test_no_events_is_a_clear_error(workspace: Workspace) -> None:
    load_wide(workspace, _planted()[["nps"]], scale="nps")
    with pytest.raises(SurveyDataError, match="behaviour events"):
        behaviour(workspace)
