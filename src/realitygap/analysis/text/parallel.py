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
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType

import pandas as pd

from realitygap.analysis.text.tagger import DocumentTagger, TextPath

TagResult = tuple[pd.DataFrame, pd.DataFrame]

_worker_tagger: DocumentTagger | None = None


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
