"""The same quantity has the same interval wherever a reader meets it: the Python API, the
CLI's JSON, the report's HTML and its spreadsheet (issue: 12.8 [7.6, 17.8] in one place and
[7.7, 17.9] in another was two NPS intervals of the same answers)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from realitygap.analysis import Estimate, gap, metrics, reality_check
from realitygap.analysis._stats import nps_estimate
from realitygap.analysis.findings import est, est_range
from realitygap.cli import app
from realitygap.report import build, save
from realitygap.store import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def rendered(
    company: tuple[Workspace, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, str, list[str], list[tuple[Any, ...]]]:
    check = reality_check(company[0])
    out = tmp_path_factory.mktemp("same")
    files = save(build(check), out / "r.html", xlsx=out / "r.xlsx")
    assert files.xlsx is not None
    page = html.unescape(files.html.read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(files.xlsx)
    rows = [row for sheet in wb for row in sheet.iter_rows(values_only=True)]
    cells = [str(c) for row in rows for c in row if c]
    return check, page, cells, rows


def _holds(row: tuple[Any, ...], numbers: tuple[Any, ...]) -> bool:
    """The row has these numbers as consecutive cells."""
    width = len(numbers)
    for i in range(len(row) - width + 1):
        cells = row[i : i + width]
        if all(isinstance(x, int | float) for x in cells) and all(
            abs(float(x) - float(y)) < 1e-9 for x, y in zip(cells, numbers, strict=True)
        ):
            return True
    return False


def _cli_json(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_customer_nps_is_one_interval(
    company: tuple[Workspace, dict[str, Any]],
    rendered: tuple[Any, str, list[str], list[tuple[Any, ...]]],
) -> None:
    ws = company[0]
    check, page, cells, _rows = rendered
    question = check.gap.headline.question_id
    direct = next(m.estimate for m in metrics(ws, questions=[question]).items if m.metric == "nps")
    assert check.nps_estimate == direct
    # independent of the metrics code: the shared estimator on counts taken here with SQL
    n, pro, det = ws.con.execute(
        "SELECT count(*), count(*) FILTER (value >= 9), count(*) FILTER (value <= 6) "
        "FROM responses r JOIN respondents p USING (respondent_id) "
        "WHERE p.kind = 'customer' AND question_id = ?",
        [question],
    ).fetchone()
    assert direct == nps_estimate(pro / n, det / n, n, 30)
    cli = _cli_json("metrics", str(ws.path), "--json")
    row = next(r for r in cli["items"] if r["question_id"] == question and r["metric"] == "nps")
    assert (row["value"], row["low"], row["high"], row["n"]) == (
        direct.value,
        direct.low,
        direct.high,
        direct.n,
    )
    # the report prints estimates in one reader's format (analysis.findings.est)
    text = est(direct, 1)
    said = re.compile(r"Customer NPS[^:]*: " + re.escape(text))
    assert said.search(page)
    assert any(said.search(c) for c in cells)


def test_headline_shares_are_one_interval(
    company: tuple[Workspace, dict[str, Any]],
    rendered: tuple[Any, str, list[str], list[tuple[Any, ...]]],
) -> None:
    ws = company[0]
    check, page, _cells, rows = rendered
    direct = gap(ws, by=["role"]).headline
    assert direct is not None
    assert check.gap.headline == direct  # the same figures whatever breakdown is asked for
    cli = _cli_json("gap", str(ws.path), "--json")["headline"]
    for name in ("staff_share", "customer_share", "difference"):
        ours: Estimate = getattr(direct, name)
        assert (cli[name]["value"], cli[name]["low"], cli[name]["high"]) == (
            ours.value,
            ours.low,
            ours.high,
        )
    share = est_range(direct.customer_share, 0, 100, "%")
    assert share in page
    # the spreadsheet holds the estimate as numbers: value, low, high and n side by side
    c = direct.customer_share
    numbers = [(c.value, c.low, c.high, c.n), (100 * c.value, 100 * c.low, 100 * c.high, c.n)]
    assert any(_holds(row, triple) for row in rows for triple in numbers)


def test_themes_nps_uses_the_one_nps_estimator(tagged_company: tuple[Workspace, Any]) -> None:
    from realitygap.analysis import discover_themes

    ws = tagged_company[0]
    themes = discover_themes(ws)
    # the themes' NPS is each customer's latest answer to the NPS question: counted here
    n, pro, det = ws.con.execute(
        "WITH latest AS (SELECT respondent_id, arg_max(value, submitted_at) AS v "
        "FROM responses WHERE question_id = 'nps' GROUP BY respondent_id) "
        "SELECT count(*), count(*) FILTER (v >= 9), count(*) FILTER (v <= 6) FROM latest"
    ).fetchone()
    assert themes.nps == nps_estimate(pro / n, det / n, n, 30)


def test_the_cli_names_its_flag_for_a_bad_argument(
    company: tuple[Workspace, dict[str, Any]], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["metrics", str(company[0].path), "--nps-interval", "exact"])
    assert result.exit_code == 2
    assert "--nps-interval: found 'exact'" in result.output
    # the same mistake from Python names the Python parameter
    with pytest.raises(ValueError, match="nps_method='exact'"):
        metrics(company[0], nps_method="exact")
