"""Closed-loop service recovery: does recovering a customer's problem pay?

Cases are opened by :mod:`realitygap.actions.cases`; this module only reads them.

Service recovery analysis (:func:`recovery`): customers who had a case are *recovered* when the
case was resolved and, where a follow-up rating was recorded, rated 7 or more out of 10; the
others with a case are *not recovered*; customers with neither a case nor a complaint event
*never had a problem*. For each group: NPS (each customer's latest answer, for case customers
the latest after the case opened; score interval, Tango 1998) and retention (no cancellation within
the horizon after the anchor date: the case's opening or, without a case, the NPS answer; only
customers observed for the whole horizon; Wilson interval). The recovery paradox (McCollough &
Bharadwaj 1992) holds here when recovered customers are significantly more loyal than those who
never had a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import (
    Difference,
    newcombe_difference,
    nps_difference,
    nps_estimate,
    wilson_estimate,
)
from realitygap.domain.errors import check_confidence
from realitygap.domain.models import CaseStatus
from realitygap.domain.scales import NPS_DETRACTOR_TO, NPS_PROMOTER_FROM
from realitygap.store import engine
from realitygap.store.workspace import Workspace

GROUPS = ("recovered", "not recovered", "never had a problem")
RECOVERED_RATING = 7.0


# ---- recovery analysis ----------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveryGroup(Values):
    group: str
    customers: int
    nps: Estimate  # in points, -100..100
    retention: Estimate  # share retained over the horizon


@dataclass(frozen=True)
class ServiceLevel(Values):
    cases: int
    contacted_in_time: Estimate  # share first contacted by the due date, of those that could be
    median_hours_to_contact: float | None
    median_hours_to_resolution: float | None
    open_overdue: int


@dataclass(frozen=True)
class RecoveryResult(Values):
    groups: tuple[RecoveryGroup, ...]
    nps_recovered_vs_never: Difference | None
    retention_recovered_vs_never: Difference | None
    retention_recovered_vs_not: Difference | None  # does recovering a problem pay?
    service: ServiceLevel
    horizon_days: int
    verdict: str
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Recovered: case resolved, follow-up rating >= 7/10 where recorded",
            "NPS with score interval (Tango 1998); difference by two-sample z-test",
            "Retention over the horizon with Wilson interval; difference with Newcombe's "
            "interval and the two-proportion z-test",
            "Recovery paradox: McCollough & Bharadwaj (1992); de Matos et al. (2007) meta-analysis",
        )
    )

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for g in self.groups:
            row: dict[str, Any] = {"group": g.group, "customers": g.customers}
            row.update(g.nps.to_dict("nps_"))
            row.update(g.retention.to_dict("retention_"))
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "groups": plain(self.groups),
            "nps_recovered_vs_never": plain(self.nps_recovered_vs_never),
            "retention_recovered_vs_never": plain(self.retention_recovered_vs_never),
            "retention_recovered_vs_not": plain(self.retention_recovered_vs_not),
            "service_level": plain(self.service),
            "horizon_days": self.horizon_days,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [self.verdict]
        if self.retention_recovered_vs_not is not None:
            d = self.retention_recovered_vs_not
            lines.append(
                f"Recovering a problem keeps {100 * d.value:+.1f} points more customers "
                f"[{100 * d.low:+.1f}, {100 * d.high:+.1f}] (p = {d.p_value:.2g}) than leaving "
                "it unrecovered"
            )
        for g in self.groups:
            lines.append(
                f"  {g.group:<20} customers={g.customers:<7} NPS {g.nps.format(1)}  "
                f"retained {g.retention.format(1, 100, '%')}"
            )
        s = self.service
        lines.append(
            f"Service level: {s.cases} cases; first contact in time "
            f"{s.contacted_in_time.format(0, 100, '%')}; median hours to contact "
            f"{_hours(s.median_hours_to_contact)}, to resolution "
            f"{_hours(s.median_hours_to_resolution)}; {s.open_overdue} open and overdue"
        )
        return "\n".join(lines)


def _hours(h: float | None) -> str:
    return "–" if h is None else f"{h:.1f}"


def _customer_groups(ws: Workspace) -> ir.Table:
    """Per customer with a case: recovered flag and the anchor date (first case opened)."""
    c = ws.table("cases")
    ok = c.resolved_at.notnull() & (
        c.recovery_rating.isnull() | (c.recovery_rating >= RECOVERED_RATING)
    )
    return c.group_by("customer_id").agg(
        anchor=c.opened_at.min(),
        recovered=engine.as_number(ok, "int64").min() == 1,  # every case of the customer recovered
    )


def recovery(
    ws: Workspace,
    *,
    horizon_days: int = 180,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> RecoveryResult:
    """Loyalty of recovered, not recovered and never-a-problem customers, and service levels.

    Parameters
    ----------
    ws : Workspace
        An open workspace with follow-up cases (opened by :mod:`realitygap.actions.cases` or
        imported).
    horizon_days : int, default 180
        Retention window after the anchor date (the case's opening, or the NPS answer).
    min_n : int, default 30
        Fewer customers than this give "insufficient data".
    confidence : float, default 0.95
        Level of every interval and test.

    Returns
    -------
    RecoveryResult
        ``groups`` (:class:`RecoveryGroup`), the differences ``nps_recovered_vs_never``,
        ``retention_recovered_vs_never``, ``retention_recovered_vs_not`` (:class:`Difference`
        or None), ``service`` (:class:`ServiceLevel`: cases, first contact in time, median hours
        to contact and resolution, open and overdue), ``verdict`` (the recovery paradox, in
        words). ``to_frame()`` has one row per group:

        - ``group``: ``recovered``, ``not recovered``, ``never had a problem``;
          ``customers``;
        - ``nps_value``, ``nps_low``, ``nps_high``, ``nps_n``, ``nps_method``,
          ``nps_confidence``, ``nps_n_effective``: NPS points (adjusted Wald);
        - ``retention_value``, ``retention_low``, ``retention_high``, ``retention_n``,
          ``retention_method``, ``retention_confidence``, ``retention_n_effective``: share
          retained over ``horizon_days`` (Wilson; customers observed for the whole horizon).

    Raises
    ------
    ArgumentError
        ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    McCollough, M. A. and Bharadwaj, S. G. (1992). The recovery paradox. AMA Educators'
    Proceedings. de Matos, C. A., Henrique, J. L. and Rossi, C. A. V. (2007). Service recovery
    paradox: a meta-analysis. J. Service Research 10. Rocks, B. (2016). The American
    Statistician 70 (NPS interval). Newcombe, R. G. (1998). Statistics in Medicine 17.

    Examples
    --------
    >>> result = recovery(ws)
    >>> result.to_frame()[["group", "customers", "nps_value", "retention_value"]].round(2)
                     group  customers  nps_value  retention_value
    0            recovered         43        NaN             0.93
    1        not recovered         70        NaN             0.78
    2  never had a problem       1505      47.86             0.94
    >>> d = result.retention_recovered_vs_not
    >>> round(100 * d.value, 1), round(d.p_value, 3)
    (14.7, 0.045)
    """
    check_confidence(confidence, min_n)
    qid = nps_question(question_bank(ws))
    r = ws.table("responses")
    resp = ws.table("respondents")
    customers = resp.filter(resp.kind == "customer").select(customer_id=resp.respondent_id)
    ev = ws.table("events")
    data_end = ev.occurred_at.max().execute()
    per_case = _customer_groups(ws)
    complainers = ev.filter(ev.type == "complaint").select("customer_id").distinct()

    base = customers.left_join(per_case, "customer_id").select(
        customers.customer_id, "anchor", "recovered"
    )
    base = base.left_join(complainers.mutate(complained=ibis.literal(True)), "customer_id")
    group = ibis.cases(
        (base.anchor.notnull() & base.recovered, "recovered"),
        (base.anchor.notnull(), "not recovered"),
        (base.complained.isnull(), "never had a problem"),
        else_=ibis.null("string"),
    )
    base = base.select(base.customer_id, base.anchor, group=group).filter(
        lambda t: t.group.notnull()
    )
    # materialised once (a temporary table): the NPS, retention and size queries all read it
    base = base.cache()

    # NPS: latest answer (after the case opened, for customers with a case)
    nps_counts = pd.DataFrame(columns=["group", "n", "pro", "det", "anchor_min"])
    if qid is not None:
        answers = r.filter(r.question_id == qid).select(
            customer_id=r.respondent_id, value=r.value, submitted_at=r.submitted_at
        )
        j = base.join(answers, "customer_id")
        j = j.filter(j.anchor.isnull() | (j.submitted_at >= j.anchor))
        rank = ibis.row_number().over(group_by=j.customer_id, order_by=ibis.desc(j.submitted_at))
        latest = j.mutate(rank=rank).filter(lambda t: t["rank"] == 0)
        nps_counts = (
            latest.group_by("group")
            .agg(
                n=latest.count(),
                pro=engine.as_number(latest.value >= NPS_PROMOTER_FROM).sum(),
                det=engine.as_number(latest.value <= NPS_DETRACTOR_TO).sum(),
            )
            .execute()
        )
        # the no-case group's anchor is their latest NPS answer
        anchors = latest.select("customer_id", "group", nps_at=latest.submitted_at)
    else:
        anchors = base.select("customer_id", "group", nps_at=base.anchor)

    retention_counts = pd.DataFrame(columns=["group", "n", "retained"])
    if data_end is not None and not pd.isna(data_end):
        horizon = ibis.interval(days=horizon_days)
        anchored = base.left_join(anchors.select("customer_id", "nps_at"), "customer_id")
        anchored = anchored.select(
            "customer_id",
            "group",
            start=ibis.coalesce(anchored.anchor, anchored.nps_at),
        ).filter(lambda t: t.start.notnull())
        anchored = anchored.filter(anchored.start + horizon <= ibis.literal(data_end))
        cancels = ev.filter(ev.type == "cancellation").select(
            "customer_id", cancelled_at=ev.occurred_at
        )
        k = anchored.left_join(cancels, "customer_id")
        lost = (k.cancelled_at >= k.start) & (k.cancelled_at < k.start + horizon)
        per_customer = k.group_by(["customer_id", "group"]).agg(
            lost=engine.as_number(lost.fill_null(False), "int64").max()
        )
        retention_counts = (
            per_customer.group_by("group")
            .agg(n=per_customer.count(), retained=(1 - per_customer.lost).sum())
            .execute()
        )
    sizes = base.group_by("group").agg(n=base.count()).execute()
    base.release()

    groups = []
    shares: dict[str, tuple[float, float, float, float, float]] = {}
    for name in GROUPS:
        size = int(sizes.loc[sizes["group"] == name, "n"].sum())
        nrow = nps_counts[nps_counts["group"] == name]
        n = int(nrow["n"].sum())
        pro = float(nrow["pro"].sum()) / n if n else 0.0
        det = float(nrow["det"].sum()) / n if n else 0.0
        nps_est = nps_estimate(pro, det, n, min_n, confidence=confidence)
        rrow = retention_counts[retention_counts["group"] == name]
        rn = int(rrow["n"].sum())
        kept = float(rrow["retained"].sum())
        ret = wilson_estimate(
            int(kept), rn, min_n, f"retained {horizon_days} days, Wilson", confidence
        )
        groups.append(RecoveryGroup(name, size, nps_est, ret))
        shares[name] = (pro, det, n, kept / rn if rn else 0.0, rn)

    rec, never = shares["recovered"], shares["never had a problem"]
    not_rec = shares["not recovered"]
    nps_diff = ret_diff = pays = None
    if rec[2] >= min_n and never[2] >= min_n:
        nps_diff = _points(
            nps_difference(rec[0], rec[1], rec[2], never[0], never[1], never[2], confidence)
        )
    if rec[4] >= min_n and never[4] >= min_n:
        ret_diff = newcombe_difference(rec[3], rec[4], never[3], never[4], confidence)
    if rec[4] >= min_n and not_rec[4] >= min_n:
        pays = newcombe_difference(rec[3], rec[4], not_rec[3], not_rec[4], confidence)
    return RecoveryResult(
        tuple(groups),
        nps_diff,
        ret_diff,
        pays,
        service_level(ws, min_n=min_n, confidence=confidence),
        horizon_days,
        _verdict(nps_diff, ret_diff, alpha=1 - confidence),
        min_n,
        confidence,
    )


def _points(d: Difference) -> Difference:
    """An NPS difference from share units to NPS points."""
    return Difference(100 * d.value, 100 * d.low, 100 * d.high, d.statistic, d.p_value)


def _verdict(nps_diff: Difference | None, ret_diff: Difference | None, *, alpha: float) -> str:
    if nps_diff is None and ret_diff is None:
        return "Recovery paradox: insufficient data (too few recovered customers)"
    tests = [d for d in (nps_diff, ret_diff) if d is not None]
    if any(d.p_value < alpha and d.value > 0 for d in tests):
        return (
            "The recovery paradox holds: customers whose problem was recovered are more loyal "
            "than customers who never had one"
        )
    if any(d.p_value < alpha and d.value < 0 for d in tests):
        return (
            "No recovery paradox: recovered customers stay less loyal than customers who never "
            "had a problem — prevention beats cure here"
        )
    return (
        "No detectable difference between recovered customers and those who never had a "
        "problem (see the intervals): the data neither show nor rule out a recovery paradox"
    )


def service_level(ws: Workspace, *, min_n: int = MIN_N, confidence: float = 0.95) -> ServiceLevel:
    """Share of cases first contacted by their due date, among the cases whose due date
    could be met and is decided: a case due before it was opened could never be met, and
    an open case not yet due (at the end of the data) may still be; both are left out of
    the share (``cases`` counts them all). Median hours to contact and to resolution; open
    cases past due at the end of the data."""
    c = ws.table("cases")
    hours_contact = (c.first_contact_at.epoch_seconds() - c.opened_at.epoch_seconds()) / 3600
    hours_resolve = (c.resolved_at.epoch_seconds() - c.opened_at.epoch_seconds()) / 3600
    now = ibis.coalesce(c.resolved_at.max(), c.opened_at.max())
    last = c.aggregate(last=now).execute()["last"].iloc[0]
    as_of = ibis.literal(
        pd.Timestamp(last) if last is not None and not pd.isna(last) else None, type="timestamp"
    )
    in_time = c.first_contact_at.notnull() & (c.first_contact_at <= c.due_at)
    could_meet = (c.due_at >= c.opened_at) & (c.first_contact_at.notnull() | (c.due_at < as_of))
    stats_ = c.aggregate(
        n=c.count(),
        counted=engine.as_number(could_meet.fill_null(False), "int64").sum(),
        in_time=engine.as_number((in_time & could_meet).fill_null(False), "int64").sum(),
        med_contact=hours_contact.median(),
        med_resolve=hours_resolve.median(),
    ).execute()
    n = int(stats_["n"].iloc[0])
    counted = int(stats_["counted"].iloc[0] or 0)
    k = int(stats_["in_time"].iloc[0] or 0)
    share = wilson_estimate(
        k,
        counted,
        min_n,
        "first contact by due date (cases that could be met), Wilson",
        confidence,
    )
    overdue = 0
    if n and last is not None and not pd.isna(last):
        open_ = c.filter(
            c.status.isin([CaseStatus.OPEN.value, CaseStatus.CONTACTED.value])
            & (c.due_at < ibis.literal(pd.Timestamp(last)))
        )
        overdue = int(open_.count().execute())
    return ServiceLevel(
        n,
        share,
        _maybe(stats_["med_contact"].iloc[0]),
        _maybe(stats_["med_resolve"].iloc[0]),
        overdue,
    )


def _maybe(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
