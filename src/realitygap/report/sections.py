"""The sections of the Reality Check, in order. Each builder calls the same analysis functions
the CLI calls and turns their results into blocks, or says in one line why it is left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from realitygap.analysis._result import Estimate
from realitygap.analysis.audit import audit
from realitygap.analysis.behaviour import behaviour
from realitygap.analysis.drivers import drivers
from realitygap.analysis.fieldwork import response_rates
from realitygap.analysis.gap import GapResult, gap
from realitygap.analysis.kano import CATEGORIES, CATEGORY_NAMES, kano
from realitygap.analysis.listening import listening
from realitygap.analysis.metrics import metrics
from realitygap.analysis.recovery import recovery
from realitygap.analysis.senses import touchpoint_senses
from realitygap.analysis.text.themes import discover_themes
from realitygap.analysis.weighting import Raking
from realitygap.domain.errors import SurveyDataError
from realitygap.domain.privacy import redact
from realitygap.report import charts
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
from realitygap.store.workspace import Workspace


@dataclass
class Context:
    """What every builder can read: the workspace and what other sections found."""

    ws: Workspace
    methods: list[tuple[str, str]] = field(default_factory=list)  # (section, method)
    gap: GapResult | None = None
    weights: Raking | None = None  # customers raked to population margins (headline and gap)


Builder = Callable[[Context], Section | Omitted]


def fmt(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    return e.format(digits, scale, unit)


def headline_section(ctx: Context) -> Section | Omitted:
    title = "The headline: what you believe, what your customers say"
    result = gap(ctx.ws, by=["role", "department", "touchpoint", "layer"], weights=ctx.weights)
    ctx.gap = result
    if result.headline is None:
        return Omitted("headline", title, "no NPS question with a staff mirror question")
    h = result.headline
    blocks: list[Block] = [
        Headline(
            h.sentence(),
            "Bain & Company (2005), 362 firms: 80% believed they deliver a superior experience; "
            "their customers said 8% do. 'Superior' here means predicting or giving "
            f"{h.superior_from} or more on the {h.question_id} question.",
        )
    ]
    shares = pd.DataFrame(
        [
            {"who": f"{h.role} (predicting)", "share": fmt(h.staff_share, 0, 100, "%")},
            {"who": "customers (answering)", "share": fmt(h.customer_share, 0, 100, "%")},
            {"who": "difference, points", "share": fmt(h.difference, 0, 100)},
        ]
    )
    blocks.append(Table("Superior experience: belief and reality", shares))
    nps = metrics(ctx.ws, questions=[h.question_id], weights=ctx.weights)
    overall = [m for m in nps.items if m.metric == "nps"]
    if overall:
        blocks.append(Para(f"Customer NPS: {fmt(overall[0].estimate, 1)}."))
    ctx.methods.extend(("Headline and gap", m) for m in result.methods)
    ctx.methods.extend(("Metrics", m) for m in nps.methods)
    return Section("headline", title, tuple(blocks))


def gap_section(ctx: Context) -> Section | Omitted:
    title = "Perception vs reality"
    result = (
        ctx.gap
        if ctx.gap is not None
        else gap(ctx.ws, by=["role", "department"], weights=ctx.weights)
    )
    items = result.item_rows()
    if not items:
        return Omitted("gap", title, "no customer question has a staff mirror question")
    blocks: list[Block] = []
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
    if result.under_estimated:
        blocks.append(
            Para(
                "Staff under-estimate customers on: "
                + ", ".join(f"{r.question_id} ({r.gap.format(2)})" for r in result.under_estimated)
            )
        )
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
    return Section("gap", title, tuple(blocks))


def audit_section(ctx: Context) -> Section | Omitted:
    title = "Is the survey lying? The survey audit"
    result = audit(ctx.ws)
    if not result.items:
        return Omitted("audit", title, "no rated customer items to audit")
    counts = ", ".join(f"{n} {v}" for v, n in sorted(result.verdict_counts().items()))
    blocks: list[Block] = [Headline(f"{len(result.items)} items: {counts}")]
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
    ctx.methods.extend(("Survey audit", m) for m in result.methods)
    return Section("audit", title, tuple(blocks))


def drivers_section(ctx: Context) -> Section | Omitted:
    title = "What really drives loyalty"
    result = drivers(ctx.ws, missing="pairwise")
    if not result.drivers or result.r2.insufficient:
        return Omitted("drivers", title, "too few complete answers for a driver analysis")
    top = result.ranked[0]
    blocks: list[Block] = [
        Headline(
            f'{top.question_id} "{top.text}" explains {fmt(top.normalised, 0, 100, "%")} of '
            f"what the model explains of {result.outcome} (R² {fmt(result.r2, 2)})."
        )
    ]
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
    ctx.methods.extend(("Key drivers", m) for m in result.methods)
    return Section("drivers", title, tuple(blocks))


def behaviour_section(ctx: Context) -> Section | Omitted:
    title = "Stated vs revealed loyalty"
    try:
        result = behaviour(ctx.ws)
    except SurveyDataError as exc:
        return Omitted("behaviour", title, str(exc).splitlines()[-1].strip())
    if result.customers == 0:
        return Omitted("behaviour", title, "no purchase events to compare answers with")
    blocks: list[Block] = [Headline(result.headline)]
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
    ctx.methods.extend(("Behaviour", m) for m in result.methods)
    return Section("behaviour", title, tuple(blocks))


def text_section(ctx: Context) -> Section | Omitted:
    title = "What customers say"
    ws = ctx.ws
    if ws.count("documents") == 0:
        return Omitted("text", title, "no comments, reviews or tickets in this workspace")
    if ws.count("document_tags") == 0:
        return Omitted("text", title, "documents not tagged yet: run `realitygap text tag`")
    result = discover_themes(ws)
    blocks: list[Block] = []
    if result.themes:
        biggest = max(result.themes, key=lambda t: t.nps_impact.value or 0.0)
        blocks.append(
            Headline(
                f"{len(result.themes)} themes in {result.documents:,} documents. Fixing "
                f"'{biggest.label}' is worth {fmt(biggest.nps_impact, 1)} NPS points.",
                f"NPS {fmt(result.nps, 1)}; impact = NPS points gained if the detractors "
                "who raised the theme had been passives.",
            )
        )
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
            quotes = tuple(Quote(redact(q), meta=t.label) for q in t.quotes[:3])
            if quotes:
                blocks.append(Quotes(f"In their words: {t.label}", quotes))
    senses = touchpoint_senses(ws)
    if not senses.empty:
        blocks.append(
            Chart(
                "touchpoint-senses",
                "Documents mentioning each touchpoint and sense",
                charts.heatmap(senses, "sense", "touchpoint", "documents", "documents"),
            )
        )
        shown = senses.assign(negative=share_texts(senses, "negative_share", "documents"))[
            ["touchpoint", "sense", "documents", "negative"]
        ]
        blocks.append(Table("Touchpoints by sense: how often, and how negative", shown))
    ctx.methods.append(("Text", result.method))
    return Section("text", title, tuple(blocks))


def recovery_section(ctx: Context) -> Section | Omitted:
    title = "Closing the loop: service recovery"
    if ctx.ws.count("cases") == 0:
        return Omitted("recovery", title, "no follow-up cases recorded")
    result = recovery(ctx.ws)
    blocks: list[Block] = [Headline(result.verdict)]
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
    pays = result.retention_recovered_vs_not
    if pays is not None:
        blocks.append(
            Para(
                f"Recovering a problem keeps {100 * pays.value:+.1f} percentage points more "
                f"customers [{100 * pays.low:+.1f}, {100 * pays.high:+.1f}] (p = "
                f"{pays.p_value:.2g}) than leaving it unrecovered."
            )
        )
    s = result.service
    blocks.append(
        Para(
            f"Service level: {s.cases:,} cases; first contact by the due date "
            f"{fmt(s.contacted_in_time, 0, 100, '%')}; median hours to first contact "
            f"{_hours(s.median_hours_to_contact)}, to resolution "
            f"{_hours(s.median_hours_to_resolution)}; {s.open_overdue} open cases overdue."
        )
    )
    ctx.methods.extend(("Service recovery", m) for m in result.methods)
    return Section("recovery", title, tuple(blocks))


def _hours(h: float | None) -> str:
    return "–" if h is None else f"{h:.1f}"


def share_texts(
    frame: pd.DataFrame, value: str, n: str, *, low: str | None = None, high: str | None = None
) -> list[str]:
    """Percent-with-interval text for a share column and its ``_low``/``_high`` columns
    (NaN share = below the guardrail)."""
    stem = value.removesuffix("_share")
    low = low or f"{stem}_low"
    high = high or low.replace("_low", "_high")
    return [
        fmt(Estimate(v, lo, hi, int(k), ""), 0, 100, "%")
        if not pd.isna(v)
        else f"insufficient data (n={int(k)})"
        for v, lo, hi, k in zip(frame[value], frame[low], frame[high], frame[n], strict=True)
    ]


def kano_section(ctx: Context) -> Section | Omitted:
    title = "Expectations: Kano categories and drift"
    result = kano(ctx.ws)
    if not result.features:
        return Omitted("kano", title, "no Kano question pairs in this workspace")
    blocks: list[Block] = []
    if result.alarms:
        blocks.append(Headline(result.alarms[0].message))
        blocks.extend(Para(a.message) for a in result.alarms[1:])
    else:
        blocks.append(Para("No delighter is turning into a must-be across the waves."))
    rows = []
    for f in result.features:
        rows.append(
            {
                "feature": f.feature,
                "category": CATEGORY_NAMES[f.category] if f.category else "insufficient data",
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
                "category": CATEGORY_NAMES[c],
                "n": f.counts[c],
            }
            for f in result.by_wave
            for c in CATEGORIES
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
    ctx.methods.extend(("Kano", m) for m in result.methods)
    return Section("kano", title, tuple(blocks))


def listening_section(ctx: Context) -> Section | Omitted:
    title = "The listening audit"
    result = listening(ctx.ws)
    if not result.groups:
        return Omitted("listening", title, "no staff contacts with customers recorded")
    blocks: list[Block] = [Headline(result.headline())]
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
    ctx.methods.extend(("Listening", m) for m in result.methods)
    return Section("listening", title, tuple(blocks))


def methods_section(ctx: Context) -> Section:
    ws = ctx.ws
    counts = pd.DataFrame(
        [
            {"table": name, "rows": ws.count(name)}
            for name in ("respondents", "responses", "invitations", "documents", "events")
        ]
        + [{"table": name, "rows": ws.count(name)} for name in ("cases", "contacts")]
    )
    rates = response_rates(ws)
    rates = rates.assign(rate=share_texts(rates, "rate", "invited", low="rate_low"))[
        ["wave", "invited", "responded", "rate"]
    ]
    methods = pd.DataFrame(ctx.methods, columns=["section", "method and reference"])
    return Section(
        "methods",
        "Methods and data",
        (
            Para(
                "Every estimate shows its sample size n and a 95% interval. Results with fewer "
                "answers than the minimum n say 'insufficient data' instead of a number."
            ),
            Table("Data in this workspace", counts),
            Table("Response rate per wave (invited customers who answered)", rates),
            Para(weights_text(ctx.weights)),
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
)
