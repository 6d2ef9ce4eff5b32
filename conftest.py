"""The example company of the doctests (docstrings in src/realitygap and docs/python.md).

Doctests read ``ws``, a small simulated company (2,000 customers, seed 1: the company of the
simulator's own docstring) with its documents tagged, opened read-only. It is built once per
test session and only when a doctest runs, so ``pytest tests/test_x.py`` does not pay for it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from _pytest.doctest import DoctestItem

from realitygap.store import Workspace

DOCTEST_CUSTOMERS = 2_000
DOCTEST_SEED = 1
# Doctests that read the company (others, such as the simulator's own, do not build it).
NEEDS_COMPANY = re.compile(r"\bws\b|\bcompany_path\b")
# One display for every printed frame, so examples do not depend on the terminal.
PANDAS_DISPLAY = {
    "display.width": 100,
    "display.max_columns": 12,
    "display.max_colwidth": 40,
    "display.max_rows": 30,
}


@pytest.fixture(scope="session")
def doctest_company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The example company, simulated and tagged once, opened read-only."""
    from realitygap.actions.text import tag_workspace
    from realitygap.simulate import simulate

    path = tmp_path_factory.mktemp("doctest-company") / "example-company"
    simulate(path, customers=DOCTEST_CUSTOMERS, seed=DOCTEST_SEED)
    with Workspace.open(path) as writable:
        tag_workspace(writable)
    with Workspace.open(path, read_only=True) as ws:
        yield ws
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _doctest_globals(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give doctests a fixed pandas display and, when they use them, ``ws`` (the example
    company) and ``company_path`` (its directory)."""
    node = request.node
    if not isinstance(node, DoctestItem):
        yield
        return
    if NEEDS_COMPANY.search(node.dtest.docstring or ""):
        namespace = request.getfixturevalue("doctest_namespace")
        company = request.getfixturevalue("doctest_company")
        namespace["ws"] = company
        namespace["company_path"] = company.path
    with pd.option_context(*[x for kv in PANDAS_DISPLAY.items() for x in kv]):
        yield


# `make test` runs two workers (pytest-xdist, --dist loadgroup). A group runs on one worker, in
# order: each test file is one group (its module fixtures are built once), except the engine
# suite, whose Spark tests (one JVM, their order matters: docs/scale.md) and PostgreSQL tests
# are two groups on two workers. The longest groups are handed out first, so that the run does
# not end with one worker alone on them (measured with --durations: Spark about 450 s,
# PostgreSQL 250 s, the README examples 125-180 s, the dashboard 200 s at load 6-10).
LONGEST_FIRST = [
    "tests/test_engines.py:spark",
    "tests/test_engines.py:postgres",
    "tests/test_readme_examples.py",
    "tests/test_service_dashboard.py",
    "tests/test_engines_bench.py",  # a Spark session of its own
    "tests/test_subset.py",
]


def _group(item: Any) -> str:
    module = item.nodeid.split("::")[0]
    if module != "tests/test_engines.py":
        return module
    spark = "spark" in item.name or any("spark" in f for f in item.fixturenames)
    return f"{module}:{'spark' if spark else 'postgres'}"


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    rank = {group: i for i, group in enumerate(LONGEST_FIRST)}
    # stable: tests keep their order within a group
    items.sort(key=lambda item: rank.get(_group(item), len(rank)))
