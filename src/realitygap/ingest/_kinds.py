"""The generic import formats, one per kind: their columns and their checks.

``prepare(ws, grid, kind, ...)`` validates a file read by ``_read`` and returns the rows to
insert per table, or raises one ``SurveyDataError`` with every problem found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from realitygap.domain.models import (
    Audience,
    CaseStatus,
    ContactChannel,
    EventType,
    RespondentKind,
    Role,
)
from realitygap.domain.scales import SCALES, ScaleKind
from realitygap.domain.taxonomy import Layer
from realitygap.ingest._answers import Answers, validate_answers
from realitygap.ingest._fields import Field, Kind, flag_duplicates, parse_fields
from realitygap.ingest._lookup import RowFilter, known_mask, questions
from realitygap.ingest._problems import Problems
from realitygap.ingest._read import Grid
from realitygap.store import engine
from realitygap.store.workspace import Workspace

CASE_TRIGGERS = ("detractor", "staff_attitude", "silent_attrition", "manual")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


FIELDS: dict[str, tuple[Field, ...]] = {
    "questions": (
        Field("question_id", Kind.ID, True, doc="unique id of the item"),
        Field("text", Kind.TEXT, True, doc="the question as asked"),
        Field("scale", Kind.ENUM, True, tuple(s.value for s in ScaleKind)),
        Field("touchpoint", Kind.ID, doc="a touchpoint id of taxonomy.toml"),
        Field("layer", Kind.ENUM, False, tuple(x.value for x in Layer)),
        Field("audience", Kind.ENUM, True, tuple(a.value for a in Audience)),
        Field("mirrors", Kind.ID, doc="mirror questions: the customer question they predict"),
        Field("feature", Kind.TEXT, doc="Kano pairs: the feature both halves ask about"),
        Field("block", Kind.TEXT, doc="item battery, for internal consistency"),
    ),
    "respondents": (
        Field("respondent_id", Kind.ID, True),
        Field("kind", Kind.ENUM, True, tuple(k.value for k in RespondentKind)),
        Field("role", Kind.ENUM, False, tuple(r.value for r in Role), doc="staff only"),
        Field("department", Kind.TEXT),
        Field("segment", Kind.TEXT),
    ),
    "responses": (
        Field("respondent_id", Kind.ID, True),
        Field("question_id", Kind.ID, True),
        Field("value", Kind.TEXT, True),
        Field("wave", Kind.ID, True, doc="or --wave"),
        Field("submitted_at", Kind.DATETIME),
        Field("channel", Kind.ID),
    ),
    "invitations": (
        Field("respondent_id", Kind.ID, True),
        Field("wave", Kind.ID, True, doc="or --wave"),
        Field("invited_at", Kind.DATETIME),
        Field("channel", Kind.ID),
    ),
    "documents": (
        Field("document_id", Kind.ID, True),
        Field("source", Kind.ID, True, doc="survey, review, ticket, chat ..."),
        Field("text", Kind.TEXT, True),
        Field("customer_id", Kind.ID),
        Field("rating", Kind.NUMBER),
        Field("created_at", Kind.DATETIME),
        Field("question_id", Kind.ID),
        Field("wave", Kind.ID),
    ),
    "events": (
        Field("event_id", Kind.ID, doc="derived from the row when absent"),
        Field("customer_id", Kind.ID, True),
        Field("type", Kind.ENUM, True, tuple(e.value for e in EventType)),
        Field("occurred_at", Kind.DATETIME, True),
        Field("amount", Kind.NUMBER),
        Field("name", Kind.ID, doc="wow events: the moment's name (required for type wow)"),
        Field("touchpoint", Kind.ID, doc="wow events: the touchpoint where it happened"),
        Field("detail", Kind.TEXT, doc="wow events: what happened"),
    ),
    "cases": (
        Field("case_id", Kind.ID, True),
        Field("customer_id", Kind.ID, True),
        Field("trigger", Kind.ENUM, True, CASE_TRIGGERS),
        Field("touchpoint", Kind.ID),
        Field("owner", Kind.TEXT),
        Field("status", Kind.ENUM, True, tuple(s.value for s in CaseStatus)),
        Field("opened_at", Kind.DATETIME, True),
        Field("due_at", Kind.DATETIME, True),
        Field("first_contact_at", Kind.DATETIME),
        Field("resolved_at", Kind.DATETIME),
        Field("resolution", Kind.TEXT),
        Field("recovery_rating", Kind.NUMBER, doc="0-10"),
    ),
    "contacts": (
        Field("contact_id", Kind.ID, doc="derived from the row when absent"),
        Field("staff_id", Kind.ID, True),
        Field("customer_id", Kind.ID),
        Field("channel", Kind.ENUM, True, tuple(c.value for c in ContactChannel)),
        Field("occurred_at", Kind.DATETIME, True),
        Field("minutes", Kind.NUMBER),
    ),
    "translations": (
        Field("question_id", Kind.ID, True, doc="a question of the bank"),
        Field("language", Kind.ID, True, doc='a language code such as "fr" or "pt-BR"'),
        Field("text", Kind.TEXT, True, doc="the question in that language"),
    ),
}

KINDS: tuple[str, ...] = (*FIELDS, "taxonomy")


@dataclass(frozen=True)
class Prepared:
    """What an import will write: rows per table (in insert order), rows read from the file,
    and segment-attribute columns to add to a table first."""

    tables: dict[str, pd.DataFrame]
    rows_read: int
    new_columns: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # file column -> what it became
    notes: tuple[str, ...] = ()  # defaults the import chose, announced in its report


@dataclass(frozen=True)
class Context:
    ws: Workspace
    grid: Grid
    problems: Problems
    wave: str | None
    date_format: str | None
    labels: dict[str, float]


def _canonical_columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Rename columns that match a format's column ignoring case and surrounding spaces."""
    wanted = {n.lower(): n for n in names}
    renames = {
        c: wanted[str(c).strip().lower()] for c in frame.columns if str(c).strip().lower() in wanted
    }
    return frame.rename(columns=renames)


def prepare(ctx: Context, kind: str) -> Prepared:
    """Validate ``ctx.grid`` as a file of ``kind``; the rows to write, or SurveyDataError."""
    fields = FIELDS[kind]
    frame = _canonical_columns(ctx.grid.data, [f.name for f in fields])
    if kind == "responses" and "question_id" not in frame.columns:
        prepared = _wide_responses(ctx, frame)
    else:
        frame = _fill_wave(ctx, kind, frame)
        parsed = parse_fields(
            frame, ctx.grid.rows, fields, ctx.problems, kind=kind, date_format=ctx.date_format
        )
        prepared = _CHECKS[kind](ctx, frame, parsed)
    ctx.problems.raise_if_any()
    return prepared


def _missing_required(frame: pd.DataFrame, kind: str) -> bool:
    return any(f.required and f.name not in frame.columns for f in FIELDS[kind])


def _fill_wave(ctx: Context, kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    if kind not in ("responses", "invitations") or ctx.wave is None:
        return frame
    if "wave" in frame.columns:
        return frame.assign(wave=frame["wave"].where(frame["wave"].notna(), ctx.wave))
    return frame.assign(wave=ctx.wave)


def _rows(ctx: Context) -> np.ndarray:
    return ctx.grid.rows


def _check_known(
    ctx: Context,
    parsed: pd.DataFrame,
    column: str,
    table: str,
    key: str,
    expected: str,
    where: RowFilter | None = None,
) -> None:
    ok = known_mask(ctx.ws, parsed[column], table, key, where)
    ctx.problems.add_rows(~ok, _rows(ctx), column, parsed[column], expected)


def _check_customer(ctx: Context, parsed: pd.DataFrame) -> None:
    """Every ``customer_id`` must be a respondent of the workspace."""
    _check_known(
        ctx,
        parsed,
        "customer_id",
        "respondents",
        "respondent_id",
        "a respondent_id of the workspace (import the customers as respondents first)",
    )


def _check_touchpoint(ctx: Context, parsed: pd.DataFrame) -> None:
    tps = ctx.ws.taxonomy.touchpoint_ids
    bad = parsed["touchpoint"].notna() & ~parsed["touchpoint"].isin(tps)
    ctx.problems.add_rows(
        bad,
        _rows(ctx),
        "touchpoint",
        parsed["touchpoint"],
        f"a touchpoint of taxonomy.toml ({', '.join(tps)})",
    )


# ---- per kind -----------------------------------------------------------------------------
def _questions(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    rows = _rows(ctx)
    flag_duplicates(parsed[["question_id"]], rows, "question_id", ctx.problems, "question_id")
    _check_touchpoint(ctx, parsed)
    mirror = parsed["audience"] == Audience.MIRROR.value
    ctx.problems.add_rows(
        mirror & parsed["mirrors"].isna(),
        rows,
        "mirrors",
        None,
        "the question_id of the customer question this mirror question predicts",
    )
    ctx.problems.add_rows(
        ~mirror & parsed["audience"].notna() & parsed["mirrors"].notna(),
        rows,
        "mirrors",
        parsed["mirrors"],
        "an empty cell (only mirror questions name a customer question)",
    )
    existing = questions(ctx.ws)
    _check_redefinitions(ctx, parsed, existing)
    customer_ids = set(existing.loc[existing["audience"] == Audience.CUSTOMER.value, "question_id"])
    customer_ids |= set(parsed.loc[parsed["audience"] == Audience.CUSTOMER.value, "question_id"])
    ctx.problems.add_rows(
        mirror & parsed["mirrors"].notna() & ~parsed["mirrors"].isin(customer_ids),
        rows,
        "mirrors",
        parsed["mirrors"],
        "the question_id of a customer question (in the workspace or in this file)",
    )
    return Prepared({"questions": parsed}, len(parsed))


def _check_redefinitions(ctx: Context, parsed: pd.DataFrame, existing: pd.DataFrame) -> None:
    """A question already in the workspace may be imported again, but not with another scale
    or audience: its stored answers were checked against the old ones."""
    old = existing.set_index("question_id")
    refits = _generated_refits(ctx.ws, parsed, old)
    for column in ("scale", "audience"):
        before = parsed["question_id"].map(old[column])
        changed = before.notna() & parsed[column].notna() & (before != parsed[column])
        if column == "scale":
            changed &= ~refits
        expected = (
            "the " + column + " the workspace already has for this question_id ("
            + before.astype(str) + "); a question cannot be redefined, give it a new id"
        )  # fmt: skip
        ctx.problems.add_rows(changed, _rows(ctx), column, parsed[column], expected)


def _generated_refits(ws: Workspace, parsed: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
    """True where a generated question (its scale inferred from an export) gets another rated
    scale that every stored answer of it is on: settling an inferred scale is allowed."""
    from realitygap.ingest._generated import generated_ids

    drafts = generated_ids(ws)
    out = pd.Series(False, index=parsed.index)
    for i, (qid, scale) in enumerate(zip(parsed["question_id"], parsed["scale"], strict=True)):
        if qid not in drafts or not isinstance(scale, str) or scale == old.at[qid, "scale"]:
            continue
        new = SCALES.get(ScaleKind(scale))
        before = SCALES.get(ScaleKind(str(old.at[qid, "scale"])))
        if new is None or before is None:
            continue  # to or from text: answers stored as documents cannot move
        r = ws.table("responses")
        off = r.filter(
            (r.question_id == qid)
            & ((r.value < new.low) | (r.value > new.high) | (r.value != r.value.floor()))
        ).count()
        out.iloc[i] = int(off.execute()) == 0
    return out


def _respondents(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    rows = _rows(ctx)
    flag_duplicates(parsed[["respondent_id"]], rows, "respondent_id", ctx.problems, "respondent_id")
    staff = parsed["kind"] == RespondentKind.STAFF.value
    customer = parsed["kind"] == RespondentKind.CUSTOMER.value
    ctx.problems.add_rows(
        staff & parsed["role"].isna(),
        rows,
        "role",
        None,
        f"a role for staff ({', '.join(r.value for r in Role)})",
    )
    ctx.problems.add_rows(
        customer & parsed["role"].notna(),
        rows,
        "role",
        parsed["role"],
        "an empty cell (roles are for staff)",
    )
    known = {f.name for f in FIELDS["respondents"]}
    existing = {c.lower(): c for c in ctx.ws.columns("respondents")}
    extras: dict[str, str] = {}
    for col in frame.columns:
        name = str(col).strip()
        if name in known:
            continue
        if not _ATTRIBUTE_NAME.match(name):
            ctx.problems.add(
                None, name, name, "a segment-attribute column name of letters, digits and _"
            )
            continue
        extras[col] = existing.get(name.lower(), name)
    out = parsed.assign(**{target: frame[col] for col, target in extras.items()})
    new = [t for t in extras.values() if t.lower() not in existing]
    return Prepared({"respondents": out}, len(out), {"respondents": new} if new else {})


def _long_responses(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    n = len(parsed)
    answers = Answers(
        frame=parsed,
        rows=_rows(ctx),
        question_columns=pd.Series("question_id", index=parsed.index),
        value_columns=pd.Series("value", index=parsed.index),
    )
    if _missing_required(frame, "responses"):  # the checks below need every column
        return Prepared({}, n)
    responses, documents = validate_answers(ctx.ws, answers, ctx.problems, labels=ctx.labels)
    return Prepared({"responses": responses, "documents": documents}, n)


def _wide_responses(ctx: Context, frame: pd.DataFrame) -> Prepared:
    """One row per respondent, one column per question_id (see docs/formats.md)."""
    meta = ("respondent_id", "wave", "submitted_at", "channel")
    frame = _fill_wave(ctx, "responses", frame)
    meta_fields = [f for f in FIELDS["responses"] if f.name in meta]
    parsed = parse_fields(
        frame,
        ctx.grid.rows,
        meta_fields,
        ctx.problems,
        kind="responses",
        date_format=ctx.date_format,
    )
    flag_duplicates(
        parsed[["respondent_id", "wave"]],
        ctx.grid.rows,
        "respondent_id",
        ctx.problems,
        "respondent per wave",
    )
    question_cols = [c for c in frame.columns if c not in meta]
    if not question_cols:
        ctx.problems.add(
            None,
            "question_id",
            None,
            "a question_id column (long format) or one column per question_id (wide format)",
        )
    # Column names match question ids ignoring case and surrounding spaces (docs/formats.md).
    folded = {str(q).strip().casefold(): q for q in questions(ctx.ws)["question_id"]}
    question_ids = [folded.get(str(c).strip().casefold(), c) for c in question_cols]
    answers = melt_answers(frame[question_cols], parsed, ctx.grid.rows, question_ids, question_cols)
    if "respondent_id" not in frame.columns or "wave" not in frame.columns:
        return Prepared({}, len(frame))
    responses, documents = validate_answers(ctx.ws, answers, ctx.problems, labels=ctx.labels)
    return Prepared({"responses": responses, "documents": documents}, len(frame))


def melt_answers(
    values: pd.DataFrame,
    meta: pd.DataFrame,
    rows: np.ndarray,
    question_ids: list[str],
    column_names: list[str],
) -> Answers:
    """Wide answers (one column per question) -> long :class:`Answers`, empty cells dropped.

    ``values`` holds only the answer columns, ``meta`` respondent_id, wave, submitted_at and
    channel for the same file rows; ``question_ids`` and ``column_names`` give each answer
    column's question and the name a user sees for it.
    """
    k = values.shape[1]
    cells = values.to_numpy(dtype=object).reshape(-1)  # row-major: row, then column
    keep = pd.notna(cells)
    pos = np.repeat(np.arange(len(values)), k)[keep]
    col = np.tile(np.arange(k), len(values))[keep]
    long = pd.DataFrame(
        {
            "respondent_id": meta["respondent_id"].to_numpy(dtype=object)[pos],
            "question_id": np.asarray(question_ids, dtype=object)[col],
            "value": cells[keep],
            "wave": meta["wave"].to_numpy(dtype=object)[pos],
            "submitted_at": meta["submitted_at"].to_numpy()[pos],
            "channel": meta["channel"].to_numpy(dtype=object)[pos],
        }
    )
    names = pd.Series(np.asarray(column_names, dtype=object)[col])
    return Answers(long, rows[pos], names, names)


def _invitations(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    flag_duplicates(
        parsed[["respondent_id", "wave"]],
        _rows(ctx),
        "respondent_id",
        ctx.problems,
        "invitation per respondent and wave",
    )
    _check_known(
        ctx,
        parsed,
        "respondent_id",
        "respondents",
        "respondent_id",
        "a respondent_id of the workspace (import the respondents first)",
    )
    return Prepared({"invitations": parsed}, len(parsed))


def _documents(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    flag_duplicates(parsed[["document_id"]], _rows(ctx), "document_id", ctx.problems, "document_id")
    _check_customer(ctx, parsed)
    _check_known(
        ctx, parsed, "question_id", "questions", "question_id", "a question_id of the workspace"
    )
    return Prepared({"documents": parsed}, len(parsed))


def derived_ids(ws: Workspace, prefix: str, parts: pd.DataFrame) -> pd.Series:
    """Deterministic ids from row content: ``prefix`` + the first 16 hex digits of the MD5 of
    the row's values (ISO dates, '' for empty), computed in the database."""
    canon = pd.DataFrame(
        {
            f"c{i}": (
                parts[c].dt.strftime("%Y-%m-%dT%H:%M:%S")
                if pd.api.types.is_datetime64_any_dtype(parts[c])
                else parts[c].astype("string")
            )
            .astype(object)
            .fillna("")
            for i, c in enumerate(parts.columns)
        }
    )
    rows = ibis.memtable(canon.assign(_row=np.arange(len(canon))))
    joined = ibis.literal("|").join([rows[f"c{i}"] for i in range(parts.shape[1])])
    digest = ibis.literal(prefix) + engine.md5_hex(joined).substr(0, 16)
    ids = ws.backend.execute(rows.select(digest.name("id"), "_row").order_by("_row"))["id"]
    return pd.Series(ids.to_numpy(dtype=object), index=parts.index)


def _with_ids(ctx: Context, parsed: pd.DataFrame, id_col: str, prefix: str) -> pd.DataFrame:
    content = [c for c in parsed.columns if c != id_col]
    missing = parsed[id_col].isna()
    if missing.any():
        parsed = parsed.copy()
        parsed.loc[missing, id_col] = derived_ids(ctx.ws, prefix, parsed.loc[missing, content])
    flag_duplicates(
        parsed[[id_col]],
        _rows(ctx),
        id_col,
        ctx.problems,
        f"{id_col} (rows with no {id_col} get one from their content, so an "
        "identical row counts as a duplicate)",
    )
    return parsed


def _events(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    # ids derived from the columns events had before wow moments, so a file imported by an
    # older version gets the same ids again; wow rows hash their name, touchpoint and detail too
    wow_columns = ["name", "touchpoint", "detail"]
    base = [c for c in parsed.columns if c != "event_id" and c not in wow_columns]
    rich = parsed[wow_columns].notna().any(axis=1)
    for mask, content in ((~rich, base), (rich, [*base, *wow_columns])):
        todo = mask & parsed["event_id"].isna()
        if todo.any():
            parsed = parsed.copy()
            parsed.loc[todo, "event_id"] = derived_ids(ctx.ws, "ev-", parsed.loc[todo, content])
    parsed = _with_ids(ctx, parsed, "event_id", "ev-")
    _check_customer(ctx, parsed)
    _check_touchpoint(ctx, parsed)
    ctx.problems.add_rows(
        (parsed["type"] == EventType.WOW.value) & parsed["name"].isna(),
        _rows(ctx),
        "name",
        frame.get("name"),
        "the wow moment's name (every event of type wow names its moment)",
    )
    return Prepared({"events": parsed}, len(parsed))


def _cases(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    rows = _rows(ctx)
    flag_duplicates(parsed[["case_id"]], rows, "case_id", ctx.problems, "case_id")
    _check_customer(ctx, parsed)
    _check_touchpoint(ctx, parsed)
    rating = parsed["recovery_rating"]
    ctx.problems.add_rows(
        rating.notna() & ((rating < 0) | (rating > 10)),
        rows,
        "recovery_rating",
        frame.get("recovery_rating"),
        "a rating from 0 to 10",
    )
    ctx.problems.add_rows(
        parsed["due_at"] < parsed["opened_at"],
        rows,
        "due_at",
        frame.get("due_at"),
        "a due date on or after opened_at",
    )
    return Prepared({"cases": parsed}, len(parsed))


def _contacts(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    parsed = _with_ids(ctx, parsed, "contact_id", "ct-")
    _check_known(
        ctx,
        parsed,
        "staff_id",
        "respondents",
        "respondent_id",
        "the respondent_id of a staff member (kind staff)",
        lambda t: t.kind == "staff",
    )
    _check_customer(ctx, parsed)
    minutes = parsed["minutes"]
    ctx.problems.add_rows(
        minutes < 0, _rows(ctx), "minutes", frame.get("minutes"), "a number of minutes of 0 or more"
    )
    return Prepared({"contacts": parsed}, len(parsed))


def _translations(ctx: Context, frame: pd.DataFrame, parsed: pd.DataFrame) -> Prepared:
    from realitygap.store.settings import LANGUAGE

    parsed = parsed.assign(language=parsed["language"].str.lower())
    flag_duplicates(
        parsed[["question_id", "language"]],
        _rows(ctx),
        "language",
        ctx.problems,
        "translation per question and language",
    )
    _check_known(
        ctx,
        parsed,
        "question_id",
        "questions",
        "question_id",
        "a question_id of the workspace (import the questions first)",
    )
    codes = parsed["language"].fillna("")
    ok = codes.map(lambda c: bool(LANGUAGE.match(c))).to_numpy(dtype=bool)
    ctx.problems.add_rows(
        ~ok,
        _rows(ctx),
        "language",
        frame.get("language"),
        'a language code such as "fr" or "pt-BR"',
    )
    return Prepared({"question_translations": parsed}, len(parsed))


_CHECKS: dict[str, Callable[[Context, pd.DataFrame, pd.DataFrame], Prepared]] = {
    "questions": _questions,
    "respondents": _respondents,
    "responses": _long_responses,
    "invitations": _invitations,
    "documents": _documents,
    "events": _events,
    "cases": _cases,
    "contacts": _contacts,
    "translations": _translations,
}
