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

from realitygap.report.model import Headline, Para, Quotes, Report, Table

# Spreadsheet programs run a cell as a formula when its text starts with one of these (OWASP
# "CSV injection"); such text is stored as an explicit string with a quote prefix.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:.2f}"
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("realitygap.report", "templates"),
        autoescape=True,  # every value is escaped; only our CSS and chart SVG are marked safe
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _cell
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

    weasyprint.HTML(string=html, url_fetcher=no_fetch).write_pdf(str(path))


def safe_cell_text(value: str) -> str:
    """Text safe for a spreadsheet cell: XML-illegal characters removed."""
    return _ILLEGAL_XML.sub("", value)


def write_xlsx(report: Report, path: Path) -> None:
    """One sheet per section; free text never runs as a formula."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    summary = wb.create_sheet("Contents")
    summary.append(["Reality Check", report.title])
    for part in report.parts:
        status = (
            "included" if part in report.sections else f"left out: {getattr(part, 'reason', '')}"
        )
        _append(summary, [part.title, status])
    for section in report.sections:
        ws = wb.create_sheet(_sheet_name(section.title, wb.sheetnames))
        for block in section.blocks:
            if isinstance(block, Table):
                ws.append([])
                title_row = ws.max_row + 1
                _append(ws, [block.title])
                ws.cell(title_row, 1).font = Font(bold=True)
                _append(ws, [str(c) for c in block.frame.columns])
                for row in block.frame.itertuples(index=False):
                    _append(ws, list(row))
            elif isinstance(block, Quotes):
                ws.append([])
                _append(ws, [block.title])
                for q in block.quotes:
                    _append(ws, [q.text, q.meta])
            elif isinstance(block, Headline | Para):
                _append(ws, [block.text])
        for i in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(i)].width = 18
    wb.save(str(path))


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
    base = re.sub(r"[\[\]\*\?/\\:]", " ", title)[:28].strip() or "Section"
    name, i = base, 2
    while name in taken:
        name, i = f"{base[:25]} {i}", i + 1
    return name
