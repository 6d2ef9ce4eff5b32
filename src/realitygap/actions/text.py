"""The text actions: tag and store documents in streaming batches; save and load
trained models; read the labels file of ``realitygap text train``.

Tagging streams the documents not yet tagged in pages of ``batch_size`` (one anti-join read on
its own cursor), so memory stays flat whatever the number of documents. Each page is tagged
and its rows appended to ``document_tags`` and ``document_aspects`` in one transaction. The
stored text is already redacted (at import, or once by the schema migration for older
workspaces), so tagging never rewrites it. Pages are tagged by
:class:`~realitygap.analysis.text.parallel.ParallelTagger` (one process per core on the fast
path); reading and writing stay in the calling process.

On an engine that runs Python inside it (Spark), the fast path runs there instead: the
untagged documents never leave the engine; each executor builds its tagger from the taxonomy
and the trained models shipped with the task, and the tags of the whole run are written by the
engine and committed at once (:func:`realitygap.store.engine.map_into`). The accurate path
(embeddings) stays in the calling process on every engine.
"""

from __future__ import annotations

import csv
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis.expr.types as ir
import joblib
import pandas as pd

from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.labels import SENTIMENTS, sense_labels, touchpoint_labels
from realitygap.analysis.text.parallel import (
    PagesTagger,
    ParallelTagger,
    TaggerRecipe,
    default_workers,
    tagged_rows,
)
from realitygap.analysis.text.tagger import (
    DocumentTagger,
    TextPath,
    TrainedModels,
    model_name,
    train,
)
from realitygap.domain.errors import Problem, SurveyDataError, WorkspaceError
from realitygap.domain.privacy import redact_many
from realitygap.domain.taxonomy import Layer
from realitygap.store import engine
from realitygap.store import write as store_write
from realitygap.store.workspace import Workspace

MODELS_DIR = "models"
BATCH_SIZE = 1024
# pages of a Spark task when tagging inside Spark: a task tags this many pages in a row
PAGES_PER_PARTITION = 8
TAG_TABLES = ("document_tags", "document_aspects")


def model_path(ws: Workspace, path: TextPath) -> Path:
    return ws.path / MODELS_DIR / f"text_{path.value}.joblib"


def save_models(ws: Workspace, models: TrainedModels) -> Path:
    target = model_path(ws, models.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(models, target)
    return target


def load_models(ws: Workspace, path: TextPath) -> TrainedModels | None:
    """The trained models of ``path`` saved by ``text train``, or None (zero-shot)."""
    target = model_path(ws, path)
    if not target.exists():
        return None
    models = joblib.load(target)
    if not isinstance(models, TrainedModels):
        raise WorkspaceError(f"{target}: not a realitygap text model")
    return models


@dataclass(frozen=True)
class TagRun:
    """What one ``text tag`` run did."""

    model: str
    documents: int
    aspects: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "documents": self.documents,
            "aspects": self.aspects,
            "seconds": self.seconds,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def __str__(self) -> str:
        return (
            f"tagged {self.documents} documents with {self.model} ({self.aspects} aspect tags) "
            f"in {self.seconds:.1f} s"
        )


def _untagged_pages(ws: Workspace, batch_size: int) -> Iterator[pd.DataFrame]:
    """Pages (``document_id``, ``text``) of the documents without tags when the call starts.

    One streaming anti-join on a cursor of its own (DuckDB gives it a snapshot, so the pages
    written meanwhile through ``ws.con`` do not disturb it): each document is read once, and
    only one page is held in memory. A query per page (keyset pagination) would re-scan the
    remaining documents every time, quadratic in their number.
    """
    return engine.stream(ws, _untagged(ws), batch_size)


def _untagged(ws: Workspace) -> ir.Table:
    """(``document_id``, ``text``) of the documents without tags."""
    documents = ws.table("documents")
    tags = ws.table("document_tags")
    return documents.anti_join(tags, "document_id").select("document_id", "text")


def tag_workspace(
    ws: Workspace,
    path: TextPath = TextPath.FAST,
    *,
    retag: bool = False,
    batch_size: int = BATCH_SIZE,
    tagger: DocumentTagger | None = None,
    workers: int | None = None,
) -> TagRun:
    """Tag the workspace's documents not yet tagged (all of them with ``retag``).

    ``workers``: processes that tag pages in parallel (None: one per core on the
    fast path when there is more than one page, else one); reading and writing stay in this
    process. On Spark the fast path runs inside Spark instead (module docstring; ``workers``
    does not apply: Spark's executors are the workers); ``tagger``, when given, is shipped to
    them as it is.
    """
    start = datetime.now(UTC)
    inside = engine.maps_partitions(ws) and (tagger.path if tagger else path) is TextPath.FAST
    if not inside:
        tagger = tagger or DocumentTagger(ws.taxonomy, path, load_models(ws, path))
    if retag:
        with ws.transaction():
            store_write.delete_all(ws, "document_aspects", "document_tags")
    if inside:
        return _tag_inside(ws, path, tagger, batch_size, start)
    assert tagger is not None
    if workers is None:
        untagged = int(_untagged(ws).count().execute())
        # starting worker processes costs seconds: not worth it for a single page
        single_page = untagged <= batch_size
        workers = 1 if single_page else default_workers(tagger.path)
    n_docs = n_aspects = 0
    pages: deque[pd.DataFrame] = deque()

    def texts() -> Iterator[list[str]]:
        for page in _untagged_pages(ws, batch_size):
            pages.append(page)
            yield page["text"].astype(str).tolist()

    with ParallelTagger(tagger, workers) as parallel:
        for documents, aspects in parallel.map(texts()):
            page = pages.popleft()
            _store_page(ws, page, documents, aspects, tagger.model_name)
            n_docs += len(page)
            n_aspects += len(aspects)
    seconds = (datetime.now(UTC) - start).total_seconds()
    return TagRun(tagger.model_name, n_docs, n_aspects, seconds)


def _tag_inside(
    ws: Workspace,
    path: TextPath,
    tagger: DocumentTagger | None,
    batch_size: int,
    start: datetime,
) -> TagRun:
    """The fast path inside the engine: the taxonomy and the trained models (or the given
    tagger) go to the executors, the tags of every untagged document come back as one commit,
    and only their counts reach this process."""
    if tagger is None:
        trained = load_models(ws, path)
        shipped: DocumentTagger | TaggerRecipe = TaggerRecipe(
            ws.taxonomy, path, trained, uuid.uuid4().hex
        )
        model = model_name(path, trained)
    else:
        shipped, model = tagger, tagger.model_name
    pages = PagesTagger(shipped, model, start.replace(tzinfo=None), batch_size)
    counts = engine.map_into(ws, _untagged(ws), pages, TAG_TABLES, batch_size * PAGES_PER_PARTITION)
    seconds = (datetime.now(UTC) - start).total_seconds()
    return TagRun(model, counts["document_tags"], counts["document_aspects"], seconds)


def _store_page(
    ws: Workspace,
    page: pd.DataFrame,
    documents: pd.DataFrame,
    aspects: pd.DataFrame,
    model: str,
) -> None:
    """Writes one tagged page in one transaction: its tags and aspects."""
    tags, aspects = tagged_rows(
        page, documents, aspects, model, datetime.now(UTC).replace(tzinfo=None)
    )
    with ws.transaction():
        store_write.append_frame(ws, "document_tags", tags)
        store_write.append_frame(ws, "document_aspects", aspects)


# ---- the labels file of `text train` -----------------------------------------------------
LABEL_COLUMNS = ("text", "sentiment", "touchpoints", "senses", "layer", "staff_attitude")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def read_labels(file: Path, ws: Workspace) -> pd.DataFrame:
    """Read a labels CSV for ``text train``; every problem is reported with row and column.

    Columns: ``text`` (required) and any of ``sentiment`` (negative/neutral/positive),
    ``touchpoints`` (touchpoint ids separated by ``;``, each optionally ``id:polarity``),
    ``senses`` (see/hear/touch/smell/taste/feel separated by ``;``), ``layer``
    (hospitality/service/experience), ``staff_attitude`` (1/0, true/false, yes/no). An empty
    cell means "not labelled" for that column. Texts are redacted before training.
    """
    name = str(file)
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SurveyDataError(
            [Problem(name, None, None, None, f"a readable CSV ({exc})")]
        ) from None
    problems: list[Problem] = []
    if "text" not in frame:
        problems.append(Problem(name, None, "text", None, "a 'text' column"))
        raise SurveyDataError(problems)
    unknown = [c for c in frame.columns if c not in LABEL_COLUMNS]
    for column in unknown:
        problems.append(Problem(name, None, column, column, f"one of {list(LABEL_COLUMNS)}"))
    tp_ids = set(touchpoint_labels(ws.taxonomy).ids)
    sense_ids = set(sense_labels().ids)
    layers = {x.value for x in Layer}
    out = pd.DataFrame({"text": redact_many(frame["text"].tolist())})

    def check(value: str, allowed: set[str], row: int, column: str) -> str | None:
        if value not in allowed:
            problems.append(Problem(name, row, column, value, f"one of {sorted(allowed)}"))
            return None
        return value

    rows = range(2, len(frame) + 2)  # row 1 is the header, as a spreadsheet shows it
    for column, allowed in (("sentiment", set(SENTIMENTS)), ("layer", layers)):
        if column in frame:
            out[column] = [
                check(v.strip().lower(), allowed, r, column) if v.strip() else None
                for v, r in zip(frame[column], rows, strict=True)
            ]
    if "staff_attitude" in frame:
        values: list[bool | None] = []
        for v, r in zip(frame["staff_attitude"], rows, strict=True):
            s = v.strip().lower()
            if not s:
                values.append(None)
            elif s in _TRUE | _FALSE:
                values.append(s in _TRUE)
            else:
                problems.append(Problem(name, r, "staff_attitude", v, "1/0, true/false, yes/no"))
                values.append(None)
        out["staff_attitude"] = values
    if "touchpoints" in frame:
        parsed: list[list[tuple[str, str | None]] | None] = []
        for v, r in zip(frame["touchpoints"], rows, strict=True):
            if not v.strip():
                parsed.append(None)
                continue
            pairs: list[tuple[str, str | None]] = []
            for item in v.split(";"):
                tp, _, pol = item.strip().partition(":")
                if check(tp.strip(), tp_ids, r, "touchpoints") is None:
                    continue
                polarity = (
                    check(pol.strip().lower(), set(SENTIMENTS), r, "touchpoints") if pol else None
                )
                pairs.append((tp.strip(), polarity))
            parsed.append(pairs)
        out["touchpoints"] = pd.Series(parsed, dtype=object)
    if "senses" in frame:
        out["senses"] = pd.Series(
            [
                [s for s in (x.strip() for x in v.split(";")) if check(s, sense_ids, r, "senses")]
                if v.strip()
                else None
                for v, r in zip(frame["senses"], rows, strict=True)
            ],
            dtype=object,
        )
    if problems:
        raise SurveyDataError(problems[:50], truncated=max(0, len(problems) - 50))
    return out


def train_workspace(
    ws: Workspace,
    labels_file: Path,
    path: TextPath = TextPath.FAST,
    embedder: Embedder | None = None,
) -> tuple[TrainedModels, Path]:
    """Train from ``labels_file`` and save under ``DIR/models/``; returns the models and file."""
    examples = read_labels(labels_file, ws)
    if len(examples) < 10:
        raise SurveyDataError(
            [Problem(str(labels_file), None, None, len(examples), "at least 10 labelled rows")]
        )
    models = train(ws.taxonomy, examples, path, embedder)
    return models, save_models(ws, models)
