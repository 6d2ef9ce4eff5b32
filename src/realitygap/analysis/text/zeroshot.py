"""Zero-shot labelling: no labelled data, only the labels' names, descriptions and seeds.

- fast path: a label is present when one of its seed phrases occurs (:class:`SeedMatcher`).
- accurate path: each label gets a prototype vector, the normalised mean of the MiniLM
  embeddings of its description sentence and of each seed phrase; a label is present when a
  seed occurs *or* the text is closer to the label's prototype than to the centroid of all
  prototypes by at least ``MARGIN`` in cosine similarity. (Seeds alone miss paraphrases;
  similarity alone misses short, specific mentions; raw cosine is not comparable across
  texts, the margin over the centroid is.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.fast import SeedMatcher, decide
from realitygap.analysis.text.labels import LabelSet

# How much closer (in cosine) a text must be to a label's prototype than to the centroid of all
# prototypes. Chosen once on the SemEval-2014 *training* sentences (grid 0 to 0.2 in steps of
# 0.05: F1 0.692, 0.777, 0.770, 0.761, 0.759; seeds alone 0.758; see docs/text.md) and used
# for every label set since; never tuned on a test set.
MARGIN = 0.05


class SeedZeroShot:
    """Fast zero-shot: seed phrase matching."""

    def __init__(self, labels: LabelSet) -> None:
        self.labels = labels
        self.matcher = SeedMatcher(labels)

    def scores(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        seed_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        return self.matcher.scores(texts) if seed_scores is None else seed_scores

    def detect(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        seed_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        return decide(self.scores(texts, embeddings, seed_scores), self.labels)


class EmbeddingZeroShot:
    """Accurate zero-shot: seed matches or cosine similarity to label prototypes."""

    def __init__(self, labels: LabelSet, embedder: Embedder, margin: float = MARGIN) -> None:
        self.labels = labels
        self.embedder = embedder
        self.margin = margin
        self.matcher = SeedMatcher(labels)
        protos = []
        for label in labels.labels:
            vecs = embedder.encode([label.prompt, *label.seeds])
            mean = vecs.mean(axis=0)
            protos.append(mean / np.linalg.norm(mean))
        self.prototypes = np.stack(protos)
        centroid = self.prototypes.mean(axis=0)
        self.centroid = centroid / np.linalg.norm(centroid)

    def relative_cosine(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n_texts, n_labels) cosine to each prototype minus cosine to the centroid."""
        emb = self.embedder.encode(texts) if embeddings is None else embeddings
        return np.asarray(emb @ self.prototypes.T - (emb @ self.centroid)[:, None])

    def scores(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        seed_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """Relative cosine, raised to 1 where a seed occurs (so a seed hit always counts).

        ``seed_scores`` are the texts' seed counts if already counted (the tagger counts them
        clause by clause, as the fast path does)."""
        rel = self.relative_cosine(texts, embeddings)
        seeds = self.matcher.scores(texts) if seed_scores is None else seed_scores
        return np.where(seeds > 0, 1.0, rel)

    def detect(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        seed_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        scores = self.scores(texts, embeddings, seed_scores)
        return decide(scores, self.labels, threshold=self.margin)
