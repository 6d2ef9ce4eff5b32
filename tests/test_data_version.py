"""The cheap data version (the data stamp every write transaction bumps) against the full
fingerprint (a hash of every row of every table it covers), the independent check: through
every writer path a user has (CLI commands, each in a process of its own as far as the
workspace is concerned, survey submissions, file edits), whenever the fingerprint changes the
stamp changes too; reads (dashboard pages, reports, the audit log) change neither."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from realitygap.cli import app as cli
from realitygap.service.access import add_user
from realitygap.service.app import create_app
from realitygap.store import SCHEMA_VERSION, Workspace
from realitygap.store.version import data_version, full_fingerprint
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace, sign_in
from tests.test_engines import pg_home, pg_url  # noqa: F401  (fixtures)

runner = CliRunner()
PASSWORD = "correct horse battery"


def versions(where: str | Path) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(cheap stamp, full fingerprint) as a fresh connection of another process sees them."""
    with Workspace.open(where) as ws:
        return data_version(ws), full_fingerprint(ws)


def invoke(*args: str) -> str:
    done = runner.invoke(cli, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def check(where: str | Path, name: str, step: Callable[[], object], *, writes: bool) -> None:
    """Run ``step``: a writer must change the fingerprint (else the check says nothing) and
    then the stamp; a read must change neither."""
    stamp, full = versions(where)
    step()
    stamp_after, full_after = versions(where)
    if writes:
        assert full_after != full, f"{name}: the step changed no data; pick one that does"
        assert stamp_after != stamp, f"{name}: the data changed but the stamp did not"
    else:
        assert (stamp_after, full_after) == (stamp, full), f"{name}: a read changed the version"


@pytest.fixture
def company(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with make_workspace(path) as ws:
        add_user(ws, "analyst@example.com", "Analyst", "analyst", PASSWORD)
    (tmp_path / "campaign.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    (tmp_path / "documents.csv").write_text(
        "document_id,source,text,customer_id,rating,created_at\n"
        "rev-1,review,Delivery took nine days and nobody told me why.,c2,2,2026-03-14\n",
        encoding="utf-8",
    )
    return path


def test_every_writer_changes_the_stamp_and_reads_do_not(company: Path) -> None:
    where, tmp = str(company), company.parent
    with TestClient(create_app(company), follow_redirects=False) as client:
        assert (
            sign_in(client, "analyst@example.com", PASSWORD) == 303
        )  # a session is bookkeeping, not data: checked as a read below
        check(where, "dashboard pages", lambda: client.get("/app/summary"), writes=False)

        def campaign() -> None:
            invoke("campaign", "create", where, str(tmp / "campaign.toml"))

        check(where, "campaign create", campaign, writes=True)
        links: dict[str, str] = {}

        def invite() -> None:
            out = tmp / "links.csv"
            invoke("campaign", "invite", where, "2026-spring", "--out", str(out))
            for line in out.read_text("utf-8").splitlines()[1:]:
                rid, link = line.split(",")[0], line.rsplit(",", 1)[1]
                links[rid] = link.rsplit("/", 1)[1]

        check(where, "campaign invite", invite, writes=True)

        def page(number: int, **answers: str) -> Callable[[], None]:
            def submit() -> None:
                token = links["c1"]
                form = client.get(f"/s/{token}").text
                key = re.search(r'name="key" value="([^"]+)"', form)
                assert key is not None
                data = {"page": str(number), "key": key.group(1)}
                data |= {f"answer:{q}": v for q, v in answers.items()}
                assert client.post(f"/s/{token}", data=data).status_code == 303

            return submit

        check(where, "survey page saved", page(1, q_nps="3", q_ease="2"), writes=True)
        check(where, "survey finished", page(2, q_followup="Too slow", q_staff="2"), writes=True)
        check(
            where,
            "import",
            lambda: invoke("import", where, str(tmp / "documents.csv"), "--kind", "documents"),
            writes=True,
        )
        check(where, "text tag", lambda: invoke("text", "tag", where), writes=True)
        check(
            where,
            "cases open",
            lambda: invoke("cases", "open", where, "--trigger", "detractor"),
            writes=True,
        )

        def case_update() -> None:
            with Workspace.open(where) as ws:
                row = ws.con.execute("SELECT min(case_id) FROM cases").fetchone()
            assert row is not None and row[0] is not None
            invoke("cases", "update", where, str(row[0]), "--status", "contacted")

        check(where, "cases update", case_update, writes=True)
        check(
            where,
            "campaign close",
            lambda: invoke("campaign", "close", where, "2026-spring"),
            writes=True,
        )

        def settings() -> None:
            (company / "settings.toml").write_text("[cases]\nsla_hours = 24\n", "utf-8")

        check(where, "settings edit", settings, writes=True)

        def taxonomy() -> None:
            path = company / "taxonomy.toml"
            path.write_text(path.read_text("utf-8") + "\n# edited\n", "utf-8")

        check(where, "taxonomy edit", taxonomy, writes=True)
        check(where, "audit-log", lambda: invoke("audit-log", where), writes=False)
        check(where, "report", lambda: invoke("gap", where), writes=False)
        for path in ("/app/summary", "/app/gap", "/app/live.json"):
            check(where, path, lambda p=path: client.get(p), writes=False)  # type: ignore[misc]


@pytest.mark.parametrize("back", [1, 2])
def test_a_workspace_of_an_earlier_version_migrates_and_is_stamped(
    company: Path, back: int
) -> None:
    """A workspace ``back`` schema versions old, as an earlier release left it: one version back
    it has the one-row stamp (here at 41), two back no stamp table. Opened, it gains the stamp
    in slots, the count kept, and writes bump it from there."""
    with Workspace.open(company) as ws:
        ws.con.execute("DROP TABLE data_stamp")
        if back == 1:
            ws.con.execute("CREATE TABLE data_stamp (version BIGINT NOT NULL)")
            ws.con.execute("INSERT INTO data_stamp VALUES (41)")
        ws.con.execute("DELETE FROM schema_version WHERE version > ?", [SCHEMA_VERSION - back])
    con = duckdb.connect(str(company / "realitygap.duckdb"))
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (
        SCHEMA_VERSION - back,
    )
    con.close()
    first, _ = versions(company)
    # by hand: each migration from the stamp's own on commits one bump; 41 kept one back
    assert first[0] == (41 + 1 if back == 1 else 2)
    check(
        str(company),
        "import after migrating",
        lambda: invoke(
            "import", str(company), str(company.parent / "documents.csv"), "--kind", "documents"
        ),
        writes=True,
    )


def test_writes_from_another_connection_on_postgresql(pg_url: str) -> None:  # noqa: F811
    """On PostgreSQL the stamp is a row of the workspace's schema: a write through one
    connection (another worker, a CLI) is seen through another that stayed open."""
    import pandas as pd

    from realitygap.store.write import insert_new

    with Workspace.create(pg_url) as reader, Workspace.open(pg_url) as writer:
        stamp, full = data_version(reader), full_fingerprint(reader)
        with writer.transaction():
            insert_new(
                writer,
                "respondents",
                pd.DataFrame([("c9", "customer")], columns=["respondent_id", "kind"]),
            )
        assert full_fingerprint(reader) != full
        assert data_version(reader) != stamp
        again = data_version(reader)
        full_fingerprint(reader)  # a read
        assert data_version(reader) == again
        # bookkeeping (a session) is not data: no new stamp
        add_user(writer, "lead@example.com", "Lead", "analyst", PASSWORD)
        assert data_version(reader) == again


def test_concurrent_writers_do_not_wait_for_each_other_on_the_stamp(pg_url: str) -> None:  # noqa: F811
    """Two PostgreSQL connections each in an open write transaction: the second bumps the stamp
    without waiting for the first's commit (one stamp row per connection's slot; with a single
    row it waited for the row lock, which serialised the service's submissions), and a reader
    sees each bump at its commit, never before."""
    import psycopg

    from realitygap.store.schema import STAMP_SLOTS, stamp_bump

    with Workspace.create(pg_url) as reader, Workspace.open(pg_url) as a:
        b = Workspace.open(pg_url)
        pid = lambda ws: ws.con.execute("SELECT pg_backend_pid()").fetchone()[0]  # noqa: E731
        while pid(b) % STAMP_SLOTS == pid(a) % STAMP_SLOTS:  # the same slot: another one
            b.close()
            b = Workspace.open(pg_url)
        try:
            start = data_version(reader)[0]
            with a.con.raw.transaction():
                # where a write transaction holds it: the bump it runs last, before its commit
                a.con.execute(str(stamp_bump(SCHEMA_VERSION, "postgres")))
                b.con.execute("SET lock_timeout = '2s'")
                try:
                    with b.transaction():
                        b.changed()
                except psycopg.errors.LockNotAvailable:
                    pytest.fail("the second writer waited for the first's stamp row")
                assert data_version(reader)[0] == start + 1  # b committed, a not yet
            assert data_version(reader)[0] == start + 2
        finally:
            b.close()
