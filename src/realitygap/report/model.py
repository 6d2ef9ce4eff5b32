"""The report as data: sections made of blocks, rendered to HTML, PDF and XLSX alike.

Section builders never write HTML: they return blocks, and one autoescaping template renders
them, so customer text can only ever appear as text. Only chart SVG (made by vl-convert from
our own specs) is inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Headline:
    text: str
    detail: str = ""


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: str  # produced by realitygap.report.charts from our own Vega-Lite specs


@dataclass(frozen=True)
class Quote:
    text: str  # untrusted customer text, already redacted
    meta: str = ""


@dataclass(frozen=True)
class Quotes:
    title: str
    quotes: tuple[Quote, ...]


Block = Headline | Para | Table | Chart | Quotes


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]

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
