"""The report as data: sections made of blocks, rendered to HTML, PDF and XLSX alike.

Section builders never write HTML: they return blocks, and one autoescaping template renders
them, so customer text can only ever appear as text. Only chart SVG (made by vl-convert from
our own specs) is inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from realitygap.analysis import Estimate


@dataclass(frozen=True)
class Headline:
    text: str
    detail: str = ""


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Fig:
    """An estimate in a table cell: the HTML shows ``value (low to high)``, the spreadsheet
    four numeric columns (value, low, high, n) with ``digits`` decimals. ``scale`` turns a
    share into a percentage (100) with ``unit`` "%"."""

    estimate: Estimate
    digits: int = 1
    scale: float = 1.0
    unit: str = ""


@dataclass(frozen=True)
class P:
    """A p-value in a table cell: ``< 0.001`` or ``0.042`` (a number in the spreadsheet)."""

    value: float | None


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame
    note: str = ""
    sheet: str = ""  # short name of its spreadsheet sheet (with the section's)
    # Holds customer ids or customer text: left out for dashboard roles without verbatim access.
    personal: bool = False


@dataclass(frozen=True)
class Point:
    """One finding of the executive summary: the sentence, its evidence, owner, next step."""

    text: str
    evidence: tuple[str, ...] = ()
    owner: str = ""
    action: str = ""
    kind: str = "fact"


@dataclass(frozen=True)
class Points:
    title: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str  # says what the chart shows
    svg: str  # produced by realitygap.report.charts from our own Vega-Lite specs
    alt: str = ""  # alternative text: what the chart shows, in words


@dataclass(frozen=True)
class Quote:
    text: str  # untrusted customer text, already redacted
    meta: str = ""


@dataclass(frozen=True)
class Quotes:
    title: str
    quotes: tuple[Quote, ...]


Block = Headline | Para | Table | Chart | Quotes | Points


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]
    sheet: str = ""  # short name used in the spreadsheet's sheet names

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Chart))


@dataclass(frozen=True)
class Omitted:
    """A section the workspace has no data for: shown as one line, not as an empty section."""

    id: str
    title: str
    reason: str


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    parts: tuple[Section | Omitted, ...] = field(default=())
    confidence: float = 0.95
    min_n: int = 30

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(p for p in self.parts if isinstance(p, Section))

    @property
    def omitted(self) -> tuple[Omitted, ...]:
        return tuple(p for p in self.parts if isinstance(p, Omitted))
