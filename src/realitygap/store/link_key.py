"""The workspace's link key: a secret kept in a file beside the database, never in it.

Links sent by e-mail carry a token derived from this key and the invitation, so that a
reminder (or a retry after a failed send) can carry the same link while the database still
holds only the token's SHA-256: a copy of the database alone gives away no link. The same key
signs the cookie of an open (anonymous) link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from realitygap.store.workspace import Workspace

KEY_FILE = "link.key"


def link_key(ws: Workspace) -> bytes:
    """The workspace's 32-byte link key, created (readable by its owner only) on first use."""
    path = ws.path / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def derived_token(key: bytes, *parts: str) -> str:
    """A 256-bit token (URL-safe text) derived from ``key`` and ``parts``."""
    mac = hmac.new(key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def sign(key: bytes, purpose: str, value: str) -> str:
    """``value`` with its signature, for a cookie: ``value.signature``."""
    return f"{value}.{derived_token(key, purpose, value)}"


def unsign(key: bytes, purpose: str, signed: str | None) -> str | None:
    """The value of a cookie written by :func:`sign`, or None if it is absent or forged."""
    if not signed or "." not in signed:
        return None
    value, signature = signed.rsplit(".", 1)
    expected = derived_token(key, purpose, value)
    return value if hmac.compare_digest(signature, expected) else None
