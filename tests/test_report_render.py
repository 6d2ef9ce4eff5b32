"""Rendering is safe for untrusted customer text: HTML, PDF, XLSX, and in a real browser."""

from __future__ import annotations

import re
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


def test_css_survives_rendering_fonts_and_page_numbers(tmp_path: Path) -> None:
    # The stylesheet is ours and must reach the browser unescaped: an escaped quote
    # (&#34;DejaVu Sans&#34;) makes every font fall back to serif and drops the @page rules.
    html = render_html(_report())
    assert 'font-family: "DejaVu Sans"' in html
    assert "&#34;" not in html.split("</style>")[0]
    pdf = tmp_path / "r.pdf"
    write_pdf(html, pdf)
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts (poppler-utils) missing: run make sysdeps")
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVuSans" in fonts.replace("-", "").replace(" ", "")
    assert "Serif" not in fonts  # nothing fell back to a serif face
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # the @page counter in the footer: "1 / 1" on a one-page report (pdftotext may drop spaces)
    assert re.search(r"^1\s*/\s*1$", text, re.MULTILINE)


def test_quadrant_labels_of_coincident_points_are_merged() -> None:
    from realitygap.report.charts import _merge_close_labels, axis_floor

    # three points on top of each other and one far away (span 10 x 10: close = 0.8 x 0.4)
    frame = pd.DataFrame(
        {"x": [0.1, 0.2, 0.0, 8.0], "y": [97.0, 97.1, 96.9, 55.0], "k": list("1234")}
    )
    merged = _merge_close_labels(frame, "x", "y", "k", (10.0, 10.0))
    assert sorted(merged["k"]) == ["1, 2, 3", "4"]
    # share axes start at 0 unless every value is above one half, then at a round cut
    assert axis_floor(pd.Series([0.3, 0.9])) == 0.0
    assert axis_floor(pd.Series([0.87, 1.0])) == pytest.approx(0.80)


def test_colour_legend_is_painted_in_the_pdf(tmp_path: Path) -> None:
    # A journey map whose marks all score 70 (a pale yellow): the legend's bar alone holds the
    # ends of the red-yellow-green scale, whose end colours are d3-scale-chromatic's RdYlGn
    # (#a50026 and #006837). Before the fix WeasyPrint painted the bar as nothing.
    from realitygap.report.model import Chart
    from realitygap.report.sections_seeds import journey_chart

    frame = pd.DataFrame(
        {
            "stage": ["buy", "use"],
            "name": ["Checkout", "Product"],
            "score": [70.0, 70.0],
            "gap size": [5.0, 5.0],
            "staff": ["over-estimate", "over-estimate"],
            "senses": ["S", "T"],
        }
    )
    svg = journey_chart(frame, ["buy", "use"], ["Checkout", "Product"])
    assert 'gradientUnits="userSpaceOnUse"' in svg
    report = Report("Reality Check", "test", (Section("journey", "J", (Chart("j", "J", svg),)),))
    pdf = tmp_path / "legend.pdf"
    write_pdf(render_html(report), pdf)
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) missing: run make sysdeps")
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "p")], check=True)
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB"), dtype=int)

    def near(colour: tuple[int, int, int]) -> int:
        return int((np.abs(pixels - np.array(colour)).max(axis=2) <= 30).sum())

    assert near((0xA5, 0x00, 0x26)) > 10  # the red end of the legend (score 40)
    assert near((0x00, 0x68, 0x37)) > 10  # the green end (score 100)
