"""Where a workspace lives: a directory (the embedded DuckDB store), a PostgreSQL database, or
a Spark warehouse path.

``postgresql://user@host:port/db`` names a database; the workspace's tables then live in one
schema of it: ``?schema=name``, or a second path component (``.../db/name``), or ``public``.
Several workspaces (or test runs) can share a database, each in its own schema.

``spark:///abs/path`` is a Spark workspace whose tables are Parquet under that path, reached
through a local Spark session in this process; ``sc://host:port/abs/path`` reaches the same
through Spark Connect (the path as the Spark server sees it). Spark Connect parameters follow
the path as Spark Connect spells them: ``sc://host:443/warehouse/cx;token=...;use_ssl=true``.
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


SPARK_SCHEMES = ("spark://", "sc://")
_FOLDED_SPARK = re.compile(r"^spark:/(?!/)")
_FOLDED_CONNECT = re.compile(r"^sc:/(?!/)")


@dataclass(frozen=True)
class SparkLocation:
    """A Spark warehouse path and how to reach Spark: ``remote`` is the Spark Connect URL
    (``sc://host:port/;params``), or None for a local session in this process."""

    path: str
    remote: str | None

    @property
    def url(self) -> str:
        """The location as given, without Spark Connect parameters (a token) for messages."""
        if self.remote is None:
            return f"spark://{self.path}"
        host = urlsplit(self.remote).netloc
        return f"sc://{host}{self.path}"


def is_spark(target: str | Path) -> bool:
    """Whether ``target`` names a Spark warehouse (``spark:///path``, ``sc://host/path``)."""
    return _unfold_spark(str(target)).startswith(SPARK_SCHEMES)


def _unfold_spark(target: str) -> str:
    # pathlib folds "spark:///abs" to "spark:/abs" and "sc://h/abs" to "sc:/h/abs"
    target = _FOLDED_SPARK.sub("spark:///", target)
    return _FOLDED_CONNECT.sub("sc://", target)


def parse_spark(target: str) -> SparkLocation:
    """The location ``spark:///abs/path`` or ``sc://host[:port]/abs/path[;params]``.

    Raises :class:`WorkspaceError` naming the URL and what was expected.
    """
    target = _unfold_spark(target)
    expected = (
        f"{target}: expected spark:///absolute/path (a local Spark session) or "
        "sc://host:port/absolute/path (Spark Connect)"
    )
    if target.startswith("spark://"):
        path = target[len("spark://") :]
        if not path.startswith("/") or path.rstrip("/") == "":
            raise WorkspaceError(expected)
        return SparkLocation(path=path.rstrip("/"), remote=None)
    body, _, params = target[len("sc://") :].partition(";")
    host, slash, path = body.partition("/")
    if not host or not slash or not path.strip("/"):
        raise WorkspaceError(expected)
    remote = f"sc://{host}/" + (f";{params}" if params else "")
    return SparkLocation(path="/" + path.strip("/"), remote=remote)


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
