"""`realitygap behaviour` and `realitygap kano` print the report's findings for their section:
the same rules and the same words, so the terminal and the Reality Check never disagree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from realitygap.analysis import RealityCheck, behaviour, reality_check
from realitygap.cli import app
from realitygap.store import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def company(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, RealityCheck, dict[str, Any]]]:
    from realitygap.simulate import simulate

    path = tmp_path_factory.mktemp("cli-findings") / "ws"
    truth = simulate(path, customers=2_000, seed=1)
    with Workspace.open(path, read_only=True) as ws:
        check = reality_check(ws)
    yield path, check, truth


def printed_findings(output: str) -> list[str]:
    """The indented sentences under the command's first line, before the first table."""
    lines = output.splitlines()[1:]
    out = []
    for line in lines:
        if not line.startswith("  ") or line.startswith("  Definitions:"):
            break
        out.append(line.strip())
    return out


@pytest.mark.parametrize("section", ["behaviour", "kano"])
def test_cli_prints_the_reports_findings(
    company: tuple[Path, RealityCheck, dict[str, Any]], section: str
) -> None:
    path, check, _ = company
    expected = [f.text for f in check.findings_of(section)]
    assert expected  # the simulated company has both sections
    result = runner.invoke(app, [section, str(path)])
    assert result.exit_code == 0, result.output
    assert printed_findings(result.output) == expected
    as_json = runner.invoke(app, [section, str(path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.output)["findings"]
    assert [f["text"] for f in found] == expected
    assert {f["section"] for f in found} == {section}


def test_behaviour_cli_drops_the_old_headline(
    company: tuple[Path, RealityCheck, dict[str, Any]],
) -> None:
    # the old sentence defined "stopped buying" by purchases, not by the Kaplan-Meier curve
    # printed beside it; only the findings speak now
    path, _, _ = company
    with Workspace.open(path, read_only=True) as ws:
        old = behaviour(ws).headline
    result = runner.invoke(app, ["behaviour", str(path)])
    assert old not in result.output
    assert "stopped buying = cancelled within 6 months" in result.output
    assert "headline" not in json.loads(
        runner.invoke(app, ["behaviour", str(path), "--json"]).output
    )


def test_kano_cli_names_the_planted_drifting_features(
    company: tuple[Path, RealityCheck, dict[str, Any]],
) -> None:
    # planted truth: features that start as delighters (A) and end as must-be (M) alarm
    path, _, truth = company
    output = runner.invoke(app, ["kano", str(path)]).output
    alarms = [line for line in printed_findings(output) if "was a delighter" in line]
    planted = [
        f for f, p in truth["kano"].items() if "A" in p.values() and list(p.values())[-1] == "M"
    ]
    assert planted
    for feature in planted:
        assert any(feature.replace("_", " ") in a.lower() for a in alarms), (feature, alarms)
