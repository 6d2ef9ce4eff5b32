"""The fast path's building blocks, all vectorised over a batch of texts.

- :class:`LexiconSentiment`: vaderSentiment's lexicon applied as a sparse matrix product.
  Negation (VADER's own list of negators) flips the next two words by VADER's factor -0.74,
  boosters scale the next word; the sum ``s`` of valences is normalised as VADER does,
  ``s / sqrt(s^2 + 15)``. It drops VADER's rules for capitals, punctuation and "but", which
  costs a little accuracy and gains about 10x speed.
- :class:`SeedMatcher`: counts each label's seed phrases (1-3 words, plural forms included)
  in each text with one sparse product, less the label's excluded phrases ("return flight"
  for returns) that contain a seed.
- :class:`NgramCounter`: counts of a fixed vocabulary of 1-3-word phrases, the same counts as
  scikit-learn's ``CountVectorizer(vocabulary=...)`` at a few times its speed (n-grams are
  looked up as integer keys of token ids instead of joined strings).
- :func:`split_clauses`: cuts texts into clauses at sentence ends, semicolons and "but", so
  that sentiment can be attributed to the aspect a clause mentions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from realitygap.analysis.text.labels import LabelSet

if TYPE_CHECKING:  # scikit-learn is imported only where used: it costs a second of start-up
    from sklearn.feature_extraction.text import CountVectorizer

TOKEN_PATTERN = r"(?u)[\w']+|\$"
_VADER_ALPHA = 15.0  # VADER's normalisation constant
POSITIVE_THRESHOLD = 0.05  # VADER's documented cut-offs for positive / negative
NEGATIVE_THRESHOLD = -0.05


@lru_cache(maxsize=1)
def _vader() -> tuple[dict[str, float], tuple[str, ...], dict[str, float], float]:
    from vaderSentiment import vaderSentiment as vs

    analyzer = vs.SentimentIntensityAnalyzer()
    return (
        dict(analyzer.lexicon),
        tuple(vs.NEGATE),
        dict(vs.BOOSTER_DICT),
        float(vs.N_SCALAR),
    )


# Texts of a batch are joined with this character and processed in one regex pass: it is not
# white space, not a word character and not "$", so no token, negation, booster or clause
# break spans it and each text is processed exactly as on its own. A batch whose texts
# contain it is processed text by text.
SEPARATOR = "\x00"
_SEPARATOR_ID = -1


def join_texts(texts: Sequence[str]) -> str | None:
    """The texts joined by :data:`SEPARATOR`, or None if one of them contains it."""
    joined = SEPARATOR.join(texts)
    return joined if joined.count(SEPARATOR) == max(len(texts) - 1, 0) else None


class NgramCounter:
    """Counts of the n-grams of ``vocabulary`` (space-separated words) in each text.

    ``counts(texts)`` equals ``CountVectorizer(vocabulary=vocabulary, token_pattern=
    TOKEN_PATTERN, ngram_range=(1, longest), lowercase=lowercase).transform(texts)``: texts are
    tokenised once and tokens mapped to integer ids; the vocabulary's phrases form a trie of
    ids, walked for every start position at once, one word per step, by looking up the
    integer key (state, next id) in the sorted keys of that step.
    """

    def __init__(self, vocabulary: Sequence[str], lowercase: bool) -> None:
        self.size = len(vocabulary)
        self.lowercase = lowercase
        self._pattern = re.compile(TOKEN_PATTERN)
        self._joined_pattern = re.compile(TOKEN_PATTERN + "|" + SEPARATOR)
        self._ids: dict[str, int] = {}
        phrases = [entry.split(" ") for entry in vocabulary]
        for words in phrases:
            for word in words:
                self._ids.setdefault(word, len(self._ids))
        self._unknown = len(self._ids)  # the id of every token outside the vocabulary
        self._joined_ids = {**self._ids, SEPARATOR: _SEPARATOR_ID}
        self._base = self._unknown + 1
        self.longest = max((len(words) for words in phrases), default=1)
        states: dict[tuple[int, ...], int] = {(): 0}
        steps: list[dict[int, int]] = [{} for _ in range(self.longest)]
        entry_of: dict[int, int] = {}
        for entry, words in enumerate(phrases):
            ids = tuple(self._ids[w] for w in words)
            for length in range(1, len(ids) + 1):
                prefix = ids[:length]
                if prefix not in states:
                    states[prefix] = len(states)
                    key = states[ids[: length - 1]] * self._base + ids[length - 1]
                    steps[length - 1][key] = states[prefix]
            entry_of[states[ids]] = entry
        if len(states) * self._base >= 2**62:
            raise ValueError(f"vocabulary too large for integer n-gram keys: {len(states)} states")
        self._entry = np.full(len(states), -1, dtype=np.int64)
        for state, entry in entry_of.items():
            self._entry[state] = entry
        self._steps = [
            (np.array(sorted(step), dtype=np.int64),
             np.array([step[k] for k in sorted(step)], dtype=np.int64))
            for step in steps
        ]  # fmt: skip

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(n_texts, len(vocabulary)) integer counts, canonical CSR."""
        joined = join_texts(texts)
        if joined is not None:
            return self.counts_joined(joined, len(texts))
        find = self._pattern.findall
        tokens = [find(t.lower() if self.lowercase else t) for t in texts]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        flat = list(chain.from_iterable(tokens))
        ids = np.fromiter(
            map(self._ids.get, flat, repeat(self._unknown)), dtype=np.int64, count=len(flat)
        )
        owner = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
        return self._count_ids(ids, owner, len(texts))

    def counts_joined(self, joined: str, n: int) -> sp.csr_matrix:
        """:meth:`counts` of the ``n`` texts of ``joined`` (from :func:`join_texts`): one
        regex pass and one lookup over the whole batch instead of one per text. Tokens never
        span the separator (it is neither a word character nor ``$``), so the tokens are
        those of each text in turn."""
        if self.lowercase:
            joined = joined.lower()  # character by character, as each text's own lower()
        flat = self._joined_pattern.findall(joined)
        ids = np.fromiter(
            map(self._joined_ids.get, flat, repeat(self._unknown)), dtype=np.int64,
            count=len(flat),
        )  # fmt: skip
        separator = ids == _SEPARATOR_ID
        owner = np.cumsum(separator)[~separator]
        return self._count_ids(ids[~separator], owner, n)

    def _count_ids(self, ids: np.ndarray, owner: np.ndarray, n: int) -> sp.csr_matrix:
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        # start positions still inside the trie, and their state after `length` words
        start = np.flatnonzero(ids != self._unknown)
        state = np.zeros(len(start), dtype=np.int64)
        for length, (keys, targets) in enumerate(self._steps, start=1):
            end = start + length - 1
            inside = end < len(ids)
            start, state, end = start[inside], state[inside], end[inside]
            inside = owner[end] == owner[start]
            start, state, end = start[inside], state[inside], end[inside]
            if len(start) == 0 or len(keys) == 0:
                break
            wanted = state * self._base + ids[end]
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            match = keys[at] == wanted
            start, state = start[match], targets[at[match]]
            entry = self._entry[state]
            found = entry >= 0
            rows.append(owner[start[found]])
            cols.append(entry[found])
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        out = sp.csr_matrix((np.ones(len(row), dtype=np.int64), (row, col)), shape=(n, self.size))
        out.sum_duplicates()
        return out


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching exactly ``words``, as a trie of shared prefixes.

    Python's ``re`` tries the branches of ``a|b|...`` one by one at every position; a trie
    tries one character at a time, which made the lexicon's marking about 3x faster. Each
    use here is followed by ``\\s+`` and no word contains white space, so a match always
    ends at the first white space and the set of matches is the plain alternation's.
    """
    root: dict[str, dict[str, Any]] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return "(?:" + body + ")?"
        return body

    return "(?:" + pattern(root) + ")"


class LexiconSentiment:
    """Vectorised VADER-lexicon sentiment. ``compound(texts)`` gives one score in [-1, 1] each."""

    def __init__(self) -> None:
        lexicon, negate, boosters, n_scalar = _vader()
        words = [w for w in lexicon if re.fullmatch(r"[\w']+", w)]
        valence = np.array([lexicon[w] for w in words])
        vocab = words + ["neg_" + w for w in words]
        self.weights = np.concatenate([valence, valence * n_scalar])
        self._boost = {w.lower(): b for w, b in boosters.items() if re.fullmatch(r"[\w']+", w)}
        boosted = [f"{b}_{w}" for b in ("up", "down") for w in words]
        up = max(v for v in self._boost.values() if v > 0)
        down = min(v for v in self._boost.values() if v < 0)
        self.weights = np.concatenate(
            [self.weights, valence + np.sign(valence) * up, valence + np.sign(valence) * down]
        )
        self.vocabulary = vocab + boosted
        # the fast counter; ``vectorizer`` is the reference (rated.py's reference features)
        self.counter = NgramCounter(self.vocabulary, lowercase=False)
        # each negator with and without its apostrophe ("don't", "dont")
        negators = {form for n in negate for form in (n, n.replace("'", ""))}
        self._negation = re.compile(
            r"\b(?:" + _trie(negators) + r"|\w+n't)\s+([\w']+)(?:\s+([\w']+))?"
        )
        ups = [w for w, v in self._boost.items() if v > 0]
        downs = [w for w, v in self._boost.items() if v < 0]
        self._up = re.compile(r"\b" + _trie(ups) + r"\s+(?=[\w'])")
        self._down = re.compile(r"\b" + _trie(downs) + r"\s+(?=[\w'])")

    @cached_property
    def vectorizer(self) -> CountVectorizer:
        """scikit-learn's counter of the same vocabulary: the reference for tests."""
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(
            vocabulary=self.vocabulary, token_pattern=TOKEN_PATTERN, lowercase=False
        )

    def _mark(self, text: str) -> str:
        text = text.lower()
        text = self._negation.sub(_negated, text)
        text = self._up.sub(" up_", text)
        return self._down.sub(" down_", text)

    def marked_counts(self, texts: Sequence[str], counter: NgramCounter) -> sp.csr_matrix:
        """``counter.counts`` of the negation-marked texts, marked in one pass over the batch
        (the marks never span :data:`SEPARATOR`; equal to marking each text)."""
        joined = join_texts(texts)
        if joined is None:
            return counter.counts([self._mark(t) for t in texts])
        return counter.counts_joined(self._mark(joined), len(texts))

    def valence_sum(self, texts: Sequence[str]) -> np.ndarray:
        """Sum of word valences per text (before normalisation)."""
        counts = self.marked_counts(texts, self.counter)
        return np.asarray(counts @ self.weights).ravel()

    def compound(self, texts: Sequence[str]) -> np.ndarray:
        """VADER-style compound score per text, in [-1, 1]."""
        s = self.valence_sum(texts)
        return np.asarray(s / np.sqrt(s * s + _VADER_ALPHA))


def _negated(m: re.Match[str]) -> str:
    return " neg_" + m.group(1) + (" neg_" + m.group(2) if m.group(2) else "")


def polarity_of(compound: np.ndarray) -> np.ndarray:
    """'positive' / 'negative' / 'neutral' from compound scores with VADER's cut-offs."""
    out = np.full(compound.shape, "neutral", dtype=object)
    out[compound >= POSITIVE_THRESHOLD] = "positive"
    out[compound <= NEGATIVE_THRESHOLD] = "negative"
    return out


def _forms(seed: str) -> list[str]:
    """A seed and its plural/verb forms (only the last word is inflected)."""
    seed = " ".join(re.findall(TOKEN_PATTERN, seed.lower()))
    if not seed:
        return []
    if not seed[-1].isalpha():
        return [seed]
    base = seed[:-1] if seed.endswith("e") else seed
    return sorted({seed, seed + "s", seed + "es", base + "ed", base + "ing"})


class SeedMatcher:
    """Counts seed phrases per label: ``scores(texts)`` is an (n_texts, n_labels) array."""

    def __init__(self, labels: LabelSet) -> None:
        self.labels = labels
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        signs: list[float] = []
        for j, label in enumerate(labels.labels):
            forms = {f for seed in label.seeds for f in _forms(seed)}
            # an excluded phrase cancels the seed inside it: weight -1, scores clipped at 0
            excluded = {f for phrase in label.exclude for f in _forms(phrase)} - forms
            for form, sign in [(f, 1.0) for f in sorted(forms)] + [
                (f, -1.0) for f in sorted(excluded)
            ]:
                i = vocab.setdefault(form, len(vocab))
                rows.append(i)
                cols.append(j)
                signs.append(sign)
        self.max_words = max((len(v.split()) for v in vocab), default=1)
        self.counter = NgramCounter(sorted(vocab, key=vocab.__getitem__), lowercase=True)
        self.weights = sp.csr_matrix(
            (np.asarray(signs), (rows, cols)), shape=(len(vocab), len(labels.labels))
        )

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        counts = self.counter.counts(texts)
        return np.asarray(np.maximum(np.asarray((counts @ self.weights).todense()), 0.0))

    def detect(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean (n_texts, n_labels): a label is present when one of its seeds occurs.

        A fallback label is present when no other label is. A single-label set keeps only the
        label with most seed hits (first label on ties).
        """
        return decide(self.scores(texts), self.labels)


def decide(scores: np.ndarray, labels: LabelSet, threshold: float = 0.0) -> np.ndarray:
    """Boolean labels from scores: above ``threshold``; fallback / single-label rules applied.

    A single-label set keeps only its best-scoring label. The (first) fallback label is given
    to texts that got no other label.
    """
    n = scores.shape[0]
    fallback = np.array([label.fallback for label in labels.labels])
    masked = np.where(fallback[None, :], -np.inf, scores)
    if labels.multi:
        present = masked > threshold
    else:
        best = masked.argmax(axis=1)
        hit = masked[np.arange(n), best] > threshold
        present = np.zeros(scores.shape, dtype=bool)
        present[np.arange(n)[hit], best[hit]] = True
    if fallback.any():
        none = ~present.any(axis=1)
        present[none, int(np.argmax(fallback))] = True
    return present


# Breaks: white space after . ! ? ; and "but", "however", "although" between white space.
# Written to start with \s, which lets the regex engine skip to white space (2.7x faster than
# the plain alternation "(?<=[.!?;])\s+|\s+but\s+|\s+however,?\s+|\s+although\s+", with
# the same matches: tests/test_text_tagger.py)
_CLAUSE_BREAK = re.compile(r"\s(?:(?<=[.!?;]\s)\s*|\s*(?:but|however,?|although)\s+)", re.I)


_PIECE_BREAK = "\x01"
_PIECES = re.compile("([" + SEPARATOR + _PIECE_BREAK + "])")


def split_joined(
    texts: Sequence[str], pattern: re.Pattern[str], keep: Callable[[str], bool]
) -> tuple[list[str], np.ndarray] | None:
    """``pattern.split`` of every text in one pass over the batch: the pieces ``keep`` accepts
    (a text with none is its own piece) and each piece's text, in order; None if a text
    contains one of the two control characters used to join the batch.

    Each break is replaced by one character, then the joined batch is cut at it and at the
    text separator (no break spans the separator; ``pattern`` never matches empty)."""
    joined = join_texts(texts)
    if joined is None or _PIECE_BREAK in joined:
        return None
    parts = _PIECES.split(pattern.sub(_PIECE_BREAK, joined))
    # parts alternate piece, delimiter, piece...: a piece's text is the number of text
    # separators before it
    pieces = parts[0::2]
    owner = np.zeros(len(pieces), dtype=np.int64)
    delimiters = parts[1::2]  # (not via a NumPy string array: it drops trailing NULs)
    is_text_end = np.fromiter(map(SEPARATOR.__eq__, delimiters), dtype=bool, count=len(delimiters))
    owner[1:] = np.cumsum(is_text_end)
    kept = np.fromiter(map(keep, pieces), dtype=bool, count=len(pieces))
    chosen = [p for p, k in zip(pieces, kept, strict=True) if k]
    has = np.bincount(owner[kept], minlength=len(texts)) > 0
    if has.all():
        return chosen, owner[kept]
    # a text without a kept piece is its own piece, in its place
    extra = np.flatnonzero(~has)
    owners = np.concatenate([owner[kept], extra])
    order = np.argsort(owners, kind="stable")
    pool = chosen + [texts[int(i)] for i in extra]
    return [pool[i] for i in order], owners[order]


def _nonblank(piece: str) -> bool:
    return bool(piece) and not piece.isspace()


def split_clauses(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Clauses of each text and, for each clause, the index of its text."""
    joined = split_joined(texts, _CLAUSE_BREAK, _nonblank)
    if joined is not None:
        return joined
    clauses: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = [p for p in _CLAUSE_BREAK.split(text) if p and p.strip()] or [text]
        clauses.extend(parts)
        owner.extend([i] * len(parts))
    return clauses, np.asarray(owner, dtype=np.int64)


def aspect_compound(
    texts: Sequence[str], matcher: SeedMatcher, lexicon: LexiconSentiment
) -> np.ndarray:
    """(n_texts, n_labels) compound sentiment of the clauses that mention each label.

    Labels not mentioned in any clause (and fallback labels) get the whole text's compound.
    """
    clauses, owner = split_clauses(texts)
    valence = lexicon.valence_sum(clauses)
    hits = matcher.scores(clauses) > 0
    n, k = len(texts), len(matcher.labels.labels)
    sums = np.zeros((n, k))
    np.add.at(sums, owner, hits * valence[:, None])
    mentioned = np.zeros((n, k), dtype=bool)
    np.logical_or.at(mentioned, owner, hits)
    whole = np.zeros(n)
    np.add.at(whole, owner, valence)
    out = np.where(mentioned, sums, whole[:, None])
    return out / np.sqrt(out * out + _VADER_ALPHA)


class ClauseScores:
    """One pass of seed counting and lexicon scoring over the clauses of a batch of texts.

    ``hits`` is (n_clauses, n_labels) seed counts of ``matcher``; ``valence`` the lexicon sum
    per clause; ``owner`` the text of each clause. Text-level figures are sums over clauses, so
    the batch is vectorised twice in all, whatever the number of label sets.
    """

    def __init__(
        self, texts: Sequence[str], matcher: SeedMatcher, lexicon: LexiconSentiment
    ) -> None:
        clauses, self.owner = split_clauses(texts)
        self.n_texts = len(texts)
        self.hits = matcher.scores(clauses)
        self.valence = lexicon.valence_sum(clauses)
        self._sum = sp.csr_matrix(
            (np.ones(len(clauses)), (self.owner, np.arange(len(clauses)))),
            shape=(self.n_texts, len(clauses)),
        )

    def text_scores(self, columns: slice) -> np.ndarray:
        """(n_texts, labels in ``columns``) seed counts per text."""
        return np.asarray(self._sum @ self.hits[:, columns])

    def text_compound(self) -> np.ndarray:
        s = np.asarray(self._sum @ self.valence).ravel()
        return np.asarray(s / np.sqrt(s * s + _VADER_ALPHA))

    def aspect_compound(self, columns: slice) -> np.ndarray:
        """Like :func:`aspect_compound`, for the labels in ``columns``."""
        hits = self.hits[:, columns] > 0
        sums = np.asarray(self._sum @ (hits * self.valence[:, None]))
        mentioned = np.asarray(self._sum @ hits) > 0
        whole = np.asarray(self._sum @ self.valence).ravel()
        out = np.where(mentioned, sums, whole[:, None])
        return np.asarray(out / np.sqrt(out * out + _VADER_ALPHA))

    def any_in_clause(self, columns: slice, column: int, partners: tuple[int, ...]) -> np.ndarray:
        """(n_texts,) whether one clause holds a seed of ``column`` and one of ``partners``
        (positions within ``columns``)."""
        hits = self.hits[:, columns] > 0
        both = hits[:, column] & hits[:, list(partners)].any(axis=1)
        return np.asarray(self._sum @ both.astype(np.float64)).ravel() > 0
