"""The journey map against the simulator's planted truth and a hand calculation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from realitygap import ArgumentError
from realitygap.analysis import JourneyResult, journey
from realitygap.store import Workspace

Company = tuple[Workspace, dict[str, Any]]


@pytest.fixture(scope="module")
def mapped(company: Company) -> tuple[JourneyResult, dict[str, Any]]:
    ws, truth = company
    # 14 touchpoints x (score, gap) = 28 intervals: Bonferroni keeps the family at 95%
    return journey(ws, confidence=1 - 0.05 / 28), truth["journey"]


def test_scores_and_gaps_recover_the_planted_truth(
    mapped: tuple[JourneyResult, dict[str, Any]],
) -> None:
    # truth["journey"]: from the planted item parameters (expected answers of the customers
    # who respond, the staff's expected over-estimation), not from the generated answers
    result, truth = mapped
    missed = []
    for tp, planted in truth["touchpoints"].items():
        cell = result.cell(tp)
        for name, est in (("score_pct", cell.score), ("gap_pct", cell.gap)):
            assert est.low is not None and est.high is not None, (tp, name)
            if not est.low <= planted[name] <= est.high:
                missed.append((tp, name, planted[name], est.format(2)))
    assert missed == []


def test_priorities_are_the_planted_ones(mapped: tuple[JourneyResult, dict[str, Any]]) -> None:
    # the planted ranking gap + (mean score - score) from the truth, top three in order
    result, truth = mapped
    assert [c.touchpoint for c in result.priorities[:3]] == truth["priorities"]


def test_cells_follow_the_taxonomy(company: Company) -> None:
    ws, _ = company
    result = journey(ws)
    taxonomy = ws.taxonomy
    assert result.stages == taxonomy.stages
    order = [t.id for s in taxonomy.stages for t in taxonomy.touchpoints if t.stage == s]
    assert [c.touchpoint for c in result.cells] == order
    for c in result.cells:
        tp = taxonomy.touchpoint(c.touchpoint)
        assert c.owner == tp.owner and c.senses == tuple(s.value for s in tp.senses)
    # a touchpoint without a customer question (advertising) says "insufficient data"
    assert result.cell("advertising").score.insufficient
    assert str(result).count("insufficient data") >= 1
    frame = result.to_frame()
    assert list(frame["touchpoint"]) == order and "owner_gap_low" in frame.columns


def test_score_matches_a_pandas_calculation(company: Company) -> None:
    # independent: rows from the tables, per customer the mean position on the scale over the
    # touchpoint's items, then the Student t interval from scipy
    ws, _ = company
    q = ws.table("questions").execute()
    lows = {"likert5": 1, "ces7": 1}
    highs = {"likert5": 5, "ces7": 7}
    rated = q["scale"].isin(list(lows))  # the Kano pairs of delivery are not ratings
    q = q[(q["audience"] == "customer") & (q["touchpoint"] == "delivery") & rated]
    r = ws.table("responses").execute()
    r = r[r["question_id"].isin(q["question_id"])]
    scale = q.set_index("question_id")["scale"]
    low = r["question_id"].map(scale).map(lows)
    high = r["question_id"].map(scale).map(highs)
    per = (100 * (r["value"] - low) / (high - low)).groupby(r["respondent_id"]).mean()
    mean, sem = per.mean(), per.std(ddof=1) / np.sqrt(len(per))
    t = stats.t.ppf(0.975, len(per) - 1)
    cell = journey(ws).cell("delivery")
    assert cell.score.n == len(per)
    assert cell.score.value == pytest.approx(mean, abs=1e-9)
    assert cell.score.low == pytest.approx(mean - t * sem, abs=1e-9)
    assert isinstance(per, pd.Series) and len(q) == cell.items


def test_bad_arguments_name_the_parameter(company: Company) -> None:
    ws, _ = company
    with pytest.raises(ArgumentError, match="confidence"):
        journey(ws, confidence=95)
    with pytest.raises(ArgumentError, match="min_n"):
        journey(ws, min_n=0)
