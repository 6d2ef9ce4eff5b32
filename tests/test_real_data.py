"""docs/real-data.md: its figures agree with independent references, and the doc stays true.

Independent references, computed here from the CSV files in ../shared/data (never from
realitygap's output):

- Skytrax: Shapley/LMG shares by brute force over all 2^5 predictor subsets, each R^2 from a
  NumPy least-squares fit on the complete rows; R^2 from statsmodels OLS; Johnson's (2000)
  relative weights from the singular value decomposition of the standardised data matrix;
  penalty-reward contrasts from a statsmodels OLS on bottom/top-box dummies; performance,
  quadrants, Cronbach's alpha and the item-outcome correlations by hand with pandas.
- Telco: the stated x revealed table by hand with pandas and against SOURCE.md's counts;
  Kaplan-Meier and its exponential Greenwood interval by hand and with lifelines on one row
  per customer (not the counts realitygap fits on); the log-rank statistic by hand and with
  lifelines' multivariate_logrank_test on the rows; the Cox hazard ratio with lifelines'
  CoxPHFitter (Efron ties) on the rows.

``test_every_figure_in_the_doc_is_what_the_code_computes`` then reads each number quoted in
docs/real-data.md and compares it with what the code computes now. Those quoted numbers are
regression pins (values from the code's own output, 2026-12-02); the bootstrap intervals
(seed 0, 200 replicates) have no independent reference and are checked only that way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

from realitygap.analysis.audit import AuditResult, audit
from realitygap.analysis.drivers import DriversResult, drivers
from tests.conftest import shared_data

pytestmark = pytest.mark.realdata

DOC = Path(__file__).resolve().parents[1] / "docs" / "real-data.md"
ITEMS = [
    "seat_comfort_rating",
    "cabin_staff_rating",
    "food_beverages_rating",
    "inflight_entertainment_rating",
    "value_money_rating",
]
OUTCOME_COLUMN = {"recommended": "recommended", "overall": "overall_rating"}


def _doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def _doc_code() -> dict[str, Any]:
    """Run the first python block of docs/real-data.md; return its namespace."""
    block = re.search(r"```python\n(.*?)```", _doc_text(), flags=re.S)
    assert block, "docs/real-data.md has no python block"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)  # our own docs
    return namespace


# --- Skytrax -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skytrax(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The doc's Skytrax workspace and every result the doc quotes, plus the raw CSV rows."""
    csv = shared_data("skytrax-reviews", "airline_sample.csv")
    code = _doc_code()
    assert list(code["SKYTRAX_ITEMS"]) == ITEMS
    with code["skytrax_workspace"](csv, tmp_path_factory.mktemp("sky") / "ws") as ws:
        yield {
            "rows": pd.read_csv(csv),
            "recommended": drivers(ws, "recommended", ITEMS),
            "overall": drivers(ws, "overall", ITEMS),
            "relweights": drivers(ws, "overall", ITEMS, method="relweights", bootstrap=0),
            "audit": audit(ws, "overall"),
        }


def _complete(rows: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The reviews with every sub-rating and the outcome filled (listwise)."""
    return rows[[*ITEMS, OUTCOME_COLUMN[outcome]]].dropna()


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    """R^2 of the least-squares fit of y on an intercept and the columns of x."""
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(1.0 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))


def brute_force_lmg(x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """LMG (Shapley) share of R^2 per column of x: the weighted average over every subset S of
    the other columns of R^2(S + j) - R^2(S), weight |S|! (p - |S| - 1)! / p! (Lindeman,
    Merenda and Gold 1980), each R^2 from its own least-squares fit."""
    names = list(x.columns)
    p = len(names)
    yv = y.to_numpy(dtype=float)
    r2 = {(): 0.0}
    for size in range(1, p + 1):
        for subset in combinations(range(p), size):
            r2[subset] = _r2(x.iloc[:, list(subset)].to_numpy(dtype=float), yv)
    shares = {}
    for j, name in enumerate(names):
        total = 0.0
        for subset, value in r2.items():
            if j in subset:
                continue
            weight = math.factorial(len(subset)) * math.factorial(p - len(subset) - 1)
            with_j = tuple(sorted((*subset, j)))
            total += weight / math.factorial(p) * (r2[with_j] - value)
        shares[name] = total
    return shares


def johnson_relative_weights(x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Johnson's (2000) relative weights from the data matrix: Z = U V' is the orthogonal
    matrix closest to the standardised predictors X = U S V'; the weight of predictor j is
    sum_k corr(x_j, z_k)^2 corr(y, z_k)^2."""
    xs = ((x - x.mean()) / x.std(ddof=1)).to_numpy(dtype=float)
    ys = ((y - y.mean()) / y.std(ddof=1)).to_numpy(dtype=float)
    u, _, vt = np.linalg.svd(xs, full_matrices=False)
    scale = len(ys) - 1
    z = (u @ vt) * np.sqrt(scale)  # columns: mean 0, variance 1, uncorrelated
    beta = z.T @ ys / scale
    lam = xs.T @ z / scale
    weights = (lam**2) @ (beta**2)
    return dict(zip(x.columns, weights, strict=True))


@pytest.mark.parametrize("outcome", ["recommended", "overall"])
def test_skytrax_lmg_shares_equal_brute_force_over_all_subsets(
    skytrax: dict[str, Any], outcome: str
) -> None:
    result: DriversResult = skytrax[outcome]
    complete = _complete(skytrax["rows"], outcome)
    y = complete[OUTCOME_COLUMN[outcome]]
    reference = brute_force_lmg(complete[ITEMS], y)
    ols = sm.OLS(y, sm.add_constant(complete[ITEMS])).fit()
    assert result.n == len(complete)
    assert sum(reference.values()) == pytest.approx(ols.rsquared, abs=1e-12)  # LMG sums to R^2
    assert result.r2.value == pytest.approx(ols.rsquared, abs=1e-10)
    for d in result.drivers:
        assert d.share.value == pytest.approx(reference[d.question_id], abs=1e-10), d.question_id
        assert d.normalised.value == pytest.approx(
            reference[d.question_id] / ols.rsquared, abs=1e-10
        )
    by_share = sorted(ITEMS, key=lambda q: -reference[q])
    assert [d.question_id for d in result.ranked] == by_share
    if outcome == "recommended":
        # regression pin: value from the code's own output on 2026-12-02 (docs/real-data.md)
        share = {d.question_id: d.normalised.value or 0 for d in result.drivers}
        assert [round(100 * share[q], 1) for q in ITEMS] == [19.6, 25.8, 13.3, 5.4, 35.9]


def test_skytrax_relative_weights_equal_johnson_from_the_data_matrix(
    skytrax: dict[str, Any],
) -> None:
    result: DriversResult = skytrax["relweights"]
    complete = _complete(skytrax["rows"], "overall")
    reference = johnson_relative_weights(complete[ITEMS], complete["overall_rating"])
    r2 = _r2(complete[ITEMS].to_numpy(dtype=float), complete["overall_rating"].to_numpy(float))
    assert sum(reference.values()) == pytest.approx(r2, abs=1e-12)  # weights sum to R^2
    for d in result.drivers:
        assert d.share.value == pytest.approx(reference[d.question_id], abs=1e-10)
        assert d.normalised.value == pytest.approx(reference[d.question_id] / r2, abs=1e-10)
    # regression pin: value from the code's own output on 2026-12-02 (docs/real-data.md)
    relw = {d.question_id: round(100 * (d.normalised.value or 0), 1) for d in result.drivers}
    assert relw["value_money_rating"] == 31.9 and relw["inflight_entertainment_rating"] == 4.8


@pytest.mark.parametrize("outcome", ["recommended", "overall"])
def test_skytrax_performance_quadrants_and_penalty_reward_by_hand(
    skytrax: dict[str, Any], outcome: str
) -> None:
    result: DriversResult = skytrax[outcome]
    complete = _complete(skytrax["rows"], outcome)
    y = complete[OUTCOME_COLUMN[outcome]]
    # performance: the mean sub-rating (1-5) as a percentage of the scale range (POMP)
    performance = 100 * (complete[ITEMS].mean() - 1) / 4
    # quadrants (Martilla and James 1977): split at importance 1/p and the mean performance
    normalised = brute_force_lmg(complete[ITEMS], y)
    total = sum(normalised.values())
    names = {
        (True, False): "concentrate here",
        (True, True): "keep up the good work",
        (False, False): "low priority",
        (False, True): "possible overkill",
    }
    # penalty-reward contrast analysis (Brandt 1987): one OLS of the outcome on a bottom-box
    # (1-2) and a top-box (4-5) dummy per sub-rating, the middle (3) as reference
    dummies = pd.DataFrame(
        {
            f"{q}:{side}": cond.astype(float)
            for q in ITEMS
            for side, cond in (("low", complete[q] <= 2), ("high", complete[q] >= 4))
        }
    )
    assert ((dummies.sum() >= 5) & (dummies.sum() <= len(dummies) - 5)).all()
    prca = sm.OLS(y, sm.add_constant(dummies)).fit()
    for d in result.drivers:
        q = d.question_id
        assert d.performance == pytest.approx(performance[q], abs=1e-10)
        important = normalised[q] / total >= 1 / len(ITEMS)
        assert d.quadrant == names[(important, performance[q] >= performance.mean())], q
        low, high = f"{q}:low", f"{q}:high"
        assert d.penalty == pytest.approx(prca.params[low], abs=1e-9)
        assert d.reward == pytest.approx(prca.params[high], abs=1e-9)
        # asymmetry |penalty| - reward = -(b_low + b_high) = 0, a t test on the same fit
        asymmetry = prca.t_test(f"{low} + {high} = 0")
        assert d.p_asymmetry == pytest.approx(float(asymmetry.pvalue), rel=1e-7, abs=1e-12)
        if prca.pvalues[low] >= 0.05 and prca.pvalues[high] >= 0.05:
            kind = "low impact"
        elif asymmetry.pvalue < 0.05:
            kind = "must-be" if float(asymmetry.effect[0]) < 0 else "delighter"
        else:
            kind = "performance"
        assert d.kind == kind, q


def test_skytrax_alpha_and_item_correlations_by_hand(skytrax: dict[str, Any]) -> None:
    checked: AuditResult = skytrax["audit"]
    rows = skytrax["rows"]
    block = checked.blocks[0]
    assert set(block.items) == {*ITEMS, "recommended"}
    # Cronbach's alpha: k/(k-1) (1 - sum of item variances / variance of the sum), complete rows
    members = rows[list(block.items)].dropna()
    k = members.shape[1]
    alpha = k / (k - 1) * (1 - members.var(ddof=1).sum() / members.sum(axis=1).var(ddof=1))
    assert block.alpha.n == len(members)
    assert block.alpha.value == pytest.approx(alpha, abs=1e-10)
    # discrimination: Pearson with the overall rating on the pairs that answered both
    for item in checked.items:
        column = OUTCOME_COLUMN.get(item.question_id, item.question_id)
        r = rows[column].corr(rows["overall_rating"])
        assert item.r_outcome.value == pytest.approx(r, abs=1e-10), item.question_id
    assert checked.flagged("bare minimum") == []


# --- Telco ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def telco() -> dict[str, Any]:
    """The doc's telco result and the joined customer rows (one per customer)."""
    status = shared_data("telco-customer-churn", "Telco_customer_churn_status.csv")
    classic = shared_data("telco-customer-churn", "Telco-Customer-Churn.csv")
    rows = pd.read_csv(status, encoding="utf-8-sig").merge(
        pd.read_csv(classic)[["customerID", "tenure"]],
        left_on="Customer ID",
        right_on="customerID",
    )
    score = rows["Satisfaction Score"]
    rows["group"] = np.select([score <= 2, score == 3], ["bottom box", "middle"], default="top box")
    return {"result": _doc_code()["telco_stated_vs_revealed"](status, classic), "rows": rows}


def product_limit(
    duration: pd.Series, event: pd.Series, horizon: float
) -> tuple[float, float, float]:
    """Kaplan-Meier survival at ``horizon`` by hand, with the exponential Greenwood 95%
    interval (Kalbfleisch and Prentice 2002, 4.3): S = prod(1 - d / n) over the event times
    up to the horizon; var(log(-log S)) = sum(d / (n (n - d))) / log(S)^2; bounds
    S ** exp(-+z sd). The interval is None when no one churned (S = 1)."""
    survival, greenwood = 1.0, 0.0
    for t in sorted(set(duration[event == 1])):
        if t > horizon:
            break
        at_risk = int((duration >= t).sum())
        deaths = int(((duration == t) & (event == 1)).sum())
        survival *= 1 - deaths / at_risk
        greenwood += deaths / (at_risk * (at_risk - deaths))
    if survival == 1.0:
        return survival, math.nan, math.nan
    sd = math.sqrt(greenwood) / abs(math.log(survival))
    z = stats.norm.ppf(0.975)
    return survival, survival ** math.exp(z * sd), survival ** math.exp(-z * sd)


def logrank_statistic(duration: pd.Series, group: pd.Series, event: pd.Series) -> float:
    """The k-group log-rank chi-square by hand (Mantel 1966): at each event time, observed
    minus expected deaths per group and their hypergeometric covariance, summed; the
    statistic is (O - E)' V^-1 (O - E) over all groups but one (k - 1 df)."""
    labels = sorted(group.unique())
    k = len(labels)
    diff, cov = np.zeros(k), np.zeros((k, k))
    for t in sorted(set(duration[event == 1])):
        at_risk = duration >= t
        n_g = np.array([(at_risk & (group == g)).sum() for g in labels], dtype=float)
        d_g = np.array(
            [((duration == t) & (event == 1) & (group == g)).sum() for g in labels], dtype=float
        )
        n, d = n_g.sum(), d_g.sum()
        diff += d_g - d * n_g / n
        if n > 1:
            share = n_g / n
            cov += d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
    o_e, v = diff[:-1], cov[:-1, :-1]
    return float(o_e @ np.linalg.solve(v, o_e))


def test_telco_table_by_hand_and_against_source_md(telco: dict[str, Any]) -> None:
    table, rows = telco["result"]["table"], telco["rows"]
    churned = rows["Churn Value"] == 1
    for group in ("bottom box", "middle", "top box"):
        members = rows["group"] == group
        assert table.loc[group, "churned"] == int((members & churned).sum())
        assert table.loc[group, "stayed"] == int((members & ~churned).sum())
    # SOURCE.md: all 1-2 churned (922 + 518), none of 4-5, 429 of the 2,665 who gave 3
    assert (
        table.loc["bottom box", "churned"] == 922 + 518 and table.loc["bottom box", "stayed"] == 0
    )
    assert table.loc["middle", "churned"] == 429 and table.loc["middle"].sum() == 2665
    assert table.loc["top box", "churned"] == 0
    assert telco["result"]["top_box_churned"] == 0.0


def test_telco_kaplan_meier_and_log_rank_against_lifelines_on_the_rows(
    telco: dict[str, Any],
) -> None:
    rows = telco["rows"]
    survival = {s.group: s for s in telco["result"]["survival"]}
    for group, s in survival.items():
        g = rows[rows["group"] == group]
        assert s.customers == len(g) and s.churned == int(g["Churn Value"].sum())
        value, low, high = product_limit(g["tenure"], g["Churn Value"], 12.0)
        assert s.retention.value == pytest.approx(value, abs=1e-12), group
        if group == "top box":
            continue  # no churner: survival 1, no interval to compare
        assert (s.retention.low, s.retention.high) == pytest.approx((low, high), abs=1e-9)
        km = KaplanMeierFitter().fit(g["tenure"], g["Churn Value"])
        ci = km.confidence_interval_survival_function_
        low, high = ci.loc[ci.index[ci.index <= 12.0].max()]
        assert (s.retention.low, s.retention.high) == pytest.approx((low, high), abs=1e-12)
    statistic = logrank_statistic(rows["tenure"], rows["group"], rows["Churn Value"])
    test = multivariate_logrank_test(rows["tenure"], rows["group"], rows["Churn Value"])
    assert statistic == pytest.approx(test.test_statistic, rel=1e-9)
    # chi-square (2 df) tail exp(-x / 2) < 1e-300 once x > 1382: the doc's "p < 1e-300"
    assert statistic > -2 * math.log(1e-300)
    assert telco["result"]["logrank_p"] == pytest.approx(stats.chi2.sf(statistic, 2), abs=1e-300)
    assert telco["result"]["logrank_p"] == pytest.approx(test.p_value, abs=1e-300)


def test_telco_cox_hazard_ratio_against_lifelines_coxph_on_the_rows(
    telco: dict[str, Any],
) -> None:
    rows = telco["rows"]
    cox = telco["result"]["cox"].set_index("item").loc["satisfaction"]
    frame = rows[["tenure", "Churn Value", "Satisfaction Score"]]
    fit = CoxPHFitter().fit(frame, duration_col="tenure", event_col="Churn Value")  # Efron
    summary = fit.summary.loc["Satisfaction Score"]
    assert cox["n"] == len(rows) and cox["churned"] == int(rows["Churn Value"].sum())
    assert cox["hazard_ratio"] == pytest.approx(summary["exp(coef)"], rel=1e-6)
    assert cox["low"] == pytest.approx(summary["exp(coef) lower 95%"], rel=1e-6)
    assert cox["high"] == pytest.approx(summary["exp(coef) upper 95%"], rel=1e-6)
    # regression pin: value from the code's own output on 2026-12-02 (docs/real-data.md)
    assert round(float(cox["hazard_ratio"]), 3) == 0.272


# --- the doc stays true --------------------------------------------------------------------


def _numbers(text: str) -> list[float]:
    """The numbers in a list such as '31.9%, 27.8%, 4.8%'."""
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]


def _text_blocks(doc: str) -> list[list[str]]:
    return [b.strip("\n").splitlines() for b in re.findall(r"```text\n(.*?)```", doc, re.S)]


def test_every_figure_in_the_doc_is_what_the_code_computes(
    skytrax: dict[str, Any], telco: dict[str, Any]
) -> None:
    # the quoted figures are regression pins; this keeps docs/real-data.md equal to the code
    doc = " ".join(_doc_text().split())
    blocks = _text_blocks(_doc_text())
    # the two drivers outputs, line for line (bootstrap seed 0, 200 replicates)
    assert blocks[0] == str(skytrax["recommended"]).splitlines()
    overall_lines = str(skytrax["overall"]).splitlines()
    assert blocks[1] == overall_lines[1 : 1 + len(blocks[1])]
    assert f"n={skytrax['overall'].n} complete reviews" in doc
    # the prose about the drivers
    share = {d.question_id: 100 * (d.normalised.value or 0) for d in skytrax["recommended"].drivers}
    carried = re.search(r"value for money and the cabin staff carry (\d+)%", doc)
    assert carried and int(carried.group(1)) == round(
        share["value_money_rating"] + share["cabin_staff_rating"]
    )
    entertainment = re.search(r"the entertainment system (\d+)%", doc)
    assert entertainment and int(entertainment.group(1)) == round(
        share["inflight_entertainment_rating"]
    )
    relw = re.search(r"give the same order: ([\d.%, ]+?) for the overall rating", doc)
    assert relw
    ranked = [d.normalised.value or 0 for d in skytrax["relweights"].ranked]
    assert _numbers(relw.group(1)) == [round(100 * v, 1) for v in ranked]
    assert [d.question_id for d in skytrax["relweights"].ranked] == [
        d.question_id for d in skytrax["overall"].ranked
    ]
    kinds = {d.question_id: d.kind for d in skytrax["overall"].drivers}
    assert kinds["value_money_rating"] == "must-be" and kinds["cabin_staff_rating"] == "delighter"
    # the audit: item correlations with the overall rating and alpha
    checked: AuditResult = skytrax["audit"]
    corr = re.search(r"correlates (\d\.\d+)-(\d\.\d+) with the overall rating", doc)
    r = [i.r_outcome.value or 0 for i in checked.items if i.question_id in ITEMS]
    assert corr and [float(x) for x in corr.groups()] == [round(min(r), 2), round(max(r), 2)]
    alpha = re.search(r"Cronbach's alpha (\d\.\d+) \[(\d\.\d+), (\d\.\d+)\]", doc)
    est = checked.blocks[0].alpha
    assert alpha and [float(x) for x in alpha.groups()] == [
        round(x or 0, 2) for x in (est.value, est.low, est.high)
    ]
    # telco: the table, Kaplan-Meier at 12 months, log-rank, Cox
    result = telco["result"]
    table = result["table"]
    # the doctest-style block: two prompts, then the frame as pandas prints it
    assert blocks[2][2:] == [line.rstrip() for line in str(table).splitlines()]
    survival = {s.group: s.retention for s in result["survival"]}
    assert f"top box {100 * (survival['top box'].value or 0):.0f}%" in doc
    for group in ("middle", "bottom box"):
        s = survival[group]
        assert f"{group} {s.format(1, 100, '%').split(' n=')[0]}" in doc, group
    assert "p < 1e-300" in doc and result["logrank_p"] < 1e-300
    cox = result["cox"].set_index("item").loc["satisfaction"]
    quoted = re.search(
        r"n=([\d,]+), ([\d,]+) churned\): hazard ratio ([\d.]+) \[([\d.]+), ([\d.]+)\]", doc
    )
    assert quoted
    assert [int(x.replace(",", "")) for x in quoted.groups()[:2]] == [cox["n"], cox["churned"]]
    assert [float(x) for x in quoted.groups()[2:]] == [
        round(float(cox[c]), 3) for c in ("hazard_ratio", "low", "high")
    ]
    cut = re.search(r"cuts the churn hazard by about (\d+)%", doc)
    assert cut and int(cut.group(1)) == round(100 * (1 - float(cox["hazard_ratio"])))
