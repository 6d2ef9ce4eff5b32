"""Rendering is safe for untrusted customer text: HTML, PDF, XLSX, and in a real browser."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from realitygap.report.model import Headline, Quote, Quotes, Report, Section, Table
from realitygap.report.render import render_html, write_pdf, write_xlsx

SCRIPT = "<script>window.pwned = 1; console.error('pwned')</script>"
ONERROR = '<img src=x onerror="window.pwned = 2">'
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]


def _report() -> Report:
    quotes = tuple(Quote(t, meta="review") for t in [SCRIPT, ONERROR, *FORMULAS])
    table = pd.DataFrame({"comment": [SCRIPT, *FORMULAS], "n": range(6)})
    section = Section(
        "text",
        "What customers say",
        (Headline("Headline with <b>markup</b>"), Quotes("Quotes", quotes), Table("T", table)),
    )
    return Report("Reality Check", "test", (section,))


def test_html_escapes_customer_text() -> None:
    html = render_html(_report())
    assert "<script>window.pwned" not in html
    assert "&lt;script&gt;window.pwned = 1;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=" in html
    assert "<b>markup</b>" not in html


def test_xlsx_never_runs_customer_text_as_formula(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_xlsx(_report(), path)
    wb = openpyxl.load_workbook(path)
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    for formula in FORMULAS:
        assert formula in texts  # kept verbatim, as text
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    # no <f> (formula) element anywhere in the sheets' XML
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_pdf_shows_script_as_text(tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    write_pdf(render_html(_report()), pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) missing: run make sysdeps")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "<script>window.pwned = 1;" in text


@pytest.mark.browser
def test_browser_runs_nothing_from_customer_text(tmp_path: Path) -> None:
    from tests.browser import open_page

    html = tmp_path / "r.html"
    html.write_text(render_html(_report()), encoding="utf-8")
    with open_page(html) as (page, errors):
        assert page.evaluate("window.pwned === undefined")
        assert "<script>window.pwned" in page.inner_text("body")
        assert errors == []
