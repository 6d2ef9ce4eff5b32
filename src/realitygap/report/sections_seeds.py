"""Report sections of the journey map, wow moments and the staff-customer link. Like every
builder they render the composite :class:`~realitygap.analysis.RealityCheck`: its findings as
sentences, its results as tables and charts, or one line saying why the section is left out."""

from __future__ import annotations

import altair as alt
import pandas as pd

from realitygap.analysis import RealityCheck
from realitygap.analysis.findings import est_range, moment_name, readable
from realitygap.report import charts
from realitygap.report.model import Chart, Fig, Headline, Omitted, Para, Section, Table

TITLES = {
    "journey": "The journey map: points of connection and points of potential",
    "wow": "Wow moments: reach and lift",
    "people": "Staff experience and customer experience",
}


# (right of the mean engagement, above the mean NPS) -> what the quadrant holds
ENGAGEMENT_QUADRANTS = (  # staff · customers, short so the four names never touch
    ((True, True), "engaged · loyal"),
    ((False, True), "less engaged · loyal"),
    ((False, False), "less engaged · less loyal"),
    ((True, False), "engaged · less loyal"),
)


def _omitted(rc: RealityCheck, section: str) -> Omitted:
    return Omitted(section, TITLES[section], rc.omitted.get(section, "no data"))


def _said(rc: RealityCheck, section: str, detail: str = "") -> list[Headline | Para]:
    return [Headline(f.text, detail) if f.lead else Para(f.text) for f in rc.findings_of(section)]


def journey_chart(frame: pd.DataFrame, stages: list[str], touchpoints: list[str]) -> str:
    """Stages left to right, touchpoints as rows; colour = score, size = |gap|, shape = its
    sign, the senses as letters beside the mark."""
    base = alt.Chart(frame).encode(
        x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("name:N", sort=touchpoints, title=None),
    )
    marks = base.mark_point(filled=True, opacity=0.95).encode(
        color=alt.Color(
            "score:Q",
            title="customer score (% of scale)",
            scale=alt.Scale(scheme="redyellowgreen", domain=[40, 100]),
        ),
        size=alt.Size(
            "gap size:Q", title="gap (points)", scale=alt.Scale(range=[30, 900], zero=True)
        ),
        shape=alt.Shape(
            "staff:N",
            scale=alt.Scale(
                domain=["over-estimate", "under-estimate"], range=["circle", "diamond"]
            ),
            title="staff",
        ),
    )
    letters = base.mark_text(align="left", dx=16, fontSize=10, color="#333").encode(text="senses:N")
    height = max(160, 22 * len(touchpoints))
    return charts.to_svg((marks + letters).properties(width=charts.WIDTH - 160, height=height))


def journey_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.journey
    if result is None:
        return _omitted(rc, "journey")
    blocks: list[Headline | Para | Table | Chart] = list(
        _said(
            rc,
            "journey",
            "Score: customers' mean answer on the touchpoint's items, % of the scale range. "
            "Gap: staff prediction minus customer answer, points of that range. Senses: "
            "S see, H hear, T touch, M smell, A taste, F feel.",
        )
    )
    shown = [c for c in result.cells if c.score.value is not None]
    frame = pd.DataFrame(
        [
            {
                "stage": readable(c.stage),
                "name": c.name,
                "score": c.score.value,
                "gap size": abs(c.gap.value) if c.gap.value is not None else 0.0,
                "staff": "under-estimate" if (c.gap.value or 0.0) < 0 else "over-estimate",
                "senses": c.sense_letters,
            }
            for c in shown
        ]
    )
    if not frame.empty:
        blocks.append(
            Chart(
                "journey-map",
                "The journey map: score (colour) and perception gap (size) per touchpoint",
                journey_chart(frame, [readable(x) for x in result.stages], [c.name for c in shown]),
            )
        )
    top = pd.DataFrame(
        [
            {
                "touchpoint": c.name,
                "stage": readable(c.stage),
                "score": est_range(c.score, 1),
                "gap": est_range(c.gap, 1),
                "owner": readable(c.owner),
                "owner's gap": est_range(c.owner_gap, 1),
            }
            for c in result.priorities[:3]
        ]
    )
    if not top.empty:
        blocks.append(Table("Where the gap is widest and the score lowest", top))
    table = pd.DataFrame(
        [
            {
                "stage": readable(c.stage),
                "touchpoint": c.name,
                "senses": c.sense_letters,
                "score": est_range(c.score, 1),
                "gap": est_range(c.gap, 1),
                "comments": c.comments,
                "negative": est_range(c.negative, 0, 100, "%"),
                "owner": readable(c.owner),
                "owner's gap": est_range(c.owner_gap, 1),
            }
            for c in result.cells
        ]
    )
    blocks.append(Table("Every touchpoint, in journey order", table))
    return Section("journey", TITLES["journey"], tuple(blocks))


def wow_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.wow
    if result is None:
        return _omitted(rc, "wow")
    blocks: list[Headline | Para | Table | Chart] = list(
        _said(
            rc,
            "wow",
            "Reach: share of customers who met the moment. Lift: met minus comparable "
            "customers who had not, weighted to the met (exact strata).",
        )
    )
    rows = []
    for m in result.moments:
        row = {
            "moment": moment_name(m.name),
            "customers who met it": m.customers_met,
            "reach": est_range(m.reach, 0, 100, "%"),
        }
        for x in m.lifts:
            scale, unit = (1.0, "NPS points") if x.outcome == "nps" else (100.0, "% points")
            name = "NPS" if x.outcome == "nps" else readable(x.outcome)
            row[f"lift on {name} ({unit})"] = est_range(x.lift, 1, scale)
        # a fade is said only when its test rejects "no trend"; otherwise it is not ruled out
        row["lift fades"] = "yes" if m.fading else "not detected"
        rows.append(row)
    if rows:
        blocks.append(Table("Reach and lift per moment", pd.DataFrame(rows)))
    months = pd.DataFrame(
        [
            {"moment": moment_name(m.name), "month": pd.Timestamp(month), "reach": e.value}
            for m in result.moments
            for month, e in m.by_month
            if e.value is not None
        ]
    )
    if not months.empty:
        blocks.append(
            Chart(
                "wow-reach",
                "Reach per month: 'every customer, every time'?",
                charts.lines(
                    months,
                    "month",
                    "reach",
                    "moment",
                    "month",
                    "share of customers who met it that month",
                    months=True,
                ),
                alt="Step lines per wow moment: the share of customers who met it, month by "
                "month, on an axis from 0 to 100%.",
            )
        )
    seg = pd.DataFrame(
        [
            {"moment": moment_name(m.name), "segment": s, "reach": est_range(e, 0, 100, "%")}
            for m in result.moments
            for s, e in m.by_segment
        ]
    )
    if not seg.empty:
        blocks.append(Table("Reach by segment", seg))
    told = text_moments_table(rc)
    if told.empty:
        blocks.append(Para("No customer text tells of a surprise (no wow moment told of)."))
    else:
        blocks.append(Table("Told of in text: customers who mention the moment, per source", told))
    return Section("wow", TITLES["wow"], tuple(blocks))


DOCUMENT_SOURCES = {"survey": "survey comments", "review": "reviews", "ticket": "tickets"}


def text_moments_table(rc: RealityCheck) -> pd.DataFrame:
    """One row per moment told of in text and document source: the customers who wrote that
    source, those who mention the moment, and the text reach with its Wilson interval."""
    result = rc.wow
    rows = [
        {
            "moment told of": t.name,
            "source": DOCUMENT_SOURCES.get(src, readable(src)),
            "customers who wrote": e.n,
            "customers who mention it": round((e.value or 0.0) * e.n),
            "text reach": Fig(e, 1, 100, "%"),
        }
        for t in (result.text_moments if result is not None else ())
        for src, e in t.by_source
        if e.value is not None
    ]
    cols = ["moment told of", "source", "customers who wrote", "customers who mention it"]
    return pd.DataFrame(rows, columns=[*cols, "text reach"])


def people_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.people
    if result is None:
        return _omitted(rc, "people")
    blocks: list[Headline | Para | Table | Chart] = list(
        _said(
            rc,
            "people",
            "Engagement: staff pulse answers in % of the scale range. One point per "
            f"{result.unit}; weighted by how precisely its NPS is known.",
        )
    )
    frame = pd.DataFrame(
        [
            {"team": t.team, "engagement": t.engagement.value, "NPS": t.nps.value}
            for t in result.teams
            if t.engagement.value is not None and t.nps.value is not None
        ]
    )
    if len(frame) >= 2:
        blocks.append(
            Chart(
                "people-engagement-nps",
                f"Staff engagement and customer NPS, per {result.unit} (quadrants: staff · "
                "customers, split at the means)",
                charts.quadrants(
                    frame,
                    "engagement",
                    "NPS",
                    "team",
                    "staff engagement (% of the scale)",
                    "customer NPS (points, -100 to +100)",
                    names=ENGAGEMENT_QUADRANTS,
                ),
                alt=f"Scatter of {len(frame)} {result.unit}s by staff engagement and customer "
                "NPS, split at the means; each point is labelled with its id in the table below.",
            )
        )
    table = pd.DataFrame(
        [
            {
                result.unit: t.team,
                "staff": t.staff,
                "engagement": est_range(t.engagement, 1),
                "turnover": est_range(t.turnover, 0, 100, "%"),
                "customers": t.customers,
                "NPS": est_range(t.nps, 1),
                "gap (% of scale)": est_range(t.gap, 1),
                "staff-attitude mentions": est_range(t.staff_attitude, 0, 100, "%"),
                "contacts per person, 30 days": est_range(t.contacts_per_30d, 2),
                "recovered (customers with a case)": est_range(t.recovery, 0, 100, "%"),
                "recovered customers' NPS": est_range(t.recovered_nps, 1),
            }
            # the teams whose figures are known first, then the others (insufficient data)
            for t in sorted(result.teams, key=lambda t: (t.nps.value is None, t.team))
        ]
    )
    blocks.append(Table(f"Staff and customers per {result.unit}", table))
    return Section("people", TITLES["people"], tuple(blocks))
