"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import sys
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


@pytest.fixture(scope="session")
def spark_connect_url() -> Iterator[str]:
    """A Spark Connect server started from the PySpark package for this test session, bound
    to 127.0.0.1 on a free port (about half a minute to start), stopped at the end. Without
    PySpark or Java the tests using it skip; under CI they fail."""
    import importlib.util
    import socket
    import subprocess
    import time

    def unavailable(reason: str) -> None:
        if os.environ.get("CI"):
            pytest.fail(f"under CI the engine suite needs Spark Connect; {reason}")
        pytest.skip(reason)

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None or shutil.which("java") is None:
        unavailable("Spark Connect needs PySpark ('realitygap[spark]') and Java 17")
    home = Path(str(spec.origin)).parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master",
        "local[2]",
        "--conf",
        "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf",
        f"spark.connect.grpc.binding.port={port}",
        "--conf",
        "spark.ui.enabled=false",
    ]
    server = subprocess.Popen(
        command,
        # the server's Python workers (text tagging inside Spark) run this interpreter, where
        # realitygap is installed, unless PYSPARK_PYTHON names another
        env={
            **os.environ,
            "SPARK_HOME": str(home),
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                unavailable(f"the Spark Connect server did not start on port {port}")
            time.sleep(1)
    try:
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
