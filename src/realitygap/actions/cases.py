"""Open follow-up cases: the closed loop's action (it writes; the analyses only read).

Rules (:func:`case_candidates` previews them, :func:`open_cases` inserts them atomically):

- ``detractor``: a customer answered the NPS question 0-6. The case's touchpoint is the
  touchpoint of that customer's lowest-rated item in the same wave, its owner that touchpoint's
  owner department in the taxonomy.
- ``staff_attitude``: a document tagged as a complaint about staff attitude with negative
  sentiment (from ``realitygap text tag``).
- ``silent_attrition``: a customer on the silent-attrition list (stated loyalty, falling or
  stopped purchases; ``realitygap behaviour``).

A case opens on the day the rule runs (``now``), never before the customer spoke. It is due
the service level (default 48 hours to first contact) after the customer spoke when that is
still ahead, otherwise the service level after it opens: a case opened today for an answer
of last year is due in 48 hours, not overdue since last year. ``since`` keeps only the
answers, comments and attrition signals from that date on (an older wave's backlog stays
closed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._options import TRIGGERS as TRIGGERS
from realitygap.domain.errors import check_choice
from realitygap.domain.models import CaseStatus
from realitygap.domain.scales import NPS_DETRACTOR_TO
from realitygap.store import engine
from realitygap.store.settings import AutoCaseRule
from realitygap.store.workspace import Workspace
from realitygap.store.write import insert_new


def _owners(ws: Workspace) -> ir.Table:
    tax = ws.taxonomy
    return ibis.memtable(
        {
            "touchpoint": [tp.id for tp in tax.touchpoints],
            "owner": [tp.owner for tp in tax.touchpoints],
        }
    )


def _worst_touchpoints(ws: Workspace, responses: ir.Table | None = None) -> ir.Table:
    """Per respondent and wave: the touchpoint of their lowest-rated item (in ``responses``,
    by default the workspace's)."""
    r = ws.table("responses") if responses is None else responses
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


def detractor_candidates(
    ws: Workspace,
    sla: timedelta,
    score_to: float = NPS_DETRACTOR_TO,
    responses: ir.Table | None = None,
) -> ir.Table:
    """One candidate case per detractor answer (customer x wave; NPS at most ``score_to``,
    by default 6), as an Ibis expression; over ``responses`` when given (a submission not
    stored yet), else the workspace's."""
    qid = nps_question(question_bank(ws))
    r = ws.table("responses") if responses is None else responses
    if qid is None:
        return r.filter(ibis.literal(False)).select(case_id=r.respondent_id)
    det = r.filter((r.question_id == qid) & (r.value <= score_to))
    cand = det.left_join(_worst_touchpoints(ws, r), ["respondent_id", "wave"])
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
    negative_first = engine.as_number((tp.sentiment == "negative"), "int64")
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
    since: date | datetime | None = None,
    now: datetime | None = None,
    score_to: float = NPS_DETRACTOR_TO,
    touchpoints: tuple[str, ...] = (),
    segments: tuple[str, ...] = (),
    responses: ir.Table | None = None,
) -> pd.DataFrame:
    """The cases the rules in ``triggers`` would open (not yet in the ``cases`` table).

    The rule is configurable: ``score_to`` is the highest NPS answer that opens a detractor
    case (default 6); ``touchpoints`` and ``segments``, when given, keep only cases at those
    touchpoints and of customers in those segments (``respondents.segment``).
    ``since`` keeps only triggers (answer, comment, attrition signal) from that date on;
    ``now`` is when the cases open (default: the current time, UTC); ``responses`` replaces
    the workspace's answers for the detractor rule (a submission being stored). Columns: case_id,
    customer_id, trigger, touchpoint, owner, status, opened_at, due_at.
    """
    for trigger in triggers:
        check_choice("triggers", trigger, TRIGGERS)
    frames: list[pd.DataFrame] = []
    if "detractor" in triggers:
        frames.append(detractor_candidates(ws, sla, score_to, responses).execute())
    if "staff_attitude" in triggers:
        frames.append(staff_attitude_candidates(ws, sla).execute())
    if "silent_attrition" in triggers:
        frames.append(silent_attrition_candidates(ws, sla))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["case_id"])
    cand = pd.concat(frames, ignore_index=True).drop_duplicates("case_id")
    if touchpoints:
        cand = cand[cand["touchpoint"].isin(touchpoints)]
    if segments:
        r = ws.table("respondents")
        ids = [str(c) for c in cand["customer_id"].unique()]
        inside = r.filter(
            r.segment.isin(list(segments)) & r.respondent_id.isin(ids)
        ).respondent_id.execute()
        cand = cand[cand["customer_id"].isin(set(inside))]
    # the rules date a candidate by its trigger (when the customer spoke)
    spoke = pd.to_datetime(cand["opened_at"])
    if since is not None:
        keep = spoke >= pd.Timestamp(since)
        cand, spoke = cand[keep.to_numpy()], spoke[keep]
    cand = cand.assign(**_schedule(spoke, sla, now))
    t = ws.table("cases")
    existing = set(t.filter(t.case_id.isin([str(c) for c in cand["case_id"]])).case_id.execute())
    new: pd.DataFrame = cand[~cand["case_id"].isin(existing)].reset_index(drop=True)
    return new


def _schedule(spoke: pd.Series, sla: timedelta, now: datetime | None) -> dict[str, pd.Series]:
    """opened_at = now (or the trigger, if later); due_at = trigger + service level when that
    is still ahead of the opening, else opening + service level."""
    at = pd.Timestamp(now or datetime.now(UTC))
    if at.tzinfo is not None:
        at = at.tz_convert(None)  # the workspace stores naive UTC timestamps
    opened = spoke.where(spoke > at, at)
    promised = spoke + pd.Timedelta(sla)
    due = promised.where(promised > opened, opened + pd.Timedelta(sla))
    return {"opened_at": opened, "due_at": due}


def open_cases(ws: Workspace, candidates: pd.DataFrame) -> int:
    """Insert candidate cases atomically; returns how many were new (re-running adds none)."""
    if candidates.empty:
        return 0
    with ws.transaction():
        return insert_new(ws, "cases", candidates)


def submission_cases(
    ws: Workspace, responses: pd.DataFrame, rule: AutoCaseRule, now: datetime
) -> pd.DataFrame:
    """The detractor case a customer's submission (``responses`` rows about to be stored)
    opens under the workspace's ``[cases.auto]`` rule: the ``detractor`` rule of
    :func:`case_candidates` over these answers, so its id, owner and due date are those
    ``realitygap cases open`` would give (and it never opens a second one). No NPS answer at
    most ``rule.max_score`` here: no case (and only the question bank is read)."""
    if responses.empty:
        return pd.DataFrame(columns=["case_id"])
    rows = responses.assign(value=pd.to_numeric(responses["value"], errors="coerce"))
    qid = nps_question(question_bank(ws))
    if not ((rows["question_id"] == qid) & (rows["value"] <= rule.max_score)).any():
        return pd.DataFrame(columns=["case_id"])
    return case_candidates(
        ws,
        triggers=("detractor",),
        sla=timedelta(hours=rule.sla_hours),
        now=now,
        score_to=rule.max_score,
        touchpoints=rule.touchpoints,
        segments=rule.segments,
        responses=ibis.memtable(rows),
    )
