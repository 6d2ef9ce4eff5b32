"""The sections of the Reality Check, in order. Each builder renders one part of the composite
:class:`~realitygap.analysis.RealityCheck` into blocks: its findings as sentences, its results
as tables and charts, or one line saying why the section is left out. Builders never run an
analysis, pick an option or compose a claim of their own."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from realitygap.analysis import KANO_CATEGORIES, Estimate, Finding, Raking, RealityCheck
from realitygap.report import charts, sections_seeds
from realitygap.report.model import (
    Block,
    Chart,
    Headline,
    Omitted,
    Para,
    Quote,
    Quotes,
    Section,
    Table,
)

Builder = Callable[[RealityCheck], Section | Omitted]

TITLES = {
    "headline": "The headline: what you believe, what your customers say",
    "gap": "Perception vs reality",
    "audit": "Is the survey lying? The survey audit",
    "drivers": "What really drives loyalty",
    "behaviour": "Stated vs revealed loyalty",
    "text": "What customers say",
    "kano": "Expectations: Kano categories and drift",
    "recovery": "Closing the loop: service recovery",
    "listening": "The listening audit",
}
TITLES.update(sections_seeds.TITLES)  # the journey map, wow moments, staff and customers


def fmt(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    return e.format(digits, scale, unit)


def omitted(rc: RealityCheck, section: str) -> Omitted:
    return Omitted(section, TITLES[section], rc.omitted.get(section, "no data"))


def said(rc: RealityCheck, section: str, detail: str = "") -> list[Block]:
    """The section's findings: the lead as its headline, the others as paragraphs."""
    blocks: list[Block] = []
    for f in rc.findings_of(section):
        blocks.append(Headline(f.text, detail) if f.lead else Para(f.text))
    return blocks


def finding(rc: RealityCheck, rule: str) -> Finding | None:
    return next((f for f in rc.findings if f.rule == rule), None)


def headline_section(rc: RealityCheck) -> Section | Omitted:
    if rc.gap is None or rc.gap.headline is None:
        return omitted(rc, "headline")
    h = rc.gap.headline
    blocks = said(
        rc,
        "headline",
        "Bain & Company (2005), 362 firms: 80% believed they deliver a superior experience; "
        "their customers said 8% do. 'Superior' here means predicting or giving "
        f"{h.superior_from} or more on the {h.question_id} question.",
    )
    shares = pd.DataFrame(
        [
            {"who": f"{h.role} (predicting)", "share": fmt(h.staff_share, 0, 100, "%")},
            {"who": "customers (answering)", "share": fmt(h.customer_share, 0, 100, "%")},
            {"who": "difference, points", "share": fmt(h.difference, 0, 100)},
        ]
    )
    blocks.insert(1, Table("Superior experience: belief and reality", shares))
    return Section("headline", TITLES["headline"], tuple(blocks))


def gap_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.gap
    if result is None or not result.item_rows():
        return omitted(rc, "gap")
    items = result.item_rows()
    blocks = said(rc, "gap")
    frame = pd.DataFrame(
        [
            {
                "item": f"{r.question_id} {r.text or ''}".strip()[:60],
                "customers say": r.customer_mean.value,
                "staff predict": r.staff_mean.value,
            }
            for r in items
            if r.customer_mean.value is not None
            and r.staff_mean.value is not None
            and r.scale != "nps"
        ]
    )
    if not frame.empty:
        blocks.append(
            Chart(
                "gap-dumbbell",
                "Predicted vs actual, per item (mean answer)",
                charts.dumbbell(frame, "item", "customers say", "staff predict", "mean answer"),
            )
        )
    spots = pd.DataFrame(
        [
            {
                "item": r.question_id,
                "text": r.text,
                "touchpoint": r.touchpoint,
                "layer": r.layer,
                "staff": fmt(r.staff_mean, 2),
                "customers": fmt(r.customer_mean, 2),
                "gap": fmt(r.gap, 2),
                "% of scale": r.gap_pct,
                "Hedges' g": r.hedges_g.value,
            }
            for r in result.over_estimated
        ]
    )
    blocks.append(Table("Blind spots: items ranked by over-estimation", spots))
    for dim in ("touchpoint", "layer"):
        rows = [r for r in result.item_rows(dim) if r.gap.value is not None]
        if rows:
            blocks.append(
                Table(
                    f"Gap by {dim} (% of the scale range)",
                    pd.DataFrame(
                        [{dim: r.group, "gap": fmt(r.gap, 1), "p": r.p_value} for r in rows]
                    ),
                )
            )
    off = pd.DataFrame(
        [
            {"by": o.dimension, "group": o.group, "over-estimation, % of scale": fmt(o.offset, 1)}
            for o in result.furthest_off
        ]
    )
    if not off.empty:
        blocks.append(Table("Who is furthest off (roles and departments)", off))
    return Section("gap", TITLES["gap"], tuple(blocks))


def audit_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.audit
    if result is None:
        return omitted(rc, "audit")
    blocks = said(rc, "audit")
    frame = pd.DataFrame(
        [
            {
                "item": i.question_id,
                "text": i.text,
                "layer": i.layer,
                "n": i.n,
                "top score": i.top_score_share,
                "r with outcome": fmt(i.r_outcome, 2),
                "AUC retention": fmt(i.auc_retention, 2) if i.auc_retention else None,
                "verdict": i.verdict,
                "reason": i.reason,
            }
            for i in result.items
        ]
    )
    blocks.append(Table(f"Verdict per item (outcome: {result.outcome})", frame))
    layers = pd.DataFrame(
        [{"layer": k, "share of items": v} for k, v in result.layer_share.items()]
    )
    note = (
        "The instrument mostly measures the hospitality baseline."
        if result.hospitality_heavy
        else ""
    )
    blocks.append(Table("Layer coverage", layers, note))
    if result.blocks:
        blocks.append(
            Table(
                "Internal consistency per block (Cronbach's alpha, Feldt interval)",
                pd.DataFrame([{"block": b.block, "alpha": fmt(b.alpha, 2)} for b in result.blocks]),
            )
        )
    nr = result.nonresponse
    if nr is not None and not nr.by_segment.empty:
        blocks.append(Table("Response rate by segment", nr.by_segment))
        if nr.churn_respondents is not None and nr.churn_nonrespondents is not None:
            blocks.append(
                Para(
                    "Churn after the invitation: respondents "
                    f"{fmt(nr.churn_respondents, 1, 100, '%')}, non-respondents "
                    f"{fmt(nr.churn_nonrespondents, 1, 100, '%')}."
                )
            )
    return Section("audit", TITLES["audit"], tuple(blocks))


def drivers_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.drivers
    if result is None:
        return omitted(rc, "drivers")
    blocks = said(rc, "drivers")
    frame = pd.DataFrame(
        [
            {
                "item": d.question_id,
                "share": d.normalised.value,
                "low": d.normalised.low,
                "high": d.normalised.high,
            }
            for d in result.ranked
        ]
    )
    blocks.append(
        Chart(
            "drivers-importance",
            "Share of explained variance (Shapley/LMG) with bootstrap intervals",
            charts.interval_bars(frame, "item", "share", "low", "high", "share of R²"),
        )
    )
    quad = pd.DataFrame(
        [
            {"item": d.question_id, "importance": d.normalised.value, "performance": d.performance}
            for d in result.ranked
            if d.normalised.value is not None and d.performance is not None
        ]
    )
    if len(quad) >= 2:
        blocks.append(
            Chart(
                "drivers-quadrants",
                "Importance × performance",
                charts.quadrants(
                    quad, "importance", "performance", "item", "importance", "performance (%)"
                ),
            )
        )
    table = pd.DataFrame(
        [
            {
                "rank": d.rank,
                "item": d.question_id,
                "text": d.text,
                "importance": fmt(d.normalised, 1, 100, "%"),
                "quadrant": d.quadrant,
                "penalty": d.penalty,
                "reward": d.reward,
                "class (penalty-reward)": d.kind,
            }
            for d in result.ranked
        ]
    )
    blocks.append(Table("Drivers, quadrants and must-be vs delighter", table))
    if result.priority_gap is not None:
        pg = result.priority_gap
        blocks.append(
            Para(
                "Priority gap: Spearman correlation between leaders' stated priorities and "
                f"measured importance {fmt(pg.spearman, 2)} ({pg.respondents} staff ranked)."
            )
        )
    blocks.extend(Para(n) for n in result.notes)
    return Section("drivers", TITLES["drivers"], tuple(blocks))


def behaviour_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.behaviour
    if result is None:
        return omitted(rc, "behaviour")
    blocks = said(rc, "behaviour")
    blocks.append(Table("Stated (NPS group) × revealed (behaviour)", result.matrix))
    curves = pd.DataFrame(
        [{"days": t, "retention": v, "group": s.group} for s in result.survival for t, v in s.curve]
    )
    if not curves.empty:
        blocks.append(
            Chart(
                "retention-curves",
                "Kaplan-Meier retention by NPS group",
                charts.lines(
                    curves, "days", "retention", "group", "days after answering", "retained"
                ),
            )
        )
    km = pd.DataFrame(
        [
            {"group": s.group, "customers": s.customers, "retained": fmt(s.retention, 1, 100, "%")}
            for s in result.survival
        ]
    )
    p = "" if result.logrank_p is None else f"log-rank p = {result.logrank_p:.3g}"
    blocks.append(Table("Retention at the horizon", km, p))
    if result.cox is not None:
        blocks.append(
            Table("Cox regression of churn on each score (hazard ratio per point)", result.cox)
        )
    silent = result.silent.head(25)
    if not silent.empty:
        blocks.append(
            Table("Silent attrition: stated loyal, buying less (top 25 by value at risk)", silent)
        )
    blocks.extend(Para(n) for n in result.notes)
    return Section("behaviour", TITLES["behaviour"], tuple(blocks))


def text_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.themes
    if result is None:
        return omitted(rc, "text")
    blocks = said(
        rc,
        "text",
        f"NPS {fmt(result.nps, 1)}; impact = NPS points gained if the detractors who raised "
        "the theme had been passives.",
    )
    if result.themes:
        themes = pd.DataFrame(
            [
                {
                    "theme": t.label,
                    "documents": t.documents,
                    "share": t.share,
                    "sentiment": fmt(t.sentiment, 2),
                    "NPS impact (points)": fmt(t.nps_impact, 1),
                    "emerging": t.emerging,
                }
                for t in result.themes
            ]
        )
        blocks.append(Table("Themes", themes))
        for t in result.themes[:6]:
            # documents are redacted when they enter the workspace; quotes are stored text
            quotes = tuple(Quote(q, meta=t.label) for q in t.quotes[:3])
            if quotes:
                blocks.append(Quotes(f"In their words: {t.label}", quotes))
    senses = rc.senses
    if senses is not None and senses.pairs:
        frame = senses.to_frame()
        blocks.append(
            Chart(
                "touchpoint-senses",
                "Documents mentioning each touchpoint and sense",
                charts.heatmap(frame, "sense", "touchpoint", "documents", "documents"),
            )
        )
        shown = pd.DataFrame(
            [
                {
                    "touchpoint": p.touchpoint,
                    "sense": p.sense,
                    "documents": p.documents,
                    "negative": fmt(p.negative, 0, 100, "%"),
                }
                for p in senses.pairs
            ]
        )
        blocks.append(Table("Touchpoints by sense: how often, and how negative", shown))
    return Section("text", TITLES["text"], tuple(blocks))


def recovery_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.recovery
    if result is None:
        return omitted(rc, "recovery")
    lead, *others = said(rc, "recovery")
    blocks: list[Block] = [lead]
    groups = pd.DataFrame(
        [
            {
                "group": g.group,
                "customers": g.customers,
                "NPS": fmt(g.nps, 1),
                f"retained {result.horizon_days} days": fmt(g.retention, 1, 100, "%"),
            }
            for g in result.groups
        ]
    )
    blocks.append(Table("Loyalty after a problem", groups))
    blocks.extend(others)
    s = result.service
    blocks.append(
        Para(
            f"Service level: {s.cases:,} cases; first contact by the due date "
            f"{fmt(s.contacted_in_time, 0, 100, '%')}; median hours to first contact "
            f"{_hours(s.median_hours_to_contact)}, to resolution "
            f"{_hours(s.median_hours_to_resolution)}; {s.open_overdue} open cases overdue."
        )
    )
    return Section("recovery", TITLES["recovery"], tuple(blocks))


def _hours(h: float | None) -> str:
    return "–" if h is None else f"{h:.1f}"


def kano_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.kano
    if result is None:
        return omitted(rc, "kano")
    blocks = said(rc, "kano")
    rows = []
    for f in result.features:
        rows.append(
            {
                "feature": f.feature,
                "category": KANO_CATEGORIES[f.category] if f.category else "insufficient data",
                "n": f.n,
                "better": fmt(f.better, 2),
                "worse": fmt(f.worse, 2),
                "top two differ (Fong)": f.fong_significant,
            }
        )
    blocks.append(Table("Kano category per feature, all waves", pd.DataFrame(rows)))
    shares = pd.DataFrame(
        [
            {
                "feature · wave": f"{f.feature} · {f.wave}",
                "category": KANO_CATEGORIES[c],
                "n": f.counts[c],
            }
            for f in result.by_wave
            for c in KANO_CATEGORIES
            if f.counts[c] > 0
        ]
    )
    if not shares.empty:
        blocks.append(
            Chart(
                "kano-drift",
                "Kano category shares per feature and wave",
                charts.stacked_shares(shares, "feature · wave", "category", "n", "share"),
            )
        )
    drift = result.drift_frame()
    if not drift.empty:
        cols = ["feature", "path", "p_homogeneity", "attractive_first", "attractive_last"]
        blocks.append(Table("Category path across waves", drift[[*cols, "alarm"]]))
    mentioned = [t for t in result.text_trends if t.mentions > 0]
    if mentioned:
        trends = pd.DataFrame(
            [
                {
                    "feature": t.feature,
                    "mentions": t.mentions,
                    "positively surprised": fmt(t.surprised, 0, 100, "%"),
                    "trend p": t.p_value,
                    "wow fading": t.fading,
                }
                for t in mentioned
            ]
        )
        blocks.append(Table("What the text says: 'wow' mentions of each feature", trends))
    return Section("kano", TITLES["kano"], tuple(blocks))


def listening_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.listening
    if result is None:
        return omitted(rc, "listening")
    blocks = said(rc, "listening")
    frame = pd.DataFrame(
        [
            {
                "by": g.dimension,
                "group": g.group,
                "staff": g.staff,
                "heard a customer, 30 days": fmt(g.heard_30d, 0, 100, "%"),
                "heard a customer, 90 days": fmt(g.heard_90d, 0, 100, "%"),
                "contacts per person per 30 days": fmt(g.contacts_per_30d, 2),
            }
            for g in result.groups
        ]
    )
    blocks.append(Table("Who hears customers directly", frame))
    bands = pd.DataFrame(
        [
            {
                "contacts in 90 days": b.band,
                "error": b.error.value,
                "low": b.error.low,
                "high": b.error.high,
                "n": b.error.n,
            }
            for b in result.bands
        ]
    )
    if bands["error"].notna().any():
        blocks.append(
            Chart(
                "listening-error",
                "Prediction error (scale points) by how often staff hear customers",
                charts.interval_bars(
                    bands, "contacts in 90 days", "error", "low", "high", "mean |error|"
                ),
            )
        )
    blocks.append(
        Para(
            f"Spearman correlation of contacts with error: {fmt(result.contact_error_spearman, 2)}"
        )
    )
    return Section("listening", TITLES["listening"], tuple(blocks))


def methods_section(rc: RealityCheck) -> Section:
    counts = pd.DataFrame([{"table": name, "rows": n} for name, n in rc.data.items()])
    rates = pd.DataFrame(
        [
            {
                "wave": w.wave,
                "invited": w.invited,
                "responded": w.responded,
                "rate": fmt(w.rate, 0, 100, "%"),
            }
            for w in rc.fieldwork.waves
        ],
        columns=["wave", "invited", "responded", "rate"],
    )
    methods = pd.DataFrame([*rc.methods, *rc.choices], columns=["section", "method and reference"])
    return Section(
        "methods",
        "Methods and data",
        (
            Para(
                f"Every estimate shows its sample size n and a {rc.confidence:.0%} interval. "
                f"Results with fewer than {rc.min_n} answers say 'insufficient data' instead "
                "of a number."
            ),
            Table("Data in this workspace", counts),
            Table("Response rate per wave (invited customers who answered)", rates),
            Para(weights_text(rc.weighting)),
            Table("Methods", methods),
        ),
    )


def weights_text(raking: Raking | None) -> str:
    """What the report's estimates are weighted to, in one paragraph."""
    if raking is None:
        return (
            "Weights: none. The estimates in this report are unweighted; `realitygap report "
            "--weights margins.csv` rakes customers to population margins."
        )
    fit = "converged" if raking.converged else "did not converge"
    return (
        f"Weights: customers raked to population margins of {', '.join(raking.variables)} "
        f"(iterative proportional fitting, {raking.iterations} iterations, {fit}; largest "
        f"margin error {raking.max_error:.1e}). {raking.n} respondents weigh as "
        f"{raking.n_effective:.0f} (Kish effective n; design effect "
        f"{raking.design_effect:.2f}), and every weighted interval uses the effective n. "
        "Weighted: the headline, the NPS and the perception gap. The other sections describe "
        "the respondents as they are (correlations, survival, text, Kano, recovery)."
    )


BUILDERS: tuple[Builder, ...] = (
    headline_section,
    gap_section,
    audit_section,
    drivers_section,
    behaviour_section,
    text_section,
    kano_section,
    recovery_section,
    listening_section,
    sections_seeds.journey_section,
    sections_seeds.wow_section,
    sections_seeds.people_section,
)
