"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace with the default taxonomy."""
    with Workspace.create(tmp_path / "ws") as ws:
        yield ws


@pytest.fixture(scope="session")
def examples_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed workspace holding the example questions and respondents (examples/)."""
    from realitygap.ingest import import_file

    path = tmp_path_factory.mktemp("examples") / "ws"
    with Workspace.create(path) as ws:
        import_file(ws, EXAMPLES / "questions.csv", "questions")
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
    return path


@pytest.fixture
def ws(examples_template: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh copy of ``examples_template`` (copying is faster than importing again)."""
    shutil.copytree(examples_template, tmp_path / "ws")
    with Workspace.open(tmp_path / "ws") as opened:
        yield opened


def shared_data(*parts: str) -> Path:
    """A file of ../shared/data. Under CI a missing file fails the test; elsewhere it skips."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"real data missing under CI: {path}")
        pytest.skip(f"real data not present: {path}")
    return path


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    """One simulated company (20,000 customers, seed 3) shared by the planted-truth tests."""
    from realitygap.simulate import simulate

    path = tmp_path_factory.mktemp("company") / "ws"
    truth = simulate(path, customers=20_000, seed=3)
    with Workspace.open(path, read_only=True) as ws:
        yield ws, truth


@pytest.fixture(scope="session")
def tagged_company(
    company: tuple[Workspace, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    """A writable copy of the simulated company with its documents tagged (as the demo does)."""
    from realitygap.actions.text import tag_workspace

    source, truth = company
    copy = tmp_path_factory.mktemp("tagged") / "ws"
    shutil.copytree(source.path, copy)
    with Workspace.open(copy) as ws:
        tag_workspace(ws)
        yield ws, truth
