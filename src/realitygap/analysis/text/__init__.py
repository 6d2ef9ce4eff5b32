"""Text analytics of comments, reviews and tickets, offline.

Tagging (:mod:`.tagger`): sentiment, touchpoints with their sentiment, senses, layer and a flag
for complaints about staff attitude, zero-shot from the taxonomy or trained on the user's
labels, on a fast path (n-grams, vaderSentiment's lexicon) or an accurate one (adds MiniLM
embeddings), and themes (:mod:`.themes`). Storing tags in the workspace is an action:
:mod:`realitygap.actions.text`.
Personal data is redacted by :mod:`realitygap.domain.privacy`.

The names below are imported on first use: worker processes that need only one module (the
embedding and tagging workers) then start without loading the workspace engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realitygap.analysis.text.labels import Label, LabelSet
    from realitygap.analysis.text.tagger import DocumentTagger, TextPath, TrainedModels, train
    from realitygap.analysis.text.themes import Theme, ThemesResult, discover_themes

_MODULE_OF = {
    "DocumentTagger": "tagger",
    "Label": "labels",
    "LabelSet": "labels",
    "TextPath": "tagger",
    "Theme": "themes",
    "ThemesResult": "themes",
    "TrainedModels": "tagger",
    "discover_themes": "themes",
    "train": "tagger",
}

__all__ = [
    "DocumentTagger",
    "Label",
    "LabelSet",
    "TextPath",
    "Theme",
    "ThemesResult",
    "TrainedModels",
    "discover_themes",
    "train",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
