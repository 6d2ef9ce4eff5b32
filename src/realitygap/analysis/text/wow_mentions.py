"""Surprise-and-delight mentions in free text: a wow moment recognised in a comment.

A rule-based recogniser, small enough to read whole. A *cue* marks the mention:

- ``surprised me/us/... with X``, ``(nice|lovely|pleasant|...) surprise``, ``pleasantly
  surprised (by X)``;
- ``went above and beyond``, ``went the extra mile``;
- ``an unexpected X`` (X not a charge, fee, delay or problem);
- ``complimentary X``, ``a free X``, ``for free``, ``free of charge``, ``on the house``;
- ``threw in a X``.

The moment's name is the noun phrase the cue introduces (``X``: up to four words, stopping at
punctuation or a linking word such as "for", "and", "which"), lower-cased without its article:
"they surprised us with a free dessert for my daughter's birthday" names "free dessert".
A cue that names nothing gives :data:`UNNAMED`.

Kept simple and honest, not clever:

- **negation**: a negator ("not", "no", "never", "n't", "without", "nothing") among the four
  words before the cue, in the same clause, drops the mention ("they did not surprise us with
  anything", "no complimentary water");
- **sarcasm**: a cue inside quotation marks ('"complimentary" water'), or with "so-called",
  "yeah right" or "supposedly" in its clause, drops the mention. Irony without such a marker is
  not detected: "what a lovely surprise, the flight was cancelled" counts. Its precision on
  real reviews is measured in tests/test_wow_mentions.py.

>>> [(m.cue, m.name) for m in recognise("They surprised us with a free dessert for my birthday!")]
[('surprised with', 'free dessert')]
>>> recognise("They did not surprise us with anything.")
()
>>> [m.name for m in recognise("The staff went above and beyond.")]
['text: unnamed surprise']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

UNNAMED = "text: unnamed surprise"

_OBJ = r"(?:me|us|him|her|them|my\s+\w+|our\s+\w+)"
_NAME = r"(?P<name>[a-z][a-z'\-]*(?:\s+[a-z][a-z'\-]*){0,5})"
_ART = r"(?:(?:a|an|the|some|this|these|my|our|with|by)\s+)?"
# (cue label, pattern); the pattern's group ``name`` (if any) is the moment's name
_CUES: tuple[tuple[str, str], ...] = (
    ("surprised with", rf"\bsurprised?\s+{_OBJ}\s+with\s+{_ART}{_NAME}"),
    ("surprised with", rf"\bsurprised?\s+{_OBJ}\s+by\s+(?:giving|bringing|sending)\s+"
     rf"(?:{_OBJ}\s+)?{_ART}{_NAME}"),
    ("pleasant surprise",
     r"\b(?:nice|lovely|pleasant|wonderful|great|happy|delightful|sweet|welcome|"
     r"pleasant little|lovely little|nice little)\s+surprise\b"),
    ("pleasantly surprised", rf"\bpleasantly\s+surprised(?:\s+(?:with|by)\s+{_ART}{_NAME})?"),
    ("above and beyond", rf"\bwent\s+(?:above\s+and\s+beyond|the\s+extra\s+mile)"
     rf"(?:\s+(?:with|by\s+giving\s+{_OBJ})\s+{_ART}{_NAME})?"),
    ("above and beyond", r"\babove\s+and\s+beyond\b"),
    ("unexpected", rf"\b(?:an\s+)?unexpected(?:ly)?\s+{_NAME}"),
    ("complimentary", rf"\bcomplimentary\s+{_NAME}"),
    ("threw in", rf"\bthrew\s+in\s+(?:a|an|some)\s+{_NAME}"),
    ("free", rf"\b(?:a|an)\s+free\s+{_NAME}"),
    ("free", r"\b(?:for\s+free|free\s+of\s+charge|on\s+the\s+house)\b"),
)  # fmt: skip
PATTERNS = tuple((cue, re.compile(p)) for cue, p in _CUES)
# cheap pre-filter (a regular expression an engine can run): documents without it have no cue
PREFILTER = (
    r"surprise|above and beyond|extra mile|unexpected|complimentary|free|on the house|threw in"
)

# a name stops at the first of these words (the rest says for whom, when or why)
_STOP = frozenset(
    [
        "for",
        "and",
        "but",
        "which",
        "that",
        "when",
        "to",
        "with",
        "by",
        "as",
        "at",
        "in",
        "on",
        "from",
        "so",
        "because",
        "while",
        "who",
        "after",
        "before",
        "during",
        "was",
        "were",
        "is",
        "are",
        "it",
        "this",
        "they",
        "we",
        "i",
        "my",
        "our",
        "how",
        "what",
        "its",
        "their",
        "his",
    ]
)
_NEGATORS = frozenset(
    ["not", "no", "never", "without", "nothing", "none", "nobody", "neither", "nor"]
)
_SARCASM = ("so-called", "so called", "yeah right", "supposedly")
# "unexpected"/"free" followed by these is not a delight
_NOT_DELIGHT = frozenset(
    [
        "charge",
        "charges",
        "fee",
        "fees",
        "cost",
        "costs",
        "delay",
        "delays",
        "problem",
        "problems",
        "issue",
        "issues",
        "bill",
        "extra",
        "extras",
        "turbulence",
        "cancellation",
        "error",
        "errors",
        "wait",
        "change",
        "changes",
    ]
)
# "a free X" where X is a routine offer or a brand, not a gesture
_STANDARD_FREE = frozenset(["shipping", "delivery", "returns", "return", "people", "trial"])
_CLAUSE = re.compile(r"[.!?;]|\bbut\b|\bhowever\b")
_NAME_ARTICLES = ("a ", "an ", "the ", "some ", "this ", "these ", "my ", "our ")
_QUOTES = "\"'“”‘’"


@dataclass(frozen=True)
class Mention:
    """One surprise-and-delight mention: its cue, the moment's name and where it sits."""

    cue: str
    name: str
    start: int
    end: int


def _clause_before(text: str, start: int) -> str:
    head = text[:start]
    cuts = [m.end() for m in _CLAUSE.finditer(head)]
    return head[cuts[-1] :] if cuts else head


def _clause_after(text: str, end: int) -> str:
    m = _CLAUSE.search(text, end)
    return text[end : m.start()] if m else text[end:]


def _negated(before: str) -> bool:
    words = re.findall(r"[a-z']+", before)[-4:]
    return any(w in _NEGATORS or w.endswith("n't") for w in words)


def _sarcastic(text: str, start: int, end: int, clause: str) -> bool:
    first = re.match(r"[a-z]+", text[start:])
    after_first = start + (first.end() if first else 0)
    quoted = (start > 0 and text[start - 1] in _QUOTES) or (
        after_first < len(text) and text[after_first] in _QUOTES
    )
    return quoted or any(s in clause for s in _SARCASM)


def _name(raw: str | None) -> str | None:
    if not raw:
        return None
    words: list[str] = []
    for w in raw.split():
        if w in _STOP:
            break
        words.append(w)
        if len(words) == 4:
            break
    name = " ".join(words)
    for article in _NAME_ARTICLES:
        if name.startswith(article):
            name = name[len(article) :]
    return name or None


def recognise(text: str) -> tuple[Mention, ...]:
    """The surprise-and-delight mentions of one text, in order, at most one per place."""
    low = text.lower()
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for cue, pattern in PATTERNS:
        for m in pattern.finditer(low):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            before = _clause_before(low, start)
            after = _clause_after(low, end)
            if _negated(before) or _sarcastic(low, start, end, before + low[start:end] + after):
                continue
            raw = m.groupdict().get("name")
            name = _name(raw)
            if name is not None and name.split()[0] in _NOT_DELIGHT:
                continue
            if name is not None and cue == "free" and name.split()[0] in _STANDARD_FREE:
                continue
            optional = cue in ("above and beyond", "pleasantly surprised")
            if name is None and not optional and "name" in pattern.groupindex:
                continue  # "surprised me with how rude...", "complimentary." name nothing
            if cue == "free" and name is not None and cue not in name.split():
                name = f"free {name}"
            taken.append((start, end))
            found.append(Mention(cue, name or UNNAMED, start, end))
    return tuple(sorted(found, key=lambda x: x.start))


def recognise_all(texts: Iterable[str]) -> pd.DataFrame:
    """Every mention of every text: columns ``row`` (position in ``texts``), cue, name,
    start, end; one row per mention."""
    rows = [
        (i, x.cue, x.name, x.start, x.end)
        for i, text in enumerate(texts)
        for x in recognise(str(text))
    ]
    return pd.DataFrame(rows, columns=["row", "cue", "name", "start", "end"])
