"""Text analytics of comments, reviews and tickets, offline.

Tagging (:mod:`.tagger`): sentiment, touchpoints with their sentiment, senses, layer and a flag
for complaints about staff attitude, zero-shot from the taxonomy or trained on the user's
labels, on a fast path (n-grams, vaderSentiment's lexicon) or an accurate one (adds MiniLM
embeddings). Storing tags in the workspace (:mod:`.store`), themes (:mod:`.themes`).
Personal data is redacted by :mod:`realitygap.domain.privacy`.
"""

from __future__ import annotations

from realitygap.analysis.text.labels import Label, LabelSet
from realitygap.analysis.text.store import TagRun, tag_workspace, train_workspace
from realitygap.analysis.text.tagger import DocumentTagger, TextPath, TrainedModels, train
from realitygap.analysis.text.themes import Theme, ThemesResult, discover_themes

__all__ = [
    "DocumentTagger",
    "Label",
    "LabelSet",
    "TagRun",
    "TextPath",
    "Theme",
    "ThemesResult",
    "TrainedModels",
    "discover_themes",
    "tag_workspace",
    "train",
    "train_workspace",
]
