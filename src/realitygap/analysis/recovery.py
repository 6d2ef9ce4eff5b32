"""Closed-loop service recovery: which customers need a follow-up case, and does recovery pay?

Rules that open a case (:func:`case_candidates`, :func:`open_cases`):

- ``detractor``: a customer answered the NPS question 0-6. The case's touchpoint is the
  touchpoint of that customer's lowest-rated item in the same wave, its owner that touchpoint's
  owner department in the taxonomy.
- ``staff_attitude``: a document tagged as a complaint about staff attitude with negative
  sentiment (from ``realitygap text tag``).
- ``silent_attrition``: a customer on the silent-attrition list (stated loyalty, falling or
  stopped purchases; ``realitygap behaviour``).

Each case is due a service level after it opens (default 48 hours to first contact).

Service recovery analysis (:func:`recovery`): customers who had a case are *recovered* when the
case was resolved and, where a follow-up rating was recorded, rated 7 or more out of 10; the
others with a case are *not recovered*; customers with neither a case nor a complaint event
*never had a problem*. For each group: NPS (each customer's latest answer, for case customers
the latest after the case opened; adjusted-Wald interval) and retention (no cancellation within
the horizon after the anchor date: the case's opening or, without a case, the NPS answer; only
customers observed for the whole horizon; Wilson interval). The recovery paradox (McCollough &
Bharadwaj 1992) holds here when recovered customers are significantly more loyal than those who
never had a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, plain
from realitygap.analysis._stats import (
    Difference,
    newcombe_difference,
    nps_difference,
    nps_interval,
    wilson_estimate,
)
from realitygap.domain.models import CaseStatus
from realitygap.domain.scales import NPS_DETRACTOR_TO, NPS_PROMOTER_FROM
from realitygap.store.workspace import Workspace
from realitygap.store.write import insert_new

TRIGGERS = ("detractor", "staff_attitude", "silent_attrition")
GROUPS = ("recovered", "not recovered", "never had a problem")
RECOVERED_RATING = 7.0


# ---- opening cases --------------------------------------------------------------------------
def _owners(ws: Workspace) -> ir.Table:
    tax = ws.taxonomy
    return ibis.memtable(
        {
            "touchpoint": [tp.id for tp in tax.touchpoints],
            "owner": [tp.owner for tp in tax.touchpoints],
        }
    )


def _worst_touchpoints(ws: Workspace) -> ir.Table:
    """Per respondent and wave: the touchpoint of their lowest-rated item."""
    r = ws.table("responses")
    q = ws.table("questions")
    rated = q.filter(
        (q.audience == "customer") & q.touchpoint.notnull() & q.scale.isin(["likert5", "likert7"])
    ).select("question_id", "touchpoint")
    items = r.join(rated, "question_id")
    rank = ibis.row_number().over(
        group_by=[items.respondent_id, items.wave], order_by=[items.value, items.question_id]
    )
    return (
        items.mutate(rank=rank)
        .filter(lambda t: t["rank"] == 0)
        .select("respondent_id", "wave", "touchpoint")
    )


def _as_cases(
    t: ir.Table, trigger: str, key: ir.StringValue, opened: ir.TimestampValue, sla: timedelta
) -> ir.Table:
    """Candidate case rows (the columns of ``cases``) from a table with customer_id,
    touchpoint and owner."""
    return t.select(
        case_id=ibis.literal(f"{trigger}:") + key,
        customer_id=t.customer_id,
        trigger=ibis.literal(trigger),
        touchpoint=t.touchpoint,
        owner=t.owner,
        status=ibis.literal(CaseStatus.OPEN.value),
        opened_at=opened,
        due_at=opened + ibis.interval(seconds=int(sla.total_seconds())),
    )


def detractor_candidates(ws: Workspace, sla: timedelta) -> ir.Table:
    """One candidate case per detractor answer (customer x wave), as an Ibis expression."""
    qid = nps_question(question_bank(ws))
    r = ws.table("responses")
    if qid is None:
        return r.filter(ibis.literal(False)).select(case_id=r.respondent_id)
    det = r.filter((r.question_id == qid) & (r.value <= NPS_DETRACTOR_TO))
    cand = det.left_join(_worst_touchpoints(ws), ["respondent_id", "wave"])
    cand = cand.left_join(_owners(ws), "touchpoint").mutate(customer_id=det.respondent_id)
    key = cand.respondent_id + ":" + cand.wave
    return _as_cases(cand, "detractor", key, cand.submitted_at.cast("timestamp"), sla)


def staff_attitude_candidates(ws: Workspace, sla: timedelta) -> ir.Table:
    """One candidate case per negative document flagged as a complaint about staff attitude
    (from ``realitygap text tag``) whose author is known. Its touchpoint is the document's
    most confident negative touchpoint tag (any touchpoint tag when none is negative)."""
    d = ws.table("documents")
    tags = ws.table("document_tags")
    flagged = tags.filter(tags.staff_attitude & (tags.sentiment == "negative")).select(
        "document_id"
    )
    a = ws.table("document_aspects")
    tp = a.filter(a.aspect_kind == "touchpoint")
    negative_first = (tp.sentiment == "negative").cast("int64")
    rank = ibis.row_number().over(
        group_by=tp.document_id,
        order_by=[ibis.desc(negative_first), ibis.desc(tp.score), tp.aspect],
    )
    top = (
        tp.mutate(rank=rank)
        .filter(lambda t: t["rank"] == 0)
        .select("document_id", touchpoint=tp.aspect)
    )
    docs = d.filter(d.customer_id.notnull()).join(flagged, "document_id")
    cand = docs.left_join(top, "document_id").left_join(_owners(ws), "touchpoint")
    return _as_cases(
        cand, "staff_attitude", cand.document_id, cand.created_at.cast("timestamp"), sla
    )


def silent_attrition_candidates(ws: Workspace, sla: timedelta) -> pd.DataFrame:
    """One candidate case per customer on the silent-attrition list of
    :func:`realitygap.analysis.behaviour.behaviour`, opened when they churned or at the end of
    the follow-up window; touchpoint = their lowest-rated touchpoint in that wave."""
    from realitygap.analysis.behaviour import behaviour

    result = behaviour(ws, silent_top=None)  # every silent churner gets a case
    silent = result.silent
    columns = ["case_id", "customer_id", "trigger", "touchpoint", "owner", "status"]
    if silent.empty:
        return pd.DataFrame(columns=[*columns, "opened_at", "due_at"])
    follow = pd.Timedelta(days=result.windows.horizon_days)
    opened = pd.to_datetime(silent["churn_at"]).fillna(
        pd.to_datetime(silent["answered_at"]) + follow
    )
    worst = _worst_touchpoints(ws).execute().rename(columns={"respondent_id": "customer_id"})
    owners = {tp.id: tp.owner for tp in ws.taxonomy.touchpoints}
    frame = silent[["customer_id", "wave"]].assign(opened_at=opened.to_numpy())
    frame = frame.merge(worst, on=["customer_id", "wave"], how="left")
    frame["case_id"] = "silent_attrition:" + frame["customer_id"] + ":" + frame["wave"]
    frame["trigger"] = "silent_attrition"
    frame["owner"] = frame["touchpoint"].map(owners)
    frame["status"] = CaseStatus.OPEN.value
    frame["due_at"] = frame["opened_at"] + pd.Timedelta(sla)
    out: pd.DataFrame = frame[[*columns, "opened_at", "due_at"]]
    return out


def case_candidates(
    ws: Workspace,
    *,
    triggers: tuple[str, ...] = TRIGGERS,
    sla: timedelta = timedelta(hours=48),
) -> pd.DataFrame:
    """The cases the rules in ``triggers`` would open (not yet in the ``cases`` table).

    Columns: case_id, customer_id, trigger, touchpoint, owner, status, opened_at, due_at.
    """
    unknown = set(triggers) - set(TRIGGERS)
    if unknown:
        raise ValueError(f"unknown case triggers {sorted(unknown)}; expected some of {TRIGGERS}")
    frames: list[pd.DataFrame] = []
    if "detractor" in triggers:
        frames.append(detractor_candidates(ws, sla).execute())
    if "staff_attitude" in triggers:
        frames.append(staff_attitude_candidates(ws, sla).execute())
    if "silent_attrition" in triggers:
        frames.append(silent_attrition_candidates(ws, sla))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["case_id"])
    cand = pd.concat(frames, ignore_index=True).drop_duplicates("case_id")
    existing = set(ws.table("cases").case_id.execute())
    new: pd.DataFrame = cand[~cand["case_id"].isin(existing)].reset_index(drop=True)
    return new


def open_cases(ws: Workspace, candidates: pd.DataFrame) -> int:
    """Insert candidate cases atomically; returns how many were new (re-running adds none)."""
    if candidates.empty:
        return 0
    with ws.transaction():
        return insert_new(ws, "cases", candidates)


# ---- recovery analysis ----------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveryGroup:
    group: str
    customers: int
    nps: Estimate  # in points, -100..100
    retention: Estimate  # share retained over the horizon


@dataclass(frozen=True)
class ServiceLevel:
    cases: int
    contacted_in_time: Estimate  # share first contacted by the due date
    median_hours_to_contact: float | None
    median_hours_to_resolution: float | None
    open_overdue: int


@dataclass(frozen=True)
class RecoveryResult:
    groups: tuple[RecoveryGroup, ...]
    nps_recovered_vs_never: Difference | None
    retention_recovered_vs_never: Difference | None
    retention_recovered_vs_not: Difference | None  # does recovering a problem pay?
    service: ServiceLevel
    horizon_days: int
    verdict: str
    min_n: int = MIN_N
    methods: tuple[str, ...] = field(
        default=(
            "Recovered: case resolved, follow-up rating >= 7/10 where recorded",
            "NPS with adjusted-Wald interval (Rocks 2016); difference by two-sample z-test",
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
        recovered=ok.cast("int64").min() == 1,  # every case of the customer recovered
    )


def recovery(ws: Workspace, *, horizon_days: int = 180, min_n: int = MIN_N) -> RecoveryResult:
    """Loyalty of recovered, not recovered and never-a-problem customers, and service levels.

    ``to_frame`` columns: group, customers, nps_value/low/high/n/method (NPS points),
    retention_value/low/high/n/method (share retained over ``horizon_days``).
    """
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
                pro=(latest.value >= NPS_PROMOTER_FROM).cast("int64").sum(),
                det=(latest.value <= NPS_DETRACTOR_TO).cast("int64").sum(),
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
            lost=lost.fill_null(False).cast("int64").max()
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
        if n >= min_n:
            low, high = nps_interval(pro, det, n)
            nps_est = Estimate(100 * (pro - det), 100 * low, 100 * high, n, "NPS, adjusted Wald")
        else:
            nps_est = Estimate.insufficient_data(n, "NPS, adjusted Wald")
        rrow = retention_counts[retention_counts["group"] == name]
        rn = int(rrow["n"].sum())
        kept = float(rrow["retained"].sum())
        ret = wilson_estimate(int(kept), rn, min_n, f"retained {horizon_days} days, Wilson")
        groups.append(RecoveryGroup(name, size, nps_est, ret))
        shares[name] = (pro, det, n, kept / rn if rn else 0.0, rn)

    rec, never = shares["recovered"], shares["never had a problem"]
    not_rec = shares["not recovered"]
    nps_diff = ret_diff = pays = None
    if rec[2] >= min_n and never[2] >= min_n:
        nps_diff = _points(nps_difference(rec[0], rec[1], rec[2], never[0], never[1], never[2]))
    if rec[4] >= min_n and never[4] >= min_n:
        ret_diff = newcombe_difference(rec[3], rec[4], never[3], never[4])
    if rec[4] >= min_n and not_rec[4] >= min_n:
        pays = newcombe_difference(rec[3], rec[4], not_rec[3], not_rec[4])
    return RecoveryResult(
        tuple(groups),
        nps_diff,
        ret_diff,
        pays,
        service_level(ws, min_n=min_n),
        horizon_days,
        _verdict(nps_diff, ret_diff),
        min_n,
    )


def _points(d: Difference) -> Difference:
    """An NPS difference from share units to NPS points."""
    return Difference(100 * d.value, 100 * d.low, 100 * d.high, d.statistic, d.p_value)


def _verdict(nps_diff: Difference | None, ret_diff: Difference | None) -> str:
    if nps_diff is None and ret_diff is None:
        return "Recovery paradox: insufficient data (too few recovered customers)"
    tests = [d for d in (nps_diff, ret_diff) if d is not None]
    if any(d.p_value < 0.05 and d.value > 0 for d in tests):
        return (
            "The recovery paradox holds: customers whose problem was recovered are more loyal "
            "than customers who never had one"
        )
    if any(d.p_value < 0.05 and d.value < 0 for d in tests):
        return (
            "No recovery paradox: recovered customers stay less loyal than customers who never "
            "had a problem — prevention beats cure here"
        )
    return (
        "No significant difference between recovered customers and those who never had a "
        "problem: recovery restores loyalty but does not raise it"
    )


def service_level(ws: Workspace, *, min_n: int = MIN_N) -> ServiceLevel:
    """Share of cases first contacted by their due date; median hours to contact and to
    resolution; open cases past due at the end of the data."""
    c = ws.table("cases")
    hours_contact = (c.first_contact_at.epoch_seconds() - c.opened_at.epoch_seconds()) / 3600
    hours_resolve = (c.resolved_at.epoch_seconds() - c.opened_at.epoch_seconds()) / 3600
    in_time = c.first_contact_at.notnull() & (c.first_contact_at <= c.due_at)
    now = ibis.coalesce(c.resolved_at.max(), c.opened_at.max())
    stats_ = c.aggregate(
        n=c.count(),
        in_time=in_time.cast("int64").sum(),
        med_contact=hours_contact.median(),
        med_resolve=hours_resolve.median(),
        last=now,
    ).execute()
    n = int(stats_["n"].iloc[0])
    k = int(stats_["in_time"].iloc[0] or 0)
    share = wilson_estimate(k, n, min_n, "first contact by due date, Wilson")
    last = stats_["last"].iloc[0]
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
