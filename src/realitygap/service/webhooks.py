"""Case events to the help desk and back, signed Stripe-style (docs/service.md, "Webhooks").

Outgoing: each queued case event (:mod:`realitygap.store.webhook_queue`) is POSTed as JSON to
``[webhooks] url`` with the header ``X-Realitygap-Signature: t=TIMESTAMP,v1=HEX``, where HEX
is HMAC-SHA256, keyed with ``$REALITYGAP_WEBHOOK_SECRET``, of ``TIMESTAMP.BODY`` (the Unix
time in seconds, a dot, the raw body). A reply other than 2xx, or none within
:data:`TIMEOUT`, is retried with exponential backoff; after the last try the delivery joins
the dead-letter list (``realitygap webhooks dead``).

Inbound: ``POST /api/cases/{case_id}/status`` from the help desk carries the same header,
signed with ``$REALITYGAP_HELPDESK_SECRET``; a signature older than :data:`REPLAY_WINDOW`, or
seen before, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from realitygap.domain.errors import RealityGapError
from realitygap.store import webhook_queue as queue
from realitygap.store.campaigns import utc_now
from realitygap.store.workspace import Workspace

SIGNATURE_HEADER = "X-Realitygap-Signature"
SECRET_ENV = "REALITYGAP_WEBHOOK_SECRET"
HELPDESK_SECRET_ENV = "REALITYGAP_HELPDESK_SECRET"
REPLAY_WINDOW = 300  # seconds a signed request stays acceptable
TIMEOUT = 10.0  # seconds to wait for the receiver


class WebhookError(ValueError, RealityGapError):
    """A webhook that cannot be sent or accepted (no secret, a bad signature)."""


def secret(env: str) -> bytes:
    value = os.environ.get(env, "")
    if len(value) < 16:
        raise WebhookError(
            f"${env} is {'unset' if not value else 'too short'}: expected a shared secret of "
            "16 characters or more (e.g. from `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)"
        )
    return value.encode()


def sign(key: bytes, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(key: bytes, body: bytes, header: str | None, now: float | None = None) -> int:
    """The timestamp of a valid signature; :class:`WebhookError` for a missing, malformed,
    wrong or stale one (older or newer than :data:`REPLAY_WINDOW`)."""
    if not header:
        raise WebhookError(f"no {SIGNATURE_HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise WebhookError(f"{SIGNATURE_HEADER}: expected t=UNIX_SECONDS,v1=HEX") from None
    given = parts.get("v1", "")
    expected = sign(key, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise WebhookError(f"{SIGNATURE_HEADER}: the signature does not match the body")
    if abs((time.time() if now is None else now) - timestamp) > REPLAY_WINDOW:
        raise WebhookError(
            f"{SIGNATURE_HEADER}: signed at {timestamp}, outside the {REPLAY_WINDOW} s window"
        )
    return timestamp


Post = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=TIMEOUT).status_code


@dataclass(frozen=True)
class Round:
    """What one delivery round did."""

    delivered: int
    retrying: int
    dead: int


def deliver_due(
    ws: Workspace,
    *,
    now: datetime | None = None,
    post: Post = http_post,
    clock: Callable[[], float] = time.time,
) -> Round:
    """Send every delivery that is due once; failures are rescheduled or dead-lettered."""
    key = secret(SECRET_ENV)
    at = now or utc_now()
    delivered = retrying = dead = 0
    for d in queue.due(ws, at):
        body = d.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(key, body, int(clock())),
            "X-Realitygap-Event": d.event,
            "X-Realitygap-Delivery": d.delivery_id,
        }
        try:
            status = post(d.url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            queue.mark_delivered(ws, d.delivery_id, at)
            delivered += 1
        elif queue.mark_failed(ws, d, error, at) == queue.DEAD:
            dead += 1
        else:
            retrying += 1
    return Round(delivered, retrying, dead)
