"""Persistence of outgoing case webhooks (schema migration 10): a delivery is queued in the
same transaction as the case change it reports, so no change goes unannounced and none is
announced that did not land.

``[webhooks] url`` in ``settings.toml`` names the receiver; without it nothing is queued.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from realitygap.domain.errors import WorkspaceError
from realitygap.store.campaigns import utc_now
from realitygap.store.settings import SETTINGS_FILE, _settings
from realitygap.store.workspace import Workspace

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
MAX_ATTEMPTS = 6  # then the delivery goes to the dead-letter list
FIRST_RETRY = timedelta(seconds=30)  # doubled after each failure: 30 s, 1, 2, 4, 8 min


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event: str
    case_id: str
    url: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


_COLUMNS = (
    "delivery_id, event, case_id, url, body, status, attempts, next_attempt_at, last_error, "
    "created_at, delivered_at"
)


def webhook_url(ws: Workspace) -> str | None:
    """``[webhooks] url`` of ``settings.toml``: an http(s) address, or None."""
    value = _settings(ws).get("webhooks", {}).get("url")
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise WorkspaceError(
            f"{ws.path / SETTINGS_FILE}: [webhooks] url is {value!r}, expected an address "
            'starting with https://, e.g. "https://helpdesk.example.com/hooks/realitygap"'
        )
    return value


def retry_delay(attempts: int) -> timedelta:
    """How long after the ``attempts``-th failure the next try is due (exponential)."""
    return FIRST_RETRY * int(2 ** (attempts - 1))


def enqueue(con: Any, url: str | None, event: str, case: dict[str, Any]) -> None:
    """Queue ``event`` about ``case`` inside the caller's transaction (nothing without a
    receiver)."""
    if url is None:
        return
    now = utc_now()
    body = json.dumps(
        {"event": event, "occurred_at": now.isoformat() + "Z", "case": case},
        default=_plain,
        sort_keys=True,
    )
    con.execute(
        f"INSERT INTO webhook_deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, event, case["case_id"], url, body, PENDING, 0, now, None, now, None],
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return None if str(value) in ("NaT", "nan", "None") else str(value)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(*row)


def due(ws: Workspace, now: datetime) -> list[Delivery]:
    """Pending deliveries whose next try is due, oldest first."""
    rows = ws.con.execute(
        f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE status = ? AND next_attempt_at <= ? "
        "ORDER BY created_at, delivery_id",
        [PENDING, now],
    ).fetchall()
    return [_delivery(r) for r in rows]


def deliveries(ws: Workspace, status: str | None = None) -> list[Delivery]:
    sql = f"SELECT {_COLUMNS} FROM webhook_deliveries"
    args: list[Any] = []
    if status is not None:
        sql += " WHERE status = ?"
        args.append(status)
    rows = ws.con.execute(sql + " ORDER BY created_at, delivery_id", args).fetchall()
    return [_delivery(r) for r in rows]


def mark_delivered(ws: Workspace, delivery_id: str, at: datetime) -> None:
    with ws.transaction(data=False) as con:
        con.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, "
            "delivered_at = ?, last_error = NULL WHERE delivery_id = ?",
            [DELIVERED, at, delivery_id],
        )


def mark_failed(ws: Workspace, delivery: Delivery, error: str, at: datetime) -> str:
    """Record a failed try; the delivery is due again after :func:`retry_delay`, or goes to
    the dead-letter list after :data:`MAX_ATTEMPTS`. Returns its new status."""
    attempts = delivery.attempts + 1
    status = DEAD if attempts >= MAX_ATTEMPTS else PENDING
    with ws.transaction(data=False) as con:
        con.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
            "last_error = ? WHERE delivery_id = ?",
            [status, attempts, at + retry_delay(attempts), error[:500], delivery.delivery_id],
        )
    return status


def requeue(ws: Workspace, delivery_id: str, at: datetime) -> bool:
    """Send a dead letter again (a fresh round of tries); False when it is not dead."""
    with ws.transaction(data=False) as con:
        row = con.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = ? AND status = ?",
            [delivery_id, DEAD],
        ).fetchone()
        if not row or not row[0]:
            return False
        con.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = 0, next_attempt_at = ? "
            "WHERE delivery_id = ?",
            [PENDING, at, delivery_id],
        )
    return True


def claim_signature(ws: Workspace, signature: str) -> bool:
    """Record an inbound request's signature; False when it was seen before (a replay). The
    unique index on ``idempotency_keys`` keeps two workers from both accepting it."""
    with ws.transaction(data=False) as con:
        seen = con.execute(
            "SELECT count(*) FROM idempotency_keys WHERE scope = 'helpdesk' AND key = ?",
            [signature],
        ).fetchone()
        if seen and seen[0]:
            return False
        con.execute(
            "INSERT INTO idempotency_keys (scope, key, status, body, created_at) "
            "VALUES ('helpdesk', ?, 200, '', ?)",
            [signature, utc_now()],
        )
    return True
