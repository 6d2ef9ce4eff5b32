"""The workspace schema as numbered migrations.

Each migration is a list of SQL statements in DuckDB's dialect (the SQL is kept to the portable
core: VARCHAR, DOUBLE, TIMESTAMP, no engine-specific features) and is applied once, in order,
inside one transaction. ``schema_version`` records what was applied. Never edit a migration that
has shipped: add a new one.

Tables have no primary-key constraints on purpose: bulk loads of millions of rows stay fast,
and the importers enforce uniqueness (``KEYS``) by validating the file and inserting with an
anti-join, which makes re-imports idempotent on any engine. The survey service's small tables
(and, on PostgreSQL, ``responses``) have unique indexes (migration 7): concurrent server
workers are kept apart by the database itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realitygap.store.workspace import Workspace

Step = str | Callable[["Workspace"], Any]

# The only type of the schema PostgreSQL spells differently (DOUBLE is DuckDB's alias).
_DOUBLE = re.compile(r"\bDOUBLE\b(?! PRECISION)")


# Spark's names of the types that differ: its TIMESTAMP carries the session's time zone, the
# workspace's timestamps are naive (TIMESTAMP_NTZ); VARCHAR needs a length there.
_SPARK_TYPES = {"VARCHAR": "STRING", "TIMESTAMP": "TIMESTAMP_NTZ"}
_SPARK_TYPE = re.compile(r"\b(VARCHAR|TIMESTAMP)\b(?!\s*')")


def for_dialect(statement: str, dialect: str) -> str:
    """A schema statement (written in DuckDB's dialect) as ``dialect`` spells it."""
    if dialect == "postgres":
        return _DOUBLE.sub("DOUBLE PRECISION", statement)
    if dialect == "spark":
        return _SPARK_TYPE.sub(lambda m: _SPARK_TYPES[m.group(1)], statement)
    return statement


def redact_stored_documents(ws: Workspace) -> int:
    """The one-time data migration: redact every stored document's text (see
    :mod:`realitygap.store.redaction`)."""
    from realitygap.store.redaction import redact_stored

    return redact_stored(ws)


# The natural key of every table: a row whose key is already present is not inserted again.
KEYS: dict[str, tuple[str, ...]] = {
    "questions": ("question_id",),
    "respondents": ("respondent_id",),
    "responses": ("respondent_id", "question_id", "wave"),
    "invitations": ("respondent_id", "wave"),
    "documents": ("document_id",),
    "events": ("event_id",),
    "cases": ("case_id",),
    "contacts": ("contact_id",),
    "document_tags": ("document_id",),
    "document_aspects": ("document_id", "aspect_kind", "aspect"),
    "document_originals": ("document_id",),
    "campaigns": ("campaign_id",),
    "campaign_items": ("campaign_id", "question_id"),
    "campaign_answers": ("token_sha256", "question_id"),
    "idempotency_keys": ("scope", "key"),
    "api_tokens": ("token_id",),
    "question_translations": ("question_id", "language"),
    "users": ("user_id",),
    "web_sessions": ("session_sha256",),
    "audit_log": ("audit_id",),
    "webhook_deliveries": ("delivery_id",),
}

_V1 = [
    """CREATE TABLE questions (
        question_id VARCHAR NOT NULL, text VARCHAR NOT NULL, scale VARCHAR NOT NULL,
        touchpoint VARCHAR, layer VARCHAR, audience VARCHAR NOT NULL, mirrors VARCHAR,
        feature VARCHAR, block VARCHAR)""",
    # Further respondent columns (segment attributes) are added by the importer as VARCHAR.
    """CREATE TABLE respondents (
        respondent_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, role VARCHAR,
        department VARCHAR, segment VARCHAR)""",
    """CREATE TABLE responses (
        respondent_id VARCHAR NOT NULL, question_id VARCHAR NOT NULL, wave VARCHAR NOT NULL,
        value DOUBLE NOT NULL, submitted_at TIMESTAMP, channel VARCHAR)""",
    """CREATE TABLE invitations (
        respondent_id VARCHAR NOT NULL, wave VARCHAR NOT NULL, invited_at TIMESTAMP,
        channel VARCHAR)""",
    """CREATE TABLE documents (
        document_id VARCHAR NOT NULL, source VARCHAR NOT NULL, text VARCHAR NOT NULL,
        customer_id VARCHAR, rating DOUBLE, created_at TIMESTAMP, question_id VARCHAR,
        wave VARCHAR)""",
    """CREATE TABLE events (
        event_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL, amount DOUBLE)""",
    """CREATE TABLE cases (
        case_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, trigger VARCHAR NOT NULL,
        touchpoint VARCHAR, owner VARCHAR, status VARCHAR NOT NULL, opened_at TIMESTAMP NOT NULL,
        due_at TIMESTAMP NOT NULL, first_contact_at TIMESTAMP, resolved_at TIMESTAMP,
        resolution VARCHAR, recovery_rating DOUBLE)""",
    """CREATE TABLE contacts (
        contact_id VARCHAR NOT NULL, staff_id VARCHAR NOT NULL, customer_id VARCHAR,
        channel VARCHAR NOT NULL, occurred_at TIMESTAMP NOT NULL, minutes DOUBLE)""",
    """CREATE TABLE imports (
        import_id VARCHAR NOT NULL, file VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, rows_read BIGINT NOT NULL, rows_added BIGINT NOT NULL,
        imported_at TIMESTAMP NOT NULL)""",
]

# Text analytics: the tagger's output per document and per aspect it mentions, and the
# original (unredacted) text of documents whose text was redacted, kept only when the
# workspace's settings.toml says ``[privacy] keep_original = true``.
_TEXT_TAGS = [
    """CREATE TABLE document_tags (
        document_id VARCHAR NOT NULL, model VARCHAR NOT NULL, sentiment VARCHAR NOT NULL,
        sentiment_score DOUBLE NOT NULL, layer VARCHAR, staff_attitude BOOLEAN NOT NULL,
        tagged_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE document_aspects (
        document_id VARCHAR NOT NULL, aspect_kind VARCHAR NOT NULL, aspect VARCHAR NOT NULL,
        score DOUBLE, sentiment VARCHAR)""",
    """CREATE TABLE document_originals (
        document_id VARCHAR NOT NULL, text VARCHAR NOT NULL)""",
]

# Wow moments (``type = 'wow'``): the moment's name, the touchpoint where the customer met it
# and a free detail. Other event types leave them empty.
_WOW_EVENTS = [
    "ALTER TABLE events ADD COLUMN name VARCHAR",
    "ALTER TABLE events ADD COLUMN touchpoint VARCHAR",
    "ALTER TABLE events ADD COLUMN detail VARCHAR",
]

# Customer text is redacted once, when it enters the workspace (imports, the simulator).
# Workspaces from before that stored some documents unredacted until they were tagged: this
# step redacts every stored document once (keeping originals only when settings say so).
_REDACTED_AT_ENTRY: list[Step] = [redact_stored_documents]

# Questions an import created from a survey-tool export's header (scale inferred) are marked
# ``generated``: a later questions file with the same ids replaces them (docs/formats.md).
_GENERATED_QUESTIONS = ["ALTER TABLE questions ADD COLUMN generated BOOLEAN"]

# Surveys collected by the service (docs/service.md). A campaign asks its items in order, page
# by page, to the customers of its wave and, when ``mirror``, the mirror questions of those
# items to staff. ``invitations`` gains the campaign, the SHA-256 of the personal link's token
# (a leaked database does not leak the links), the last page saved and when the respondent
# finished. Partial answers wait in ``campaign_answers`` until the last page, when they become
# ``responses``; ``idempotency_keys`` holds the outcome of every acknowledged submission so a
# retry is answered the same and never written twice. ``api_tokens`` hold hashed API tokens.
_CAMPAIGNS = [
    """CREATE TABLE campaigns (
        campaign_id VARCHAR NOT NULL, name VARCHAR NOT NULL, wave VARCHAR NOT NULL,
        mirror BOOLEAN NOT NULL, status VARCHAR NOT NULL, opens_at TIMESTAMP,
        closes_at TIMESTAMP, anonymous BOOLEAN NOT NULL, languages VARCHAR NOT NULL,
        source VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE campaign_items (
        campaign_id VARCHAR NOT NULL, position INTEGER NOT NULL, page INTEGER NOT NULL,
        question_id VARCHAR NOT NULL, mirror_id VARCHAR, required BOOLEAN NOT NULL,
        show_when VARCHAR)""",
    "ALTER TABLE invitations ADD COLUMN campaign_id VARCHAR",
    "ALTER TABLE invitations ADD COLUMN token_sha256 VARCHAR",
    "ALTER TABLE invitations ADD COLUMN page_reached INTEGER",
    "ALTER TABLE invitations ADD COLUMN responded_at TIMESTAMP",
    """CREATE TABLE campaign_answers (
        token_sha256 VARCHAR NOT NULL, question_id VARCHAR NOT NULL, page INTEGER NOT NULL,
        value VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE idempotency_keys (
        scope VARCHAR NOT NULL, key VARCHAR NOT NULL, status INTEGER NOT NULL,
        body VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE api_tokens (
        token_id VARCHAR NOT NULL, token_sha256 VARCHAR NOT NULL, scope VARCHAR NOT NULL,
        label VARCHAR, created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)""",
]

# Sending, open links and languages (docs/service.md). An invitation's ``link_kind`` says
# where its token came from: ``csv`` (random, shown once in the mail-merge file), ``mail``
# (derived from the workspace's link key, so that a reminder can carry the same link) or
# ``open`` (an anonymous session of an open link); ``sent_at`` and ``reminded_at`` record the
# e-mails sent, at most one of each. ``open_id`` is the unguessable id of an anonymous
# campaign's open link. ``question_translations`` hold a question's text per language.
_SENDING = [
    "ALTER TABLE invitations ADD COLUMN link_kind VARCHAR",
    "ALTER TABLE invitations ADD COLUMN sent_at TIMESTAMP",
    "ALTER TABLE invitations ADD COLUMN reminded_at TIMESTAMP",
    "ALTER TABLE campaigns ADD COLUMN open_id VARCHAR",
    """CREATE TABLE question_translations (
        question_id VARCHAR NOT NULL, language VARCHAR NOT NULL, text VARCHAR NOT NULL)""",
]

# The team's dashboard (docs/security.md): users with a role (admin, analyst, manager, viewer)
# and, for managers, a department; passwords as argon2id hashes. A signed-in browser holds a
# random session id of which only the SHA-256 is stored, with its CSRF token and expiry.
# ``login_failures`` throttles guessing per account and per address (shared by every worker);
# ``audit_log`` records every change: who, when, what, and the row before and after (JSON).
_ACCESS = [
    """CREATE TABLE users (
        user_id VARCHAR NOT NULL, email VARCHAR NOT NULL, name VARCHAR NOT NULL,
        role VARCHAR NOT NULL, department VARCHAR, password_hash VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, disabled_at TIMESTAMP)""",
    """CREATE TABLE web_sessions (
        session_sha256 VARCHAR NOT NULL, user_id VARCHAR NOT NULL, csrf_token VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, seen_at TIMESTAMP NOT NULL, ended_at TIMESTAMP)""",
    """CREATE TABLE login_failures (
        account VARCHAR NOT NULL, address VARCHAR NOT NULL, failed_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE audit_log (
        audit_id VARCHAR NOT NULL, actor VARCHAR NOT NULL, changed_at TIMESTAMP NOT NULL,
        action VARCHAR NOT NULL, target VARCHAR NOT NULL, before_json VARCHAR,
        after_json VARCHAR)""",
]


def unique_responses_on_postgres(ws: Workspace) -> None:
    """On PostgreSQL, where several server workers write at once, the database refuses a
    second answer per respondent, question and wave. The embedded store admits one writing
    process at a time (its file lock), and a unique index there would make bulk imports about
    four times slower (measured on 3 million rows), so the importers' anti-join keeps it."""
    if ws.dialect == "postgres":
        ws.con.execute(
            "CREATE UNIQUE INDEX responses_one_answer "
            "ON responses (respondent_id, question_id, wave)"
        )


# The survey service's guarantees enforced by the database, not only by Python, so that
# several workers (PostgreSQL) can never record one idempotency key twice, share a token, or
# keep two saved answers to one question of a link.
def unique_service_keys(ws: Workspace) -> None:
    """The unique indexes of the service's tables. Spark tables (Parquet) have no indexes; a
    Spark workspace has one writer at a time and serves no surveys."""
    if ws.dialect == "spark":
        return
    for statement in (
        "CREATE UNIQUE INDEX idempotency_keys_once ON idempotency_keys (scope, key)",
        "CREATE UNIQUE INDEX invitations_token ON invitations (token_sha256)",
        "CREATE UNIQUE INDEX campaign_answers_once ON campaign_answers (token_sha256, question_id)",
    ):
        ws.con.execute(statement)


_SERVICE_UNIQUE: list[Step] = [unique_service_keys, unique_responses_on_postgres]

# Cases in the browser and their hand-off (docs/service.md, "Cases"). ``webhook_deliveries``
# holds each case event to send to the help desk: pending until delivered, retried with
# backoff, and ``dead`` (the dead-letter list) after the last try. An API token may carry a
# dashboard role (and, for a manager, a department) instead of a read/write scope.
_CASES_WEB_TABLES = [
    """CREATE TABLE webhook_deliveries (
        delivery_id VARCHAR NOT NULL, event VARCHAR NOT NULL, case_id VARCHAR NOT NULL,
        url VARCHAR NOT NULL, body VARCHAR NOT NULL, status VARCHAR NOT NULL,
        attempts INTEGER NOT NULL, next_attempt_at TIMESTAMP NOT NULL, last_error VARCHAR,
        created_at TIMESTAMP NOT NULL, delivered_at TIMESTAMP)""",
    "ALTER TABLE api_tokens ADD COLUMN role VARCHAR",
    "ALTER TABLE api_tokens ADD COLUMN department VARCHAR",
]


def one_delivery_per_id(ws: Workspace) -> None:
    """A delivery is claimed once even with several workers; Spark (Parquet) has no indexes
    and serves no webhooks (one writer at a time)."""
    if ws.dialect == "spark":
        return
    ws.con.execute(
        "CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (delivery_id)"
    )


_CASES_WEB: list[Step] = [*_CASES_WEB_TABLES, one_delivery_per_id]

# The data stamp (store/version.py): one row counting the committed write transactions that
# may change what a cached result reads, bumped in each one's commit by Workspace.transaction,
# so that a server finds out that another process wrote with one one-row read. A Spark
# workspace (one writer, Parquet files rewritten per UPDATE) keeps the full fingerprint.
STAMP_TABLE = "data_stamp"


def data_stamp(ws: Workspace) -> None:
    if ws.dialect == "spark":
        return
    ws.con.execute(f"CREATE TABLE {STAMP_TABLE} (version BIGINT NOT NULL)")
    ws.con.execute(f"INSERT INTO {STAMP_TABLE} VALUES (0)")


# Then one stamp row per slot, the stamp being their sum: a PostgreSQL transaction bumps the
# row of its connection's slot, so concurrent writers no longer queue behind one row's lock
# until each commit (the survey service's submissions: 311 -> 370 a second with the lock
# gone, POST p99 328 -> 154 ms; BENCHMARKS.md). DuckDB has one writer and keeps slot 0.
STAMP_SLOTS = 64


def data_stamp_slots(ws: Workspace) -> None:
    if ws.dialect == "spark":
        return
    new = f"{STAMP_TABLE}_slots"
    ws.con.execute(f"CREATE TABLE {new} (slot INTEGER NOT NULL, version BIGINT NOT NULL)")
    ws.con.execute(f"INSERT INTO {new} SELECT 0, version FROM {STAMP_TABLE}")
    for slot in range(1, STAMP_SLOTS):
        ws.con.execute(f"INSERT INTO {new} VALUES ({slot}, 0)")
    ws.con.execute(f"DROP TABLE {STAMP_TABLE}")
    ws.con.execute(f"ALTER TABLE {new} RENAME TO {STAMP_TABLE}")
    if ws.dialect == "postgres":
        ws.con.execute(f"ALTER TABLE {STAMP_TABLE} ADD PRIMARY KEY (slot)")


def keys_looked_up_per_request(ws: Workspace) -> None:
    """On PostgreSQL the survey service finds the respondent of a link, and adds a survey's
    documents and cases only when their key is new, on every submission: without an index on
    the key each is a scan of the whole table, which grows with the company (a scan of 1M
    respondents per page opened). The embedded store serves one process, and its bulk imports
    are faster without the index (their anti-joins hash the keys)."""
    if ws.dialect == "postgres":
        for table in ("respondents", "documents", "cases"):
            ws.con.execute(f"CREATE INDEX {table}_key ON {table} ({', '.join(KEYS[table])})")


# MIGRATIONS[i] brings the schema from version i to version i + 1: SQL statements, or a
# Python step given the workspace (inside the same transaction).
MIGRATIONS: list[list[Step]] = [
    list(_V1),
    list(_TEXT_TAGS),
    list(_WOW_EVENTS),
    _REDACTED_AT_ENTRY,
    list(_GENERATED_QUESTIONS),
    list(_CAMPAIGNS),
    list(_SENDING),
    list(_ACCESS),
    _SERVICE_UNIQUE,
    _CASES_WEB,
    [data_stamp],
    [data_stamp_slots, keys_looked_up_per_request],
]

SCHEMA_VERSION = len(MIGRATIONS)
# The schema version from which a workspace has the data stamp.
STAMPED_SINCE = next(i + 1 for i, steps in enumerate(MIGRATIONS) if data_stamp in steps)
SLOTTED_SINCE = next(i + 1 for i, steps in enumerate(MIGRATIONS) if data_stamp_slots in steps)


def stamp_bump(version: int, dialect: str) -> str | None:
    """The statement that bumps the data stamp of a workspace at schema ``version`` (None: it
    has no stamp)."""
    if dialect == "spark" or version < STAMPED_SINCE:
        return None
    if version < SLOTTED_SINCE:
        return f"UPDATE {STAMP_TABLE} SET version = version + 1"
    if dialect != "postgres":
        return f"UPDATE {STAMP_TABLE} SET version = version + 1 WHERE slot = 0"
    # the first slot no other transaction holds (SKIP LOCKED: no wait), or, if all are held,
    # the connection's own (it waits for that one)
    free = f"SELECT slot FROM {STAMP_TABLE} ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED"
    own = f"pg_backend_pid() % {STAMP_SLOTS}"
    return f"UPDATE {STAMP_TABLE} SET version = version + 1 WHERE slot = coalesce(({free}), {own})"
