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
