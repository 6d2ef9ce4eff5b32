"""Raking against the closed-form 2x2 solution, IPF's defining property, and direct row sums."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis.metrics import metrics
from realitygap.analysis.weighting import ipf, rake, read_margins
from realitygap.domain.errors import SurveyDataError
from realitygap.store import Workspace
from realitygap.store.write import ensure_columns, insert_new


def closed_form_2x2(seed: np.ndarray, r1: float, c1: float, total: float) -> float:
    """The fitted top-left cell of a 2x2 table raked to rows (r1, N - r1) and columns
    (c1, N - c1). IPF keeps the seed's odds ratio theta = ad / bc (Mosteller 1968), so x solves
    x (N - r1 - c1 + x) = theta (r1 - x)(c1 - x), i.e.
    (1 - theta) x^2 + (N - r1 - c1 + theta (r1 + c1)) x - theta r1 c1 = 0."""
    a, b, c, d = seed.ravel()
    theta = a * d / (b * c)
    roots = np.roots([1 - theta, total - r1 - c1 + theta * (r1 + c1), -theta * r1 * c1])
    lo, hi = max(0.0, r1 + c1 - total), min(r1, c1)
    (x,) = [float(x.real) for x in roots if lo <= x.real <= hi]
    return x


def test_ipf_2x2_matches_closed_form() -> None:
    # seed 40 10 / 20 30 (N = 100), targets rows 0.3/0.7 and columns 0.55/0.45
    seed = np.array([[40.0, 10.0], [20.0, 30.0]])
    fit = ipf(seed, [np.array([0.3, 0.7]), np.array([0.55, 0.45])], tol=1e-12)
    assert fit.converged
    x = closed_form_2x2(seed, 30, 55, 100)
    expected = np.array([[x, 30 - x], [55 - x, 100 - 30 - 55 + x]])
    assert fit.fitted == pytest.approx(expected, abs=1e-8)


def test_ipf_3x4_keeps_odds_ratios_and_hits_margins() -> None:
    # Bishop, Fienberg & Holland (1975), ch. 3: the IPF limit is the unique table with the
    # target margins and the seed's cross-product (odds) ratios. Seed and targets from the
    # Wikipedia IPF illustration (rows 150/300/400/150, columns 200/300/400/100).
    seed = np.array(
        [[40, 30, 20, 10], [35, 50, 100, 75], [30, 80, 70, 120], [20, 30, 40, 50]], dtype=float
    )
    rows, cols = np.array([150, 300, 400, 150.0]), np.array([200, 300, 400, 100.0])
    fit = ipf(seed, [rows, cols], tol=1e-12, max_iter=1000)
    assert fit.converged and fit.max_error < 1e-12
    fitted = fit.fitted * 1000 / fit.fitted.sum()
    assert fitted.sum(axis=1) == pytest.approx(rows)
    assert fitted.sum(axis=0) == pytest.approx(cols)

    def log_odds(t: np.ndarray) -> np.ndarray:
        return np.log(t[:-1, :-1] * t[1:, 1:] / (t[:-1, 1:] * t[1:, :-1]))

    assert log_odds(fitted) == pytest.approx(log_odds(seed), abs=1e-9)


@pytest.fixture
def panel(workspace: Workspace, tmp_path: Path) -> tuple[Workspace, pd.DataFrame, Path]:
    """400 customers, sex x age skewed against the population; one likert5 item."""
    rng = np.random.default_rng(3)
    n = 400
    sex = rng.choice(["f", "m"], n, p=[0.7, 0.3])
    age = rng.choice(["young", "mid", "old"], n, p=[0.5, 0.3, 0.2])
    ids = [f"c{i}" for i in range(n)]
    people = pd.DataFrame({"respondent_id": ids, "kind": "customer", "sex": sex, "age": age})
    ensure_columns(workspace, "respondents", ["sex", "age"])
    insert_new(workspace, "respondents", people)
    q = pd.DataFrame(
        [("q01", "How was it?", "likert5", "customer")],
        columns=["question_id", "text", "scale", "audience"],
    )
    insert_new(workspace, "questions", q)
    # older men rate higher: weighting must move the estimate
    value = np.clip(
        np.round(3 + (sex == "m") * 0.8 + (age == "old") * 0.7 + rng.normal(0, 1, n)), 1, 5
    )
    answers = pd.DataFrame(
        {"respondent_id": ids, "question_id": "q01", "wave": "w1", "value": value}
    )
    insert_new(workspace, "responses", answers)
    margins = tmp_path / "margins.csv"
    margins.write_text(
        "variable,category,share\nsex,f,0.5\nsex,m,0.5\nage,young,0.3\nage,mid,0.4\nage,old,0.3\n"
    )
    return workspace, answers.merge(people, on="respondent_id"), margins


def test_raked_weights_reproduce_margins_on_rows(
    panel: tuple[Workspace, pd.DataFrame, Path],
) -> None:
    ws, rows, margins = panel
    raking = rake(ws, read_margins(margins))
    assert raking.converged and raking.max_error < 1e-6
    w = rows.merge(raking.to_frame()[["sex", "age", "weight"]], on=["sex", "age"])["weight"]
    # weighted shares over the raw rows, computed with pandas
    assert (w.groupby(rows["sex"]).sum() / w.sum())[["f", "m"]].to_numpy() == pytest.approx(
        [0.5, 0.5]
    )
    assert (w.groupby(rows["age"]).sum() / w.sum())[
        ["young", "mid", "old"]
    ].to_numpy() == pytest.approx([0.3, 0.4, 0.3])
    assert w.mean() == pytest.approx(1.0)
    # Kish n_eff directly from the 400 row weights
    assert raking.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert raking.design_effect == pytest.approx(400 / raking.n_effective)


def test_weighted_metrics_use_effective_n(panel: tuple[Workspace, pd.DataFrame, Path]) -> None:
    ws, rows, margins = panel
    raking = rake(ws, read_margins(margins))
    frame = metrics(ws, weights=raking).to_frame()
    w = rows.merge(raking.to_frame()[["sex", "age", "weight"]], on=["sex", "age"])[
        "weight"
    ].to_numpy()
    x = rows["value"].to_numpy()
    n_eff = w.sum() ** 2 / (w**2).sum()
    top = frame[(frame.question_id == "q01") & (frame.metric == "top2box")].iloc[0]
    p = float(np.sum(w * (x >= 4)) / w.sum())
    # Wilson with n_eff in place of n, written out (Wilson 1927)
    z = 1.959963985
    centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff**2)) / (1 + z * z / n_eff)
    assert top["value"] == pytest.approx(p)
    assert (top["low"], top["high"]) == pytest.approx((centre - half, centre + half), abs=1e-7)
    assert top["n_effective"] == pytest.approx(n_eff)
    mean = frame[(frame.question_id == "q01") & (frame.metric == "mean")].iloc[0]
    assert mean["value"] == pytest.approx(np.average(x, weights=w))


def test_margins_file_errors_name_the_row(tmp_path: Path) -> None:
    bad = tmp_path / "m.csv"
    bad.write_text("variable,category,share\nsex,f,0.5\nsex,m,half\n")
    with pytest.raises(SurveyDataError, match=r"row 3, column 'share': found 'half'"):
        read_margins(bad)


def test_category_without_target_is_reported(
    panel: tuple[Workspace, pd.DataFrame, Path], tmp_path: Path
) -> None:
    ws, _, _ = panel
    m = tmp_path / "m2.csv"
    m.write_text("variable,category,share\nage,young,0.5\nage,mid,0.5\n")
    with pytest.raises(SurveyDataError, match="old"):
        rake(ws, read_margins(m))
