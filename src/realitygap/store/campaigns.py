"""Persistence of the survey service: campaigns, their items, invitations with hashed tokens,
partial answers, idempotency keys and API tokens (schema migration 6).

Every statement binds its values as parameters and stays in the portable SQL core so that a
PostgreSQL workspace can run the same functions. Functions that change several tables take
part in the caller's ``ws.transaction()``; each says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from realitygap.store.rows import Rows, as_frame
from realitygap.store.workspace import Workspace
from realitygap.store.write import insert_new


def utc_now() -> datetime:
    """Now in UTC as a naive timestamp, as every TIMESTAMP column of the workspace holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored: the token itself never is."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CampaignRow:
    """One row of ``campaigns``."""

    campaign_id: str
    name: str
    wave: str
    mirror: bool
    status: str  # open or closed
    opens_at: datetime | None
    closes_at: datetime | None
    anonymous: bool
    languages: str  # comma-separated language codes
    source: str  # the TOML the campaign was created from
    created_at: datetime
    open_id: str | None = None  # the id of its open link (anonymous campaigns only)


@dataclass(frozen=True)
class ItemRow:
    """One row of ``campaign_items``: the customer question asked at ``position`` on
    ``page``; ``mirror_id`` the mirror question staff answer for it (None: not mirrored);
    ``show_when`` a condition such as ``q_nps <= 6`` (None: always shown)."""

    campaign_id: str
    position: int
    page: int
    question_id: str
    mirror_id: str | None
    required: bool
    show_when: str | None


@dataclass(frozen=True)
class InvitationRow:
    """An invitation of a campaign: who, when, the last page saved and when finished."""

    respondent_id: str
    kind: str  # customer or staff
    wave: str
    campaign_id: str
    invited_at: datetime | None
    page_reached: int
    responded_at: datetime | None


_CAMPAIGN_COLUMNS = (
    "campaign_id, name, wave, mirror, status, opens_at, closes_at, anonymous, languages, "
    "source, created_at, open_id"
)


def _campaign(row: Sequence[Any]) -> CampaignRow:
    return CampaignRow(
        campaign_id=row[0],
        name=row[1],
        wave=row[2],
        mirror=bool(row[3]),
        status=row[4],
        opens_at=row[5],
        closes_at=row[6],
        anonymous=bool(row[7]),
        languages=row[8],
        source=row[9],
        created_at=row[10],
        open_id=row[11],
    )


# ---- campaigns ----------------------------------------------------------------------------
def _campaign_json(campaign: CampaignRow | None) -> str | None:
    """A campaign as its audit entry keeps it (without its TOML source: the items say it)."""
    if campaign is None:
        return None
    fields = {k: v for k, v in asdict(campaign).items() if k != "source"}
    return json.dumps(fields, default=str, sort_keys=True)


def _audit(
    con: Any, actor: str, action: str, target: str, before: str | None, after: str | None
) -> None:
    from realitygap.store.users import record  # it imports this module

    record(con, actor, action, target, before, after)


def insert_campaign(
    ws: Workspace, campaign: CampaignRow, items: Sequence[ItemRow], actor: str = "cli"
) -> None:
    """Store a new campaign and its items together with its audit entry (one transaction of
    its own)."""
    with ws.transaction() as con:
        con.execute(
            f"INSERT INTO campaigns ({_CAMPAIGN_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                campaign.campaign_id,
                campaign.name,
                campaign.wave,
                campaign.mirror,
                campaign.status,
                campaign.opens_at,
                campaign.closes_at,
                campaign.anonymous,
                campaign.languages,
                campaign.source,
                campaign.created_at,
                campaign.open_id,
            ],
        )
        for item in items:
            con.execute(
                "INSERT INTO campaign_items (campaign_id, position, page, question_id, "
                "mirror_id, required, show_when) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    item.campaign_id,
                    item.position,
                    item.page,
                    item.question_id,
                    item.mirror_id,
                    item.required,
                    item.show_when,
                ],
            )
        after = json.loads(_campaign_json(campaign) or "{}")
        after["items"] = [i.question_id for i in items]
        _audit(con, actor, "campaign.create", campaign.campaign_id, None, json.dumps(after))


def campaigns(ws: Workspace) -> list[CampaignRow]:
    """Every campaign, oldest first."""
    rows = ws.con.execute(
        f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, campaign_id"
    ).fetchall()
    return [_campaign(r) for r in rows]


def campaign(ws: Workspace, campaign_id: str) -> CampaignRow | None:
    """The campaign ``campaign_id``, or None."""
    row = ws.con.execute(
        f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE campaign_id = ?", [campaign_id]
    ).fetchone()
    return None if row is None else _campaign(row)


def campaign_by_open_id(ws: Workspace, open_id: str) -> CampaignRow | None:
    """The anonymous campaign whose open link has id ``open_id``, or None."""
    row = ws.con.execute(
        f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE open_id = ? AND anonymous",
        [open_id],
    ).fetchone()
    return None if row is None else _campaign(row)


def campaign_items(ws: Workspace, campaign_id: str) -> list[ItemRow]:
    """The items of a campaign in their order."""
    rows = ws.con.execute(
        "SELECT campaign_id, position, page, question_id, mirror_id, required, show_when "
        "FROM campaign_items WHERE campaign_id = ? ORDER BY position",
        [campaign_id],
    ).fetchall()
    return [ItemRow(r[0], int(r[1]), int(r[2]), r[3], r[4], bool(r[5]), r[6]) for r in rows]


def set_campaign_status(ws: Workspace, campaign_id: str, status: str, actor: str = "cli") -> None:
    """Open or close a campaign, with its audit entry (``campaign.close`` or
    ``campaign.status``)."""
    before = campaign(ws, campaign_id)
    with ws.transaction() as con:
        con.execute("UPDATE campaigns SET status = ? WHERE campaign_id = ?", [status, campaign_id])
        if before is None or before.status == status:
            return  # nothing changed: nothing to record
        after = replace(before, status=status)
        action = "campaign.close" if status == "closed" else "campaign.status"
        _audit(con, actor, action, campaign_id, _campaign_json(before), _campaign_json(after))


def question_rows(ws: Workspace, question_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Questions of the bank: question_id, text, scale, audience, mirrors (all of them, or
    those of ``question_ids``)."""
    frame: pd.DataFrame = ws.con.execute(
        "SELECT question_id, text, scale, audience, mirrors FROM questions ORDER BY question_id"
    ).df()
    if question_ids is not None:
        frame = frame[frame["question_id"].isin(list(question_ids))]
    return frame.reset_index(drop=True)


def respondent_kinds(ws: Workspace, respondent_ids: Iterable[str]) -> dict[str, str]:
    """respondent_id -> kind (customer or staff) of the ids that exist."""
    ids = list(respondent_ids)
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = ws.con.execute(
        f"SELECT respondent_id, kind FROM respondents WHERE respondent_id IN ({marks})", ids
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


# ---- invitations --------------------------------------------------------------------------
EMAIL_COLUMNS = ("email", "e_mail", "mail")


def _email_sql(ws: Workspace) -> str:
    """The respondents' e-mail column (named email, e_mail or mail) as SQL on ``p``."""
    columns = {c.lower(): c for c in ws.columns("respondents")}
    email = next((columns[c] for c in EMAIL_COLUMNS if c in columns), None)
    return f'p."{email}"' if email else "CAST(NULL AS VARCHAR)"


def uninvited(ws: Workspace, wave: str, kinds: Sequence[str]) -> pd.DataFrame:
    """Respondents of ``kinds`` with no invitation to ``wave`` yet: respondent_id, kind, role,
    department, email (from a respondents column named email, e_mail or mail, when there is
    one)."""
    email_sql = _email_sql(ws)
    marks = ", ".join("?" for _ in kinds)
    frame: pd.DataFrame = ws.con.execute(
        f"SELECT p.respondent_id, p.kind, p.role, p.department, {email_sql} AS email "
        "FROM respondents p "
        f"WHERE p.kind IN ({marks}) AND NOT EXISTS (SELECT 1 FROM invitations i "
        "WHERE i.respondent_id = p.respondent_id AND i.wave = ?) ORDER BY p.respondent_id",
        [*kinds, wave],
    ).df()
    return frame


def insert_invitations(ws: Workspace, rows: pd.DataFrame) -> int:
    """Add invitations (respondent_id, wave, invited_at, channel, campaign_id, token_sha256,
    page_reached, link_kind): those whose respondent and wave are already invited are left out. One
    transaction of its own; returns how many landed."""
    with ws.transaction():
        return insert_new(ws, "invitations", rows)


_INVITATION_SELECT = (
    "SELECT i.respondent_id, p.kind, i.wave, i.campaign_id, i.invited_at, "
    "coalesce(i.page_reached, 0), i.responded_at FROM invitations i "
    "JOIN respondents p ON p.respondent_id = i.respondent_id "
)


def _invitation(row: Sequence[Any]) -> InvitationRow:
    return InvitationRow(row[0], row[1], row[2], row[3], row[4], int(row[5]), row[6])


def invitation_by_token(ws: Workspace, digest: str) -> InvitationRow | None:
    """The invitation whose token has SHA-256 ``digest``, or None."""
    row = ws.con.execute(_INVITATION_SELECT + "WHERE i.token_sha256 = ?", [digest]).fetchone()
    return None if row is None else _invitation(row)


@dataclass(frozen=True)
class LinkState:
    """What one statement reads when a link is opened: the invitation, its campaign's state
    (what may change while it is open: status, opening and closing times) and the version of
    the question bank and its translations (a cached definition is used only while it
    matches)."""

    invitation: InvitationRow
    status: str | None  # None: the invitation names no campaign that exists
    opens_at: datetime | None
    closes_at: datetime | None
    version: tuple[Any, ...]


def _bank_version_sql(ws: Workspace) -> str:
    """Scalar subqueries: (count, XOR of row hashes) of ``questions`` and of
    ``question_translations``, and the campaign's creation time: any change of the bank, of a
    translation, or a campaign made again under the same id changes them."""
    from realitygap.store.answer_grid import row_hash_xor

    bank = row_hash_xor(ws, [f"b.{c}" for c in ("question_id", "text", "scale", "audience")])
    words = row_hash_xor(ws, [f"t.{c}" for c in ("question_id", "language", "text")])
    return (
        f"c.created_at, (SELECT count(*) FROM questions b), (SELECT {bank} FROM questions b), "
        "(SELECT count(*) FROM question_translations t), "
        f"(SELECT {words} FROM question_translations t)"
    )


def link_state(ws: Workspace, digest: str) -> LinkState | None:
    """The state of the link whose token has SHA-256 ``digest`` (one statement), or None."""
    row = ws.con.execute(
        "SELECT i.respondent_id, p.kind, i.wave, i.campaign_id, i.invited_at, "
        "coalesce(i.page_reached, 0), i.responded_at, c.status, c.opens_at, c.closes_at, "
        f"{_bank_version_sql(ws)} FROM invitations i "
        "JOIN respondents p ON p.respondent_id = i.respondent_id "
        "LEFT JOIN campaigns c ON c.campaign_id = i.campaign_id WHERE i.token_sha256 = ?",
        [digest],
    ).fetchone()
    if row is None:
        return None
    return LinkState(_invitation(row[:7]), row[7], row[8], row[9], tuple(row[10:]))


def open_link_state(ws: Workspace, open_id: str) -> tuple[str, LinkState] | None:
    """(campaign id, state) of the anonymous campaign whose open link has id ``open_id`` (one
    statement; the invitation part is empty), or None."""
    row = ws.con.execute(
        f"SELECT c.campaign_id, c.wave, c.status, c.opens_at, c.closes_at, {_bank_version_sql(ws)} "
        "FROM campaigns c WHERE c.open_id = ? AND c.anonymous",
        [open_id],
    ).fetchone()
    if row is None:
        return None
    nobody = InvitationRow("", "customer", row[1], row[0], None, 0, None)
    return str(row[0]), LinkState(nobody, row[2], row[3], row[4], tuple(row[5:]))


def campaign_of_token(ws: Workspace, digest: str) -> str | None:
    """The campaign of the invitation whose token has SHA-256 ``digest``, or None."""
    row = ws.con.execute(
        "SELECT campaign_id FROM invitations WHERE token_sha256 = ?", [digest]
    ).fetchone()
    return None if row is None else str(row[0])


def invitation_of(ws: Workspace, campaign_id: str, respondent_id: str) -> InvitationRow | None:
    row = ws.con.execute(
        _INVITATION_SELECT + "WHERE i.campaign_id = ? AND i.respondent_id = ?",
        [campaign_id, respondent_id],
    ).fetchone()
    return None if row is None else _invitation(row)


def invitations_page(
    ws: Workspace, campaign_id: str, offset: int, limit: int
) -> tuple[list[InvitationRow], int]:
    """One page of a campaign's invitations (by respondent id) and how many there are."""
    total = ws.con.execute(
        "SELECT count(*) FROM invitations WHERE campaign_id = ?", [campaign_id]
    ).fetchone()
    rows = ws.con.execute(
        _INVITATION_SELECT + "WHERE i.campaign_id = ? ORDER BY i.respondent_id LIMIT ? OFFSET ?",
        [campaign_id, limit, offset],
    ).fetchall()
    return [_invitation(r) for r in rows], int(total[0]) if total else 0


@dataclass(frozen=True)
class MailTarget:
    """An invitation to e-mail: who, their address (None: the workspace has none)."""

    respondent_id: str
    kind: str
    email: str | None


def mail_targets(ws: Workspace, campaign_id: str, *, reminder: bool) -> list[MailTarget]:
    """The invitations of ``campaign_id`` with an e-mailed link (link_kind ``mail``) still to
    send: those never sent, or for a ``reminder`` those sent, not finished and not reminded."""
    todo = (
        "i.sent_at IS NOT NULL AND i.responded_at IS NULL AND i.reminded_at IS NULL"
        if reminder
        else "i.sent_at IS NULL AND i.responded_at IS NULL"
    )
    rows = ws.con.execute(
        f"SELECT i.respondent_id, p.kind, {_email_sql(ws)} FROM invitations i "
        "JOIN respondents p ON p.respondent_id = i.respondent_id "
        f"WHERE i.campaign_id = ? AND i.link_kind = 'mail' AND {todo} ORDER BY i.respondent_id",
        [campaign_id],
    ).fetchall()
    return [
        MailTarget(str(r[0]), str(r[1]), None if r[2] in (None, "") else str(r[2])) for r in rows
    ]


def mark_mailed(ws: Workspace, campaign_id: str, respondent_id: str, *, reminder: bool) -> None:
    """Record that the invitation (or its one reminder) went out now (its own transaction)."""
    column = "reminded_at" if reminder else "sent_at"
    with ws.transaction() as con:
        con.execute(
            f"UPDATE invitations SET {column} = coalesce({column}, ?) "
            "WHERE campaign_id = ? AND respondent_id = ?",
            [utc_now(), campaign_id, respondent_id],
        )


def mailed_counts(ws: Workspace, campaign_id: str) -> tuple[int, int]:
    """(invitations e-mailed, reminders e-mailed) of a campaign."""
    row = ws.con.execute(
        "SELECT count(sent_at), count(reminded_at) FROM invitations WHERE campaign_id = ?",
        [campaign_id],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def open_session(ws: Workspace, campaign: CampaignRow, digest: str, respondent_id: str) -> None:
    """Start the anonymous session ``digest`` of an open link: a customer ``respondent_id``
    and their invitation to the campaign's wave (link_kind ``open``), in one transaction of
    its own. A session already started is left as it is."""
    with ws.transaction() as con:
        found = con.execute(
            "SELECT count(*) FROM invitations WHERE token_sha256 = ?", [digest]
        ).fetchone()
        if found and found[0]:
            return
        insert_new(
            ws,
            "respondents",
            pd.DataFrame({"respondent_id": [respondent_id], "kind": ["customer"]}),
        )
        insert_new(
            ws,
            "invitations",
            pd.DataFrame(
                {
                    "respondent_id": [respondent_id],
                    "wave": [campaign.wave],
                    "invited_at": pd.Series([utc_now()], dtype="datetime64[us]"),
                    "channel": ["open"],
                    "campaign_id": [campaign.campaign_id],
                    "token_sha256": [digest],
                    "page_reached": pd.Series([0], dtype="int32"),
                    "link_kind": ["open"],
                }
            ),
        )


# ---- languages ----------------------------------------------------------------------------
def translations(ws: Workspace, question_ids: Iterable[str]) -> dict[tuple[str, str], str]:
    """(question_id, language) -> the question's text in that language."""
    ids = list(question_ids)
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = ws.con.execute(
        "SELECT question_id, language, text FROM question_translations "
        f"WHERE question_id IN ({marks})",
        ids,
    ).fetchall()
    return {(str(q), str(lang)): str(t) for q, lang, t in rows}


# ---- answers and submissions --------------------------------------------------------------
def saved_answers(ws: Workspace, digest: str) -> dict[str, str]:
    """question_id -> the answer saved so far through the link with token ``digest``."""
    rows = ws.con.execute(
        "SELECT question_id, value FROM campaign_answers WHERE token_sha256 = ?", [digest]
    ).fetchall()
    return {str(q): str(v) for q, v in rows}


def recorded_outcome(ws: Workspace, scope: str, key: str) -> tuple[int, str] | None:
    """The (status, body) acknowledged for idempotency key ``key`` of ``scope``, or None."""
    row = ws.con.execute(
        "SELECT status, body FROM idempotency_keys WHERE scope = ? AND key = ?", [scope, key]
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _claim(ws: Workspace, scope: str, key: str, status: int, body: str) -> bool:
    """Record ``key`` of ``scope`` with its outcome, first thing in the caller's transaction;
    False when it is recorded already. The unique index on (scope, key) decides: a second
    worker sending the same key waits here until the first commits, then finds it taken."""
    row = ws.con.execute(
        "INSERT INTO idempotency_keys (scope, key, status, body, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING status",
        [scope, key, status, body, utc_now()],
    ).fetchone()
    return row is not None


class _Taken(Exception):
    """Raised inside a transaction to undo it: the key is recorded, or the link answered."""


class AlreadyAnswered(Exception):
    """The respondent's answers to this campaign were already received (another key)."""


def _unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a second row under a unique index."""
    import duckdb

    if isinstance(exc, duckdb.ConstraintException):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.errors.UniqueViolation)


def _recorded(ws: Workspace, scope: str, key: str) -> tuple[int, str]:
    done = recorded_outcome(ws, scope, key)
    if done is None:  # pragma: no cover - the key was found taken in this request
        raise RuntimeError(f"idempotency key {key!r} of {scope!r} vanished")
    return done


def save_page(
    ws: Workspace,
    digest: str,
    page: int,
    answers: dict[str, str],
    cleared: Sequence[str],
    key: str,
    body: str,
) -> tuple[int, str]:
    """Save one page's answers through the link ``digest`` (replacing earlier answers to the
    same questions; ``cleared`` questions lose theirs), move the invitation's page reached
    forward, and record ``key`` with the outcome ``body``, all in one transaction. A key
    already recorded changes nothing and returns the outcome recorded then."""
    try:
        with ws.transaction() as con:
            if not _claim(ws, digest, key, 200, body):
                raise _Taken
            if cleared:
                marks = ", ".join("?" for _ in cleared)
                con.execute(
                    "DELETE FROM campaign_answers WHERE token_sha256 = ? "
                    f"AND question_id IN ({marks})",
                    [digest, *cleared],
                )
            if answers:
                now = utc_now()
                rows = ", ".join("(?, ?, ?, ?, ?)" for _ in answers)
                # one saved answer per link and question (unique index): a later one replaces
                # it; all of the page's answers in one statement
                con.execute(
                    "INSERT INTO campaign_answers (token_sha256, question_id, page, value, "
                    f"saved_at) VALUES {rows} ON CONFLICT (token_sha256, question_id) "
                    "DO UPDATE SET page = excluded.page, value = excluded.value, "
                    "saved_at = excluded.saved_at",
                    [x for q, v in answers.items() for x in (digest, q, page, v, now)],
                )
            con.execute(
                "UPDATE invitations SET page_reached = greatest(coalesce(page_reached, 0), ?) "
                "WHERE token_sha256 = ?",
                [page, digest],
            )
    except _Taken:
        return _recorded(ws, digest, key)
    return 200, body


def _python(v: Any) -> Any:
    """One value for a bound parameter (missing values as None)."""
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float):  # NumPy's float64 too
        return None if v != v else float(v)
    if pd.isna(v):
        return None
    return v.item() if hasattr(v, "item") else v  # a NumPy scalar


def _values(rows: pd.DataFrame | Rows) -> list[list[Any]]:
    """The rows of a small frame (or :class:`Rows`) as Python values (missing values as
    None). Column by column: a frame's ``itertuples`` costs more than the INSERT."""
    if isinstance(rows, Rows):
        return [[_python(v) for v in row] for row in rows.values]
    columns = [rows[c].tolist() for c in rows.columns]
    return [[_python(v) for v in row] for row in zip(*columns, strict=True)]


def _insert_rows(
    ws: Workspace, table: str, rows: pd.DataFrame | Rows, *, only_new: bool = True
) -> None:
    """Insert the few rows of one submission in one statement, bound as parameters (no
    temporary table per request, no count of a large table): those whose key is not in
    ``table`` yet, or, when not ``only_new``, every row, so that a key already there fails on
    the table's unique index instead of being skipped in silence."""
    from realitygap.store.schema import KEYS

    columns = list(rows.columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    values = _values(rows)
    tuples = ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in values)
    flat = [v for row in values for v in row]
    if not only_new:
        ws.con.execute(f"INSERT INTO {table} ({cols}) VALUES {tuples}", flat)
        return
    match = " AND ".join(f't."{k}" = v."{k}"' for k in KEYS[table])
    ws.con.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM (VALUES {tuples}) AS v ({cols}) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})",
        flat,
    )


def _open_cases(con: Any, ws: Workspace, cases: pd.DataFrame | None, actor: str) -> None:
    """Open the follow-up cases a submission's answers call for (``[cases.auto]``: the rows
    of ``actions.cases.submission_cases``) in the submission's transaction, audited and
    announced, so an answer stored is never left without its case, nor given two."""
    if cases is not None and not cases.empty:
        from realitygap.store.cases import open_in_transaction  # it imports this module

        open_in_transaction(con, ws, cases, actor)


def _any_stored(con: Any, responses: pd.DataFrame) -> bool:
    """Whether any of these answers (respondent, question, wave) is already stored."""
    for (respondent, wave), group in responses.groupby(["respondent_id", "wave"]):
        questions = [str(q) for q in group["question_id"].unique()]
        marks = ", ".join("?" for _ in questions)
        row = con.execute(
            "SELECT count(*) FROM responses WHERE respondent_id = ? AND wave = ? "
            f"AND question_id IN ({marks})",
            [str(respondent), str(wave), *questions],
        ).fetchone()
        if row and row[0]:
            return True
    return False


def complete(
    ws: Workspace,
    scope: str,
    key: str,
    body: str,
    responses: pd.DataFrame | Rows,
    documents: pd.DataFrame | Rows,
    *,
    respondent_id: str,
    campaign_id: str,
    token_digest_: str | None,
    status: int = 200,
    cases: pd.DataFrame | None = None,
    actor: str = "api",
) -> tuple[int, str]:
    """Land a finished submission in one transaction: ``key`` recorded with its outcome,
    the invitation marked responded, ``responses`` and ``documents`` rows (rows already
    present are not added again), the ``cases`` it opens (:func:`_open_cases`) and the
    partial answers of the link dropped. A key already recorded changes nothing and returns
    the outcome recorded then.

    Raises :class:`AlreadyAnswered` (and changes nothing) when the respondent's invitation to
    the campaign was marked responded by another submission, or, on PostgreSQL, when one of
    the answers is already stored (the unique index on responses refuses it): the database
    decides, so two workers finishing one link at once land it once.
    """
    try:
        with ws.transaction() as con:
            if not _claim(ws, scope, key, status, body):
                raise _Taken
            invited = con.execute(
                "SELECT count(*) FROM invitations WHERE campaign_id = ? AND respondent_id = ?",
                [campaign_id, respondent_id],
            ).fetchone()
            if invited and invited[0]:
                # the row lock makes a second finisher wait, then find responded_at set
                marked = con.execute(
                    "UPDATE invitations SET responded_at = ? WHERE campaign_id = ? "
                    "AND respondent_id = ? AND responded_at IS NULL RETURNING respondent_id",
                    [utc_now(), campaign_id, respondent_id],
                ).fetchone()
                if marked is None:
                    raise AlreadyAnswered(respondent_id)
            if len(responses):
                # an answer already committed is seen here; one committed by a concurrent
                # submission after this check is refused by the unique index (PostgreSQL): the
                # rows go in unconditionally, since "insert where not exists" would skip them
                # in silence and acknowledge a submission that stored nothing
                if _any_stored(con, as_frame(responses)):
                    raise AlreadyAnswered(respondent_id)
                _insert_rows(ws, "responses", responses, only_new=False)
            if len(documents):
                _insert_rows(ws, "documents", documents)
            _open_cases(con, ws, cases, actor)
            if token_digest_ is not None:
                con.execute("DELETE FROM campaign_answers WHERE token_sha256 = ?", [token_digest_])
    except _Taken:
        return _recorded(ws, scope, key)
    except Exception as exc:
        if _unique_violation(exc):
            raise AlreadyAnswered(respondent_id) from None
        raise
    return status, body


def finish_link(
    ws: Workspace,
    digest: str,
    page: int,
    key: str,
    body: str,
    responses: pd.DataFrame | Rows,
    documents: pd.DataFrame | Rows,
    *,
    respondent_id: str,
    saved: bool,
    cases: pd.DataFrame | None = None,
) -> tuple[str, bool]:
    """Land the last page of the link ``digest`` and its whole survey in one transaction:
    ``key`` recorded with the outcome ``body``, the invitation marked responded (and its page
    reached moved to ``page``), ``responses`` and ``documents`` rows, and the link's partial
    answers dropped (when ``saved``: there are some), with the ``cases`` the answers open
    (:func:`_open_cases`). Returns (the outcome, whether this call
    recorded it); a key recorded already changes nothing and returns the outcome recorded then.

    Raises :class:`AlreadyAnswered` (and changes nothing) when another submission marked the
    invitation responded first (its row lock makes this one wait, then find it set), or when
    an answer is stored already: on PostgreSQL the unique index on responses refuses it; the
    embedded store, one writer at a time and without that index, looks first.
    """
    try:
        with ws.transaction() as con:
            if not _claim(ws, digest, key, 200, body):
                raise _Taken
            marked = con.execute(
                "UPDATE invitations SET responded_at = ?, "
                "page_reached = greatest(coalesce(page_reached, 0), ?) "
                "WHERE token_sha256 = ? AND responded_at IS NULL RETURNING respondent_id",
                [utc_now(), page, digest],
            ).fetchone()
            if marked is None:
                raise AlreadyAnswered(respondent_id)
            if len(responses):
                if ws.dialect != "postgres" and _any_stored(con, as_frame(responses)):
                    raise AlreadyAnswered(respondent_id)
                _insert_rows(ws, "responses", responses, only_new=False)
            if len(documents):
                _insert_rows(ws, "documents", documents)
            _open_cases(con, ws, cases, "survey")
            if saved:
                con.execute("DELETE FROM campaign_answers WHERE token_sha256 = ?", [digest])
    except _Taken:
        return _recorded(ws, digest, key)[1], False
    except Exception as exc:
        if _unique_violation(exc):
            raise AlreadyAnswered(respondent_id) from None
        raise
    return body, True


# ---- API tokens ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiTokenRow:
    token_id: str
    scope: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


def insert_api_token(
    ws: Workspace, token_id: str, digest: str, scope: str, label: str | None
) -> None:
    with ws.transaction(data=False) as con:
        con.execute(
            "INSERT INTO api_tokens (token_id, token_sha256, scope, label, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [token_id, digest, scope, label, utc_now()],
        )


def api_token_by_digest(ws: Workspace, digest: str) -> ApiTokenRow | None:
    """The token stored under ``digest`` that is not revoked, or None."""
    row = ws.con.execute(
        "SELECT token_id, scope, label, created_at, revoked_at FROM api_tokens "
        "WHERE token_sha256 = ? AND revoked_at IS NULL",
        [digest],
    ).fetchone()
    return None if row is None else ApiTokenRow(*row)


def api_tokens(ws: Workspace) -> list[ApiTokenRow]:
    rows = ws.con.execute(
        "SELECT token_id, scope, label, created_at, revoked_at FROM api_tokens ORDER BY created_at"
    ).fetchall()
    return [ApiTokenRow(*r) for r in rows]


def revoke_api_token(ws: Workspace, token_id: str) -> bool:
    """Revoke a token; False when there is no such token still in force."""
    with ws.transaction(data=False) as con:
        row = con.execute(
            "SELECT count(*) FROM api_tokens WHERE token_id = ? AND revoked_at IS NULL",
            [token_id],
        ).fetchone()
        if not row or not row[0]:
            return False
        con.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [utc_now(), token_id]
        )
        return True
