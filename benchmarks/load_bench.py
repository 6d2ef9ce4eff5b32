"""Benchmark: concurrent respondents opening and submitting surveys against `realitygap serve`.

Usage: ``.venv/bin/python benchmarks/load_bench.py [--store duckdb postgres] [--workers 2]
[--respondents 4000] [--concurrency 32] [--seconds 20]
[--serve-args=--no-access-log]``; the PostgreSQL server from ``$REALITYGAP_TEST_POSTGRES``
(default postgresql://postgres@127.0.0.1:5432/test)

For each store, a fresh workspace (a directory, or a PostgreSQL schema of its own, dropped
afterwards) holds three customer questions (NPS, a Likert item, an optional comment), the
respondents and a one-page campaign; every respondent is invited. The server runs in its own
process group on loopback (the embedded store: one process; PostgreSQL: ``--workers``
processes). The load generator is asyncio + aiohttp, not Locust: Locust's gevent monkey-patching
does not mix with the asyncio code it would share with the kill test, and one asyncio process
with a C HTTP parser leaves more of the two cores to the server than Locust's workers would.

Each virtual respondent takes the next unanswered link, opens it (``GET /s/TOKEN``), and
submits the page (``POST /s/TOKEN`` with its answers and an idempotency key of its own). A
submission is acknowledged by the server's 303 (sent only after the commit). The run stops
after ``--seconds`` or when every link is used, whichever comes first.

Printed per store: submissions acknowledged per second, latency percentiles of the submission
(the POST) and of opening the page (the GET), the CPU seconds the server's processes spent per
submission (read from ``/proc``: a shared machine inflates it less than wall time), and then,
from the store itself, that every acknowledged submission is there exactly once (its three
answers in ``responses``, its invitation marked responded) and that no respondent has more rows
than one submission gives.

Before the load, on PostgreSQL: the SQL statements one survey costs (open the page, submit it),
counted in process from libpq's trace of every message the server is sent
(:func:`statements_per_survey`; ``tests/test_service_load.py`` pins the count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realitygap.service.manage import create_campaign, invite
from realitygap.store import Workspace
from realitygap.store.write import insert_new

SERVER = os.environ.get("REALITYGAP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WAVE = "load-1"
QUESTIONS = [
    ("q_nps", "How likely are you to recommend us?", "nps", "customer"),
    ("q_ease", "It was easy to order.", "likert5", "customer"),
    ("q_comment", "Anything else?", "text", "customer"),
]
CAMPAIGN_TOML = f"""\
name = "Load test"
wave = "{WAVE}"
page_size = 3

[[items]]
question = "q_nps"
required = true

[[items]]
question = "q_ease"

[[items]]
question = "q_comment"
"""
SURVEYS_COUNTED = 11  # one in a fresh process, then ten
ANSWERS_PER_SUBMISSION = 2  # q_nps and q_ease become responses; the comment a document


def answers_of(respondent: int) -> dict[str, str]:
    """The form a respondent sends (deterministic, so a check could recompute it)."""
    return {
        "answer:q_nps": str(respondent % 11),
        "answer:q_ease": str(1 + respondent % 5),
        "answer:q_comment": f"comment {respondent}",
    }


# ---- the workspace and the server --------------------------------------------------------
def prepare(where: str, respondents: int, scratch: Path) -> dict[str, str]:
    """Create the workspace at ``where`` with the campaign and invite everyone: token ->
    respondent id."""
    with Workspace.create(where) as ws:
        insert_new(
            ws,
            "questions",
            pd.DataFrame(QUESTIONS, columns=["question_id", "text", "scale", "audience"]),
        )
        insert_new(
            ws,
            "respondents",
            pd.DataFrame(
                {
                    "respondent_id": [f"r{i:06d}" for i in range(respondents)],
                    "kind": "customer",
                }
            ),
        )
        toml = scratch / "campaign.toml"
        toml.write_text(CAMPAIGN_TOML, encoding="utf-8")
        create_campaign(ws, toml)
        links = invite(ws, WAVE, "http://127.0.0.1").links
    pairs = zip(links.respondent_id, links.link, strict=True)
    return {str(link).rsplit("/", 1)[1]: str(r) for r, link in pairs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _options(port: int, workers: int) -> list[str]:
    return ["--port", str(port), "--workers", str(workers)]


def start_server(
    where: str, port: int, workers: int, log: Path, extra: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """`realitygap serve` in a process group of its own, once it answers /healthz."""
    import httpx

    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "realitygap", "serve", where, *_options(port, workers), *extra],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # SIGKILL of the group reaches every worker
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 180  # several workers start slowly on a loaded machine
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            # with several workers, wait until each has started (each logs it)
            started = log.read_text().count("Application startup complete")
            if up and (workers == 1 or started >= workers):
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            kill(proc)
            raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the server's process group (the server and its workers) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


def processes_cpu_seconds(keep: Callable[[str, list[str]], bool]) -> float:
    """User + system CPU seconds of the live processes ``keep(command, fields)`` selects, from
    ``/proc/PID/stat`` (Linux; fields after the command: state, ppid, pgrp, ..., utime (the
    12th) and stime (the 13th))."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        command, rest = text[text.index("(") + 1 :].rsplit(")", 1)
        fields = rest.split()
        if keep(command, fields):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def server_cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """The server's process group: the server and its workers."""
    return processes_cpu_seconds(lambda _, fields: int(fields[2]) == proc.pid)


def postgres_cpu_seconds() -> float:
    """Every ``postgres`` process: the server and its backends (the workers' connections)."""
    return processes_cpu_seconds(lambda command, _: command == "postgres")


def own_cpu_seconds() -> float:
    """This process: the load generator."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- statements per survey -----------------------------------------------------------------
@dataclass(frozen=True)
class Statements:
    """What libpq sent the server: statements run (an Execute of the extended protocol or a
    simple Query), of which transaction control (BEGIN, COMMIT, ROLLBACK)."""

    run: int
    transaction_control: int

    @property
    def data(self) -> int:
        """Statements other than BEGIN/COMMIT/ROLLBACK."""
        return self.run - self.transaction_control


def read_trace(text: str) -> Statements:
    """Count the statements in a libpq trace (one line per protocol message; ``F`` the
    frontend's): an ``Execute`` runs one prepared or unnamed statement, a ``Query`` one
    simple statement."""
    run = control = 0
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] != "F":
            continue
        if parts[2] == "Execute":
            run += 1
        elif parts[2] == "Query":
            run += 1
            words = parts[3].strip().strip('"').split() if len(parts) > 3 else []
            control += bool(words) and words[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK")
    return Statements(run, control)


@contextlib.contextmanager
def traced() -> Iterator[list[Any]]:
    """Trace the libpq messages of every PostgreSQL workspace connection opened inside (a
    list of (connection, trace file)); :func:`trace_count` reads them."""
    from psycopg import pq

    from realitygap.store import postgres

    opened: list[Any] = []
    original = postgres.PgConnection.__init__

    def tracing(self: postgres.PgConnection, location: Any) -> None:
        original(self, location)
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the connection's trace
        self.raw.pgconn.trace(out.fileno())
        self.raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        opened.append((self, out))

    postgres.PgConnection.__init__ = tracing  # type: ignore[method-assign]
    try:
        yield opened
    finally:
        postgres.PgConnection.__init__ = original  # type: ignore[method-assign]


def trace_count(opened: list[Any], since: list[int] | None = None) -> tuple[Statements, list[int]]:
    """The statements traced on ``opened`` connections after the byte offsets ``since`` (from
    an earlier call), and the offsets now."""
    run = control = 0
    offsets = []
    for i, (con, out) in enumerate(opened):
        if not con.raw.closed:
            con.raw.pgconn.flush()  # type: ignore[no-untyped-call]
        out.seek(0)
        data = out.read()
        start = since[i] if since and i < len(since) else 0
        found = read_trace(data[start:].decode("utf-8", "replace"))
        run, control = run + found.run, control + found.transaction_control
        offsets.append(len(data))
    return Statements(run, control), offsets


def statements_per_survey(where: str, tokens: Sequence[tuple[str, int]]) -> list[Statements]:
    """Open and submit the surveys of ``tokens`` one after the other through the application
    in this process (FastAPI's TestClient) on the PostgreSQL workspace ``where``: the
    statements each cost, counted from libpq's trace. The first includes what a fresh process
    reads once."""
    from fastapi.testclient import TestClient

    from realitygap.service.app import create_app

    out = []
    with traced() as opened:
        app = create_app(where)
        with TestClient(app) as client:
            _, offsets = trace_count(opened)
            for token, number in tokens:
                page = client.get(f"/s/{token}")
                assert page.status_code == 200, page.text
                form = {"page": "1", "key": uuid.uuid4().hex, **answers_of(number)}
                done = client.post(f"/s/{token}", data=form, follow_redirects=False)
                assert done.status_code == 303, done.text
                found, offsets = trace_count(opened, offsets)
                out.append(found)
        app.state.access.close()
    return out


# ---- the load ------------------------------------------------------------------------------
@dataclass
class Run:
    """What the clients saw: acknowledged submissions (token -> idempotency key), the keys
    sent without an acknowledgement, and latencies in seconds."""

    acked: dict[str, str] = field(default_factory=dict)
    unacked: dict[str, str] = field(default_factory=dict)
    submit_seconds: list[float] = field(default_factory=list)
    open_seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def _respondent(
    session: object,
    base: str,
    queue: asyncio.Queue[tuple[str, int]],
    run: Run,
    stop_at: float,
) -> None:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    while time.monotonic() < stop_at:
        try:
            token, number = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        key = uuid.uuid4().hex
        try:
            t0 = time.perf_counter()
            async with session.get(f"{base}/s/{token}") as reply:
                await reply.read()
                if reply.status != 200:
                    run.error(f"open {reply.status}")
                    continue
            t1 = time.perf_counter()
            run.open_seconds.append(t1 - t0)
            form = {"page": "1", "key": key, **answers_of(number)}
            run.unacked[token] = key  # sent: acknowledged only by the 303
            async with session.post(f"{base}/s/{token}", data=form, allow_redirects=False) as reply:
                await reply.read()
                status = reply.status
            if status == 303:
                run.submit_seconds.append(time.perf_counter() - t1)
                run.acked[token] = run.unacked.pop(token)
            else:
                run.error(f"submit {status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            run.error(type(exc).__name__)


async def _load(
    base: str, tokens: Sequence[tuple[str, int]], concurrency: int, seconds: float, run: Run
) -> Run:
    import aiohttp

    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for item in tokens:
        queue.put_nowait(item)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    start = time.monotonic()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            *(_respondent(session, base, queue, run, start + seconds) for _ in range(concurrency))
        )
    run.elapsed = time.monotonic() - start
    return run


async def _baseline(base: str, concurrency: int, seconds: float) -> tuple[int, float]:
    import aiohttp

    done = 0
    stop_at = time.monotonic() + seconds

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            async with session.get(f"{base}/healthz") as reply:
                await reply.read()
                done += reply.status == 200

    start = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        await asyncio.gather(*(one(s) for _ in range(concurrency)))
    return done, time.monotonic() - start


def baseline(base: str, concurrency: int, seconds: float = 3.0) -> float:
    """Requests/s of the bare ``/healthz`` on the same server, clients and machine: what
    this machine serves when a request does no work (the baseline of the ratios)."""
    done, elapsed = asyncio.run(_baseline(base, concurrency, seconds))
    return done / elapsed


def load(
    base: str,
    tokens: Sequence[tuple[str, int]],
    concurrency: int,
    seconds: float,
    run: Run | None = None,
) -> Run:
    """Submit the surveys of ``tokens`` (token, respondent number) with ``concurrency``
    respondents at once, for at most ``seconds``, recording into ``run`` (which another
    thread may watch)."""
    return asyncio.run(_load(base, tokens, concurrency, seconds, run or Run()))


async def _retry(base: str, pending: dict[str, str], numbers: dict[str, int], run: Run) -> None:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for token, key in pending.items():
            form = {"page": "1", "key": key, **answers_of(numbers[token])}
            async with session.post(f"{base}/s/{token}", data=form, allow_redirects=False) as reply:
                await reply.read()
                if reply.status == 303:
                    run.acked[token] = key
                    run.unacked.pop(token, None)
                else:
                    run.error(f"retry {reply.status}")


def retry(base: str, run: Run, numbers: dict[str, int]) -> None:
    """Send every unacknowledged submission again with its own idempotency key."""
    asyncio.run(_retry(base, dict(run.unacked), numbers, run))


# ---- the check in the store ----------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    acknowledged: int
    missing: int  # acknowledged, but not (wholly) in the store
    doubled: int  # respondents with more rows than one submission gives
    stored: int  # respondents with their submission stored (acknowledged or not)


def count(where: str, run: Run, respondent_of: dict[str, str]) -> Count:
    """Read the store: every acknowledged submission present exactly once?"""
    with Workspace.open(where, read_only=True) as ws:
        rows = (
            ws.table("responses")
            .filter(lambda t: t.wave == WAVE)
            .group_by("respondent_id")
            .aggregate(n=lambda t: t.count())
            .to_pandas()
        )
        docs = (
            ws.table("documents")
            .filter(lambda t: t.wave == WAVE)
            .group_by("customer_id")
            .aggregate(n=lambda t: t.count())
            .to_pandas()
        )
        answered = set(
            ws.table("invitations")
            .filter(lambda t: (t.wave == WAVE) & t.responded_at.notnull())
            .select("respondent_id")
            .to_pandas()["respondent_id"]
        )
    per = dict(zip(rows["respondent_id"], rows["n"], strict=True))
    per_doc = dict(zip(docs["customer_id"], docs["n"], strict=True))
    acked = {respondent_of[t] for t in run.acked}
    missing = sum(
        1
        for r in acked
        if per.get(r, 0) != ANSWERS_PER_SUBMISSION or per_doc.get(r, 0) != 1 or r not in answered
    )
    doubled = sum(1 for n in per.values() if n > ANSWERS_PER_SUBMISSION) + sum(
        1 for n in per_doc.values() if n > 1
    )
    return Count(len(acked), missing, doubled, len(per))


# ---- the benchmark -------------------------------------------------------------------------
@contextlib.contextmanager
def store_at(kind: str, scratch: Path) -> Iterator[str]:
    """A fresh workspace location of ``kind`` (duckdb or postgres), removed afterwards."""
    if kind == "duckdb":
        yield str(scratch / "ws")
        return
    import psycopg

    from realitygap.store.location import parse_postgres

    schema = f"rg_load_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{SERVER}?schema={schema}"
    finally:
        location = parse_postgres(SERVER)
        with psycopg.connect(**location.connect_kwargs(), autocommit=True) as con:  # type: ignore[arg-type]
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def percentiles(seconds: Sequence[float]) -> str:
    if not seconds:
        return "no requests"
    p50, p95, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 95, 99])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms (n={len(seconds)})"


def bench(
    kind: str,
    workers: int,
    respondents: int,
    concurrency: int,
    seconds: float,
    serve_args: Sequence[str] = (),
) -> None:
    with tempfile.TemporaryDirectory() as tmp, store_at(kind, Path(tmp)) as where:
        os.environ.setdefault("REALITYGAP_HOME", str(Path(tmp) / "home"))
        t0 = time.perf_counter()
        respondent_of = prepare(where, respondents, Path(tmp))
        numbers = {t: int(r[1:]) for t, r in respondent_of.items()}
        print(f"\n{kind}: {respondents} invited in {time.perf_counter() - t0:.1f} s; ", end="")
        items = list(numbers.items())
        if kind == "postgres":
            counted = statements_per_survey(where, items[:SURVEYS_COUNTED])
            items = items[SURVEYS_COUNTED:]
            later = counted[1:]
            print(
                f"statements per survey (open + submit), first in a fresh process: "
                f"{counted[0].run} ({counted[0].transaction_control} BEGIN/COMMIT); "
                f"then {min(s.run for s in later)}-{max(s.run for s in later)} "
                f"({later[0].transaction_control} BEGIN/COMMIT), n={len(later)}"
            )
        port = free_port()
        server = start_server(where, port, workers, Path(tmp) / "server.log", serve_args)
        print(
            f"server: {workers} process(es) {' '.join(serve_args)}, "
            f"{concurrency} concurrent respondents"
        )
        base = f"http://127.0.0.1:{port}"
        try:
            empty = baseline(base, concurrency)
            before = server_cpu_seconds(server), postgres_cpu_seconds(), own_cpu_seconds()
            run = load(base, items, concurrency, seconds)
            cpu = server_cpu_seconds(server) - before[0]
            pg_cpu, own_cpu = postgres_cpu_seconds() - before[1], own_cpu_seconds() - before[2]
        finally:
            kill(server, signal.SIGTERM)
        rate = len(run.acked) / run.elapsed
        print(f"  baseline: GET /healthz {empty:.0f}/s (same server, clients and machine)")
        print(
            f"  submissions acknowledged: {len(run.acked)} in {run.elapsed:.1f} s = {rate:.0f}/s"
            f" ({rate / empty:.3f} of the baseline; each is a GET and a POST)"
        )
        acked = max(1, len(run.acked))
        print(f"  server CPU: {cpu:.1f} s = {1000 * cpu / acked:.1f} ms per acknowledged one")
        if kind == "postgres":
            print(f"  PostgreSQL CPU: {pg_cpu:.1f} s = {1000 * pg_cpu / acked:.1f} ms per one")
        print(
            f"  load generator CPU: {own_cpu:.1f} s = {1000 * own_cpu / acked:.1f} ms per one;"
            f" the machine had {run.elapsed * (os.cpu_count() or 1):.0f} CPU s"
        )
        print(f"  submit (POST): {percentiles(run.submit_seconds)}")
        print(f"  open (GET):    {percentiles(run.open_seconds)}")
        if run.errors:
            print(f"  errors: {run.errors}")
        c = count(where, run, respondent_of)
        print(
            f"  in the store: {c.acknowledged} acknowledged, {c.missing} missing, "
            f"{c.doubled} doubled, {c.stored} stored"
        )
        if c.missing or c.doubled:
            raise SystemExit(f"{kind}: acknowledged submissions missing or doubled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", nargs="+", default=["duckdb", "postgres"])
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL server workers")
    parser.add_argument("--respondents", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--serve-args", default="", help='more options of `realitygap serve` ("--no-access-log")'
    )
    args = parser.parse_args()
    print(
        f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; cores {os.cpu_count()}"
    )
    for kind in args.store:
        workers = 1 if kind == "duckdb" else args.workers
        extra = args.serve_args.split()
        bench(kind, workers, args.respondents, args.concurrency, args.seconds, extra)
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
