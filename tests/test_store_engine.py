"""The named engine functions of store/ (docs/engines.md), checked against NumPy and pandas
computations of the same figures on the same data."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from realitygap.ingest._lookup import known_mask
from realitygap.store import Workspace, engine
from realitygap.store.engine import Aggregate
from realitygap.store.write import insert_new


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = rng.normal(size=500)
    y = 0.6 * x + rng.normal(size=500)
    y[::7] = np.nan  # NULL where a value is missing
    return pd.DataFrame({"g": np.arange(500) % 3, "x": x, "y": y})


def test_aggregate_equals_numpy(workspace: Workspace) -> None:
    frame = _frame()
    rows = ibis.memtable(frame)
    aggregates = [
        Aggregate("n", "count"),
        Aggregate("ny", "count", ("y",)),
        Aggregate("sx", "sum", ("x",)),
        Aggregate("sxy", "sum_product", ("x", "y")),
        Aggregate("r", "corr", ("x", "y")),
        Aggregate("nxy", "regr_count", ("x", "y")),
    ]
    got = engine.aggregate(workspace, rows, aggregates).iloc[0]
    both = frame.dropna()
    # expected: NumPy over the same rows (SQL's two-argument aggregates skip a NULL in either)
    assert got["n"] == 500
    assert got["ny"] == frame["y"].notna().sum()
    assert got["sx"] == pytest.approx(frame["x"].sum(), rel=1e-12)
    assert got["sxy"] == pytest.approx((frame["x"] * frame["y"]).sum(), rel=1e-12)
    assert got["r"] == pytest.approx(np.corrcoef(both["x"], both["y"])[0, 1], rel=1e-12)
    assert got["nxy"] == len(both)
    grouped = engine.aggregate(workspace, rows, aggregates[:3], by="g").sort_values("g")
    assert grouped["sx"].to_numpy() == pytest.approx(frame.groupby("g")["x"].sum().to_numpy())
    assert grouped["n"].tolist() == frame.groupby("g").size().tolist()


def test_stream_pages_hold_every_row_once(workspace: Workspace) -> None:
    ids = [f"d{i:04d}" for i in range(300)]
    insert_new(
        workspace, "documents", pd.DataFrame({"document_id": ids, "source": "survey", "text": "t"})
    )
    expr = workspace.table("documents").select("document_id")
    pages = list(engine.stream(workspace, expr, batch_size=64))
    # expected: the 300 ids written, each once, in pages of at most 64 rows
    assert max(len(p) for p in pages) <= 64
    assert sorted(pd.concat(pages)["document_id"]) == ids


def test_cache_temp_table(workspace: Workspace) -> None:
    assert not engine.temp_table_exists(workspace, "cached_numbers")
    cached = engine.cache_temp_table(workspace, "cached_numbers", ibis.memtable(_frame()))
    assert engine.temp_table_exists(workspace, "cached_numbers")
    assert cached.count().execute() == 500


def test_memory_limit_refuses_a_malformed_size(workspace: Workspace) -> None:
    engine.set_memory_limit(workspace, "512MB")
    with pytest.raises(ValueError, match="expected a size such as '2GB'"):
        engine.set_memory_limit(workspace, "512MB'; DROP TABLE responses; --")


def test_known_mask_keeps_only_the_filtered_rows(workspace: Workspace) -> None:
    insert_new(
        workspace,
        "respondents",
        pd.DataFrame({"respondent_id": ["c1", "s1"], "kind": ["customer", "staff"]}),
    )
    ids = pd.Series(["c1", "s1", "x9", None])
    # by hand: c1 and s1 exist, x9 does not, None counts as known; only s1 is staff
    assert known_mask(workspace, ids, "respondents", "respondent_id").tolist() == [
        True, True, False, True,
    ]  # fmt: skip
    staff = known_mask(workspace, ids, "respondents", "respondent_id", lambda t: t.kind == "staff")
    assert staff.tolist() == [False, True, False, True]
