"""The Reality Check for the terminal (what `realitygap demo` prints): every finding, section
by section, and the sections left out with their reason. Nothing here reads a rendered table."""

from __future__ import annotations

from realitygap.analysis import RealityCheck
from realitygap.report.sections import TITLES


def summary_lines(check: RealityCheck) -> list[str]:
    """One heading per section, its findings below it; then what was left out and why."""
    lines: list[str] = []
    for section, title in TITLES.items():
        found = check.findings_of(section)
        if found:
            lines.append(f"[{title}]")
            lines.extend(f"  {f.text}" for f in found)
    for section, reason in check.omitted.items():
        lines.append(f"[{TITLES.get(section, section)}] left out: {reason}")
    return lines
