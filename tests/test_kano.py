"""Kano evaluation against hand-worked tables (arithmetic in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from realitygap.analysis.kano import evaluate_cells, kano
from realitygap.domain.errors import SurveyDataError
from realitygap.store import Workspace
from realitygap.store.write import insert_new

Z = stats.norm.ppf(0.975)


def _wilson(k: int, n: int) -> tuple[float, float]:
    # Wilson (1927) score interval, written out by hand
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def _questions(ws: Workspace, features: list[str]) -> None:
    rows = []
    for f in features:
        rows.append((f"k_{f}_f", f"If we offer {f}?", "kano_functional", f))
        rows.append((f"k_{f}_d", f"If we do not offer {f}?", "kano_dysfunctional", f))
    frame = pd.DataFrame(rows, columns=["question_id", "text", "scale", "feature"])
    frame["audience"] = "customer"
    insert_new(ws, "questions", frame)


def _answers(ws: Workspace, feature: str, wave: str, pairs: dict[tuple[int, int], int]) -> None:
    rows = []
    i = 0
    for (fval, dval), count in pairs.items():
        for _ in range(count):
            rid = f"{wave}-{feature}-{i}"
            i += 1
            rows.append((rid, f"k_{feature}_f", wave, float(fval)))
            rows.append((rid, f"k_{feature}_d", wave, float(dval)))
    frame = pd.DataFrame(rows, columns=["respondent_id", "question_id", "wave", "value"])
    frame["submitted_at"] = pd.Timestamp(f"20{wave[1:3]}-0{wave[-1]}-15")
    insert_new(ws, "responses", frame)


def test_hand_worked_table(workspace: Workspace) -> None:
    # 20 x (like, neutral) -> A; 10 x (like, dislike) -> O; 6 x (expect, dislike) -> M;
    # 4 x (neutral, neutral) -> I.  n = 40.
    _questions(workspace, ["wifi"])
    _answers(workspace, "wifi", "w25-1", {(1, 3): 20, (1, 5): 10, (2, 5): 6, (3, 3): 4})
    (f,) = kano(workspace).features
    assert f.n == 40
    assert f.counts == {"A": 20, "O": 10, "M": 6, "I": 4, "R": 0, "Q": 0}
    assert f.category == "A"
    # Better = (A+O)/(A+O+M+I) = 30/40 = 0.75; Worse = -(O+M)/40 = -16/40 = -0.40
    assert f.better.value == pytest.approx(0.75)
    assert f.worse.value == pytest.approx(-0.40)
    lo, hi = _wilson(30, 40)
    assert (f.better.low, f.better.high) == pytest.approx((lo, hi))
    lo, hi = _wilson(16, 40)
    assert (f.worse.low, f.worse.high) == pytest.approx((-hi, -lo))
    # DuMouchel: functional answers 1 x30 (4 points), 2 x6 (2), 3 x4 (0): 132/40 = 3.3
    # dysfunctional answers 3 x24 (0), 5 x16 (4): 64/40 = 1.6
    assert f.functional.value == pytest.approx(3.3)
    assert f.dysfunctional.value == pytest.approx(1.6)
    # t interval of the functional mean from the 40 scores themselves (scipy)
    scores = np.repeat([4.0, 2.0, 0.0], [30, 6, 4])
    ci = stats.ttest_1samp(scores, 0).confidence_interval()
    assert (f.functional.low, f.functional.high) == pytest.approx((ci.low, ci.high))
    # Fong: |20 - 10| = 10 >= 1.65 * sqrt(30 * (80 - 30) / 80) = 7.14 -> significant
    assert f.fong_significant is True


def test_fong_not_significant_when_top_two_close() -> None:
    # A = 16, O = 14, n = 30: 1.65 * sqrt(30 * 30 / 60) = 6.39 > |16 - 14| = 2
    cells = np.zeros((5, 5))
    cells[0, 2] = 16  # like / neutral -> A
    cells[0, 4] = 14  # like / dislike -> O
    f = evaluate_cells("x", None, cells)
    assert f.category == "A"
    assert f.fong_significant is False


def test_every_cell_of_the_evaluation_table() -> None:
    # Berger et al. (1993), table 1: functional rows like/expect/neutral/live with/dislike
    expected = ["QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ"]
    for i in range(5):
        for j in range(5):
            cells = np.zeros((5, 5))
            cells[i, j] = 50
            assert evaluate_cells("x", None, cells).category == expected[i][j]


def test_below_guardrail_is_insufficient(workspace: Workspace) -> None:
    _questions(workspace, ["wifi"])
    _answers(workspace, "wifi", "w25-1", {(1, 3): 10})
    (f,) = kano(workspace).features
    assert f.category is None
    assert f.better.insufficient
    assert "insufficient data" in str(kano(workspace))


def test_drift_alarm_when_delighter_becomes_must_be(workspace: Workspace) -> None:
    _questions(workspace, ["delivery", "app"])
    # delivery: A-dominant in Q1, O in Q2, M in Q3; app stays indifferent
    _answers(workspace, "delivery", "w25-1", {(1, 3): 60, (1, 5): 20, (2, 5): 10, (3, 3): 10})
    _answers(workspace, "delivery", "w25-2", {(1, 3): 30, (1, 5): 45, (2, 5): 15, (3, 3): 10})
    _answers(workspace, "delivery", "w25-3", {(1, 3): 10, (1, 5): 25, (2, 5): 55, (3, 3): 10})
    for wave in ("w25-1", "w25-2", "w25-3"):
        _answers(workspace, "app", wave, {(3, 3): 60, (1, 3): 20, (2, 5): 20})
    result = kano(workspace)
    assert result.waves == ("w25-1", "w25-2", "w25-3")
    drift = {d.feature: d for d in result.drift}
    assert [c for _, c in drift["delivery"].path] == ["A", "O", "M"]
    assert drift["delivery"].alarm
    assert "delighter" in drift["delivery"].message
    assert not drift["app"].alarm
    # homogeneity p against scipy on the same wave x category table (A, O, M, I columns)
    table = np.array([[60, 20, 10, 10], [30, 45, 15, 10], [10, 25, 55, 10]])
    assert drift["delivery"].p_homogeneity == pytest.approx(stats.chi2_contingency(table).pvalue)
    # identical distributions every wave: chi-square statistic 0, p = 1
    assert drift["app"].p_homogeneity == pytest.approx(1.0)


def test_pair_with_one_half_missing_is_a_clear_error(workspace: Workspace) -> None:
    frame = pd.DataFrame(
        [("k_gift_f", "If we wrap it as a gift?", "kano_functional", "gift", "customer")],
        columns=["question_id", "text", "scale", "feature", "audience"],
    )
    insert_new(workspace, "questions", frame)
    with pytest.raises(SurveyDataError, match=r"column 'feature': found 'gift'.*kano_dysf"):
        kano(workspace)


def test_wow_trend_matches_a_row_level_logit(workspace: Workspace) -> None:
    import statsmodels.api as sm

    from realitygap.analysis.kano import wow_trends

    # "live chat": 40 mentions a month, Jan-Jun 2025, surprised in 24, 20, 16, 12, 8, 4
    # "gift wrap": 40 mentions a month, surprised in 20 every month (flat)
    rows, x, y = [], [], []
    for month, k in enumerate([24, 20, 16, 12, 8, 4]):
        for i in range(40):
            wow = i < k
            text = "Wow, the live chat was amazing" if wow else "I used the live chat today"
            rows.append((f"lc{month}-{i}", text, pd.Timestamp(2025, month + 1, 10)))
            x.append(month)
            y.append(int(wow))
            gift = "loved the gift wrap" if i < 20 else "gift wrap was fine"
            rows.append((f"gw{month}-{i}", gift, pd.Timestamp(2025, month + 1, 12)))
    frame = pd.DataFrame(rows, columns=["document_id", "text", "created_at"])
    insert_new(workspace, "documents", frame.assign(source="review"))
    live, gift = wow_trends(workspace, ["live_chat", "gift_wrap"])
    assert live.mentions == 240
    assert [m[2] for m in live.months] == [24, 20, 16, 12, 8, 4]
    assert live.surprised.value == pytest.approx(84 / 240)
    # the same slope from a logit on the 240 individual mentions
    logit = sm.Logit(np.array(y), sm.add_constant(np.array(x, dtype=float))).fit(disp=0)
    assert live.slope == pytest.approx(logit.params[1], rel=1e-6)
    assert live.fading
    assert not gift.fading
    assert gift.slope == pytest.approx(0.0, abs=1e-8)
