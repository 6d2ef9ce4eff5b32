"""Findings: every sentence a reader sees, produced from results by one set of rules.

A :class:`Finding` is a sentence with its evidence attached (estimates with n and interval,
the test and its p-value). The report, the demo's terminal summary and the dashboard print
findings; they never compose a claim of their own. The rules refuse to overclaim:

- a difference is asserted only when its test rejects "no difference" at the chosen level
  (1 - confidence); otherwise the finding says "no detectable difference" and gives the
  interval;
- nothing is said of a group below ``min_n`` (its estimate is "insufficient data");
- a theme is called something to fix only when it is a complaint (its sentiment interval lies
  below zero) with at least ``min_n`` documents and an NPS impact whose interval excludes 0;
  praise themes are strengths;
- low reliability (Cronbach's alpha below 0.7) is flagged in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from realitygap.analysis._result import Estimate, Values, plain

if TYPE_CHECKING:
    from realitygap.analysis.reality_check import RealityCheck

ALPHA_ACCEPTABLE = 0.7  # Nunnally (1978): below this a block's items do not hang together


@dataclass(frozen=True)
class Evidence(Values):
    """One figure behind a finding: what it is, its estimate (n, interval) and its test."""

    label: str
    estimate: Estimate | None = None
    test: str | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class Finding(Values):
    """A sentence for the reader with the evidence it rests on.

    ``section`` is the report section it belongs to; ``lead`` marks the sentence that opens
    the section; ``rule`` names the rule that produced it (see the module docstring).
    """

    section: str
    rule: str
    text: str
    evidence: tuple[Evidence, ...] = ()
    lead: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(self)
        return out

    def __str__(self) -> str:
        return self.text


def p_text(p: float | None) -> str:
    """``p < 0.001`` or ``p = 0.042``."""
    if p is None:
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _pct(e: Estimate) -> str:
    return e.format(0, 100, "%")


def derive(rc: RealityCheck) -> tuple[Finding, ...]:
    """Every finding of a Reality Check, section by section, in report order."""
    alpha = 1 - rc.confidence
    out: list[Finding] = []
    out.extend(_headline(rc, alpha))
    out.extend(_gap(rc))
    out.extend(_audit(rc))
    out.extend(_drivers(rc))
    out.extend(_behaviour(rc))
    out.extend(_themes(rc))
    out.extend(_kano(rc))
    out.extend(_recovery(rc, alpha))
    out.extend(_listening(rc))
    out.extend(_journey(rc))
    out.extend(_wow(rc))
    out.extend(_people(rc))
    return tuple(out)


def _headline(rc: RealityCheck, alpha: float) -> list[Finding]:
    if rc.gap is None or rc.gap.headline is None:
        return []
    h = rc.gap.headline
    s, c, d = h.staff_share, h.customer_share, h.difference
    plural = {"executive": "executives", "manager": "managers", "frontline": "frontline staff"}
    who = plural.get(h.role, h.role)
    evidence = (
        Evidence(f"{who} predicting {h.superior_from}+ on {h.mirror_id}", s),
        Evidence(f"customers answering {h.superior_from}+ on {h.question_id}", c),
        Evidence("difference (share points)", d, "two-proportion z-test", h.p_value),
    )
    if s.insufficient or c.insufficient:
        text = f"The headline needs more answers: {who} {_pct(s)}; customers {_pct(c)}."
    else:
        text = (
            f"{s.value:.0%} of your {who} believe you deliver a superior experience "
            f"({_ci(s)}); {c.value:.0%} of your customers agree ({_ci(c)})."
        )
        if d.value is not None and d.low is not None and d.high is not None:
            points = f"{100 * d.value:.0f} points ({rc.confidence:.0%} CI {100 * d.low:.0f} to "
            points += f"{100 * d.high:.0f}), {p_text(h.p_value)}"
            if h.p_value is not None and h.p_value < alpha:
                text += f" The gap is {points}."
            else:
                text += f" No detectable gap: {points}."
    found = [Finding("headline", "bain-headline", text, evidence, lead=True)]
    nps = rc.nps_estimate
    if nps is not None:
        found.append(
            Finding(
                "headline",
                "customer-nps",
                f"Customer NPS: {nps.format(1)}.",
                (Evidence("customer NPS", nps),),
            )
        )
    return found


def _ci(share: Estimate) -> str:
    if share.low is None or share.high is None:
        return f"n={share.n:,}"
    return f"{share.confidence:.0%} CI {share.low:.0%}-{share.high:.0%}, n={share.n:,}"


def _gap(rc: RealityCheck) -> list[Finding]:
    if rc.gap is None:
        return []
    found: list[Finding] = []
    over = [r for r in rc.gap.over_estimated if r.gap.low is not None and r.gap.low > 0]
    if over:
        top = over[0]
        found.append(
            Finding(
                "gap",
                "largest-blind-spot",
                f'Staff over-estimate "{top.text or top.question_id}" most: they predict '
                f"{top.staff_mean.value:.2f}, customers say {top.customer_mean.value:.2f} "
                f"(gap {top.gap.format(2)}).",
                (
                    Evidence("staff prediction", top.staff_mean),
                    Evidence("customer answer", top.customer_mean),
                    Evidence("gap", top.gap, "Welch t", top.p_value),
                ),
                lead=True,
            )
        )
    elif rc.gap.item_rows():
        found.append(
            Finding(
                "gap",
                "no-blind-spot",
                "No item's gap interval lies above zero: no detectable over-estimation.",
                lead=True,
            )
        )
    under = rc.gap.under_estimated
    if under:
        found.append(
            Finding(
                "gap",
                "under-estimated",
                "Staff under-estimate customers on: "
                + ", ".join(f"{r.text or r.question_id} ({r.gap.format(2)})" for r in under),
                tuple(Evidence(f"gap {r.question_id}", r.gap, "Welch t", r.p_value) for r in under),
            )
        )
    return found


def _audit(rc: RealityCheck) -> list[Finding]:
    a = rc.audit
    if a is None or not a.items:
        return []
    counts = ", ".join(f"{n} {v}" for v, n in sorted(a.verdict_counts().items()))
    found = [Finding("audit", "verdict-counts", f"{len(a.items)} items: {counts}.", lead=True)]
    for b in a.blocks:
        if b.alpha.value is not None and b.alpha.value < ALPHA_ACCEPTABLE:
            found.append(
                Finding(
                    "audit",
                    "low-reliability",
                    f"The items of block {b.block} do not hang together: Cronbach's alpha "
                    f"{b.alpha.format(2)} is below {ALPHA_ACCEPTABLE}; do not add them into "
                    "one score.",
                    (Evidence(f"alpha of {b.block}", b.alpha, "Feldt interval"),),
                )
            )
    if a.hospitality_heavy:
        found.append(
            Finding(
                "audit",
                "hospitality-heavy",
                "The survey mostly measures the hospitality baseline (most items are on the "
                "hospitality layer).",
            )
        )
    return found


def _drivers(rc: RealityCheck) -> list[Finding]:
    d = rc.drivers
    if d is None or not d.ranked:
        return []
    top = d.ranked[0]
    return [
        Finding(
            "drivers",
            "top-driver",
            f'"{top.text or top.question_id}" explains {_pct(top.normalised)} of what the model '
            f"explains of {d.outcome} (R² {d.r2.format(2)}).",
            (
                Evidence("share of explained variance", top.normalised, "bootstrap"),
                Evidence("R²", d.r2),
            ),
            lead=True,
        )
    ]


def _behaviour(rc: RealityCheck) -> list[Finding]:
    b = rc.behaviour
    if b is None:
        return []
    return [
        Finding(
            "behaviour",
            "promoters-stopped",
            b.headline,
            (
                Evidence("promoters who churned", b.promoters_stopped),
                Evidence("promoters who churned or cut buying", b.promoters_silent),
            ),
            lead=True,
        )
    ]


def _themes(rc: RealityCheck) -> list[Finding]:
    t = rc.themes
    if t is None or not t.themes:
        return []
    complaints = [
        th
        for th in t.themes
        if th.documents >= rc.min_n
        and th.sentiment.high is not None
        and th.sentiment.high < 0
        and th.nps_impact.low is not None
        and th.nps_impact.low > 0
    ]
    lead = f"{len(t.themes)} themes in {t.documents:,} documents."
    evidence: tuple[Evidence, ...] = (Evidence("NPS", t.nps),)
    if complaints:
        worst = max(complaints, key=lambda th: th.nps_impact.value or 0.0)
        lead += (
            f" The complaint worth most: '{worst.label}' ({worst.documents:,} documents); "
            f"fixing it is worth {worst.nps_impact.format(1)} NPS points."
        )
        evidence += (
            Evidence(f"sentiment of '{worst.label}'", worst.sentiment),
            Evidence(f"NPS impact of '{worst.label}'", worst.nps_impact),
        )
    return [Finding("text", "theme-to-fix", lead, evidence, lead=True)]


def _kano(rc: RealityCheck) -> list[Finding]:
    k = rc.kano
    if k is None or not k.features:
        return []
    if not k.alarms:
        return [
            Finding(
                "kano",
                "no-kano-alarm",
                "No delighter is turning into a must-be across the waves.",
                lead=True,
            )
        ]
    return [
        Finding(
            "kano",
            "kano-alarm",
            a.message,
            (
                Evidence(
                    f"attractive share of {a.feature}, first vs last wave",
                    None,
                    "two-proportion z-test, Holm",
                    a.p_attractive_change_holm,
                ),
            ),
            lead=i == 0,
        )
        for i, a in enumerate(k.alarms)
    ]


def _recovery(rc: RealityCheck, alpha: float) -> list[Finding]:
    r = rc.recovery
    if r is None:
        return []
    found = [Finding("recovery", "recovery-paradox", r.verdict, lead=True)]
    pays = r.retention_recovered_vs_not
    if pays is not None:
        span = f"{100 * pays.value:+.1f} points [{100 * pays.low:+.1f}, {100 * pays.high:+.1f}]"
        if pays.p_value < alpha and pays.value > 0:
            text = f"Recovering a problem keeps {span} more customers ({p_text(pays.p_value)})."
        else:
            text = (
                "No detectable difference in retention between recovered and unrecovered "
                f"customers: {span} ({p_text(pays.p_value)})."
            )
        found.append(
            Finding(
                "recovery",
                "recovery-pays",
                text,
                (Evidence("retention, recovered - not recovered", None, "Newcombe", pays.p_value),),
            )
        )
    return found


def _listening(rc: RealityCheck) -> list[Finding]:
    lst = rc.listening
    if lst is None or not lst.groups:
        return []
    return [
        Finding(
            "listening",
            "who-listens",
            lst.headline() + ".",
            (Evidence("Spearman(contacts, error)", lst.contact_error_spearman),),
            lead=True,
        )
    ]


def _journey(rc: RealityCheck) -> list[Finding]:
    """The touchpoints where the gap is widest and the score lowest; a gap is asserted only
    when its test rejects "no gap" at the chosen level."""
    j = rc.journey
    if j is None or not j.priorities:
        return []
    alpha = 1 - rc.confidence
    top = j.priorities[:3]
    parts = []
    for c in top:
        g, s = c.gap, c.score
        if c.gap_p is not None and c.gap_p < alpha and (g.value or 0.0) > 0:
            said = f"staff over-estimate it by {g.value:.1f} points [{g.low:.1f}, {g.high:.1f}]"
        else:
            said = f"no detectable over-estimation ({g.format(1)})"
        parts.append(
            f"{c.name} ({c.stage}): customers score it {s.value:.1f} of 100 "
            f"[{s.low:.1f}, {s.high:.1f}, n={s.n:,}], {said}"
        )
    owners = sorted({c.owner for c in top})
    text = (
        "Where to act first on the journey: "
        + "; ".join(parts)
        + f". Owned by {', '.join(owners)}."
    )
    evidence = tuple(
        e
        for c in top
        for e in (
            Evidence(f"customer score of {c.touchpoint}, % of scale", c.score),
            Evidence(f"gap of {c.touchpoint}, % of scale", c.gap, "Welch t", c.gap_p),
        )
    )
    return [Finding("journey", "journey-priorities", text, evidence, lead=True)]


def _wow(rc: RealityCheck) -> list[Finding]:
    """Per wow moment: its reach, and a lift asserted only when its test, Holm-adjusted over
    every moment and outcome, rejects "no lift"; fading said only when the Holm-adjusted slope
    test rejects "no trend"."""
    from realitygap.analysis._stats import holm

    w = rc.wow
    if w is None or not w.moments:
        return []
    alpha = 1 - rc.confidence
    keys = [(m.name, x.outcome) for m in w.moments for x in m.lifts]
    raw = [np.nan if x.p_value is None else x.p_value for m in w.moments for x in m.lifts]
    adjusted = dict(zip(keys, holm(np.array(raw, dtype=float)), strict=True))
    found: list[Finding] = []
    for i, m in enumerate(w.moments):
        bits = []
        evidence = [Evidence(f"reach of {m.name}", m.reach)]
        for x in m.lifts:
            label = {"repeat_purchase": "repeat purchase", "retention": "retention", "nps": "NPS"}[
                x.outcome
            ]
            scale = 1.0 if x.outcome == "nps" else 100.0
            p_holm = adjusted[(m.name, x.outcome)]
            evidence.append(Evidence(f"lift on {label}", x.lift, "z, stratified, Holm", p_holm))
            if x.lift.value is None:
                continue
            span = x.lift.format(1, scale)
            if np.isfinite(p_holm) and p_holm < alpha:
                bits.append(f"{label} {scale * x.lift.value:+.1f} points ({span})")
            else:
                bits.append(f"no detectable lift on {label} ({span})")
        reach = m.reach.format(0, 100, "%")
        text = f"'{m.name}' reached {reach} of customers; against comparable customers: "
        text += "; ".join(bits) + "." if bits else "too few customers to weigh its lift."
        fading = [f for f in m.fades if f.fading]
        if fading:
            text += (
                " Its lift fades as it becomes expected ("
                + ", ".join(
                    f"{f.outcome} {f.slope.format(2, 1 if f.outcome == 'nps' else 100)} per quarter"
                    for f in fading
                )
                + ")."
            )
        found.append(Finding("wow", "wow-reach-lift", text, tuple(evidence), lead=i == 0))
    found.append(
        Finding(
            "wow",
            "wow-association",
            "Lift compares customers who met a moment with customers of the same month, "
            f"{', '.join(w.balance) or 'month'} and prior purchases who had not: an "
            "association that weighting cannot clear of unmeasured differences.",
        )
    )
    return found


def _people(rc: RealityCheck) -> list[Finding]:
    """Engagement and NPS across teams: a link asserted only when the weighted slope's test
    rejects "no link", and always called an association."""
    pr = rc.people
    if pr is None:
        return []
    alpha = 1 - rc.confidence
    r, s = pr.engagement_nps, pr.slope
    evidence = (
        Evidence(f"Pearson r, engagement and NPS across {pr.unit}s", r, "Fisher z"),
        Evidence("NPS points per engagement point", s, "WLS t", pr.slope_p),
        Evidence(f"Pearson r, turnover and NPS across {pr.unit}s", pr.turnover_nps, "Fisher z"),
    )
    if s.value is not None and pr.slope_p is not None and pr.slope_p < alpha:
        direction = "more" if s.value > 0 else "less"
        text = (
            f"Across {r.n} {pr.unit}s, those whose staff are more engaged have {direction} loyal "
            f"customers: each engagement point goes with {s.value:+.2f} NPS points "
            f"[{s.low:.2f}, {s.high:.2f}] ({p_text(pr.slope_p)}; r {r.format(2)}). "
            "An association across teams, not a cause."
        )
    else:
        text = (
            f"No detectable link between staff engagement and customer NPS across {r.n} "
            f"{pr.unit}s (slope {s.format(2)}, r {r.format(2)})."
        )
    found = [Finding("people", "engagement-nps", text, evidence, lead=True)]
    t = pr.turnover_nps
    if (
        t.value is not None
        and t.high is not None
        and t.low is not None
        and (t.high < 0 or t.low > 0)
    ):
        found.append(
            Finding(
                "people",
                "turnover-nps",
                f"{pr.unit.capitalize()}s that lose more staff have "
                f"{'less' if t.value < 0 else 'more'} loyal customers (r {t.format(2)}).",
                (evidence[2],),
            )
        )
    return found
