"""Where a workspace lives: a directory (the embedded DuckDB store) or a PostgreSQL database.

``postgresql://user@host:port/db`` names a database; the workspace's tables then live in one
schema of it: ``?schema=name``, or a second path component (``.../db/name``), or ``public``.
Several workspaces (or test runs) can share a database, each in its own schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from realitygap.domain.errors import WorkspaceError

SCHEMES = ("postgresql://", "postgres://")
# the same URLs after a trip through pathlib.Path (the CLI's argument type), which folds "//"
_FOLDED = re.compile(r"^(postgresql|postgres):/(?!/)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True)
class PostgresLocation:
    """A PostgreSQL database and the schema holding one workspace's tables."""

    host: str
    port: int
    user: str | None
    password: str | None
    dbname: str
    schema: str

    @property
    def url(self) -> str:
        """The location as a URL, without its password (for messages)."""
        user = f"{self.user}@" if self.user else ""
        return f"postgresql://{user}{self.host}:{self.port}/{self.dbname}?schema={self.schema}"

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments of ``psycopg.connect``."""
        kwargs: dict[str, object] = {"host": self.host, "port": self.port, "dbname": self.dbname}
        if self.user:
            kwargs["user"] = self.user
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def is_postgres(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a directory."""
    return _unfold(str(target)).startswith(SCHEMES)


def _unfold(target: str) -> str:
    return _FOLDED.sub(lambda m: f"{m.group(1)}://", target)


def parse_postgres(target: str) -> PostgresLocation:
    """The location ``postgresql://[user[:password]@]host[:port]/db[/schema][?schema=name]``.

    Raises :class:`WorkspaceError` naming the URL and what was expected.
    """
    target = _unfold(target)
    parts = urlsplit(target)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if not segments or len(segments) > 2:
        raise WorkspaceError(
            f"{target}: expected postgresql://user@host:port/database, optionally with a "
            "schema as /database/schema or ?schema=name"
        )
    schema = query.get("schema", [segments[1] if len(segments) == 2 else "public"])[0]
    if not _IDENTIFIER.fullmatch(schema):
        raise WorkspaceError(
            f"{target}: schema {schema!r} is not a plain identifier (letters, digits and _, "
            "starting with a letter or _)"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise WorkspaceError(f"{target}: the port is not a number") from None
    return PostgresLocation(
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        dbname=segments[0],
        schema=schema,
    )
