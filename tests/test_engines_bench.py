"""The engines benchmark (benchmarks/engines_bench.py): its scale-up keeps the simulator's
distributions (k copies of every respondent give the source's NPS by segment and month
exactly, computed here by pandas from the Parquet files, independently of realitygap), and
the Spark workspace it builds straight from those files holds DuckDB's rows and gives
DuckDB's results."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from engines_bench import build_duckdb, build_spark, write_parquet
from realitygap.store import Workspace
from realitygap.store.engine import ENGINE_GAPS


def _nps(responses: pd.DataFrame, respondents: pd.DataFrame) -> pd.DataFrame:
    """NPS in points per segment and month (YYYY-MM of submitted_at), with n."""
    nps = responses[responses["question_id"] == "nps"].merge(
        respondents[["respondent_id", "segment"]], on="respondent_id"
    )
    nps["month"] = pd.to_datetime(nps["submitted_at"]).dt.strftime("%Y-%m")
    nps["score"] = (nps["value"] >= 9).astype(float) - (nps["value"] <= 6).astype(float)
    out = nps.groupby(["segment", "month"])["score"].agg(["size", "mean"])
    return out.assign(nps=100 * out["mean"]).drop(columns="mean")


def test_replicated_nps_equals_the_source_nps_by_pandas(tmp_path: Path) -> None:
    import duckdb

    from realitygap.simulate import simulate

    simulate(tmp_path / "source", customers=300, seed=1)
    db = tmp_path / "source" / "realitygap.duckdb"
    rows = write_parquet(db, tmp_path / "parquet", copies=3)
    with duckdb.connect(str(db), read_only=True) as con:
        src_responses = con.execute("SELECT * FROM responses").df()
        src_respondents = con.execute("SELECT * FROM respondents").df()
    responses = pd.read_parquet(tmp_path / "parquet" / "responses.parquet")
    respondents = pd.read_parquet(tmp_path / "parquet" / "respondents.parquet")
    assert rows["responses"] == len(responses) == 3 * len(src_responses)
    assert respondents["respondent_id"].is_unique
    assert len(respondents) == 3 * len(src_respondents)
    events = pd.read_parquet(tmp_path / "parquet" / "events.parquet")
    assert events["event_id"].is_unique
    assert set(events["customer_id"]) <= set(respondents["respondent_id"])
    source, scaled = _nps(src_responses, src_respondents), _nps(responses, respondents)
    assert (scaled["size"] == 3 * source["size"]).all()
    pd.testing.assert_series_equal(scaled["nps"], source["nps"], rtol=0, atol=1e-12)


def _java_or_skip() -> None:
    """PySpark and Java present (the engine suite's condition); under CI their absence fails."""
    if importlib.util.find_spec("pyspark") and (
        shutil.which("java") or os.environ.get("JAVA_HOME")
    ):
        return
    if os.environ.get("CI"):
        pytest.fail("under CI the engines benchmark's test needs PySpark and Java")
    pytest.skip("the Spark workspace needs PySpark and Java")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in one order, every missing value as None (DuckDB's frames give None where
    Spark's give NaN for the same NULL)."""
    frame = frame[sorted(frame.columns)]
    frame = frame.sort_values(list(frame.columns)).reset_index(drop=True).astype(object)
    return frame.where(frame.notna(), None)


def test_the_spark_workspace_built_from_parquet_gives_duckdbs_tables_and_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reference: the DuckDB workspace built from the same Parquet files (build_duckdb, its grid
    # by DuckDB); the Spark one is written by Spark from the files and its grid built by Spark.
    from realitygap.analysis import drivers, gap, metrics
    from realitygap.simulate import simulate
    from realitygap.store import answer_grid

    _java_or_skip()
    monkeypatch.setenv("REALITYGAP_HOME", str(tmp_path / "home"))
    # 1,000 customers: enough answers for the drivers' shares and the NPS cells to be numbers
    simulate(tmp_path / "source", customers=1_000, seed=1)
    write_parquet(tmp_path / "source" / "realitygap.duckdb", tmp_path / "parquet", copies=2)
    build_duckdb(tmp_path / "source", tmp_path / "parquet", tmp_path / "duck")
    url = f"spark://{tmp_path / 'spark'}"
    counted = build_spark(tmp_path / "source", tmp_path / "parquet", url)
    tables = [*counted]  # questions, the replicated tables and the answer grid
    with (
        Workspace.open(tmp_path / "duck", read_only=True) as duck,
        Workspace.open(url, read_only=True) as spark,
    ):
        assert answer_grid.current(spark) is not None  # the grid's fingerprint matches
        for table in tables:
            a, b = duck.table(table).to_pandas(), spark.table(table).to_pandas()
            assert counted[table] == len(a), table
            pd.testing.assert_frame_equal(_sorted(a), _sorted(b), check_dtype=False)
        runs: dict[str, Callable[[Workspace], Any]] = {
            "metrics": lambda ws: metrics(ws, by=["segment", "month"], questions=["nps"]),
            "gap": lambda ws: gap(ws, by=["role", "department", "touchpoint", "layer"]),
            "drivers": lambda ws: drivers(ws, "nps", bootstrap=20),
        }
        for family, run in runs.items():
            a, b = run(duck).to_frame(), run(spark).to_frame()
            assert a.select_dtypes("number").notna().any().any()  # numbers, not only "n too small"
            # the bootstrap's interval ends are a declared Spark gap (other, equally valid
            # draws), checked within its tolerance; everything else agrees to 1e-9
            gaps = [g for g in ENGINE_GAPS if g.engine == "spark" and g.family == family]
            for g in gaps:
                for c in g.columns:
                    assert (a[c] - b[c]).abs().max() <= g.tolerance, (family, c)
            kept = [c for c in a.columns if not any(c in g.columns for g in gaps)]
            pd.testing.assert_frame_equal(a[kept], b[kept], check_dtype=False, rtol=1e-9)
