"""The sections of the Reality Check, in order. Each builder renders one part of the composite
:class:`~realitygap.analysis.RealityCheck` into blocks: its findings as sentences, its results
as tables and charts, or one line saying why the section is left out. Builders never run an
analysis, pick an option or compose a claim of their own."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from realitygap.analysis import Estimate, Finding, Raking, RealityCheck
from realitygap.analysis.findings import (
    GLOSSARY,
    block_name,
    est,
    executive_summary,
    feature_name,
    kano_name,
    number,
    p_text,
    theme_impact_shown,
    theme_role,
)
from realitygap.report import charts, sections_seeds, sections_skills
from realitygap.report.model import (
    Block,
    Chart,
    Fig,
    Headline,
    Omitted,
    P,
    Para,
    Point,
    Points,
    Quote,
    Quotes,
    Section,
    Table,
)

Builder = Callable[[RealityCheck], Section | Omitted]

TITLES = {
    "summary": "Executive summary",
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
TITLES.update(sections_skills.TITLES)  # frontline skills


# Short names for the spreadsheet's sheets (Excel allows 31 characters).
SHEETS = {
    "summary": "Summary",
    "headline": "Headline",
    "gap": "Gap",
    "audit": "Audit",
    "drivers": "Drivers",
    "behaviour": "Behaviour",
    "text": "Text",
    "kano": "Kano",
    "recovery": "Recovery",
    "listening": "Listening",
    "methods": "Methods",
}
ROLES = {"executive": "executives", "manager": "managers", "frontline": "frontline staff"}


def fmt(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    return est(e, digits, scale, unit)


def fig(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> Fig:
    return Fig(e, digits, scale, unit)


def pct(e: Estimate, digits: int = 0) -> Fig:
    return Fig(e, digits, 100, "%")


def section(sid: str, blocks: list[Block]) -> Section:
    """A section with its empty tables left out (the section's sentences say why)."""
    kept = tuple(b for b in blocks if not (isinstance(b, Table) and b.frame.empty))
    return Section(sid, TITLES[sid], kept, SHEETS[sid])


def note(*keys: str) -> Para:
    """The plain-language notes beside a statistic (see ``findings.GLOSSARY``)."""
    return Para("How to read it: " + " ".join(GLOSSARY[k] for k in keys))


def short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


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


def summary_section(rc: RealityCheck) -> Section | Omitted:
    """The one-page summary: the headline in Bain's form, then the findings that matter most,
    each with its evidence, the suggested owner and one next step."""
    lead = [f for f in rc.findings_of("headline") if f.rule in ("bain-headline", "customer-nps")]
    top = executive_summary(rc)
    if not lead and not top:
        return Omitted("summary", TITLES["summary"], "no finding in this workspace")
    blocks: list[Block] = []
    if lead:
        blocks.append(Headline(lead[0].text, " ".join(f.text for f in lead[1:])))
    if top:
        blocks.append(
            Points(
                "What matters most, and what to do next",
                tuple(
                    Point(
                        f.text,
                        tuple(str(e) for e in f.evidence if e.estimate is not None or e.p_value),
                        f.owner or "",
                        f.action or "",
                        f.kind,
                    )
                    for f in top
                ),
            )
        )
    blocks.append(
        Para("The rest of the report is the evidence behind these points. " + GLOSSARY["interval"])
    )
    return section("summary", blocks)


def headline_section(rc: RealityCheck) -> Section | Omitted:
    if rc.gap is None or rc.gap.headline is None:
        if not rc.findings_of("headline"):
            return omitted(rc, "headline")
        # no mirror survey: the customer NPS alone, and why the comparison is missing
        blocks = said(rc, "headline")
        blocks.append(Para(f"Belief against reality left out: {rc.omitted.get('headline', '')}."))
        return section("headline", blocks)
    h = rc.gap.headline
    blocks = said(
        rc,
        "headline",
        "Bain & Company (2005), 362 firms: 80% believed they deliver a superior experience; "
        "their customers said 8% do. 'Superior' here means predicting or giving "
        f'{h.superior_from} or more to "{rc.labels.question(h.question_id)}".',
    )
    shares = pd.DataFrame(
        [
            {"who": f"{ROLES.get(h.role, h.role)} (predicting)", "share": pct(h.staff_share)},
            {"who": "customers (answering)", "share": pct(h.customer_share)},
            {"who": "difference", "share": Fig(h.difference, 0, 100, " points")},
        ]
    )
    blocks.insert(1, Table("Superior experience: belief and reality", shares, sheet="shares"))
    return section("headline", blocks)


def _scale_range(scale: str | None) -> tuple[float, float] | None:
    return {"likert5": (1.0, 5.0), "likert7": (1.0, 7.0), "ces7": (1.0, 7.0)}.get(scale or "")


def gap_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.gap
    if result is None or not result.item_rows():
        return omitted(rc, "gap")
    labels = rc.labels
    items = result.item_rows()
    blocks = said(rc, "gap")
    by_scale: dict[tuple[float, float], list[dict[str, object]]] = {}
    for r in items:
        span = _scale_range(r.scale)
        if span is None or r.customer_mean.value is None or r.staff_mean.value is None:
            continue
        by_scale.setdefault(span, []).append(
            {
                "item": short(r.text or labels.question(r.question_id)),
                "customers say": r.customer_mean.value,
                "staff predict": r.staff_mean.value,
            }
        )
    for (lo, hi), answers in sorted(by_scale.items()):
        frame = pd.DataFrame(answers)
        blocks.append(
            Chart(
                f"gap-dumbbell-{int(hi)}",
                f"What staff predict (pink) against what customers answer (green), mean on the "
                f"{int(lo)}-{int(hi)} scale, per question",
                charts.dumbbell(
                    frame, "item", "customers say", "staff predict", "mean answer", (lo, hi)
                ),
                alt=f"Dumbbell chart of {len(frame)} questions; the axis runs the whole "
                f"{int(lo)}-{int(hi)} scale.",
            )
        )
    spots = pd.DataFrame(
        [
            {
                "question": r.text or labels.question(r.question_id),
                "touchpoint": labels.touchpoint(r.touchpoint),
                "layer": r.layer,
                "staff predict": fig(r.staff_mean, 2),
                "customers say": fig(r.customer_mean, 2),
                "gap (points)": fig(r.gap, 2),
                "gap, % of scale": r.gap_pct,
                "Hedges' g": fig(r.hedges_g, 2),
            }
            for r in result.over_estimated
        ]
    )
    blocks.append(Table("Blind spots: questions ranked by over-estimation", spots, sheet="items"))
    blocks.append(note("hedges_g"))
    for dim in ("touchpoint", "layer"):
        rows = [r for r in result.item_rows(dim) if r.gap.value is not None]
        if rows:
            name = labels.touchpoint if dim == "touchpoint" else (lambda g: g or "")
            blocks.append(
                Table(
                    f"Gap by {dim} (% of the scale range)",
                    pd.DataFrame(
                        [
                            {
                                dim: name(r.group),
                                "gap (% of scale)": fig(r.gap, 1),
                                "p": P(r.p_value),
                            }
                            for r in rows
                        ]
                    ),
                    sheet=f"by {dim}",
                )
            )
    off = pd.DataFrame(
        [
            {
                "by": o.dimension,
                "group": ROLES.get(o.group, o.group).replace("_", " "),
                "over-estimation (% of scale)": fig(o.offset, 1),
            }
            for o in result.furthest_off
        ]
    )
    blocks.append(Table("Who is furthest off (roles and departments)", off, sheet="who"))
    return section("gap", blocks)


def audit_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.audit
    if result is None:
        return omitted(rc, "audit")
    labels = rc.labels
    blocks = said(rc, "audit")
    frame = pd.DataFrame(
        [
            {
                "question": i.text or labels.question(i.question_id),
                "layer": i.layer,
                "n": i.n,
                "top score, %": None if i.top_score_share is None else 100 * i.top_score_share,
                "r with outcome": fig(i.r_outcome, 2),
                "AUC retention": fig(i.auc_retention, 2) if i.auc_retention else None,
                "verdict": i.verdict,
                "reason": i.reason,
            }
            for i in result.items
        ]
    )
    outcome = labels.question(result.outcome)
    blocks.append(Table(f'Verdict per question (outcome: "{outcome}")', frame, sheet="items"))
    blocks.append(note("auc"))
    layers = pd.DataFrame(
        [{"layer": k, "share of questions, %": 100 * v} for k, v in result.layer_share.items()]
    )
    blocks.append(Table("Layer coverage", layers, sheet="layers"))
    if result.blocks:
        blocks.append(
            Table(
                "Do the questions of each group measure one thing? (Cronbach's alpha)",
                pd.DataFrame(
                    [
                        {
                            "group of questions": block_name(b.block, labels),
                            "alpha": fig(b.alpha, 2),
                        }
                        for b in result.blocks
                    ]
                ),
                sheet="reliability",
            )
        )
        blocks.append(note("alpha"))
    nr = result.nonresponse
    if nr is not None and not nr.by_segment.empty:
        seg = nr.by_segment
        for col in ("rate", "rate_low", "rate_high"):
            if col in seg:
                seg[col] = 100 * seg[col]
        seg = seg.rename(
            columns={
                "rate": "response rate, %",
                "rate_low": "rate, low %",
                "rate_high": "rate, high %",
            }
        )
        blocks.append(Table("Response rate by segment", seg, sheet="response"))
        if nr.churn_respondents is not None and nr.churn_nonrespondents is not None:
            blocks.append(
                Para(
                    "Churn after the invitation: respondents "
                    f"{fmt(nr.churn_respondents, 1, 100, '%')}, non-respondents "
                    f"{fmt(nr.churn_nonrespondents, 1, 100, '%')}."
                )
            )
    return section("audit", blocks)


def drivers_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.drivers
    if result is None:
        return omitted(rc, "drivers")
    labels = rc.labels
    blocks = said(rc, "drivers")
    ranked = result.ranked
    key = {d.question_id: str(i) for i, d in enumerate(ranked, start=1)}
    frame = pd.DataFrame(
        [
            {
                "item": f"{key[d.question_id]}. "
                + short(d.text or labels.question(d.question_id), 40),
                "share": None if d.normalised.value is None else 100 * d.normalised.value,
                "low": None if d.normalised.low is None else 100 * d.normalised.low,
                "high": None if d.normalised.high is None else 100 * d.normalised.high,
            }
            for d in ranked
        ]
    )
    blocks.append(
        Chart(
            "drivers-importance",
            "How much each question accounts for of what the survey explains (%), with "
            "bootstrap intervals",
            charts.interval_bars(frame, "item", "share", "low", "high", "share of R², %"),
            alt="Horizontal bars, one per question, largest share first, from 0%.",
        )
    )
    quad = pd.DataFrame(
        [
            {
                "key": key[d.question_id],
                "importance": 100 * d.normalised.value,
                "performance": d.performance,
            }
            for d in ranked
            if d.normalised.value is not None and d.performance is not None
        ]
    )
    if len(quad) >= 2:
        blocks.append(
            Chart(
                "drivers-quadrants",
                "Importance against performance: where to concentrate (numbers as in the "
                "table below)",
                charts.quadrants(
                    quad,
                    "importance",
                    "performance",
                    "key",
                    "importance (share of R², %)",
                    "performance (% of the scale)",
                ),
                alt="Scatter of questions by importance and performance, split at the means "
                "into four named quadrants; numbered points match the table below.",
            )
        )
    table = pd.DataFrame(
        [
            {
                "#": key[d.question_id],
                "question": d.text or labels.question(d.question_id),
                "importance, %": pct(d.normalised, 1),
                "performance, %": d.performance,
                "quadrant": d.quadrant,
                "penalty": d.penalty,
                "reward": d.reward,
                "must-be or delighter (penalty-reward)": d.kind,
            }
            for d in ranked
        ]
    )
    blocks.append(Table("Drivers, quadrants and must-be vs delighter", table, sheet="drivers"))
    blocks.append(note("shapley"))
    if result.priority_gap is not None:
        pg = result.priority_gap
        blocks.append(
            Para(
                "Priority gap: Spearman correlation between leaders' stated priorities and "
                f"measured importance {fmt(pg.spearman, 2)} ({pg.respondents} staff ranked)."
            )
        )
    blocks.extend(Para(n) for n in result.notes)
    return section("drivers", blocks)


STATUS_COLUMNS = {
    "group": "NPS group",
    "retained": "retained",
    "declining": "declining",
    "churned": "churned",
    "unknown": "unknown",
    "customers": "customers",
    "share_retained": "retained, %",
    "share_declining": "declining, %",
    "share_churned": "churned, %",
}


def behaviour_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.behaviour
    if result is None:
        return omitted(rc, "behaviour")
    labels = rc.labels
    blocks = said(rc, "behaviour")
    matrix = result.matrix
    for col in ("share_retained", "share_declining", "share_churned"):
        if col in matrix:
            matrix[col] = 100 * matrix[col]
    matrix = matrix.rename(columns=STATUS_COLUMNS)
    blocks.append(
        Table(
            "What they said (NPS group) against what they did (purchases)",
            matrix,
            f"Definitions: {result.windows.describe()}. This table counts purchase activity; "
            "the Kaplan-Meier curve below counts cancellations only, so a detractor who keeps "
            "buying less counts as retained there and as declining here.",
            sheet="stated x revealed",
        )
    )
    curves = pd.DataFrame(
        [{"days": t, "retention": v, "group": s.group} for s in result.survival for t, v in s.curve]
    )
    if not curves.empty:
        blocks.append(
            Chart(
                "retention-curves",
                "Share of customers who have not cancelled, by days since answering, per NPS "
                "group (Kaplan-Meier)",
                charts.lines(
                    curves, "days", "retention", "group", "days after answering", "not cancelled"
                ),
                alt="Step lines per NPS group; the vertical axis is cut (marked on the axis "
                "title) to show differences of a few percent.",
            )
        )
    km = pd.DataFrame(
        [
            {"NPS group": s.group, "customers": s.customers, "not cancelled": pct(s.retention, 1)}
            for s in result.survival
        ]
    )
    p = (
        ""
        if result.logrank_p is None
        else f"Log-rank test of equal curves: {p_text(result.logrank_p)}."
    )
    blocks.append(Table("Not cancelled at the horizon", km, p, sheet="retention"))
    if result.cox is not None:
        cox = result.cox
        cox["item"] = [labels.question(q) for q in cox["item"]]
        cox["p"] = pd.Series([P(v) for v in cox["p"]], index=cox.index, dtype=object)
        cox = cox.rename(columns={"item": "question", "hazard_ratio": "hazard ratio per point"})
        blocks.append(
            Table(
                "Cox regression of cancelling on each score (hazard ratio per point; below 1 "
                "= higher scores cancel less)",
                cox,
                sheet="cox",
            )
        )
    silent = result.silent.head(25)
    if not silent.empty:
        money = f"value at risk a year{', ' + labels.currency if labels.currency else ''}"
        silent["stated"] = silent["stated"].round().astype("Int64")  # an answer on 0-10
        silent = silent.rename(
            columns={
                "customer_id": "customer",
                "answered_at": "answered",
                "stated": "said (0-10)",
                "base_n": "purchases before",
                "follow_n": "purchases after",
                "churn_at": "cancelled",
                "value_at_risk": money,
            }
        )
        blocks.append(
            Table(
                "Silent attrition: said they would recommend you, buying less (top 25 by value "
                "at risk)",
                silent,
                sheet="silent",
                personal=True,
            )
        )
    blocks.extend(Para(n) for n in result.notes)
    return section("behaviour", blocks)


def text_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.themes
    if result is None:
        return omitted(rc, "text")
    labels = rc.labels
    blocks = said(
        rc,
        "text",
        "NPS impact = points gained if the detractors who raised the theme had been passives; "
        f"shown only for complaints with at least {rc.min_n} documents.",
    )
    if result.themes:
        themes = pd.DataFrame(
            [
                {
                    "theme": t.label,
                    "documents": t.documents,
                    "share, %": 100 * t.share,
                    "sentiment (-1 to +1)": fig(t.sentiment, 2),
                    "reads as": theme_role(t, rc.min_n),
                    "NPS impact (points)": (
                        fig(t.nps_impact, 1) if theme_impact_shown(t, rc.min_n) else None
                    ),
                    "emerging": t.emerging,
                }
                for t in result.themes
            ]
        )
        blocks.append(Table("Themes", themes, sheet="themes"))
        for t in result.themes[:6]:
            # documents are redacted when they enter the workspace; quotes are stored text
            quotes = tuple(Quote(q, meta=t.label) for q in t.quotes[:3])
            if quotes:
                blocks.append(Quotes(f"In their words: {t.label}", quotes))
    senses = rc.senses
    if senses is not None and senses.pairs:
        frame = senses.to_frame()
        frame["touchpoint"] = [labels.touchpoint(t) for t in frame["touchpoint"]]
        blocks.append(
            Chart(
                "touchpoint-senses",
                "How many documents mention each touchpoint through each sense",
                charts.heatmap(frame, "sense", "touchpoint", "documents", "documents"),
                alt="Heat map: touchpoints down, senses across, darker = more documents.",
            )
        )
        shown = pd.DataFrame(
            [
                {
                    "touchpoint": labels.touchpoint(p.touchpoint),
                    "sense": p.sense,
                    "documents": p.documents,
                    "negative, %": pct(p.negative),
                }
                for p in senses.pairs
            ]
        )
        blocks.append(
            Table("Touchpoints by sense: how often, and how negative", shown, sheet="senses")
        )
    return section("text", blocks)


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
                "NPS": fig(g.nps, 1),
                f"retained {result.horizon_days} days, %": pct(g.retention, 1),
            }
            for g in result.groups
        ]
    )
    blocks.append(Table("Loyalty after a problem", groups, sheet="groups"))
    blocks.extend(others)
    s = result.service
    blocks.append(
        Para(
            f"Median hours from opening to first contact {_hours(s.median_hours_to_contact)}, "
            f"to resolution {_hours(s.median_hours_to_resolution)} ({s.cases:,} cases)."
        )
    )
    return section("recovery", blocks)


def _hours(h: float | None) -> str:
    return "–" if h is None else number(h, 1)


def kano_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.kano
    if result is None:
        return omitted(rc, "kano")
    blocks = said(rc, "kano")
    rows = []
    for f in result.features:
        rows.append(
            {
                "feature": feature_name(f.feature),
                "category": kano_name(f.category),
                "n": f.n,
                "better (satisfaction if present)": fig(f.better, 2),
                "worse (dissatisfaction if absent)": fig(f.worse, 2),
                "top two categories differ (Fong)": f.fong_significant,
            }
        )
    blocks.append(
        Table("Kano category per feature, all waves", pd.DataFrame(rows), sheet="features")
    )
    blocks.append(note("kano"))
    shares = pd.DataFrame(
        [
            {
                "feature · wave": f"{feature_name(f.feature)} · {f.wave}",
                "category": kano_name(c),
                "n": f.counts[c],
            }
            for f in result.by_wave
            for c in ("M", "O", "A", "I", "R", "Q")
            if f.counts.get(c, 0) > 0
        ]
    )
    if not shares.empty:
        blocks.append(
            Chart(
                "kano-drift",
                "How customers classify each feature, wave by wave (share of answers)",
                charts.stacked_shares(shares, "feature · wave", "category", "n", "share"),
                alt="Stacked bars from 0 to 100% per feature and wave, coloured by category.",
            )
        )
    if result.drift:
        drift = pd.DataFrame(
            [
                {
                    "feature": feature_name(d.feature),
                    "category wave by wave": " → ".join(f"{w} {kano_name(c)}" for w, c in d.path),
                    "categories differ across waves, p": P(d.p_homogeneity),
                    "delighted, first wave, %": None
                    if d.attractive_first is None
                    else 100 * d.attractive_first,
                    "delighted, last wave, %": None
                    if d.attractive_last is None
                    else 100 * d.attractive_last,
                    "alarm": d.alarm,
                }
                for d in result.drift
            ]
        )
        blocks.append(Table("Category path across waves", drift, sheet="drift"))
    mentioned = [t for t in result.text_trends if t.mentions > 0]
    if mentioned:
        trends = pd.DataFrame(
            [
                {
                    "feature": feature_name(t.feature),
                    "mentions": t.mentions,
                    "positively surprised, %": pct(t.surprised),
                    "trend p": P(t.p_value),
                    "wow fading": t.fading,
                }
                for t in mentioned
            ]
        )
        blocks.append(
            Table("What the text says: 'wow' mentions of each feature", trends, sheet="wow")
        )
    return section("kano", blocks)


def listening_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.listening
    if result is None:
        return omitted(rc, "listening")
    blocks = said(rc, "listening")
    frame = pd.DataFrame(
        [
            {
                "by": g.dimension,
                "group": ROLES.get(g.group, g.group).replace("_", " "),
                "staff": g.staff,
                "heard a customer, 30 days, %": pct(g.heard_30d),
                "heard a customer, 90 days, %": pct(g.heard_90d),
                "contacts per person per 30 days": fig(g.contacts_per_30d, 2),
            }
            for g in result.groups
        ]
    )
    blocks.append(Table("Who hears customers directly", frame, sheet="who"))
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
                "How far staff misjudge customers (mean error, scale points) by how often they "
                "hear customers",
                charts.interval_bars(
                    bands, "contacts in 90 days", "error", "low", "high", "mean |error|, points"
                ),
                alt="Bars from 0 per contact band with interval whiskers.",
            )
        )
    blocks.append(
        Para(
            "Spearman correlation of contacts with error (below 0: those who hear customers "
            f"more misjudge them less): {fmt(result.contact_error_spearman, 2)}."
        )
    )
    return section("listening", blocks)


def methods_section(rc: RealityCheck) -> Section:
    counts = pd.DataFrame([{"table": name, "rows": n} for name, n in rc.data.items()])
    rates = pd.DataFrame(
        [
            {
                "wave": w.wave,
                "invited": w.invited,
                "responded": w.responded,
                "rate, %": pct(w.rate),
            }
            for w in rc.fieldwork.waves
        ],
        columns=["wave", "invited", "responded", "rate, %"],
    )
    methods = pd.DataFrame([*rc.methods, *rc.choices], columns=["section", "method and reference"])
    live: tuple[Table, ...] = ()
    if rc.fieldwork.campaigns:  # the service's open campaigns: their response rate so far
        campaigns = pd.DataFrame(
            [
                {
                    "campaign": k.campaign_id,
                    "wave": k.wave,
                    "invited": k.invited,
                    "started": k.started,
                    "completed": k.completed,
                    "rate, %": pct(k.rate),
                }
                for k in rc.fieldwork.campaigns
            ]
        )
        title = "Open survey campaigns: response rate so far (completed of invited)"
        live = (Table(title, campaigns, sheet="campaigns"),)
    return Section(
        "methods",
        "Methods and data",
        sheet="Methods",
        blocks=(
            Para(
                f"Every estimate shows its sample size n and a {rc.confidence:.0%} interval. "
                f"Results with fewer than {rc.min_n} answers say 'insufficient data' instead "
                "of a number."
            ),
            Para(subset_text(rc)),
            Table("Data in this workspace", counts, sheet="data"),
            Table("Response rate per wave (invited customers who answered)", rates, sheet="waves"),
            *live,
            Para(weights_text(rc.weighting)),
            Table("Methods", methods, sheet="methods"),
        ),
    )


def subset_text(rc: RealityCheck) -> str:
    """Which part of the workspace's data the report analysed, in one sentence."""
    if rc.subset.everything:
        return "Data analysed: all of this workspace's data (no filter)."
    return (
        f"Data analysed: only {rc.subset.describe()} (the row counts below are of this subset; "
        "a filter keeps the customers, staff, answers, documents, events, cases and contacts "
        "that belong to it, as docs/service.md describes)."
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
    summary_section,
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
    sections_skills.skills_section,
)
