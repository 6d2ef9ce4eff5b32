"""Clause sentiment of themes, and the split of a theme whose documents both praise and complain.

Clause sentiment (:func:`clause_sentiment`): VADER's lexicon compound; where the lexicon finds
no sentiment (compound strictly between the neutral cut-offs, mostly 0: no lexicon word, as in
"the return label never arrived"), the shipped model trained on star ratings
(:mod:`.rated`) may find a complaint: the clause scores (stars - neutral stars) / 2 when that
is negative, else stays 0. The neutral stars are those the model gives a text with no word it
knows (3.43), not 3: its training reviews are mostly positive, so its prior is above 3 stars.
Only its complaints are taken because only they carry information
(``benchmarks/clause_sentiment_eval.py``, 3,295 airline tweets the lexicon finds neutral, gold
labels by annotators): of those it puts below its neutral point by 0.05 or more, 63% are
negative against 54% of all (882 of 1,396, Wilson 95% CI 61% to 66%); of those it puts above,
9% are positive against 6% of all (29 of 334, 6% to 12%), while 37% are negative. The model
learned its words from clothing reviews, so it does not know every service complaint: "still
waiting for my refund" reads 3.60 stars there ("waiting" has a small positive weight). A
lexicon-neutral clause naming a service failure (:data:`SERVICE_FAILURE`: still waiting, no
reply, on hold, never arrived, a lost bag, hours late, a cancelled flight) is therefore a
complaint of at least :data:`SERVICE_FAILURE_SCORE` whatever the model says. Only the
lexicon-neutral clauses are scored by the model, each distinct text once.

Polarity split (:func:`polarity_split`): clauses about one subject cluster together whatever
their verdict ("the staff were lovely", "staff were unfriendly"), so a theme can mix praise and
complaint. On the clustering sample, a theme is split in two when each side -- the documents
with a praising clause in the theme (clause sentiment >= 0.05) and those with a complaining one
(<= -0.05) -- holds at least ``MIN_SIDE_SHARE`` of the theme's documents and at least
``MIN_SIDE_DOCUMENTS`` documents. The theme's number stays with its larger side (the majority);
the other side gets a new number. Every clause of a split theme then goes to the side of its
sentiment, a neutral clause to the majority side, so each side's label (c-TF-IDF), quotes,
size, sentiment and NPS impact are over exactly its own clauses and documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from realitygap.analysis.text.fast import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, LexiconSentiment
from realitygap.analysis.text.rated import RatedSentiment
from realitygap.analysis.text.rated import shipped as shipped_rated

# A side must hold at least this share of the theme's sample documents, and this many of them,
# for the theme to split: a minority of one voice in seven is a view of its own, while a few
# stray clauses (a negation the lexicon misread) are not.
MIN_SIDE_SHARE = 0.15
MIN_SIDE_DOCUMENTS = 10

# Service failures said without a lexicon word, which the rated model, learned from clothing
# reviews, does not know. Written before they were checked, all kept: of the 3,295 airline
# tweets the lexicon scores neutral (annotators' labels), the 223 they match are negative in
# 212 (95%, Wilson 95% CI 91% to 97%) against 54% of all; the model alone called 110 of the
# 223 complaints (benchmarks/clause_sentiment_eval.py).
SERVICE_FAILURE = re.compile(
    "|".join(
        [
            r"\bstill waiting\b",
            r"\bwaiting (?:for|on) (?:(?:my|a|the|our|your|any) )?(?:refund|reply|response|answer"
            r"|call ?back|call|update|bags?|luggage|e-?mail|confirmation|voucher)",
            r"\b(?:never|still not|still haven'?t|haven'?t|hasn'?t|has not|have not|didn'?t"
            r"|did not) (?:arrived|received|got|gotten|heard back|come|came|been refunded"
            r"|responded|replied|shown up|showed up)",
            r"\bno (?:reply|response|answer|call ?back|update|refund)\b",
            r"\bon hold\b",
            r"\b(?:been|was|were) waiting (?:for )?(?:over |almost |nearly )?\d+ ?(?:hours?|hrs?"
            r"|minutes?|mins?|days?|weeks?)",
            r"\b(?:lost|missing|delayed) (?:(?:my|our) )?(?:bags?|luggage|baggage|parcel|package"
            r"|order)",
            r"\b\d+ ?(?:hours?|hrs?|days?) (?:late|delayed|later)\b",
            r"\bcancell?ed (?:(?:my|our) )?(?:flight|order)",
            r"\bwhere(?: is|'s) my\b",
        ]
    ),
    re.IGNORECASE,
)
# A mild complaint: past the cut-off (-0.05), short of a clause with one plainly negative
# lexicon word ("poor": -0.48), so it counts as a complaint without outweighing stated ones.
SERVICE_FAILURE_SCORE = -0.3


def rated_neutral_stars(model: RatedSentiment) -> float:
    """The stars ``model`` gives a text with no word it knows (the empty text)."""
    return float(model.stars([""])[0])


def clause_sentiment(
    texts: Sequence[str],
    lexicon: LexiconSentiment | None = None,
    rated: RatedSentiment | None = None,
) -> np.ndarray:
    """Sentiment in [-1, 1] of each clause: the lexicon compound, or where that is neutral the
    rated model's complaint, its stars below its neutral point, halved (module docstring)."""
    return clause_sentiment_parts(texts, lexicon, rated)[0]


def clause_sentiment_parts(
    texts: Sequence[str],
    lexicon: LexiconSentiment | None = None,
    rated: RatedSentiment | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clause_sentiment` and the lexicon compound it started from."""
    lexicon = lexicon or LexiconSentiment()
    lexical = np.asarray(lexicon.compound(texts), dtype=np.float64)
    score = lexical.copy()
    neutral = np.flatnonzero((score > NEGATIVE_THRESHOLD) & (score < POSITIVE_THRESHOLD))
    if len(neutral):
        model = rated or shipped_rated()
        stars = model.stars([str(texts[int(i)]) for i in neutral])
        # only a complaint is taken from the model (module docstring: its praise of
        # lexicon-neutral text is no better than chance)
        score[neutral] = np.clip((stars - rated_neutral_stars(model)) / 2.0, -1.0, 0.0)
        failed = neutral[[bool(SERVICE_FAILURE.search(str(texts[int(i)]))) for i in neutral]]
        score[failed] = np.minimum(score[failed], SERVICE_FAILURE_SCORE)
    return score, lexical


def side_of(score: np.ndarray) -> np.ndarray:
    """+1 praise, -1 complaint, 0 neutral (VADER's cut-offs)."""
    return np.where(
        score >= POSITIVE_THRESHOLD, 1, np.where(score <= NEGATIVE_THRESHOLD, -1, 0)
    ).astype(np.int8)


@dataclass(frozen=True)
class PolaritySplit:
    """Which themes split: theme -> (number of its minority side, that side's sign)."""

    minority: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def themes(self) -> int:
        """How many themes the split adds."""
        return len(self.minority)

    def undecided(self, theme: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """1.0 for a clause of a split theme (before :meth:`apply`) whose lexicon compound is
        neutral, else 0.0: its side rests on the rated model or on nothing."""
        split = np.isin(theme, list(self.minority))
        return np.asarray(split & (side_of(lexical) == 0), dtype=np.float64)

    def apply(self, theme: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Themes after the split: a clause of a split theme whose sentiment is on the
        minority side moves to that side's number; -1 (no theme) stays -1."""
        if not self.minority:
            return theme
        out = theme.copy()
        sides = side_of(score)
        for c, (new, sign) in self.minority.items():
            out[(theme == c) & (sides == sign)] = new
        return out


def polarity_split(
    theme: np.ndarray, score: np.ndarray, incidence: sp.csr_matrix, k: int
) -> PolaritySplit:
    """The split of the module docstring, decided on the sample.

    ``theme``: each distinct sample clause's theme (-1: none); ``score``: its sentiment;
    ``incidence``: sample documents x distinct clauses; ``k``: themes before the split (new
    numbers follow them)."""
    sides = side_of(score)
    n_clauses = len(theme)

    def documents(mask: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(mask)
        member = sp.csr_matrix((np.ones(len(rows)), (rows, theme[rows])), shape=(n_clauses, k))
        return np.asarray(((incidence @ member) > 0).sum(axis=0)).ravel()

    themed = theme >= 0
    total = documents(themed)
    praise = documents(themed & (sides == 1))
    complaint = documents(themed & (sides == -1))
    minority: dict[int, tuple[int, int]] = {}
    for c in range(k):
        smaller = min(praise[c], complaint[c])
        if total[c] == 0 or smaller < MIN_SIDE_DOCUMENTS or smaller < MIN_SIDE_SHARE * total[c]:
            continue
        # the theme keeps its number on the side with more documents (ties: praise keeps it)
        minority[c] = (k + len(minority), 1 if praise[c] < complaint[c] else -1)
    return PolaritySplit(minority)
