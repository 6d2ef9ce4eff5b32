from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from realitygap.domain.errors import TaxonomyError, WorkspaceError
from realitygap.domain.taxonomy import Layer, Taxonomy, default_taxonomy
from realitygap.store import SCHEMA_VERSION, Workspace
from realitygap.store.schema import KEYS


def test_create_makes_db_and_editable_taxonomy(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "ws") as ws:
        assert (tmp_path / "ws" / "realitygap.duckdb").exists()
        assert (tmp_path / "ws" / "taxonomy.toml").exists()
        assert ws.schema_version == SCHEMA_VERSION
        for name in KEYS:
            assert ws.count(name) == 0
    tax = default_taxonomy()
    # the issue asks for these six journey stages and about a dozen touchpoints
    assert tax.stages == ("discover", "buy", "receive", "use", "get_help", "renew_or_leave")
    assert 12 <= len(tax.touchpoints) <= 16
    assert {li.id for li in tax.layers} == set(Layer)
    assert {tp.stage for tp in tax.touchpoints} == set(tax.stages)


def test_taxonomy_round_trips_through_toml(tmp_path: Path) -> None:
    tax = default_taxonomy()
    tax.save(tmp_path / "t.toml")
    assert Taxonomy.load(tmp_path / "t.toml") == tax


def test_bad_taxonomy_names_place_and_value(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        'stages = ["buy"]\n[[touchpoints]]\nid = "x"\nname = "X"\nstage = "buy"\n'
        'owner = "ops"\nsenses = ["sight"]\n'
    )
    with pytest.raises(TaxonomyError, match=r"touchpoint #1: found sense 'sight'"):
        Taxonomy.load(path)


def test_open_missing_workspace_is_clear(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a realitygap workspace"):
        Workspace.open(tmp_path / "nope")


def test_reopen_applies_no_migration_twice(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "ws").close()
    with Workspace.open(tmp_path / "ws") as ws:
        rows = ws.con.execute("SELECT count(*) FROM schema_version").fetchone()
        assert rows == (SCHEMA_VERSION,)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "ws") as ws:
        ws.con.execute("INSERT INTO schema_version VALUES (999, now())")
    with pytest.raises(WorkspaceError, match="newer than this realitygap"):
        Workspace.open(tmp_path / "ws")


def test_transaction_rolls_back_on_error(workspace: Workspace) -> None:
    with pytest.raises(RuntimeError), workspace.transaction() as con:
        con.execute("INSERT INTO respondents VALUES ('r1', 'customer', NULL, NULL, NULL)")
        raise RuntimeError("boom")
    assert workspace.count("respondents") == 0


def test_tables_are_ibis_expressions(workspace: Workspace) -> None:
    workspace.con.execute("INSERT INTO respondents VALUES ('r1', 'customer', NULL, NULL, 'a')")
    t = workspace.table("respondents")
    # the same expression could run on any Ibis backend
    assert t.filter(t.segment == "a").count().execute() == 1


def test_cli_init_creates_workspace(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "realitygap", "init", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Workspace ready" in out.stdout
    assert (tmp_path / "w" / "taxonomy.toml").exists()
