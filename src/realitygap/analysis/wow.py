"""Wow moments: reach ("every customer, every time") and lift against comparable customers.

A wow moment is an event of type ``wow`` with the moment's ``name`` (docs/formats.md). Per
moment:

- **reach**: the share of customers who met it, overall (customers still customers when the
  moment began), by segment, by touchpoint and by month (customers met that month / customers
  not cancelled before it), each with a Wilson interval;
- **lift** on repeat purchase (a purchase within ``repeat_days`` after the month),
  retention (no cancellation within ``retain_days``) and NPS (points, from the customer's
  NPS answers within ``retain_days``), as a sequence of monthly comparisons: the customers who
  first met the moment in a month against those who had not met it by the month's end, both
  still customers then. Exact-stratum weighting: within each stratum (month x ``balance``
  columns x purchases in the ``prior_days`` before the month: 0, 1-2, 3+) the comparison
  customers are weighted to the number who met the moment (the effect on those who met it);
  met customers in a stratum with no comparison customer are left out and counted. Interval:
  normal, with the stratified variance sum_s w_s^2 var_s / n_s on each side;
- **fading**: the trend of the lift across the months it was met, an interaction of meeting
  the moment with the month: the stratum lifts (met mean minus comparison mean, per month x
  ``balance`` x prior band) regressed on the month by weighted least squares, each weighted by
  the customers who met it there (so the line runs through the monthly lifts on those who met
  it); its slope is the change in the lift per month, with a variance clustered by customer (a
  comparison customer enters up to one comparison a month); a z-test, Holm-adjusted over the
  three outcomes; the lift fades when a slope is negative and its adjusted p is below
  1 - confidence. The lift per calendar quarter is shown beside it.

Wow moments recognised in text (surprise-and-delight mentions,
:mod:`realitygap.analysis.text.wow_mentions`) are counted beside the recorded ones, named by
the mention: per source, the text reach is the share of the customers who wrote a document of
that source with at least one mention of the moment (Wilson). It says how often customers
*tell* of the moment, a floor on how many met it, never the reach itself; no lift is estimated
for them, because a mention is known only for customers who wrote and dates the writing, not
the meeting, so the monthly comparison of met against not yet met does not hold.

This is an association under "no unmeasured confounding": weighting balances the named
columns and prior activity, nothing else. References: Rosenbaum & Rubin (1983); Hernán &
Robins (2016) "Using big data to emulate a target trial", AJE 183(8) (sequential monthly
comparisons); Imbens (2004) (weighting to the treated); Liang & Zeger (1986) (variance
clustered by customer); Holm (1979).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import special

from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import holm, wilson_estimate, z_value
from realitygap.analysis.text import wow_mentions
from realitygap.domain.errors import ArgumentError, check_confidence
from realitygap.domain.scales import ScaleKind
from realitygap.store import engine
from realitygap.store.workspace import Workspace

OUTCOMES = ("repeat_purchase", "retention", "nps")
DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class Lift(Values):
    """Met minus comparable not met, for one outcome (shares in 0-1, NPS in points)."""

    outcome: str
    met: Estimate
    comparable: Estimate
    lift: Estimate
    p_value: float | None
    unmatched: int  # met customers in strata without a comparison customer


@dataclass(frozen=True)
class Fade(Values):
    """The lift per quarter the moment was met (shown), and the trend of the lift: ``slope``,
    its change per month (shares in 0-1, NPS in points) from the monthly strata."""

    outcome: str
    by_quarter: tuple[tuple[str, Estimate], ...]
    slope: Estimate
    p_holm: float | None
    fading: bool


@dataclass(frozen=True)
class WowMoment(Values):
    """One wow moment: reach by group and lift on each outcome."""

    name: str
    customers_met: int
    reach: Estimate
    by_segment: tuple[tuple[str, Estimate], ...]
    by_touchpoint: tuple[tuple[str, Estimate], ...]
    by_month: tuple[tuple[str, Estimate], ...]
    lifts: tuple[Lift, ...]
    fades: tuple[Fade, ...]

    @property
    def fading(self) -> bool:
        return any(f.fading for f in self.fades)

    def lift_of(self, outcome: str) -> Lift:
        return next(x for x in self.lifts if x.outcome == outcome)


@dataclass(frozen=True)
class TextMoment(Values):
    """A wow moment recognised in text: per source, the customers who mention it among the
    customers who wrote (``by_source``: source, Estimate of the share), and the mentions."""

    name: str
    mentions: int
    customers: int
    by_source: tuple[tuple[str, Estimate], ...]
    lift: str = "not estimated: a mention dates the writing, not the meeting"


@dataclass(frozen=True)
class WowResult(Values):
    """Every wow moment of the workspace.

    ``to_frame()`` columns: moment, customers_met, reach(_low/_high/_n), then per outcome
    (repeat_purchase, retention, nps): <outcome>_lift(_low/_high), <outcome>_p,
    <outcome>_fading; fading.
    """

    moments: tuple[WowMoment, ...]
    balance: tuple[str, ...]
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(default=())
    text_moments: tuple[TextMoment, ...] = ()

    def moment(self, name: str) -> WowMoment:
        return next(m for m in self.moments if m.name == name)

    def text_moment(self, name: str) -> TextMoment:
        return next(m for m in self.text_moments if m.name == name)

    def text_frame(self) -> pd.DataFrame:
        """Text-recognised moments, one row per moment and source: moment, source, mentions
        (all sources), customers (mentioning, all sources), reach, reach_low, reach_high,
        reach_n (customers who wrote a document of the source)."""
        rows = [
            {
                "moment": m.name,
                "source": src,
                "mentions": m.mentions,
                "customers": m.customers,
                "reach": e.value,
                "reach_low": e.low,
                "reach_high": e.high,
                "reach_n": e.n,
            }
            for m in self.text_moments
            for src, e in m.by_source
        ]
        cols = ["moment", "source", "mentions", "customers", "reach", "reach_low"]
        return pd.DataFrame(rows, columns=[*cols, "reach_high", "reach_n"])

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for m in self.moments:
            row: dict[str, Any] = {"moment": m.name, "customers_met": m.customers_met}
            row.update(
                {
                    k: v
                    for k, v in m.reach.to_dict("reach_").items()
                    if k[6:] in ("value", "low", "high", "n")
                }
            )
            for x in m.lifts:
                row[f"{x.outcome}_lift"] = x.lift.value
                row[f"{x.outcome}_lift_low"] = x.lift.low
                row[f"{x.outcome}_lift_high"] = x.lift.high
                row[f"{x.outcome}_p"] = x.p_value
            for f in m.fades:
                row[f"{f.outcome}_fading"] = f.fading
            row["fading"] = m.fading
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "moments": plain(self.moments),
            "balance": list(self.balance),
            "min_n": self.min_n,
            "confidence": self.confidence,
            "methods": list(self.methods),
            "text_moments": plain(self.text_moments),
        }

    def __str__(self) -> str:
        lines = [
            f"Wow moments (lift weighted on {', '.join(self.balance) or 'month'} and "
            "prior purchases)"
        ]
        for m in self.moments:
            lines.append(f"{m.name}: reach {m.reach.format(1, 100, '%')} ({m.customers_met:,} met)")
            for x in m.lifts:
                scale, unit = (1, " pts") if x.outcome == "nps" else (100, " pts")
                lines.append(f"  lift on {x.outcome}: {x.lift.format(1, scale, unit)}")
            for f in m.fades:
                if f.fading:
                    per = f.slope.format(2, 1 if f.outcome == "nps" else 100)
                    lines.append(f"  the lift on {f.outcome} fades: {per} points per month")
        if self.text_moments:
            lines.append("Recognised in text (share of the customers who wrote; no lift estimated)")
        for t in self.text_moments:
            per_source = "; ".join(
                f"{src} {e.format(1, 100, '%')}" for src, e in t.by_source if e.value is not None
            )
            lines.append(
                f"{t.name}: {t.mentions:,} mentions by {t.customers:,} customers"
                + (f" ({per_source})" if per_source else "")
            )
        return "\n".join(lines)


def _ts(day: Any) -> ir.Expr:
    return ibis.literal(pd.Timestamp(day).to_pydatetime())


def wow(
    ws: Workspace,
    *,
    balance: Sequence[str] = ("segment", "tenure_band"),
    prior_days: int = 90,
    repeat_days: int = 90,
    retain_days: int = 180,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> WowResult:
    """Reach and lift of every wow moment (events of type ``wow``).

    Parameters
    ----------
    ws : Workspace
    balance : sequence of str
        Respondent columns the comparison is balanced on, besides the month and prior
        purchases; columns the workspace lacks are left out (and not listed in the result).
    prior_days, repeat_days, retain_days : int
        Prior-activity window before the month, repeat-purchase and retention windows after.
    confidence, min_n : float, int
        Interval level; fewer customers than ``min_n`` give "insufficient data".

    Returns
    -------
    WowResult
    """
    check_confidence(confidence, min_n)
    for name, v in (
        ("prior_days", prior_days),
        ("repeat_days", repeat_days),
        ("retain_days", retain_days),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ArgumentError(name, v, "a whole number of days, at least 1")
    p = ws.table("respondents")
    cols = tuple(c for c in balance if c in p.columns and c not in ("respondent_id", "kind"))
    methods: tuple[str, ...] = (
        "Wow reach: customers who met the moment / customers still customers, Wilson",
        "Wow lift: monthly comparisons (Hernán & Robins 2016), exact-stratum weighting to the "
        f"met on month x {' x '.join(cols) or '-'} x prior purchases (0, 1-2, 3+); normal "
        "interval with stratified variance, the comparison side's multiplied by the mean "
        "number of monthly comparisons per comparison customer (conservative)",
        "Wow fading: change in the lift per month, weighted least squares of the stratum lifts "
        "on the month (weights: customers who met it), variance clustered by customer "
        "(Liang & Zeger 1986), z-test, Holm over the outcomes",
    )
    methods += (
        "Wow in text: surprise-and-delight mentions (rule-based cues, negation and quoted "
        "sarcasm dropped); customers who mention / customers who wrote, per source, Wilson",
    )
    text_moments = _text_moments(ws, confidence, min_n)
    e = ws.table("events")
    wow_events = e.filter(e.type == "wow")
    names = sorted(str(x) for x in wow_events.select("name").distinct().execute()["name"].dropna())
    if not names:
        return WowResult((), cols, min_n, confidence, methods, text_moments)
    customers = p.filter(p.kind == "customer").select(
        customer_id=p.respondent_id, **{c: p[c].cast("string").fill_null("?") for c in cols}
    )
    cancel = (
        e.filter(e.type == "cancellation").group_by("customer_id").agg(cancel=e.occurred_at.min())
    )
    buys = e.filter(e.type == "purchase").select("customer_id", bought=e.occurred_at)
    spans = (
        wow_events.group_by("name")
        .agg(lo=wow_events.occurred_at.min(), hi=wow_events.occurred_at.max())
        .execute()
    )
    months_of = {
        str(r["name"]): [
            str(m) for m in pd.period_range(pd.Timestamp(r["lo"]), pd.Timestamp(r["hi"]), freq="M")
        ]
        for r in spans.to_dict(orient="records")
    }
    every = sorted({m for ms in months_of.values() for m in ms})
    month_frame = pd.DataFrame(
        {
            "month": every,
            "m_start": [pd.Period(m, "M").start_time for m in every],
            "m_end": [(pd.Period(m, "M") + 1).start_time for m in every],
        }
    )
    base = customers.left_join(cancel, "customer_id").drop("customer_id_right")
    month_frame["k"] = np.arange(len(every), dtype=np.int64)
    alive = base.agg(
        **{
            f"a{k}": (base.cancel.isnull() | (base.cancel >= _ts(start))).sum()
            for k, start in enumerate(month_frame["m_start"])
        }
    ).execute()
    alive_of = {m: int(alive.iloc[0][f"a{k}"] or 0) for k, m in enumerate(every)}
    # customer x month x moment, never materialised: two aggregations read it, the stratum
    # sums first, then the per-customer sums of the fade's clustered variance
    rows = _comparisons(
        base,
        buys,
        _nps_answers(ws),
        wow_events,
        names,
        months_of,
        month_frame,
        (prior_days, repeat_days, retain_days),
    )
    strata = ["month", *cols, "band"]
    cells_all: pd.DataFrame = (
        rows.group_by(["j", *strata, "met"])
        .agg(
            n=rows.count(),
            **{f"s_{o}": rows[o].sum() for o in OUTCOMES[:2]},
            **{f"ss_{o}": (rows[o] ** 2).sum() for o in OUTCOMES[:2]},
            n_nps=rows.nps.count(),
            s_nps=rows.nps.sum(),
            ss_nps=(rows.nps**2).sum(),
        )
        .execute()
    )
    for o in OUTCOMES[:2]:
        cells_all[f"n_{o}"] = cells_all["n"]
    cells_of = {
        j: cells_all[cells_all["j"] == j].drop(columns="j").reset_index(drop=True)
        for j in range(len(names))
    }
    coefs = {
        j: _trend_coefficients(cells_of[j], strata, months_of[name], min_n)
        for j, name in enumerate(names)
    }
    sums = _customer_sums(rows, coefs, strata, comparisons=True)
    moments = tuple(
        _moment(
            name,
            wow_events,
            base,
            cells_of[j],
            sums[j],
            coefs[j][0],
            months_of[name],
            alive_of,
            cols,
            confidence,
            min_n,
        )
        for j, name in enumerate(names)
    )
    return WowResult(moments, cols, min_n, confidence, methods, text_moments)


def _text_moments(ws: Workspace, confidence: float, min_n: int) -> tuple[TextMoment, ...]:
    """Surprise-and-delight mentions in the documents, by the moment they name."""
    d = ws.table("documents")
    d = d.filter(d.customer_id.notnull())
    writers: pd.DataFrame = d.group_by("source").agg(n=d.customer_id.nunique()).execute()
    n_of = dict(zip(writers["source"].astype(str), writers["n"].astype(int), strict=True))
    # only documents with a cue word come back to Python (the rest cannot mention a moment)
    cand = d.filter(d.text.lower().re_search(wow_mentions.PREFILTER))
    docs: pd.DataFrame = cand.select("customer_id", "source", "text").execute()
    if docs.empty:
        return ()
    found = wow_mentions.recognise_all(docs["text"].tolist())
    if found.empty:
        return ()
    found = found.join(docs[["customer_id", "source"]].reset_index(drop=True), on="row")
    out = []
    for name, part in sorted(found.groupby("name"), key=lambda kv: (-len(kv[1]), kv[0])):
        who = part.groupby("source")["customer_id"].nunique()
        by_source = tuple(
            (
                src,
                wilson_estimate(
                    int(who.get(src, 0)), n_of[src], min_n, "text reach, Wilson", confidence
                ),
            )
            for src in sorted(n_of)
            if src in who.index
        )
        out.append(TextMoment(str(name), len(part), int(part["customer_id"].nunique()), by_source))
    return tuple(out)


def _nps_answers(ws: Workspace) -> ir.Table | None:
    """The customer NPS question's answers with their time: +100 / 0 / -100."""
    q = ws.table("questions")
    nps = q.filter((q.audience == "customer") & (q.scale == ScaleKind.NPS.value))
    ids = sorted(str(x) for x in nps.select("question_id").execute()["question_id"])
    if not ids:
        return None
    r = ws.table("responses")
    r = r.filter((r.question_id == ids[0]) & r.submitted_at.notnull())
    cat = ibis.cases((r.value >= 9, 100.0), (r.value <= 6, -100.0), else_=0.0)
    return r.select(customer_id=r.respondent_id, answered=r.submitted_at, score=cat)


def _comparisons(
    base: ir.Table,
    buys: ir.Table,
    nps_answers: ir.Table | None,
    wow_events: ir.Table,
    names: list[str],
    months_of: dict[str, list[str]],
    month_frame: pd.DataFrame,
    windows: tuple[int, int, int],
) -> ir.Table:
    """The monthly comparisons of every moment, one row per customer, month and moment ``j``
    (the index in ``names``) for customers still customers at the month's end who had not met
    the moment before it: ``met`` (1 if they first met it that month), the prior-purchase
    ``band`` and the outcomes.

    Each customer's activity is summed once, per month, into lists (purchases before and
    after, NPS answers after): one aggregation over the events grouped by customer, not a
    join of every purchase with every month; the lists are indexed by the month's ``k``.
    """
    prior_days, repeat_days, retain_days = windows
    day = ibis.interval(days=1)
    starts = [_ts(x) for x in month_frame["m_start"]]
    ends = [_ts(x) for x in month_frame["m_end"]]
    lo, hi = starts[0] - prior_days * day, ends[-1] + repeat_days * day
    b = buys.filter((buys.bought >= lo) & (buys.bought < hi))
    activity = b.group_by("customer_id").agg(
        **{
            f"p{k}": ((b.bought >= s - prior_days * day) & (b.bought < s)).sum()
            for k, s in enumerate(starts)
        },
        **{
            f"r{k}": ((b.bought >= e) & (b.bought < e + repeat_days * day)).sum()
            for k, e in enumerate(ends)
        },
    )
    w = wow_events.filter(wow_events.name.isin(names))
    firsts = w.group_by("customer_id").agg(
        **{f"f{j}": w.occurred_at.min(where=w.name == name) for j, name in enumerate(names)}
    )
    t = base.left_join(activity, "customer_id").drop("customer_id_right")
    t = t.left_join(firsts, "customer_id").drop("customer_id_right")
    nps_of: list[ir.Value] = [ibis.null("float64")] * len(ends)
    if nps_answers is not None:
        a = nps_answers.filter(
            (nps_answers.answered >= ends[0]) & (nps_answers.answered < hi + retain_days * day)
        )
        in_window = [(a.answered >= e) & (a.answered < e + retain_days * day) for e in ends]
        per = a.group_by("customer_id").agg(
            **{f"s{k}": a.score.sum(where=x) for k, x in enumerate(in_window)},
            **{f"n{k}": a.score.count(where=x) for k, x in enumerate(in_window)},
        )
        t = t.left_join(per, "customer_id").drop("customer_id_right")
        nps_of = [
            ibis.ifelse(t[f"n{k}"].fill_null(0) > 0, t[f"s{k}"] / t[f"n{k}"], ibis.null()).cast(
                "float64"
            )
            for k in range(len(ends))
        ]
    # per customer, each month's activity in a list indexed by the month's k
    lists = {
        "prior": ibis.array([t[f"p{k}"].fill_null(0) for k in range(len(starts))]),
        "after": ibis.array([t[f"r{k}"].fill_null(0) for k in range(len(ends))]),
        "firsts": ibis.array([t[f"f{j}"] for j in range(len(names))]),
        "nps": ibis.array(nps_of),
    }
    keep = [c for c in base.columns if c != "customer_id"]
    t = t.select("customer_id", *keep, **lists)
    pairs = pd.DataFrame(
        [
            (j, r.k, r.month, r.m_start, r.m_end)
            for j, name in enumerate(names)
            for r in month_frame.itertuples()
            if r.month in months_of[name]
        ],
        columns=["j", "k", "month", "m_start", "m_end"],
    ).astype({"j": "int32", "k": "int32"})  # Spark's element_at takes an INT index, not BIGINT
    g = t.cross_join(ibis.memtable(pairs))
    first = g.firsts[g.j]
    g = g.filter(
        (g.cancel.isnull() | (g.cancel >= g.m_end)) & (first.isnull() | (first >= g.m_start))
    )
    first = g.firsts[g.j]
    prior = g.prior[g.k]
    out = g.mutate(
        met=engine.as_number((first.notnull() & (first < g.m_end)), "int64"),
        band=ibis.cases((prior == 0, "0"), (prior <= 2, "1-2"), else_="3+"),
        repeat_purchase=engine.as_number(g.after[g.k] > 0, "float64"),
        retention=engine.as_number(
            (g.cancel.isnull() | (g.cancel >= g.m_end + retain_days * day)), "float64"
        ),
        nps=g.nps[g.k],
    )
    return out.drop("prior", "after", "firsts", "cancel", "k", "m_start", "m_end")


def _moment(
    name: str,
    wow_events: ir.Table,
    base: ir.Table,
    cells: pd.DataFrame,
    sums: dict[str, float],
    slopes: dict[str, tuple[float, int]],
    months: list[str],
    alive_of: dict[str, int],
    cols: tuple[str, ...],
    confidence: float,
    min_n: int,
) -> WowMoment:
    w = wow_events.filter(wow_events.name == name)
    first = w.group_by("customer_id").agg(first=w.occurred_at.min())
    # reach: overall (customers still customers when the moment began), by segment, touchpoint
    start = _ts(pd.Period(months[0], "M").start_time)
    alive0 = base.filter(base.cancel.isnull() | (base.cancel >= start))
    met_ids = first.select("customer_id", met=ibis.literal(1))
    at0 = alive0.left_join(met_ids, "customer_id").drop("customer_id_right")
    at0 = at0.mutate(met=at0.met.fill_null(0))
    overall = at0.agg(n=at0.count(), k=at0.met.sum()).execute().iloc[0]
    n0, k0 = int(overall["n"]), int(overall["k"] or 0)
    reach = wilson_estimate(k0, n0, min_n, "share of customers who met it, Wilson", confidence)
    by_segment: list[tuple[str, Estimate]] = []
    if "segment" in cols:
        seg = at0.group_by("segment").agg(n=at0.count(), k=at0.met.sum()).execute()
        for r in seg.sort_values("segment").to_dict(orient="records"):
            by_segment.append(
                (
                    str(r["segment"]),
                    wilson_estimate(int(r["k"]), int(r["n"]), min_n, "reach, Wilson", confidence),
                )
            )
    tp = (
        w.filter(w.touchpoint.notnull())
        .group_by("touchpoint")
        .agg(k=w.customer_id.nunique())
        .execute()
    )
    by_touchpoint = tuple(
        (
            str(r["touchpoint"]),
            wilson_estimate(int(r["k"]), n0, min_n, "reach, Wilson", confidence),
        )
        for r in tp.sort_values("touchpoint").to_dict(orient="records")
    )
    per_month_met = (
        w.mutate(month=w.occurred_at.strftime("%Y-%m"))
        .group_by("month")
        .agg(k=w.customer_id.nunique())
        .execute()
    )
    k_of = dict(zip(per_month_met["month"], per_month_met["k"], strict=True))
    by_month = tuple(
        (
            m,
            wilson_estimate(
                int(k_of.get(m, 0)), alive_of.get(m, 0), min_n, "reach, Wilson", confidence
            ),
        )
        for m in months
    )

    # lift: monthly comparisons of those who first met it that month with those who had not
    # (``cells``: their stratum sums); a comparison customer enters up to one comparison per
    # month and their outcomes are correlated across months: the comparison side's variance is
    # multiplied by the mean number of comparisons per customer (the bound for perfectly
    # correlated repeats)
    deff = {o: sums["rows"] / max(sums["people"], 1.0) for o in OUTCOMES[:2]}
    deff["nps"] = sums["nps_rows"] / max(sums["nps_people"], 1.0)
    keys = ["month", *cols, "band", "met"]
    lifts = tuple(_lift(cells, o, keys[:-1], confidence, min_n, deff[o]) for o in OUTCOMES)
    trends = {o: (b, sums[f"v_{o}"], n) for o, (b, n) in slopes.items()}
    fades = _fades(cells, keys[:-1], confidence, min_n, deff, trends)
    return WowMoment(name, k0, reach, tuple(by_segment), by_touchpoint, by_month, lifts, fades)


def _weighted(cells: pd.DataFrame, outcome: str, strata: list[str]) -> dict[str, float] | None:
    """Met mean, comparison mean weighted to the met, and their variances, from stratum sums."""
    n, s, ss = f"n_{outcome}", f"s_{outcome}", f"ss_{outcome}"
    c = cells[cells[n] > 0].fillna({s: 0.0, ss: 0.0})
    wide = c.pivot_table(
        index=strata, columns="met", values=[n, s, ss], aggfunc="sum", fill_value=0.0
    )
    if (n, 1) not in wide.columns or (n, 0) not in wide.columns:
        return None
    n1, n0 = wide[(n, 1)], wide[(n, 0)]
    matched = (n1 > 0) & (n0 > 0)
    unmatched = float(n1[~matched].sum())
    n1, n0 = n1[matched], n0[matched]
    if n1.sum() == 0:
        return None
    m1 = wide[(s, 1)][matched] / n1
    m0 = wide[(s, 0)][matched] / n0
    v1 = (wide[(ss, 1)][matched] / n1 - m1**2).clip(lower=0)
    v0 = (wide[(ss, 0)][matched] / n0 - m0**2).clip(lower=0)
    wt = n1 / n1.sum()
    return {
        "n_met": float(n1.sum()),
        "n_comparable": float(n0.sum()),
        "met": float((wt * m1).sum()),
        "comparable": float((wt * m0).sum()),
        "var_met": float((wt**2 * v1 / n1).sum()),
        "var_comparable": float((wt**2 * v0 / n0).sum()),
        "unmatched": unmatched,
    }


def _lift(
    cells: pd.DataFrame,
    outcome: str,
    strata: list[str],
    confidence: float,
    min_n: int,
    deff: float = 1.0,
) -> Lift:
    method = "met - comparable (exact-stratum weights), normal"
    r = _weighted(cells, outcome, strata)
    none = Estimate.insufficient_data
    if r is None or r["n_met"] < min_n or r["n_comparable"] < min_n:
        n = 0 if r is None else int(r["n_met"] + r["n_comparable"])
        return Lift(outcome, none(n, "met"), none(n, "comparable"), none(n, method), None, 0)
    z = z_value(confidence)
    se1, se0 = np.sqrt(r["var_met"]), np.sqrt(r["var_comparable"] * deff)
    d = r["met"] - r["comparable"]
    se = float(np.hypot(se1, se0))
    p = float(2 * special.ndtr(-abs(d / se))) if se > 0 else None
    n1, n0 = int(r["n_met"]), int(r["n_comparable"])
    return Lift(
        outcome,
        Estimate(r["met"], r["met"] - z * se1, r["met"] + z * se1, n1, "met, mean", confidence),
        Estimate(
            r["comparable"],
            r["comparable"] - z * se0,
            r["comparable"] + z * se0,
            n0,
            "comparable, weighted to the met",
            confidence,
        ),
        Estimate(d, d - z * se, d + z * se, n1 + n0, method, confidence),
        p,
        int(r["unmatched"]),
    )


def _stratum_lifts(cells: pd.DataFrame, outcome: str, strata: list[str]) -> pd.DataFrame:
    """Per stratum with met and comparison customers: n1, n0, m1, m0 (means)."""
    n, s = f"n_{outcome}", f"s_{outcome}"
    c = cells[cells[n] > 0].fillna({s: 0.0})
    wide = c.pivot_table(index=strata, columns="met", values=[n, s], aggfunc="sum", fill_value=0)
    if (n, 1) not in wide.columns or (n, 0) not in wide.columns:
        return pd.DataFrame(columns=[*strata, "n1", "n0", "m1", "m0"])
    out = pd.DataFrame(
        {
            "n1": wide[(n, 1)].astype(float),
            "n0": wide[(n, 0)].astype(float),
            "m1": wide[(s, 1)] / wide[(n, 1)].where(wide[(n, 1)] > 0),
            "m0": wide[(s, 0)] / wide[(n, 0)].where(wide[(n, 0)] > 0),
        }
    )
    return out[(out["n1"] > 0) & (out["n0"] > 0)].reset_index()


Coefficients = tuple[dict[str, tuple[float, int]], pd.DataFrame]


def _trend_coefficients(
    cells: pd.DataFrame, strata: list[str], months: list[str], min_n: int
) -> Coefficients:
    """Per outcome: the slope of the lift per month and n (``slopes``), and per stratum x met
    the coefficients ``a_<o>``, ``m_<o>`` of each row's part in it (see :func:`_trends`).

    The slope b = sum_s w_s (t_s - tbar) d_s / sxx over strata s (month t_s, lift d_s = m1 - m0,
    w_s = n1_s met customers, tbar and sxx weighted by w). b is linear in the outcomes: a met
    row adds (t_s - tbar) / sxx * (y - m1_s), a comparison row -(n1_s / n0_s) (t_s - tbar) / sxx
    * (y - m0_s). Outcomes with fewer than three months, or fewer than ``min_n`` met or
    comparison customers, are left out.
    """
    index = {m: i for i, m in enumerate(months)}
    coef = cells[strata].drop_duplicates().reset_index(drop=True)
    slopes: dict[str, tuple[float, int]] = {}
    for o in OUTCOMES:
        st = _stratum_lifts(cells, o, strata)
        cols = {f"a1_{o}": 0.0, f"a0_{o}": 0.0, f"m1_{o}": 0.0, f"m0_{o}": 0.0}
        usable = (
            not st.empty
            and st["month"].nunique() >= 3
            and st["n1"].sum() >= min_n
            and st["n0"].sum() >= min_n
        )
        if usable:
            t = st["month"].map(index).to_numpy(dtype=float)
            w = st["n1"].to_numpy()
            d = (st["m1"] - st["m0"]).to_numpy()
            dt = t - np.average(t, weights=w)
            sxx = float(np.sum(w * dt**2))
            usable = sxx > 0
        if usable:
            slopes[o] = (float(np.sum(w * dt * d) / sxx), int(st["n1"].sum() + st["n0"].sum()))
            st = st.assign(
                **{
                    f"a1_{o}": dt / sxx,
                    f"a0_{o}": -(st["n1"] / st["n0"]) * dt / sxx,
                    f"m1_{o}": st["m1"],
                    f"m0_{o}": st["m0"],
                }
            )
            coef = coef.merge(st[[*strata, *cols]], on=strata, how="left")
        else:
            coef = coef.assign(**cols)
        coef = coef.fillna(cols)
    # long by met: one row per stratum x met with that side's coefficient and mean
    sides = [
        coef[strata].assign(
            met=met,
            **{f"a_{o}": coef[f"a{met}_{o}"] for o in slopes},
            **{f"m_{o}": coef[f"m{met}_{o}"] for o in slopes},
        )
        for met in (0, 1)
    ]
    return slopes, pd.concat(sides, ignore_index=True)


def _customer_sums(
    rows: ir.Table,
    coefs: dict[int, Coefficients],
    strata: list[str],
    *,
    comparisons: bool = False,
) -> dict[int, dict[str, float]]:
    """Per moment ``j`` of ``rows``: ``v_<o>``, the sum over customers of the square of their
    rows' parts in the slope (the clustered variance), in one pass grouped by customer; with
    ``comparisons`` also the comparison rows and customers (``rows``, ``people``,
    ``nps_rows``, ``nps_people``)."""
    frames = [c.assign(j=j) for j, (slopes, c) in coefs.items() if slopes]
    parts: dict[str, ir.Value] = {}
    k = rows
    if frames:
        table = pd.concat(frames, ignore_index=True)
        k = rows.left_join(ibis.memtable(table), ["j", *strata, "met"])
        k = k.drop(*[f"{c}_right" for c in ["j", *strata, "met"] if f"{c}_right" in k.columns])
        for j, (slopes, _) in coefs.items():
            for o in slopes:
                part = (k[f"a_{o}"] * (k[o] - k[f"m_{o}"])).fill_null(0.0)
                parts[f"u{j}_{o}"] = part.sum(where=k.j == j)
    if comparisons:
        for j in coefs:
            compared = (k.j == j) & (k.met == 0)
            parts[f"c{j}"] = compared.sum()
            parts[f"cn{j}"] = (compared & k.nps.notnull()).sum()
    if not parts:
        return {j: {} for j in coefs}
    per = k.group_by("customer_id").agg(**parts)
    totals: dict[str, ir.Value] = {f"v{x[1:]}": (per[x] ** 2).sum() for x in parts if x[0] == "u"}
    for j in coefs if comparisons else ():
        totals[f"rows{j}"] = per[f"c{j}"].sum()
        totals[f"people{j}"] = (per[f"c{j}"] > 0).sum()
        totals[f"nps_rows{j}"] = per[f"cn{j}"].sum()
        totals[f"nps_people{j}"] = (per[f"cn{j}"] > 0).sum()
    got = per.agg(**totals).execute().iloc[0]
    out: dict[int, dict[str, float]] = {}
    for j, (slopes, _) in coefs.items():
        out[j] = {f"v_{o}": float(got[f"v{j}_{o}"] or 0.0) for o in slopes}
        if comparisons:
            for name in ("rows", "people", "nps_rows", "nps_people"):
                out[j][name] = float(got[f"{name}{j}"] or 0.0)
    return out


def _trends(
    g: ir.Table, cells: pd.DataFrame, strata: list[str], months: list[str], min_n: int
) -> dict[str, tuple[float, float, int]]:
    """Per outcome: the slope of the lift per month, its variance clustered by customer, n,
    for one moment's comparison rows ``g`` (customer_id, strata, met, outcomes).

    The variance is the sum over customers of the square of their rows' parts in the slope
    (:func:`_trend_coefficients`): the cluster-robust sandwich of the fixed-effects regression
    with a met x month term, computed in the engine, grouped by customer.
    """
    coefs = {0: _trend_coefficients(cells, strata, months, min_n)}
    sums = _customer_sums(g.mutate(j=ibis.literal(0, "int64")), coefs, strata)[0]
    return {o: (b, sums[f"v_{o}"], n) for o, (b, n) in coefs[0][0].items()}


def _fades(
    cells: pd.DataFrame,
    strata: list[str],
    confidence: float,
    min_n: int,
    deff: dict[str, float],
    trends: dict[str, tuple[float, float, int]],
) -> tuple[Fade, ...]:
    months = cells["month"]
    cells = cells.assign(quarter=pd.PeriodIndex(months, freq="M").asfreq("Q").astype(str))
    z = z_value(confidence)
    method = "change in the lift per month: WLS of the stratum lifts on the month, clustered z"
    rows = []
    for o in OUTCOMES:
        by_quarter = tuple(
            (str(q), _lift(part, o, strata, confidence, min_n, deff[o]).lift)
            for q, part in cells.groupby("quarter", sort=True)
        )
        b, var, n = trends.get(o, (float("nan"), float("nan"), 0))
        se = float(np.sqrt(var)) if np.isfinite(var) and var > 0 else float("nan")
        rows.append((o, by_quarter, b, se, n))
    raw = np.array(
        [2 * special.ndtr(-abs(b / se)) if np.isfinite(se) else np.nan for _, _, b, se, _ in rows]
    )
    adjusted = holm(raw)
    out = []
    for (o, by_quarter, b, se, n), p in zip(rows, adjusted, strict=True):
        est = (
            Estimate(b, b - z * se, b + z * se, n, method, confidence)
            if np.isfinite(se)
            else Estimate.insufficient_data(n, method, confidence)
        )
        p_holm = None if np.isnan(p) else float(p)
        fading = bool(p_holm is not None and p_holm < 1 - confidence and b < 0)
        out.append(Fade(o, by_quarter, est, p_holm, fading))
    return tuple(out)
