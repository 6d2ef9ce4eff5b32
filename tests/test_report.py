"""The Reality Check for the simulated company, checked as a person would see it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from realitygap.analysis import reality_check
from realitygap.report import ReportFiles, build, save
from realitygap.report.model import Chart, Headline, Omitted, Para, Quotes, Report, Table
from realitygap.store import Workspace

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


def test_xlsx_has_a_sheet_per_section(report_files: ReportFiles) -> None:
    assert report_files.xlsx is not None
    wb = openpyxl.load_workbook(report_files.xlsx)
    assert wb.sheetnames[0] == "Contents"
    assert len(wb.sheetnames) == 1 + len(report_files.sections)


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
    assert direct is not None and check.gap is not None and check.gap.headline == direct
    shares = next(b for b in section.blocks if isinstance(b, Table)).frame
    assert shares.loc[1, "share"] == direct.customer_share.format(0, 100, "%")
    unweighted = gap(ws, by=["role"]).headline
    assert unweighted is not None and unweighted.customer_share != direct.customer_share
    text = " ".join(b.text for b in methods_section(check).blocks if isinstance(b, Para))
    assert f"weigh as {raking.n_effective:.0f} (Kish effective n" in text
