"""The sections of the Reality Check, in order. Each builder calls the same analysis functions
the CLI calls and turns their results into blocks, or says in one line why it is left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from realitygap.analysis._result import Estimate
from realitygap.analysis.kano import CATEGORIES, CATEGORY_NAMES, kano
from realitygap.analysis.listening import listening
from realitygap.report import charts
from realitygap.report.model import Block, Chart, Headline, Omitted, Para, Section, Table
from realitygap.store.workspace import Workspace


@dataclass
class Context:
    """What every builder can read: the workspace and what other sections found."""

    ws: Workspace
    methods: list[tuple[str, str]]  # (section, method and reference)


Builder = Callable[[Context], Section | Omitted]


def fmt(e: Estimate, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    return e.format(digits, scale, unit)


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
            Table("Methods", methods),
        ),
    )


BUILDERS: tuple[Builder, ...] = (kano_section, listening_section)
