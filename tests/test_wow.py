"""Wow moments against the simulator's planted reach and lift (simulate/wow.py)."""

from __future__ import annotations

from typing import Any

import pytest

from realitygap import ArgumentError
from realitygap.analysis import WowResult, wow
from realitygap.store import Workspace

Company = tuple[Workspace, dict[str, Any]]


@pytest.fixture(scope="module")
def measured(company: Company) -> tuple[WowResult, dict[str, Any]]:
    ws, truth = company
    # 3 moments x 3 outcomes = 9 lift intervals: Bonferroni keeps the family at 95%
    return wow(ws, confidence=1 - 0.05 / 9), truth["wow"]["moments"]


def test_reach_is_the_planted_share(measured: tuple[WowResult, dict[str, Any]]) -> None:
    # expected_reach: the simulator's meeting chances summed over the months (given who was
    # still at risk each month) / customers at the start; the draws scatter about it with
    # reach_sd (sqrt of the summed p (1 - p), which exceeds the binomial sd the Wilson
    # interval assumes, since a customer not drawn one month is at risk again the next);
    # realised_reach counts its draws, which the analysis must count exactly
    from scipy import stats

    result, truth = measured
    z = stats.norm.ppf(1 - 0.05 / 6)  # three moments, two-sided, Bonferroni
    assert sorted(m.name for m in result.moments) == sorted(truth)
    for m in result.moments:
        assert m.reach.value is not None
        planted = truth[m.name]
        assert abs(m.reach.value - planted["expected_reach"]) <= z * planted["reach_sd"]
        assert m.reach.value == pytest.approx(truth[m.name]["realised_reach"], abs=1e-5)
        assert [t for t, _ in m.by_touchpoint] == [truth[m.name]["touchpoint"]]


def test_lift_recovers_the_planted_lift(measured: tuple[WowResult, dict[str, Any]]) -> None:
    # truth: the expected lift under the simulator's meeting chances, stratum by stratum,
    # computed in numpy from the probabilities (not from the draws)
    result, truth = measured
    missed = []
    for m in result.moments:
        for x in m.lifts:
            planted = truth[m.name]["lift"][x.outcome]
            assert x.lift.low is not None and x.lift.high is not None
            if not x.lift.low <= planted <= x.lift.high:
                missed.append((m.name, x.outcome, planted, x.lift.format(4)))
    assert missed == []
    # the moment planted without lift shows none on NPS; the others a clear positive one
    assert result.moment("handwritten_note").lift_of("retention").lift.low > 0  # type: ignore[operator]


def test_weighting_removes_the_segment_bias(company: Company) -> None:
    # without balancing, VIPs (who meet moments twice as often and are more loyal anyway)
    # make the zero-lift moment look like it lifts retention
    ws, truth = company
    naive = wow(ws, balance=()).moment("greeted_by_name").lift_of("retention").lift
    weighted = wow(ws).moment("greeted_by_name").lift_of("retention").lift
    assert truth["wow"]["moments"]["greeted_by_name"]["lift"]["retention"] == 0
    assert abs(weighted.value or 0) < abs(naive.value or 0)


def test_only_the_planted_moment_fades(measured: tuple[WowResult, dict[str, Any]]) -> None:
    # truth: the simulator's `fades` flag (the birthday surprise's selection falls to 0 by the
    # last month); the other two moments' lifts are constant, so no fade may be found
    result, truth = measured
    assert {m.name for m in result.moments if m.fading} == {
        name for name, t in truth.items() if t["fades"]
    }
    for m in result.moments:
        if not truth[m.name]["fades"]:
            assert not any(f.fading for f in m.fades), m.name


def test_fade_recovers_the_planted_change_per_month(
    measured: tuple[WowResult, dict[str, Any]],
) -> None:
    # truth: <outcome>_fade_per_month, the least-squares line through the planted monthly
    # lifts weighted by the expected number who meet the moment each month (simulate/wow.py,
    # from the meeting chances, not the draws); 9 slopes at the Bonferroni level of `measured`
    result, truth = measured
    missed = []
    for m in result.moments:
        for f in m.fades:
            planted = truth[m.name]["lift"][f"{f.outcome}_fade_per_month"]
            assert f.slope.low is not None and f.slope.high is not None
            if not f.slope.low <= planted <= f.slope.high:
                missed.append((m.name, f.outcome, planted, f.slope.format(5)))
    assert missed == []
    birthday = result.moment("birthday_surprise")
    for f in birthday.fades:  # the planted fade is negative on every outcome: so is the slope
        assert truth["birthday_surprise"]["lift"][f"{f.outcome}_fade_per_month"] < 0
        assert f.slope.high is not None and f.slope.high < 0, f.outcome


def test_fade_slope_and_variance_match_statsmodels_clustered_ols() -> None:
    # independent check: the saturated regression y ~ stratum + stratum x met by statsmodels
    # OLS gives each stratum's lift; the slope is the linear combination sum_s c_s beta_s
    # with c_s = n1_s (t_s - tbar) / sxx, its variance c' V c with V clustered by customer
    # (CR0: statsmodels cov_type="cluster", use_correction=False)
    import ibis
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    from realitygap.analysis.wow import OUTCOMES, _trends

    rng = np.random.default_rng(7)
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    rows = []
    for c in range(400):
        band = "A" if c % 2 else "B"
        for k, month in enumerate(months):
            met = int(rng.random() < 0.2)
            p = 0.5 + met * (0.3 - 0.08 * k) + (0.1 if band == "A" else 0.0)
            nps = float(rng.choice([-100.0, 0.0, 100.0])) if rng.random() < 0.5 else None
            y = float(rng.random() < p)
            rows.append((f"C{c}", month, band, met, y, float(rng.random() < p), nps))
            if met:
                break  # the met leave the comparisons, as in the monthly design
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "band", "met", *OUTCOMES])
    strata = ["month", "band"]
    cells = (
        frame.groupby([*strata, "met"])
        .agg(
            **{f"n_{o}": (o, "count") for o in OUTCOMES},
            **{f"s_{o}": (o, "sum") for o in OUTCOMES},
        )
        .reset_index()
    )
    found = _trends(ibis.memtable(frame), cells, strata, months, min_n=1)
    for o in OUTCOMES:
        d = frame[frame[o].notna()].reset_index(drop=True)
        keys = list(zip(d["month"], d["band"], strict=True))
        levels = sorted(set(keys))
        x = np.zeros((len(d), 2 * len(levels)))
        for i, key in enumerate(keys):
            s = levels.index(key)
            x[i, s] = 1.0
            x[i, len(levels) + s] = d.loc[i, "met"]
        fit = sm.OLS(d[o].to_numpy(), x).fit(
            cov_type="cluster",
            cov_kwds={"groups": d["customer_id"].factorize()[0], "use_correction": False},
        )
        n1 = np.array(
            [((d["month"] == m) & (d["band"] == b) & (d["met"] == 1)).sum() for m, b in levels],
            dtype=float,
        )
        t = np.array([months.index(m) for m, _ in levels], dtype=float)
        dt = t - np.average(t, weights=n1)
        c = np.concatenate([np.zeros(len(levels)), n1 * dt / np.sum(n1 * dt**2)])
        slope, var, _ = found[o]
        assert slope == pytest.approx(float(c @ fit.params), rel=1e-9), o
        # the per-customer sums in the engine are the row-level sandwich, to rounding
        assert var == pytest.approx(float(c @ fit.cov_params() @ c), rel=1e-9), o


def test_comparison_counts_in_the_engine_match_pandas() -> None:
    # independent check: the comparison rows and customers (the design effect of the lift's
    # comparison side) counted by pandas on the same rows
    import ibis
    import numpy as np
    import pandas as pd

    from realitygap.analysis.wow import OUTCOMES, _customer_sums, _trend_coefficients

    rng = np.random.default_rng(11)
    months = ["2024-01", "2024-02", "2024-03"]
    rows = []
    for c in range(300):
        for month in months:
            met = int(rng.random() < 0.15)
            nps = 100.0 if rng.random() < 0.3 else None
            rows.append((f"C{c}", 0, month, "A", met, float(rng.random() < 0.5), 1.0, nps))
            if met:
                break
    frame = pd.DataFrame(rows, columns=["customer_id", "j", "month", "band", "met", *OUTCOMES])
    strata = ["month", "band"]
    cells = (
        frame.groupby([*strata, "met"])
        .agg(
            **{f"n_{o}": (o, "count") for o in OUTCOMES},
            **{f"s_{o}": (o, "sum") for o in OUTCOMES},
        )
        .reset_index()
    )
    coefs = {0: _trend_coefficients(cells, strata, months, min_n=1)}
    got = _customer_sums(ibis.memtable(frame), coefs, strata, comparisons=True)[0]
    compared = frame[frame["met"] == 0]
    answered = compared[compared["nps"].notna()]
    assert got["rows"] == len(compared)
    assert got["people"] == compared["customer_id"].nunique()
    assert got["nps_rows"] == len(answered)
    assert got["nps_people"] == answered["customer_id"].nunique()


def test_bad_arguments_name_the_parameter(company: Company) -> None:
    ws, _ = company
    with pytest.raises(ArgumentError, match="retain_days"):
        wow(ws, retain_days=0)
    with pytest.raises(ArgumentError, match="confidence"):
        wow(ws, confidence=1.5)


def test_exact_stratum_weighting_by_hand() -> None:
    # two strata; met: A 2 of 4 retained, B 3 of 3; comparison: A 1 of 5, B 6 of 8.
    # Weights to the met: A 4/7, B 3/7. Met mean 5/7; comparison (4/7)(1/5) + (3/7)(6/8);
    # variances sum_s w_s^2 p_s (1 - p_s) / n_s on each side (hand arithmetic below)
    import pandas as pd

    from realitygap.analysis.wow import _lift

    cells = pd.DataFrame(
        {
            "month": ["2024-01"] * 4,
            "band": ["A", "A", "B", "B"],
            "met": [1, 0, 1, 0],
            "n_retention": [4, 5, 3, 8],
            "s_retention": [2.0, 1.0, 3.0, 6.0],
            "ss_retention": [2.0, 1.0, 3.0, 6.0],
        }
    )
    x = _lift(cells, "retention", ["month", "band"], 0.95, 1)
    wa, wb = 4 / 7, 3 / 7
    met, comp = 5 / 7, wa * 0.2 + wb * 0.75
    var = wa**2 * 0.5 * 0.5 / 4 + wb**2 * 0 / 3 + wa**2 * 0.2 * 0.8 / 5 + wb**2 * 0.75 * 0.25 / 8
    assert x.met.value == pytest.approx(met)
    assert x.comparable.value == pytest.approx(comp)
    assert x.lift.value == pytest.approx(met - comp)
    assert x.lift.high - x.lift.value == pytest.approx(1.959964 * var**0.5, rel=1e-6)  # type: ignore[operator]
    assert x.unmatched == 0


def _wow_section(rc: Any) -> Any:
    from realitygap.report import build

    (section,) = [p for p in build(rc).parts if p.id == "wow"]
    return section


def _import_csv(ws: Workspace, tmp_path: Any, kind: str, text: str) -> None:
    from realitygap.ingest import import_file

    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    import_file(ws, path, kind)


def test_reality_check_keeps_wow_told_of_only_in_text(ws: Workspace, tmp_path: Any) -> None:
    # no wow event; of the five example customers, two of the three reviewers and one of the
    # two survey commenters tell of a surprise (the other's is negated): the composite result
    # keeps the wow family, with the text reach 2/3 and 1/2 counted by hand
    from realitygap.analysis import reality_check

    _import_csv(
        ws,
        tmp_path,
        "documents",
        "document_id,source,text,customer_id,created_at\n"
        "d1,review,They surprised me with a birthday gift.,C001,2024-03-01\n"
        "d2,review,Fine.,C002,2024-03-02\n"
        "d3,review,They surprised me with a birthday gift!,C003,2024-03-03\n"
        "d4,survey,They surprised me with a birthday gift.,C004,2024-03-04\n"
        "d5,survey,They did not surprise me with a birthday gift.,C005,2024-03-05\n",
    )
    rc = reality_check(ws, min_n=1)
    assert "wow" not in rc.omitted and rc.wow is not None
    assert rc.wow.moments == ()
    told = rc.wow.text_moment("birthday gift")
    shares = {src: e.value for src, e in told.by_source}
    assert shares == {"review": pytest.approx(2 / 3), "survey": pytest.approx(1 / 2)}
    (lead,) = [f for f in rc.findings_of("wow") if f.lead]
    assert lead.rule == "wow-in-text" and "No wow moment is recorded" in lead.text
    # the report's wow section: the text table (names, counts by hand), no lift table
    tables = {t.title: t.frame for t in _wow_section(rc).tables}
    frame = tables.pop("Told of in text: customers who mention the moment, per source")
    assert tables == {}
    assert frame[["moment told of", "source", "customers who wrote"]].values.tolist() == [
        ["birthday gift", "reviews", 3],
        ["birthday gift", "survey comments", 2],
    ]
    assert frame["customers who mention it"].tolist() == [2, 1]


def test_reality_check_keeps_wow_recorded_without_text(ws: Workspace, tmp_path: Any) -> None:
    # wow events and no document: the family stays, with the moment and no text moment
    from realitygap.analysis import reality_check

    _import_csv(
        ws,
        tmp_path,
        "events",
        "customer_id,type,occurred_at,name\n"
        + "".join(f"C00{i},wow,2024-03-0{i},handwritten_note\n" for i in range(1, 3)),
    )
    rc = reality_check(ws, min_n=1)
    assert rc.wow is not None and rc.wow.text_moments == ()
    (moment,) = rc.wow.moments
    # 2 of the 5 example customers met it (none cancelled): reach 2/5, counted by hand
    assert moment.name == "handwritten_note" and moment.reach.value == pytest.approx(0.4)
    # the report leaves the empty text table out and says so in one line
    section = _wow_section(rc)
    assert all(not t.title.startswith("Told of in text") for t in section.tables)
    assert any(
        "No customer text tells of a surprise" in getattr(b, "text", "") for b in section.blocks
    )


def test_reality_check_omits_wow_with_neither(ws: Workspace) -> None:
    from realitygap.analysis import reality_check

    rc = reality_check(ws, min_n=1)
    assert rc.wow is None
    assert "told of in text" in rc.omitted["wow"]
