"""A few lines per section of a built report, for the terminal (what `realitygap demo` prints)."""

from __future__ import annotations

import pandas as pd

from realitygap.report.model import Headline, Para, Quotes, Report, Section, Table


def _table(section: Section, starts: str) -> pd.DataFrame | None:
    return next(
        (b.frame for b in section.blocks if isinstance(b, Table) and b.title.startswith(starts)),
        None,
    )


def _top_rows(frame: pd.DataFrame | None, columns: list[str], n: int = 3) -> list[str]:
    if frame is None or frame.empty:
        return []
    return ["  " + " | ".join(str(row[c]) for c in columns) for _, row in frame.head(n).iterrows()]


def summary_lines(report: Report) -> list[str]:
    """The headline of each section and its top items: blind spots, verdicts, drivers, themes
    with a quote each, Kano alarms, recovery and listening; then what was left out."""
    lines: list[str] = []
    for section in report.sections:
        if section.id == "methods":
            continue
        lines.append(f"[{section.title}]")
        lines.extend(f"  {b.text}" for b in section.blocks if isinstance(b, Headline))
        if section.id == "gap":
            spots = _table(section, "Blind spots")
            lines.append("  Top blind spots (staff predict / customers say / gap):")
            lines.extend(_top_rows(spots, ["item", "text", "staff", "customers", "gap"]))
        elif section.id == "audit":
            items = _table(section, "Verdict per item")
            if items is not None:
                flagged = items[items["verdict"] != "discriminating"]
                lines.extend(_top_rows(flagged, ["item", "verdict", "reason"], 5))
        elif section.id == "drivers":
            lines.extend(
                _top_rows(_table(section, "Drivers"), ["rank", "item", "text", "importance"])
            )
        elif section.id == "text":
            quotes = {b.title: b.quotes for b in section.blocks if isinstance(b, Quotes)}
            themes = _table(section, "Themes")
            for _, row in (themes.head(3) if themes is not None else pd.DataFrame()).iterrows():
                lines.append(f"  {row['theme']}: NPS impact {row['NPS impact (points)']}")
                said = quotes.get(f"In their words: {row['theme']}", ())
                if said:
                    lines.append(f'    "{said[0].text}"')
        else:
            lines.extend(f"  {b.text}" for b in section.blocks if isinstance(b, Para))
    for part in report.omitted:
        lines.append(f"[{part.title}] left out: {part.reason}")
    return lines
