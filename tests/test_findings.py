"""Every finding rule fires where the planted truth says it must and stays silent (or says
"no detectable difference") where its guard says it must not.

The firing cases run on the simulated company (tests/conftest.py, seed 3), whose planted
truth (truth.json, docs/simulator.md) says what is there to find. The guard cases change one
result of that same Reality Check by hand (a wider interval, fewer answers, a praise theme)
and derive the findings again: a rule is a function of the results, so this is the smallest
hand-built input that exercises its guard.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from realitygap.analysis import Difference, Estimate, RealityCheck, reality_check
from realitygap.analysis.findings import (
    Finding,
    derive,
    executive_summary,
    number,
    p_text,
    stopped_buying,
    theme_impact_shown,
    theme_role,
)
from realitygap.store import Workspace


@pytest.fixture(scope="module")
def checked(
    tagged_company: tuple[Workspace, dict[str, Any]],
) -> tuple[RealityCheck, dict[str, Any]]:
    ws, truth = tagged_company
    return reality_check(ws), truth


def rules(rc: RealityCheck) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in rc.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def again(rc: RealityCheck, **changes: Any) -> dict[str, list[Finding]]:
    """The findings of the same check with some results replaced."""
    changed = dataclasses.replace(rc, **changes)
    return rules(dataclasses.replace(changed, findings=derive(changed)))


def est(value: float | None, low: float | None, high: float | None, n: int) -> Estimate:
    return Estimate(value, low, high, n, "hand-built", 0.95)


# ---- number format ---------------------------------------------------------------------------


def test_numbers_are_fixed_point_without_negative_zero() -> None:
    assert number(-0.04, 1) == "0.0"  # the "[-0.0, 9.0]" of the old report
    assert number(1234.5, 0) == "1,234"  # Python rounds half to even: 1234.5 -> 1234
    assert p_text(9e-17) == "p < 0.001"
    assert p_text(0.0423) == "p = 0.042"


def test_no_finding_has_scientific_notation_or_ids(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    import re

    for f in rc.findings:
        assert not re.search(r"\d[eE][+-]?\d", f.text), f.text
        for internal in ("touchpoint:", "share_retained", "p_homogeneity", "store_staff", "->"):
            assert internal not in f.text, (internal, f.text)


# ---- headline ----------------------------------------------------------------------------


def test_bain_headline_fires_on_the_planted_gap(checked: tuple[RealityCheck, Any]) -> None:
    rc, truth = checked
    (f,) = rules(rc)["bain-headline"]
    # planted: executives expect 9-10 far more often than customers give it
    assert (
        truth["headline"]["executive_superior_share"]
        > truth["headline"]["customer_promoter_share"] + 0.2
    )
    assert "The gap is" in f.text and f.kind == "problem"
    assert f.owner and f.action


def test_bain_headline_says_no_gap_when_the_test_does_not_reject(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    assert rc.gap is not None and rc.gap.headline is not None
    weak = dataclasses.replace(rc.gap.headline, p_value=0.4)
    (f,) = again(rc, gap=dataclasses.replace(rc.gap, headline=weak))["bain-headline"]
    assert "No detectable gap" in f.text and "The gap is" not in f.text
    few = dataclasses.replace(rc.gap.headline, staff_share=est(None, None, None, 12))
    (f,) = again(rc, gap=dataclasses.replace(rc.gap, headline=few))["bain-headline"]
    assert (
        f.text.startswith("The headline needs more answers")
        and "insufficient data (n=12)" in f.text
    )


def test_customer_nps_is_stated_without_a_mirror_survey(checked: tuple[RealityCheck, Any]) -> None:
    rc, truth = checked
    found = again(rc, gap=None)
    assert "bain-headline" not in found
    (f,) = found["customer-nps"]
    assert f.lead
    # planted: promoters minus detractors among responding customers (truth.json)
    planted = 100 * (
        truth["headline"]["customer_promoter_share"] - truth["headline"]["customer_detractor_share"]
    )
    nps = f.evidence[0].estimate
    assert nps is not None and nps.low is not None and nps.high is not None
    assert nps.low <= planted <= nps.high


# ---- the perception gap ------------------------------------------------------------------


def test_largest_blind_spot_is_a_planted_over_estimate(checked: tuple[RealityCheck, Any]) -> None:
    rc, truth = checked
    (f,) = rules(rc)["largest-blind-spot"]
    planted = truth["overestimation"]["by_item"]
    top_two = sorted(planted, key=lambda q: -planted[q])[:2]
    texts = [rc.labels.question(q) for q in top_two]
    assert any(t in f.text for t in texts), (f.text, texts)
    assert f.owner in set(rc.labels.owners.values())  # an owner department of the taxonomy
    gap = f.evidence[2].estimate
    assert gap is not None and gap.low is not None and gap.low > 0


def test_no_blind_spot_when_every_gap_interval_contains_zero(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    assert rc.gap is not None
    rows = tuple(
        dataclasses.replace(r, gap=est(0.05, -0.1, 0.2, 500)) if r.question_id else r
        for r in rc.gap.rows
    )
    found = again(rc, gap=dataclasses.replace(rc.gap, rows=rows))
    assert "largest-blind-spot" not in found and "under-estimated" not in found
    assert "no-blind-spot" in found


def test_under_estimated_names_the_planted_under_estimates(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    (f,) = rules(rc)["under-estimated"]
    planted = truth["overestimation"]["by_item"]
    most_under = min(planted, key=lambda q: planted[q])  # q07 in seed 3's truth
    assert rc.labels.question(most_under) in f.text
    assert f.kind == "strength"


# ---- the survey audit --------------------------------------------------------------------


def test_low_reliability_fires_below_07_and_names_the_touchpoint(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    assert rc.audit is not None
    low = [b for b in rc.audit.blocks if b.alpha.value is not None and b.alpha.value < 0.7]
    found = rules(rc).get("low-reliability", [])
    assert len(found) == len(low) > 0
    for f, b in zip(found, low, strict=True):
        tp = b.block.partition(":")[2]
        assert rc.labels.touchpoint(tp) in f.text and b.block not in f.text


def test_low_reliability_silent_for_a_consistent_block(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.audit is not None
    blocks = tuple(
        dataclasses.replace(b, alpha=est(0.82, 0.78, 0.85, 800)) for b in rc.audit.blocks
    )
    assert "low-reliability" not in again(rc, audit=dataclasses.replace(rc.audit, blocks=blocks))


def test_non_discriminating_flags_auc_within_noise(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.audit is not None
    noisy = [
        i
        for i in rc.audit.items
        if i.verdict == "discriminating"
        and i.auc_retention is not None
        and i.auc_retention.low is not None
        and i.auc_retention.high is not None
        and i.auc_retention.low <= 0.5 <= i.auc_retention.high
    ]
    found = rules(rc).get("non-discriminating", [])
    assert bool(found) == bool(noisy)
    # and not when every kept item separates stayers from leavers (AUC interval above 0.5)
    items = tuple(
        dataclasses.replace(i, auc_retention=est(0.7, 0.65, 0.75, 800))
        if i.auc_retention is not None
        else i
        for i in rc.audit.items
    )
    assert "non-discriminating" not in again(rc, audit=dataclasses.replace(rc.audit, items=items))
    # an item whose AUC is 0.51 [0.45, 0.57] is flagged
    one = dataclasses.replace(
        items[0], verdict="discriminating", auc_retention=est(0.51, 0.45, 0.57, 800)
    )
    flagged = again(rc, audit=dataclasses.replace(rc.audit, items=(one, *items[1:])))
    assert "non-discriminating" in flagged
    assert (one.text or one.question_id) in flagged["non-discriminating"][0].text


# ---- drivers ------------------------------------------------------------------------------


def test_top_driver_is_a_planted_top_driver(checked: tuple[RealityCheck, Any]) -> None:
    rc, truth = checked
    (f,) = rules(rc)["top-driver"]
    top3 = truth["drivers"]["ranking"][:3]
    assert any(rc.labels.question(q) in f.text for q in top3), (f.text, top3)


def test_top_driver_silent_without_enough_answers(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.drivers is not None
    weak = dataclasses.replace(rc.drivers, r2=est(None, None, None, 12))
    assert "top-driver" not in again(rc, drivers=weak)


# ---- stated vs revealed -------------------------------------------------------------------


def test_stopped_buying_is_the_kaplan_meier_event(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.behaviour is not None
    (f,) = rules(rc)["promoters-stopped"]
    promoters = next(s for s in rc.behaviour.survival if s.group == "promoter")
    stopped = f.evidence[0].estimate
    km = promoters.retention
    assert stopped is not None and km.value is not None and km.low is not None
    # the same definition as the curve beside it: 1 - KM retention, interval mirrored
    assert stopped.value == pytest.approx(1 - km.value)
    assert stopped.high == pytest.approx(1 - km.low)
    assert "cancelled within" in f.text and "Kaplan-Meier" in f.text  # definition stated


def test_stopped_buying_insufficient_below_min_n() -> None:
    few = stopped_buying(Estimate.insufficient_data(12, "KM"))
    assert few.insufficient and few.n == 12


def test_retention_by_group_only_with_the_log_rank_test(checked: tuple[RealityCheck, Any]) -> None:
    rc, truth = checked
    assert rc.behaviour is not None
    # planted: churn hazard falls with loyalty (log hazard ratio per SD of loyalty < 0)
    assert truth["churn"]["log_hazard_ratio_per_sd_loyalty"] < 0
    (f,) = rules(rc)["retention-by-group"]
    assert rc.behaviour.logrank_p is not None and rc.behaviour.logrank_p < 0.05
    assert "differs" in f.text
    (f,) = again(rc, behaviour=dataclasses.replace(rc.behaviour, logrank_p=0.3))[
        "retention-by-group"
    ]
    assert f.text.startswith("No detectable difference")


# ---- what customers say -------------------------------------------------------------------


def test_theme_to_fix_is_a_complaint_with_enough_documents(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    assert rc.themes is not None
    (f,) = rules(rc)["theme-to-fix"]
    theme = next(t for t in rc.themes.themes if f"\u201c{t.label}\u201d" in f.text)
    assert theme.documents >= rc.min_n
    assert theme.sentiment.high is not None and theme.sentiment.high < 0
    # the simulator plants negative themes (truth.json themes with sentiment "negative")
    assert any(t["sentiment"] == "negative" for t in truth["themes"].values())


def test_praise_and_tiny_themes_are_never_something_to_fix(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    assert rc.themes is not None
    base = rc.themes.themes[0]
    impact = est(5.1, 1.4, 16.9, 39)  # the old report's "worth 5.1 NPS points" from 2 documents
    tiny = dataclasses.replace(
        base, documents=2, sentiment=est(-0.5, -0.7, -0.3, 2), nps_impact=impact
    )
    praise = dataclasses.replace(
        base,
        documents=400,
        sentiment=est(0.6, 0.5, 0.7, 400),
        nps_impact=impact,
        praise_share=0.8,
        complaint_share=0.1,
    )
    found = again(rc, themes=dataclasses.replace(rc.themes, themes=(tiny, praise)))
    assert "theme-to-fix" not in found
    assert not theme_impact_shown(tiny, rc.min_n) and not theme_impact_shown(praise, rc.min_n)
    (strength,) = found["theme-strength"]
    assert strength.kind == "strength" and praise.label in strength.text
    # merely not negative ("still waiting for my order" scored +0.13) is no praise
    mild = dataclasses.replace(praise, sentiment=est(0.13, 0.11, 0.15, 799))
    assert theme_role(mild, rc.min_n) == "mixed"
    assert "theme-strength" not in again(rc, themes=dataclasses.replace(rc.themes, themes=(mild,)))
    # positive words in a theme most of whose documents complain ("took longer than promised")
    complained = dataclasses.replace(praise, praise_share=0.2, complaint_share=0.7)
    assert theme_role(complained, rc.min_n) == "mixed"


# ---- Kano ---------------------------------------------------------------------------------


def test_kano_alarm_fires_for_planted_delighters_turning_must_be(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    alarms = rules(rc)["kano-alarm"]
    planted = [
        f
        for f, path in truth["kano"].items()
        if "A" in path.values() and list(path.values())[-1] == "M"
    ]
    assert planted
    for feature in planted:
        name = feature.replace("_", " ")
        assert any(name in a.text.lower() for a in alarms), (feature, [a.text for a in alarms])
    steady = [f for f, path in truth["kano"].items() if set(path.values()) == {"M"}]
    for feature in steady:  # planted must-be all along: never an alarm
        assert not any(feature.replace("_", " ") in a.text.lower() for a in alarms)


def test_no_kano_alarm_without_drift(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.kano is not None
    drift = tuple(dataclasses.replace(d, alarm=False) for d in rc.kano.drift)
    found = again(rc, kano=dataclasses.replace(rc.kano, drift=drift))
    assert "kano-alarm" not in found and "no-kano-alarm" in found


# ---- service recovery ---------------------------------------------------------------------


def test_recovery_claims_need_enough_answers_and_a_significant_test(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    r = rc.recovery
    assert r is not None
    groups = tuple(
        dataclasses.replace(g, customers=400, nps=est(20.0, 10.0, 30.0, 400)) for g in r.groups
    )
    significant = Difference(12.0, 4.0, 20.0, 3.0, 0.002)
    pays = Difference(0.08, 0.03, 0.13, 3.1, 0.002)
    fired = again(
        rc,
        recovery=dataclasses.replace(
            r, groups=groups, nps_recovered_vs_never=significant, retention_recovered_vs_not=pays
        ),
    )
    assert fired["recovery-paradox"][0].text.startswith("Recovery paradox")
    assert fired["recovery-pays"][0].text.startswith("Recovering a problem keeps more")
    # not significant: "no detectable difference" with the interval
    flat = Difference(1.8, -6.2, 9.2, 0.5, 0.64)
    quiet = again(
        rc,
        recovery=dataclasses.replace(
            r,
            groups=groups,
            nps_recovered_vs_never=flat,
            retention_recovered_vs_not=Difference(0.018, -0.062, 0.092, 0.5, 0.64),
        ),
    )
    assert quiet["recovery-paradox"][0].text.startswith("No detectable difference")
    assert "-6.2 to 9.2" in quiet["recovery-paradox"][0].text
    assert quiet["recovery-pays"][0].text.startswith("No detectable difference")
    # significant the other way (the demo company: -46.4, CI -70.0 to -22.7): "no paradox",
    # never "no detectable difference"
    worse = again(
        rc,
        recovery=dataclasses.replace(
            r,
            groups=groups,
            nps_recovered_vs_never=Difference(-46.4, -70.0, -22.7, -3.9, 0.0001),
            retention_recovered_vs_not=Difference(-0.08, -0.13, -0.03, -3.1, 0.002),
        ),
    )
    lower = worse["recovery-paradox"][0].text
    assert lower.startswith("No recovery paradox") and "46.4 points lower" in lower
    assert "CI 22.7 to 70.0 lower" in lower and "No detectable" not in lower
    assert worse["recovery-pays"][0].text.startswith("Recovered customers stayed less often")
    # groups without NPS answers: nothing is claimed about loyalty
    empty = tuple(dataclasses.replace(g, nps=est(None, None, None, 0)) for g in r.groups)
    silent = again(
        rc, recovery=dataclasses.replace(r, groups=empty, nps_recovered_vs_never=significant)
    )
    assert silent["recovery-paradox"][0].text.startswith("Too few NPS answers")


def test_service_level_is_a_problem_below_the_target(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    r = rc.recovery
    assert r is not None
    slow = dataclasses.replace(r.service, contacted_in_time=est(0.55, 0.5, 0.6, 300))
    fast = dataclasses.replace(r.service, contacted_in_time=est(0.93, 0.9, 0.95, 300))
    assert (
        again(rc, recovery=dataclasses.replace(r, service=slow))["service-level"][0].kind
        == "problem"
    )
    assert (
        again(rc, recovery=dataclasses.replace(r, service=fast))["service-level"][0].kind
        == "strength"
    )


# ---- listening and the summary ------------------------------------------------------------


def test_listening_says_insufficient_for_small_roles(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.listening is not None
    (f,) = rules(rc)["who-listens"]
    for g in rc.listening.groups:
        if g.dimension == "role" and g.heard_30d.insufficient:
            assert f"insufficient data (n={g.heard_30d.n})" in f.text


def test_executive_summary_has_owners_and_next_steps(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    top = executive_summary(rc)
    assert 5 <= len(top) <= 7
    assert len({f.rule for f in top}) == len(top)  # one per rule
    assert [f.importance for f in top] == sorted((f.importance for f in top), reverse=True)
    for f in top:
        assert f.action, f.rule
        assert f.kind in ("problem", "caveat", "strength")
    assert any(f.owner in set(rc.labels.owners.values()) for f in top)


def test_findings_and_the_check_serialise_to_json(checked: tuple[RealityCheck, Any]) -> None:
    import json

    rc, _ = checked
    data = json.loads(json.dumps(rc.to_dict(), default=str))
    first = data["findings"][0]
    assert first["text"] == rc.findings[0].text
    assert {"kind", "importance", "owner", "action", "evidence"} <= set(first)
    assert data["labels"]["touchpoints"]["store_staff"] == "Staff in store"
