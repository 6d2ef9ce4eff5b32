"""Metrics against SciPy/statsmodels, hand-worked cases and simulated coverage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from typer.testing import CliRunner

from realitygap.analysis import _stats
from realitygap.analysis.metrics import metrics
from realitygap.cli import app
from realitygap.domain.errors import ArgumentError
from realitygap.store import Workspace
from realitygap.store.write import ensure_columns, insert_new


# ---- small workspaces --------------------------------------------------------------------
def fill(
    ws: Workspace,
    answers: pd.DataFrame,
    questions: dict[str, tuple[str, str | None, str | None]],
    people: pd.DataFrame,
) -> None:
    """answers: respondent_id, question_id, wave, value[, submitted_at]; questions: id ->
    (scale, touchpoint, layer); people: respondent_id, kind and attribute columns."""
    q = pd.DataFrame(
        [(qid, f"text {qid}", s, tp, ly, "customer") for qid, (s, tp, ly) in questions.items()],
        columns=["question_id", "text", "scale", "touchpoint", "layer", "audience"],
    )
    insert_new(ws, "questions", q)
    ensure_columns(
        ws, "respondents", [c for c in people.columns if c not in ws.columns("respondents")]
    )
    insert_new(ws, "respondents", people)
    insert_new(ws, "responses", answers)


def nps_sample(rng: np.random.Generator, n: int, p_pro: float, p_det: float) -> np.ndarray:
    kind = rng.choice(3, size=n, p=[p_pro, 1 - p_pro - p_det, p_det])
    return np.where(
        kind == 0,
        rng.integers(9, 11, n),
        np.where(kind == 1, rng.integers(7, 9, n), rng.integers(0, 7, n)),
    ).astype(float)


@pytest.fixture
def small(workspace: Workspace) -> tuple[Workspace, pd.DataFrame]:
    """300 customers (segments a: 200, b: 80, c: 20) answering nps and two likert5 items in
    two waves; returns the workspace and the raw answers with segment."""
    rng = np.random.default_rng(7)
    n = 300
    ids = [f"c{i}" for i in range(n)]
    seg = np.array(["a"] * 200 + ["b"] * 80 + ["c"] * 20)
    people = pd.DataFrame({"respondent_id": ids, "kind": "customer", "segment": seg})
    people["region"] = np.where(np.arange(n) % 3 == 0, "north", "south")
    rows = []
    for wave, shift, day in (("2025-Q1", 0.0, "2025-02-10"), ("2025-Q2", 0.15, "2025-05-10")):
        nps = nps_sample(rng, n, 0.35 + shift, 0.3 - shift / 2)
        q1 = rng.integers(1, 6, n).astype(float)
        q2 = np.clip(q1 + rng.integers(-1, 2, n), 1, 5).astype(float)
        for qid, vals in (("nps", nps), ("q01", q1), ("q02", q2)):
            rows.append(
                pd.DataFrame(
                    {
                        "respondent_id": ids,
                        "question_id": qid,
                        "wave": wave,
                        "value": vals,
                        "submitted_at": pd.Timestamp(day),
                        "segment": seg,
                    }
                )
            )
    raw = pd.concat(rows, ignore_index=True)
    fill(
        workspace,
        raw.drop(columns="segment"),
        {
            "nps": ("nps", None, None),
            "q01": ("likert5", "checkout", "service"),
            "q02": ("likert5", "delivery", "hospitality"),
        },
        people,
    )
    return workspace, raw


def pick(result_frame: pd.DataFrame, **where: object) -> pd.Series:
    sel = result_frame
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (where, len(sel))
    return sel.iloc[0]


# ---- interval arithmetic -----------------------------------------------------------------
def test_wilson_matches_statsmodels() -> None:
    for k, n in ((0, 10), (3, 40), (57, 100), (999, 1000)):
        ours = _stats.wilson(k / n, n)
        ref = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert ours == pytest.approx(ref, abs=1e-12)


def test_newcombe_difference_matches_statsmodels() -> None:
    d = _stats.newcombe_difference(30 / 80, 80, 20 / 90, 90)
    low, high = confint_proportions_2indep(30, 80, 20, 90, method="newcomb")
    assert (d.low, d.high) == pytest.approx((low, high), abs=1e-10)
    z, p = proportions_ztest([30, 20], [80, 90])
    assert (d.statistic, d.p_value) == pytest.approx((z, p), rel=1e-10)


def test_adjusted_wald_nps_hand_worked() -> None:
    # 50 promoters, 30 passives, 20 detractors (n = 100). Rocks (2016) adds 0.75/1.5/0.75:
    # p_pro = 50.75/103 = 0.492718, p_det = 20.75/103 = 0.201456, NPS_adj = 0.291262;
    # V = 0.492718 + 0.201456 - 0.291262^2 = 0.609341; se = sqrt(V/103) = 0.0769151;
    # 0.291262 -+ 1.959964 * 0.0769151 = [0.140511, 0.442013]
    low, high = _stats.nps_interval(0.5, 0.2, 100, "adjusted-wald")
    assert (low, high) == pytest.approx((0.140511, 0.442013), abs=1e-6)
    # Wald: V = 0.5 + 0.2 - 0.3^2 = 0.61; 0.3 -+ 1.959964 * sqrt(0.0061) = [0.146922, 0.453078]
    assert _stats.nps_interval(0.5, 0.2, 100, "wald") == pytest.approx(
        (0.146922, 0.453078), abs=1e-6
    )


def test_nps_difference_z_hand_worked() -> None:
    # NPS1 = .5 - .2 = .3 (n=100, V1 = .61); NPS2 = .3 - .4 = -.1 (n=200, V2 = .3+.4-.01 = .69)
    # se = sqrt(.61/100 + .69/200) = 0.0977241; z = 0.4 / se = 4.093156; p = 4.2554e-05
    d = _stats.nps_difference(0.5, 0.2, 100, 0.3, 0.4, 200)
    assert d.value == pytest.approx(0.4)
    assert d.statistic == pytest.approx(4.093156, rel=1e-6)
    assert d.p_value == pytest.approx(4.255411e-05, rel=1e-5)


def test_nps_bootstrap_agrees_with_wald_at_large_n() -> None:
    # At n = 2000 the multinomial bootstrap percentile interval and the Wald interval agree
    low_b, high_b = _stats.nps_interval(0.45, 0.25, 2000, "bootstrap", bootstrap_draws=20000)
    low_w, high_w = _stats.nps_interval(0.45, 0.25, 2000, "wald")
    assert low_b == pytest.approx(low_w, abs=0.004)
    assert high_b == pytest.approx(high_w, abs=0.004)


@pytest.mark.parametrize("n", [100, 1000])
@pytest.mark.parametrize("truth", [(0.45, 0.25), (0.2, 0.5), (0.7, 0.05)])
def test_adjusted_wald_covers_true_nps_95_percent(n: int, truth: tuple[float, float]) -> None:
    # 2,000 simulated multinomial samples: coverage of the 95% interval must be 93-97%
    p_pro, p_det = truth
    rng = np.random.default_rng(n)
    counts = rng.multinomial(n, [p_pro, 1 - p_pro - p_det, p_det], size=2000)
    covered = 0
    for pro, _pas, det in counts:
        low, high = _stats.nps_interval(pro / n, det / n, n, "adjusted-wald")
        covered += low <= p_pro - p_det <= high
    assert 0.93 <= covered / 2000 <= 0.97


def test_t_interval_matches_scipy() -> None:
    x = np.array([3, 4, 5, 5, 2, 4, 4, 1, 5, 3], dtype=float)
    mean, var = _stats.weighted_moments(len(x), x.sum(), (x * x).sum(), len(x))
    assert var == pytest.approx(x.var(ddof=1))
    ref = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert _stats.t_interval(mean, var, len(x)) == pytest.approx((ref.low, ref.high))


def test_welch_matches_scipy_ttest_ind() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(4, 1, 40), rng.normal(3.6, 0.6, 75)
    d = _stats.welch(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (d.statistic, d.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-10)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_hedges_g_hand_worked() -> None:
    # m1 = 4.0, s1^2 = 1.0, n1 = 20; m2 = 3.5, s2^2 = 0.64, n2 = 30
    # sp = sqrt((19 * 1.0 + 29 * 0.64) / 48) = 0.884590; d = 0.5 / sp = 0.565233
    # J = 1 - 3 / (4 * 50 - 9) = 0.984293; g = d * J = 0.556355
    g, _low, high = _stats.hedges_g(4.0, 1.0, 20, 3.5, 0.64, 30)
    assert g == pytest.approx(0.556355, abs=1e-6)
    se = math.sqrt(50 / 600 + g * g / 100)  # Hedges & Olkin: (n1+n2)/(n1 n2) + g^2/(2(n1+n2))
    assert high - g == pytest.approx(1.959964 * se, abs=1e-6)


def test_wasserstein_matches_scipy() -> None:
    values = np.arange(1.0, 6.0)
    u, v = np.array([5, 10, 20, 40, 25.0]), np.array([20, 30, 25, 15, 10.0])
    ref = stats.wasserstein_distance(values, values, u, v)
    assert _stats.wasserstein_ordinal(values, u, v) == pytest.approx(ref)


def test_holm_matches_statsmodels() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5])
    ours = _stats.holm(p)
    ref = multipletests(p[~np.isnan(p)], method="holm")[1]
    assert np.isnan(ours[4])
    assert ours[~np.isnan(p)] == pytest.approx(ref)


def test_kish_effective_n_hand_worked() -> None:
    # weights 1, 1, 2, 4: (sum w)^2 / sum w^2 = 64 / 22 = 2.909091
    w = np.array([1, 1, 2, 4.0])
    assert _stats.kish_n_eff(w.sum(), (w * w).sum()) == pytest.approx(2.909091, abs=1e-6)


# ---- metrics on a workspace --------------------------------------------------------------
def test_nps_by_segment_matches_raw_answers(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, raw = small
    frame = metrics(ws, by=["segment"], nps_method="adjusted-wald").to_frame()
    for seg in ("a", "b"):
        x = raw[(raw.question_id == "nps") & (raw.segment == seg)].value.to_numpy()
        pro, det = (x >= 9).mean(), (x <= 6).mean()
        row = pick(frame, segment=seg, question_id="nps", metric="nps")
        assert row["value"] == pytest.approx(100 * (pro - det))
        assert row["n"] == len(x)
        # adjusted Wald written out from the raw counts (Rocks 2016)
        n3 = len(x) + 3
        a_pro, a_det = (x >= 9).sum() + 0.75, (x <= 6).sum() + 0.75
        c = (a_pro - a_det) / n3
        half = 1.959964 * math.sqrt((a_pro / n3 + a_det / n3 - c * c) / n3)
        assert (row["low"], row["high"]) == pytest.approx(
            (100 * (c - half), 100 * (c + half)), abs=1e-3
        )
    # segment c has 2 waves x 20 = 40 answers; with min_n 50 it must say insufficient
    strict = metrics(ws, by=["segment"], min_n=50).to_frame()
    row = pick(strict, segment="c", question_id="nps", metric="nps")
    assert row["value"] is None or pd.isna(row["value"])
    assert "insufficient data" in str(metrics(ws, by=["segment"], min_n=50))


def test_top2box_and_mean_match_statsmodels_and_scipy(
    small: tuple[Workspace, pd.DataFrame],
) -> None:
    ws, raw = small
    frame = metrics(ws, by=["wave"]).to_frame()
    x = raw[(raw.question_id == "q01") & (raw.wave == "2025-Q2")].value.to_numpy()
    top = pick(frame, wave="2025-Q2", question_id="q01", metric="top2box")
    ref = proportion_confint(int((x >= 4).sum()), len(x), method="wilson")
    assert (top["value"], top["low"], top["high"]) == pytest.approx(((x >= 4).mean(), *ref))
    mean = pick(frame, wave="2025-Q2", question_id="q01", metric="mean")
    ci = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (mean["value"], mean["low"], mean["high"]) == pytest.approx((x.mean(), ci.low, ci.high))
    bottom = pick(frame, wave="2025-Q2", question_id="q01", metric="bottom_box")
    assert bottom["value"] == pytest.approx((x == 1).mean())


def test_cx_index_matches_per_respondent_pandas(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, raw = small
    idx = metrics(ws, by=["wave"]).to_frame()
    lik = raw[raw.question_id.isin(["q01", "q02"]) & (raw.wave == "2025-Q1")]
    per = (
        lik.assign(net=(lik.value >= 4).astype(float) - (lik.value <= 2))
        .groupby("respondent_id")
        .net.mean()
        * 100
    )
    row = idx[(idx.metric == "cx_index") & (idx.wave == "2025-Q1")].iloc[0]
    ci = stats.ttest_1samp(per.to_numpy(), 0).confidence_interval(0.95)
    assert (row["value"], row["low"], row["high"]) == pytest.approx((per.mean(), ci.low, ci.high))


def test_cx_index_by_touchpoint_uses_its_items(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, raw = small
    idx = metrics(ws, by=["touchpoint"]).to_frame()
    row = idx[
        (idx.metric == "top2box") & (idx.touchpoint == "delivery") & idx.question_id.isna()
    ].iloc[0]
    x = raw[raw.question_id == "q02"]
    per = (x.value >= 4).groupby([x.respondent_id, x.wave]).mean()
    # respondents (not respondent-waves) are the units: one respondent answered q02 in 2 waves
    per_resp = (x.value >= 4).groupby(x.respondent_id).mean()
    assert row["n"] == per_resp.size
    assert row["value"] == pytest.approx(per_resp.mean())
    assert per.size == 2 * per_resp.size


def test_wave_trend_matches_z_test_and_holm(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, raw = small
    trends = metrics(ws, by=["wave", "segment"]).trend_frame()
    nps = trends[(trends.question_id == "nps") & trends.segment.isin(["a", "b", "c"])].sort_values(
        "segment"
    )
    ps = []
    for seg in ("a", "b", "c"):
        x1 = raw[(raw.question_id == "nps") & (raw.segment == seg) & (raw.wave == "2025-Q1")].value
        x2 = raw[(raw.question_id == "nps") & (raw.segment == seg) & (raw.wave == "2025-Q2")].value
        p1, d1, p2, d2 = (x1 >= 9).mean(), (x1 <= 6).mean(), (x2 >= 9).mean(), (x2 <= 6).mean()
        v1, v2 = p1 + d1 - (p1 - d1) ** 2, p2 + d2 - (p2 - d2) ** 2
        z = ((p2 - d2) - (p1 - d1)) / math.sqrt(v1 / len(x1) + v2 / len(x2))
        ps.append(2 * stats.norm.sf(abs(z)))
        row = nps[nps.segment == seg].iloc[0]
        if seg != "c":
            assert row["change_value"] == pytest.approx(100 * ((p2 - d2) - (p1 - d1)))
            assert row["p_value"] == pytest.approx(ps[-1])
    # segment c (20 per wave) is below the guardrail: no number, no test; Holm runs over a, b
    assert pd.isna(nps[nps.segment == "c"].iloc[0]["change_value"])
    assert pd.isna(nps[nps.segment == "c"].iloc[0]["p_value"])
    holm = multipletests(ps[:2], method="holm")[1]
    assert list(nps[nps.segment != "c"].p_holm) == pytest.approx(list(holm))


def test_month_breakdown_from_submitted_at(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, _ = small
    frame = metrics(ws, by=["month"]).to_frame()
    assert set(frame.month.dropna()) == {"2025-02", "2025-05"}


def test_unknown_by_column_names_the_value(small: tuple[Workspace, pd.DataFrame]) -> None:
    ws, _ = small
    with pytest.raises(ArgumentError, match="by='shoe_size'"):
        metrics(ws, by=["shoe_size"])


def test_cli_metrics_json_and_text(small: tuple[Workspace, pd.DataFrame], tmp_path: Path) -> None:
    ws, raw = small
    ws.close()  # the CLI opens the workspace itself, read-only
    margins = tmp_path / "m.csv"
    margins.write_text("variable,category,share\nregion,north,0.5\nregion,south,0.5\n")
    out = CliRunner().invoke(
        app, ["metrics", str(ws.path), "--by", "wave", "--weights", str(margins), "--json"]
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["items"]
    (row,) = [
        r
        for r in rows
        if r["wave"] == "2025-Q1" and r["question_id"] == "nps" and r["metric"] == "nps"
    ]
    # weighted NPS by hand: north (every 3rd customer, 100 of 300) weighted 1.5, south 0.75
    x = raw[(raw.question_id == "nps") & (raw.wave == "2025-Q1")]
    w = np.where(x.respondent_id.str[1:].astype(int) % 3 == 0, 1.5, 0.75)
    score = np.where(x.value >= 9, 1.0, np.where(x.value <= 6, -1.0, 0.0))
    assert row["value"] == pytest.approx(100 * np.sum(w * score) / w.sum())
    assert row["n_effective"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    text = CliRunner().invoke(app, ["metrics", str(ws.path), "--by", "wave"])
    assert text.exit_code == 0 and "Changes between periods" in text.output
    bad = CliRunner().invoke(app, ["metrics", str(ws.path), "--by", "shoe_size"])
    assert bad.exit_code == 2 and "shoe_size" in bad.output
