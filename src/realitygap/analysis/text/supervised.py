"""Supervised models over text features: multi-label detection, single-label classification
and per-aspect polarity, all scikit-learn linear models.

Features (:class:`Features`) are TF-IDF word 1-2-grams and character 2-5-grams within words,
the lexicon's compound score and, when a label set is given, log(1 + seed hits) of each label's
hand-written seeds (they carry domain knowledge the training set may lack); the accurate path
appends the MiniLM embedding. Multi-label detection fits one linear SVM per label; the
regularisation C is chosen from a small grid by 5-fold cross-validated micro F1 on the training
data, each label's decision threshold is the one that maximises its F1 in that cross-validation,
and a one-dimensional logistic regression of the label on the cross-validated decision values
(Platt scaling) turns decisions into probabilities. Aspect polarity crosses the features with
the aspect (a block of columns per aspect), so the model learns both shared and aspect-specific
sentiment words, and adds the lexicon's score for the clauses naming the aspect.
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
from sklearn.svm import LinearSVC

from realitygap.analysis.text.fast import TOKEN_PATTERN, LexiconSentiment, SeedMatcher
from realitygap.analysis.text.labels import LabelSet

EMBEDDING_WEIGHT = 2.0  # scales unit-length embeddings against the unit-length TF-IDF rows
SEED_WEIGHT = 0.5  # chosen by cross-validated F1 on the SemEval-2014 training split
C_GRID = (0.1, 0.3, 1.0)  # linear SVM regularisation, chosen per model by cross-validation


@lru_cache(maxsize=1)
def _lexicon() -> LexiconSentiment:
    return LexiconSentiment()


@dataclass
class Features:
    """Fitted text features. ``transform(texts, embeddings)`` gives a CSR matrix.

    ``seeds``: a label set whose seed-phrase counts become features (None: no seed block).
    """

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
    seeds: LabelSet | None = None
    _matcher: SeedMatcher | None = field(default=None, repr=False)

    def fit(self, texts: Sequence[str]) -> Features:
        self.word.fit(texts)
        self.char.fit(texts)
        self._matcher = SeedMatcher(self.seeds) if self.seeds is not None else None
        return self

    def transform(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> sp.csr_matrix:
        compound = _lexicon().compound(texts)[:, None]
        blocks = [self.word.transform(texts), self.char.transform(texts), sp.csr_matrix(compound)]
        if self._matcher is not None:
            blocks.append(sp.csr_matrix(np.log1p(self._matcher.scores(texts)) * SEED_WEIGHT))
        if self.use_embeddings:
            if embeddings is None:
                raise ValueError("the accurate path needs embeddings for its features")
            blocks.append(sp.csr_matrix(embeddings * EMBEDDING_WEIGHT))
        return sp.hstack(blocks, format="csr")


def _best_f1_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score threshold (among quantiles of ``s``) maximising F1 of ``s >= t`` against
    boolean ``y``."""
    grid = np.unique(np.quantile(s, np.linspace(0.3, 0.99, 140)))
    above = s[:, None] >= grid
    tp = (above & y[:, None]).sum(axis=0)
    fp = (above & ~y[:, None]).sum(axis=0)
    fn = (~above & y[:, None]).sum(axis=0)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return float(grid[int(np.argmax(f1))])


def _force_one(present: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Gives each row with no label its label of highest ``margin``."""
    none = ~present.any(axis=1)
    present[np.flatnonzero(none), margin[none].argmax(axis=1)] = True
    return present


@dataclass
class MultiLabelModel:
    """One linear SVM per label; C and per-label thresholds tuned for F1 by cross-validation.

    ``at_least_one``: every text gets its most probable label when none passes its threshold
    (for data where every text has a label, like SemEval's categories). Labels with fewer
    positives (or negatives) than ``folds`` get a constant probability, their base rate.
    ``c`` is the chosen regularisation and ``cv_f1`` its cross-validated micro F1.
    """

    labels: tuple[str, ...]
    at_least_one: bool = False
    folds: int = 5
    c_grid: tuple[float, ...] = C_GRID
    models: list[LinearSVC | float] = field(default_factory=list)
    platt: list[LogisticRegression | None] = field(default_factory=list)
    thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    c: float = 0.0
    cv_f1: float = 0.0

    def _cv_decisions(self, x: sp.csr_matrix, y: np.ndarray, c: float) -> np.ndarray:
        out = np.zeros(y.shape)
        for j in self._trainable(y):
            folds = StratifiedKFold(self.folds, shuffle=True, random_state=0)
            out[:, j] = cross_val_predict(
                LinearSVC(C=c), x, y[:, j].astype(int), cv=folds, method="decision_function"
            )
        return out

    def _trainable(self, y: np.ndarray) -> list[int]:
        positives = y.sum(axis=0)
        return [
            j for j in range(y.shape[1]) if self.folds <= positives[j] <= y.shape[0] - self.folds
        ]

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> MultiLabelModel:
        """``y``: boolean (n_texts, n_labels)."""
        y = np.asarray(y, dtype=bool)
        trainable = self._trainable(y)
        best: tuple[float, float, np.ndarray, np.ndarray] | None = None
        for c in self.c_grid if trainable else ():
            decisions = self._cv_decisions(x, y, c)
            thresholds = np.full(y.shape[1], np.inf)
            for j in trainable:
                thresholds[j] = _best_f1_threshold(y[:, j], decisions[:, j])
            present = decisions >= thresholds
            if self.at_least_one:
                finite = np.isfinite(thresholds)
                margin = np.where(finite, decisions - np.where(finite, thresholds, 0), -np.inf)
                present = _force_one(present, margin)
            f1 = 2 * (present & y).sum() / max(int(present.sum() + y.sum()), 1)
            if best is None or f1 > best[1]:
                best = (c, f1, decisions, thresholds)
        self.models, self.platt, thresholds_p = [], [], []
        for j in range(y.shape[1]):
            target = y[:, j].astype(int)
            if best is None or j not in trainable:
                self.models.append(float(target.mean()) if len(target) else 0.0)
                self.platt.append(None)
                thresholds_p.append(0.5)
                continue
            c, _, decisions, thresholds = best
            platt = LogisticRegression().fit(decisions[:, [j]], target)
            self.models.append(LinearSVC(C=c).fit(x, target))
            self.platt.append(platt)
            thresholds_p.append(float(platt.predict_proba([[thresholds[j]]])[0, 1]))
        if best is not None:
            self.c, self.cv_f1 = best[0], float(best[1])
        self.thresholds = np.asarray(thresholds_p)
        return self

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """(n_texts, n_labels) probability of each label (Platt-scaled SVM decisions)."""
        cols = []
        for model, platt in zip(self.models, self.platt, strict=True):
            if isinstance(model, float) or platt is None:
                cols.append(np.full(x.shape[0], float(model) if isinstance(model, float) else 0))
            else:
                cols.append(platt.predict_proba(model.decision_function(x)[:, None])[:, 1])
        return np.column_stack(cols) if cols else np.zeros((x.shape[0], 0))

    def predict(self, x: sp.csr_matrix) -> np.ndarray:
        """Boolean (n_texts, n_labels): probability at or above the label's threshold."""
        p = self.proba(x)
        present = p >= self.thresholds
        if self.at_least_one and p.shape[1]:
            present = _force_one(present, p - self.thresholds)
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
