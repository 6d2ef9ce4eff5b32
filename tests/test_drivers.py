"""Key drivers against relaimpo's published output, brute force, statsmodels and NumPy."""

from __future__ import annotations

import io
import itertools
from math import factorial

import ibis
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from realitygap.analysis._correlation import (
    answer_grid,
    bootstrap_weights,
    bucket_of,
    cross_products,
    pairwise_correlation,
)
from realitygap.analysis._shapley import (
    all_subset_r2,
    lmg_shares,
    relative_weights,
    well_conditioned,
)
from realitygap.analysis.drivers import drivers
from realitygap.domain.errors import SurveyDataError
from realitygap.store import Workspace
from realitygap.store.write import insert_new

# R's `swiss` data set (datasets package, R Core Team; Mosteller and Tukey 1977): Swiss
# fertility and socio-economic indicators, 47 French-speaking provinces, about 1888. Public.
SWISS_CSV = """Fertility,Agriculture,Examination,Education,Catholic,Infant.Mortality
80.2,17,15,12,9.96,22.2
83.1,45.1,6,9,84.84,22.2
92.5,39.7,5,5,93.4,20.2
85.8,36.5,12,7,33.77,20.3
76.9,43.5,17,15,5.16,20.6
76.1,35.3,9,7,90.57,26.6
83.8,70.2,16,7,92.85,23.6
92.4,67.8,14,8,97.16,24.9
82.4,53.3,12,7,97.67,21
82.9,45.2,16,13,91.38,24.4
87.1,64.5,14,6,98.61,24.5
64.1,62,21,12,8.52,16.5
66.9,67.5,14,7,2.27,19.1
68.9,60.7,19,12,4.43,22.7
61.7,69.3,22,5,2.82,18.7
68.3,72.6,18,2,24.2,21.2
71.7,34,17,8,3.3,20
55.7,19.4,26,28,12.11,20.2
54.3,15.2,31,20,2.15,10.8
65.1,73,19,9,2.84,20
65.5,59.8,22,10,5.23,18
65,55.1,14,3,4.52,22.4
56.6,50.9,22,12,15.14,16.7
57.4,54.1,20,6,4.2,15.3
72.5,71.2,12,1,2.4,21
74.2,58.1,14,8,5.23,23.8
72,63.5,6,3,2.56,18
60.5,60.8,16,10,7.72,16.3
58.3,26.8,25,19,18.46,20.9
65.4,49.5,15,8,6.1,22.5
75.5,85.9,3,2,99.71,15.1
69.3,84.9,7,6,99.68,19.8
77.3,89.7,5,2,100,18.3
70.5,78.2,12,6,98.96,19.4
79.4,64.9,7,3,98.22,20.2
65,75.9,9,9,99.06,17.8
92.2,84.6,3,3,99.46,16.3
79.3,63.1,13,13,96.83,18.1
70.4,38.4,26,12,5.62,20.3
65.7,7.7,29,11,13.79,20.5
72.7,16.7,22,13,11.22,18.9
64.4,17.6,35,32,16.92,23
77.6,37.6,15,7,4.97,20
67.6,18.7,25,7,8.65,19.5
35,1.2,37,53,42.34,18
44.7,46.6,16,29,50.43,18.2
42.8,27.7,22,29,58.33,19.3
"""
SWISS = pd.read_csv(io.StringIO(SWISS_CSV))
SWISS_PREDICTORS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
# relaimpo vignette (Groemping 2006), calc.relimp(swiss, type="lmg", rela=TRUE)
RELAIMPO_LMG = [0.08078165, 0.24220256, 0.36807952, 0.14937728, 0.15955899]
RELAIMPO_R2 = 0.7067350016


def load_wide(
    ws: Workspace,
    frame: pd.DataFrame,
    scale: str | dict[str, str] = "likert5",
    wave: str = "2025-Q1",
) -> None:
    """Write a wide frame (one row per respondent, NaN = no answer) as customer questions and
    long responses, respondent ids r0, r1, ... (index order)."""
    cols = list(frame.columns)
    scales = scale if isinstance(scale, dict) else dict.fromkeys(cols, scale)
    insert_new(
        ws,
        "questions",
        pd.DataFrame(
            {
                "question_id": cols,
                "text": cols,
                "scale": [scales[c] for c in cols],
                "audience": "customer",
            }
        ),
    )
    wide = frame.copy()
    wide.insert(0, "respondent_id", [f"r{i}" for i in range(len(frame))])
    long = wide.melt(id_vars="respondent_id", var_name="question_id", value_name="value")
    long = long.dropna(subset=["value"])
    long["wave"] = wave
    insert_new(ws, "responses", long)


def _swiss_corr() -> np.ndarray:
    return np.corrcoef(SWISS[[*SWISS_PREDICTORS, "Fertility"]].to_numpy().T)


def _brute_force_shapley(corr: np.ndarray) -> np.ndarray:
    # Shapley over all subsets, each R^2 by solving its own normal equations (np.linalg.solve)
    p = corr.shape[0] - 1

    def r2(subset: tuple[int, ...]) -> float:
        if not subset:
            return 0.0
        idx = list(subset)
        rxy = corr[idx, p]
        return float(rxy @ np.linalg.solve(corr[np.ix_(idx, idx)], rxy))

    phi = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            w = factorial(size) * factorial(p - size - 1) / factorial(p)
            for s in itertools.combinations(others, size):
                phi[j] += w * (r2(tuple(sorted((*s, j)))) - r2(s))
    return phi


def test_lmg_matches_relaimpo(workspace: Workspace) -> None:
    # reference: relaimpo vignette (Groemping 2006), shares normalised to sum to 1
    load_wide(workspace, SWISS, scale="likert5")
    result = drivers(workspace, "Fertility", SWISS_PREDICTORS, bootstrap=0)
    by_id = {d.question_id: d for d in result.drivers}
    got = [by_id[q].normalised.value for q in SWISS_PREDICTORS]
    assert got == pytest.approx(RELAIMPO_LMG, abs=1e-7)
    assert result.r2.value == pytest.approx(RELAIMPO_R2, abs=1e-9)
    assert result.n == 47
    # and R^2 against statsmodels OLS on the raw rows
    ols = sm.OLS(SWISS["Fertility"], sm.add_constant(SWISS[SWISS_PREDICTORS])).fit()
    assert result.r2.value == pytest.approx(ols.rsquared, abs=1e-10)
    assert [by_id[q].rank for q in ["Education", "Examination", "Agriculture"]] == [1, 2, 5]


def test_shapley_matches_brute_force_on_swiss() -> None:
    corr = _swiss_corr()
    assert lmg_shares(corr) == pytest.approx(_brute_force_shapley(corr), abs=1e-10)


def test_shapley_matches_brute_force_on_random_correlations() -> None:
    rng = np.random.default_rng(7)
    for p in (2, 4, 7):
        data = rng.normal(size=(300, p + 1))
        data[:, -1] += data[:, :-1] @ rng.uniform(-1, 1, p)
        data[:, 1] += 0.8 * data[:, 0]  # correlated predictors
        corr = np.corrcoef(data.T)
        assert lmg_shares(corr) == pytest.approx(_brute_force_shapley(corr), abs=1e-10)


def test_single_precision_shapley_matches_brute_force_when_well_conditioned() -> None:
    # the bootstrap's float32 sweeps against the float64 brute force over all subsets
    rng = np.random.default_rng(3)
    data = rng.normal(size=(500, 13)) + 0.6 * rng.normal(size=(500, 1))  # 12 predictors
    data[:, -1] += data[:, :-1] @ rng.uniform(0, 1, 12)
    corr = np.corrcoef(data.T)
    assert well_conditioned(corr)
    assert lmg_shares(corr, single=True) == pytest.approx(_brute_force_shapley(corr), abs=1e-6)
    # a predictor that repeats another: not safe in float32, the bootstrap keeps float64
    data[:, 1] = data[:, 0]
    assert not well_conditioned(np.corrcoef(data.T))


def test_all_subset_r2_matches_statsmodels() -> None:
    # every subset's R^2 against an OLS fit on the rows (statsmodels)
    corr = _swiss_corr()
    r2 = all_subset_r2(corr)
    for mask in range(1, 2 ** len(SWISS_PREDICTORS)):
        cols = [q for j, q in enumerate(SWISS_PREDICTORS) if mask >> j & 1]
        ols = sm.OLS(SWISS["Fertility"], sm.add_constant(SWISS[cols])).fit()
        assert r2[mask] == pytest.approx(ols.rsquared, abs=1e-10)


def test_relative_weights_match_svd_of_the_data() -> None:
    # Johnson (2000) from the SVD of the standardised rows scaled so that X'X = R:
    # X = U S V', Z = U V' (orthonormal), Lambda = V S V' (X = Z Lambda), beta = Z' y,
    # weight_j = sum_k Lambda_jk^2 beta_k^2
    x = SWISS[SWISS_PREDICTORS].to_numpy()
    y = SWISS["Fertility"].to_numpy()
    root_n = np.sqrt(len(y) - 1)
    xs = (x - x.mean(0)) / x.std(0, ddof=1) / root_n
    ys = (y - y.mean()) / y.std(ddof=1) / root_n
    u, s, vt = np.linalg.svd(xs, full_matrices=False)
    z = u @ vt
    lam = vt.T @ np.diag(s) @ vt
    beta = z.T @ ys
    expected = (lam**2) @ (beta**2)
    got = relative_weights(_swiss_corr())
    assert got == pytest.approx(expected, abs=1e-10)
    assert got.sum() == pytest.approx(RELAIMPO_R2, abs=1e-9)


def test_pairwise_correlation_matches_pandas(workspace: Workspace) -> None:
    # pandas DataFrame.corr() uses pairwise complete observations
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(1, 6, size=(200, 4)).astype(float), columns=list("abcd"))
    frame["b"] += frame["a"]
    frame = frame.mask(rng.random(frame.shape) < 0.2)
    load_wide(workspace, frame)
    got = cross_products(workspace, list("abcd"), missing="pairwise").pooled().correlation()[0]
    assert got == pytest.approx(frame.corr().to_numpy(), abs=1e-12)
    listwise = cross_products(workspace, list("abcd"), buckets=7).pooled().correlation()[0]
    assert listwise == pytest.approx(frame.dropna().corr().to_numpy(), abs=1e-12)


def test_pairwise_statistics_per_bucket_match_numpy(workspace: Workspace) -> None:
    # every per-bucket pairwise statistic against NumPy sums over the rows of that bucket
    # (the bucket of each respondent read from the engine's hash)
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(rng.integers(1, 6, size=(300, 4)).astype(float), columns=list("abcd"))
    frame.loc[rng.random(300) < 0.4, "c"] = np.nan  # a touchpoint item: structured missing
    frame = frame.mask(rng.random(frame.shape) < 0.1)
    load_wide(workspace, frame)
    cp = cross_products(workspace, list("abcd"), missing="pairwise", buckets=5)
    ids = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(frame))]})
    table = ibis.memtable(ids)
    buckets = table.select(bucket=bucket_of(table.respondent_id, 5)).to_pandas()["bucket"]
    x = frame.to_numpy()
    for k in range(5):
        rows = x[buckets.to_numpy() == k]
        z, m = np.nan_to_num(rows), (~np.isnan(rows)).astype(float)
        assert cp.n[k] == pytest.approx(m.T @ m)
        assert cp.sums[k] == pytest.approx(z.T @ m)  # [i, j]: sum of i where j is answered
        assert cp.squares[k] == pytest.approx((z**2).T @ m)
        assert cp.products[k] == pytest.approx(z.T @ z)


def test_engine_pairwise_correlation_matches_pandas(workspace: Workspace) -> None:
    # pandas DataFrame.corr() and notna() counts, both over pairwise complete observations
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(rng.integers(1, 6, size=(300, 4)).astype(float), columns=list("abcd"))
    frame["c"] += frame["a"]
    frame = frame.mask(rng.random(frame.shape) < 0.25)
    frame["d"] = 3.0  # constant: correlation undefined, as pandas says (NaN)
    load_wide(workspace, frame)
    corr, n = pairwise_correlation(workspace, answer_grid(workspace, list("abcd")), 4)
    expected = frame.corr().to_numpy()
    assert np.isnan(corr[:3, 3]).all() and np.isnan(expected[:3, 3]).all()
    assert corr[:3, :3] == pytest.approx(expected[:3, :3], abs=1e-12)
    present = frame.notna().astype(float).to_numpy()
    assert n == pytest.approx(present.T @ present)


def test_answer_grid_follows_new_answers_and_question_order(workspace: Workspace) -> None:
    # the shared pivot against the rows written: rebuilt after an insert, any column order
    frame = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [5.0, np.nan, 4.0]})
    load_wide(workspace, frame)
    grid = answer_grid(workspace, ["b", "a"]).execute().sort_values("respondent_id")
    assert grid["v0"].tolist() == pytest.approx([5.0, np.nan, 4.0], nan_ok=True)
    assert grid["v1"].tolist() == pytest.approx([1.0, 2.0, np.nan], nan_ok=True)
    insert_new(
        workspace,
        "responses",
        pd.DataFrame(
            {"respondent_id": ["r2"], "question_id": ["a"], "wave": "2025-Q1", "value": [3.0]}
        ),
    )
    again = answer_grid(workspace, ["a", "b"]).execute().sort_values("respondent_id")
    assert again["v0"].tolist() == [1.0, 2.0, 3.0]
    # a changed answer (same number of rows) is seen too
    workspace.con.execute(
        "UPDATE responses SET value = 1 WHERE respondent_id = 'r0' AND question_id = 'b'"
    )
    changed = answer_grid(workspace, ["a", "b"]).execute().sort_values("respondent_id")
    assert changed["v1"].tolist() == pytest.approx([1.0, np.nan, 4.0], nan_ok=True)
    # a second wave: one row per respondent and wave
    later = {"respondent_id": ["r0"], "question_id": ["a"], "wave": "2025-Q2", "value": [4.0]}
    insert_new(workspace, "responses", pd.DataFrame(later))
    waves = answer_grid(workspace, ["a", "b"]).execute()
    assert sorted(waves["v0"].tolist()) == [1.0, 2.0, 3.0, 4.0]
    assert (waves["respondent_id"] == "r0").sum() == 2


def test_grouped_bootstrap_se_matches_row_bootstrap(workspace: Workspace) -> None:
    # the standard error of r from the bucket bootstrap against a plain row bootstrap
    # (NumPy, 2000 replicates) and the large-sample formula (1 - r^2) / sqrt(n)
    rng = np.random.default_rng(11)
    n = 1500
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(size=n)})
    load_wide(workspace, frame)
    cp = cross_products(workspace, ["x", "y"], buckets=150)
    grouped = cp.pooled(bootstrap_weights(150, 2000, seed=1)).correlation()[:, 0, 1]
    rows = frame.to_numpy()
    draws = rng.integers(0, n, size=(2000, n))
    plain = np.array([np.corrcoef(rows[d].T)[0, 1] for d in draws])
    r = np.corrcoef(rows.T)[0, 1]
    assert grouped.std() == pytest.approx(plain.std(), rel=0.15)
    assert grouped.std() == pytest.approx((1 - r**2) / np.sqrt(n), rel=0.15)


def test_penalty_reward_matches_statsmodels(workspace: Workspace) -> None:
    # PRCA coefficients against statsmodels OLS on bottom-box / top-box dummies of the rows
    rng = np.random.default_rng(5)
    n = 3000
    a = rng.integers(1, 6, n)
    b = rng.integers(1, 6, n)
    # a punishes when low only (must-be), b rewards when high only (delighter)
    outcome = 7 - 3 * (a <= 2) + 2.5 * (b >= 4) + rng.normal(0, 1.0, n)
    frame = pd.DataFrame({"a": a, "b": b, "ltr": np.clip(np.round(outcome), 0, 10)})
    load_wide(workspace, frame, scale={"a": "likert5", "b": "likert5", "ltr": "nps"})
    result = drivers(workspace, "ltr", ["a", "b"], bootstrap=0)
    x = pd.DataFrame({"a_low": a <= 2, "a_high": a >= 4, "b_low": b <= 2, "b_high": b >= 4}).astype(
        float
    )
    ols = sm.OLS(frame["ltr"], sm.add_constant(x)).fit()
    by_id = {d.question_id: d for d in result.drivers}
    assert by_id["a"].penalty == pytest.approx(ols.params["a_low"], abs=1e-9)
    assert by_id["a"].reward == pytest.approx(ols.params["a_high"], abs=1e-9)
    assert by_id["b"].penalty == pytest.approx(ols.params["b_low"], abs=1e-9)
    assert by_id["b"].reward == pytest.approx(ols.params["b_high"], abs=1e-9)
    # asymmetry test: contrast -b_low - b_high with statsmodels' t test of the same contrast
    contrast = ols.t_test("-a_low - a_high = 0")
    assert by_id["a"].p_asymmetry == pytest.approx(float(contrast.pvalue), rel=1e-6)
    assert by_id["a"].kind == "must-be"
    assert by_id["b"].kind == "delighter"


def test_priority_gap_matches_scipy_spearman(workspace: Workspace) -> None:
    # measured importance from the data; leaders' ranks chosen by hand; rho from scipy
    rng = np.random.default_rng(2)
    n = 400
    items = ["q1", "q2", "q3", "q4", "q5"]
    x = rng.integers(1, 6, size=(n, 5)).astype(float)
    ltr = x @ np.array([1.0, 0.8, 0.5, 0.3, 0.1]) + rng.normal(0, 1, n)
    frame = pd.DataFrame(x, columns=items).assign(ltr=ltr)
    load_wide(workspace, frame, scale={**dict.fromkeys(items, "likert5"), "ltr": "nps"})
    insert_new(
        workspace,
        "questions",
        pd.DataFrame(
            {
                "question_id": [f"p_{q}" for q in items],
                "text": "rank",
                "scale": "likert5",
                "audience": "mirror",
                "mirrors": items,
                "block": "priority",
            }
        ),
    )
    ranks = {"p_q1": [5, 4], "p_q2": [1, 2], "p_q3": [2, 1], "p_q4": [3, 3], "p_q5": [4, 5]}
    insert_new(
        workspace,
        "respondents",
        pd.DataFrame({"respondent_id": ["e1", "e2"], "kind": "staff", "role": "executive"}),
    )
    insert_new(
        workspace,
        "responses",
        pd.DataFrame(
            [
                {"respondent_id": who, "question_id": q, "wave": "2025-Q1", "value": float(v)}
                for q, vals in ranks.items()
                for who, v in zip(["e1", "e2"], vals, strict=True)
            ]
        ),
    )
    result = drivers(workspace, "ltr", items, bootstrap=0)
    shares = [next(d for d in result.drivers if d.question_id == q).share.value for q in items]
    mean_rank = [np.mean(ranks[f"p_{q}"]) for q in items]
    expected = stats.spearmanr([-m for m in mean_rank], shares).statistic
    gap = result.priority_gap
    assert gap is not None
    assert gap.spearman.value == pytest.approx(expected, abs=1e-12)
    assert gap.spearman.low is not None and gap.spearman.low < expected < gap.spearman.high
    assert gap.respondents == 2


def test_too_few_respondents_give_insufficient_data(workspace: Workspace) -> None:
    # guardrail: 10 complete answers < MIN_N = 30
    load_wide(workspace, SWISS.head(10))
    result = drivers(workspace, "Fertility", SWISS_PREDICTORS, bootstrap=0)
    assert result.r2.insufficient
    assert all(d.share.insufficient for d in result.drivers)
    assert "insufficient data" in str(result)


def test_unknown_outcome_is_named(workspace: Workspace) -> None:
    load_wide(workspace, SWISS)
    with pytest.raises(SurveyDataError, match="'nope'"):
        drivers(workspace, "nope", SWISS_PREDICTORS)
