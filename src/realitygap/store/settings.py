"""Workspace settings in ``DIR/settings.toml`` (optional; every setting has a safe default).

```toml
[privacy]
keep_original = false   # true: keep unredacted customer text in document_originals

[report]
currency = "EUR"        # shown beside money figures (value at risk); default: none stated

[smtp]                  # e-mailing survey links (docs/service.md); absent: nothing is sent
host = "smtp.example.com"
port = 587              # default 587, or 465 with security = "ssl"
sender = "Surveys <surveys@example.com>"
security = "starttls"   # starttls (default), ssl, or none (a relay on loopback)

[questions]
language = "en"         # the language of the question bank's text (default en)

[cases.auto]            # open a case as a detractor's survey is stored (docs/service.md)
enabled = false         # default false: cases open only with `realitygap cases open`
max_score = 6           # the highest NPS answer that opens one (default 6)
touchpoints = []        # only at these touchpoints (default: any)
segments = []           # only for customers of these segments (default: any)
sla_hours = 48          # hours to first contact (default 48)
```
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from realitygap.domain.errors import WorkspaceError
from realitygap.store.workspace import Workspace

SETTINGS_FILE = "settings.toml"
# A language tag as browsers send it: "en", "fr", "pt-BR" (BCP 47, primary subtag + region).
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _settings(ws: Workspace) -> dict[str, Any]:
    path = ws.path / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: invalid TOML ({exc})") from None


def currency(ws: Workspace) -> str:
    """``[report] currency`` from ``DIR/settings.toml``: a short code or symbol such as "EUR"
    or "£" ("" when absent: money is then shown without a currency)."""
    path = ws.path / SETTINGS_FILE
    value = _settings(ws).get("report", {}).get("currency", "")
    if not isinstance(value, str) or len(value.strip()) > 5:
        raise WorkspaceError(
            f"{path}: [report] currency is {value!r}, expected a code or symbol of at most "
            'five characters, e.g. "EUR"'
        )
    return value.strip()


def keep_original(ws: Workspace) -> bool:
    """``[privacy] keep_original`` from ``DIR/settings.toml`` (False when absent)."""
    path = ws.path / SETTINGS_FILE
    value = _settings(ws).get("privacy", {}).get("keep_original", False)
    if not isinstance(value, bool):
        raise WorkspaceError(
            f"{path}: [privacy] keep_original is {value!r}, expected true or false"
        )
    return value


SMTP_SECURITY = ("starttls", "ssl", "none")
SMTP_USER_ENV = "REALITYGAP_SMTP_USER"
SMTP_PASSWORD_ENV = "REALITYGAP_SMTP_PASSWORD"


@dataclass(frozen=True)
class SmtpSettings:
    """``[smtp]`` of ``DIR/settings.toml``; the user and password come from the environment
    (:data:`SMTP_USER_ENV`, :data:`SMTP_PASSWORD_ENV`), never from the file."""

    host: str
    port: int
    sender: str
    security: str  # starttls, ssl or none
    user: str | None
    password: str | None


def smtp(ws: Workspace) -> SmtpSettings | None:
    """The SMTP settings, or None when ``[smtp]`` is absent (nothing is e-mailed)."""
    path = ws.path / SETTINGS_FILE
    table = _settings(ws).get("smtp")
    if table is None:
        return None

    def bad(key: str, expected: str) -> WorkspaceError:
        return WorkspaceError(f"{path}: [smtp] {key} is {table.get(key)!r}, expected {expected}")

    if not isinstance(table, dict):
        raise WorkspaceError(f"{path}: [smtp] is {table!r}, expected a table")
    host, sender = table.get("host"), table.get("sender")
    security = table.get("security", "starttls")
    port = table.get("port", 465 if security == "ssl" else 587)
    if not isinstance(host, str) or not host.strip():
        raise bad("host", 'the mail server\'s name, e.g. "smtp.example.com"')
    if not isinstance(sender, str) or "@" not in sender:
        raise bad("sender", 'the From address, e.g. "Surveys <surveys@example.com>"')
    if security not in SMTP_SECURITY:
        raise bad("security", "one of " + ", ".join(SMTP_SECURITY))
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise bad("port", "a port number from 1 to 65535")
    user = os.environ.get(SMTP_USER_ENV) or None
    return SmtpSettings(
        host.strip(), port, sender.strip(), security, user, os.environ.get(SMTP_PASSWORD_ENV)
    )


def bank_language(ws: Workspace) -> str:
    """``[questions] language``: the language of the question bank's text ("en" when absent)."""
    path = ws.path / SETTINGS_FILE
    value = _settings(ws).get("questions", {}).get("language", "en")
    if not isinstance(value, str) or not LANGUAGE.match(value):
        raise WorkspaceError(
            f'{path}: [questions] language is {value!r}, expected a language code, e.g. "en"'
        )
    return value.lower()


@dataclass(frozen=True)
class AutoCaseRule:
    """``[cases.auto]``: which stored customer answers open a detractor case at once."""

    max_score: float  # the highest NPS answer that opens a case
    touchpoints: tuple[str, ...]  # empty: any touchpoint
    segments: tuple[str, ...]  # empty: any segment
    sla_hours: float  # hours to first contact


def auto_case_rule(ws: Workspace) -> AutoCaseRule | None:
    """The rule of ``[cases.auto]``, or None when it is absent or ``enabled`` is not true."""
    path = ws.path / SETTINGS_FILE
    table = _settings(ws).get("cases", {})
    table = table.get("auto") if isinstance(table, dict) else table
    if table is None:
        return None
    if not isinstance(table, dict):
        raise WorkspaceError(f"{path}: [cases.auto] is {table!r}, expected a table")

    def bad(key: str, expected: str) -> WorkspaceError:
        return WorkspaceError(
            f"{path}: [cases.auto] {key} is {table.get(key)!r}, expected {expected}"
        )

    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise bad("enabled", "true or false")
    score = table.get("max_score", 6)
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 10:
        raise bad("max_score", "an NPS answer from 0 to 10")
    sla = table.get("sla_hours", 48)
    if isinstance(sla, bool) or not isinstance(sla, int | float) or not sla > 0:
        raise bad("sla_hours", "a positive number of hours")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("touchpoints", "segments"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad(key, 'a list of names, e.g. ["checkout"]')
        lists[key] = tuple(value)
    unknown = sorted(set(lists["touchpoints"]) - {tp.id for tp in ws.taxonomy.touchpoints})
    if unknown:
        raise bad("touchpoints", "touchpoints of the taxonomy; unknown: " + ", ".join(unknown))
    if not enabled:
        return None
    return AutoCaseRule(float(score), lists["touchpoints"], lists["segments"], float(sla))


SECRET_WORDS = ("password", "secret", "token", "key")


def _without_secrets(table: dict[str, Any]) -> dict[str, Any]:
    """The settings with the value of any key naming a secret replaced (the audit log keeps
    what changed, never a credential)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out[key] = _without_secrets(value)
        elif any(word in key.lower() for word in SECRET_WORDS):
            out[key] = "[redacted]"
        else:
            out[key] = value
    return out


def record_settings_change(ws: Workspace) -> bool:
    """Audit ``settings.toml`` as it is now, when it differs from what the audit log last
    recorded of it: one ``settings.change`` entry, before and after as JSON, made by the
    file's owner (the system account that wrote it) at the file's modification time. The file
    is edited by hand, so the change is found and recorded the next time this runs
    (``realitygap audit-log``). Returns whether an entry was added."""
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from realitygap.store.users import audit_entries, record

    path = ws.path / SETTINGS_FILE
    after = json.dumps(_without_secrets(_settings(ws)), sort_keys=True, default=str)
    last = audit_entries(ws, limit=1, action="settings.change")
    before = last[0].after if last else None
    if (before or "{}") == after:
        return False
    at, actor = datetime.now(UTC), "unknown"
    if path.exists():
        at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        actor = _owner(path)
    with ws.transaction(data=False) as con:  # the audit entry alone; the file is versioned
        record(
            con,
            actor,
            "settings.change",
            str(Path(SETTINGS_FILE)),
            before,
            after,
            at=at.replace(tzinfo=None),
        )
    return True


def _owner(path: Any) -> str:
    """The system account owning ``path`` (its user id where names are unknown)."""
    uid = path.stat().st_uid
    try:
        import pwd

        return f"system:{pwd.getpwuid(uid).pw_name}"
    except (ImportError, KeyError):
        return f"system:uid {uid}"
