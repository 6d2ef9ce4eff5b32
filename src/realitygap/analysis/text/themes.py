"""Themes: what customers talk about, discovered from the documents themselves.

Method (a sample to learn the themes, then one streaming pass over the distinct clauses):

1. Documents are cut into clauses (sentence ends, semicolons, "but", "and", ". also"), each
   trimmed of spaces and punctuation and redacted (e-mails, phones, cards, IBANs); clauses of
   fewer than three words ("ok", "n/a") are dropped. A theme is a cluster of clauses, and a
   document has a theme when one of its clauses is in it. One pattern (``CLAUSE_PATTERN``)
   cuts in Python (the sample) and in DuckDB (every document), so both agree.
2. Clause vectors: fast path, TF-IDF of content-word 1-2-grams (no stop words, fillers,
   contractions or numbers; words in more than 5% of the sample's clauses left out) reduced
   to 100 dimensions by truncated SVD, fitted on the clauses of a random sample of ``SAMPLE``
   documents (at most ``SAMPLE`` clauses); accurate path, MiniLM sentence embeddings. The
   sample's mean vector is subtracted and vectors are L2-normalised. A clause with no content
   word joins no theme. Each distinct clause text is vectorised once; repeats enter as
   weights, which leaves the fit unchanged (the SVD of the sample equals that of its distinct
   rows scaled by the square root of their counts).
3. Clustering: k-means (k-means++, 8 starts) on the sample's distinct vectors weighted by
   their counts (the same objective as on the repeated vectors). Unless given, k is the one in
   ``K_RANGE`` (1 start each) with the best silhouette of ``SILHOUETTE_SAMPLE`` clauses drawn
   from the sample without replacement, computed exactly on their distinct vectors. A theme
   whose clauses reach more than ``MAX_THEME_SHARE`` of the sample's documents is then split in
   two while the split's silhouette allows (:func:`_split_catch_alls`). A theme whose sample
   documents both praise and complain (each side at least 15% of them and 10 documents) is
   split by polarity into its two sides (:mod:`.polarity`).
4. Pass two: DuckDB cuts every document and counts each distinct clause text; Python reads
   those in pages of ``batch_size`` (one streaming cursor) and assigns each to its nearest
   centre when their cosine is at least ``MIN_SIMILARITY`` (others stay unthemed), a clause of a
   theme split by polarity to the side of its sentiment, accumulates the class-based TF-IDF
   (c-TF-IDF, Grootendorst 2022: term frequency in the theme times log(1 + average words per
   theme / the term's total frequency), counts weighted by occurrences) of noun-phrase runs
   (:func:`_phrase_analyzer`) whose best phrase labels the theme (:func:`_label_of`), and keeps
   the three distinct clauses nearest each centre (ties by text) per side of their sentiment,
   quoting a theme in its own verdict (:func:`_quoted_sides`) as representative quotes. Every
   clause of every document is counted, none is estimated: DuckDB joins the clauses to their
   themes into a temporary (document, theme, sentiment) table, where SQL computes the rest.
   Python memory is flat in the number of documents (one page of distinct texts at a time); the
   result does not depend on the page size.

- volume: documents with the theme and their share of all documents;
- sentiment: each document's mean clause sentiment over its clauses in the theme (the lexicon
  compound, or where that is neutral the rated model's complaint: :mod:`.polarity`),
  averaged over the theme's documents with a t interval; praise / complaint shares of those
  documents (sentiment >= 0.05 / <= -0.05). Volume, sentiment, trend and NPS impact count the same
  documents;
- trend: documents with the theme per calendar month (``created_at``), as a share of the month;
- emerging: the theme's share in the last month against all earlier months, two-proportion
  z-test; emerging when the share grew and one-sided p < 0.05;
- NPS impact: among customers who answered the NPS question (latest answer each), NPS =
  %promoters (9-10) - %detractors (0-6). The impact of a theme is the NPS gained if the
  detractors who wrote a document with that theme had been passives instead:
  ``100 * detractors_with_theme / respondents``, with a Wilson 95% interval on that share.

Quotes are redacted whatever the stored text holds.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, Values
from realitygap.analysis._stats import (
    DEFAULT_NPS_METHOD,
    mean_estimate,
    nps_estimate,
    wilson_estimate,
)
from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.fast import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    TOKEN_PATTERN,
    LexiconSentiment,
)
from realitygap.analysis.text.polarity import (
    PolaritySplit,
    clause_sentiment,
    clause_sentiment_parts,
    polarity_split,
    side_of,
)
from realitygap.analysis.text.tagger import TextPath
from realitygap.domain.errors import check_confidence
from realitygap.domain.privacy import redact_many
from realitygap.store import clauses as clause_store
from realitygap.store.workspace import Workspace

BATCH_SIZE = 1024
SAMPLE = 20_000
K_RANGE = range(4, 31)
SILHOUETTE_SAMPLE = 4000
SVD_DIMENSIONS = 100
QUOTES = 3
# Quotes are kept per side of their clause's sentiment (complaint, neutral, praise), so that a
# theme is quoted in its own verdict: a complaint never with praise ("the staff were lovely"
# under the complaint "staff"), praise never with a complaint (_quoted_sides).
_SIDES = ("complaint", "neutral", "praise")
LABEL_TERMS = 5
MIN_CLAUSE_WORDS = 3
# The bound: no theme should hold more than this share of the documents unless its
# texts really are about one thing. A theme above it on the sample is split in two while the
# split's silhouette is at least SPLIT_MIN_SILHOUETTE (the halves are apart, not one cloud)
# and each half has MIN_SPLIT_CLAUSES distinct clauses.
MAX_THEME_SHARE = 0.35
SPLIT_MIN_SILHOUETTE = 0.02
MIN_SPLIT_CLAUSES = 10
MAX_SHARE_MIN_DISTINCT = 1000  # distinct sample clauses below which no word is too common
# A clause joins its nearest theme only when its cosine to the theme's centre is at least this
# (after the vectors are centred; see the module docstring). Clauses further from every centre
# ("it arrived today", a clause on something few mention) are left unthemed, as HDBSCAN leaves
# outliers: without the bound every clause joined some theme and one catch-all theme of
# incoherent clauses held 92% of 5,000 real clothing reviews.
MIN_SIMILARITY = {"fast": 0.35, "accurate": 0.35}
# A label term must occur in at least this many sample clauses (and this share of them):
# misspellings ("overrpriced", "whaat") are rare, so they never label a theme.
LABEL_MIN_CLAUSES = 5
LABEL_MIN_SHARE = 0.0005
# A word one slip away (a letter inside it dropped, doubled or swapped with the next) from a
# word at least this many times as frequent in the sample is taken for a misspelling of it
# ("wee" for "were", "tiime" for "time") and never labels a theme: the simulator, like real
# typists, repeats a misspelt phrase often enough to pass LABEL_MIN_CLAUSES. Only interior
# letters, so a plural or an inflection ("shoe"/"shoes") is not a slip.
MISSPELLING_RATIO = 5.0
# Words that say nothing about a topic, on top of scikit-learn's English stop words: fillers,
# hedges and generic verbs of reviews and comments. Tokens with an apostrophe (it's, didn't,
# i'm) are never terms either.
FILLER_WORDS = frozenset(
    [
        "just",
        "really",
        "actually",
        "definitely",
        "little",
        "bit",
        "lot",
        "lots",
        "pretty",
        "quite",
        "usually",
        "probably",
        "maybe",
        "think",
        "thought",
        "thing",
        "things",
        "way",
        "got",
        "get",
        "gets",
        "getting",
        "did",
        "does",
        "doing",
        "make",
        "makes",
        "made",
        "want",
        "wanted",
        "going",
        "went",
        "know",
        "say",
        "said",
        "tried",
        "try",
        "trying",
        "bought",
        "buy",
        "ordered",
        "order",
        "like",
        "liked",
        "look",
        "looks",
        "looked",
        "feel",
        "feels",
        "felt",
        "wear",
        "wearing",
        "wore",
        "worn",
        "good",
        "great",
        "nice",
        "love",
        "loved",
        "lovely",
        "perfect",
        "perfectly",
        "beautiful",
        "really",
        "well",
        "better",
        "best",
        "bad",
        "worst",
        "terrible",
        "awful",
        "okay",
        "ok",
        "overall",
        "definitely",
        "absolutely",
        "super",
        "totally",
        "time",
        "times",
        "day",
        "days",
        "year",
        "years",
        "will",
        "would",
        "could",
        "should",
        "im",
        "ive",
        "dont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
        "cant",
        "wont",
        "also",
        "yes",
    ]
)

# Python's str.isspace characters, spelt out so that the one pattern below means the same in
# Python's re and in DuckDB's RE2 (whose \s is ASCII only).
_SPACE = (
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000]"
)
# Clause boundaries: punctuation followed by space (". also" first, so that "also" goes with
# the boundary), final punctuation, and the connectors. No look-behind: RE2 has none.
CLAUSE_PATTERN = (
    rf"(?i)\.{_SPACE}*also{_SPACE}+|[.!?;]{_SPACE}+|[.!?;]+$"
    rf"|,?{_SPACE}+(?:but|and|however|although|also){_SPACE}+"
)
_CLAUSE = re.compile(CLAUSE_PATTERN)
_STRIP = " ,.;!?"


def clauses_of(parts: Sequence[str]) -> list[str | None]:
    """The redacted clause of each trimmed part, or None where it has fewer than three words."""
    return [c if len(c.split()) >= MIN_CLAUSE_WORDS else None for c in redact_many(parts)]


def theme_clauses(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Redacted clauses of at least three words and, for each, the index of its text."""
    parts: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        for part in _CLAUSE.split(text):
            parts.append(part.strip(_STRIP))
            owner.append(i)
    kept = [(c, i) for c, i in zip(clauses_of(parts), owner, strict=True) if c is not None]
    return [c for c, _ in kept], np.asarray([i for _, i in kept], dtype=np.int64)


def _cached_analyzer(**params: Any) -> Callable[[str], list[str]]:
    """sklearn's analyzer for ``params``, memoised: the sample repeats clauses, and analysing
    them is most of the cost of fitting a vectoriser on it."""
    analyzer: Callable[[str], list[str]] = TfidfVectorizer(**params).build_analyzer()
    return functools.lru_cache(maxsize=SAMPLE)(analyzer)


def _content_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | FILLER_WORDS)


@functools.lru_cache(maxsize=1)
def _word_analyzer() -> Callable[[str], list[str]]:
    base = TfidfVectorizer(
        token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b(?!')",
        ngram_range=(1, 2),
        stop_words=_content_words(),
    ).build_analyzer()

    def analyse(text: str) -> list[str]:
        # letters only, two or more: no numbers, sizes or contractions as terms
        return [t for t in base(text) if "'" not in t]

    return functools.lru_cache(maxsize=SAMPLE)(analyse)


_PHRASE_TOKEN = re.compile(r"[^\W\d_][\w']*")


@functools.lru_cache(maxsize=1)
def _phrase_stop_words() -> frozenset[str]:
    return frozenset(_content_words())


@functools.lru_cache(maxsize=SAMPLE)
def _phrase_analyzer(text: str) -> list[str]:
    """Label terms: 1-3-grams of adjacent content words ("soft drinks", "rude crew").

    A stop word, filler, contraction, number or punctuation mark ends a run of content words,
    so a phrase is always a stretch of the text itself ("staff were rude" gives "staff" and
    "rude", never "staff rude"); a run's phrases do not end in an adverb ("-ly"). This is the
    noun-phrase pattern without a part-of-speech tagger: in reviews the runs left between stop
    words are mostly adjective-noun and noun-noun sequences.
    """
    stop = _phrase_stop_words()
    out: list[str] = []
    for chunk in re.split(r"[^\w\s']+", text.lower()):
        run: list[str] = []
        for token in [*_PHRASE_TOKEN.findall(chunk), ""]:
            content = len(token) >= 2 and "'" not in token and token.isalpha()
            if content and token not in stop:
                run.append(token)
                continue
            for n in (1, 2, 3):
                for i in range(len(run) - n + 1):
                    gram = run[i : i + n]
                    if n > 1 and gram[-1].endswith("ly"):
                        continue
                    out.append(" ".join(gram))
            run = []
    return out


def _slips(word: str) -> set[str]:
    """Words that ``word`` could be a one-slip misspelling of: a letter inside it restored
    (every letter a-z), an inner doubled letter undoubled, two inner letters swapped back."""
    out: set[str] = set()
    letters = "abcdefghijklmnopqrstuvwxyz"
    for k in range(1, len(word)):
        out.update(word[:k] + c + word[k:] for c in letters)  # a dropped letter
    for k in range(1, len(word) - 1):
        if word[k] == word[k + 1]:
            out.add(word[:k] + word[k + 1 :])  # a doubled letter
        if k + 2 <= len(word) - 1:
            out.add(word[:k] + word[k + 1] + word[k] + word[k + 2 :])  # swapped letters
    out.discard(word)
    return out


def misspelt_words(clauses: Sequence[str]) -> frozenset[str]:
    """Words of ``clauses`` that are one slip (:func:`_slips`) from a word at least
    ``MISSPELLING_RATIO`` times as frequent in them (stop words included: "wee" is "were")."""
    freq: dict[str, int] = {}
    for clause in clauses:
        for token in _PHRASE_TOKEN.findall(clause.lower()):
            freq[token] = freq.get(token, 0) + 1
    return frozenset(
        w
        for w, n in freq.items()
        if len(w) >= 3 and any(freq.get(v, 0) >= MISSPELLING_RATIO * n for v in _slips(w))
    )


@dataclass(frozen=True)
class Theme(Values):
    """One discovered theme. ``nps_impact`` is in NPS points (see the module docstring)."""

    theme: int
    label: str
    terms: tuple[str, ...]
    documents: int
    share: float
    sentiment: Estimate
    nps_impact: Estimate
    emerging: bool
    last_month_share: float | None
    earlier_share: float | None
    emerging_p: float | None
    quotes: tuple[str, ...]
    # shares of the theme's documents whose clauses in the theme are positive / negative
    praise_share: float = float("nan")
    complaint_share: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "label": self.label,
            "terms": list(self.terms),
            "documents": self.documents,
            "share": self.share,
            **self.sentiment.to_dict("sentiment_"),
            **self.nps_impact.to_dict("nps_impact_"),
            "emerging": self.emerging,
            "last_month_share": self.last_month_share,
            "earlier_share": self.earlier_share,
            "emerging_p": self.emerging_p,
            "quotes": list(self.quotes),
            "praise_share": self.praise_share,
            "complaint_share": self.complaint_share,
        }


@dataclass(frozen=True)
class ThemesResult(Values):
    """Themes, largest first, with their monthly trend (long frame: theme, month, documents,
    share of the month's documents) and the NPS the impacts are measured against."""

    themes: tuple[Theme, ...]
    trend: pd.DataFrame
    documents: int
    nps: Estimate
    path: str
    k: int
    method: str = field(
        default="clauses; centred vectors; k-means, clauses within the similarity bound; "
        "c-TF-IDF labels; NPS impact = detractors with the theme counted as passives"
    )
    # documents with at least one theme; the rest only have clauses near no theme
    themed_documents: int = 0
    # (document_id, theme) of every document in a theme, when asked for (keep_members=True)
    members: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per theme: every field of :class:`Theme` (estimates flattened)."""
        return pd.DataFrame([t.to_dict() for t in self.themes])

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "path": self.path,
            "k": self.k,
            "method": self.method,
            "themed_documents": self.themed_documents,
            "nps": self.nps.to_dict(),
            "themes": [t.to_dict() for t in self.themes],
            "trend": self.trend,
        }

    def __str__(self) -> str:
        lines = [
            f"{len(self.themes)} themes in {self.documents} documents ({self.path} path; "
            f"{self.themed_documents} in a theme); NPS {self.nps.format(1)}"
        ]
        for t in self.themes:
            flag = "  EMERGING" if t.emerging else ""
            lines.append(
                f"- {t.label}: {t.documents} docs ({t.share:.1%}), praise "
                f"{t.praise_share:.0%} / complaint {t.complaint_share:.0%}, sentiment "
                f"{t.sentiment.format(2)}, NPS impact {t.nps_impact.format(1)}{flag}"
            )
            lines.extend(f'    "{q}"' for q in t.quotes)
        return "\n".join(lines)


def _distinct_parts(ws: Workspace, batch_size: int) -> Iterator[pd.DataFrame]:
    """Pages (``part``, ``n``: how many clauses have that text) of the distinct trimmed parts,
    cut and counted in the engine (:func:`realitygap.store.clauses.distinct_parts`)."""
    return clause_store.distinct_parts(ws, CLAUSE_PATTERN, _STRIP, batch_size)


@dataclass(frozen=True)
class ThemeOptions:
    """How clauses are vectorised, assigned and labelled. The defaults are the method of the
    module docstring; :data:`LEGACY` is the method before it (every clause joins its nearest
    theme, vectors not centred, character n-grams at a quarter weight, scikit-learn's stop
    words only), kept as the alternative ``benchmarks/text_eval.py`` compares against."""

    char_weight: float = 0.0
    centre: bool = True
    min_similarity: float | None = None  # None: MIN_SIMILARITY of the path
    content_words: bool = True  # filler words and contractions are never terms
    # a word in more than this share of the sample's clauses ("lounge" in lounge reviews,
    # "dress" in dress reviews) names what the whole corpus is about, not a theme within it:
    # it is left out of the fast path's clause vectors (labels may still use it)
    max_clause_share: float = 0.05
    # split a theme holding more than MAX_THEME_SHARE of the sample's documents (see there)
    split_catch_alls: bool = True
    # split a theme whose documents both praise and complain (realitygap...polarity)
    split_polarity: bool = True

    def analyzer(self) -> Callable[[str], list[str]]:
        if self.content_words:
            return _word_analyzer()
        return _legacy_word_analyzer()

    def label_analyzer(self) -> Callable[[str], list[str]]:
        """Terms counted for labels: noun-phrase runs (:func:`_phrase_analyzer`)."""
        if self.content_words:
            return _phrase_analyzer
        return _legacy_word_analyzer()

    def similarity(self, path: TextPath) -> float:
        return MIN_SIMILARITY[path.value] if self.min_similarity is None else self.min_similarity


LEGACY = ThemeOptions(
    char_weight=0.25,
    centre=False,
    min_similarity=-2.0,
    content_words=False,
    max_clause_share=1.0,
    split_catch_alls=False,
    split_polarity=False,
)


@functools.lru_cache(maxsize=1)
def _legacy_word_analyzer() -> Callable[[str], list[str]]:
    return _cached_analyzer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), stop_words="english")


class _Vectoriser:
    """Clause vectors for the chosen path (see the module docstring)."""

    def __init__(
        self, path: TextPath, embedder: Embedder | None, seed: int, options: ThemeOptions
    ) -> None:
        self.path = path
        self.embedder = embedder
        self.options = options
        parts: list[tuple[str, Any]] = [
            (
                "word",
                TfidfVectorizer(
                    analyzer=options.analyzer(),
                    sublinear_tf=True,
                    min_df=2,
                    max_df=options.max_clause_share,
                ),
            )
        ]
        if options.char_weight > 0:
            # character n-grams bridge typos and inflections, but also join clauses that
            # share only their stop words; off by default
            char = TfidfVectorizer(
                analyzer=_cached_analyzer(analyzer="char_wb", ngram_range=(2, 5)),
                sublinear_tf=True,
                min_df=2,
                max_features=100_000,
            )
            parts.append(("char", char))
        weights = {"word": 1.0, "char": options.char_weight}
        self.union = FeatureUnion(parts, transformer_weights={n: weights[n] for n, _ in parts})
        self.svd = TruncatedSVD(SVD_DIMENSIONS, random_state=seed)
        self.mean: np.ndarray | None = None

    def fit(self, sample: _Sample) -> _Vectoriser:
        if self.path is TextPath.FAST:
            # document frequencies count repeats, so the TF-IDF is fitted on the whole sample
            clauses = sample.expanded()
            min_df = _min_df(clauses)
            self.union.set_params(
                **{f"{name}__min_df": min_df for name, _ in self.union.transformer_list}
            )
            if len(sample.texts) < MAX_SHARE_MIN_DISTINCT:
                # a handful of distinct clauses (a simulation, a planted test) has no
                # corpus-wide word to drop: every frequent word is some theme's
                self.union.set_params(word__max_df=1.0)
            self.union.fit(clauses)
            x = self.union.transform(sample.texts)
            self.svd.n_components = max(2, min(SVD_DIMENSIONS, x.shape[1] - 1, len(clauses) - 1))
            # X'X of the sample equals X'WX of its distinct rows: the same singular vectors
            self.svd.fit(sp.diags(np.sqrt(sample.weight)) @ x)
        if self.options.centre:
            # The sample's mean vector is shared by every clause (LSA's first component, the
            # common direction of sentence embeddings); left in, it makes unrelated clauses
            # look alike, so it is subtracted before the vectors are normalised.
            self.mean = np.average(self._raw(sample.texts), axis=0, weights=sample.weight)
        return self

    def _raw(self, clauses: Sequence[str]) -> np.ndarray:
        if self.path is TextPath.ACCURATE and self.embedder is not None:
            return np.asarray(self.embedder.encode(clauses), dtype=np.float64)
        z = self.svd.transform(self.union.transform(clauses))
        return np.asarray(z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12))

    def transform(self, clauses: Sequence[str]) -> np.ndarray:
        z = self._raw(clauses)
        if self.mean is not None:
            z = z - self.mean[None, :]
        return np.asarray(z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12))


def _min_df(clauses: Sequence[str]) -> int:
    """Terms must occur twice, except in tiny corpora where that could leave none."""
    return 2 if len(clauses) >= 200 else 1


@dataclass(frozen=True)
class _Sample:
    """The clustering sample as its distinct clause texts and how often each occurs."""

    texts: list[str]
    weight: np.ndarray

    @classmethod
    def of(cls, clauses: Sequence[str]) -> _Sample:
        texts, weight = np.unique(np.asarray(clauses, dtype=object), return_counts=True)
        return cls([str(t) for t in texts], weight.astype(np.float64))

    @property
    def size(self) -> int:
        return int(self.weight.sum())

    def expanded(self) -> list[str]:
        return [t for t, w in zip(self.texts, self.weight, strict=True) for _ in range(int(w))]


def _sample(ws: Workspace, seed: int, size: int) -> tuple[list[str], np.ndarray]:
    """Clauses from a random sample of documents (reservoir sample, repeatable) and, for each,
    the index of its document in the sample."""
    clauses, owner = theme_clauses(clause_store.sample_document_texts(ws, seed, size))
    return clauses[:SAMPLE], owner[:SAMPLE]


def _document_shares(
    z: np.ndarray, centres: np.ndarray, incidence: sp.csr_matrix, min_similarity: float
) -> np.ndarray:
    """Share of the sample's documents with a clause in each theme, clauses assigned as in
    pass two (nearest centre, within the similarity bound). ``incidence``: documents x
    distinct clauses."""
    sims = z @ centres.T
    theme = sims.argmax(axis=1)
    inside = sims[np.arange(len(theme)), theme] >= min_similarity
    member = sp.csr_matrix(
        (np.ones(int(inside.sum())), (np.flatnonzero(inside), theme[inside])),
        shape=(len(z), len(centres)),
    )
    has = (incidence @ member) > 0
    documents = np.asarray(has.sum(axis=0), dtype=np.float64).ravel()
    return np.asarray(documents / max(incidence.shape[0], 1))


def _split_catch_alls(
    z: np.ndarray,
    weight: np.ndarray,
    centres: np.ndarray,
    incidence: sp.csr_matrix,
    min_similarity: float,
    seed: int,
) -> np.ndarray:
    """Splits in two, by 2-means on its members, any theme whose share of the sample's
    documents is above ``MAX_THEME_SHARE``, as long as the split's silhouette (on at most
    ``SILHOUETTE_SAMPLE`` of its distinct clauses) is at least ``SPLIT_MIN_SILHOUETTE`` and
    there are fewer than ``K_RANGE.stop`` themes. A theme that will not split is kept whole:
    its texts may really be about one thing."""
    rng = np.random.default_rng(seed)
    keep_whole: set[int] = set()
    while len(centres) < K_RANGE.stop:
        shares = _document_shares(z, centres, incidence, min_similarity)
        candidates = [
            c for c in np.argsort(-shares) if shares[c] > MAX_THEME_SHARE and c not in keep_whole
        ]
        if not candidates:
            break
        c = int(candidates[0])
        sims = z @ centres.T
        rows = np.flatnonzero(sims.argmax(axis=1) == c)
        if len(rows) < 2 * MIN_SPLIT_CLAUSES:
            keep_whole.add(c)
            continue
        with warnings.catch_warnings():
            # identical vectors give one cluster: the size check below keeps the theme whole
            warnings.simplefilter("ignore", ConvergenceWarning)
            halves = KMeans(2, random_state=seed, n_init=4).fit(z[rows], sample_weight=weight[rows])
        probe = rows if len(rows) <= SILHOUETTE_SAMPLE else None
        if probe is None:
            picked = rng.choice(len(rows), SILHOUETTE_SAMPLE, replace=False)
            labels, probe = halves.labels_[picked], rows[picked]
        else:
            labels = halves.labels_
        sizes = np.bincount(halves.labels_, minlength=2)
        if (
            sizes.min() < MIN_SPLIT_CLAUSES
            or len(set(labels)) < 2
            or weighted_silhouette(z[probe], labels, weight[probe]) < SPLIT_MIN_SILHOUETTE
        ):
            keep_whole.add(c)
            continue
        two = halves.cluster_centers_
        two = two / np.maximum(np.linalg.norm(two, axis=1, keepdims=True), 1e-12)
        centres = np.vstack([np.delete(centres, c, axis=0), two])
        # indices moved: themes kept whole are re-identified by their centres
        keep_whole = {i - (i > c) for i in keep_whole}
    return centres


def _choose_k(z: np.ndarray, weight: np.ndarray, seed: int) -> int:
    """The k in ``K_RANGE`` with the best silhouette of a random subsample of the clauses.

    k-means runs on the distinct vectors weighted by their counts (the same objective as on
    the repeated ones); the silhouette is that of ``SILHOUETTE_SAMPLE`` clauses drawn without
    replacement, computed on their distinct vectors (:func:`weighted_silhouette`).
    """
    rng = np.random.default_rng(seed)
    counts = weight.astype(np.int64)
    picked = rng.multivariate_hypergeometric(counts, min(int(counts.sum()), SILHOUETTE_SAMPLE))
    rows = np.flatnonzero(picked)
    best_k, best = K_RANGE.start, -1.0
    for k in K_RANGE:
        if k >= min(len(z), int(picked.sum())):
            break
        labels = KMeans(k, random_state=seed, n_init=1).fit(z, sample_weight=weight).labels_
        if len(set(labels[rows])) < 2:
            continue
        score = weighted_silhouette(z[rows], labels[rows], picked[rows])
        if score > best:
            best_k, best = k, score
    return best_k


def weighted_silhouette(z: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> float:
    """sklearn's ``silhouette_score`` of the points repeated ``weight`` times, computed on the
    distinct points: O(distinct^2) instead of O(points^2)."""
    w = np.asarray(weight, dtype=np.float64)
    clusters, own = np.unique(labels, return_inverse=True)
    member = np.zeros((len(z), len(clusters)))
    member[np.arange(len(z)), own] = w
    sums = euclidean_distances(z) @ member  # weighted distance from each point to each cluster
    size = member.sum(axis=0)
    rows = np.arange(len(z))
    # a repeat of a point is at distance 0 and counts; the point itself does not
    a = sums[rows, own] / np.maximum(size[own] - 1, 1)
    other = sums / size[None, :]
    other[rows, own] = np.inf
    b = other.min(axis=1)
    s = np.nan_to_num((b - a) / np.maximum(a, b))
    s[size[own] <= 1] = 0.0  # a singleton's silhouette is 0, as in sklearn
    return float(np.average(s, weights=w))


def discover_themes(
    ws: Workspace,
    *,
    path: TextPath = TextPath.FAST,
    k: int | None = None,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    embedder: Embedder | None = None,
    options: ThemeOptions | None = None,
    keep_members: bool = False,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> ThemesResult:
    """Discover the themes customers talk about in the workspace's documents.

    The documents must be tagged first (``realitygap text tag`` or
    :func:`realitygap.actions.text.tag_workspace`): sentiment comes from the tags. The
    method is in the module docstring.

    Parameters
    ----------
    ws : Workspace
        An open workspace with documents (comments, reviews, tickets).
    path : TextPath, default TextPath.FAST
        ``TextPath.FAST``: TF-IDF of words and character n-grams reduced by SVD;
        ``TextPath.ACCURATE``: MiniLM sentence embeddings (needs the ``accurate`` extra).
    k : int, optional
        Number of themes (default: the best silhouette in ``K_RANGE``).
    seed : int, default 0
        Seed of the sample and of k-means; the same seed gives the same themes.
    batch_size : int, default BATCH_SIZE
        Distinct clauses read per page in the second pass (memory only; the result does not
        depend on it).
    embedder : Embedder, optional
        The sentence embedder of the accurate path (default: the packaged MiniLM).
    options : ThemeOptions, optional
        How clauses are vectorised, assigned and labelled (default: the module docstring's
        method; ``themes.LEGACY`` is the previous method, kept for comparison).
    keep_members : bool, default False
        Also return every themed document (``ThemesResult.members``).
    confidence : float, default 0.95
        Level of the sentiment and NPS impact intervals.
    min_n : int, default 30
        Fewer answers or clauses than this give "insufficient data".

    Returns
    -------
    ThemesResult
        ``themes`` (:class:`Theme`, largest first; empty when there is nothing to cluster),
        ``trend`` (theme, month, documents, share of the month's documents), ``documents``,
        ``nps`` (the NPS the impacts are measured against), ``path``, ``k``.
        ``to_frame()`` has one row per theme:

        - ``theme`` (number), ``label`` (a phrase of one to three content words of the
          texts, see :func:`_label_of`), ``terms`` (the top five c-TF-IDF terms);
        - ``documents`` with the theme and their ``share`` of all documents;
        - ``sentiment_value``, ``sentiment_low``, ``sentiment_high``, ``sentiment_n``,
          ``sentiment_method``, ``sentiment_confidence``, ``sentiment_n_effective``: mean over
          the theme's documents of their clauses' sentiment (-1..1; lexicon compound, or the
          rated model's complaint where the lexicon is neutral), t interval;
        - ``nps_impact_value``, ``nps_impact_low``, ``nps_impact_high``, ``nps_impact_n``,
          ``nps_impact_method``, ``nps_impact_confidence``, ``nps_impact_n_effective``: NPS
          points gained if the detractors who wrote about the theme were passives (Wilson);
        - ``emerging`` (share grew in the last month, one-sided p < 0.05), ``last_month_share``,
          ``earlier_share``, ``emerging_p``;
        - ``quotes``: up to three representative clauses, redacted;
        - ``praise_share``, ``complaint_share``: shares of the theme's documents that praise or
          complain (document sentiment).

    Raises
    ------
    ArgumentError
        ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    Grootendorst, M. (2022). BERTopic: neural topic modeling with a class-based TF-IDF
    procedure. arXiv:2203.05794 (c-TF-IDF). Arthur, D. and Vassilvitskii, S. (2007). k-means++.
    Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20. Hutto, C. and Gilbert, E.
    (2014). VADER. ICWSM (lexicon sentiment). Reimers, N. and Gurevych, I. (2019).
    Sentence-BERT (accurate path).

    Examples
    --------
    >>> result = discover_themes(ws)
    >>> result.documents, result.k
    (781, 31)
    >>> result.to_frame()[["label", "documents", "share", "nps_impact_value"]].head(3).round(2)
           label  documents  share  nps_impact_value
    0  app keeps        127   0.16              3.61
    1       rude         92   0.12              3.09
    2    waiting         75   0.10              2.32
    """
    check_confidence(confidence, min_n)
    # One BLAS/OpenMP thread: these matrices are small, and on a shared 2-core machine
    # k-means threads spinning against each other were 10x slower than one thread.
    with threadpool_limits(1):
        return _discover(
            ws,
            path,
            k,
            seed,
            batch_size,
            embedder,
            options or ThemeOptions(),
            keep_members,
            confidence,
            min_n,
        )


@dataclass
class _Accumulator:
    """What pass two gathers over the pages: term counts per theme and the nearest quotes."""

    centres: np.ndarray
    counter: CountVectorizer
    term_counts: sp.csr_matrix
    quote_dist: np.ndarray
    quote_text: np.ndarray
    lexicon: LexiconSentiment = field(default_factory=LexiconSentiment)

    @classmethod
    def start(cls, centres: np.ndarray, counter: CountVectorizer, k: int) -> _Accumulator:
        """``k``: themes after the polarity split (at least one per centre)."""
        return cls(
            centres,
            counter,
            sp.csr_matrix((k, len(counter.vocabulary_))),
            np.full((k, len(_SIDES), QUOTES), np.inf),
            np.full((k, len(_SIDES), QUOTES), "", dtype=object),
        )

    def add(
        self,
        clauses: list[str],
        counts: np.ndarray,
        z: np.ndarray,
        min_similarity: float,
        split: PolaritySplit,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Assigns distinct clauses (``counts`` occurrences each) to their nearest centre,
        then a split theme's clauses to the side of their sentiment; returns their themes
        (-1 for a clause with no content word or further than ``min_similarity`` from every
        centre) and the sentiment of each themed clause (0 for the others).
        """
        k = len(self.quote_dist)
        terms = self.counter.transform(clauses)
        sims = z @ self.centres.T
        theme: np.ndarray = sims.argmax(axis=1)
        best = sims[np.arange(len(theme)), theme]
        theme[(best < min_similarity) | (terms.getnnz(axis=1) == 0)] = -1
        # rounded so that float noise from the page size (batched products) cannot reorder
        # near-equal quotes
        dist = np.round(1.0 - best, 9)
        member = np.flatnonzero(theme >= 0)
        score = np.zeros(len(theme))
        lexical = np.zeros(len(theme))
        score[member], lexical[member] = clause_sentiment_parts(
            [clauses[i] for i in member], self.lexicon
        )
        # a split theme's quotes state its side's verdict in words the lexicon knows: its
        # other clauses come after them
        dist = dist + split.undecided(theme, lexical)
        theme = split.apply(theme, score)
        onehot = sp.csr_matrix((counts[member], (theme[member], member)), shape=(k, len(theme)))
        self.term_counts = self.term_counts + onehot @ terms
        texts = np.asarray(clauses, dtype=object)
        sides = side_of(score) + 1  # the index into _SIDES
        for c in np.unique(theme[member]):
            for side in range(len(_SIDES)):
                idx = np.flatnonzero((theme == c) & (sides == side))
                if len(idx) == 0:
                    continue
                pool_d = np.concatenate([self.quote_dist[c, side], dist[idx]])
                pool_t = np.concatenate([self.quote_text[c, side], texts[idx]])
                keep = _nearest(pool_d, pool_t)
                self.quote_dist[c, side, : len(keep)] = pool_d[keep]
                self.quote_text[c, side, : len(keep)] = pool_t[keep]
        return theme, score


def _nearest(dist: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Positions of the ``QUOTES`` nearest distinct texts: nearest first, ties by text, each
    text once, so that the choice is independent of the page order."""
    order = np.lexsort((text.astype(str), dist))
    _, first = np.unique(text[order], return_index=True)
    return order[np.sort(first)][:QUOTES]


def _quoted_sides(sentiment: Estimate) -> list[int]:
    """The sides a theme is quoted from: a theme whose sentiment interval lies below zero from
    its complaints and neutral clauses, one above zero from its praise and neutral clauses,
    any other from all."""
    if sentiment.high is not None and sentiment.high < 0:
        return [0, 1]
    if sentiment.low is not None and sentiment.low > 0:
        return [1, 2]
    return [0, 1, 2]


def _clauses_of_page(page: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """The page's parts that make clauses: the parts, their clauses and how often each occurs."""
    clauses = clauses_of(page["part"].tolist())
    keep = [i for i, c in enumerate(clauses) if c is not None]
    parts = page["part"].tolist()
    counts = page["n"].to_numpy(dtype=np.float64)[keep]
    return [parts[i] for i in keep], [str(clauses[i]) for i in keep], counts


def _discover(
    ws: Workspace,
    path: TextPath,
    k: int | None,
    seed: int,
    batch_size: int,
    embedder: Embedder | None,
    options: ThemeOptions,
    keep_members: bool,
    confidence: float,
    min_n: int,
) -> ThemesResult:
    if path is TextPath.ACCURATE and embedder is None:
        embedder = Embedder()
    clauses, owner = _sample(ws, seed, SAMPLE)
    n_documents = ws.count("documents")
    nps = _nps(ws, min_n, confidence)
    if len(clauses) < 2:
        return ThemesResult((), pd.DataFrame(), n_documents, nps, path.value, 0)
    counter = CountVectorizer(analyzer=options.label_analyzer(), min_df=_min_df(clauses))
    try:
        counter.fit(clauses)
    except ValueError:  # no content word in any sampled clause
        return ThemesResult((), pd.DataFrame(), n_documents, nps, path.value, 0)
    # clauses without a content word ("it arrived today") say nothing about a topic
    has_terms = counter.transform(clauses).getnnz(axis=1) > 0
    content = [c for c, h in zip(clauses, has_terms, strict=True) if h]
    if len(set(content)) < 2:
        return ThemesResult((), pd.DataFrame(), n_documents, nps, path.value, 0)
    sample = _Sample.of(content)
    position = {t: i for i, t in enumerate(sample.texts)}
    owners = owner[has_terms]
    incidence = sp.csr_matrix(
        (np.ones(len(content)), (owners, [position[c] for c in content])),
        shape=(int(owner.max()) + 1, len(sample.texts)),
    )
    vec = _Vectoriser(path, embedder, seed, options).fit(sample)
    z_sample = vec.transform(sample.texts)
    k = k or _choose_k(z_sample, sample.weight, seed)
    k = min(k, len(sample.texts))
    kmeans = KMeans(k, random_state=seed, n_init=8).fit(z_sample, sample_weight=sample.weight)
    centres = kmeans.cluster_centers_
    centres = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    min_similarity = options.similarity(path)
    if options.split_catch_alls:
        centres = _split_catch_alls(
            z_sample, sample.weight, centres, incidence, min_similarity, seed
        )
        k = len(centres)
    split = PolaritySplit()
    if options.split_polarity:
        split = _polarity_split_of_sample(z_sample, centres, incidence, sample, min_similarity)
    acc = _Accumulator.start(centres, counter, k + split.themes)
    with clause_store.ThemeTables(ws) as tables:
        for page in _distinct_parts(ws, batch_size):
            parts, texts, counts = _clauses_of_page(page)
            if not texts:
                continue
            theme, score = acc.add(texts, counts, vec.transform(texts), min_similarity, split)
            member = theme >= 0
            if not member.any():
                continue
            parts = [p for p, m in zip(parts, member, strict=True) if m]
            texts = [t for t, m in zip(texts, member, strict=True) if m]
            rows = pd.DataFrame(
                {"part": parts, "theme": theme[member].astype(np.int32),
                 "compound": score[member]}
            )  # fmt: skip
            tables.add_parts(rows)
        # one row per clause of every document: a join in the engine, not a loop in Python
        tables.join_documents(CLAUSE_PATTERN, _STRIP)
        frequent = np.asarray((counter.transform(content) > 0).sum(axis=0)).ravel()
        if options.content_words:
            frequent = frequent >= max(LABEL_MIN_CLAUSES, LABEL_MIN_SHARE * len(content))
            typo = misspelt_words(content)
            vocab = counter.get_feature_names_out()
            frequent &= np.array([not typo.intersection(str(t).split()) for t in vocab])
        else:
            frequent = frequent >= 0
        labels = _ctfidf_terms(acc.term_counts, counter, frequent, options.content_words)
        k += split.themes
        themes, trend = _summarise(
            ws,
            tables,
            k,
            n_documents,
            nps,
            labels,
            acc.quote_text,
            acc.quote_dist,
            confidence,
            min_n,
        )
        themed = tables.themed_documents()
        members = tables.members() if keep_members else None
    return ThemesResult(
        themes, trend, n_documents, nps, path.value, k, themed_documents=themed, members=members
    )


def _polarity_split_of_sample(
    z: np.ndarray,
    centres: np.ndarray,
    incidence: sp.csr_matrix,
    sample: _Sample,
    min_similarity: float,
) -> PolaritySplit:
    """:func:`.polarity.polarity_split` of the sample, clauses assigned as in pass two."""
    sims = z @ centres.T
    theme = sims.argmax(axis=1)
    theme[sims[np.arange(len(theme)), theme] < min_similarity] = -1
    score = clause_sentiment(sample.texts)
    return polarity_split(theme, score, incidence, len(centres))


def _ctfidf_terms(
    counts: sp.csr_matrix, counter: CountVectorizer, allowed: np.ndarray, phrases: bool = True
) -> list[tuple[tuple[str, ...], str]]:
    """Top c-TF-IDF terms of each theme among the ``allowed`` (frequent enough) terms, and
    the theme's label (:func:`_label_of`)."""
    dense = np.asarray(counts.todense())
    words = dense.sum(axis=1)
    tf = dense / np.maximum(words[:, None], 1)
    idf = np.log1p(words.mean() / np.maximum(dense.sum(axis=0), 1))
    score = tf * idf[None, :] * allowed[None, :]
    vocab = counter.get_feature_names_out()
    out = []
    for row in score:
        ranked = [str(vocab[j]) for j in np.argsort(-row)[: LABEL_TERMS * 20] if row[j] > 0]
        chosen: list[str] = []
        for term in ranked[: LABEL_TERMS * 3]:
            # skip a unigram already inside a chosen bigram, and vice versa
            if any(term in c or c in term for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) == LABEL_TERMS:
                break
        label = _label_of(chosen, ranked) if phrases else ", ".join(chosen[:2])
        out.append((tuple(chosen), label))
    return out


def _label_of(terms: list[str], ranked: list[str]) -> str:
    """A theme's name: the highest-ranked phrase of two or three words that contains its top
    term as a word ("desk" -> "reception desk", "drinks" -> "soft drinks"), else the top term
    alone. ``ranked``: the theme's terms by c-TF-IDF, best first."""
    if not terms:
        return ""
    top = terms[0]
    for term in ranked:
        if " " in term and top in term.split():
            return term
    return top


def _nps_question(ws: Workspace) -> str | None:
    """The NPS question (the one rule of :func:`realitygap.analysis._items.nps_question`);
    each customer's latest answer to it counts."""
    return nps_question(question_bank(ws))


def _nps(ws: Workspace, min_n: int, confidence: float) -> Estimate:
    """NPS of responding customers (latest answer each), the one NPS estimate of every family."""
    qid = _nps_question(ws)
    if qid is None:
        return Estimate.insufficient_data(0, f"NPS, {DEFAULT_NPS_METHOD}", confidence)
    n, pro, det = clause_store.latest_score_counts(ws, qid)
    return nps_estimate(pro / max(n, 1), det / max(n, 1), n, min_n, confidence=confidence)


def _summarise(
    ws: Workspace,
    tables: clause_store.ThemeTables,
    k: int,
    n_documents: int,
    nps: Estimate,
    labels: list[tuple[tuple[str, ...], str]],
    quotes: np.ndarray,
    quote_dist: np.ndarray,
    confidence: float,
    min_n: int,
) -> tuple[tuple[Theme, ...], pd.DataFrame]:
    # theme -> (documents, mean compound, its sd, praising documents, complaining documents);
    # a document's sentiment on a theme is the mean compound of its clauses in the theme, so
    # every figure of a theme is over the same documents
    stats_of: dict[int, tuple[int, float, float, int, int]] = {
        theme: (n, mean, float("nan") if sd is None else sd, praising, complaining)
        for theme, n, mean, sd, praising, complaining in tables.theme_stats(
            POSITIVE_THRESHOLD, NEGATIVE_THRESHOLD
        )
    }
    trend = tables.monthly_trend()
    if not trend.empty:
        trend["share"] = trend["documents"] / trend["month_documents"]
    impact_counts = pd.DataFrame(columns=["theme", "detractors"]).set_index("theme")
    qid = _nps_question(ws)
    if qid is not None and not nps.insufficient:
        impact_counts = tables.detractors(qid).set_index("theme")
    months = sorted(trend["month"].unique()) if not trend.empty else []
    month_totals = (
        trend.groupby("month")["month_documents"].first() if not trend.empty else pd.Series()
    )
    themes: list[Theme] = []
    for c in range(k):
        if c not in stats_of:
            continue
        n_docs, mean, sd, praising, complaining = stats_of[c]
        sentiment = mean_estimate(
            mean,
            sd * sd,
            n_docs,
            min_n,
            "mean over the theme's documents of their clauses' sentiment (lexicon; the rated "
            "model's complaint where the lexicon is neutral); t interval",
            confidence,
        )
        impact_method = "NPS points gained if detractors with the theme were passives; Wilson"
        if nps.insufficient:
            impact = Estimate.insufficient_data(nps.n, impact_method, confidence)
        else:
            det = int(impact_counts["detractors"].get(c, 0))
            share = wilson_estimate(det, nps.n, min_n, impact_method, confidence)
            impact = Estimate(
                100 * (share.value or 0.0),
                100 * (share.low or 0.0),
                100 * (share.high or 0.0),
                nps.n,
                impact_method,
                confidence,
            )
        emerging, last_share, earlier_share, p_value = _emerging(trend, c, months, month_totals)
        said = _quoted_sides(sentiment)
        pool_t, pool_d = quotes[c, said].ravel(), quote_dist[c, said].ravel()
        chosen = pool_t[_nearest(pool_d, pool_t)]
        themes.append(
            Theme(
                theme=c,
                label=labels[c][1] or f"theme {c}",
                terms=labels[c][0],
                documents=n_docs,
                share=n_docs / max(n_documents, 1),
                sentiment=sentiment,
                nps_impact=impact,
                emerging=emerging,
                last_month_share=last_share,
                earlier_share=earlier_share,
                emerging_p=p_value,
                quotes=tuple(str(q) for q in chosen if q),
                praise_share=praising / n_docs,
                complaint_share=complaining / n_docs,
            )
        )
    themes.sort(key=lambda t: -t.documents)
    return tuple(themes), trend


def _emerging(
    trend: pd.DataFrame, theme: int, months: list[Any], totals: pd.Series
) -> tuple[bool, float | None, float | None, float | None]:
    """Last month's share against earlier months': two-proportion z-test, one-sided."""
    if len(months) < 2:
        return False, None, None, None
    mine = trend[trend["theme"] == theme].set_index("month")["documents"]
    last = months[-1]
    x1, n1 = float(mine.get(last, 0)), float(totals[last])
    x0 = float(mine[mine.index != last].sum())
    n0 = float(totals[totals.index != last].sum())
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(max(pooled * (1 - pooled) * (1 / n1 + 1 / n0), 1e-300))
    p_value = float(stats.norm.sf((p1 - p0) / se))
    return bool(p1 > p0 and p_value < 0.05), p1, p0, p_value
