"""Who may see what on the dashboard: roles, passwords, sessions, CSRF tokens and login
throttling (docs/security.md maps each to OWASP ASVS).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile). A session id is 256 random bits held only by the browser's cookie; the workspace keeps
its SHA-256, so a leaked database holds no usable session. A new id is issued at every sign-in
(no session fixation). Sessions end after ``IDLE`` without a request and after ``ABSOLUTE`` in
any case.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from realitygap.domain.errors import RealityGapError
from realitygap.store import users as store
from realitygap.store.campaigns import token_digest, utc_now
from realitygap.store.workspace import Workspace

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
# Throttling: sign-in is refused for THROTTLE_WINDOW after this many failures in it.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# ASVS 2.1.1 and 2.1.2: at least 12 characters, at least 64 allowed.
PASSWORD_MIN, PASSWORD_MAX = 12, 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SESSION_COOKIE = "rg_session"  # the browser's session id, for the dashboard and the cases
# Every signed-in page's headers beside its Content-Security-Policy: no type sniffing, no
# address leaked to other sites, nothing kept in a shared cache.
_PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def security_headers(csp: str) -> dict[str, str]:
    """The headers of a dashboard or cases page whose content policy is ``csp``."""
    return {"Content-Security-Policy": csp, **_PAGE_HEADERS}


class _Headed(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


def cross_site(request: _Headed) -> bool:
    """A form posted from another site (the browser says so, or its Origin is not this host;
    SameSite=Lax already keeps the session cookie off such posts)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    return bool(origin) and urlsplit(origin).netloc != request.headers.get("host")


_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong e-mail costs the same time
# as a wrong password (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class Role(StrEnum):
    ADMIN = "admin"  # users, campaigns, settings, and everything an analyst sees
    ANALYST = "analyst"  # every result and every verbatim
    MANAGER = "manager"  # the cases of their department and aggregate results
    VIEWER = "viewer"  # aggregate results only: no verbatim, no customer id


class Permission(StrEnum):
    RESULTS = "results"  # aggregate pages and the report without verbatims
    VERBATIM = "verbatim"  # customer comments, quotes and customer ids
    USERS = "users"  # add and change users, read the audit log
    CASES = "cases"  # follow-up cases (a manager: only their department's)


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset({Permission.RESULTS, Permission.VERBATIM, Permission.CASES}),
    Role.MANAGER: frozenset({Permission.RESULTS, Permission.CASES}),
    Role.VIEWER: frozenset({Permission.RESULTS}),
}


def may(role: str, permission: Permission) -> bool:
    return Role(role) in GRANTS and permission in GRANTS[Role(role)]


class AccessError(ValueError, RealityGapError):
    """A user's details that cannot be accepted; the message says which and why."""


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccessError(
            f"a password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters "
            f"(this one has {len(password)})"
        )


def add_user(
    ws: Workspace,
    email: str,
    name: str,
    role: str,
    password: str,
    *,
    department: str | None = None,
    actor: str = "cli",
) -> store.UserRow:
    """Add a user; refuses a malformed or taken e-mail, an unknown role, a manager without a
    department and a password outside the length rule."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccessError(f"{email!r} is not an e-mail address")
    if role not in Role.__members__.values():
        raise AccessError(f"unknown role {role!r}: expected one of {', '.join(Role)}")
    if role == Role.MANAGER and not department:
        raise AccessError("a manager needs --department (the cases and results they see)")
    check_password(password)
    if store.user_by_email(ws, email) is not None:
        raise AccessError(f"a user with e-mail {email} already exists")
    user = store.UserRow(
        user_id=uuid.uuid4().hex[:12],
        email=email,
        name=name.strip() or email,
        role=role,
        department=department or None,
        created_at=utc_now(),
        disabled_at=None,
    )
    store.insert_user(ws, user, _hasher.hash(password), actor)
    return user


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the user, the session id for the cookie and its CSRF token."""

    user: store.UserRow
    session_id: str
    csrf_token: str


class Throttled(Exception):
    """Too many failed sign-ins for the account or the address in the window."""


def sign_in(ws: Workspace, email: str, password: str, address: str) -> SignIn | None:
    """Check the password; on success start a fresh session. None for a wrong e-mail or
    password (the caller says the same for both); :class:`Throttled` after too many failures."""
    account = email.strip().lower()
    per_account, per_address = store.failures_since(
        ws, account, address, utc_now() - THROTTLE_WINDOW
    )
    if per_account >= MAX_FAILURES_PER_ACCOUNT or per_address >= MAX_FAILURES_PER_ADDRESS:
        raise Throttled
    user = store.user_by_email(ws, account)
    stored = store.password_hash_of(ws, user.user_id) if user else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
        ok = stored is not None and user is not None and user.disabled_at is None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        store.record_failure(ws, account, address)
        return None
    store.clear_failures(ws, account)
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.insert_session(ws, token_digest(session_id), user.user_id, csrf)
    return SignIn(user, session_id, csrf)


@dataclass(frozen=True)
class Visitor:
    """The signed-in user behind a request, with the session's CSRF token."""

    user: store.UserRow
    csrf_token: str
    session_digest: str

    def may(self, permission: Permission) -> bool:
        return may(self.user.role, permission)


def visitor(ws: Workspace, session_id: str | None) -> Visitor | None:
    """The user whose live session this is, or None (no cookie, ended, idle or too old, or a
    disabled user). A live session's last-seen time moves on."""
    if not session_id:
        return None
    digest = token_digest(session_id)
    session = store.live_session(ws, digest)
    if session is None:
        return None
    now = utc_now()
    if now - session.seen_at > IDLE or now - session.created_at > ABSOLUTE:
        store.end_session(ws, digest)
        return None
    user = store.user_by_id(ws, session.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - session.seen_at > TOUCH_EVERY:  # one write a minute, not one per request
        store.touch_session(ws, digest)
    return Visitor(user, session.csrf_token, digest)


def same_token(expected: str, given: str | None) -> bool:
    """A CSRF token comparison in constant time."""
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def create_role_token(
    ws: Workspace, role: str, department: str | None, label: str | None, actor: str = "cli"
) -> tuple[str, str]:
    """A new API token acting with ``role`` (a manager's: with ``department``): (token id,
    the token, shown once; only its SHA-256 is stored)."""
    if role not in Role.__members__.values():
        raise AccessError(f"unknown role {role!r}: expected one of {', '.join(Role)}")
    if role == Role.MANAGER and not department:
        raise AccessError("a manager's token needs --department (the cases it sees)")
    token = "rg_" + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(4)
    store.insert_role_token(
        ws, token_id, token_digest(token), role, department or None, label, actor
    )
    return token_id, token
