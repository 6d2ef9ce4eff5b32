"""Answer scales: their valid values and what counts as top box, bottom box, promoter.

Every scale is closed and integer-valued except ``text``. The definitions follow common
practice: NPS promoters 9-10 and detractors 0-6 (Reichheld 2003); top-2-box on Likert scales;
CES 7-point with 7 = "very easy"; Kano answers coded 1 = like, 2 = expect (must be),
3 = neutral, 4 = can live with, 5 = dislike (Berger et al. 1993).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScaleKind(StrEnum):
    NPS = "nps"
    LIKERT5 = "likert5"
    LIKERT7 = "likert7"
    CES7 = "ces7"
    BINARY = "binary"
    KANO_FUNCTIONAL = "kano_functional"
    KANO_DYSFUNCTIONAL = "kano_dysfunctional"
    TEXT = "text"


@dataclass(frozen=True)
class Scale:
    """A closed integer scale ``low..high`` with its top and bottom boxes (inclusive bounds)."""

    kind: ScaleKind
    low: int
    high: int
    top_box_from: int
    bottom_box_to: int

    @property
    def points(self) -> int:
        return self.high - self.low + 1

    def contains(self, value: float) -> bool:
        return float(value).is_integer() and self.low <= value <= self.high

    def describe(self) -> str:
        return f"an integer from {self.low} to {self.high} ({self.kind.value} scale)"


SCALES: dict[ScaleKind, Scale] = {
    # NPS: top box = promoters (9-10), bottom box = detractors (0-6)
    ScaleKind.NPS: Scale(ScaleKind.NPS, 0, 10, top_box_from=9, bottom_box_to=6),
    ScaleKind.LIKERT5: Scale(ScaleKind.LIKERT5, 1, 5, top_box_from=4, bottom_box_to=2),
    ScaleKind.LIKERT7: Scale(ScaleKind.LIKERT7, 1, 7, top_box_from=6, bottom_box_to=2),
    ScaleKind.CES7: Scale(ScaleKind.CES7, 1, 7, top_box_from=6, bottom_box_to=2),
    ScaleKind.BINARY: Scale(ScaleKind.BINARY, 0, 1, top_box_from=1, bottom_box_to=0),
    ScaleKind.KANO_FUNCTIONAL: Scale(ScaleKind.KANO_FUNCTIONAL, 1, 5, 1, 5),
    ScaleKind.KANO_DYSFUNCTIONAL: Scale(ScaleKind.KANO_DYSFUNCTIONAL, 1, 5, 1, 5),
}

# Scales whose answers are ratings (ordered, "higher is better"): the items that metrics,
# the gap, the audit and the driver analysis read.
RATED_SCALES = (
    ScaleKind.NPS,
    ScaleKind.LIKERT5,
    ScaleKind.LIKERT7,
    ScaleKind.CES7,
    ScaleKind.BINARY,
)

NPS_PROMOTER_FROM = 9
NPS_DETRACTOR_TO = 6


def scale_for(kind: ScaleKind | str) -> Scale | None:
    """The closed scale of ``kind``, or None for free text."""
    return SCALES.get(ScaleKind(kind))
