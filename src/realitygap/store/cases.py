"""Closed-loop cases: open, list, assign and update, each change atomic and validated.

The allowed status changes are ``domain.models.CASE_TRANSITIONS``. Moving to ``contacted``
stamps ``first_contact_at`` (once), moving to ``resolved`` stamps ``resolved_at``; a recovery
rating (0-10, the customer's follow-up answer) can be recorded once a case is resolved.

Every change writes its audit entry (who, before, after) and, when ``[webhooks] url`` is set,
queues its webhook in the same transaction (:mod:`realitygap.store.webhook_queue`). A case's
*department* is the owner department of its touchpoint in the taxonomy (else its owner): a
manager sees the cases of their department, whoever in it owns them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import ibis
import pandas as pd

from realitygap.domain.errors import CaseError
from realitygap.domain.models import CASE_TRANSITIONS, CaseStatus
from realitygap.domain.privacy import redact
from realitygap.store import webhook_queue
from realitygap.store.users import record
from realitygap.store.workspace import Workspace

CASE_COLUMNS = (
    "case_id",
    "customer_id",
    "trigger",
    "touchpoint",
    "owner",
    "status",
    "opened_at",
    "due_at",
    "first_contact_at",
    "resolved_at",
    "resolution",
    "recovery_rating",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def get_case(ws: Workspace, case_id: str) -> dict[str, Any]:
    """One case as a dict; CaseError if there is no such case."""
    t = ws.table("cases")
    rows = t.filter(t.case_id == case_id).execute()
    if rows.empty:
        raise CaseError(f"case {case_id!r}: no such case in {ws.path}")
    record: dict[str, Any] = rows.iloc[0].to_dict()
    return record


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts keyed by column name."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def department_of(ws: Workspace, case: dict[str, Any]) -> str | None:
    """The department a case belongs to: its touchpoint's owner department, else its owner."""
    owners = {tp.id: tp.owner for tp in ws.taxonomy.touchpoints}
    found = owners.get(case.get("touchpoint") or "") or case.get("owner")
    return None if found is None or pd.isna(found) else str(found)


def customer_words(ws: Workspace, customer_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The customer's answers (question text, value, wave) and comments (already redacted at
    entry), newest first."""
    r, q, d = ws.table("responses"), ws.table("questions"), ws.table("documents")
    answers = (
        r.filter(r.respondent_id == customer_id)
        .join(q, "question_id")
        .select("question_id", wave=r.wave, question=q.text, value=r.value, at=r.submitted_at)
        .order_by([ibis.desc("at", nulls_first=False), "question_id"])
        .limit(60)
        .drop("question_id")
        .execute()
    )
    comments = (
        d.filter(d.customer_id == customer_id)
        .order_by([ibis.desc(d.created_at, nulls_first=False), d.document_id])
        .select("text")
        .limit(20)
        .execute()
    )
    return records(answers), [str(c) for c in comments["text"]]


def comments_by_customer(ws: Workspace, customer_ids: list[str]) -> dict[str, list[str]]:
    """Each listed customer's comments, for the CRM exports."""
    if not customer_ids:
        return {}
    t = ws.table("documents")
    frame = t.filter(t.customer_id.isin(customer_ids)).select("customer_id", "text").execute()
    out: dict[str, list[str]] = {}
    for cid, text in frame.itertuples(index=False):
        out.setdefault(str(cid), []).append(str(text))
    return out


def list_cases(
    ws: Workspace,
    *,
    status: str | None = None,
    owner: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
) -> pd.DataFrame:
    """Cases, most overdue first. Columns: those of the ``cases`` table plus ``department``
    (:func:`department_of`) and ``overdue`` (open or contacted, and past its due date)."""
    t = ws.table("cases")
    if status is not None:
        _status(status, "status filter")
        t = t.filter(t.status == status)
    if owner is not None:
        t = t.filter(t.owner == owner)
    frame: pd.DataFrame = t.order_by([t.due_at, t.case_id]).execute()
    open_now = frame["status"].isin([CaseStatus.OPEN, CaseStatus.CONTACTED])
    frame["overdue"] = open_now & (pd.to_datetime(frame["due_at"]) < pd.Timestamp(_now()))
    frame["department"] = [department_of(ws, r) for r in records(frame)]
    if department is not None:
        frame = frame[frame["department"] == department]
    if overdue is not None:
        frame = frame[frame["overdue"] == overdue]
    return frame.reset_index(drop=True)


def as_json(case: dict[str, Any]) -> str:
    """A case as the audit log keeps it (missing values as null; personal data in its
    resolution, free text, redacted as customer text is at entry)."""
    plain = {k: _plain(v) for k, v in case.items()}
    if isinstance(plain.get("resolution"), str):
        plain["resolution"] = redact(plain["resolution"])
    return json.dumps(plain, sort_keys=True)


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _changed(
    ws: Workspace, actor: str, event: str, before: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply ``changes`` to a case with its audit entry and its webhook, in one transaction."""
    case_id = before["case_id"]
    after = {**before, **changes}
    url = webhook_queue.webhook_url(ws)
    assignments = ", ".join(f"{col} = ?" for col in changes)
    with ws.transaction() as con:
        con.execute(
            f"UPDATE cases SET {assignments} WHERE case_id = ?", [*changes.values(), case_id]
        )
        record(con, actor, event, case_id, as_json(before), as_json(after))
        webhook_queue.enqueue(
            con, url, event, {k: _plain(v) for k, v in after.items() if k in CASE_COLUMNS}
        )
    return get_case(ws, case_id)


def _opened(con: Any, url: str | None, actor: str, case: dict[str, Any]) -> None:
    """A newly opened case's audit entry and ``case.opened`` webhook (caller's transaction)."""
    record(con, actor, "case.opened", case["case_id"], None, as_json(case))
    webhook_queue.enqueue(con, url, "case.opened", {k: _plain(v) for k, v in case.items()})


def announce_opened(ws: Workspace, case_ids: list[str], actor: str = "cli") -> None:
    """Audit and announce (webhook ``case.opened``) cases just opened by the rules."""
    if not case_ids:
        return
    url = webhook_queue.webhook_url(ws)
    t = ws.table("cases")
    frame = t.filter(t.case_id.isin(case_ids)).execute()
    with ws.transaction() as con:
        for case in records(frame):
            _opened(con, url, actor, case)


OPENED_COLUMNS = CASE_COLUMNS[:8]  # what a rule sets: id to due date


def open_in_transaction(con: Any, ws: Workspace, cases: pd.DataFrame, actor: str) -> list[str]:
    """Insert ``cases`` (candidate rows of ``actions.cases.case_candidates``) inside the
    caller's transaction, each with its audit entry and ``case.opened`` webhook; a case whose
    id is stored already is left alone (so a resubmission or a later ``cases open`` adds
    none). Returns the ids that were new."""
    if cases.empty:
        return []
    url = webhook_queue.webhook_url(ws)
    cols = ", ".join(OPENED_COLUMNS)
    opened: list[str] = []
    for case in records(cases[list(OPENED_COLUMNS)]):
        values = [_bound(case[c]) for c in OPENED_COLUMNS]
        marks = ", ".join("?" for _ in values)
        row = con.execute(
            f"INSERT INTO cases ({cols}) SELECT {cols} FROM (VALUES ({marks})) AS v ({cols}) "
            "WHERE NOT EXISTS (SELECT 1 FROM cases t WHERE t.case_id = v.case_id) "
            "RETURNING case_id",
            values,
        ).fetchone()
        if row is None:
            continue
        stored = {c: None for c in CASE_COLUMNS} | dict(zip(OPENED_COLUMNS, values, strict=True))
        _opened(con, url, actor, stored)
        opened.append(str(row[0]))
    return opened


def _bound(value: Any) -> Any:
    """A frame's value as a statement parameter (timestamps as datetime, missing as None)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value if isinstance(value, datetime) else _plain(value)


def _status(value: str, what: str) -> CaseStatus:
    try:
        return CaseStatus(value)
    except ValueError:
        raise CaseError(
            f"{what}: found {value!r}, expected one of {[s.value for s in CaseStatus]}"
        ) from None


def assign(ws: Workspace, case_id: str, owner: str, *, actor: str = "cli") -> dict[str, Any]:
    """Give a case to an owner (a department or a person)."""
    case = get_case(ws, case_id)
    if case["status"] == CaseStatus.CLOSED:
        raise CaseError(f"case {case_id!r}: closed cases cannot be reassigned")
    if not owner.strip():
        raise CaseError(f"case {case_id!r}: owner is empty, expected a department or a person")
    return _changed(ws, actor, "case.assigned", case, {"owner": owner.strip()})


def update(
    ws: Workspace,
    case_id: str,
    *,
    status: str | None = None,
    resolution: str | None = None,
    recovery_rating: float | None = None,
    at: datetime | None = None,
    actor: str = "cli",
) -> dict[str, Any]:
    """Move a case along the loop and/or record its resolution and recovery rating.

    Raises CaseError (and changes nothing) for an unknown case, an unknown status, a
    transition that CASE_TRANSITIONS does not allow, a rating outside 0-10, or a rating on a
    case that is not resolved.
    """
    case = get_case(ws, case_id)
    current = CaseStatus(case["status"])
    new = current if status is None else _status(status, f"case {case_id!r}: status")
    when = at or _now()
    changes: dict[str, Any] = {}
    if new != current:
        if new not in CASE_TRANSITIONS[current]:
            allowed = sorted(s.value for s in CASE_TRANSITIONS[current]) or ["none: it is final"]
            raise CaseError(
                f"case {case_id!r}: cannot go from {current.value!r} to {new.value!r}; "
                f"allowed: {', '.join(allowed)}"
            )
        changes["status"] = new.value
        if new == CaseStatus.CONTACTED and pd.isna(case["first_contact_at"]):
            changes["first_contact_at"] = when
        if new == CaseStatus.RESOLVED:
            changes["resolved_at"] = when
    if resolution is not None:
        changes["resolution"] = resolution
    if recovery_rating is not None:
        if not 0 <= recovery_rating <= 10:
            raise CaseError(
                f"case {case_id!r}: recovery rating {recovery_rating!r}, expected 0 to 10"
            )
        if new not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            raise CaseError(
                f"case {case_id!r}: a recovery rating needs a resolved case (status is "
                f"{new.value!r})"
            )
        changes["recovery_rating"] = float(recovery_rating)
    if not changes:
        raise CaseError(f"case {case_id!r}: nothing to update")
    event = "case.status_changed" if "status" in changes else "case.updated"
    return _changed(ws, actor, event, case, changes)
