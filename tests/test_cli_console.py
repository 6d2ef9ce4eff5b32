"""Issue 16, point 8 (the part in cli/_common.py and `info`): piped output is not hard-wrapped,
table cells print dates to the minute, missing values as an em dash and whole numbers without
decimals; `info` lists the stages and their touchpoints."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realitygap.cli._common import _cell, frame_table
from realitygap.store import Workspace

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "\u2014"),
        (float("nan"), "\u2014"),
        (pd.NaT, "\u2014"),
        (pd.NA, "\u2014"),
        (np.float64("nan"), "\u2014"),
        (pd.Timestamp("2024-03-05 14:07:59.5"), "2024-03-05 14:07"),
        (datetime(2024, 3, 5, 9, 30, 12), "2024-03-05 09:30"),
        (pd.Timestamp("2024-03-05"), "2024-03-05"),
        (12.0, "12"),
        (np.float64(3.0), "3"),
        (25_000.0, "25,000"),
        (0.12345, "0.123"),
        (7, "7"),
        ("text", "text"),
    ],
)
def test_cells(value: object, shown: str) -> None:
    assert _cell(value) == shown


def test_table_of_a_frame_with_missing_values_and_dates() -> None:
    frame = pd.DataFrame(
        {"n": [3.0, np.nan], "when": [pd.Timestamp("2024-01-02 03:04:05"), pd.NaT]}
    )
    table = frame_table(frame)
    cells = [list(col.cells) for col in table.columns]
    assert cells == [["3", "\u2014"], ["2024-01-02 03:04", "\u2014"]]


def test_info_piped_lists_every_stage_and_touchpoint_on_whole_lines(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "ws") as ws:
        taxonomy = tomllib.loads((ws.path / "taxonomy.toml").read_text(encoding="utf-8"))
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "realitygap", "info", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )  # stdout is a pipe, as in `realitygap info ws | less`
    lines = result.stdout.splitlines()
    # from the taxonomy file itself: each stage's line names all its touchpoints
    stages = taxonomy["stages"]
    for stage in stages:
        ids = [tp["id"] for tp in taxonomy["touchpoints"] if tp["stage"] == stage]
        [line] = [ln for ln in lines if ln.strip().startswith(f"{stage}:")]
        assert all(f"{tp_id} (" in line for tp_id in ids), line
    assert any(len(line) > 80 for line in lines)  # long lines stay whole, not wrapped at 80
    assert f"{len(stages)} journey stages, {len(taxonomy['touchpoints'])} touchpoints" in (
        result.stdout
    )
