"""Survey-tool exports: Qualtrics, SurveyMonkey, Google Forms, Typeform, or any tool with a
mapping file. Each becomes customers (``respondents``) and long answers.

A column is, in this order: what the mapping file says it is; the tool's respondent id,
submission date or channel column; a question (its header names a question_id of the
workspace, or the question's text, ignoring case and spacing; for Qualtrics also the
ImportId); the tool's own metadata (ignored); anything else is an error, so no answer is
silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from realitygap.domain.models import RespondentKind
from realitygap.ingest._answers import Answers, answer_numbers
from realitygap.ingest._bank import (
    infer_numeric,
    is_free_text,
    is_yes_no,
    question_id,
    seen,
)
from realitygap.ingest._derived import (
    NPS_GROUP_SUFFIX,
    attribute_name,
    check_nps_group,
    month_range_wave,
)
from realitygap.ingest._fields import DATE_EXPECTED, flag_duplicates, parse_datetime
from realitygap.ingest._kinds import derived_ids, melt_answers
from realitygap.ingest._labels import NPS_ANCHORS, label_scale
from realitygap.ingest._lookup import questions
from realitygap.ingest._mapping import Mapping
from realitygap.ingest._problems import Problems
from realitygap.ingest._read import Grid
from realitygap.store.workspace import Workspace

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_BANK_COLUMNS = ("question_id", "text", "scale", "audience", "generated")


@dataclass(frozen=True)
class ToolFormat:
    """The shape of one tool's export: header rows and the names of its own columns."""

    name: str
    header_rows: int
    respondent_id: tuple[str, ...] = ()
    submitted_at: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    metadata: frozenset[str] = frozenset()
    metadata_prefixes: tuple[str, ...] = ()
    hashed_id: bool = False  # the id column holds personal data (an e-mail): store a hash


FORMATS: dict[str, ToolFormat] = {
    "qualtrics": ToolFormat(
        "qualtrics",
        3,
        respondent_id=("ResponseId",),
        submitted_at=("RecordedDate", "EndDate"),
        channel=("DistributionChannel",),
        metadata=frozenset(
            {
                "StartDate",
                "EndDate",
                "Status",
                "IPAddress",
                "Progress",
                "Duration (in seconds)",
                "Finished",
                "RecordedDate",
                "ResponseId",
                "RecipientLastName",
                "RecipientFirstName",
                "RecipientEmail",
                "ExternalReference",
                "LocationLatitude",
                "LocationLongitude",
                "DistributionChannel",
                "UserLanguage",
            }
        ),
        metadata_prefixes=("Q_",),  # Q_RecaptchaScore, Q_RelevantIDDuplicate ...
    ),
    "surveymonkey": ToolFormat(
        "surveymonkey",
        2,
        respondent_id=("Respondent ID",),
        submitted_at=("End Date",),
        metadata=frozenset(
            {
                "Respondent ID",
                "Collector ID",
                "Start Date",
                "End Date",
                "IP Address",
                "Email Address",
                "First Name",
                "Last Name",
            }
        ),
        metadata_prefixes=("Custom Data",),
    ),
    "google_forms": ToolFormat(
        "google_forms",
        1,
        respondent_id=("Email Address", "Email address"),
        submitted_at=("Timestamp",),
        metadata=frozenset({"Timestamp", "Email Address", "Email address", "Score"}),
        hashed_id=True,
    ),
    "typeform": ToolFormat(
        "typeform",
        1,
        respondent_id=("#", "Token"),
        submitted_at=("Submit Date (UTC)", "Submitted At"),
        metadata=frozenset(
            {
                "#",
                "Token",
                "Response Type",
                "Start Date (UTC)",
                "Stage Date (UTC)",
                "Submit Date (UTC)",
                "Submitted At",
                "Network ID",
                "Tags",
            }
        ),
    ),
    "mapped": ToolFormat("mapped", 1),
}

# Qualtrics Status values (labels and numeric codes) of responses that are not real answers.
_QUALTRICS_NOT_REAL = {"survey preview", "survey test", "spam", "1", "2", "8"}
# SurveyMonkey's second header row for a question with one answer column.
_SURVEYMONKEY_SINGLE = {"", "response", "open-ended response"}


@dataclass(frozen=True)
class Export:
    """An export turned into rows: the answers (long), the customers, rows read."""

    answers: Answers
    respondents: pd.DataFrame
    rows_read: int
    new_attributes: list[str]
    columns: dict[str, str] = field(default_factory=dict)  # column -> what it became
    notes: list[str] = field(default_factory=list)  # defaults the import chose
    # questions the export brought (the workspace had none of its questions): _BANK_COLUMNS
    questions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[*_BANK_COLUMNS]))


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _columns(fmt: ToolFormat, grid: Grid) -> tuple[list[str], list[list[str]]]:
    """Each column's display name and the names it may be matched by."""
    h = grid.headers
    if fmt.name == "qualtrics":
        import_ids = [_import_id(cell) for cell in h[2]]
        names = h[0]
        # A matrix item's text is "Question - Statement": the statement alone may match too.
        statements = [t.rsplit(" - ", 1)[1] if " - " in t else "" for t in h[1]]
        candidates = [
            [c for c in (h[0][i], import_ids[i] or "", h[1][i], statements[i]) if c]
            for i in range(len(names))
        ]
        return names, candidates
    if fmt.name == "surveymonkey":
        names, current, cands = [], "", []
        for top, sub in zip(h[0], h[1], strict=True):
            current = top or current  # a matrix question's text spans its columns
            if sub.strip().casefold() in _SURVEYMONKEY_SINGLE or top in fmt.metadata:
                names.append(current)
                cands.append([current])
            else:  # a matrix row: "Question - Row", or the row's statement alone
                names.append(f"{current} - {sub}")
                cands.append([f"{current} - {sub}", sub])
        return names, cands
    return list(h[0]), [[n] for n in h[0]]


def _import_id(cell: str) -> str | None:
    try:
        value = json.loads(cell)
    except (json.JSONDecodeError, TypeError):
        return None
    return str(value["ImportId"]) if isinstance(value, dict) and "ImportId" in value else None


def _check_shape(fmt: ToolFormat, grid: Grid, problems: Problems) -> None:
    h = grid.headers
    if fmt.name == "qualtrics" and not any(_import_id(c) for c in h[2]):
        problems.add(
            3,
            None,
            h[2][0] if h[2] else None,
            'a Qualtrics export: row 3 holds {"ImportId": ...} cells',
        )
    if (
        fmt.name == "surveymonkey"
        and not any(s.strip().casefold() in _SURVEYMONKEY_SINGLE - {""} for s in h[1])
        and "Respondent ID" not in h[0]
    ):
        problems.add(
            2, None, None, "a SurveyMonkey export: row 2 names the answers ('Response' ...)"
        )


def read_export(
    ws: Workspace,
    grid: Grid,
    fmt_name: str,
    mapping: Mapping | None,
    wave: str | None,
    problems: Problems,
) -> Export:
    """Turn a survey-tool export into answers and customers, recording every problem."""
    fmt = FORMATS[fmt_name]
    mapping = mapping or Mapping()
    header_row = 1  # problems with a column point at its name in the first header row
    _check_shape(fmt, grid, problems)
    names, candidates = _columns(fmt, grid)
    known = questions(ws)
    by_id = {_norm(q): q for q in known["question_id"]}  # ids match ignoring case
    by_text = {_norm(t): q for q, t in zip(known["question_id"], known["text"], strict=True)}
    mapped_roles = mapping.column_roles()
    mapped_questions = {_norm(k): v for k, v in mapping.questions.items()}
    ignore = {_norm(c) for c in mapping.ignore}
    attributes = {_norm(c): c for c in mapping.attributes}

    # The tool's own columns, the first present in the format's order of preference.
    tool_roles: dict[int, str] = {}
    for role_name, preferred in (
        ("respondent_id", fmt.respondent_id),
        ("submitted_at", fmt.submitted_at),
        ("channel", fmt.channel),
    ):
        present = [names.index(c) for c in preferred if c in names]
        if present:
            tool_roles[present[0]] = role_name
    roles: dict[str, int] = {}
    attribute_pos: dict[str, int] = {}
    question_pos: list[tuple[int, str]] = []
    nps_groups: list[tuple[int, str]] = []  # (column, the base it is derived from)
    unplaced: list[int] = []  # neither role, question nor metadata: attributes or errors
    described: dict[int, str] = {}
    for pos, (name, cands) in enumerate(zip(names, candidates, strict=True)):
        folded = [_norm(c) for c in cands]
        role = next((r for c, r in mapped_roles.items() if _norm(c) in folded), None)
        if role is None and tool_roles.get(pos) not in mapped_roles.values():
            role = tool_roles.get(pos)
        if role is not None:
            roles.setdefault(role, pos)
            described[pos] = role
            continue
        if any(f in ignore for f in folded):
            described[pos] = "ignored (mapping file)"
            continue
        if attr := next((attributes[f] for f in folded if f in attributes), None):
            attribute_pos[attr] = pos
            described[pos] = f"respondent attribute {attr}"
            continue
        qid = next((mapped_questions[f] for f in folded if f in mapped_questions), None)
        qid = qid or next((by_id[f] for f in folded if f in by_id), None)
        qid = qid or next((by_text[f] for f in folded if f in by_text), None)
        if qid is not None:
            question_pos.append((pos, qid))
            described[pos] = f"question {qid}"
            continue
        if name in fmt.metadata or any(name.startswith(p) for p in fmt.metadata_prefixes):
            described[pos] = f"ignored ({fmt.name} metadata)"
            continue
        if group := next((m for c in cands if (m := NPS_GROUP_SUFFIX.match(c))), None):
            nps_groups.append((pos, group.group("base")))
            continue
        unplaced.append(pos)
    data = grid.data
    rows = grid.rows
    if fmt.name == "qualtrics" and "Status" in names:
        status = data.iloc[:, names.index("Status")].astype(str).str.strip().str.casefold()
        real = ~status.isin(_QUALTRICS_NOT_REAL).to_numpy()
        data, rows = data[real].reset_index(drop=True), rows[real]
    generated = pd.DataFrame(columns=[*_BANK_COLUMNS])
    if fmt.name != "mapped" and unplaced:
        # Columns that name no question of the workspace bring their questions (texts from
        # the header), in the same import as the answers to the questions already there. When
        # some columns matched, a column whose scale nothing settles stays an attribute.
        data, generated, unplaced = _question_bank(
            ws, fmt, grid, data, names, candidates, unplaced, mapping, question_pos, described,
            problems, strict=not question_pos and not mapped_questions,
        )  # fmt: skip
        known = pd.concat([known, generated[known.columns]], ignore_index=True)
    for pos in unplaced:
        name, cands = names[pos], candidates[pos]
        if fmt.name == "mapped" or _is_qualtrics_question(fmt, cands):
            problems.add(
                header_row,
                name,
                cands[-1] if cands else name,
                "a column that names a question of the workspace (its question_id or its "
                "text), an entry under [questions] in a mapping file, or a column listed in "
                "`ignore`",
            )
            continue
        # Any other column (a store, a region, Qualtrics embedded data) describes the
        # respondent: keep it as a segment attribute rather than refuse the export.
        taken = {a.lower() for a in attribute_pos}
        attr = attribute_name(name, taken)
        attribute_pos[attr] = pos
        described[pos] = f"respondent attribute {attr}"
    group_bases = _nps_group_bases(nps_groups, names, candidates, question_pos, known, problems)
    for pos, base_pos in group_bases.items():
        qid = dict(question_pos)[base_pos]
        described[pos] = f"derived: NPS group of {qid} (checked against {names[base_pos]!r})"
    _check_mapping_columns(mapping, names, candidates, problems)
    _check_unique_questions(question_pos, names, header_row, problems)

    notes: list[str] = []
    meta = _meta(ws, fmt, data, rows, names, roles, question_pos, mapping, wave, problems, notes)
    for pos, base_pos in group_bases.items():
        scores = answer_numbers(
            data.iloc[:, base_pos].astype(object), {**NPS_ANCHORS, **mapping.values}
        )
        check_nps_group(
            data.iloc[:, pos].astype(object), scores, rows, names[pos], names[base_pos], problems
        )
    id_column = names[roles["respondent_id"]] if "respondent_id" in roles else "respondent_id"
    flag_duplicates(
        meta[["respondent_id", "wave"]],
        rows,
        id_column,
        problems,
        "response per respondent and wave",
    )
    positions = [p for p, _ in question_pos]
    values = data.iloc[:, positions].set_axis(list(range(len(positions))), axis=1)
    answers = melt_answers(
        values, meta, rows, [q for _, q in question_pos], [names[p] for p in positions]
    )
    respondents, new_attrs = _respondents(ws, data, meta, attribute_pos, problems)
    columns = {names[pos]: what for pos, what in sorted(described.items())}
    return Export(answers, respondents, len(grid.data), new_attrs, columns, notes, generated)


def _question_bank(
    ws: Workspace,
    fmt: ToolFormat,
    grid: Grid,
    data: pd.DataFrame,
    names: list[str],
    candidates: list[list[str]],
    unplaced: list[int],
    mapping: Mapping,
    question_pos: list[tuple[int, str]],
    described: dict[int, str],
    problems: Problems,
    *,
    strict: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """New questions for the export's question columns (see :mod:`realitygap.ingest._bank`).

    Appends them to ``question_pos`` and ``described``; returns the data, the new questions
    and the columns still unplaced (choice labels and embedded data: respondent attributes).
    ``strict`` (no column named a known question): a column whose scale is ambiguous is an
    error; otherwise it stays a respondent attribute, as before the export brought questions.
    """
    taken = {q.casefold() for q in questions(ws)["question_id"]}
    rest: list[int] = []
    rows: list[dict[str, object]] = []

    def refuse(pos: int, found: str, expected: str) -> None:
        """A column whose scale nothing settles: an error, or (``strict`` off) an attribute."""
        if strict:
            problems.add(1, names[pos], found, expected)
        else:
            rest.append(pos)

    for pos in unplaced:
        name, cands = names[pos], candidates[pos]
        if fmt.name == "qualtrics" and not _is_qualtrics_question(fmt, cands):
            rest.append(pos)  # embedded data, not a question
            continue
        if NPS_GROUP_SUFFIX.match(name):
            rest.append(pos)
            continue
        text = _question_text(fmt, grid, pos, name)
        answers = data.iloc[:, pos].dropna().astype(object)
        numbers = answer_numbers(answers, {**NPS_ANCHORS, **mapping.values})
        numeric = numbers.notna()
        open_ended = _open_ended(fmt, grid, pos, cands)
        inferred = None
        # free text: a tool's open-ended column, or sentences among mostly non-numeric
        # answers (a comment column where someone wrote "5" is still a comment column)
        sentences = numeric.sum() < len(answers) / 2 and is_free_text(answers[~numeric])
        labelled = label_scale(answers) if len(answers) and not numeric.any() else None
        if not open_ended and labelled:  # "Neither agree nor disagree" is a choice, not text
            scale, reason = labelled, "answers are its usual labels"
        elif open_ended or (len(answers) and sentences):
            scale, reason = "text", "free-text answers"
        elif len(answers) and not numeric.any() and is_yes_no(answers):
            scale, reason = "binary", "Yes/No answers (stored as 1/0)"
        elif len(answers) and not numeric.any() and not _rating_column(fmt, cands):
            rest.append(pos)  # short labels such as a store's name: a respondent attribute
            continue
        elif len(answers) and not numeric.any():
            labels = [str(v) for v in answers.unique()[:3]]
            refuse(
                pos,
                ", ".join(labels),
                f"answers that are numbers: column {name!r} holds labels; {_settle_labels()}",
            )
            continue
        elif numeric.any() and not numeric.all():
            labels = [str(v) for v in answers[~numeric].unique()[:3]]
            refuse(
                pos,
                ", ".join(labels),
                f"answers that are all numbers or all text: column {name!r} has numbers "
                f"({seen(sorted(set(numbers.dropna())))}) and text; {_settle_labels()}",
            )
            continue
        else:
            inferred = infer_numeric(text, numbers.dropna())
            if inferred.problem is not None or inferred.scale is None:
                refuse(pos, seen(sorted(set(numbers.dropna()))), str(inferred.problem))
                continue
            scale, reason = inferred.scale.value, inferred.reason
        base = names[pos] if fmt.name == "qualtrics" else text
        qid = question_id(base, taken)
        taken.add(qid)
        rows.append(
            {"question_id": qid, "text": text, "scale": scale, "audience": "customer",
             "generated": True}
        )  # fmt: skip
        question_pos.append((pos, qid))
        described[pos] = f"new question {qid} ({scale}: {reason})"
    return data, pd.DataFrame(rows, columns=[*_BANK_COLUMNS]), rest


def _settle_labels() -> str:
    return (
        "add the question to the question bank with its scale, or import questions first "
        "(labels can be listed under [values] in a mapping file)"
    )


def _question_text(fmt: ToolFormat, grid: Grid, pos: int, name: str) -> str:
    """The question as asked: Qualtrics' second header row, else the column's name."""
    if fmt.name == "qualtrics":
        return " ".join(grid.headers[1][pos].split()) or name
    return " ".join(name.split())


def _open_ended(fmt: ToolFormat, grid: Grid, pos: int, cands: list[str]) -> bool:
    """The tool marks the column as free text (Qualtrics QID4_TEXT, SurveyMonkey's
    'Open-Ended Response')."""
    if fmt.name == "qualtrics":
        return any(re.match(r"^QID\d+(_\d+)*_TEXT$", c) for c in cands)
    if fmt.name == "surveymonkey":
        return grid.headers[1][pos].strip().casefold() == "open-ended response"
    return False


def _rating_column(fmt: ToolFormat, cands: list[str]) -> bool:
    """A column that can only be an answer (a Qualtrics question, a SurveyMonkey matrix
    row): labels there are answers to settle, never a respondent attribute."""
    return _is_qualtrics_question(fmt, cands) or (fmt.name == "surveymonkey" and len(cands) > 1)


def _is_qualtrics_question(fmt: ToolFormat, cands: list[str]) -> bool:
    """A Qualtrics column whose ImportId is a question's (QID12, QID3_1, QID4_TEXT): an
    answer column, so a question the workspace lacks is an error, not an attribute."""
    return fmt.name == "qualtrics" and any(re.match(r"^QID\d+", c) for c in cands)


def _nps_group_bases(
    nps_groups: list[tuple[int, str]],
    names: list[str],
    candidates: list[list[str]],
    question_pos: list[tuple[int, str]],
    known: pd.DataFrame,
    problems: Problems,
) -> dict[int, int]:
    """Each NPS-group column's score column (which must be an ``nps`` question)."""
    scale_of = dict(zip(known["question_id"], known["scale"], strict=True))
    question_of = dict(question_pos)
    out: dict[int, int] = {}
    for pos, base in nps_groups:
        base_pos = next(
            (
                i
                for i, cands in enumerate(candidates)
                if i != pos and any(_norm(c) == _norm(base) for c in cands)
            ),
            None,
        )
        if base_pos is None or base_pos not in question_of:
            problems.add(
                1,
                names[pos],
                names[pos],
                f"an NPS group beside its score column {base!r}, a question of the workspace",
            )
        elif scale_of.get(question_of[base_pos]) != "nps":
            problems.add(
                1,
                names[pos],
                names[pos],
                f"an NPS group of an nps question ({question_of[base_pos]!r} is "
                f"{scale_of.get(question_of[base_pos])})",
            )
        else:
            out[pos] = base_pos
    return out


def _check_mapping_columns(
    mapping: Mapping, names: list[str], candidates: list[list[str]], problems: Problems
) -> None:
    present = {_norm(c) for cands in candidates for c in cands} | {_norm(n) for n in names}
    wanted = [*mapping.column_roles(), *mapping.questions, *mapping.attributes, *mapping.ignore]
    for column in wanted:
        if _norm(column) not in present:
            problems.add(None, column, column, "a column of the file (named in the mapping file)")


def _check_unique_questions(
    question_pos: list[tuple[int, str]], names: list[str], header_row: int, problems: Problems
) -> None:
    first: dict[str, int] = {}
    for pos, qid in question_pos:
        if qid in first:
            problems.add(
                header_row,
                names[pos],
                qid,
                f"one column per question (column {names[first[qid]]!r} is already {qid!r})",
            )
        first.setdefault(qid, pos)


def _meta(
    ws: Workspace,
    fmt: ToolFormat,
    data: pd.DataFrame,
    rows: np.ndarray,
    names: list[str],
    roles: dict[str, int],
    question_pos: list[tuple[int, str]],
    mapping: Mapping,
    wave: str | None,
    problems: Problems,
    notes: list[str],
) -> pd.DataFrame:
    """respondent_id, wave, submitted_at, channel per row of the export; the defaults chosen
    (the wave from the month range) are appended to ``notes``."""
    n = len(data)

    def column(role: str) -> pd.Series | None:
        if role not in roles:
            return None
        return data.iloc[:, roles[role]].astype(object)

    submitted_raw = column("submitted_at")
    if submitted_raw is not None:
        submitted = parse_datetime(submitted_raw, mapping.date_format)
        bad = submitted_raw.notna() & submitted.isna()
        problems.add_rows(bad, rows, names[roles["submitted_at"]], submitted_raw, DATE_EXPECTED)
    else:
        submitted = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")

    ids = column("respondent_id")
    if ids is not None and fmt.hashed_id and mapping.respondent_id is None:
        emails = ids.astype(str).str.strip().str.casefold().to_frame("email")
        ids = derived_ids(ws, "gf-", emails).where(ids.notna(), None)
    if ids is None and fmt.hashed_id:
        # Google Forms without e-mail collection: the id is a hash of the whole response.
        ids = derived_ids(ws, "gf-", data.fillna(""))
    if ids is None:
        problems.add(
            None,
            "respondent_id",
            None,
            f"a respondent id column ({', '.join(fmt.respondent_id) or 'none in this format'}) "
            'or `respondent_id = "COLUMN"` in a mapping file',
        )
        ids = pd.Series([None] * n, index=data.index, dtype=object)
    else:
        ids = ids.where(ids.isna(), ids.astype(str).str.strip())
        problems.add_rows(
            ids.isna(),
            rows,
            names[roles.get("respondent_id", 0)] if roles else "respondent_id",
            None,
            "a respondent id (this column is required)",
        )

    waves = column("wave")
    if waves is None and wave is None:
        wave = month_range_wave(submitted)
        if wave is None:
            problems.add(
                None,
                "wave",
                None,
                'a wave: pass --wave, map a column with `wave = "COLUMN"` in a mapping '
                "file, or export the submission dates (the wave is then their month range)",
            )
        else:
            notes.append(
                f"no --wave given: wave {wave!r} is the export's month range of submission "
                "dates (pass --wave to name it)"
            )
    if waves is None:
        waves = pd.Series([wave] * n, index=data.index, dtype=object)
    elif wave is not None:
        waves = waves.where(waves.notna(), wave)
    channel = column("channel")
    return pd.DataFrame(
        {
            "respondent_id": ids,
            "wave": waves.astype(object).where(waves.isna(), waves.astype(str).str.strip()),
            "submitted_at": submitted,
            "channel": channel if channel is not None else None,
        },
        index=data.index,
    )


def _respondents(
    ws: Workspace,
    data: pd.DataFrame,
    meta: pd.DataFrame,
    attribute_pos: dict[str, int],
    problems: Problems,
) -> tuple[pd.DataFrame, list[str]]:
    """One customer row per respondent id (first row wins), with mapped attributes."""
    existing = {c.lower(): c for c in ws.columns("respondents")}
    frame = pd.DataFrame({"respondent_id": meta["respondent_id"]})
    frame["kind"] = RespondentKind.CUSTOMER.value
    new: list[str] = []
    for attr, pos in attribute_pos.items():
        if not _ATTRIBUTE_NAME.match(attr):
            problems.add(None, attr, attr, "a segment-attribute name of letters, digits and _")
            continue
        target = existing.get(attr.lower(), attr)
        if attr.lower() in ("respondent_id", "kind", "role"):
            problems.add(None, attr, attr, "an attribute name other than respondent_id/kind/role")
            continue
        frame[target] = data.iloc[:, pos].astype(object)
        if attr.lower() not in existing:
            new.append(target)
    frame = frame[frame["respondent_id"].notna()].drop_duplicates("respondent_id")
    return frame.reset_index(drop=True), new
