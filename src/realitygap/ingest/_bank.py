"""The question bank from an export: questions for the columns of a survey-tool export that
a workspace without those questions does not know yet (the rules are in docs/formats.md).

A column's scale comes from two witnesses, the header and the answers, and is only taken
when they agree:

- the header may name a range ("0 to 10", "1-5", "1 – 7") or use a word that fixes the scale
  ("recommend" is the NPS question; "easy", "effort" or "difficult" on a 7-point item is CES);
  an explicit range outranks a word;
- the answers name a scale when they reach its top and stay inside it, with at least two
  different answers: 0/1 is ``binary``, up to 5 ``likert5``, up to 7 ``likert7`` (``ces7``
  with CES wording), up to 10 ``nps``; ``Yes``/``No`` answers are ``binary`` (1/0);
- answers of several words (or a tool's open-ended column) make a ``text`` question.

When the two disagree, or neither says anything (only 3 and 4 seen), the scale is ambiguous:
an error naming the column and the values seen, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from realitygap.domain.scales import SCALES, ScaleKind

GENERATED_FILE = "questions.generated.csv"
YES_NO = ("yes", "no")
SETTLE = "add the question to the question bank with its scale, or import questions first"

_RANGE = re.compile(r"(?<![0-9])([01])\s*(?:to|-|–|—|and)\s*(10|[1-9])(?![0-9])", re.IGNORECASE)
_RANGES = {(0, 10): ScaleKind.NPS, (1, 5): ScaleKind.LIKERT5, (1, 7): ScaleKind.LIKERT7}
_CES_WORDS = re.compile(r"\b(eas(y|ier|ily|e)|effort\w*|difficult\w*)\b", re.IGNORECASE)
_NPS_WORD = re.compile(r"\brecommend\w*\b", re.IGNORECASE)
_FREE_TEXT_WORDS = 4  # an answer of this many words or more is free text, not a choice label


@dataclass(frozen=True)
class Inferred:
    """A column's scale and why, or ``problem`` (what the error says) when it is ambiguous."""

    scale: ScaleKind | None
    reason: str
    problem: str | None = None


def _family(kind: ScaleKind) -> ScaleKind:
    return ScaleKind.LIKERT7 if kind == ScaleKind.CES7 else kind


def _seven(text: str) -> ScaleKind:
    return ScaleKind.CES7 if _CES_WORDS.search(text) else ScaleKind.LIKERT7


def _header_scale(text: str) -> tuple[ScaleKind | None, str]:
    """The scale the header names, and the words that name it."""
    for match in _RANGE.finditer(text):
        low, high = int(match.group(1)), int(match.group(2))
        if (low, high) in _RANGES:
            kind = _RANGES[(low, high)]
            return (_seven(text) if kind == ScaleKind.LIKERT7 else kind), repr(match.group(0))
    if word := _NPS_WORD.search(text):
        return ScaleKind.NPS, repr(word.group(0))
    return None, ""


def _answer_scale(values: list[float]) -> ScaleKind | None:
    """The scale whose top the answers reach without leaving it (two different answers)."""
    if len(values) < 2 or any(v % 1 for v in values):
        return None
    low, high = min(values), max(values)
    if set(values) == {0.0, 1.0}:
        return ScaleKind.BINARY
    for kind in (ScaleKind.LIKERT5, ScaleKind.LIKERT7, ScaleKind.NPS):
        scale = SCALES[kind]
        if high == scale.high and low >= scale.low:
            return kind
    return None


def seen(values: list[float]) -> str:
    """The distinct answers, for a message: '1, 3, 5' (at most 12 shown)."""
    shown = [f"{v:g}" for v in values[:12]]
    return ", ".join(shown) + (", ..." if len(values) > 12 else "") if shown else "none"


def infer_numeric(text: str, numbers: pd.Series) -> Inferred:
    """The scale of a column of numeric answers (``numbers`` without empty cells)."""
    values = sorted(set(numbers.tolist()))
    by_header, words = _header_scale(text)
    by_answers = _answer_scale(values)
    answers = f"answers {seen(values)}"
    if by_header is None and by_answers is None:
        return Inferred(
            None,
            "",
            f"a scale the answers or the header settle: the answers ({seen(values)}) do not "
            "reach the top of a scale (1 binary, 5 likert5, 7 likert7/ces7, 10 nps) and the "
            f"header names none; {SETTLE}",
        )
    if by_header is not None and by_answers is not None:
        if _family(by_header) != _family(by_answers):
            return Inferred(
                None,
                "",
                f"a scale the answers and the header agree on: the header says {by_header} "
                f"({words}), the answers ({seen(values)}) say {by_answers}; {SETTLE}",
            )
        return Inferred(by_header, f"{words} in the text, {answers}")
    if by_header is not None:
        return Inferred(by_header, f"{words} in the text, {answers}")
    assert by_answers is not None
    kind = _seven(text) if by_answers == ScaleKind.LIKERT7 else by_answers
    why = " and CES wording" if kind == ScaleKind.CES7 else ""
    return Inferred(kind, f"{answers}{why}")


def is_yes_no(answers: pd.Series) -> bool:
    """Every answer is Yes or No (any case), and there is one."""
    folded = answers.astype(str).str.strip().str.casefold()
    return len(folded) > 0 and bool(folded.isin(YES_NO).all())


def is_free_text(answers: pd.Series) -> bool:
    """Some answer has several words: a comment, not a choice label (a store, a region)."""
    words = answers.astype(str).str.count(r"\S+")
    return bool((words >= _FREE_TEXT_WORDS).any())


def question_id(name: str, taken: set[str]) -> str:
    """An id for a new question from its column's name: ASCII lower case, digits and ``_``,
    starting with a letter, at most 40 characters (cut after a whole word), not in ``taken``
    (lower case); a clash gets ``_2``, ``_3``."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^0-9a-z]+", "_", ascii_text.casefold()).strip("_")
    if len(slug) > 40:  # cut at a word boundary where there is one
        cut = slug[:41].rfind("_")
        slug = slug[: cut if cut > 0 else 40]
    if not slug or not slug[0].isalpha():
        slug = f"q_{slug}".strip("_")
    out, n = slug, 2
    while out in taken:
        out, n = f"{slug}_{n}", n + 1
    return out
