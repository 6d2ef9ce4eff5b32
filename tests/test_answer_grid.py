"""The stored answer grid: built by imports, never read stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis._correlation import answer_grid
from realitygap.ingest import import_file
from realitygap.store import Workspace
from realitygap.store import answer_grid as stored_grid
from realitygap.store.write import insert_new

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _pandas_pivot(path: Path, questions: list[str]) -> pd.DataFrame:
    """The independent reference: pandas' pivot of the imported long file."""
    long = pd.read_csv(path)
    long = long[long["question_id"].isin(questions)].astype({"value": float})
    wide = long.pivot_table(
        index=["respondent_id", "wave"], columns="question_id", values="value", aggfunc="max"
    )
    return wide.reindex(columns=questions).reset_index()


def _imported(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.create(path) as ws:
        for name, kind in [
            ("questions.csv", "questions"),
            ("respondents.csv", "respondents"),
            ("responses_long.csv", "responses"),
        ]:
            import_file(ws, EXAMPLES / name, kind)
    return path


def test_import_stores_the_grid_equal_to_a_pandas_pivot(tmp_path: Path) -> None:
    path = _imported(tmp_path)
    with Workspace.open(path, read_only=True) as ws:
        grid = stored_grid.current(ws)
        assert grid is not None
        questions = list(grid.questions)
        # the grid's columns: every customer question on a rated scale (examples/questions.csv)
        bank = pd.read_csv(EXAMPLES / "questions.csv")
        rated = bank[
            (bank["audience"] == "customer")
            & bank["scale"].isin(["nps", "likert5", "likert7", "ces7", "binary"])
        ]
        assert questions == sorted(rated["question_id"])
        got = grid.table.execute().rename(columns={f"v{i}": q for i, q in enumerate(questions)})
        key = ["respondent_id", "wave"]
        got = got.sort_values(key).reset_index(drop=True)
        expected = _pandas_pivot(EXAMPLES / "responses_long.csv", questions)
        expected = expected.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got[key + questions], expected[key + questions], check_names=False
        )


def test_a_write_outside_the_importer_is_never_read_stale(tmp_path: Path) -> None:
    path = _imported(tmp_path)
    first = pd.read_csv(EXAMPLES / "responses_long.csv").iloc[0]  # C001's nps answer, 9
    assert (first.question_id, first.value) == ("nps", "9")
    with Workspace.open(path) as ws:
        ws.con.execute(
            "UPDATE responses SET value = value - 1 WHERE respondent_id = ? AND question_id = ? "
            "AND wave = ?",
            [first.respondent_id, first.question_id, first.wave],
        )
        assert stored_grid.current(ws) is None  # the fingerprint no longer matches

    def value_of(ws: Workspace) -> float:
        grid = answer_grid(ws, [str(first.question_id)], wave=str(first.wave)).execute()
        return float(grid.loc[grid.respondent_id == first.respondent_id, "v0"].iloc[0])

    # read-only: the analysis pivots into a temporary table and sees the new value
    with Workspace.open(path, read_only=True) as ws:
        assert value_of(ws) == 8.0
        assert stored_grid.current(ws) is None
    # writable: the analysis rebuilds the stored grid, which is current again
    with Workspace.open(path) as ws:
        assert value_of(ws) == 8.0
        assert stored_grid.current(ws) is not None


def test_grid_of_a_single_wave_equals_the_grouped_pivot(workspace: Workspace) -> None:
    # one wave lets the pivot group by respondent alone; the rows must be the same as the
    # general (respondent, wave) pivot computed by pandas
    rng = np.random.default_rng(5)
    answers = pd.DataFrame(
        {
            "respondent_id": np.repeat([f"r{i}" for i in range(50)], 3),
            "question_id": np.tile(["a", "b", "c"], 50),
            "wave": "2025-Q1",
            "value": rng.integers(1, 6, 150).astype(float),
        }
    ).sample(frac=0.8, random_state=1)
    questions = pd.DataFrame(
        {
            "question_id": list("abc"),
            "text": list("abc"),
            "scale": "likert5",
            "audience": "customer",
        }
    )

    insert_new(workspace, "questions", questions)
    insert_new(workspace, "responses", answers)
    grid = stored_grid.refresh(workspace).table.execute().sort_values("respondent_id")
    expected = answers.pivot_table(
        index=["respondent_id", "wave"], columns="question_id", values="value"
    ).reset_index()
    assert grid["wave"].eq("2025-Q1").all()
    np.testing.assert_array_equal(
        grid[["v0", "v1", "v2"]].to_numpy(),
        expected.sort_values("respondent_id")[["a", "b", "c"]].to_numpy(),
    )


def test_grid_built_in_chunks_equals_a_pandas_pivot_of_the_stored_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulator writes answers a chunk of respondents at a time and folds each chunk into
    # the grid and its fingerprint (GridBuilder). With chunks of 100 respondents the 2,000-
    # customer company takes several chunks; the reference is pandas' pivot of the answers read
    # back from `responses`, and the combined fingerprint must equal one computed by a scan.
    from realitygap.simulate import simulate, tables

    monkeypatch.setattr(tables, "RESPONDENT_CHUNK", 100)
    simulate(tmp_path / "ws", customers=2000, seed=2)
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        grid = stored_grid.current(ws)  # None unless the stored fingerprint matches a scan
        assert grid is not None
        questions = list(grid.questions)
        long = ws.con.execute("SELECT respondent_id, question_id, wave, value FROM responses").df()
        n_respondents = ws.con.execute(
            "SELECT count(DISTINCT respondent_id) FROM responses WHERE question_id = 'nps'"
        ).fetchone()
        got = grid.table.execute()
    assert n_respondents is not None and n_respondents[0] > 3 * 100  # several chunks
    long = long[long["question_id"].isin(questions)]
    expected = long.pivot_table(
        index=["respondent_id", "wave"], columns="question_id", values="value", aggfunc="max"
    )
    expected = expected.reindex(columns=questions).reset_index()
    key = ["respondent_id", "wave"]
    got = got.rename(columns={f"v{i}": q for i, q in enumerate(questions)})
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True)[key + questions],
        expected.sort_values(key).reset_index(drop=True)[key + questions],
        check_names=False,
    )
