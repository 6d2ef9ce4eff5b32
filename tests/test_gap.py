"""The perception gap against SciPy/statsmodels on the raw answers of a small workspace."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from typer.testing import CliRunner

from realitygap.analysis.gap import demo_summary, gap
from realitygap.cli import app
from realitygap.domain.errors import ArgumentError
from realitygap.store import Workspace
from realitygap.store.write import insert_new

ITEMS = {  # customer item: (scale, touchpoint, layer, customer mean shift, staff shift)
    "nps": ("nps", None, None, 0.0, 2.5),
    "q01": ("likert5", "checkout", "service", 0.0, 1.0),
    "q02": ("likert5", "checkout", "hospitality", 0.5, 0.3),
    "q03": ("likert5", "delivery", "service", 0.5, -1.2),  # staff under-estimate
}


@pytest.fixture
def company(workspace: Workspace) -> tuple[Workspace, pd.DataFrame, pd.DataFrame]:
    """300 customers and 120 staff (40 per role, departments retail/digital) answering the
    four items and their mirrors; returns the workspace, customer and staff answers."""
    rng = np.random.default_rng(11)
    qrows = []
    for qid, (scale, tp, layer, _, _) in ITEMS.items():
        qrows.append((qid, f"Rate {qid}", scale, tp, layer, "customer", None))
        qrows.append((f"m_{qid}", f"Customers will rate {qid}", scale, tp, layer, "mirror", qid))
    cols = ["question_id", "text", "scale", "touchpoint", "layer", "audience", "mirrors"]
    insert_new(workspace, "questions", pd.DataFrame(qrows, columns=cols))
    cust_ids = [f"c{i}" for i in range(300)]
    staff_ids = [f"s{i}" for i in range(120)]
    roles = np.repeat(["executive", "manager", "frontline"], 40)
    depts = np.where(np.arange(120) % 2 == 0, "retail", "digital")
    people = pd.concat(
        [
            pd.DataFrame({"respondent_id": cust_ids, "kind": "customer"}),
            pd.DataFrame(
                {"respondent_id": staff_ids, "kind": "staff", "role": roles, "department": depts}
            ),
        ]
    )
    insert_new(workspace, "respondents", people)
    exec_boost = np.where(roles == "executive", 0.8, 0.0)
    cust, staff = [], []
    for qid, (scale, _, _, c_shift, s_shift) in ITEMS.items():
        if scale == "nps":
            c = np.clip(np.round(rng.normal(7.0, 2.2, 300)), 0, 10)
            s = np.clip(np.round(rng.normal(7.0 + s_shift + 2 * exec_boost, 1.5)), 0, 10)
        else:
            c = np.clip(np.round(rng.normal(3.2 + c_shift, 1.0, 300)), 1, 5)
            s = np.clip(np.round(rng.normal(3.2 + c_shift + s_shift + exec_boost, 0.8)), 1, 5)
        cust.append(pd.DataFrame({"respondent_id": cust_ids, "question_id": qid, "value": c}))
        staff.append(
            pd.DataFrame(
                {
                    "respondent_id": staff_ids,
                    "question_id": f"m_{qid}",
                    "item": qid,
                    "value": s,
                    "role": roles,
                    "department": depts,
                }
            )
        )
    c_all, s_all = pd.concat(cust), pd.concat(staff)
    for frame in (c_all, s_all):
        frame["wave"] = "2025-Q1"
    insert_new(workspace, "responses", c_all)
    insert_new(workspace, "responses", s_all[["respondent_id", "question_id", "wave", "value"]])
    return workspace, c_all, s_all


def row_of(result_rows: tuple, dimension: str, group: str, qid: str | None = None):  # type: ignore[no-untyped-def]
    (row,) = [
        r
        for r in result_rows
        if r.dimension == dimension and r.group == group and (qid is None or r.question_id == qid)
    ]
    return row


def test_item_gap_matches_scipy_welch(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, cust, staff = company
    result = gap(ws, by=["role"])
    for dim, group, sel in (
        ("all", "all staff", staff),
        ("role", "executive", staff[staff.role == "executive"]),
    ):
        for qid in ITEMS:
            s = sel[sel.item == qid].value.to_numpy()
            c = cust[cust.question_id == qid].value.to_numpy()
            row = row_of(result.rows, dim, group, qid)
            ref = stats.ttest_ind(s, c, equal_var=False)
            ci = ref.confidence_interval(0.95)
            assert row.gap.value == pytest.approx(s.mean() - c.mean())
            assert (row.gap.low, row.gap.high) == pytest.approx((ci.low, ci.high))
            assert row.p_value == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
            # Wasserstein-1 on the raw answers, by SciPy
            assert row.wasserstein == pytest.approx(stats.wasserstein_distance(s, c))


def test_hedges_g_matches_hand_formula_on_raw(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, cust, staff = company
    row = row_of(gap(ws, by=()).rows, "all", "all staff", "q01")
    s = staff[staff.item == "q01"].value.to_numpy()
    c = cust[cust.question_id == "q01"].value.to_numpy()
    n1, n2 = len(s), len(c)
    # Hedges (1981): pooled SD with n - 1 weights, J = 1 - 3 / (4 (n1 + n2) - 9)
    sp = np.sqrt(((n1 - 1) * s.var(ddof=1) + (n2 - 1) * c.var(ddof=1)) / (n1 + n2 - 2))
    g = (s.mean() - c.mean()) / sp * (1 - 3 / (4 * (n1 + n2) - 9))
    assert row.hedges_g.value == pytest.approx(g)


def test_top_box_gap_matches_statsmodels(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, cust, staff = company
    row = row_of(gap(ws, by=()).rows, "all", "all staff", "q02")
    ks = int((staff[staff.item == "q02"].value >= 4).sum())
    kc = int((cust[cust.question_id == "q02"].value >= 4).sum())
    low, high = confint_proportions_2indep(ks, 120, kc, 300, method="newcomb")
    assert row.top_box_gap.value == pytest.approx(ks / 120 - kc / 300)
    assert (row.top_box_gap.low, row.top_box_gap.high) == pytest.approx((low, high))


def test_headline_matches_raw_shares(company: tuple[Workspace, pd.DataFrame, pd.DataFrame]) -> None:
    ws, cust, staff = company
    head = gap(ws).headline
    assert head is not None and head.question_id == "nps" and head.mirror_id == "m_nps"
    ke = int((staff[(staff.item == "nps") & (staff.role == "executive")].value >= 9).sum())
    kc = int((cust[cust.question_id == "nps"].value >= 9).sum())
    assert head.staff_share.value == pytest.approx(ke / 40)
    assert (head.staff_share.low, head.staff_share.high) == pytest.approx(
        proportion_confint(ke, 40, method="wilson")
    )
    assert head.customer_share.value == pytest.approx(kc / 300)
    low, high = confint_proportions_2indep(ke, 40, kc, 300, method="newcomb")
    assert (head.difference.low, head.difference.high) == pytest.approx((low, high))
    assert "of your executives believe you deliver a superior experience" in head.sentence()


def test_offsets_by_role_match_per_person_means(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, cust, staff = company
    result = gap(ws)
    cmean = cust.groupby("question_id").value.mean()
    span = staff.item.map({"nps": 10.0}).fillna(4.0)
    err = 100 * (staff.value - staff.item.map(cmean)) / span
    per = err.groupby([staff.respondent_id, staff.role]).mean().reset_index()
    execs = per[per.role == "executive"][0].to_numpy()
    (off,) = [o for o in result.offsets if o.dimension == "role" and o.group == "executive"]
    ci = stats.ttest_1samp(execs, 0).confidence_interval(0.95)
    assert (off.offset.value, off.offset.low, off.offset.high) == pytest.approx(
        (execs.mean(), ci.low, ci.high)
    )
    # executives were planted furthest off
    assert result.furthest_off[0].group == "executive"


def test_touchpoint_rows_match_per_respondent_positions(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, cust, staff = company
    row = row_of(gap(ws, by=["touchpoint"]).rows, "touchpoint", "checkout")
    # % of scale on likert5: 100 (x - 1) / 4, averaged per person over q01, q02
    s = staff[staff.item.isin(["q01", "q02"])]
    c = cust[cust.question_id.isin(["q01", "q02"])]
    s_pos = (100 * (s.value - 1) / 4).groupby(s.respondent_id).mean().to_numpy()
    c_pos = (100 * (c.value - 1) / 4).groupby(c.respondent_id).mean().to_numpy()
    ci = stats.ttest_ind(s_pos, c_pos, equal_var=False).confidence_interval(0.95)
    assert row.gap.value == pytest.approx(s_pos.mean() - c_pos.mean())
    assert (row.gap.low, row.gap.high) == pytest.approx((ci.low, ci.high))


def test_blind_spots_follow_the_planted_shifts(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, _, _ = company
    result = gap(ws, by=())
    # planted staff shifts in % of scale: nps 25 (+ executives), q01 25, q02 7.5, q03 -30
    assert [r.question_id for r in result.under_estimated] == ["q03"]
    assert result.over_estimated[-1].question_id == "q03"
    text = demo_summary(ws)
    assert "superior experience" in text and "1. " in text


def test_unknown_dimension_is_rejected(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, _, _ = company
    with pytest.raises(ArgumentError, match="by='shoe'"):
        gap(ws, by=["shoe"])


def test_cli_gap_json_equals_the_analysis(
    company: tuple[Workspace, pd.DataFrame, pd.DataFrame],
) -> None:
    ws, _, staff = company
    ws.close()  # the CLI opens the workspace itself, read-only
    out = CliRunner().invoke(app, ["gap", str(ws.path), "--by", "role", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    # executive share of m_nps >= 9 on the raw answers
    ke = (staff[(staff.item == "nps") & (staff.role == "executive")].value >= 9).mean()
    assert data["headline"]["staff_share"]["value"] == pytest.approx(ke)
    assert data["blind_spots"]["under_estimated"] == ["q03"]
    text = CliRunner().invoke(app, ["gap", str(ws.path)])
    assert text.exit_code == 0 and "superior experience" in text.output
