"""Revealed loyalty: what each surveyed customer did around the time they answered.

For an anchor (a customer and the moment ``t0`` they answered), the engine counts, from the
``events`` table:

- *activity* = purchase and renewal events; ``base_n``/``base_amount`` in the baseline window
  (t0 - baseline, t0], ``follow_n``/``follow_amount`` in the follow-up window (t0, t0 + horizon];
- ``churn_at``: the first cancellation after t0 (any time up to the end of the data).

Status, decided in the engine:

- ``churned``: a cancellation within the follow-up window, or no activity at all in a fully
  observed follow-up window (the customer did not buy again);
- ``declining``: not churned, had baseline activity, and the follow-up activity rate (events
  per day) fell below (1 - ``decline``) of the baseline rate, i.e. by more than ``decline``
  (6 purchases down to 3 is a halving, not more: integer counts tie at exactly 50% often);
- ``retained``: not churned and not declining;
- ``unknown``: the follow-up window reaches past the last event in the data and no cancellation
  was seen (too recent to judge).

:func:`shared_activity` computes the activity of every survey answer and every customer
invitation in one pass over the events, once per workspace version: the audit's retention AUC
and non-response check and the stated-vs-revealed analysis read it instead of scanning the
events three times.

``value_at_risk`` is the baseline spend per year (activity count per year when amounts are
missing) times the share of activity lost: all of it for churners, 1 - follow/base rate for
decliners, 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir
import pandas as pd

from realitygap.store.answer_grid import table_fingerprint
from realitygap.store.workspace import Workspace

DAYS_PER_MONTH = 30.4375
ACTIVITY_TYPES = ("purchase", "renewal")
STATUSES = ("retained", "declining", "churned")


@dataclass(frozen=True)
class Windows:
    """The activity rule: months of baseline and follow-up, and the fall that counts."""

    horizon_months: float = 6.0
    baseline_months: float = 6.0
    decline: float = 0.5

    @property
    def horizon_days(self) -> int:
        return round(self.horizon_months * DAYS_PER_MONTH)

    @property
    def baseline_days(self) -> int:
        return round(self.baseline_months * DAYS_PER_MONTH)

    def describe(self) -> str:
        return (
            f"activity = purchases and renewals; churned = cancelled within "
            f"{self.horizon_months:g} months of answering or no activity in them; declining = "
            f"activity rate down by more than {self.decline:.0%} against the "
            f"{self.baseline_months:g} months before answering"
        )


def data_end(ws: Workspace) -> datetime | None:
    """The last event date in the workspace (None without events)."""
    value = ws.table("events").occurred_at.max().execute()
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def survey_anchors(ws: Workspace, question_ids: list[str], *, wave: str | None = None) -> ir.Table:
    """(respondent_id, wave, t0): when each respondent answered ``question_ids`` in a wave."""
    r = ws.table("responses")
    r = r.filter(r.question_id.isin(question_ids) & r.submitted_at.notnull())
    if wave is not None:
        r = r.filter(r.wave == wave)
    return r.group_by(["respondent_id", "wave"]).aggregate(t0=r.submitted_at.min())


def activity(ws: Workspace, anchors: ir.Table, windows: Windows, end: datetime) -> ir.Table:
    """``anchors`` (respondent_id, t0, any other columns) with the activity columns added:
    base_n, base_amount, follow_n, follow_amount, churn_at, status, value_at_risk."""
    ev = ws.table("events").select("customer_id", "occurred_at", "type", "amount")
    keys = list(anchors.columns)
    j = anchors.left_join(ev, anchors.respondent_id == ev.customer_id)
    horizon = ibis.interval(days=windows.horizon_days)
    baseline = ibis.interval(days=windows.baseline_days)
    is_activity = j.type.isin(list(ACTIVITY_TYPES))
    before = is_activity & (j.occurred_at <= j.t0) & (j.occurred_at > j.t0 - baseline)
    after = is_activity & (j.occurred_at > j.t0) & (j.occurred_at <= j.t0 + horizon)
    cancelled = (j.type == "cancellation") & (j.occurred_at > j.t0)
    amount = j.amount.fill_null(0.0)
    agg = j.group_by(keys).aggregate(
        base_n=ibis.ifelse(before, 1, 0).sum(),
        base_amount=ibis.ifelse(before, amount, 0.0).sum(),
        follow_n=ibis.ifelse(after, 1, 0).sum(),
        follow_amount=ibis.ifelse(after, amount, 0.0).sum(),
        churn_at=j.occurred_at.min(where=cancelled),
    )
    end_lit = ibis.literal(end, type="timestamp")
    observed = agg.t0 + horizon <= end_lit
    churned = (agg.churn_at.notnull() & (agg.churn_at <= agg.t0 + horizon)) | (
        observed & (agg.follow_n == 0)
    )
    days_seen = ibis.least(
        ibis.literal(float(windows.horizon_days)),
        (end_lit.epoch_seconds() - agg.t0.epoch_seconds()).cast("float64") / 86400.0,
    )
    base_rate = agg.base_n.cast("float64") / windows.baseline_days
    follow_rate = agg.follow_n.cast("float64") / ibis.greatest(days_seen, 1.0)
    declining = (agg.base_n > 0) & (follow_rate < (1.0 - windows.decline) * base_rate)
    status = ibis.cases(
        (churned, "churned"),
        (~observed, "unknown"),
        (declining, "declining"),
        else_="retained",
    )
    has_amounts = agg.base_amount > 0
    yearly = ibis.ifelse(has_amounts, agg.base_amount, agg.base_n.cast("float64")) * (
        365.0 / windows.baseline_days
    )
    lost = ibis.cases(
        (status == "churned", 1.0),
        ((status == "declining") & (base_rate > 0), 1.0 - follow_rate / base_rate),
        else_=0.0,
    )
    return agg.mutate(status=status, value_at_risk=yearly * lost)


ANSWERED = "answered"
INVITED = "invited"
# what the shared activity is derived from: a change of these columns invalidates it
_SOURCES = {
    "events": ["customer_id", "occurred_at", "type", "amount"],
    "responses": ["respondent_id", "wave", "submitted_at"],
    "invitations": ["respondent_id", "wave", "invited_at"],
    "respondents": ["respondent_id", "kind"],
}


def shared_activity(ws: Workspace, windows: Windows, end: datetime) -> ir.Table:
    """The activity (:func:`activity`) of every anchor, as a temporary table computed once per
    workspace version and ``windows``, kept on the workspace (``Workspace.derived``).

    Rows: respondent_id, wave, kind, t0 and the activity columns. ``kind`` is ANSWERED for a
    survey answer, one row per (respondent, wave) with t0 = their first answer of the wave,
    or INVITED for a customer invitation, t0 = invited_at (staff invitations left out). The key
    of the cache ends with the fingerprints of the columns it reads, so a write through any
    means is never read stale (a read-only workspace cannot change while it is open).
    """
    # A read-only DuckDB connection cannot see writes (DuckDB locks the file against writers
    # while it is open), so there the data have one version and no fingerprint scan is needed
    # (four hash scans cost about as much as the activity itself at 1M customers).
    version = (
        ("read-only",)
        if ws.frozen
        else tuple(table_fingerprint(ws, t, cols) for t, cols in _SOURCES.items())
    )
    key = ("activity", windows, end, version)
    cached = ws.derived.get(key)
    if cached is not None:
        table: ir.Table = cached
        return table
    for old in [k for k in ws.derived if k[0] == "activity"]:
        ws.derived.pop(old).release()  # an older version's temporary table
    r = ws.table("responses")
    r = r.filter(r.submitted_at.notnull())
    answered = r.group_by(["respondent_id", "wave"]).aggregate(
        kind=ibis.literal(ANSWERED), t0=r.submitted_at.min()
    )
    inv = ws.table("invitations")
    staff = ws.table("respondents")
    staff = staff.filter(staff.kind == "staff").select("respondent_id")
    inv = inv.filter(inv.invited_at.notnull()).anti_join(staff, "respondent_id")
    # one schema for both (invitations' keys are NOT NULL, responses' are not declared so)
    invited = inv.select(
        respondent_id=inv.respondent_id.cast("string"),
        wave=inv.wave.cast("string"),
        kind=ibis.literal(INVITED),
        t0=inv.invited_at.cast("timestamp"),
    )
    anchors = answered.select(
        respondent_id=answered.respondent_id.cast("string"),
        wave=answered.wave.cast("string"),
        kind=answered.kind,
        t0=answered.t0.cast("timestamp"),
    )
    table = activity(ws, anchors.union(invited), windows, end).cache()
    ws.derived[key] = table
    return table


def answered_activity(
    ws: Workspace, windows: Windows, end: datetime, *, wave: str | None = None
) -> ir.Table:
    """The shared activity of survey answers (one row per respondent and wave, t0 = the first
    answer of the wave), in ``wave`` only if given."""
    act = shared_activity(ws, windows, end)
    act = act.filter(act.kind == ANSWERED)
    if wave is not None:
        act = act.filter(act.wave == wave)
    return act.drop("kind")


def invited_activity(ws: Workspace, windows: Windows, end: datetime) -> ir.Table:
    """The shared activity of customer invitations (t0 = invited_at)."""
    act = shared_activity(ws, windows, end)
    return act.filter(act.kind == INVITED).drop("kind")
