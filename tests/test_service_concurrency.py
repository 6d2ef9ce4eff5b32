"""On PostgreSQL the database, not Python, keeps concurrent workers from doubling a submission
(docs/service.md, "Several workers on PostgreSQL"): eight connections finish one respondent's
survey at the same moment, with the same idempotency key or with eight different keys; the
answers land once. Under CI an unreachable server fails (tests/test_engines.py)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from realitygap.store import Workspace
from realitygap.store import campaigns as store
from realitygap.store.write import insert_new
from tests.test_engines import _server_or_skip

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import load_bench as lb

THREADS = 8


def _rows(respondent: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": [respondent, respondent],
            "question_id": ["q_nps", "q_ease"],
            "wave": [lb.WAVE, lb.WAVE],
            "submitted_at": [store.utc_now()] * 2,
            "channel": ["api", "api"],
            "value": [9.0, 4.0],
        }
    )


def _race(where: str, respondent: str, keys: list[str]) -> list[object]:
    """``complete`` of the same respondent from one connection per key, released together."""
    barrier = threading.Barrier(len(keys))
    outcomes: list[object] = [None] * len(keys)

    def finish(i: int) -> None:
        with Workspace.open(where) as ws:
            barrier.wait()
            try:
                outcomes[i] = store.complete(
                    ws,
                    "api:load-1",
                    keys[i],
                    f'{{"n": {i}}}',
                    _rows(respondent),
                    pd.DataFrame(),
                    respondent_id=respondent,
                    campaign_id="load-1",
                    token_digest_=None,
                    status=201,
                )
            except store.AlreadyAnswered as exc:
                outcomes[i] = exc

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("invited", [True, False])
def test_eight_workers_finishing_one_survey_land_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invited: bool
) -> None:
    _server_or_skip()
    monkeypatch.setenv("REALITYGAP_HOME", str(tmp_path / "home"))
    with lb.store_at("postgres", tmp_path) as where:
        lb.prepare(where, 3, tmp_path)
        # invited: the invitation's row lock decides; not invited (answers from a kiosk for a
        # respondent never invited): the unique index on responses decides
        first, second = ("r000001", "r000002") if invited else ("walk-in-1", "walk-in-2")
        if not invited:
            with Workspace.open(where) as ws:
                people = pd.DataFrame({"respondent_id": [first, second], "kind": "customer"})
                insert_new(ws, "respondents", people)
        same = _race(where, first, ["k"] * THREADS)
        different = _race(where, second, [f"k{i}" for i in range(THREADS)])
        with Workspace.open(where, read_only=True) as ws:
            rows = ws.table("responses").group_by("respondent_id").count().to_pandas()
    per = dict(zip(rows["respondent_id"], rows["CountStar(responses)"], strict=True))
    # the same key: every connection gets the one recorded outcome (one status, one body)
    assert all(isinstance(o, tuple) for o in same), same
    assert len(set(same)) == 1
    # eight keys at once: one lands, seven are refused as already answered
    landed = [o for o in different if isinstance(o, tuple)]
    assert len(landed) == 1, different
    assert sum(isinstance(o, store.AlreadyAnswered) for o in different) == THREADS - 1
    assert per == {first: 2, second: 2}  # the two answers of one submission each
