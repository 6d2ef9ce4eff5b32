"""The simulator against its own planted truth, checked by independent computation.

Each check recomputes a planted quantity from the generated tables with plain SQL, NumPy,
SciPy or statsmodels and compares it with truth.json; the tolerance of each check is written
next to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.domain.scales import SCALES, ScaleKind
from realitygap.domain.taxonomy import default_taxonomy
from realitygap.simulate import simulate
from realitygap.simulate.text import THEMES, phrase_pool
from realitygap.store.schema import KEYS

CUSTOMERS = 6000

# Berger et al. (1993) Kano evaluation table, rows functional 1..5, columns dysfunctional 1..5.
BERGER = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Any]]:
    """One simulated company shared by the checks: (truth, read-only DuckDB connection)."""
    path = tmp_path_factory.mktemp("sim") / "ws"
    truth = simulate(path, customers=CUSTOMERS, seed=7)
    con = duckdb.connect(str(path / "realitygap.duckdb"), read_only=True)
    yield truth, con
    con.close()


def _q(con: Any, sql: str) -> pd.DataFrame:
    frame: pd.DataFrame = con.execute(sql).df()
    return frame


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path / "realitygap.duckdb"), read_only=True)
    try:
        out = {}
        for name, key in KEYS.items():
            frame = con.execute(f"SELECT * FROM {name}").df()
            out[name] = frame.sort_values(list(key)).reset_index(drop=True)
        return out
    finally:
        con.close()


def test_same_seed_same_tables_other_seed_other_tables(tmp_path: Path) -> None:
    # Expected: identical tables (and truth) for one seed, different answers for another.
    a = simulate(tmp_path / "a", customers=500, seed=3)
    b = simulate(tmp_path / "b", customers=500, seed=3)
    c = simulate(tmp_path / "c", customers=500, seed=4)
    assert a == b
    ta, tb, tc = (_tables(tmp_path / x) for x in "abc")
    for name in KEYS:
        pd.testing.assert_frame_equal(ta[name], tb[name])
    assert not ta["responses"]["value"].equals(tc["responses"]["value"])
    assert a["silent_churners"] != c["silent_churners"]


def test_referential_integrity_and_scales(company: tuple[dict[str, Any], Any]) -> None:
    _, con = company
    # Every response names an existing question and respondent.
    orphans = _q(
        con,
        "SELECT count(*) AS n FROM responses r "
        "WHERE r.question_id NOT IN (SELECT question_id FROM questions) "
        "OR r.respondent_id NOT IN (SELECT respondent_id FROM respondents)",
    )
    assert orphans.n[0] == 0
    # Values lie on each question's scale (bounds from domain.scales, integers).
    per_scale = _q(
        con,
        "SELECT q.scale, min(r.value) lo, max(r.value) hi, "
        "bool_and(r.value = round(r.value)) AS whole FROM responses r "
        "JOIN questions q USING (question_id) GROUP BY 1",
    )
    for row in per_scale.itertuples():
        scale = SCALES[ScaleKind(row.scale)]
        assert scale.low <= row.lo and row.hi <= scale.high and row.whole, row
    # Every respondent was invited in the wave they answered.
    uninvited = _q(
        con,
        "SELECT count(*) AS n FROM (SELECT DISTINCT respondent_id, wave FROM responses) r "
        "ANTI JOIN invitations i USING (respondent_id, wave)",
    )
    assert uninvited.n[0] == 0
    # Events, documents and cases refer to existing customers; staff answer only mirrors and
    # the staff pulse survey (simulate/people.py).
    for table in ("events", "documents", "cases"):
        n = _q(
            con,
            f"SELECT count(*) AS n FROM {table} WHERE customer_id IS NOT NULL AND customer_id "
            "NOT IN (SELECT respondent_id FROM respondents WHERE kind = 'customer')",
        ).n[0]
        assert n == 0, table
    staff_questions = _q(
        con,
        "SELECT DISTINCT q.audience FROM responses r JOIN respondents p USING (respondent_id) "
        "JOIN questions q USING (question_id) WHERE p.kind = 'staff'",
    )
    assert sorted(staff_questions.audience.tolist()) == ["mirror", "staff"]
    # Case owner = the owner department of the case's touchpoint in the default taxonomy.
    owners = {tp.id: tp.owner for tp in default_taxonomy().touchpoints}
    cases = _q(con, "SELECT touchpoint, owner FROM cases")
    assert (cases.touchpoint.map(owners) == cases.owner).all()
    # Staff departments are the taxonomy's departments.
    depts = _q(con, "SELECT DISTINCT department FROM respondents WHERE kind = 'staff'")
    assert set(depts.department) <= set(default_taxonomy().departments)


def _wide(con: Any) -> pd.DataFrame:
    long = _q(
        con,
        "SELECT respondent_id, wave, question_id, value FROM responses r "
        "JOIN respondents p USING (respondent_id) WHERE p.kind = 'customer'",
    )
    # one row per answered questionnaire: a customer with a case may answer a later wave too
    return long.pivot(index=["respondent_id", "wave"], columns="question_id", values="value")


def test_bare_fundamentals_max_out_and_predict_nothing(
    company: tuple[dict[str, Any], Any],
) -> None:
    truth, con = company
    wide = _wide(con)
    for qid in truth["bare_fundamentals"]:
        answered = wide[[qid, "nps"]].dropna()
        # Planted ~90% at the top score; >= 80% observed.
        assert (wide[qid].dropna() == 5).mean() >= 0.80
        # No relation with NPS: Pearson |r| < 0.08 (SciPy).
        r = stats.pearsonr(answered[qid], answered["nps"]).statistic
        assert abs(r) < 0.08, (qid, r)
    others = [q for q in truth["drivers"]["weights"] if q not in truth["bare_fundamentals"]]
    top = [(wide[q].dropna() == wide[q].max()).mean() for q in others]
    assert max(top) < 0.25  # ordinary items have no ceiling


def test_driver_ranking_recovered_by_regression(company: tuple[dict[str, Any], Any]) -> None:
    truth, con = company
    weights = truth["drivers"]["weights"]
    items = [q for q in weights if weights[q] > 0]
    # Support items are often skipped, so use pairwise-complete correlations: standardised
    # regression coefficients solve R_xx beta = r_xy (normal equations in correlation form).
    corr = _wide(con)[[*items, "nps"]].corr().to_numpy()
    beta = np.linalg.solve(corr[:-1, :-1], corr[:-1, -1])
    # Standardised coefficients rank the items like the planted weights (Spearman >= 0.85).
    rho = stats.spearmanr(beta, [weights[q] for q in items]).statistic
    assert rho >= 0.85, rho


def test_observed_mirror_gap_follows_planted_overestimation(
    company: tuple[dict[str, Any], Any],
) -> None:
    truth, con = company
    gap = _q(
        con,
        "WITH c AS (SELECT question_id, avg(value) AS c FROM responses r "
        "  JOIN respondents p USING (respondent_id) WHERE p.kind = 'customer' GROUP BY 1), "
        "m AS (SELECT q.mirrors AS question_id, avg(value) AS m FROM responses r "
        "  JOIN questions q USING (question_id) WHERE q.audience = 'mirror' GROUP BY 1) "
        "SELECT question_id, m - c AS gap FROM m JOIN c USING (question_id)",
    ).set_index("question_id")["gap"]
    planted = pd.Series(truth["overestimation"]["by_item"])
    rho = stats.spearmanr(gap[planted.index], planted).statistic
    assert rho >= 0.85, rho
    # Each item's observed gap within 0.15 scale points of the planted expectation.
    assert (gap[planted.index] - planted).abs().max() < 0.15
    # Executives over-estimate most, frontline least (planted by_role order).
    by_role = truth["overestimation"]["by_role"]
    assert by_role["executive"] > by_role["manager"] > by_role["frontline"]


def test_headline_shares_inside_their_intervals(company: tuple[dict[str, Any], Any]) -> None:
    truth, con = company
    for sql, key in (
        ("SELECT value FROM responses WHERE question_id = 'nps'", "customer_promoter_share"),
        (
            "SELECT value FROM responses JOIN respondents USING (respondent_id) "
            "WHERE question_id = 'm_nps' AND role = 'executive'",
            "executive_superior_share",
        ),
    ):
        values = _q(con, sql)["value"]
        k, n = int((values >= 9).sum()), len(values)
        # 99% Wilson interval of the observed share holds the planted expectation (statsmodels).
        low, high = proportion_confint(k, n, alpha=0.01, method="wilson")
        assert low <= truth["headline"][key] <= high, (key, k / n)


def test_silent_churners_visible_in_purchases(company: tuple[dict[str, Any], Any]) -> None:
    truth, con = company
    activity = _q(
        con,
        "WITH s AS (SELECT respondent_id AS customer_id, submitted_at AS t FROM responses "
        "  WHERE question_id = 'nps' AND value >= 9 AND respondent_id LIKE 'C%') "
        "SELECT s.customer_id, "
        "  count(*) FILTER (e.type = 'purchase' AND e.occurred_at < s.t "
        "    AND e.occurred_at >= s.t - INTERVAL 182 DAY) AS before_n, "
        "  count(*) FILTER (e.type = 'purchase' AND e.occurred_at >= s.t "
        "    AND e.occurred_at < s.t + INTERVAL 182 DAY) AS after_n, "
        "  count(*) FILTER (e.type = 'cancellation' AND e.occurred_at >= s.t "
        "    AND e.occurred_at < s.t + INTERVAL 182 DAY) AS cancelled "
        "FROM s LEFT JOIN events e USING (customer_id) GROUP BY 1",
    )
    flagged = set(
        activity.customer_id[
            (activity.after_n <= 0.5 * activity.before_n) | (activity.cancelled > 0)
        ]
    )
    planted = set(truth["silent_churners"]["customer_ids"])
    hits = len(flagged & planted)
    # The documented rule finds the planted silent churners (precision and recall >= 0.75).
    assert hits / len(planted) >= 0.75 and hits / len(flagged) >= 0.75


def test_kano_modal_category_is_planted(company: tuple[dict[str, Any], Any]) -> None:
    truth, con = company
    pairs = _q(
        con,
        "SELECT f.wave, qf.feature, f.value AS fv, d.value AS dv FROM responses f "
        "JOIN questions qf ON qf.question_id = f.question_id AND qf.scale = 'kano_functional' "
        "JOIN questions qd ON qd.feature = qf.feature AND qd.scale = 'kano_dysfunctional' "
        "JOIN responses d ON d.respondent_id = f.respondent_id AND d.question_id = qd.question_id",
    )
    pairs["category"] = [
        BERGER[int(a) - 1][int(b) - 1] for a, b in zip(pairs.fv, pairs.dv, strict=True)
    ]
    modal = pairs.groupby(["feature", "wave"])["category"].agg(lambda s: s.value_counts().idxmax())
    for feature, waves in truth["kano"].items():
        for wave, category in waves.items():
            assert modal[(feature, wave)] == category, (feature, wave)
    migrating = [f for f, w in truth["kano"].items() if list(w.values()) == ["A", "O", "O", "M"]]
    assert migrating or any({"A", "O", "M"} <= set(w.values()) for w in truth["kano"].values())


def test_theme_prevalence_matches_planted(company: tuple[dict[str, Any], Any]) -> None:
    truth, con = company
    text = _q(con, "SELECT lower(text) AS text FROM documents")["text"]
    pool = phrase_pool()
    n = len(text)
    for k, theme in enumerate(THEMES):
        variants = [
            v.lower() for v in pool.text[pool.offset[k] : pool.offset[k] + 3 * pool.size[k]]
        ]
        found = text.apply(lambda s, vs=variants: any(v in s for v in vs)).mean()
        planted = truth["themes"][theme.theme_id]["prevalence"]
        # Binomial: within 4 standard errors plus 0.01 for phrases shared across themes.
        assert abs(found - planted) <= 4 * np.sqrt(planted * (1 - planted) / n) + 0.01, theme


def test_staff_attitude_complaints_come_from_detractors(
    company: tuple[dict[str, Any], Any],
) -> None:
    _, con = company
    comments = _q(
        con,
        "SELECT lower(d.text) AS text, d.rating AS nps FROM documents d "
        "WHERE d.source = 'survey' AND d.rating IS NOT NULL",
    )
    pool = phrase_pool()
    k = [t.theme_id for t in THEMES].index("rude_staff")
    variants = [v.lower() for v in pool.text[pool.offset[k] : pool.offset[k] + 3 * pool.size[k]]]
    rude = comments.text.apply(lambda s: any(v in s for v in variants))
    detractor = comments.nps <= 6
    table = pd.crosstab(rude, detractor)
    # Fisher's exact test (SciPy): rude-staff comments are far likelier from detractors.
    odds, p = stats.fisher_exact(table.to_numpy())
    assert odds > 2 and p < 1e-3


def test_cli_simulate_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", str(tmp_path / "ws"), "--customers", "300", "--seed", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    truth = json.loads((tmp_path / "ws" / "truth.json").read_text())
    assert summary["rows"] == truth["rows"] and summary["waves"] == truth["waves"]
    con = duckdb.connect(str(tmp_path / "ws" / "realitygap.duckdb"), read_only=True)
    try:
        # Rows reported equal rows counted in the workspace.
        for name, n in truth["rows"].items():
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone() == (n,)
    finally:
        con.close()


def test_a_failed_write_leaves_the_workspace_empty_and_reusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulator commits chunk by chunk (one transaction would hold every row in memory);
    # a failure part-way must still land nothing. Expected: every table empty again (counted
    # with plain SQL) and a second simulation into the same directory succeeds.
    from realitygap.simulate import tables
    from realitygap.store import Workspace

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise OSError("disk full (simulated)")

    with monkeypatch.context() as patch:
        patch.setattr(tables, "_cases", broken)  # after responses, events and documents
        with pytest.raises(OSError, match="disk full"):
            simulate(tmp_path / "ws", customers=500, seed=3)
    con = duckdb.connect(str(tmp_path / "ws" / "realitygap.duckdb"), read_only=True)
    try:
        for name in KEYS:
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone() == (0,), name
        assert not con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'answer_grid%'"
        ).fetchall()
    finally:
        con.close()
    truth = simulate(tmp_path / "ws", customers=500, seed=3)
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        assert ws.count("responses") == truth["rows"]["responses"] > 0


def test_the_smallest_company_simulates(tmp_path: Path) -> None:
    # MIN_CUSTOMERS is the documented minimum (`--customers` min=200); at that size some months
    # have nobody who could meet a wow moment, which used to divide by zero in plant_wow.
    from realitygap.simulate import MIN_CUSTOMERS

    truth = simulate(tmp_path / "ws", customers=MIN_CUSTOMERS, seed=1)
    assert truth["customers"] == MIN_CUSTOMERS
