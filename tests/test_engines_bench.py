"""The engines benchmark's scale-up (benchmarks/engines_bench.py) keeps the simulator's
distributions: k copies of every respondent give the source's NPS by segment and month
exactly, computed here by pandas from the Parquet files, independently of realitygap."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from engines_bench import write_parquet


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
