"""Document sentiment learned from real star ratings, shipped with the package.

A ridge regression of the 1-5 star rating of 18,112 of the Women's E-Commerce Clothing Reviews
(CC0 1.0, so weights derived from them may be redistributed) on three blocks of features of
the text, all on the fast path's negation-marked tokens (:class:`~.fast.LexiconSentiment`):

- TF-IDF of word 1-2-grams (sublinear term frequency, L2-normalised), scaled down by
  ``ngram_scale``: they carry the training domain's words ("runs small"), which help there and
  hurt elsewhere, so the scale was chosen on a third domain (below);
- counts of VADER's lexicon words (negated and boosted forms apart) divided by the square root
  of the number of such words: VADER's valences, re-learned from the ratings;
- VADER's compound itself.

Each document is scored twice, as a whole and sentence by sentence (:data:`SENTENCE`; pieces
of fewer than two words are left out, and a text with no other sentence is its own); its stars
are ``doc_weight * whole + sentence_weight * mean over its sentences + offset``, the three
numbers fitted by least squares on out-of-fold predictions of the training reviews. Reviews of
another domain name their verdict sentence by sentence ("the lounge was crowded. The staff were
lovely."), and the mean over sentences carries across domains better than the whole alone.

The accurate path adds a head on the MiniLM embedding (:meth:`RatedSentiment.stars` with
``embeddings``): a ridge regression of the rating on the 384 numbers, mixed with the fast
stars by ``head_mix`` (weights of the fast stars, the head's stars and an offset), fitted the
same way, out of fold.

The prediction is on the star scale; ``score`` maps it to [-1, 1] as (stars - 3) / 2, clipped,
so that VADER's cut-offs (±0.05) still split positive, neutral and negative. The weights are
trained by ``benchmarks/train_rated_sentiment.py`` (fixed split and settings, see there and
docs/text.md) into ``models/rated_sentiment.npz``; nothing is trained or downloaded at run
time.

:func:`features` is the reference implementation (the training script's); the model scores
with :class:`_FastScorer`, the same arithmetic on one tokenisation of the marked text shared
by the lexicon and n-gram blocks (:class:`~.fast.NgramCounter`), without building the
stacked matrix; tests hold the two equal to 1e-9.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from realitygap.analysis.text.fast import (
    TOKEN_PATTERN,
    LexiconSentiment,
    NgramCounter,
    split_joined,
)

if TYPE_CHECKING:  # imported where used (start-up time)
    from sklearn.feature_extraction.text import CountVectorizer

MODEL_FILE = "rated_sentiment.npz"
# sentence ends followed by space, and line breaks
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_SENTENCE_WORDS = 2


def _long_enough(piece: str) -> bool:
    return len(piece.split()) >= MIN_SENTENCE_WORDS


def sentences_of(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The sentences of each text and, for each, the index of its text (every text has one)."""
    joined = split_joined(texts, SENTENCE, _long_enough)  # the whole batch in one pass
    if joined is not None:
        return joined
    out: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        pieces = [p for p in SENTENCE.split(text) if len(p.split()) >= MIN_SENTENCE_WORDS]
        pieces = pieces or [text]
        out.extend(pieces)
        owner.extend([i] * len(pieces))
    return out, np.asarray(owner, dtype=np.int64)


def sentence_mean(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` per text (``owner`` from :func:`sentences_of`)."""
    return np.bincount(owner, values, n) / np.maximum(np.bincount(owner, None, n), 1)


_VADER_ALPHA = 15.0


def ngram_tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """sklearn's TfidfVectorizer(sublinear_tf=True) output from raw counts and its idf_."""
    x = counts.astype(np.float64).tocsr(copy=True)
    x.data = 1.0 + np.log(x.data)
    x = x @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x)


def features(
    texts: Sequence[str],
    lexicon: LexiconSentiment,
    ngrams: CountVectorizer,
    idf: np.ndarray,
    ngram_scale: float,
) -> sp.csr_matrix:
    """The three feature blocks of the module docstring, side by side."""
    marked = [lexicon._mark(t) for t in texts]
    words = lexicon.vectorizer.transform(marked).astype(np.float64)
    valence = np.asarray(words @ lexicon.weights).ravel()
    compound = valence / np.sqrt(valence * valence + _VADER_ALPHA)
    n_words = np.asarray(words.sum(axis=1)).ravel() + 1.0
    tfidf = ngram_tfidf(ngrams.transform(marked), idf)
    return sp.hstack(
        [tfidf * ngram_scale, sp.diags(1.0 / np.sqrt(n_words)) @ words, compound[:, None]]
    ).tocsr()


def ngram_counter(vocabulary: Sequence[str]) -> CountVectorizer:
    """Counts of the model's word 1-2-grams in negation-marked, lower-cased text."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        vocabulary=list(vocabulary), token_pattern=TOKEN_PATTERN, ngram_range=(1, 2),
        lowercase=False,
    )  # fmt: skip


@dataclass(frozen=True)
class RatedSentiment:
    """The shipped model: ``stars(texts)`` on the 1-5 scale, ``score(texts)`` in [-1, 1].

    ``coef``/``intercept`` score one text (a document or a sentence) from its features;
    ``mix`` = (doc_weight, sentence_weight, offset) combines the two; ``head_coef``,
    ``head_intercept`` and ``head_mix`` are the accurate path's embedding head (module
    docstring)."""

    vocabulary: tuple[str, ...]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    ngram_scale: float
    mix: tuple[float, float, float] = (1.0, 0.0, 0.0)
    head_coef: np.ndarray | None = None
    head_intercept: float = 0.0
    head_mix: tuple[float, float, float] = (1.0, 0.0, 0.0)

    @classmethod
    def load(cls, path: Path | None = None) -> RatedSentiment:
        source = path or Path(str(resources.files("realitygap.analysis.text") / "models"))
        with np.load(source / MODEL_FILE if path is None else path) as f:
            return cls(
                tuple(str(v) for v in f["vocabulary"]),
                f["idf"].astype(np.float64),
                f["coef"].astype(np.float64),
                float(f["intercept"]),
                float(f["ngram_scale"]),
                _triple(f["mix"]),
                f["head_coef"].astype(np.float64),
                float(f["head_intercept"]),
                _triple(f["head_mix"]),
            )

    def save(self, path: Path) -> None:
        head = np.zeros(0) if self.head_coef is None else self.head_coef
        np.savez_compressed(
            path,
            vocabulary=np.asarray(self.vocabulary),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=np.float64(self.intercept),
            ngram_scale=np.float64(self.ngram_scale),
            mix=np.asarray(self.mix, dtype=np.float64),
            head_coef=head.astype(np.float32),
            head_intercept=np.float64(self.head_intercept),
            head_mix=np.asarray(self.head_mix, dtype=np.float64),
        )

    @cached_property
    def _scorer(self) -> _FastScorer:
        return _FastScorer(self)

    @property
    def _parts(self) -> tuple[LexiconSentiment, CountVectorizer]:
        return _parts_of(self.vocabulary)

    def _combine(
        self, whole: np.ndarray, per_sentence: np.ndarray, owner: np.ndarray
    ) -> np.ndarray:
        doc_weight, sentence_weight, offset = self.mix
        mean = sentence_mean(per_sentence, owner, len(whole))
        return np.asarray(doc_weight * whole + sentence_weight * mean + offset)

    def reference_single(self, texts: Sequence[str]) -> np.ndarray:
        """One text's stars from :func:`features` (scikit-learn's counting), for tests."""
        if not texts:
            return np.zeros(0)
        lexicon, ngrams = self._parts
        x = features(texts, lexicon, ngrams, self.idf, self.ngram_scale)
        return np.asarray(x @ self.coef + self.intercept)

    def reference_stars(self, texts: Sequence[str]) -> np.ndarray:
        """``stars`` through :func:`features` (scikit-learn's counting), for tests."""
        if not texts:
            return np.zeros(0)
        sentences, owner = sentences_of(texts)
        return self._combine(self.reference_single(texts), self.reference_single(sentences), owner)

    def single_stars(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's stars scored as one piece (no sentence mean)."""
        if not texts:
            return np.zeros(0)
        return self._scorer.stars(texts)

    def stars(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Stars on the 1-5 scale; with ``embeddings`` (MiniLM, one row per text) the accurate
        path's mix of the fast stars and the embedding head."""
        if not texts:
            return np.zeros(0)
        sentences, owner = sentences_of(texts)
        both = self._scorer.stars([*texts, *sentences])
        fast = self._combine(both[: len(texts)], both[len(texts) :], owner)
        if embeddings is None or self.head_coef is None or not len(self.head_coef):
            return fast
        head = np.asarray(embeddings, dtype=np.float64) @ self.head_coef + self.head_intercept
        fast_weight, head_weight, offset = self.head_mix
        return np.asarray(fast_weight * fast + head_weight * head + offset)

    def score(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return np.clip((self.stars(texts, embeddings) - 3.0) / 2.0, -1.0, 1.0)


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in np.asarray(values).ravel())
    return a, b, c


@lru_cache(maxsize=2)
def _parts_of(vocabulary: tuple[str, ...]) -> tuple[LexiconSentiment, CountVectorizer]:
    return LexiconSentiment(), ngram_counter(vocabulary)


class _FastScorer:
    """:meth:`RatedSentiment.stars` from one count of the marked text's tokens.

    The counter's vocabulary is the model's n-grams followed by the lexicon's words not among
    them; two 0/1 projections give each block its columns. The blocks' contributions are
    added as dot products instead of being stacked: tfidf . coef_ngram * scale +
    (words . coef_words) / sqrt(n_words) + compound * coef_compound.
    """

    def __init__(self, model: RatedSentiment) -> None:
        self.lexicon = LexiconSentiment()
        entries = {v: i for i, v in enumerate(model.vocabulary)}
        for word in self.lexicon.vocabulary:
            entries.setdefault(word, len(entries))
        self.counter = NgramCounter(list(entries), lowercase=False)
        n_ngrams, n_words = len(model.vocabulary), len(self.lexicon.vocabulary)
        word_rows = np.array([entries[w] for w in self.lexicon.vocabulary], dtype=np.int64)
        self.to_words = sp.csr_matrix(
            (np.ones(n_words), (word_rows, np.arange(n_words))), shape=(len(entries), n_words)
        )
        self.n_ngrams = n_ngrams
        self.idf = model.idf
        self.scale = model.ngram_scale
        self.coef_ngram = model.coef[:n_ngrams]
        self.coef_words = model.coef[n_ngrams : n_ngrams + n_words]
        self.coef_compound = float(model.coef[n_ngrams + n_words])
        # valence of each lexicon word and its learned weight, per counter entry
        self.valence = np.asarray(self.to_words @ self.lexicon.weights).ravel()
        self.word_coef = np.asarray(self.to_words @ self.coef_words).ravel()
        self.intercept = model.intercept

    def stars(self, texts: Sequence[str]) -> np.ndarray:
        counts = self.lexicon.marked_counts(texts, self.counter).astype(np.float64)
        words = counts @ self.to_words
        valence = np.asarray(counts @ self.valence).ravel()
        compound = valence / np.sqrt(valence * valence + _VADER_ALPHA)
        n_words = np.asarray(words.sum(axis=1)).ravel() + 1.0
        grams = counts[:, : self.n_ngrams]
        grams.data = 1.0 + np.log(grams.data)
        grams = grams @ sp.diags(self.idf)
        norms = np.sqrt(np.asarray(grams.multiply(grams).sum(axis=1)).ravel())
        ngram_part = np.asarray(grams @ self.coef_ngram).ravel() / np.maximum(norms, 1e-12)
        word_part = np.asarray(counts @ self.word_coef).ravel() / np.sqrt(n_words)
        return np.asarray(
            ngram_part * self.scale + word_part + compound * self.coef_compound + self.intercept
        )


@lru_cache(maxsize=1)
def shipped() -> RatedSentiment:
    """The model in the package (loaded once per process)."""
    return RatedSentiment.load()
