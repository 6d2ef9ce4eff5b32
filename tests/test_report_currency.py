"""The report's currency comes from the workspace settings (docs/report.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from realitygap.analysis.reality_check import Labels, labels_of
from realitygap.domain.errors import WorkspaceError
from realitygap.store import Workspace
from realitygap.store.settings import currency


def test_currency_from_settings_labels_money(workspace: Workspace) -> None:
    assert currency(workspace) == ""  # no settings file: no currency is claimed
    assert Labels().money(33329.4) == "33,329"
    (workspace.path / "settings.toml").write_text('[report]\ncurrency = "EUR"\n', "utf-8")
    assert currency(workspace) == "EUR"
    labels = labels_of(workspace)
    assert labels.currency == "EUR"
    assert labels.money(33329.4) == "33,329 EUR"
    # the taxonomy's names and owners, not its ids (default taxonomy: store_staff)
    assert labels.touchpoint("store_staff") == "Staff in store"
    assert labels.owners["store_staff"] == "retail"


def test_bad_currency_is_a_clear_error(workspace: Workspace) -> None:
    (workspace.path / "settings.toml").write_text("[report]\ncurrency = 42\n", "utf-8")
    with pytest.raises(WorkspaceError, match=r"\[report\] currency is 42, expected a code"):
        currency(workspace)


def test_simulated_company_prices_in_euros_and_keeps_a_users_settings(tmp_path: Path) -> None:
    from realitygap.simulate import simulate

    # planted: the simulator's company states its currency (simulate.CURRENCY = "EUR")
    truth = simulate(tmp_path / "new", customers=600, seed=1)
    assert truth["currency"] == "EUR"
    with Workspace.open(tmp_path / "new") as ws:
        assert currency(ws) == "EUR"
        assert labels_of(ws).money(1234.4) == "1,234 EUR"
    # settings made before simulating are the user's: they stay as written
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "settings.toml").write_text('[report]\ncurrency = "£"\n', "utf-8")
    assert simulate(mine, customers=600, seed=1)["currency"] == "£"
