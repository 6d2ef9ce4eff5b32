"""The Reality Check report: HTML (self-contained), PDF and XLSX from the same sections."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from realitygap.analysis.weighting import Raking
from realitygap.report.model import Omitted, Report, Section
from realitygap.report.render import render_html, write_pdf, write_xlsx
from realitygap.report.sections import BUILDERS, Context, methods_section
from realitygap.store.atomic import atomic_write
from realitygap.store.workspace import Workspace


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None
    xlsx: Path | None
    sections: tuple[str, ...]
    omitted: tuple[str, ...]


def build(ws: Workspace, *, weights: Raking | None = None) -> Report:
    """Run every analysis and assemble the report (sections without data become one line);
    ``weights`` rake the customers in the headline, the NPS and the perception gap."""
    ctx = Context(ws, methods=[], weights=weights)
    parts: list[Section | Omitted] = [builder(ctx) for builder in BUILDERS]
    parts.append(methods_section(ctx))
    return Report(
        title="Reality Check",
        subtitle=f"What your customers say and do, against what you believe — {ws.path.name}",
        parts=tuple(parts),
    )


def write_report(
    ws: Workspace,
    html: Path,
    *,
    pdf: Path | None = None,
    xlsx: Path | None = None,
    weights: Raking | None = None,
) -> ReportFiles:
    """Run every analysis and write the report files (see :func:`save`)."""
    return save(build(ws, weights=weights), html, pdf=pdf, xlsx=xlsx)


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
