"""Closed-loop case operations: the allowed transitions, and bad updates change nothing."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from realitygap.domain.errors import CaseError
from realitygap.store import Workspace
from realitygap.store.cases import assign, get_case, list_cases, update
from realitygap.store.write import insert_new

OPENED = datetime(2026, 3, 1, 9, 0)


@pytest.fixture
def ws_with_case(workspace: Workspace) -> Workspace:
    frame = pd.DataFrame(
        {
            "case_id": ["c1", "c2"],
            "customer_id": ["cust1", "cust2"],
            "trigger": ["detractor", "staff_attitude"],
            "touchpoint": ["delivery", "store_staff"],
            "owner": ["logistics", "retail"],
            "status": ["open", "open"],
            "opened_at": [OPENED, OPENED],
            "due_at": [datetime(2026, 3, 3, 9), datetime(2026, 3, 2, 9)],
        }
    )
    insert_new(workspace, "cases", frame)
    return workspace


def _snapshot(ws: Workspace) -> pd.DataFrame:
    return ws.table("cases").order_by("case_id").execute()


def test_the_loop_stamps_contact_and_resolution(ws_with_case: Workspace) -> None:
    ws = ws_with_case
    update(ws, "c1", status="contacted", at=datetime(2026, 3, 1, 15))
    case = update(ws, "c1", status="resolved", resolution="re-sent", at=datetime(2026, 3, 2, 10))
    assert case["first_contact_at"] == pd.Timestamp("2026-03-01 15:00")
    assert case["resolved_at"] == pd.Timestamp("2026-03-02 10:00")
    case = update(ws, "c1", recovery_rating=9)
    assert case["recovery_rating"] == 9.0
    assert update(ws, "c1", status="closed")["status"] == "closed"


def test_list_orders_by_due_date_and_filters(ws_with_case: Workspace) -> None:
    # c2 is due a day before c1
    assert list(list_cases(ws_with_case)["case_id"]) == ["c2", "c1"]
    assert list(list_cases(ws_with_case, owner="logistics")["case_id"]) == ["c1"]


def test_assign_changes_owner(ws_with_case: Workspace) -> None:
    assert assign(ws_with_case, "c1", "ana@example.com")["owner"] == "ana@example.com"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "resolved"}, "cannot go from 'open' to 'resolved'; allowed: closed, contacted"),
        ({"status": "done"}, "found 'done', expected one of"),
        ({"recovery_rating": 8}, "needs a resolved case"),
        ({}, "nothing to update"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(
    ws_with_case: Workspace, kwargs: dict[str, object], message: str
) -> None:
    before = _snapshot(ws_with_case)
    with pytest.raises(CaseError, match=message):
        update(ws_with_case, "c1", **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(_snapshot(ws_with_case), before)


def test_unknown_case_is_a_clear_error(ws_with_case: Workspace) -> None:
    with pytest.raises(CaseError, match="case 'c9': no such case"):
        update(ws_with_case, "c9", status="contacted")
    with pytest.raises(CaseError, match="no such case"):
        assign(ws_with_case, "c9", "x")


def test_closed_is_final(ws_with_case: Workspace) -> None:
    update(ws_with_case, "c2", status="closed", resolution="duplicate")
    with pytest.raises(CaseError, match="allowed: none: it is final"):
        update(ws_with_case, "c2", status="contacted")
    assert get_case(ws_with_case, "c2")["resolution"] == "duplicate"


def test_rating_out_of_range(ws_with_case: Workspace) -> None:
    update(ws_with_case, "c1", status="contacted")
    update(ws_with_case, "c1", status="resolved")
    with pytest.raises(CaseError, match="recovery rating 11, expected 0 to 10"):
        update(ws_with_case, "c1", recovery_rating=11)


def test_cli_moves_a_case_and_refuses_a_bad_transition(ws_with_case: Workspace) -> None:
    from typer.testing import CliRunner

    from realitygap.cli import app

    path = str(ws_with_case.path)
    ws_with_case.close()  # the CLI opens the workspace itself
    runner = CliRunner()
    ok = runner.invoke(app, ["cases", "update", path, "c1", "--status", "contacted", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"status": "contacted"' in ok.stdout
    bad = runner.invoke(app, ["cases", "update", path, "c1", "--status", "open"])
    # a contacted case cannot go back to open: exit code 2 and a message naming both
    assert bad.exit_code == 2
    assert "cannot go from 'contacted' to 'open'" in bad.output
    listed = runner.invoke(app, ["cases", "list", path, "--status", "contacted", "--json"])
    assert listed.exit_code == 0 and '"case_id": "c1"' in listed.stdout
    assigned = runner.invoke(app, ["cases", "assign", path, "c2", "ops-team"])
    assert assigned.exit_code == 0 and "ops-team" in assigned.stdout
