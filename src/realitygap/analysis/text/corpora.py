"""Readers for labelled aspect-sentiment corpora in the SemEval / MAMS XML formats.

:func:`read_absa_xml` returns one row per sentence with its aspect categories and their
polarities, whichever of the three layouts the file uses (SemEval-2014 ``aspectCategory``,
SemEval-2016 ``Opinion``, MAMS ``aspectCategory``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AbsaSentence:
    """A sentence and its gold ``(category, polarity)`` pairs (unique categories, in order)."""

    id: str
    text: str
    aspects: tuple[tuple[str, str], ...]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.aspects)


def read_absa_xml(path: Path) -> list[AbsaSentence]:
    """Every sentence of a SemEval-2014/2016 or MAMS XML file (sentences without text skipped).

    For SemEval-2016 a category named twice in a sentence (two targets) counts once, with the
    polarity of its first opinion, as in the official slot 1 scoring of categories per sentence.
    """
    root = ET.parse(path).getroot()
    out: list[AbsaSentence] = []
    for i, sentence in enumerate(root.iter("sentence")):
        text = sentence.findtext("text")
        if not text:
            continue
        seen: dict[str, str] = {}
        for el in [*sentence.iter("aspectCategory"), *sentence.iter("Opinion")]:
            category = el.get("category")
            if category and category not in seen:
                seen[category] = el.get("polarity", "")
        out.append(AbsaSentence(sentence.get("id", str(i)), text, tuple(seen.items())))
    return out
