"""`realitygap demo` runs the whole job and writes the three report files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from realitygap.cli import app


def test_demo_writes_report_files(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--customers", "600", "--seed", "5", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for kind in ("html", "pdf", "xlsx"):
        path = tmp_path / out["report"][kind]
        assert path.exists() and path.stat().st_size > 10_000, kind
    assert (tmp_path / "demo-workspace" / "truth.json").exists()
    assert "headline" in out["report"]["sections"]
