"""Customer activity computed once per workspace version, and the silent-attrition list cut
in the engine, against the planted fates of tests/test_behaviour.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis import _activity
from realitygap.analysis.audit import audit
from realitygap.analysis.behaviour import behaviour
from realitygap.store import Workspace
from tests.test_behaviour import _load, _planted

# value at risk planted by _load: churners lose all 6 purchases of 10 per half year (a year:
# 365 / 183 x 60), decliners 5 of the 6 (see tests/test_behaviour.py)
YEARLY = 60.0 * 365.0 / 183.0


def _silent_expected(planted: pd.DataFrame) -> tuple[int, float]:
    """Count and yearly value at risk of the planted silent churners (pandas)."""
    promoters = planted[planted["nps"] >= 9]
    churned = int((promoters["fate"] == "churned").sum())
    declining = int((promoters["fate"] == "declining").sum())
    return churned + declining, churned * YEARLY + declining * YEARLY * 5 / 6


def test_silent_list_is_cut_in_the_engine_with_totals_of_the_whole(
    workspace: Workspace,
) -> None:
    planted = _planted()
    _load(workspace, planted)
    count, value = _silent_expected(planted)
    assert count > 10  # the cut below is a real cut
    whole = behaviour(workspace, silent_top=None)
    top = behaviour(workspace, silent_top=5)
    assert len(whole.silent) == count and len(top.silent) == 5
    # the same ranking (datetime units may differ when the top has no missing churn date)
    pd.testing.assert_frame_equal(top.silent, whole.silent.head(5), check_dtype=False)
    for result in (whole, top):
        assert result.silent_count == count
        assert result.silent_value == pytest.approx(value)
        assert f"({count} customers, value at risk {value:,.0f} a year)" in result.headline


def test_activity_is_computed_once_and_again_after_a_write(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = _planted()
    _load(workspace, planted)
    calls: list[Any] = []
    original = _activity.activity

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(_activity, "activity", counted)
    audit(workspace, "nps")  # retention AUC and non-response
    first = behaviour(workspace)
    assert len(calls) == 1  # one scan of the events for all three
    # a write outside realitygap: a retained promoter cancels two months after answering
    retained = np.flatnonzero((planted["nps"] >= 9) & (planted["fate"] == "retained"))[0]
    workspace.con.execute(
        "INSERT INTO events (event_id, customer_id, type, occurred_at) "
        "VALUES ('new', ?, 'cancellation', TIMESTAMP '2025-03-15')",
        [f"r{retained}"],
    )
    second = behaviour(workspace)
    assert len(calls) == 2  # the data changed: computed again, never read stale
    count, _ = _silent_expected(planted)
    assert (first.silent_count, second.silent_count) == (count, count + 1)
    assert f"r{retained}" in set(behaviour(workspace, silent_top=None).silent["customer_id"])
    # one cached version at a time (the older one's temporary table released)
    assert sum(key[0] == "activity" for key in workspace.derived) == 1
