"""Findings: every sentence a reader sees, produced from results by one set of rules.

A :class:`Finding` is a sentence with its evidence attached (estimates with n and interval,
the test and its p-value), what kind of statement it is (a ``problem`` to act on, a
``strength``, a ``caveat`` about the data, or a ``fact``), how much it matters for the
executive summary (``importance``), the suggested owner (the touchpoint's owner department
from the taxonomy, the *point of potential* behind the *point of connection*) and one
recommended next step. The report, the demo's terminal summary and the dashboard print
findings; they never compose a claim of their own.

The rules and their guards (each is tested where it must fire and where it must not):

========================= ==============================================================
rule                      guard
========================= ==============================================================
bain-headline             the gap is called a gap only when the two-proportion z-test
                          rejects "no difference" at 1 - confidence; either share below
                          ``min_n`` gives "needs more answers"
customer-nps              the NPS of the headline question, also without a mirror survey;
                          below ``min_n`` it reads "insufficient data"
largest-blind-spot        only an item whose gap interval lies above zero (Welch t) and
                          whose both means have ``min_n`` answers
no-blind-spot             no item's gap interval lies above zero
under-estimated           items whose gap interval lies below zero
verdict-counts            counts of the audit verdicts (items below ``min_n`` counted as
                          insufficient data by the audit)
low-reliability           Cronbach's alpha below 0.7 with ``min_n`` complete answers
non-discriminating        an item the audit keeps whose retention AUC interval contains 0.5
                          (it does not tell stayers from leavers better than chance)
hospitality-heavy         most items on the hospitality layer
top-driver                R² and the top share both with ``min_n`` complete answers
promoters-stopped         "stopped buying" = cancelled within the horizon, the event of the
                          Kaplan-Meier curve beside it (1 - KM retention of promoters, its
                          interval from the KM interval); the definition is stated
promoters-silent          promoters whose purchases fell by more than the decline threshold
                          or who churned, with the activity rule stated
retention-by-group        a difference between NPS groups is asserted only when the
                          log-rank test rejects equal survival; otherwise "no detectable
                          difference"
theme-count               how many themes in how many documents (a fact, no claim)
theme-to-fix              a complaint (sentiment interval below zero) with ``min_n``
                          documents and an NPS impact interval above zero from ``min_n``
                          answers; praise is never something to fix
theme-strength            praise (sentiment interval above +0.2, clearly positive, and most
                          of its documents praise) with ``min_n`` documents; a strength,
                          never something to fix
kano-alarm                a delighter in the first wave that is expected by the last, Holm-
                          adjusted test of the attractive share below 1 - confidence
no-kano-alarm             no such drift
recovery-paradox          recovered or never-a-problem customers with NPS below ``min_n``
                          answers give "too few NPS answers"; a paradox is asserted
                          only when the NPS difference recovered - never is significant
                          and positive, "no paradox" only when significant and negative,
                          else "no detectable difference" with the interval
recovery-pays             both groups with ``min_n`` customers; more (or fewer) kept only
                          when the Newcombe interval lies above (below) 0 and the test
                          rejects at the level
service-level             share of cases first contacted by the due date, below ``min_n``
                          insufficient; a problem below 80%
who-listens               roles below ``min_n`` staff read "insufficient data"
journey-priorities        the three touchpoints ranked by gap and low score, named with
                          their owners (the figures are the next finding's)
journey-figures           each one's score and gap; an over- or under-estimation is
                          asserted only when its Welch test rejects "no gap"
wow-lead                  names the moments with a lift whose Holm-adjusted test rejects
                          (more or less loyalty) and those with no detectable lift
wow-reach-lift            reach with its interval; a lift only when its Holm-adjusted test
                          rejects, else "no detectable lift" with the interval; a fade
                          (change in the lift per month) only when its Holm-adjusted test
                          rejects "no trend"
wow-association           says that weighting on observed traits cannot make it a cause
wow-in-text               the moments customers tell of in text, with their text reach;
                          the section's lead when no moment is recorded as an event
engagement-nps            the across-team slope and correlation with intervals, stated as
                          an association, not a cause; below the minimum of teams, left out
turnover-nps              the turnover-NPS correlation, only when its interval excludes 0;
                          an association
skill-priority            the top coaching priorities across units (at most three): only a
                          skill whose priority interval lies above zero (its NPS impact
                          interval below zero, ``min_n`` commenters on each side)
no-skill-priority         no such skill; says how many comments were about staff
attitude-churn            staff attitude in the last comment of churned vs retained
                          customers; more or less only when the Newcombe interval excludes
                          0; either group below ``min_n`` gives "too few"
========================= ==============================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from realitygap.analysis._result import Estimate, Values, plain
from realitygap.analysis._stats import wilson_estimate

if TYPE_CHECKING:
    from realitygap.analysis.behaviour import BehaviourResult
    from realitygap.analysis.kano import KanoResult
    from realitygap.analysis.reality_check import Labels, RealityCheck
    from realitygap.analysis.text.themes import Theme
    from realitygap.analysis.wow import WowResult

ALPHA_ACCEPTABLE = 0.7  # Nunnally (1978): below this a block's items do not hang together
SERVICE_TARGET = 0.8  # share of cases contacted by the due date below which it is a problem
SUMMARY_SIZE = 6  # findings on the executive summary page (besides the headline)
# A theme reads as praise only when its sentiment interval lies above this (clearly positive,
# not merely "not negative"): mildly positive clauses such as "still waiting for my order"
# are not praise.
PRAISE_SENTIMENT = 0.2

KINDS = ("problem", "strength", "caveat", "fact")

# Plain-language notes printed beside the statistics (one or two sentences each).
GLOSSARY = {
    "hedges_g": (
        "Hedges' g is the gap in standard deviations of the answers: about 0.2 is small, "
        "0.5 medium and 0.8 large (Cohen's rule of thumb)."
    ),
    "auc": (
        "AUC is the chance that a customer who stayed gave this item a higher score than one "
        "who left: 0.5 is a coin toss, 0.7 useful, 1 perfect."
    ),
    "alpha": (
        "Cronbach's alpha says whether the questions of a group measure one thing: 0.7 or more "
        "means they may be added into one score; below that they measure different things."
    ),
    "shapley": (
        "The share is the part of the explained differences in the outcome each question "
        "accounts for (Shapley/LMG): the shares add up to 100%."
    ),
    "kano": (
        "Kano categories: must-be = expected, its absence angers; performance (one-"
        "dimensional) = more is better; delighter (attractive) = a pleasant surprise, not "
        "missed when absent; indifferent = nobody cares either way."
    ),
    "nps": (
        "NPS = % promoters (9-10) minus % detractors (0-6), from -100 to +100; "
        "a change of a few points is within the noise of a few hundred answers."
    ),
    "interval": (
        "Every figure carries its confidence interval (the plausible range given the number "
        "of answers) and n, the number of answers it rests on."
    ),
}

KANO_NAMES = {
    "A": "delighter",
    "O": "performance need",
    "M": "must-be",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}


@dataclass(frozen=True)
class Evidence(Values):
    """One figure behind a finding: what it is, its estimate (n, interval) and its test."""

    label: str
    estimate: Estimate | None = None
    test: str | None = None
    p_value: float | None = None
    unit: str = ""  # "%": a share shown as a percentage; " points": percentage points

    def __str__(self) -> str:
        parts = [self.label]
        if self.estimate is not None:
            scale = 100.0 if self.unit in ("%", " points") else 1.0
            digits = 0 if scale == 100 else 2
            parts.append(est(self.estimate, digits, scale, self.unit))
        if self.test:
            parts.append(self.test + (f", {p_text(self.p_value)}" if self.p_value else ""))
        return ": ".join(parts[:2]) + ("; " + parts[2] if len(parts) > 2 else "")


@dataclass(frozen=True)
class Finding(Values):
    """A sentence for the reader with the evidence it rests on.

    ``section`` is the report section it belongs to; ``lead`` marks the sentence that opens
    the section; ``rule`` names the rule that produced it (see the module docstring);
    ``kind`` is one of ``problem``, ``strength``, ``caveat``, ``fact``; ``importance`` (0-1)
    orders the executive summary; ``owner`` is the suggested owner (a department of the
    taxonomy, or a role) and ``action`` one recommended next step, both None for facts.
    """

    section: str
    rule: str
    text: str
    evidence: tuple[Evidence, ...] = ()
    lead: bool = False
    kind: str = "fact"
    importance: float = 0.0
    owner: str | None = None
    action: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # field by field: plain(self) would call this method again
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    def __str__(self) -> str:
        return self.text


# ---- one number format ----------------------------------------------------------------------


def number(x: float, digits: int = 1) -> str:
    """Fixed-point, never scientific, no negative zero: ``number(-0.04, 1) == "0.0"``."""
    text = f"{x:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def p_text(p: float | None) -> str:
    """``p < 0.001`` or ``p = 0.042``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def est(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    """``12.8 (95% CI 7.6 to 17.8, n=892)``; ``insufficient data (n=19)`` below min n."""
    if e.value is None:
        return f"insufficient data (n={e.n:,})"
    v = number(e.value * scale, digits) + unit
    if e.low is None or e.high is None:
        return f"{v} (n={e.n:,})"
    lo, hi = number(e.low * scale, digits), number(e.high * scale, digits)
    return f"{v} ({e.confidence:.0%} CI {lo} to {hi}{unit}, n={e.n:,})"


def pct(e: Estimate, digits: int = 0) -> str:
    return est(e, digits, 100, "%")


def est_range(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    """Compact for tables: ``12.8 (7.6 to 17.8)``; "insufficient data" below min n."""
    if e.value is None:
        return "insufficient data"
    v = number(e.value * scale, digits) + unit
    if e.low is None or e.high is None:
        return v
    return f"{v} ({number(e.low * scale, digits)} to {number(e.high * scale, digits)})"


def readable(identifier: str | None) -> str:
    """An id the taxonomy gives no name for (a stage, a department, a wow moment), as words:
    ``renew_or_leave`` -> ``renew or leave``."""
    return (identifier or "").replace("_", " ")


def kano_name(code: str | None) -> str:
    return KANO_NAMES.get(code or "", "insufficient data")


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def feature_name(feature: str) -> str:
    """``same_day_delivery`` -> ``Same day delivery``."""
    text = feature.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def block_name(block: str, labels: Labels) -> str:
    """``touchpoint:store_staff`` -> ``the questions about Staff in store``."""
    kind, _, key = block.partition(":")
    if kind == "touchpoint" and key:
        return f"the questions about {labels.touchpoint(key)}"
    if kind == "layer" and key:
        return f"the {key} questions"
    return f"the questions of {block}"


def block_touchpoint(block: str) -> str | None:
    kind, _, key = block.partition(":")
    return key if kind == "touchpoint" and key else None


# ---- the rules ------------------------------------------------------------------------------


def derive(rc: RealityCheck) -> tuple[Finding, ...]:
    """Every finding of a Reality Check, section by section, in report order."""
    alpha = 1 - rc.confidence
    out: list[Finding] = []
    out.extend(_headline(rc, alpha))
    out.extend(_gap(rc))
    out.extend(_audit(rc))
    out.extend(_drivers(rc))
    out.extend(_behaviour(rc, alpha))
    out.extend(_themes(rc))
    out.extend(_kano(rc))
    out.extend(_recovery(rc, alpha))
    out.extend(_listening(rc))
    out.extend(_journey(rc))
    out.extend(_wow(rc))
    out.extend(_people(rc))
    out.extend(_skills(rc))
    return tuple(out)


def executive_summary(rc: RealityCheck, size: int = SUMMARY_SIZE) -> tuple[Finding, ...]:
    """The findings that matter most, most important first: problems and caveats with an
    owner and a next step before strengths; one per rule (the most important), the headline
    itself excluded (it opens the page)."""
    seen: set[str] = set()
    chosen: list[Finding] = []
    ranked = sorted(
        (f for f in rc.findings if f.section != "headline" and f.kind != "fact"),
        key=lambda f: -f.importance,
    )
    for f in ranked:
        if f.rule in seen:
            continue
        seen.add(f.rule)
        chosen.append(f)
    return tuple(chosen[:size])


_PLURAL = {"executive": "executives", "manager": "managers", "frontline": "frontline staff"}


def _headline(rc: RealityCheck, alpha: float) -> list[Finding]:
    found: list[Finding] = []
    labels = rc.labels
    if rc.gap is not None and rc.gap.headline is not None:
        h = rc.gap.headline
        s, c, d = h.staff_share, h.customer_share, h.difference
        who = _PLURAL.get(h.role, h.role)
        evidence = (
            Evidence(f"{who} predicting {h.superior_from} or more", s, unit="%"),
            Evidence(f"customers answering {h.superior_from} or more", c, unit="%"),
            Evidence("difference", d, "two-proportion z-test", h.p_value, unit=" points"),
        )
        kind, importance = "fact", 1.0
        if s.insufficient or c.insufficient:
            text = f"The headline needs more answers: {who} {pct(s)}; customers {pct(c)}."
            kind = "caveat"
        else:
            text = (
                f"{s.value:.0%} of your {who} believe you deliver a superior experience "
                f"({_ci(s)}); {c.value:.0%} of your customers agree ({_ci(c)})."
            )
            if d.value is not None and d.low is not None and d.high is not None:
                points = (
                    f"{number(100 * d.value, 0)} percentage points ({rc.confidence:.0%} CI "
                    f"{number(100 * d.low, 0)} to {number(100 * d.high, 0)}), {p_text(h.p_value)}"
                )
                if h.p_value is not None and h.p_value < alpha:
                    text += f" The gap is {points}."
                    kind = "problem"
                else:
                    text += f" No detectable gap: {points}."
        found.append(
            Finding(
                "headline",
                "bain-headline",
                text,
                evidence,
                lead=True,
                kind=kind,
                importance=importance,
                owner="the leadership team" if kind == "problem" else None,
                action=(
                    "Share this gap with the leadership team and set a customer-rated target "
                    "(the customers' share of 9-10), not an internal one."
                    if kind == "problem"
                    else None
                ),
            )
        )
    nps = rc.nps_estimate
    if nps is not None:
        question = labels.question(rc.nps.items[0].question_id) if rc.nps and rc.nps.items else ""
        about = f' ("{question}")' if question else ""
        found.append(
            Finding(
                "headline",
                "customer-nps",
                f"Customer NPS{about}: {est(nps, 1)}.",
                (Evidence("customer NPS, points from -100 to +100", nps),),
                lead=not found,
            )
        )
    return found


def _ci(share: Estimate) -> str:
    if share.low is None or share.high is None:
        return f"n={share.n:,}"
    return f"{share.confidence:.0%} CI {share.low:.0%} to {share.high:.0%}, n={share.n:,}"


def _gap(rc: RealityCheck) -> list[Finding]:
    if rc.gap is None:
        return []
    labels = rc.labels
    found: list[Finding] = []
    over = [
        r
        for r in rc.gap.over_estimated
        if r.gap.low is not None
        and r.gap.low > 0
        and not r.staff_mean.insufficient
        and not r.customer_mean.insufficient
    ]
    if over:
        top = over[0]
        owner = labels.owners.get(top.touchpoint or "")
        where = f" ({labels.touchpoint(top.touchpoint)})" if top.touchpoint else ""
        text = (
            f'Staff over-estimate "{top.text or labels.question(top.question_id)}"{where} most: '
            f"they predict {number(top.staff_mean.value or 0.0, 2)} on average, customers say "
            f"{number(top.customer_mean.value or 0.0, 2)}: a gap of "
            f"{est(top.gap, 2, unit=' points')}, {p_text(top.p_value)}."
        )
        found.append(
            Finding(
                "gap",
                "largest-blind-spot",
                text,
                (
                    Evidence("staff prediction (mean)", top.staff_mean),
                    Evidence("customer answer (mean)", top.customer_mean),
                    Evidence("gap, scale points", top.gap, "Welch t-test", top.p_value),
                    Evidence("gap in standard deviations (Hedges' g)", top.hedges_g),
                ),
                lead=True,
                kind="problem",
                importance=0.9,
                owner=owner,
                action=(
                    f"Have the {owner or 'owning'} team read what customers say about "
                    f"{labels.touchpoint(top.touchpoint) or 'this item'} and re-rate it against "
                    "the customers' score, not their own."
                ),
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
                + "; ".join(
                    f'"{r.text or labels.question(r.question_id)}": '
                    f"{signed(r.gap, 2, 1.0, ' points')}"
                    for r in under
                )
                + ".",
                tuple(
                    Evidence(f"gap: {labels.question(r.question_id)}", r.gap, "Welch t", r.p_value)
                    for r in under
                ),
                kind="strength",
                importance=0.3,
            )
        )
    return found


def _audit(rc: RealityCheck) -> list[Finding]:
    a = rc.audit
    if a is None or not a.items:
        return []
    labels = rc.labels
    counts = ", ".join(f"{n} {v}" for v, n in sorted(a.verdict_counts().items()))
    found = [
        Finding(
            "audit", "verdict-counts", f"{len(a.items)} questions audited: {counts}.", lead=True
        )
    ]
    for b in a.blocks:
        if b.alpha.value is not None and b.alpha.value < ALPHA_ACCEPTABLE:
            tp = block_touchpoint(b.block)
            owner = labels.owners.get(tp or "")
            found.append(
                Finding(
                    "audit",
                    "low-reliability",
                    f"{block_name(b.block, labels)[:1].upper()}{block_name(b.block, labels)[1:]} "
                    f"do not measure one thing: Cronbach's alpha {est(b.alpha, 2)} is below "
                    f"{ALPHA_ACCEPTABLE}; report them one by one, do not add them into one score.",
                    (
                        Evidence(
                            f"Cronbach's alpha, {block_name(b.block, labels)}", b.alpha, "Feldt"
                        ),
                    ),
                    kind="caveat",
                    importance=0.5 - 0.1 * max(0.0, b.alpha.value),
                    owner="the survey owner (CX research)",
                    action=(
                        f"Report {block_name(b.block, labels)} item by item"
                        + (f" to {owner}" if owner else "")
                        + "; rewrite or drop the questions that do not belong together."
                    ),
                )
            )
    weak = [
        i
        for i in a.items
        if i.verdict == "discriminating"
        and i.auc_retention is not None
        and i.auc_retention.low is not None
        and i.auc_retention.high is not None
        and i.auc_retention.low <= 0.5 <= i.auc_retention.high
    ]
    if weak:
        shown = [
            f'"{i.text or labels.question(i.question_id)}" (AUC {est_range(i.auc_retention, 2)})'
            for i in weak[:4]
            if i.auc_retention is not None
        ]
        names = "; ".join(shown) + (f"; and {len(weak) - 4} more" if len(weak) > 4 else "")
        found.append(
            Finding(
                "audit",
                "non-discriminating",
                f"{len(weak)} of the questions that correlate with the score do not tell "
                "customers who stayed from those who left better than a coin toss (AUC "
                f"interval contains 0.5): {names}.",
                tuple(
                    Evidence(f"retention AUC: {labels.question(i.question_id)}", i.auc_retention)
                    for i in weak
                    if i.auc_retention is not None
                ),
                kind="caveat",
                importance=0.35,
                owner="the survey owner (CX research)",
                action="Do not use these questions as early warnings of churn.",
            )
        )
    if a.hospitality_heavy:
        found.append(
            Finding(
                "audit",
                "hospitality-heavy",
                "The survey mostly measures the hospitality baseline (most questions are on the "
                "hospitality layer): it cannot show what makes the experience memorable.",
                kind="caveat",
                importance=0.4,
                owner="the survey owner (CX research)",
                action="Add questions on service (speed, problems fixed) and experience.",
            )
        )
    return found


def _drivers(rc: RealityCheck) -> list[Finding]:
    d = rc.drivers
    if d is None or not d.ranked or d.r2.insufficient:
        return []
    top = d.ranked[0]
    if top.normalised.insufficient:
        return []
    labels = rc.labels
    owner = labels.owner_of_question(top.question_id)
    outcome = labels.question(d.outcome)
    outcome = "the likelihood to recommend" if d.outcome == "nps" or not outcome else outcome
    return [
        Finding(
            "drivers",
            "top-driver",
            f'"{top.text or labels.question(top.question_id)}" matters most: it accounts for '
            f"{pct(top.normalised)} of what the survey explains of {outcome} "
            f"(the questions together explain {d.r2.value:.0%} of its differences, R²).",
            (
                Evidence(
                    "share of explained variance (Shapley/LMG)",
                    top.normalised,
                    "bootstrap",
                    unit="%",
                ),
                Evidence("R² of all questions together", d.r2),
            ),
            lead=True,
            kind="problem" if top.quadrant == "concentrate here" else "fact",
            importance=0.7,
            owner=owner,
            action=(
                f"Make it the {owner or 'owning'} team's first improvement target and track "
                "its customer score each wave."
            ),
        )
    ]


def _behaviour(rc: RealityCheck, alpha: float) -> list[Finding]:
    if rc.behaviour is None:
        return []
    return list(behaviour_findings(rc.behaviour, rc.labels, 1 - alpha))


def behaviour_findings(
    b: BehaviourResult, labels: Labels, confidence: float = 0.95
) -> tuple[Finding, ...]:
    """The findings of the stated vs revealed loyalty section, from its result: the same
    sentences the report prints (``realitygap behaviour`` prints them too)."""
    alpha = 1 - confidence
    months = f"{b.windows.horizon_months:g} months"
    found: list[Finding] = []
    promoters = next((s for s in b.survival if s.group == "promoter"), None)
    if promoters is not None:
        stopped = stopped_buying(promoters.retention)
        definition = (
            f"stopped buying = cancelled within {months} of answering, the event of the "
            "Kaplan-Meier retention curve beside it"
        )
        if stopped.insufficient:
            text = (
                f"Promoters who stopped buying within {months}: insufficient data ({definition})."
            )
        else:
            text = (
                f"{pct(stopped, 1)} of your promoters stopped buying within {months} "
                f"({definition})."
            )
        found.append(
            Finding(
                "behaviour",
                "promoters-stopped",
                text,
                (
                    Evidence(
                        "promoters who cancelled (1 - Kaplan-Meier retention)", stopped, unit="%"
                    ),
                    Evidence("Kaplan-Meier retention of promoters", promoters.retention, unit="%"),
                ),
                lead=True,
                kind="problem" if (stopped.low or 0.0) > 0.05 else "fact",
                importance=0.65,
                owner="customer service",
                action="Call the promoters who stopped buying: ask what changed.",
            )
        )
    silent = b.promoters_silent
    if not silent.insufficient:
        # the whole list's count and value (``silent`` holds only its top rows)
        found.append(
            Finding(
                "behaviour",
                "promoters-silent",
                f"{pct(silent)} of promoters cancelled or cut their buying by more than "
                f"{b.windows.decline:.0%} against the {months} before answering: "
                f"{b.silent_count:,} customers "
                f"who said they would recommend you, value at risk "
                f"{labels.money(b.silent_value)} a year.",
                (Evidence("promoters who churned or cut buying", silent, unit="%"),),
                lead=promoters is None,
                kind="problem" if (silent.low or 0.0) > 0.05 else "fact",
                importance=0.75,
                owner="customer service",
                action=(
                    "Open follow-up cases for the silent-attrition list, largest value at "
                    "risk first (the command: realitygap cases open)."
                ),
            )
        )
    groups = {s.group: s for s in b.survival}
    pro, det = groups.get("promoter"), groups.get("detractor")
    if pro is not None and det is not None and b.logrank_p is not None:
        pair = f"promoters {pct(pro.retention, 1)}, detractors {pct(det.retention, 1)}"
        if b.logrank_p < alpha and not pro.retention.insufficient:
            text = (
                f"Retention at {months} differs by what customers said: {pair} "
                f"(log-rank {p_text(b.logrank_p)})."
            )
        else:
            text = (
                f"No detectable difference in retention between NPS groups at {months}: "
                f"{pair} (log-rank {p_text(b.logrank_p)}); what customers say does not yet "
                "show in whether they cancel."
            )
        found.append(
            Finding(
                "behaviour",
                "retention-by-group",
                text,
                (
                    Evidence("Kaplan-Meier retention, promoters", pro.retention, unit="%"),
                    Evidence("Kaplan-Meier retention, detractors", det.retention, unit="%"),
                    Evidence("equal survival of all groups", None, "log-rank", b.logrank_p),
                ),
            )
        )
    return tuple(found)


def stopped_buying(retention: Estimate) -> Estimate:
    """1 - Kaplan-Meier retention at the horizon, with the interval mirrored: the share who
    cancelled, defined exactly as the curve's event."""
    if retention.value is None:
        return Estimate.insufficient_data(retention.n, "1 - Kaplan-Meier", retention.confidence)
    return Estimate(
        1 - retention.value,
        None if retention.high is None else 1 - retention.high,
        None if retention.low is None else 1 - retention.low,
        retention.n,
        "1 - Kaplan-Meier retention",
        retention.confidence,
    )


def theme_role(theme: Theme, min_n: int) -> str:
    """What the report may say of a theme: ``complaint`` (sentiment interval below zero),
    ``praise`` (above ``PRAISE_SENTIMENT``), ``mixed``; ``too few documents`` below
    ``min_n``."""
    if theme.documents < min_n or theme.sentiment.insufficient:
        return "too few documents"
    if theme.sentiment.high is not None and theme.sentiment.high < 0:
        return "complaint"
    # praise needs both measures: its clauses read positive (lexicon) and most of its
    # documents praise rather than complain (the document sentiment model)
    praised = theme.praise_share is not None and theme.praise_share > 0.5
    if theme.sentiment.low is not None and theme.sentiment.low > PRAISE_SENTIMENT and praised:
        return "praise"
    return "mixed"


def theme_impact_shown(theme: Theme, min_n: int) -> bool:
    """An NPS impact is shown only for a complaint with enough documents and answers."""
    return (
        theme_role(theme, min_n) == "complaint"
        and not theme.nps_impact.insufficient
        and theme.nps_impact.n >= min_n
    )


def _themes(rc: RealityCheck) -> list[Finding]:
    t = rc.themes
    if t is None or not t.themes:
        return []
    complaints = [
        th
        for th in t.themes
        if theme_impact_shown(th, rc.min_n)
        and th.nps_impact.low is not None
        and th.nps_impact.low > 0
    ]
    found = [
        Finding(
            "text",
            "theme-count",
            f"{len(t.themes)} themes in {t.documents:,} comments, reviews and tickets.",
            (Evidence("NPS the impacts are measured against", t.nps),),
            lead=True,
        )
    ]
    if complaints:
        worst = max(complaints, key=lambda th: th.nps_impact.value or 0.0)
        found.append(
            Finding(
                "text",
                "theme-to-fix",
                f"The complaint worth most: \u201c{worst.label}\u201d ({worst.documents:,} "
                f"documents). If the detractors who raise it had been passives, NPS would be "
                f"{est(worst.nps_impact, 1)} points higher.",
                (
                    Evidence(f"sentiment of \u201c{worst.label}\u201d (-1 to +1)", worst.sentiment),
                    Evidence(f"NPS impact of \u201c{worst.label}\u201d, points", worst.nps_impact),
                ),
                kind="problem",
                importance=0.85,
                owner="the CX lead (to name the team that owns the cause)",
                action=(
                    f"Read the quotes on \u201c{worst.label}\u201d and name one team to fix its "
                    "cause; track the theme's share of comments each month."
                ),
            )
        )
    praise = [th for th in t.themes if theme_role(th, rc.min_n) == "praise"]
    if praise:
        best = max(praise, key=lambda th: th.documents)
        found.append(
            Finding(
                "text",
                "theme-strength",
                f"What customers praise most: \u201c{best.label}\u201d ({best.documents:,} "
                f"documents, sentiment {est(best.sentiment, 2)}): a strength to keep, not a "
                "problem to fix.",
                (Evidence(f"sentiment of \u201c{best.label}\u201d (-1 to +1)", best.sentiment),),
                kind="strength",
                importance=0.3,
                action="Keep doing it, and tell the staff who deliver it.",
            )
        )
    return found


def _kano(rc: RealityCheck) -> list[Finding]:
    return [] if rc.kano is None else list(kano_findings(rc.kano))


def kano_findings(k: KanoResult) -> tuple[Finding, ...]:
    """The findings of the Kano section, from its result: the same sentences the report
    prints (``realitygap kano`` prints them too)."""
    if not k.features:
        return ()
    alarms = [a for a in k.drift if a.alarm]
    if not alarms:
        return (
            Finding(
                "kano",
                "no-kano-alarm",
                "No delighter is turning into a basic expectation across the waves.",
                lead=True,
            ),
        )
    out = []
    for i, a in enumerate(alarms):
        # the wave it was first a delighter in (the drift test compares that wave with the last)
        first_wave, first_cat = next(((w, c) for w, c in a.path if c == "A"), a.path[0])
        last_wave, last_cat = a.path[-1]
        name = feature_name(a.feature)

        def delighted(wave: str, feature: str = a.feature) -> Estimate | None:
            """The feature's delighted (A) share in one wave, with n and its interval."""
            f = next((f for f in k.by_wave if f.feature == feature and f.wave == wave), None)
            if f is None:
                return None
            return wilson_estimate(f.counts.get("A", 0), f.n, k.min_n, "Wilson", k.confidence)

        share = "" if a.attractive_first is None else f" ({a.attractive_first:.0%} delighted)"
        now = "" if a.attractive_last is None else f" (delighted {a.attractive_last:.0%}"
        if now and a.must_be_last is not None:
            now += f", expect it {a.must_be_last:.0%}"
        now += ")" if now else ""
        out.append(
            Finding(
                "kano",
                "kano-alarm",
                f"{name} was {_a(kano_name(first_cat))} in {first_wave}{share}; by {last_wave} "
                f"it is {_a(kano_name(last_cat))}{now}, Holm-adjusted "
                f"{p_text(a.p_attractive_change_holm)}. Today's pleasant surprise is "
                "tomorrow's expectation.",
                (
                    *(
                        Evidence(f"delighted share of {name}, {w}", e, "Wilson", unit="%")
                        for w, e in (
                            (first_wave, delighted(first_wave)),
                            (last_wave, delighted(last_wave)),
                        )
                        if e is not None
                    ),
                    Evidence(
                        f"delighted share of {name}, first vs last wave",
                        None,
                        "two-proportion z-test, Holm",
                        a.p_attractive_change_holm,
                    ),
                ),
                lead=i == 0,
                kind="problem",
                importance=0.8 - 0.01 * i,
                owner="product management",
                action=(
                    f"Treat {name.lower()} as a basic promise (keep it reliable) and look for "
                    "the next delighter."
                ),
            )
        )
    return tuple(out)


def _recovery(rc: RealityCheck, alpha: float) -> list[Finding]:
    r = rc.recovery
    if r is None:
        return []
    groups = {g.group: g for g in r.groups}
    rec, unrec = groups.get("recovered"), groups.get("not recovered")
    never = groups.get("never had a problem")
    found: list[Finding] = []
    paradox = r.nps_recovered_vs_never
    small = [
        name
        for name, g in (("recovered", rec), ("never had a problem", never))
        if g is None or g.nps.insufficient
    ]
    if paradox is None or small:
        text = (
            f"Too few NPS answers from {' and '.join(small) or 'the recovery groups'} "
            f"customers (minimum {rc.min_n}) to say whether recovering a problem restores "
            "loyalty."
        )
        kind = "caveat"
    elif paradox.p_value < alpha and paradox.value > 0:
        text = (
            "Recovery paradox: customers whose problem was recovered are more loyal than "
            f"those who never had one (NPS {number(paradox.value, 1)} points higher, CI "
            f"{number(paradox.low, 1)} to {number(paradox.high, 1)}, {p_text(paradox.p_value)})."
        )
        kind = "strength"
    elif paradox.p_value < alpha:
        text = (
            "No recovery paradox: customers whose problem was recovered are less loyal than "
            f"those who never had one (NPS {number(-paradox.value, 1)} points lower, CI "
            f"{number(-paradox.high, 1)} to {number(-paradox.low, 1)} lower, "
            f"{p_text(paradox.p_value)}): recovering a problem does not make up for it."
        )
        kind = "fact"
    else:
        text = (
            "No detectable difference in NPS between recovered customers and those who never "
            f"had a problem ({number(paradox.value, 1)} points, CI {number(paradox.low, 1)} to "
            f"{number(paradox.high, 1)}, {p_text(paradox.p_value)}): the data neither show nor "
            "rule out a recovery paradox."
        )
        kind = "fact"
    found.append(
        Finding("recovery", "recovery-paradox", text, lead=True, kind=kind, importance=0.2)
    )
    pays = r.retention_recovered_vs_not
    enough = all(g is not None and g.customers >= rc.min_n for g in (rec, unrec))
    if pays is not None and enough:
        span = (
            f"{number(100 * pays.value, 1)} percentage points (CI {number(100 * pays.low, 1)} "
            f"to {number(100 * pays.high, 1)}, {p_text(pays.p_value)})"
        )
        if pays.p_value < alpha and pays.low > 0:
            text = f"Recovering a problem keeps more customers: {span}."
            kind, importance = "strength", 0.45
        elif pays.p_value < alpha and pays.high < 0:
            text = f"Recovered customers stayed less often than unrecovered ones: {span}."
            kind, importance = "fact", 0.2
        else:
            text = (
                "No detectable difference in retention between recovered and unrecovered "
                f"customers: {span}."
            )
            kind, importance = "fact", 0.0
        found.append(
            Finding(
                "recovery",
                "recovery-pays",
                text,
                (Evidence("retention, recovered - not recovered", None, "Newcombe", pays.p_value),),
                kind=kind,
                importance=importance,
            )
        )
    s = r.service
    share = s.contacted_in_time
    if share.insufficient:
        text = f"Service level: too few cases with a due date that could be met ({share.n})."
        kind = "fact"
    else:
        text = (
            f"Cases first contacted by their due date: {pct(share)} of the {share.n:,} cases "
            f"whose due date could be met; {s.open_overdue:,} open cases are overdue."
        )
        kind = "problem" if (share.value or 0.0) < SERVICE_TARGET else "strength"
    found.append(
        Finding(
            "recovery",
            "service-level",
            text,
            (Evidence("first contact by the due date", share, "Wilson", unit="%"),),
            kind=kind,
            importance=0.55 if kind == "problem" else 0.1,
            owner="customer service" if kind == "problem" else None,
            action=(
                "Assign every open case an owner today and contact the overdue ones first."
                if kind == "problem"
                else None
            ),
        )
    )
    return found


def _listening(rc: RealityCheck) -> list[Finding]:
    lst = rc.listening
    if lst is None or not lst.groups:
        return []
    roles = {g.group: g for g in lst.groups if g.dimension == "role"}
    execs = roles.get("executive")
    rarely = execs is not None and execs.heard_30d.high is not None and execs.heard_30d.high < 0.5
    order: list[str] = [r for r in ("executive", "manager", "frontline") if r in roles]
    order += sorted(set(roles) - set(order))
    text = "Heard a customer directly in the last 30 days: " + "; ".join(
        f"{_PLURAL.get(r, r)} {pct(roles[r].heard_30d)}" for r in order
    )
    bands = {b.band: b.error for b in lst.bands}
    none, many = bands.get("none"), bands.get("3+")
    # the difference is stated only when the two intervals do not overlap
    if (
        none is not None
        and many is not None
        and none.value is not None
        and many.value is not None
        and none.low is not None
        and many.high is not None
        and many.high < none.low
    ):
        text += (
            f". Staff who never hear customers misjudge them by {number(none.value, 2)} "
            f"scale points on average, those who hear them 3 or more times by "
            f"{number(many.value, 2)}"
        )
    return [
        Finding(
            "listening",
            "who-listens",
            text + ".",
            (
                Evidence(
                    "Spearman correlation of contacts with prediction error",
                    lst.contact_error_spearman,
                ),
            ),
            lead=True,
            kind="problem" if rarely else "fact",
            importance=0.6 if rarely else 0.0,
            owner="the leadership team" if rarely else None,
            action=(
                "Each executive hears two customers a month directly (calls, visits, reading "
                "tickets), logged as contacts."
                if rarely
                else None
            ),
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
        g = c.gap
        significant = c.gap_p is not None and c.gap_p < alpha and g.value is not None
        if significant and (g.value or 0.0) > 0:
            said = f"staff over-estimate it by {est(g, 1, unit=' points')}"
        elif significant:
            said = f"staff under-estimate it ({est(g, 1, unit=' points')})"
        else:
            said = f"no detectable gap ({est(g, 1, unit=' points')})"
        parts.append(
            f"{c.name} ({readable(c.stage)}): customers score it {of_100(c.score)}; {said}"
        )
    # the lead stays a headline (names and owners only); the figures follow in the next one
    lead = (
        "Where to act first on the journey: "
        + "; ".join(f"{c.name} (owner: {readable(c.owner)})" for c in top)
        + "."
    )
    evidence = tuple(
        e
        for c in top
        for e in (
            Evidence(f"customer score of {c.name}, % of scale", c.score),
            Evidence(f"gap of {c.name}, points of the scale", c.gap, "Welch t", c.gap_p),
        )
    )
    return [
        Finding("journey", "journey-priorities", lead, evidence, lead=True),
        Finding("journey", "journey-figures", ". ".join(parts) + ".", evidence),
    ]


def of_100(e: Estimate) -> str:
    """A score on 0-100: ``51.4 of 100 (95% CI 49.7 to 53.1, n=859)``."""
    if e.value is None:
        return f"insufficient data (n={e.n:,})"
    if e.low is None or e.high is None:
        return f"{number(e.value, 1)} of 100 (n={e.n:,})"
    return (
        f"{number(e.value, 1)} of 100 ({e.confidence:.0%} CI {number(e.low, 1)} to "
        f"{number(e.high, 1)}, n={e.n:,})"
    )


def signed(e: Estimate, digits: int, scale: float, unit: str) -> str:
    """A difference with its sign and unit first: ``+2.7 percentage points (95% CI 1.7 to
    3.7, n=23,218)``."""
    if e.value is None:
        return f"insufficient data (n={e.n:,})"
    v = number(e.value * scale, digits)
    v = v if v.startswith("-") else "+" + v
    if e.low is None or e.high is None:
        return f"{v}{unit} (n={e.n:,})"
    lo, hi = number(e.low * scale, digits), number(e.high * scale, digits)
    return f"{v}{unit} ({e.confidence:.0%} CI {lo} to {hi}, n={e.n:,})"


def moment_name(moment: str) -> str:
    """``birthday_surprise`` -> ``Birthday surprise``."""
    return feature_name(moment)


_OUTCOMES = {  # wow outcome -> (words, scale, unit)
    "repeat_purchase": ("repeat purchase", 100.0, " percentage points"),
    "retention": ("retention", 100.0, " percentage points"),
    "nps": ("NPS", 1.0, " points"),
}


def _wow(rc: RealityCheck) -> list[Finding]:
    """Per wow moment: its reach, and a lift asserted only when its test, Holm-adjusted over
    every moment and outcome, rejects "no lift"; fading said only when the Holm-adjusted slope
    test rejects "no trend". The lead names the moments with and without a detectable lift."""
    from realitygap.analysis._stats import holm

    w = rc.wow
    if w is None:
        return []
    if not w.moments:
        return _wow_in_text(w, lead=True)
    alpha = 1 - rc.confidence
    keys = [(m.name, x.outcome) for m in w.moments for x in m.lifts]
    raw = [np.nan if x.p_value is None else x.p_value for m in w.moments for x in m.lifts]
    adjusted = dict(zip(keys, holm(np.array(raw, dtype=float)), strict=True))
    found: list[Finding] = []
    more: list[str] = []
    less: list[str] = []
    none: list[str] = []
    for m in w.moments:
        bits = []
        name = moment_name(m.name)
        evidence = [Evidence(f"reach of {name}", m.reach, unit="%")]
        direction = set()
        for x in m.lifts:
            label, scale, unit = _OUTCOMES.get(x.outcome, (readable(x.outcome), 1.0, ""))
            p_holm = adjusted[(m.name, x.outcome)]
            evidence.append(
                Evidence(f"lift of {name} on {label}", x.lift, "z, stratified, Holm", p_holm)
            )
            if x.lift.value is None:
                continue
            if np.isfinite(p_holm) and p_holm < alpha:
                bits.append(f"{label} {signed(x.lift, 1, scale, unit)}")
                direction.add(x.lift.value > 0)
            else:
                bits.append(f"no detectable lift on {label}: {signed(x.lift, 1, scale, unit)}")
        (more if True in direction else less if False in direction else none).append(name)
        text = f"{name} reached {pct(m.reach)} of customers. Against comparable customers: "
        text += "; ".join(bits) + "." if bits else "too few customers to weigh its lift."
        fading = [f for f in m.fades if f.fading]
        if fading:
            text += (
                " Its lift fades as it becomes expected ("
                + ", ".join(
                    f"{_OUTCOMES.get(f.outcome, (readable(f.outcome),))[0]} "
                    f"{est(f.slope, 2, 1 if f.outcome == 'nps' else 100)} points per month"
                    for f in fading
                )
                + ")."
            )
            for f in fading:
                label = _OUTCOMES.get(f.outcome, (readable(f.outcome),))[0]
                evidence.append(
                    Evidence(
                        f"change in the lift of {name} on {label} per month",
                        f.slope,
                        "WLS on the month, clustered z, Holm",
                        f.p_holm,
                    )
                )
        found.append(Finding("wow", "wow-reach-lift", text, tuple(evidence)))
    said = []
    if more:
        said.append(f"{_and(more)} {'goes' if len(more) == 1 else 'go'} with more loyalty")
    if less:
        said.append(f"{_and(less)} {'goes' if len(less) == 1 else 'go'} with less")
    if none:
        said.append(f"no detectable lift from {_and(none)}")
    lead = "Wow moments against comparable customers: " + "; ".join(said) + "."
    found.insert(
        0,
        Finding(
            "wow",
            "wow-lead",
            lead[:1].upper() + lead[1:],
            tuple(e for f in found for e in f.evidence),
            lead=True,
        ),
    )
    found.append(
        Finding(
            "wow",
            "wow-association",
            "Lift compares customers who met a moment with customers of the same month, "
            f"{', '.join(readable(b) for b in w.balance) or 'month'} and prior purchases who "
            "had not: an association that weighting cannot clear of unmeasured differences.",
        )
    )
    found.extend(_wow_in_text(w, lead=False))
    return found


def _wow_in_text(w: WowResult, *, lead: bool) -> list[Finding]:
    """The moments customers tell of in text, with their text reach; the section's lead when
    no moment is recorded as an event."""
    told = [t for t in w.text_moments if any(e.value is not None for _, e in t.by_source)]
    if not told:
        return []
    # the three moments most told of, each with the source where the most wrote of it
    bits, evidence = [], []
    for t in told[:3]:
        src, e = max(
            ((s, e) for s, e in t.by_source if e.value is not None),
            key=lambda se: se[1].value or 0.0,
        )
        bits.append(
            f"\u201c{t.name}\u201d by {est(e, 0, 100, '%')} of customers who wrote {src} text"
        )
        evidence.append(Evidence(f"text reach of {t.name} ({src})", e))
    opening = (
        "No wow moment is recorded as an event, but customers tell of surprises in what they "
        "write: "
        if lead
        else "Customers also tell of surprises in what they write: "
    )
    return [
        Finding(
            "wow",
            "wow-in-text",
            opening
            + "; ".join(bits)
            + ". That counts who told of a moment, not who met it; no lift is estimated "
            "from text.",
            tuple(evidence),
            lead=lead,
        )
    ]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
            f"customers: each engagement point goes with {signed(s, 2, 1.0, ' NPS points')}, "
            f"{p_text(pr.slope_p)}; correlation r = {est(r, 2)}. "
            "An association across teams, not a cause."
        )
    else:
        text = (
            f"No detectable link between staff engagement and customer NPS across {r.n} "
            f"{pr.unit}s (slope {signed(s, 2, 1.0, ' NPS points')} per engagement point, "
            f"{p_text(pr.slope_p)}; r = {est(r, 2)})."
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
                f"{'less' if t.value < 0 else 'more'} loyal customers: r = {est(t, 2)}, an "
                "association, not a cause.",
                (evidence[2],),
            )
        )
    rr = pr.engagement_recovery
    if rr.value is not None and rr.low is not None and rr.high is not None:
        link = rr.high < 0 or rr.low > 0
        found.append(
            Finding(
                "people",
                "engagement-recovery",
                (
                    f"{pr.unit.capitalize()}s with more engaged staff recover "
                    f"{'more' if rr.value > 0 else 'fewer'} of their customers' problems "
                    f"(r {est(rr, 2)}); an association, not a cause."
                )
                if link
                else f"No detectable link between staff engagement and the share of "
                f"customers' problems recovered across {rr.n} {pr.unit}s (r {est(rr, 2)}).",
                (
                    Evidence(
                        f"Pearson r, engagement and recovery across {pr.unit}s", rr, "Fisher z"
                    ),
                ),
            )
        )
    return found


def _skills(rc: RealityCheck) -> list[Finding]:
    """Coaching priorities per unit and staff attitude among churned vs retained customers;
    always associations: a customer citing a miss may be unhappy for other reasons too."""
    sr = rc.skills
    if sr is None:
        return []
    found: list[Finding] = []
    measured = [r for r in sr.priorities() if r.priority.low is not None and r.priority.low > 0][:3]
    for i, r in enumerate(measured):
        skill = readable(r.skill).lower()
        text = (
            f"Coach {skill} in {sr.by} {r.unit}: {pct(r.missed, 1)} of its comments say staff "
            f"lacked it, and the NPS of those customers differs from the {sr.by}'s other "
            f"commenters' by {est(r.nps_impact, 1, unit=' points')}; impact x frequency, its "
            f"coaching priority, is {est(r.priority, 1, unit=' NPS points')}. An "
            "association, not a cause."
        )
        evidence = (
            Evidence(f"comments missing {skill}, {sr.by} {r.unit}", r.missed, "Wilson", None, "%"),
            Evidence("NPS points, commenters citing the miss minus the others", r.nps_impact,
                     "two-sample Wald"),
            Evidence("coaching priority, NPS points (share x impact)", r.priority),
        )  # fmt: skip
        found.append(
            Finding(
                "skills",
                "skill-priority",
                text,
                evidence,
                lead=i == 0,
                kind="problem",
                importance=0.6 - 0.01 * i,
                owner=f"the manager of {sr.by} {r.unit}",
                action=f"coach {skill} in {sr.by} {r.unit} and re-measure next wave",
            )
        )
    if not measured:
        found.append(
            Finding(
                "skills",
                "no-skill-priority",
                f"No frontline skill is missed often enough to measure its cost in any {sr.by}"
                f" ({sr.staff_comments:,} of {sr.documents:,} comments are about staff).",
                lead=True,
            )
        )
    a = sr.attitude_churn
    ev = (
        Evidence("churned customers whose last comment cites staff attitude", a.churned,
                 "Wilson", None, "%"),
        Evidence("retained customers whose last comment cites staff attitude", a.retained,
                 "Wilson", None, "%"),
        Evidence("difference, churned minus retained", a.difference, "Newcombe", a.p_value,
                 " points"),
    )  # fmt: skip
    d = a.difference
    if d.value is None or d.low is None or d.high is None:
        text = (
            "Too few churned or retained customers with a survey comment to compare their "
            f"staff-attitude complaints (churned n={a.churned.n:,}, retained "
            f"n={a.retained.n:,})."
        )
        kind = "caveat"
    elif d.low > 0 or d.high < 0:
        text = (
            f"{pct(a.churned)} of customers who churned last wrote about a bad staff attitude, "
            f"against {pct(a.retained)} of those retained: "
            f"{'more' if d.value > 0 else 'fewer'} by {est(d, 0, 100, ' points')}."
        )
        kind = "problem" if d.value > 0 else "fact"
    else:
        text = (
            f"No detectable difference in staff-attitude complaints between churned "
            f"({pct(a.churned)}) and retained customers ({pct(a.retained)}): "
            f"{est(d, 0, 100, ' points')}."
        )
        kind = "fact"
    found.append(
        Finding(
            "skills", "attitude-churn", text, ev, kind=kind,
            importance=0.55 if kind == "problem" else 0.0,
            owner="frontline managers" if kind == "problem" else None,
            action="coach staff attitude with the teams whose customers leave"
            if kind == "problem" else None,
        )
    )  # fmt: skip
    return found
