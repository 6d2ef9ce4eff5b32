"""Tag documents: sentiment, touchpoints (with their sentiment), senses, layer, staff attitude.

:class:`DocumentTagger` works on one batch of texts at a time and returns two frames:

- documents: ``row`` (position in the batch), ``sentiment`` (negative/neutral/positive),
  ``sentiment_score`` (lexicon compound in [-1, 1], or the supervised model's P(positive) -
  P(negative)), ``layer`` (hospitality/service/experience or None), ``staff_attitude`` (bool);
- aspects: ``row``, ``aspect_kind`` (touchpoint/sense), ``aspect`` (id), ``score`` (seed count,
  cosine similarity or model probability), ``sentiment`` (of the clauses naming a touchpoint;
  None for senses).

Two paths: ``fast`` (seeds, lexicon, n-gram models) and ``accurate`` (adds MiniLM embeddings).
Zero-shot by default; after :func:`train` the trained parts replace the zero-shot ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.fast import (
    ClauseScores,
    LexiconSentiment,
    SeedMatcher,
    aspect_compound,
    decide,
    polarity_of,
)
from realitygap.analysis.text.labels import (
    ATTITUDE_ALONE,
    ATTITUDE_CONTEXT_EXCLUDED,
    ATTITUDE_CONTEXT_WORDS,
    ATTITUDE_NEGATED,
    ATTITUDE_STYLE,
    ATTITUDE_TONE_WORDS,
    ATTITUDE_WORDS,
    SENTIMENTS,
    STAFF_DENIED_WORDS,
    STAFF_IMPROVE_WORDS,
    STAFF_WORDS,
    Label,
    LabelSet,
    layer_labels,
    sense_labels,
    touchpoint_labels,
)
from realitygap.analysis.text.rated import shipped as shipped_rated
from realitygap.analysis.text.zeroshot import EmbeddingZeroShot, SeedZeroShot
from realitygap.domain.taxonomy import Taxonomy

if TYPE_CHECKING:  # the supervised models (scikit-learn) are imported when trained or loaded
    from realitygap.analysis.text.supervised import (
        AspectPolarityModel,
        Features,
        MultiLabelModel,
        SingleLabelModel,
    )


class TextPath(StrEnum):
    FAST = "fast"
    ACCURATE = "accurate"


# staff attitude: words that criticise by themselves; words that need a person; the words for
# people; praise denied or hostile treatment, and calls for better staff, both needing a person
# in the same clause; words that need a person and a clause that is not praise; "attitude" in a
# clause that is not praise (columns 0-6 of the "flag" set)
_ATTITUDE = LabelSet(
    "flag",
    (
        Label("staff_attitude", "staff attitude", seeds=ATTITUDE_WORDS, exclude=ATTITUDE_NEGATED),
        Label(
            "staff_attitude_context",
            "staff attitude",
            seeds=ATTITUDE_CONTEXT_WORDS,
            exclude=ATTITUDE_CONTEXT_EXCLUDED,
        ),
        Label("staff_person", "staff", seeds=STAFF_WORDS),
        Label("staff_denied", "staff attitude", seeds=STAFF_DENIED_WORDS),
        Label("staff_improve", "staff should improve", seeds=STAFF_IMPROVE_WORDS),
        Label("staff_attitude_tone", "staff attitude", seeds=ATTITUDE_TONE_WORDS),
        Label(
            "staff_attitude_alone", "staff attitude", seeds=ATTITUDE_ALONE, exclude=ATTITUDE_STYLE
        ),
    ),
)


# clause tone (VADER compound) from which a context word's clause is praise, not criticism
_PRAISE_TONE = 0.25

# The accurate path's margins over the prototypes' centroid (zeroshot.py), per label set:
# chosen on the development half of the tag evaluation set (docs/text.md, "Tags on real
# reviews"; grid 0.05, 0.08, 0.10, 0.12, 0.15, 0.18, 0.20, 0.25, the smallest of the best):
# touchpoint micro-F1 0.767 at 0.05 (the SemEval-chosen default) to 0.885 at 0.18; sense
# micro-F1 0.733 to 0.854 at 0.15; layer accuracy 0.775 to 0.785 at 0.08. Seeds (counted clause by
# clause, as on the fast path) always count; the embedding adds a label only when the text is
# clearly nearer its prototype.
ACCURATE_MARGINS = {"touchpoint": 0.18, "sense": 0.15, "layer": 0.08}


@dataclass
class TrainedModels:
    """What ``text train`` learned; any field may be None (that part stays zero-shot)."""

    path: TextPath
    features: Features
    sentiment: SingleLabelModel | None = None
    touchpoints: MultiLabelModel | None = None
    touchpoint_polarity: AspectPolarityModel | None = None
    senses: MultiLabelModel | None = None
    layer: SingleLabelModel | None = None
    staff_attitude: SingleLabelModel | None = None
    trained_on: int = 0
    parts: tuple[str, ...] = field(default=())


def model_name(path: TextPath, trained: TrainedModels | None) -> str:
    """The ``model`` a document tagged on ``path`` with ``trained`` (or zero-shot) is stored
    with: ``fast-zero-shot``, ``fast-supervised``, ``accurate-zero-shot``..."""
    return f"{path.value}-{'supervised' if trained else 'zero-shot'}"


class DocumentTagger:
    """Tags batches of texts with the workspace taxonomy's labels."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        path: TextPath = TextPath.FAST,
        trained: TrainedModels | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.path = path
        self.trained = trained
        self.touchpoints = touchpoint_labels(taxonomy)
        self.senses = sense_labels()
        self.layers = layer_labels(taxonomy)
        self.lexicon = LexiconSentiment()
        self.embedder = embedder or (Embedder() if path is TextPath.ACCURATE else None)
        # every label set's seeds in one matcher: a batch is vectorised once for all of them
        sets = (self.touchpoints, self.senses, self.layers, _ATTITUDE)
        self._combined = SeedMatcher(
            LabelSet("all", tuple(label for s in sets for label in s.labels))
        )
        bounds = np.cumsum([0] + [len(s.labels) for s in sets])
        self._columns = {
            s.kind: slice(int(a), int(b)) for s, a, b in zip(sets, bounds, bounds[1:], strict=False)
        }
        if self.embedder is not None:
            self._zs: dict[str, SeedZeroShot | EmbeddingZeroShot] = {
                s.kind: EmbeddingZeroShot(s, self.embedder, margin=ACCURATE_MARGINS[s.kind])
                for s in (self.touchpoints, self.senses, self.layers)
            }
        else:
            self._zs = {
                s.kind: SeedZeroShot(s) for s in (self.touchpoints, self.senses, self.layers)
            }

    @property
    def model_name(self) -> str:
        return model_name(self.path, self.trained)

    def tag(self, texts: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Tag one batch; returns (documents, aspects) as described in the module docstring."""
        texts = list(texts)
        n = len(texts)
        emb = self.embedder.encode(texts) if self.embedder is not None else None
        trained = self.trained
        x = trained.features.transform(texts, emb) if trained else None
        clauses = ClauseScores(texts, self._combined, self.lexicon)

        if trained and trained.sentiment and x is not None:
            proba = trained.sentiment.proba(x)
            classes = list(trained.sentiment.classes)
            sentiment = np.asarray(trained.sentiment.predict(x), dtype=object)
            score = _column(proba, classes, "positive") - _column(proba, classes, "negative")
        else:
            # document sentiment from the model trained on real star ratings (rated.py), with
            # its MiniLM head on the accurate path; clause-level sentiment stays the lexicon's
            score = shipped_rated().score(texts, emb)
            sentiment = polarity_of(score)

        tp_scores, tp_present = self._multi("touchpoint", self.touchpoints, texts, emb, x, clauses)
        se_scores, se_present = self._multi("sense", self.senses, texts, emb, x, clauses)
        local = clauses.aspect_compound(self._columns["touchpoint"])
        tp_sent = polarity_of(local)
        if trained and trained.touchpoint_polarity and x is not None:
            pair_rows, pair_cols = np.nonzero(tp_present)
            tp_sent[pair_rows, pair_cols] = trained.touchpoint_polarity.predict(
                x, pair_rows, pair_cols, local
            )

        if trained and trained.layer and x is not None:
            layer = np.asarray(trained.layer.predict(x), dtype=object)
        else:
            seeds = clauses.text_scores(self._columns["layer"])
            present = (
                self._zs["layer"].detect(texts, emb, seeds)
                if self.embedder is not None
                else decide(seeds, self.layers)
            )
            layer = np.where(
                present.any(axis=1),
                np.asarray(self.layers.ids, dtype=object)[present.argmax(1)],
                np.array(None, dtype=object),
            )

        if trained and trained.staff_attitude and x is not None:
            staff = np.asarray(trained.staff_attitude.predict(x)).astype(str) == "True"
        else:
            hits = clauses.text_scores(self._columns["flag"]) > 0
            tone = clauses.aspect_compound(self._columns["flag"])
            # "rude", "surly" need nothing else; "unhelpful", "did not bother" need a person
            # named in the review; "ignored", "attitude" also a clause that is not praise
            # ("great attitude" is praise; a neutral clause still counts)
            staff = hits[:, 0] | (hits[:, 1] & hits[:, 2])
            staff |= hits[:, 5] & hits[:, 2] & (tone[:, 5] < _PRAISE_TONE)
            staff |= hits[:, 6] & (tone[:, 6] < _PRAISE_TONE)
            # "the reps were no help", "some bs from a guy at the door": in a clause naming a
            # person; "these attendants need some happiness", "their attitude towards
            # passengers needs to be improved": a call for better staff in a clause naming a
            # person or an attitude word
            staff |= clauses.any_in_clause(self._columns["flag"], 3, (2,))
            staff |= clauses.any_in_clause(self._columns["flag"], 4, (1, 2, 3, 5))
        # a complaint about attitude is a hospitality matter whatever else it mentions
        layer = np.where(staff, "hospitality", layer)

        documents = pd.DataFrame(
            {
                "row": np.arange(n),
                "sentiment": sentiment,
                "sentiment_score": np.asarray(score, dtype=float),
                "layer": layer,
                "staff_attitude": staff.astype(bool),
            }
        )
        aspects = pd.concat(
            [
                _long(tp_present, tp_scores, self.touchpoints, "touchpoint", tp_sent),
                _long(se_present, se_scores, self.senses, "sense", None),
            ],
            ignore_index=True,
        )
        return documents, aspects

    def _multi(
        self,
        kind: str,
        labels: LabelSet,
        texts: list[str],
        emb: np.ndarray | None,
        x: object,
        clauses: ClauseScores,
    ) -> tuple[np.ndarray, np.ndarray]:
        model: MultiLabelModel | None = getattr(
            self.trained, "touchpoints" if kind == "touchpoint" else "senses", None
        )
        if model is not None and x is not None:
            return model.proba(x), model.predict(x)  # type: ignore[arg-type]
        seeds = clauses.text_scores(self._columns[kind])
        if self.embedder is None:
            return seeds, decide(seeds, labels)
        zs = self._zs[kind]
        return zs.scores(texts, emb, seeds), zs.detect(texts, emb, seeds)


def _column(proba: np.ndarray, classes: list[str], name: str) -> np.ndarray:
    return proba[:, classes.index(name)] if name in classes else np.zeros(proba.shape[0])


def _long(
    present: np.ndarray,
    scores: np.ndarray,
    labels: LabelSet,
    kind: str,
    sentiment: np.ndarray | None,
) -> pd.DataFrame:
    rows, cols = np.nonzero(present)
    return pd.DataFrame(
        {
            "row": rows,
            "aspect_kind": kind,
            "aspect": np.asarray(labels.ids, dtype=object)[cols],
            "score": scores[rows, cols].astype(float),
            "sentiment": sentiment[rows, cols] if sentiment is not None else None,
        }
    )


def train(
    taxonomy: Taxonomy,
    examples: pd.DataFrame,
    path: TextPath = TextPath.FAST,
    embedder: Embedder | None = None,
) -> TrainedModels:
    """Train the tagger's parts from labelled examples (see :func:`read_labels`).

    ``examples`` has ``text`` and any of: ``sentiment`` (str), ``touchpoints`` (list of
    (id, polarity or None)), ``senses`` (list of ids), ``layer`` (str), ``staff_attitude``
    (bool). Rows where a column is missing do not train that part.
    """
    from realitygap.analysis.text.supervised import (
        AspectPolarityModel,
        Features,
        MultiLabelModel,
        SingleLabelModel,
    )

    texts = examples["text"].astype(str).tolist()
    if path is TextPath.ACCURATE and embedder is None:
        embedder = Embedder()
    emb = embedder.encode(texts) if embedder is not None else None
    # the seeds of every label set become features: domain knowledge small label files lack
    sets = (touchpoint_labels(taxonomy), sense_labels(), layer_labels(taxonomy), _ATTITUDE)
    seeds = LabelSet("all", tuple(label for s in sets for label in s.labels))
    features = Features(use_embeddings=emb is not None, seeds=seeds).fit(texts)
    x = features.transform(texts, emb)
    out = TrainedModels(path=path, features=features, trained_on=len(texts))
    parts: list[str] = []

    def single(column: str) -> SingleLabelModel | None:
        if column not in examples:
            return None
        known = examples[column].notna().to_numpy()
        y = examples.loc[known, column].astype(str)
        if y.nunique() < 2:
            return None
        parts.append(column)
        return SingleLabelModel().fit(x[known], y.tolist())

    out.sentiment = single("sentiment")
    out.layer = single("layer")
    out.staff_attitude = single("staff_attitude")
    tps = touchpoint_labels(taxonomy)
    if "touchpoints" in examples:
        known = examples["touchpoints"].notna().to_numpy()
        lists = examples.loc[known, "touchpoints"].tolist()
        index = {t: j for j, t in enumerate(tps.ids)}
        y = np.zeros((len(lists), len(index)), dtype=bool)
        rows, cols, pol = [], [], []
        for i, pairs in enumerate(lists):
            for tp, polarity in pairs:
                y[i, index[tp]] = True
                if polarity:
                    rows.append(i)
                    cols.append(index[tp])
                    pol.append(polarity)
        out.touchpoints = MultiLabelModel(tps.ids).fit(x[known], y)
        parts.append("touchpoints")
        if len(set(pol)) >= 2:
            known_texts = [t for t, k in zip(texts, known, strict=True) if k]
            local = aspect_compound(known_texts, SeedMatcher(tps), LexiconSentiment())
            out.touchpoint_polarity = AspectPolarityModel(tps.ids).fit(
                x[known], np.array(rows), np.array(cols), local, pol
            )
            parts.append("touchpoint_sentiment")
    if "senses" in examples:
        known = examples["senses"].notna().to_numpy()
        ids = sense_labels().ids
        y = np.array(
            [[s in set(v) for s in ids] for v in examples.loc[known, "senses"]], dtype=bool
        ).reshape(-1, len(ids))
        out.senses = MultiLabelModel(ids).fit(x[known], y)
        parts.append("senses")
    out.parts = tuple(parts)
    return out


__all__ = ["SENTIMENTS", "DocumentTagger", "TextPath", "TrainedModels", "train"]
