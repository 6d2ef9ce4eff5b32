"""Persistence of the dashboard's access control: users, signed-in sessions, failed logins and
the audit log (schema migration 7).

Every statement binds its values as parameters and stays in the portable SQL core, so that a
PostgreSQL workspace (several workers) runs the same functions. Each change to a user writes
its audit entry in the same transaction, so no change lands unrecorded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from realitygap.store.campaigns import utc_now
from realitygap.store.workspace import Workspace


@dataclass(frozen=True)
class UserRow:
    """One row of ``users`` without its password hash (which never leaves this module except
    through :func:`password_hash_of`)."""

    user_id: str
    email: str
    name: str
    role: str
    department: str | None
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    actor: str
    changed_at: datetime
    action: str
    target: str
    before: str | None
    after: str | None


_USER_COLUMNS = "user_id, email, name, role, department, created_at, disabled_at"


def _user(row: Sequence[Any]) -> UserRow:
    return UserRow(*row)


def _as_json(user: UserRow | None) -> str | None:
    return None if user is None else json.dumps(asdict(user), default=str, sort_keys=True)


def record(
    con: Any,
    actor: str,
    action: str,
    target: str,
    before: str | None,
    after: str | None,
    at: datetime | None = None,
) -> None:
    """Append an audit entry inside the caller's transaction (``con`` from
    ``ws.transaction()``), stamped now (or ``at``: when a change found later was made)."""
    con.execute(
        "INSERT INTO audit_log (audit_id, actor, changed_at, action, target, before_json, "
        "after_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, actor, at or utc_now(), action, target, before, after],
    )


def record_in(
    ws: Workspace, actor: str, action: str, target: str, before: str | None, after: str | None
) -> None:
    """:func:`record` on the workspace's connection, inside the caller's ``ws.transaction()``
    (for layers above ``store/``, which never hold the connection)."""
    record(ws.con, actor, action, target, before, after)


def audit_entries(ws: Workspace, limit: int = 1000, action: str | None = None) -> list[AuditEntry]:
    """The newest audit entries first (only those of ``action``, when given)."""
    where, params = ("WHERE action = ? ", [action]) if action else ("", [])
    rows = ws.con.execute(
        "SELECT audit_id, actor, changed_at, action, target, before_json, after_json "
        f"FROM audit_log {where}ORDER BY changed_at DESC, audit_id LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [AuditEntry(*r) for r in rows]


# ---- users ---------------------------------------------------------------------------------
def users(ws: Workspace) -> list[UserRow]:
    rows = ws.con.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY email").fetchall()
    return [_user(r) for r in rows]


def user_by_email(ws: Workspace, email: str) -> UserRow | None:
    row = ws.con.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?", [email.strip().lower()]
    ).fetchone()
    return None if row is None else _user(row)


def user_by_id(ws: Workspace, user_id: str) -> UserRow | None:
    row = ws.con.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", [user_id]
    ).fetchone()
    return None if row is None else _user(row)


def password_hash_of(ws: Workspace, user_id: str) -> str | None:
    row = ws.con.execute("SELECT password_hash FROM users WHERE user_id = ?", [user_id]).fetchone()
    return None if row is None else str(row[0])


def insert_user(ws: Workspace, user: UserRow, password_hash: str, actor: str) -> None:
    """Add a user (e-mail unique, compared in lower case) and its audit entry."""
    with ws.transaction(data=False) as con:
        con.execute(
            f"INSERT INTO users ({_USER_COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*asdict(user).values(), password_hash],
        )
        record(con, actor, "user.add", user.user_id, None, _as_json(user))


def update_user(
    ws: Workspace,
    user_id: str,
    actor: str,
    *,
    role: str | None = None,
    department: str | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
) -> UserRow | None:
    """Change a user's role, department, state or password; None when there is no such user.
    Disabling a user ends their sessions at once."""
    before = user_by_id(ws, user_id)
    if before is None:
        return None
    with ws.transaction(data=False) as con:
        if role is not None:
            con.execute("UPDATE users SET role = ? WHERE user_id = ?", [role, user_id])
        if department is not None:
            con.execute(
                "UPDATE users SET department = ? WHERE user_id = ?", [department or None, user_id]
            )
        if disabled is not None:
            con.execute(
                "UPDATE users SET disabled_at = ? WHERE user_id = ?",
                [utc_now() if disabled else None, user_id],
            )
        if disabled or password_hash is not None:
            _end_sessions_of(con, user_id)
        if password_hash is not None:
            con.execute(
                "UPDATE users SET password_hash = ? WHERE user_id = ?", [password_hash, user_id]
            )
        after = con.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", [user_id]
        ).fetchone()
        assert after is not None  # read back inside the transaction that changed it
        changed = _user(after)
        action = "user.password" if password_hash is not None else "user.update"
        record(con, actor, action, user_id, _as_json(before), _as_json(changed))
    return changed


# ---- sessions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRow:
    session_sha256: str
    user_id: str
    csrf_token: str
    created_at: datetime
    seen_at: datetime


def insert_session(ws: Workspace, digest: str, user_id: str, csrf_token: str) -> None:
    now = utc_now()
    with ws.transaction(data=False) as con:
        con.execute(
            "INSERT INTO web_sessions (session_sha256, user_id, csrf_token, created_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [digest, user_id, csrf_token, now, now],
        )
        record(con, user_id, "session.start", user_id, None, None)


def live_session(ws: Workspace, digest: str) -> SessionRow | None:
    """The session stored under ``digest`` that has not ended, or None."""
    row = ws.con.execute(
        "SELECT session_sha256, user_id, csrf_token, created_at, seen_at FROM web_sessions "
        "WHERE session_sha256 = ? AND ended_at IS NULL",
        [digest],
    ).fetchone()
    return None if row is None else SessionRow(*row)


def touch_session(ws: Workspace, digest: str) -> None:
    with ws.transaction(data=False) as con:
        con.execute(
            "UPDATE web_sessions SET seen_at = ? WHERE session_sha256 = ?", [utc_now(), digest]
        )


def end_session(ws: Workspace, digest: str) -> None:
    with ws.transaction(data=False) as con:
        con.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE session_sha256 = ? AND ended_at IS NULL",
            [utc_now(), digest],
        )


def _end_sessions_of(con: Any, user_id: str) -> None:
    con.execute(
        "UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
        [utc_now(), user_id],
    )


# ---- failed logins -------------------------------------------------------------------------
def record_failure(ws: Workspace, account: str, address: str) -> None:
    with ws.transaction(data=False) as con:
        con.execute(
            "INSERT INTO login_failures (account, address, failed_at) VALUES (?, ?, ?)",
            [account, address, utc_now()],
        )
        record(con, account, "login.failed", account, None, json.dumps({"address": address}))


def failures_since(ws: Workspace, account: str, address: str, since: datetime) -> tuple[int, int]:
    """Failed logins since ``since``: (for this account, from this address)."""
    row = ws.con.execute(
        "SELECT count(*) FILTER (WHERE account = ?), count(*) FILTER (WHERE address = ?) "
        "FROM login_failures WHERE failed_at >= ?",
        [account, address, since],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def clear_failures(ws: Workspace, account: str) -> None:
    with ws.transaction(data=False) as con:
        con.execute("DELETE FROM login_failures WHERE account = ?", [account])


# ---- API tokens with a dashboard role (migration 10) ---------------------------------------
@dataclass(frozen=True)
class RoleToken:
    token_id: str
    role: str
    department: str | None
    label: str | None


def insert_role_token(
    ws: Workspace,
    token_id: str,
    digest: str,
    role: str,
    department: str | None,
    label: str | None,
    actor: str,
) -> None:
    """Store a token (only its SHA-256) that acts with ``role``; audited."""
    with ws.transaction(data=False) as con:
        con.execute(
            "INSERT INTO api_tokens (token_id, token_sha256, scope, label, created_at, role, "
            "department) VALUES (?, ?, 'role', ?, ?, ?, ?)",
            [token_id, digest, label, utc_now(), role, department],
        )
        after = json.dumps({"role": role, "department": department, "label": label})
        record(con, actor, "token.add", token_id, None, after)


def role_token_by_digest(ws: Workspace, digest: str) -> RoleToken | None:
    """The role token in force stored under ``digest``, or None."""
    row = ws.con.execute(
        "SELECT token_id, role, department, label FROM api_tokens "
        "WHERE token_sha256 = ? AND revoked_at IS NULL AND role IS NOT NULL",
        [digest],
    ).fetchone()
    return None if row is None else RoleToken(*row)


def role_tokens(ws: Workspace) -> list[RoleToken]:
    """Every token that carries a role, revoked or not."""
    rows = ws.con.execute(
        "SELECT token_id, role, department, label FROM api_tokens WHERE role IS NOT NULL "
        "ORDER BY created_at"
    ).fetchall()
    return [RoleToken(*r) for r in rows]
