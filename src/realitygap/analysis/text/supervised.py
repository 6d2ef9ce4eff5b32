"""Supervised models over text features: multi-label detection, single-label classification
and per-aspect polarity, all scikit-learn logistic regressions.

Features (:class:`Features`) are TF-IDF word 1-2-grams and character 2-5-grams within words,
plus the lexicon's compound score; the accurate path appends the MiniLM embedding. Multi-label
detection fits one regression per label and picks each label's probability threshold that
maximises F1 in 5-fold cross-validation on the training data. Aspect polarity crosses the
features with the aspect (a block of columns per aspect), so the model learns both shared and
aspect-specific sentiment words, and adds the lexicon's score for the clauses naming the aspect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from realitygap.analysis.text.fast import TOKEN_PATTERN, LexiconSentiment

EMBEDDING_WEIGHT = 2.0


@lru_cache(maxsize=1)
def _lexicon() -> LexiconSentiment:
    return LexiconSentiment()  # scales unit-length embeddings against the unit-length TF-IDF rows


@dataclass
class Features:
    """Fitted text features. ``transform(texts, embeddings)`` gives a CSR matrix."""

    word: TfidfVectorizer = field(
        default_factory=lambda: TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True, min_df=1
        )
    )
    char: TfidfVectorizer = field(
        default_factory=lambda: TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
            max_features=200_000,
        )
    )
    use_embeddings: bool = False

    def fit(self, texts: Sequence[str]) -> Features:
        self.word.fit(texts)
        self.char.fit(texts)
        return self

    def transform(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> sp.csr_matrix:
        compound = _lexicon().compound(texts)[:, None]
        blocks = [self.word.transform(texts), self.char.transform(texts), sp.csr_matrix(compound)]
        if self.use_embeddings:
            if embeddings is None:
                raise ValueError("the accurate path needs embeddings for its features")
            blocks.append(sp.csr_matrix(embeddings * EMBEDDING_WEIGHT))
        return sp.hstack(blocks, format="csr")


def _logistic(c: float = 4.0) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, solver="liblinear")


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    grid = np.linspace(0.1, 0.7, 25)
    tp = ((p[:, None] >= grid) & (y[:, None] == 1)).sum(axis=0)
    fp = ((p[:, None] >= grid) & (y[:, None] == 0)).sum(axis=0)
    fn = ((p[:, None] < grid) & (y[:, None] == 1)).sum(axis=0)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return float(grid[int(np.argmax(f1))])


@dataclass
class MultiLabelModel:
    """One logistic regression per label; thresholds tuned for F1 by cross-validation.

    ``at_least_one``: every text gets its most probable label when none passes its threshold
    (for data where every text has a label, like SemEval's categories).
    """

    labels: tuple[str, ...]
    at_least_one: bool = False
    folds: int = 5
    models: list[LogisticRegression | float] = field(default_factory=list)
    thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> MultiLabelModel:
        """``y``: boolean (n_texts, n_labels)."""
        self.models, thresholds = [], []
        for j in range(len(self.labels)):
            target = y[:, j].astype(int)
            positives = int(target.sum())
            if positives < self.folds or positives > len(target) - self.folds:
                self.models.append(float(positives / max(len(target), 1)))
                thresholds.append(0.5)
                continue
            folds = StratifiedKFold(self.folds, shuffle=True, random_state=0)
            p = cross_val_predict(_logistic(), x, target, cv=folds, method="predict_proba")[:, 1]
            thresholds.append(_best_f1_threshold(target, p))
            self.models.append(_logistic().fit(x, target))
        self.thresholds = np.asarray(thresholds)
        return self

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        cols = [
            np.full(x.shape[0], m) if isinstance(m, float) else m.predict_proba(x)[:, 1]
            for m in self.models
        ]
        return np.column_stack(cols) if cols else np.zeros((x.shape[0], 0))

    def predict(self, x: sp.csr_matrix) -> np.ndarray:
        p = self.proba(x)
        present = p >= self.thresholds
        if self.at_least_one and p.shape[1]:
            none = ~present.any(axis=1)
            present[np.flatnonzero(none), p[none].argmax(axis=1)] = True
        return present


@dataclass
class SingleLabelModel:
    """A multinomial logistic regression: one label per text."""

    model: LogisticRegression = field(
        default_factory=lambda: LogisticRegression(C=4.0, max_iter=3000)
    )

    def fit(self, x: sp.csr_matrix, y: Sequence[str]) -> SingleLabelModel:
        self.model.fit(x, np.asarray(y))
        return self

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.model.classes_)

    def predict(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.model.predict(x))

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.model.predict_proba(x))


def cross_with_aspect(
    x: sp.csr_matrix,
    rows: np.ndarray,
    aspects: np.ndarray,
    n_aspects: int,
    aspect_compound: np.ndarray,
) -> sp.csr_matrix:
    """Features of (text, aspect) pairs: shared block, the aspect's own block, aspect one-hot
    and the lexicon score of the clauses naming the aspect.

    ``rows[i]`` is the text and ``aspects[i]`` the aspect index of pair i; ``aspect_compound``
    is (n_texts, n_aspects).
    """
    shared = x[rows]
    d = x.shape[1]
    own = sp.csr_matrix(
        (
            shared.data,
            shared.indices + np.repeat(aspects * d, np.diff(shared.indptr)),
            shared.indptr,
        ),
        shape=(len(rows), d * n_aspects),
    )
    onehot = sp.csr_matrix(
        (np.ones(len(rows)), (np.arange(len(rows)), aspects)), shape=(len(rows), n_aspects)
    )
    local = sp.csr_matrix(aspect_compound[rows, aspects][:, None])
    return sp.hstack([shared, own, onehot, local], format="csr")


@dataclass
class AspectPolarityModel:
    """Polarity of each (text, aspect) pair, from aspect-crossed features."""

    aspects: tuple[str, ...]
    model: LogisticRegression = field(
        default_factory=lambda: LogisticRegression(C=2.0, max_iter=3000)
    )

    def _x(
        self, x: sp.csr_matrix, rows: np.ndarray, aspects: np.ndarray, local: np.ndarray
    ) -> sp.csr_matrix:
        return cross_with_aspect(x, rows, aspects, len(self.aspects), local)

    def fit(
        self,
        x: sp.csr_matrix,
        rows: np.ndarray,
        aspects: np.ndarray,
        local: np.ndarray,
        polarity: Sequence[str],
    ) -> AspectPolarityModel:
        self.model.fit(self._x(x, rows, aspects, local), np.asarray(polarity))
        return self

    def predict(
        self, x: sp.csr_matrix, rows: np.ndarray, aspects: np.ndarray, local: np.ndarray
    ) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0, dtype=object)
        return np.asarray(self.model.predict(self._x(x, rows, aspects, local)))
