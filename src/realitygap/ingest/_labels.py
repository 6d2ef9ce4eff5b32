"""The answer labels survey tools write instead of numbers, per scale, read without a mapping.

Qualtrics, SurveyMonkey, Google Forms and Typeform export a choice's text ("Very satisfied",
"Strongly agree", "Extremely likely") unless told to export numbers. The common label sets of
each scale are listed here, with the number each stands for: the satisfaction and agreement
sets in their 5- and 7-point wordings (SurveyMonkey's and Qualtrics' defaults), and the two
anchors of the 0-10 recommendation question, whose other choices are exported as numbers.
A mapping file's ``[values]`` come first, so a survey that words them otherwise still imports.
"""

from __future__ import annotations

import pandas as pd

from realitygap.domain.scales import ScaleKind


def _five(negative: str, positive: str, neutral: str) -> dict[str, float]:
    """A 5-point set: very/extremely negative 1 ... very/extremely positive 5."""
    labels = {neutral: 3.0, "neutral": 3.0}
    for strong in ("very", "extremely", "strongly"):
        labels[f"{strong} {negative}"] = 1.0
        labels[f"{strong} {positive}"] = 5.0
    for mild in ("", "somewhat "):
        labels[f"{mild}{negative}"] = 2.0
        labels[f"{mild}{positive}"] = 4.0
    return labels


def _seven(negative: str, positive: str, neutral: str) -> dict[str, float]:
    """A 7-point set: very/extremely 1 and 7, moderately or plain 2 and 6, slightly or
    somewhat 3 and 5, the neutral middle 4."""
    labels = {neutral: 4.0, "neutral": 4.0}
    for strong in ("very", "extremely", "strongly", "completely"):
        labels[f"{strong} {negative}"] = 1.0
        labels[f"{strong} {positive}"] = 7.0
    for middle in ("", "moderately ", "mostly "):
        labels[f"{middle}{negative}"] = 2.0
        labels[f"{middle}{positive}"] = 6.0
    for mild in ("slightly ", "somewhat "):
        labels[f"{mild}{negative}"] = 3.0
        labels[f"{mild}{positive}"] = 5.0
    return labels


_SATISFIED = ("dissatisfied", "satisfied", "neither satisfied nor dissatisfied")
_AGREE = ("disagree", "agree", "neither agree nor disagree")
_EASY = ("difficult", "easy", "neither easy nor difficult")

STANDARD_LABELS: dict[str, dict[str, float]] = {
    ScaleKind.LIKERT5.value: {**_five(*_SATISFIED), **_five(*_AGREE)},
    ScaleKind.LIKERT7.value: {**_seven(*_SATISFIED), **_seven(*_AGREE)},
    ScaleKind.CES7.value: {**_seven(*_AGREE), **_seven(*_EASY)},
    ScaleKind.NPS.value: {"not at all likely": 0.0, "extremely likely": 10.0},
}


def standard_label_numbers(values: pd.Series, scales: pd.Series) -> pd.Series:
    """The number of each value that is a standard label of its question's scale (case and
    surrounding spaces ignored); NaN elsewhere. ``values`` and ``scales`` are aligned."""
    folded = values.astype(str).str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
    numbers = pd.Series(float("nan"), index=values.index, dtype="float64")
    for scale, labels in STANDARD_LABELS.items():
        on = (scales == scale) & values.notna()
        if on.any():
            numbers[on] = folded[on].map(labels).astype("float64")
    return numbers


def labels_hint(scale: str) -> str:
    """What a user may write for ``scale`` besides numbers, for an error message."""
    if scale == ScaleKind.NPS.value:
        return "; or 'Not at all likely' (0), 'Extremely likely' (10)"
    if scale in STANDARD_LABELS:
        points = "5" if scale == ScaleKind.LIKERT5.value else "7"
        wordings = (
            "'Very dissatisfied' ... 'Very satisfied', 'Strongly disagree' ... 'Strongly agree'"
        )
        if scale == ScaleKind.CES7.value:
            wordings = "'Strongly disagree' ... 'Strongly agree', 'Very difficult' ... 'Very easy'"
        return (
            f"; or a {points}-point label ({wordings}); other labels: list them under [values] "
            "in a mapping file"
        )
    return ""


NPS_ANCHORS = STANDARD_LABELS[ScaleKind.NPS.value]
_SEVEN_ONLY = ("slightly ", "moderately ", "mostly ", "completely ")


def _fold(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def label_scale(answers: pd.Series) -> str | None:
    """The scale whose usual labels every answer is (``likert5`` or ``likert7``), or None.

    Labels of both sets are 7-point when one is only a 7-point label (``Slightly agree``) or
    when plain and ``Somewhat`` wordings of one side appear together (``Agree`` and ``Somewhat
    agree`` are 6 and 5 on seven points; a 5-point survey uses one of them for 4).
    """
    seen = {_fold(v) for v in answers}
    if not seen:
        return None
    five = seen <= STANDARD_LABELS[ScaleKind.LIKERT5.value].keys()
    seven = seen <= STANDARD_LABELS[ScaleKind.LIKERT7.value].keys()
    both_wordings = any(
        side in seen and f"somewhat {side}" in seen
        for side in ("satisfied", "dissatisfied", "agree", "disagree")
    )
    seven_only = both_wordings or any(v.startswith(_SEVEN_ONLY) for v in seen)
    if seven and (seven_only or not five):
        return ScaleKind.LIKERT7.value
    return ScaleKind.LIKERT5.value if five else None
