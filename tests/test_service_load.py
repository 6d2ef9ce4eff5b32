"""The server killed (SIGKILL) during a load run and restarted: no acknowledged submission is
lost and none doubled (issue 21 part 5), on the embedded store and on PostgreSQL with two
workers. The client records each 303 (sent only after the commit) with its idempotency key;
after the restart it sends every unacknowledged submission again with its own key; then the
store is counted. Also: several workers on PostgreSQL, one on DuckDB.

The load client and the server control are those of ``benchmarks/load_bench.py``. Under CI an
unreachable PostgreSQL server fails the PostgreSQL cases (tests/test_engines.py)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from tests.test_engines import _server_or_skip

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import load_bench as lb

RESPONDENTS = 400
CONCURRENCY = 12


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REALITYGAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "workers"), [("duckdb", 1), ("postgres", 2)])
def test_sigkill_mid_load_loses_and_doubles_no_acknowledged_submission(
    home: Path, kind: str, workers: int
) -> None:
    if kind == "postgres":
        _server_or_skip()
    with lb.store_at(kind, home) as where:
        respondent_of = lb.prepare(where, RESPONDENTS, home)
        numbers = {t: int(r[1:]) for t, r in respondent_of.items()}
        port = lb.free_port()
        log = home / "server.log"
        server = lb.start_server(where, port, workers, log)
        base = f"http://127.0.0.1:{port}"
        killed: list[float] = []

        run = lb.Run()

        def kill_mid_run() -> None:
            # once the first submissions are acknowledged, while others are in flight
            deadline = time.monotonic() + 20
            while len(run.acked) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            lb.kill(server, signal.SIGKILL)
            killed.append(time.monotonic())

        killer = threading.Thread(target=kill_mid_run)
        killer.start()
        lb.load(base, list(numbers.items()), CONCURRENCY, seconds=25, run=run)
        killer.join()
        assert killed, "the server was not killed"
        before = len(run.acked)
        # the kill happened under load: some were acknowledged, some cut off
        assert before > 0 and run.errors, (before, run.errors)
        server = lb.start_server(where, port, workers, log)
        try:
            lb.retry(base, run, numbers)
        finally:
            lb.kill(server, signal.SIGTERM)
        c = lb.count(where, run, respondent_of)
    # every submission the client was sending when the server died was retried to an ack
    assert run.unacked == {}, run.errors
    assert c.acknowledged == len(run.acked) >= before
    assert c.missing == 0
    assert c.doubled == 0
    # nothing is stored that no one sent: stored respondents are exactly the acknowledged ones
    assert c.stored == c.acknowledged
    # several workers served it: each worker process logs its own start (pids differ)
    started = {
        line.split("[")[-1]
        for line in log.read_text().splitlines()
        if "Started server process" in line
    }
    assert len(started) >= workers * 2, started  # both runs, before and after the kill
    print(f"{kind}: {before} acknowledged before the kill, {c.acknowledged} after retries")


def test_serve_refuses_several_workers_on_the_embedded_store(tmp_path: Path) -> None:
    lb.prepare(str(tmp_path / "ws"), 1, tmp_path)
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "ws"), "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers: found 2, expected 1 on the embedded DuckDB store" in result.output
    assert "PostgreSQL" in result.output


def test_a_survey_costs_seven_statements_and_one_transaction_on_postgres(home: Path) -> None:
    """Statements per survey (open the page, submit it), counted from libpq's trace of what
    the server is sent. Expected by hand from the flow (docs/service.md, "Load"): the page
    is one SELECT of the link with its campaign's state and the bank's version; the
    submission that SELECT again, then one transaction: claim the key, mark the invitation
    responded, insert both answers in one statement, insert the comment's document, bump the
    data stamp (store/version.py): 7, with BEGIN and COMMIT 9. The first survey of a process
    also reads the campaign's definition (campaign, items, questions, translations: 4 more)."""
    _server_or_skip()
    with lb.store_at("postgres", home) as where:
        tokens = lb.prepare(where, 4, home)
        counted = lb.statements_per_survey(where, [(t, int(r[1:])) for t, r in tokens.items()])
        c = lb.count(where, lb.Run(acked=dict.fromkeys(tokens, "")), tokens)
    assert [s.data for s in counted] == [11, 7, 7, 7]
    assert [s.transaction_control for s in counted] == [2, 2, 2, 2]
    # and the four surveys landed whole, once each
    assert (c.acknowledged, c.missing, c.doubled, c.stored) == (4, 0, 0, 4)


def test_the_trace_counter_counts_executes_and_simple_queries() -> None:
    """A positive control of the counter on a trace written by hand in libpq's format: two
    extended-protocol statements, a simple BEGIN and COMMIT, and backend lines ignored."""
    trace = "\n".join(
        [
            'F\t21\tParse\t "" "select $1" 1 NNNN',
            'F\t9\tExecute\t "" 0',
            'F\t10\tQuery\t "BEGIN"',
            'B\t10\tCommandComplete\t "BEGIN"',
            'F\t9\tExecute\t "" 0',
            'F\t11\tQuery\t "COMMIT"',
        ]
    )
    found = lb.read_trace(trace)
    assert (found.run, found.transaction_control, found.data) == (4, 2, 2)
