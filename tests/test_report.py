"""The Reality Check for the simulated company, checked as a person would see it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from realitygap.analysis import RealityCheck, reality_check
from realitygap.report import ReportFiles, build, save
from realitygap.report.model import Chart, Headline, Omitted, Para, Quotes, Report, Table
from realitygap.store import Workspace
from tests.approx import assert_same_values

GOLDEN = Path(__file__).parent / "golden" / "report_structure.json"


def structure(report: Report) -> list[dict[str, Any]]:
    """Section ids, titles and the kinds and titles of their blocks (not the numbers)."""
    out: list[dict[str, Any]] = []
    for part in report.parts:
        if not hasattr(part, "blocks"):
            out.append({"id": part.id, "omitted": True})
            continue
        blocks = []
        for b in part.blocks:
            if isinstance(b, Table):
                blocks.append(f"table: {b.title}")
            elif isinstance(b, Chart):
                blocks.append(f"chart: {b.id}")
            elif isinstance(b, Quotes):
                blocks.append("quotes")
            elif isinstance(b, Headline):
                blocks.append("headline")
            elif isinstance(b, Para):
                blocks.append("para")
        out.append({"id": part.id, "title": part.title, "blocks": blocks})
    return out


@pytest.fixture(scope="module")
def built(tagged_company: tuple[Workspace, dict[str, Any]]) -> Report:
    return build(reality_check(tagged_company[0]))


@pytest.fixture(scope="module")
def report_files(built: Report, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("report")
    return save(built, out / "r.html", pdf=out / "r.pdf", xlsx=out / "r.xlsx")


def update_golden_requested() -> bool:
    """UPDATE_GOLDEN=1 asks to rewrite the snapshot; under CI that fails instead, so a CI run
    can never make the snapshot agree with whatever the code produced."""
    if not os.environ.get("UPDATE_GOLDEN"):
        return False
    if os.environ.get("CI"):
        pytest.fail(
            "UPDATE_GOLDEN is set under CI: the golden snapshot "
            f"{GOLDEN.relative_to(GOLDEN.parents[2])} is only regenerated on a developer's "
            "machine, after a deliberate change, and reviewed in the commit"
        )
    return True


def test_golden_structure(built: Report) -> None:
    # Catches accidental changes to what the report contains (a regression pin by design);
    # after a deliberate change regenerate with UPDATE_GOLDEN=1 (refused under CI).
    found = structure(built)
    if update_golden_requested():
        GOLDEN.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    assert found == json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("env", "rewrite"), [({}, False), ({"UPDATE_GOLDEN": "1"}, True), ({"CI": "true"}, False)]
)
def test_golden_update_switch(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], rewrite: bool
) -> None:
    for name in ("UPDATE_GOLDEN", "CI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert update_golden_requested() is rewrite


def test_golden_cannot_be_rewritten_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", "true")
    before = GOLDEN.read_bytes()
    with pytest.raises(pytest.fail.Exception, match="UPDATE_GOLDEN is set under CI"):
        update_golden_requested()
    assert GOLDEN.read_bytes() == before


def test_every_section_present_and_nothing_external(report_files: ReportFiles) -> None:
    html = report_files.html.read_text(encoding="utf-8")
    assert report_files.omitted == ()
    assert report_files.sections[0] == "summary"  # the executive summary opens the report
    for section in report_files.sections:
        assert f'id="{section}"' in html
    assert "believe you deliver a superior experience" in html
    # nothing is fetched: no external source, link or stylesheet (SVG namespaces are names)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html)
    assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", html)
    assert "<script" not in html


def test_browser_shows_sections_and_charts_without_errors(report_files: ReportFiles) -> None:
    from tests.browser import open_page

    with open_page(report_files.html) as (page, errors):
        for section in report_files.sections:
            assert page.locator(f"section#{section}").count() == 1
        charts = page.locator("figure.chart svg")
        assert charts.count() >= 5
        # each chart is drawn: an SVG with a real size
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 50
        assert errors == []


def test_pdf_has_the_expected_pages(report_files: ReportFiles, tmp_path: Path) -> None:
    assert report_files.pdf is not None
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) missing: run make sysdeps")
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(report_files.pdf), str(tmp_path / "p")], check=True
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    # one page for the cover and headline, then every section starts on a new page
    assert len(pages) >= len(report_files.sections)
    text = subprocess.run(
        ["pdftotext", str(report_files.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for title in ("Perception vs reality", "What really drives loyalty", "Methods and data"):
        assert title in text


@pytest.fixture(scope="module")
def check(tagged_company: tuple[Workspace, dict[str, Any]]) -> RealityCheck:
    return reality_check(tagged_company[0])


def test_xlsx_sheets_named_within_31_characters_with_frozen_headers(
    report_files: ReportFiles,
) -> None:
    assert report_files.xlsx is not None
    wb = openpyxl.load_workbook(report_files.xlsx)
    assert wb.sheetnames[:2] == ["Contents", "Findings"]
    for ws in wb:
        assert len(ws.title) <= 31
        # cut at a word boundary, never mid-word ("The headline  what you belie")
        assert not re.search(r"[a-z]{2,}$", ws.title) or ws.title.split()[-1].isalpha()
        assert ws.freeze_panes in ("A2", "A3"), (ws.title, ws.freeze_panes)
    sections = [wb["Contents"].cell(r, 1).value for r in range(3, wb["Contents"].max_row + 1)]
    assert len(sections) == len(report_files.sections) + len(report_files.omitted)


def _sheet_rows(wb: Any, name: str) -> list[dict[str, Any]]:
    ws = wb[name]
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, [c.value for c in row], strict=False))
        for row in ws.iter_rows(min_row=2)
        if row[0].value is not None
    ]


def test_xlsx_holds_estimates_as_numbers_equal_to_the_check(
    report_files: ReportFiles, check: RealityCheck
) -> None:
    # read the numbers back out of the spreadsheet and compare with the composite result
    assert report_files.xlsx is not None and check.gap is not None
    wb = openpyxl.load_workbook(report_files.xlsx)
    rows = _sheet_rows(wb, "Headline - shares")
    h = check.gap.headline
    assert h is not None
    customers = next(r for r in rows if str(r["who"]).startswith("customers"))
    assert customers["share (%)"] == pytest.approx(100 * h.customer_share.value)
    assert customers["share low"] == pytest.approx(100 * h.customer_share.low)
    assert customers["share high"] == pytest.approx(100 * h.customer_share.high)
    assert customers["share n"] == h.customer_share.n
    items = _sheet_rows(wb, "Gap - items")
    for r, row in zip(check.gap.over_estimated, items, strict=True):
        assert row["question"] == (r.text or r.question_id)
        assert row["gap (points)"] == pytest.approx(r.gap.value)
        assert row["gap (points) n"] == r.gap.n
    header = [c.value for c in wb["Gap - items"][1]]
    cell = wb["Gap - items"].cell(2, header.index("gap (points)") + 1)
    assert cell.number_format == "0.00" and isinstance(cell.value, float)  # 2 decimals shown


class _Tables(HTMLParser):
    """Every <table class="data"> of the page: caption -> DataFrame of its cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, pd.DataFrame] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._text is not None:
            self._rows[-1].append("".join(self._text).strip())
            self._text = None
        elif tag == "caption" and self._text is not None:
            self._caption = "".join(self._text).strip()
            self._text = None
        elif tag == "table" and self._caption is not None:
            header, *body = self._rows
            self.tables[self._caption] = pd.DataFrame(body, columns=header)
            self._caption = None


def _html_tables(html: str) -> dict[str, pd.DataFrame]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def test_html_numbers_equal_the_check(report_files: ReportFiles, check: RealityCheck) -> None:
    # numbers read out of the rendered HTML, compared with the composite result
    html = report_files.html.read_text(encoding="utf-8")
    tables = _html_tables(html)
    shares = tables["Superior experience: belief and reality"]
    h = check.gap.headline if check.gap is not None else None
    assert h is not None and h.customer_share.value is not None
    text = shares.loc[shares["who"].str.startswith("customers"), "share"].iloc[0]
    value, low, high = map(float, re.match(r"([\d.]+)% \(([\d.]+) to ([\d.]+)\)", text).groups())  # type: ignore[union-attr]
    assert value == round(100 * h.customer_share.value)
    assert low == round(100 * (h.customer_share.low or 0))
    assert high == round(100 * (h.customer_share.high or 0))
    km = tables["Not cancelled at the horizon"]
    assert check.behaviour is not None
    for s in check.behaviour.survival:
        shown = km.loc[km["NPS group"] == s.group, "not cancelled"].iloc[0]
        assert shown.startswith(f"{100 * (s.retention.value or 0):.1f}%")
    # one number format: no scientific notation, no negative zero, no internal ids
    body = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    assert not re.search(r"\b\d(?:\.\d+)?e[+-]?\d+\b", body)
    assert not re.search(r"-0\.0+(?![\d])", body) and "[-0" not in body  # no negative zero
    for internal in ("share_retained", "p_homogeneity", "touchpoint:", "store_staff", "2024-Q3:I"):
        assert internal not in body, internal
    assert not any(t.empty for t in tables.values())  # empty tables are left out


def test_html_text_moments_equal_the_check(
    report_files: ReportFiles,
    check: RealityCheck,
    tagged_company: tuple[Workspace, dict[str, Any]],
) -> None:
    # the wow section's table of moments told of in text, read out of the rendered HTML and
    # compared with the composite result's text moments (reach per source, Wilson interval)
    from realitygap.report.sections_seeds import DOCUMENT_SOURCES

    told = _html_tables(report_files.html.read_text(encoding="utf-8"))[
        "Told of in text: customers who mention the moment, per source"
    ]
    assert check.wow is not None and check.wow.text_moments
    expected = [(t, src, e) for t in check.wow.text_moments for src, e in t.by_source]
    assert len(told) == len(expected)
    for (_, row), (t, src, e) in zip(told.iterrows(), expected, strict=True):
        assert row["moment told of"] == t.name and "_" not in t.name  # a name, not an id
        assert row["source"] == DOCUMENT_SOURCES[src]
        assert int(row["customers who wrote"].replace(",", "")) == e.n
        assert e.value is not None and e.low is not None and e.high is not None
        assert int(row["customers who mention it"].replace(",", "")) == round(e.value * e.n)
        value, low, high = map(
            float,
            re.match(r"([\d.]+)% \(([\d.]+) to ([\d.]+)\)", row["text reach"]).groups(),  # type: ignore[union-attr]
        )
        assert value == pytest.approx(100 * e.value, abs=0.05)
        assert low == pytest.approx(100 * e.low, abs=0.05)
        assert high == pytest.approx(100 * e.high, abs=0.05)
    # independent of the analysis: the survey rows show the simulator's planted counts
    # (truth.json: customers with a survey comment, customers whose comments got a mention)
    planted = tagged_company[1]["wow"]["text"]["moments"]
    survey = told[told["source"] == DOCUMENT_SOURCES["survey"]].set_index("moment told of")
    for p in planted.values():
        row = survey.loc[p["mention"]]
        assert int(row["customers who wrote"].replace(",", "")) == p["commenters"]
        assert int(row["customers who mention it"].replace(",", "")) == p["mentioned_customers"]


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_no_table_overflows_its_container(report_files: ReportFiles, width: int) -> None:
    from tests.browser import open_page

    with open_page(report_files.html) as (page, errors):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            """() => {
              const out = [];
              const vw = document.documentElement.clientWidth;
              for (const wrap of document.querySelectorAll('.table-wrap')) {
                const box = wrap.getBoundingClientRect();
                if (box.right > vw + 1) out.push(['wrap', box.right, vw]);
                const table = wrap.querySelector('table');
                // a wider table scrolls inside its wrapper instead of being cut off
                const scrolls = getComputedStyle(wrap).overflowX === 'auto';
                if (table.scrollWidth > wrap.clientWidth + 1 && !scrolls) {
                  out.push(['table', table.scrollWidth]);
                }
              }
              for (const svg of document.querySelectorAll('figure.chart svg')) {
                const right = svg.getBoundingClientRect().right;
                if (right > vw + 1) out.push(['chart', right]);
              }
              return {out, page: document.documentElement.scrollWidth, vw};
            }"""
        )
        assert overflow["out"] == []
        assert overflow["page"] <= overflow["vw"] + 1  # the page itself never scrolls sideways
        assert errors == []


def test_pdf_uses_dejavu_and_numbers_its_pages(report_files: ReportFiles) -> None:
    assert report_files.pdf is not None
    fonts = subprocess.run(
        ["pdffonts", str(report_files.pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts
    text = subprocess.run(
        ["pdftotext", str(report_files.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.count("\f")
    assert pages > 3 and re.search(rf"^2\s*/\s*{pages}$", text, re.MULTILINE)


def test_summary_page_lists_findings_with_owners(
    report_files: ReportFiles, check: RealityCheck
) -> None:
    from realitygap.analysis.findings import executive_summary

    html = report_files.html.read_text(encoding="utf-8")
    summary = html.split('id="summary"')[1].split("</section>")[0]
    top = executive_summary(check)
    assert 5 <= len(top) <= 7
    for f in top:
        assert html_escape(f.text) in summary
        if f.owner:
            assert f"Suggested owner: {html_escape(f.owner)}" in summary


def html_escape(text: str) -> str:
    from markupsafe import escape  # what the template's autoescaping does

    return str(escape(text))


def test_weighted_report_uses_the_raked_gap_and_states_the_weights(
    company: tuple[Workspace, dict[str, Any]], tmp_path: Path
) -> None:
    from realitygap.analysis import gap, rake, read_margins
    from realitygap.report.sections import headline_section, methods_section

    ws = company[0]
    segments = sorted(
        ws.con.execute("SELECT DISTINCT segment FROM respondents").df().dropna()["segment"]
    )
    margins = tmp_path / "margins.csv"
    # equal segment shares: far from the simulated sample's, so weighting moves the numbers
    margins.write_text(
        "variable,category,share\n"
        + "".join(f"segment,{s},{1 / len(segments)}\n" for s in segments),
        encoding="utf-8",
    )
    raking = rake(ws, read_margins(margins))
    check = reality_check(ws, weights=raking)
    section = headline_section(check)
    assert not isinstance(section, Omitted)
    # the same analysis called directly with the same weights (what `realitygap gap
    # --weights` prints)
    direct = gap(ws, by=["role", "department", "touchpoint", "layer"], weights=raking).headline
    assert direct is not None and check.gap is not None
    assert_same_values(check.gap.headline, direct)  # weighted sums: equal to the last bits
    shares = next(b for b in section.blocks if isinstance(b, Table)).frame
    assert shares.loc[1, "share"].estimate == check.gap.headline.customer_share
    unweighted = gap(ws, by=["role"]).headline
    assert unweighted is not None and unweighted.customer_share != direct.customer_share
    text = " ".join(b.text for b in methods_section(check).blocks if isinstance(b, Para))
    assert f"weigh as {raking.n_effective:.0f} (Kish effective n" in text


def test_a_workspace_without_a_mirror_survey_still_gets_a_headline(check: RealityCheck) -> None:
    import dataclasses

    from realitygap.analysis.findings import derive

    bare = dataclasses.replace(check, gap=None, omitted={**check.omitted, "headline": "no mirror"})
    bare = dataclasses.replace(bare, findings=derive(bare))
    report = build(bare)
    summary = next(s for s in report.sections if s.id == "summary")
    lead = next(b for b in summary.blocks if isinstance(b, Headline))
    nps = check.nps_estimate
    assert nps is not None and nps.value is not None
    assert lead.text.startswith("Customer NPS") and f"{nps.value:.1f}" in lead.text
    headline = next(s for s in report.sections if s.id == "headline")
    assert any(isinstance(b, Para) and "left out" in b.text for b in headline.blocks)
