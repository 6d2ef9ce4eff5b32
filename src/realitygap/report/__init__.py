"""The Reality Check report: HTML (self-contained), PDF and XLSX from the same sections."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from realitygap.analysis import RealityCheck
from realitygap.report.model import Omitted, Report, Section
from realitygap.report.render import render_html, write_pdf, write_xlsx
from realitygap.report.sections import BUILDERS, methods_section
from realitygap.store.atomic import atomic_write


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None
    xlsx: Path | None
    sections: tuple[str, ...]
    omitted: tuple[str, ...]


def build(check: RealityCheck) -> Report:
    """The report of a Reality Check (:func:`realitygap.analysis.reality_check`): every
    section rendered from the check, sections without data as one line."""
    parts: list[Section | Omitted] = [builder(check) for builder in BUILDERS]
    parts.append(methods_section(check))
    return Report(
        title="Reality Check",
        subtitle=f"What your customers say and do, against what you believe — {check.workspace}",
        parts=tuple(parts),
        confidence=check.confidence,
        min_n=check.min_n,
    )


def write_report(
    check: RealityCheck,
    html: Path,
    *,
    pdf: Path | None = None,
    xlsx: Path | None = None,
) -> ReportFiles:
    """Render a Reality Check and write the report files (see :func:`save`)."""
    return save(build(check), html, pdf=pdf, xlsx=xlsx)


def save(
    report: Report, html: Path, *, pdf: Path | None = None, xlsx: Path | None = None
) -> ReportFiles:
    """Write a built report; returns the paths and which sections are in or out."""
    text = render_html(report)
    atomic_write(html, text)  # a kill or a full disk leaves the previous report whole
    if pdf is not None:
        write_pdf(text, pdf)
    if xlsx is not None:
        write_xlsx(report, xlsx)
    return ReportFiles(
        html,
        pdf,
        xlsx,
        tuple(s.id for s in report.sections),
        tuple(o.id for o in report.omitted),
    )


__all__ = ["ReportFiles", "build", "save", "write_report"]
