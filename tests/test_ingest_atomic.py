"""An import lands whole or not at all, also when the process is killed in the middle."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from realitygap.ingest import import_file
from realitygap.store import KEYS, Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Imports the file, but SIGKILLs itself right after the first table write inside the
# transaction (the respondents of a survey export; responses and documents would follow).
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from realitygap.store import Workspace, write
    from realitygap.ingest import import_file

    real_insert = write.insert_new

    def insert_then_die(ws, table, rows):
        added = real_insert(ws, table, rows)
        print(f"wrote {added} rows to {table}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return added

    write.insert_new = insert_then_die
    with Workspace.open(sys.argv[1]) as ws:
        import_file(ws, sys.argv[2], "responses", fmt="typeform", wave="2024-Q1")
    """
)


def _content(path: Path) -> dict[str, pd.DataFrame]:
    """Every table's rows, sorted, plus the taxonomy file's bytes."""
    with Workspace.open(path, read_only=True) as ws:
        out = {}
        for table in (*KEYS, "imports"):
            frame = ws.con.execute(f"SELECT * FROM {table}").fetchdf()
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    out["taxonomy"] = pd.DataFrame({"bytes": [(path / "taxonomy.toml").read_bytes()]})
    return out


def test_killed_import_leaves_the_workspace_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.create(path) as ws:
        import_file(ws, EXAMPLES / "questions.csv", "questions")
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
    before = _content(path)
    run = subprocess.run(
        [sys.executable, "-c", KILLER, str(path), str(EXAMPLES / "typeform.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # the child wrote 3 respondents (examples/typeform.csv) and was killed before committing
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert run.stdout.strip() == "wrote 3 rows to respondents"
    after = _content(path)
    assert after.keys() == before.keys()
    for table in before:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)
    # and the same import, not killed, then lands whole: 3 customers, 6 answers, 2 comments
    with Workspace.open(path) as ws:
        report = import_file(
            ws, EXAMPLES / "typeform.csv", "responses", fmt="typeform", wave="2024-Q1"
        )
    assert report.rows_added == {"respondents": 3, "responses": 6, "documents": 2}


def test_failed_survey_export_adds_no_respondents(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.create(path) as ws:
        import_file(ws, EXAMPLES / "questions.csv", "questions")
    bad = tmp_path / "typeform.csv"
    text = (EXAMPLES / "typeform.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace(",10,7,", ",11,7,"), encoding="utf-8")  # 11 on the NPS item
    before = _content(path)
    with Workspace.open(path) as ws:
        try:
            import_file(ws, bad, "responses", fmt="typeform", wave="2024-Q1")
        except ValueError as exc:
            assert "row 2, column 'How likely are you to recommend" in str(exc)
            assert "found '11'" in str(exc)
        else:
            raise AssertionError("the import should have failed")
    after = _content(path)
    for table in before:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)
