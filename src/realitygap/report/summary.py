"""The Reality Check for the terminal (what `realitygap demo` prints): every finding, section
by section, and the sections left out with their reason. Nothing here reads a rendered table."""

from __future__ import annotations

from realitygap.analysis import RealityCheck
from realitygap.analysis.findings import executive_summary
from realitygap.report.sections import TITLES


def summary_lines(check: RealityCheck) -> list[str]:
    """What matters most (the executive summary, with owner and next step), then one heading
    per section with its findings; then what was left out and why."""
    lines: list[str] = []
    top = executive_summary(check)
    if top:
        lines.append(f"[{TITLES['summary']}: what matters most]")
        for i, f in enumerate(top, start=1):
            lines.append(f"  {i}. {f.text}")
            if f.owner or f.action:
                owner = f"Suggested owner: {f.owner}. " if f.owner else ""
                lines.append(f"     {owner}Next step: {f.action or '-'}")
    for section, title in TITLES.items():
        found = check.findings_of(section)
        if found:
            lines.append(f"[{title}]")
            lines.extend(f"  {f.text}" for f in found)
    for section, reason in check.omitted.items():
        lines.append(f"[{TITLES.get(section, section)}] left out: {reason}")
    return lines
