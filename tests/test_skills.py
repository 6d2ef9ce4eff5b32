"""Frontline skills per team (analysis/skills.py) against the simulator's planted skill gaps
(simulate/skills.py), statsmodels' intervals and a hand computation of the NPS impact."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from realitygap import SurveyDataError
from realitygap.analysis import SkillsResult, skills
from realitygap.analysis.text.skills import SKILLS, Skill, read_skills, sentence_skills
from realitygap.simulate import text as sim_text
from realitygap.simulate.skills import GAPS
from realitygap.store import Workspace

Company = tuple[Workspace, dict[str, Any]]


@pytest.fixture(scope="module")
def measured(company: Company) -> tuple[SkillsResult, dict[str, Any]]:
    ws, truth = company
    return skills(ws, by="team"), truth["skills"]


def test_the_planted_phrases_read_as_their_skill_missed() -> None:
    for skill, phrases in GAPS:
        for phrase in phrases:
            assert sentence_skills(phrase) == [(Skill(skill), False)], phrase


def test_the_other_simulated_phrases_never_cite_the_planted_skills() -> None:
    # the truth's expected share assumes no other phrase of the simulator cites these skills
    pool = [p for theme in sim_text.THEMES for p in theme.phrases]
    pool += [*sim_text.FILLERS, *sim_text.CLOSING_POSITIVE, *sim_text.CLOSING_NEGATIVE]
    pool += [p.format(name="same day delivery") for p in sim_text.WOW_PHRASES]
    pool += [p.format(name="same day delivery") for p in sim_text.PLAIN_PHRASES]
    tags = read_skills(pool)
    for skill, _ in GAPS:
        assert not tags.missed[:, SKILLS.index(Skill(skill))].any()


def test_planted_gaps_are_recovered_team_and_size(
    measured: tuple[SkillsResult, dict[str, Any]],
) -> None:
    result, truth = measured
    frame = result.to_frame()
    teams = frame[frame["unit"] != "all"]
    # 2 planted gaps: Bonferroni over the two intervals at 95% each is >= 90% jointly
    for gap in truth["gaps"]:
        rows = teams[teams["skill"] == gap["skill"]].set_index("unit")
        # the team with the most comments missing the skill is the planted one
        assert rows["missed"].idxmax() == gap["team"]
        planted = rows.loc[gap["team"]]
        # truth: the mean planted chance over the team's documents (simulate/skills.py)
        assert planted["missed_low"] <= gap["expected_share"] <= planted["missed_high"]
        assert planted["comments"] == gap["documents"]
        # no other team has the gap: their shares are near zero
        assert (rows.drop(index=gap["team"])["missed"] < 0.02).all()
        # detractors are likelier to cite the planted miss (GAP_SLOPE < 0): NPS impact < 0
        assert planted["nps_impact_high"] < 0
        assert planted["rank"] == 1  # the team's first coaching priority


def test_shares_match_statsmodels_wilson(measured: tuple[SkillsResult, dict[str, Any]]) -> None:
    result, _ = measured
    for row in result.rows[:20]:
        if row.missed.value is None:
            continue
        k = round(row.missed.value * row.comments)
        low, high = proportion_confint(k, row.comments, alpha=0.05, method="wilson")
        assert row.missed.low == pytest.approx(low, abs=1e-9)
        assert row.missed.high == pytest.approx(high, abs=1e-9)


def test_nps_impact_matches_a_hand_computation(company: Company) -> None:
    # independent of the family's code path: pandas over the raw tables, the two-sample Wald
    # formula written out (Var of one NPS score = p+ + p- - (p+ - p-)^2)
    ws, _ = company
    result = skills(ws, by="team")
    docs = ws.table("documents").execute()
    people = ws.table("respondents").execute()
    docs = docs.merge(
        people[people["kind"] == "customer"][["respondent_id", "team"]],
        left_on="customer_id",
        right_on="respondent_id",
    )
    r = ws.table("responses").execute()
    r = r[r["question_id"] == "nps"].sort_values(["respondent_id", "submitted_at", "value"])
    last = r.groupby("respondent_id").tail(1).set_index("respondent_id")["value"]
    tags = read_skills(docs["text"].tolist())
    col = SKILLS.index(Skill.EMPATHY)
    cites = pd.Series(tags.missed[:, col]).groupby(docs["customer_id"].to_numpy()).any()
    score = last.reindex(cites.index)
    ok = score.notna()
    a, b = score[ok & cites].to_numpy(), score[ok & ~cites].to_numpy()

    def nps(x: np.ndarray) -> tuple[float, float]:
        pro, det = (x >= 9).mean(), (x <= 6).mean()
        return pro - det, pro + det - (pro - det) ** 2

    (na, va), (nb, vb) = nps(a), nps(b)
    diff = 100 * (na - nb)
    half = 100 * 1.959964 * np.sqrt(va / a.size + vb / b.size)
    row = next(x for x in result.rows if x.unit == "all" and x.skill == "empathy")
    assert row.nps_impact.value == pytest.approx(diff, abs=1e-9)
    assert row.nps_impact.low == pytest.approx(diff - half, abs=1e-4)
    assert row.nps_impact.n == a.size + b.size
    assert row.priority.value == pytest.approx(-diff * a.size / (a.size + b.size), abs=1e-9)


def test_attitude_churn_difference_matches_statsmodels_newcombe(
    measured: tuple[SkillsResult, dict[str, Any]],
) -> None:
    result, _ = measured
    a = result.attitude_churn
    assert a.churned.value is not None and a.retained.value is not None
    assert a.difference.low is not None and a.difference.high is not None
    k1, n1 = round(a.churned.value * a.churned.n), a.churned.n
    k2, n2 = round(a.retained.value * a.retained.n), a.retained.n
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
    assert a.difference.low == pytest.approx(low, abs=1e-9)
    assert a.difference.high == pytest.approx(high, abs=1e-9)
    # churners' last comments cite bad staff attitude more often (the simulator's staff
    # themes lean on low loyalty, simulate/text.py; loyalty drives churn)
    assert a.difference.low > 0


def test_text_names_every_figure_with_n(measured: tuple[SkillsResult, dict[str, Any]]) -> None:
    result, truth = measured
    text = str(result)
    for gap in truth["gaps"]:
        assert f"{gap['team']} {gap['skill'].replace('_', ' ')}" in text
    assert "n=" in text and "churned" in text


def test_a_missing_unit_column_is_a_clear_error(company: Company) -> None:
    ws, _ = company
    with pytest.raises(SurveyDataError, match="location"):
        skills(ws, by="location")


def test_cli_prints_the_planted_gaps_and_json(company: Company) -> None:
    import json

    from typer.testing import CliRunner

    from realitygap.cli import app

    ws, truth = company
    runner = CliRunner()
    text = runner.invoke(app, ["skills", str(ws.path)])
    assert text.exit_code == 0, text.output
    for gap in truth["skills"]["gaps"]:
        assert f"{gap['team']} {gap['skill'].replace('_', ' ')}: missed in" in text.stdout
    as_json = runner.invoke(app, ["skills", str(ws.path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == skills(ws).to_dict()
    bad = runner.invoke(app, ["skills", str(ws.path), "--by", "location"])
    # a missing unit column: exit code 2 and a message naming it, never a traceback
    assert bad.exit_code == 2
    assert "'location'" in bad.output and "Traceback" not in bad.output


def _skill_findings(result: SkillsResult) -> list[Any]:
    from types import SimpleNamespace

    from realitygap.analysis.findings import _skills

    return _skills(SimpleNamespace(skills=result))  # type: ignore[arg-type]


def test_findings_name_the_planted_priorities(
    measured: tuple[SkillsResult, dict[str, Any]],
) -> None:
    result, truth = measured
    found = _skill_findings(result)
    priorities = [f for f in found if f.rule == "skill-priority"]
    # the two planted gaps, and only they, have a priority interval above zero
    assert {f.owner for f in priorities} == {
        f"the manager of team {g['team']}" for g in truth["gaps"]
    }
    assert priorities[0].lead and all(f.kind == "problem" for f in priorities)
    for f in priorities:
        assert "n=" in f.text and "not a cause" in f.text
    (churn,) = [f for f in found if f.rule == "attitude-churn"]
    assert churn.kind == "problem" and "more by" in churn.text


def test_findings_claim_no_priority_when_no_interval_clears_zero(
    measured: tuple[SkillsResult, dict[str, Any]],
) -> None:
    import dataclasses

    from realitygap.analysis import Estimate

    result, _ = measured
    # every priority straddles zero: the rule must not fire
    blurred = tuple(
        dataclasses.replace(r, priority=Estimate(1.0, -1.0, 3.0, 100, "test")) for r in result.rows
    )
    zero_diff = Estimate(0.01, -0.02, 0.04, 500, "test")
    churn = dataclasses.replace(result.attitude_churn, difference=zero_diff)
    found = _skill_findings(dataclasses.replace(result, rows=blurred, attitude_churn=churn))
    assert [f.rule for f in found] == ["no-skill-priority", "attitude-churn"]
    assert "No detectable difference" in found[1].text and found[1].kind == "fact"


def test_a_unit_column_without_values_is_a_clear_error(company: Company) -> None:
    # customers carry no department in the simulator (staff do)
    ws, _ = company
    with pytest.raises(SurveyDataError, match="department"):
        skills(ws, by="department")


def test_any_customer_column_is_a_unit_and_pooling_does_not_depend_on_it(
    measured: tuple[SkillsResult, dict[str, Any]], company: Company
) -> None:
    # every simulated customer has a team and a segment, so the pooled unit "all" holds the
    # same documents either way and its rows must be equal
    ws, _ = company
    by_team, _ = measured
    by_segment = skills(ws, by="segment")
    segments = set(ws.table("respondents").segment.execute().dropna())
    assert {r.unit for r in by_segment.rows} - {"all"} <= segments
    assert by_segment.pooled() == by_team.pooled()
    assert by_segment.attitude_churn == by_team.attitude_churn
