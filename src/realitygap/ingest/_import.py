"""One import: read, validate everything, then write every table in one transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from realitygap.domain.errors import Problem, StorageError, SurveyDataError, TaxonomyError
from realitygap.domain.privacy import redact
from realitygap.domain.taxonomy import Taxonomy
from realitygap.ingest._answers import validate_answers
from realitygap.ingest._documents import redact_documents
from realitygap.ingest._generated import replace_generated, write_generated
from realitygap.ingest._kinds import FIELDS, KINDS, Context, Prepared, prepare
from realitygap.ingest._mapping import Mapping
from realitygap.ingest._problems import Problems
from realitygap.ingest._qsf import read_qsf
from realitygap.ingest._read import read_grid
from realitygap.ingest._tools import FORMATS, read_export
from realitygap.store import answer_grid
from realitygap.store import write as store_write
from realitygap.store.atomic import atomic_write
from realitygap.store.settings import keep_original
from realitygap.store.users import record_in
from realitygap.store.workspace import TAXONOMY_FILE, Workspace
from realitygap.store.write import append_row

TOOL_FORMATS: tuple[str, ...] = tuple(f for f in FORMATS if f != "mapped")
# Tables in the order an import writes them (respondents before what refers to them).
_WRITE_ORDER = (
    "questions",
    "respondents",
    "responses",
    "invitations",
    "documents",
    "document_originals",
    "events",
    "cases",
    "contacts",
    "question_translations",
)


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    ``kind`` and ``file`` as given; ``format`` the file shape read (csv, xlsx, jsonl, parquet,
    or a survey tool); ``encoding`` the text encoding used (utf-8, utf-8-sig = UTF-8 with a
    byte-order mark, cp1252; None for binary formats); ``sha256`` of the file; ``rows_read``
    data rows in the file; ``rows_added`` new rows per table (0 when re-importing);
    ``columns`` what each column of a survey-tool export became (``question nps``,
    ``respondent attribute store``, ``derived: NPS group of nps ...``, ``ignored ...``);
    ``notes`` the defaults the import chose (a wave from the export's month range).
    """

    kind: str
    file: str
    format: str
    encoding: str | None
    sha256: str
    rows_read: int
    rows_added: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def total_added(self) -> int:
        return sum(self.rows_added.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_added": dict(self.rows_added),
            "columns": dict(self.columns),
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per table written. Columns: table, rows_added."""
        return pd.DataFrame(
            {"table": list(self.rows_added), "rows_added": list(self.rows_added.values())}
        )

    def __str__(self) -> str:
        enc = f", {self.encoding}" if self.encoding else ""
        added = ", ".join(f"{n:,} {t}" for t, n in self.rows_added.items()) or "nothing"
        lines = [
            f"imported {self.file} as {self.kind} ({self.format}{enc}): "
            f"{self.rows_read:,} rows read, added {added}"
        ]
        if self.columns:
            lines.append("columns:")
            lines += [f"  {column}: {what}" for column, what in self.columns.items()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def import_file(
    ws: Workspace,
    path: str | Path,
    kind: str,
    *,
    fmt: str | None = None,
    mapping: str | Path | Mapping | None = None,
    wave: str | None = None,
) -> ImportReport:
    """Import ``path`` into ``ws`` as ``kind``; all or nothing, idempotent on ids.

    ``kind`` is one of questions, respondents, responses, invitations, documents, events,
    cases, contacts, translations, taxonomy. ``fmt`` picks a survey-tool shape for responses
    (qualtrics, surveymonkey, google_forms, typeform); ``mapping`` a mapping file (or a loaded
    :class:`Mapping`); ``wave`` the wave for answers whose file has none. A ``.qsf`` file
    (Qualtrics survey definition) imports as ``questions``; an export into a workspace
    without its questions creates them and writes ``DIR/questions.generated.csv``. Raises
    :class:`SurveyDataError` listing every problem found; the workspace is then unchanged.
    """
    path = Path(path)
    if kind not in KINDS:
        raise SurveyDataError(
            [Problem(str(path), None, None, kind, f"--kind one of {', '.join(KINDS)}")]
        )
    if fmt is not None and fmt not in TOOL_FORMATS:
        raise SurveyDataError(
            [Problem(str(path), None, None, fmt, f"--format one of {', '.join(TOOL_FORMATS)}")]
        )
    if (fmt is not None or mapping is not None) and kind != "responses":
        raise SurveyDataError(
            [Problem(str(path), None, None, kind, "--kind responses with --format/--mapping")]
        )
    if kind == "taxonomy":
        return _import_taxonomy(ws, path)
    loaded = mapping if isinstance(mapping, Mapping) or mapping is None else Mapping.load(mapping)
    digest = _sha256(path)
    shape, encoding, prepared = _prepare(ws, path, kind, fmt, loaded, wave)
    if "documents" in prepared.tables:
        docs, originals = redact_documents(prepared.tables["documents"], keep=keep_original(ws))
        prepared.tables["documents"] = docs
        if len(originals):
            prepared.tables["document_originals"] = originals
    added: dict[str, int] = {}
    notes = prepared.notes
    try:
        with ws.transaction():
            for table, columns in prepared.new_columns.items():
                store_write.ensure_columns(ws, table, columns)
            if kind == "questions" and (n := replace_generated(ws, prepared.tables["questions"])):
                notes = (*notes, f"{n} generated question(s) replaced by this file's rows")
            for table in _WRITE_ORDER:
                if table in prepared.tables:
                    rows = prepared.tables[table]
                    added[table] = store_write.insert_new(ws, table, rows) if len(rows) else 0
            if added.get("responses") or added.get("questions"):
                answer_grid.refresh(ws)  # the analyses' pivot of the answers lands with them
            _record(ws, path, kind, digest, prepared.rows_read, sum(added.values()))
            drafts = prepared.tables.get("questions", pd.DataFrame())
            if "generated" in drafts.columns and added.get("questions"):
                # inside the transaction: a file that cannot be written undoes the import
                bank = write_generated(ws)
                notes = (*notes, _bank_note(kind, added.get("questions", 0), bank))
    except StorageError as exc:
        raise StorageError(f"{path}: not imported: {exc}") from None
    return ImportReport(
        kind,
        str(path),
        shape,
        encoding,
        digest,
        prepared.rows_read,
        added,
        prepared.columns,
        notes,
    )


def _bank_note(kind: str, n: int, bank: Path) -> str:
    source = (
        "the survey definition"
        if kind == "questions"
        else "the export's header (its columns that name no question of the workspace)"
    )
    return (
        f"{n} new question(s) from {source}, written to {bank}; fill in touchpoint, layer, "
        "block and mirror questions there and import it with --kind questions"
    )


def _prepare(
    ws: Workspace,
    path: Path,
    kind: str,
    fmt: str | None,
    mapping: Mapping | None,
    wave: str | None,
) -> tuple[str, str | None, Prepared]:
    tool = fmt or ("mapped" if mapping is not None else None)
    if kind == "questions" and path.suffix.lower() == ".qsf":
        grid, left_out = read_qsf(path)
        problems = Problems(str(path))
        ctx = Context(ws, grid, problems, wave, None, {})
        prepared = prepare(ctx, kind)
        tables = {"questions": prepared.tables["questions"].assign(generated=True)}
        return "qsf", "utf-8", Prepared(tables, prepared.rows_read, notes=tuple(left_out))
    grid = read_grid(
        path,
        header_rows=FORMATS[tool].header_rows if tool else 1,
        keep_spaces=kind == "documents",  # documents are stored exactly as written
    )
    problems = Problems(str(path))
    labels = mapping.values if mapping else {}
    date_format = mapping.date_format if mapping else None
    if tool is None:
        ctx = Context(ws, grid, problems, wave, date_format, labels)
        return grid.kind, grid.encoding, prepare(ctx, kind)
    export = read_export(ws, grid, tool, mapping, wave, problems)
    if len(problems):
        problems.raise_if_any()
    responses, documents = validate_answers(
        ws,
        export.answers,
        problems,
        labels=labels,
        check_respondents=False,
        new_questions=export.questions,
    )
    problems.raise_if_any()
    tables = {"respondents": export.respondents, "responses": responses, "documents": documents}
    if len(export.questions):
        tables["questions"] = export.questions
    new_cols = {"respondents": export.new_attributes} if export.new_attributes else {}
    shape = f"{tool} {grid.kind}"
    prepared = Prepared(tables, export.rows_read, new_cols, export.columns, tuple(export.notes))
    return shape, grid.encoding, prepared


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise SurveyDataError([Problem(str(path), None, None, None, "an existing file")]) from None
    except OSError as exc:  # a directory, no permission ...
        raise SurveyDataError(
            [Problem(str(path), None, None, None, f"a readable file ({exc.strerror or exc})")]
        ) from None
    return digest.hexdigest()


def _import_taxonomy(ws: Workspace, path: Path) -> ImportReport:
    """Validate a taxonomy TOML file and replace the workspace's taxonomy.toml atomically."""
    digest = _sha256(path)
    try:
        taxonomy = Taxonomy.load(path)
    except TaxonomyError as exc:
        raise SurveyDataError(
            [Problem(str(path), None, None, None, f"a valid taxonomy: {exc}")]
        ) from None
    used = ws.table("questions").select("touchpoint").union(ws.table("cases").select("touchpoint"))
    used = used.filter(used.touchpoint.notnull())
    touchpoints = used.to_pandas()["touchpoint"]
    missing = sorted({str(tp) for tp in touchpoints} - set(taxonomy.touchpoint_ids))
    if missing:
        raise SurveyDataError(
            [
                Problem(str(path), None, "touchpoints", tp, "every touchpoint the workspace uses")
                for tp in missing
            ]
        )
    atomic_write(ws.path / TAXONOMY_FILE, path.read_bytes())  # keeps taxonomy.toml's mode
    ws.reload_taxonomy()
    n = len(taxonomy.touchpoints)
    with ws.transaction():
        _record(ws, path, "taxonomy", digest, n, n)
    return ImportReport("taxonomy", str(path), "toml", "utf-8", digest, n, {"touchpoints": n})


def _record(ws: Workspace, path: Path, kind: str, digest: str, read: int, added: int) -> None:
    """One row in ``imports`` (import_id, file, kind, sha256, rows_read, rows_added, time) and
    its audit entry ``import``, in the import's transaction."""
    import_id = uuid.uuid4().hex
    append_row(
        ws,
        "imports",
        [import_id, str(path), kind, digest, read, added, datetime.now(UTC).replace(tzinfo=None)],
    )
    after = {"file": redact(path.name), "kind": kind, "sha256": digest, "rows_read": read}
    record_in(ws, "cli", "import", import_id, None, json.dumps({**after, "rows_added": added}))


__all__ = ["FIELDS", "KINDS", "TOOL_FORMATS", "ImportReport", "import_file"]
