"""Tag a stream of batches on several processes, in order, with flat memory.

:class:`ParallelTagger` sends each batch of texts to a pool of worker processes, each holding
its own copy of the :class:`DocumentTagger`, and yields the results in the order the batches
came in. At most ``2 x workers`` batches are in flight, so memory does not grow with the
length of the stream. With one worker everything runs in the calling process (no pool).

The fast path is single-threaded Python and scikit-learn, so one worker per core is what uses
the machine; the accurate path's embedder already runs one process per core, so it defaults
to one.

Each result is ``(documents, aspects)`` as :meth:`DocumentTagger.tag` returns them. The texts
are already redacted: customer text is redacted once, when it enters the workspace.

:class:`PagesTagger` is the same work as a function over a stream of (``document_id``,
``text``) frames giving rows of ``document_tags`` and ``document_aspects``: what an engine that
runs Python inside it (Spark) ships to its executors, each of which builds its own tagger from
a :class:`TaggerRecipe` (the taxonomy and the trained models: kilobytes, where a built tagger
pickles to megabytes).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType

import pandas as pd

from realitygap.analysis.text.tagger import DocumentTagger, TextPath, TrainedModels
from realitygap.domain.taxonomy import Taxonomy

TagResult = tuple[pd.DataFrame, pd.DataFrame]
# the columns of the two tables a tagged document goes to, in their order
TAG_COLUMNS = (
    "document_id", "model", "sentiment", "sentiment_score", "layer", "staff_attitude", "tagged_at"
)  # fmt: skip
ASPECT_COLUMNS = ("document_id", "aspect_kind", "aspect", "score", "sentiment")

_worker_tagger: DocumentTagger | None = None
# the tagger a Spark executor's Python worker built from a recipe, by the recipe's token: the
# worker process is reused across tasks, so it is built once per run and worker
_built: tuple[str, DocumentTagger] | None = None


def default_workers(path: TextPath) -> int:
    """One process per core on the fast path; one on the accurate path (its embedder has its
    own worker processes)."""
    return (os.cpu_count() or 1) if path is TextPath.FAST else 1


def tag_batch(tagger: DocumentTagger, texts: Sequence[str]) -> TagResult:
    """The tags of one batch of texts: (documents, aspects)."""
    return tagger.tag(list(texts))


def _init(tagger: DocumentTagger) -> None:
    global _worker_tagger
    _worker_tagger = tagger


def _work(texts: Sequence[str]) -> TagResult:
    if _worker_tagger is None:  # pragma: no cover - the pool initializer always sets it
        raise RuntimeError("worker started without a tagger")
    return tag_batch(_worker_tagger, texts)


class ParallelTagger:
    """``with ParallelTagger(tagger, workers) as pt: for result in pt.map(batches): ...``

    ``workers``: number of processes (None: :func:`default_workers` of the tagger's path).
    Worker processes are started with ``spawn`` (safe next to DuckDB's threads) when the
    context is entered, and stopped when it exits.
    """

    def __init__(self, tagger: DocumentTagger, workers: int | None = None) -> None:
        self.tagger = tagger
        self.workers = max(1, workers if workers is not None else default_workers(tagger.path))
        self._pool: Pool | None = None

    def __enter__(self) -> ParallelTagger:
        if self.workers > 1:
            ctx = mp.get_context("spawn")
            self._pool = ctx.Pool(self.workers, initializer=_init, initargs=(self.tagger,))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def warm_up(self, texts: Sequence[str]) -> None:
        """Tags ``texts`` once on every worker, so that start-up is not timed later."""
        list(self.map([texts] * self.workers))

    def map(self, batches: Iterable[Sequence[str]]) -> Iterator[TagResult]:
        """Results of :func:`tag_batch` for each batch, in order."""
        if self._pool is None:
            for texts in batches:
                yield tag_batch(self.tagger, texts)
            return
        pending: deque[AsyncResult[TagResult]] = deque()
        for texts in batches:
            pending.append(self._pool.apply_async(_work, (list(texts),)))
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def tagged_rows(
    page: pd.DataFrame,
    documents: pd.DataFrame,
    aspects: pd.DataFrame,
    model: str,
    tagged_at: datetime,
) -> TagResult:
    """The rows of ``document_tags`` and ``document_aspects`` (:data:`TAG_COLUMNS`,
    :data:`ASPECT_COLUMNS`) of one tagged page: ``page`` has the ``document_id`` of each text,
    ``documents`` and ``aspects`` are what :meth:`DocumentTagger.tag` made of its texts."""
    ids = page["document_id"].to_numpy()
    documents = documents.copy()
    documents.insert(0, "document_id", ids[documents.pop("row").to_numpy()])
    documents.insert(1, "model", model)
    documents["tagged_at"] = tagged_at
    aspects = aspects.copy()
    aspects.insert(0, "document_id", ids[aspects.pop("row").to_numpy()])
    return documents[list(TAG_COLUMNS)], aspects[list(ASPECT_COLUMNS)]


@dataclass(frozen=True, eq=False)
class TaggerRecipe:
    """What builds a :class:`DocumentTagger` anywhere: the taxonomy, the path and the models
    ``text train`` saved (or None: zero-shot). ``token`` names one run, so that a process
    that tags several partitions of it builds its tagger once."""

    taxonomy: Taxonomy
    path: TextPath
    trained: TrainedModels | None
    token: str

    def build(self) -> DocumentTagger:
        global _built
        if _built is None or _built[0] != self.token:
            _built = (self.token, DocumentTagger(self.taxonomy, self.path, self.trained))
        return _built[1]


@dataclass(frozen=True, eq=False)
class PagesTagger:
    """Tags frames of (``document_id``, ``text``) in pages of ``batch_size`` into rows of
    ``document_tags`` and ``document_aspects`` (:func:`tagged_rows`), one pair per page, all
    stamped ``tagged_at`` with ``model``. ``tagger`` is a built tagger, or a recipe the process
    that runs this builds it from (a Spark executor: :func:`realitygap.store.engine.map_into`).
    """

    tagger: DocumentTagger | TaggerRecipe
    model: str
    tagged_at: datetime
    batch_size: int

    def __call__(self, frames: Iterator[pd.DataFrame]) -> Iterator[TagResult]:
        tagger = self.tagger.build() if isinstance(self.tagger, TaggerRecipe) else self.tagger
        for frame in frames:
            for start in range(0, len(frame), self.batch_size):
                page = frame.iloc[start : start + self.batch_size]
                documents, aspects = tag_batch(tagger, page["text"].astype(str).tolist())
                yield tagged_rows(page, documents, aspects, self.model, self.tagged_at)
