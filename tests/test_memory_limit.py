"""REALITYGAP_MEMORY_LIMIT caps DuckDB's buffers on every workspace connection (docs/scale.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from realitygap.domain.errors import WorkspaceError
from realitygap.store import Workspace


def test_the_limit_reaches_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.create(tmp_path / "ws").close()
    monkeypatch.setenv("REALITYGAP_MEMORY_LIMIT", "300MB")
    for read_only in (True, False):
        with Workspace.open(tmp_path / "ws", read_only=read_only) as ws:
            (shown,) = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()
        # DuckDB reads 300MB as 300 * 10^6 bytes and shows it in MiB: 300e6 / 2^20 = 286.1
        assert shown == f"{300e6 / 2**20:.1f} MiB"


def test_without_the_variable_duckdb_keeps_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.create(tmp_path / "ws").close()
    monkeypatch.delenv("REALITYGAP_MEMORY_LIMIT", raising=False)
    import duckdb

    # the default of a bare DuckDB connection, asked independently of realitygap
    (default,) = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        (shown,) = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert shown == default


def test_a_value_that_is_not_a_size_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.create(tmp_path / "ws").close()
    monkeypatch.setenv("REALITYGAP_MEMORY_LIMIT", "lots")
    with pytest.raises(WorkspaceError, match="REALITYGAP_MEMORY_LIMIT: found 'lots'"):
        Workspace.open(tmp_path / "ws", read_only=True)
