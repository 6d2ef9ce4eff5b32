"""Render a :class:`~realitygap.report.model.Report` to HTML, PDF and XLSX."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from realitygap.analysis.findings import est_range, number
from realitygap.report.model import (
    Fig,
    Headline,
    P,
    Para,
    Points,
    Quotes,
    Report,
    Section,
    Table,
)
from realitygap.store.atomic import atomic_write

# Spreadsheet programs run a cell as a formula when its text starts with one of these (OWASP
# "CSV injection"); such text is stored as an explicit string with a quote prefix.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_text(value: Any) -> str:
    """One number format: fixed point (never scientific), p below 0.001 as ``< 0.001``."""
    if isinstance(value, Fig):
        return est_range(value.estimate, value.digits, value.scale, value.unit)
    if isinstance(value, P):
        if value.value is None or math.isnan(value.value):
            return "–"
        return "< 0.001" if value.value < 0.001 else f"{value.value:.3f}"
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return number(value, 0)
        return number(value, 2)
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("realitygap.report", "templates"),
        autoescape=True,  # every value is escaped; only our CSS and chart SVG are marked safe
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = cell_text
    return env


def render_html(report: Report) -> str:
    from realitygap import __version__

    css = resources.files("realitygap.report").joinpath("templates/report.css").read_text("utf-8")
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            css=css,
            version=__version__,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


def write_pdf(html: str, path: Path) -> None:
    """The PDF from the same HTML; WeasyPrint fetches nothing (no external resources)."""
    import weasyprint

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"external resource refused: {url}")

    document = weasyprint.HTML(string=html, url_fetcher=no_fetch)
    atomic_write(path, writer=lambda tmp: document.write_pdf(str(tmp)))  # never half a PDF


def safe_cell_text(value: str) -> str:
    """Text safe for a spreadsheet cell: XML-illegal characters removed."""
    return _ILLEGAL_XML.sub("", value)


def write_xlsx(report: Report, path: Path) -> None:
    """A contents sheet, every sentence on one sheet, then one sheet per table: a bold,
    frozen header row, every estimate as numeric columns (value, low, high, n) with a number
    format; free text never runs as a formula."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    contents = wb.create_sheet("Contents")
    _append(contents, ["Reality Check", report.subtitle])
    _append(contents, ["section", "status", "sheets"])
    _header(contents, 2)
    findings = wb.create_sheet("Findings")
    _append(findings, ["section", "finding", "evidence", "suggested owner", "next step"])
    _header(findings, 1)
    for part in report.parts:
        if part not in report.sections:
            _append(contents, [part.title, f"left out: {getattr(part, 'reason', '')}", ""])
            continue
        assert isinstance(part, Section)
        sheets: list[str] = []
        for block in part.blocks:
            if isinstance(block, Headline | Para):
                _append(findings, [part.title, block.text])
            elif isinstance(block, Points):
                for pt in block.points:
                    _append(
                        findings, [part.title, pt.text, "; ".join(pt.evidence), pt.owner, pt.action]
                    )
            elif isinstance(block, Table) and not block.frame.empty:
                name = _sheet_name(
                    f"{part.sheet or part.title} - {block.sheet or block.title}", wb.sheetnames
                )
                _table_sheet(wb.create_sheet(name), block)
                sheets.append(name)
            elif isinstance(block, Quotes):
                name = _sheet_name(f"{part.sheet or part.title} - quotes", wb.sheetnames)
                ws = wb.create_sheet(name)
                _append(ws, ["quote", "theme"])
                _header(ws, 1)
                for q in block.quotes:
                    _append(ws, [q.text, q.meta])
                ws.column_dimensions["A"].width = 80
                sheets.append(name)
        _append(contents, [part.title, "included", ", ".join(sheets)])
    for sheet, widths in ((contents, (40, 24, 60)), (findings, (28, 90, 60, 28, 60))):
        for i, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = w
    atomic_write(path, writer=lambda tmp: wb.save(str(tmp)))  # never half a workbook


def _header(ws: Any, row: int) -> None:
    for cell in ws[row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = f"A{row + 1}"  # a reference, so no empty cell is created below


def _table_sheet(ws: Any, table: Table) -> None:
    """The table with its title in a note row above the header; Fig columns expanded."""
    frame = table.frame
    header: list[str] = []
    formats: list[str | None] = []
    fmt: str | None
    for col in frame.columns:
        sample = next((v for v in frame[col] if v is not None), None)
        if isinstance(sample, Fig):
            unit = f" ({sample.unit.strip()})" if sample.unit.strip() else ""
            fmt = "0" if sample.digits == 0 else "0." + "0" * sample.digits
            header += [f"{col}{unit}", f"{col} low", f"{col} high", f"{col} n"]
            formats += [fmt, fmt, fmt, "#,##0"]
        else:
            header.append(str(col))
            formats.append("0.000" if isinstance(sample, P) else None)
    _append(ws, header)
    _header(ws, 1)
    for row in frame.itertuples(index=False):
        values: list[Any] = []
        for v in row:
            if isinstance(v, Fig):
                e = v.estimate
                scaled = [None if x is None else x * v.scale for x in (e.value, e.low, e.high)]
                values += [*scaled, e.n]
            elif isinstance(v, P):
                values.append(v.value)
            else:
                values.append(v)
        _append(ws, values)
    for i, fmt in enumerate(formats, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(60, len(header[i - 1]) + 4))
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
    if table.title or table.note:
        # what the sheet holds, beside the data (the header stays in row 1 to freeze it)
        note_col = len(header) + 2
        ws.cell(1, note_col, safe_cell_text(table.title)).font = Font(bold=True)
        if table.note:
            ws.cell(2, note_col, safe_cell_text(table.note))


def _append(ws: Any, values: list[Any]) -> None:
    row = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        if value is pd.NaT:
            value = None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if hasattr(value, "item") and callable(value.item):
            value = value.item()
        if isinstance(value, str):
            text = safe_cell_text(value)
            cell.value = text
            if text.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"  # stored as text, never as a formula
                cell.quotePrefix = True
        else:
            cell.value = value


def _sheet_name(title: str, taken: list[str]) -> str:
    """Excel's 31 characters, cut at a word boundary, unique in the workbook."""
    clean = re.sub(r"[\[\]\*\?/\\:']", " ", title)
    clean = re.sub(r"\s+", " ", clean).strip() or "Section"
    base = clean
    if len(base) > 31:
        base = base[:31].rsplit(" ", 1)[0].rstrip(" -,") or clean[:31]
    name, i = base, 2
    while name in taken:
        suffix = f" {i}"
        name, i = base[: 31 - len(suffix)].rstrip() + suffix, i + 1
    return name
