"""Case webhooks against a local receiver that fails on purpose and checks each signature
with its own HMAC (hashlib/hmac here, not the service's code); retries with backoff, the
dead-letter list; and the help desk's signed status updates (401, replay window, replays)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from realitygap.service import webhooks
from realitygap.service.app import create_app
from realitygap.store import Workspace
from realitygap.store import cases as case_store
from realitygap.store import users as user_store
from realitygap.store import webhook_queue as queue
from realitygap.store.campaigns import utc_now
from tests.cases_fixtures import make_case_company
from tests.test_engines import pg_home, pg_url  # noqa: F401  (fixtures)

SECRET = "a-shared-secret-of-some-length"
HELPDESK = "the-help-desks-own-secret-value"
CASE = "detractor:c2:w1"


class Receiver:
    """An HTTP receiver that answers 500 to the first ``failures`` posts, then 204, and
    records whether each signature was right by its own HMAC-SHA256 of ``t.body``."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers["X-Realitygap-Signature"]
                fields = dict(part.split("=", 1) for part in header.split(","))
                mac = hmac.new(
                    SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                outer.seen.append(
                    {"valid": hmac.compare_digest(mac, fields["v1"]), "body": json.loads(body)}
                )
                failing = len(outer.seen) <= outer.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(webhooks.SECRET_ENV, SECRET)
    monkeypatch.setenv(webhooks.HELPDESK_SECRET_ENV, HELPDESK)
    return make_case_company(tmp_path / "ws")


def configure(company: Path, url: str) -> None:
    (company / "settings.toml").write_text(f'[webhooks]\nurl = "{url}"\n', encoding="utf-8")


def test_a_failing_receiver_gets_the_event_after_backoff_signed_right(company: Path) -> None:
    with Receiver(failures=2) as receiver, Workspace.open(company) as ws:
        configure(company, receiver.url)
        case_store.update(ws, CASE, status="contacted", actor="u1")
        start = utc_now()
        first = webhooks.deliver_due(ws, now=start)
        assert (first.delivered, first.retrying, first.dead) == (0, 1, 0)
        # not due again before the first backoff (30 s) has passed
        assert webhooks.deliver_due(ws, now=start + timedelta(seconds=29)).retrying == 0
        assert webhooks.deliver_due(ws, now=start + timedelta(seconds=30)).retrying == 1
        # the second failure waits twice as long: 60 s after it
        later = start + timedelta(seconds=30 + 59)
        assert webhooks.deliver_due(ws, now=later).delivered == 0
        assert webhooks.deliver_due(ws, now=later + timedelta(seconds=1)).delivered == 1
        [done] = queue.deliveries(ws)
    assert (done.status, done.attempts) == ("delivered", 3)
    assert [s["valid"] for s in receiver.seen] == [True, True, True]
    event = receiver.seen[-1]["body"]
    assert event["event"] == "case.status_changed"
    assert event["case"]["case_id"] == CASE and event["case"]["status"] == "contacted"


def test_after_the_last_try_the_delivery_is_a_dead_letter(company: Path) -> None:
    with Receiver(failures=1000) as receiver, Workspace.open(company) as ws:
        configure(company, receiver.url)
        case_store.assign(ws, CASE, "ana", actor="u1")
        at = utc_now()
        for _ in range(queue.MAX_ATTEMPTS):
            webhooks.deliver_due(ws, now=at)
            at += timedelta(days=1)  # past any backoff
        assert webhooks.deliver_due(ws, now=at) == webhooks.Round(0, 0, 0)
        [dead] = queue.deliveries(ws, queue.DEAD)
        assert dead.attempts == queue.MAX_ATTEMPTS and dead.last_error == "HTTP 500"
        assert queue.requeue(ws, dead.delivery_id, at)
        assert len(queue.due(ws, at)) == 1
    assert len(receiver.seen) == queue.MAX_ATTEMPTS


def test_nothing_is_queued_without_a_receiver(company: Path) -> None:
    with Workspace.open(company) as ws:
        case_store.update(ws, CASE, status="contacted")
        assert queue.deliveries(ws) == []


def helpdesk_post(
    client: TestClient,
    case_id: str,
    update: dict[str, Any],
    *,
    key: str = HELPDESK,
    at: int | None = None,
) -> tuple[int, str]:
    """Sign as a help desk would, with hmac here, not the service's sign()."""
    body = json.dumps(update).encode()
    t = int(time.time()) if at is None else at
    mac = hmac.new(key.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    header = f"t={t},v1={mac}"
    r = client.post(
        f"/api/cases/{quote(case_id, safe='')}/status",
        content=body,
        headers={"X-Realitygap-Signature": header, "Content-Type": "application/json"},
    )
    return r.status_code, header


def test_help_desk_status_update_signed_audited_and_replays_refused(company: Path) -> None:
    with TestClient(create_app(company)) as client:
        code, header = helpdesk_post(client, CASE, {"status": "contacted"})
        assert code == 200
        # the very same signed request again: a replay
        body = json.dumps({"status": "contacted"}).encode()
        again = client.post(
            f"/api/cases/{quote(CASE, safe='')}/status",
            content=body,
            headers={"X-Realitygap-Signature": header},
        )
        assert again.status_code == 409
        assert helpdesk_post(client, CASE, {"status": "resolved"}, key="wrong-key-x" * 2)[0] == 401
        stale = int(time.time()) - webhooks.REPLAY_WINDOW - 5
        assert helpdesk_post(client, CASE, {"status": "resolved"}, at=stale)[0] == 401
        unsigned = client.post(f"/api/cases/{quote(CASE, safe='')}/status", json={})
        assert unsigned.status_code == 401
        assert helpdesk_post(client, "no-such-case", {"status": "contacted"})[0] == 404
        # a transition the loop does not allow: refused, named
        assert helpdesk_post(client, CASE, {"status": "open"})[0] == 409
    with Workspace.open(company, read_only=True) as ws:
        assert case_store.get_case(ws, CASE)["status"] == "contacted"
        entries = [e for e in user_store.audit_entries(ws) if e.target == CASE]
    assert [(e.actor, e.action) for e in entries] == [("helpdesk", "case.status_changed")]


def test_cases_web_webhooks_and_help_desk_on_postgresql(
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Migration 10 and the same flow on PostgreSQL: a manager's scope, a change queued and
    delivered after one failure, a signed update from the help desk, a replay refused."""
    from tests.cases_fixtures import sign_in

    monkeypatch.setenv(webhooks.SECRET_ENV, SECRET)
    monkeypatch.setenv(webhooks.HELPDESK_SECRET_ENV, HELPDESK)
    make_case_company(pg_url)  # type: ignore[arg-type]
    with Receiver(failures=1) as receiver:
        with Workspace.open(pg_url) as ws:
            configure(ws.path, receiver.url)
        with TestClient(create_app(pg_url), follow_redirects=False) as client:
            assert sign_in(client, "manager") == 303
            assert (
                client.get("/app/cases/" + quote("staff_attitude:d9", safe="")).status_code == 404
            )
            code, header = helpdesk_post(client, CASE, {"status": "contacted"})
            assert code == 200
            again = client.post(
                f"/api/cases/{quote(CASE, safe='')}/status",
                content=json.dumps({"status": "contacted"}).encode(),
                headers={"X-Realitygap-Signature": header},
            )
            assert again.status_code == 409
        with Workspace.open(pg_url) as ws:
            at = utc_now()
            assert webhooks.deliver_due(ws, now=at).retrying == 1
            assert webhooks.deliver_due(ws, now=at + timedelta(minutes=1)).delivered == 1
            assert case_store.get_case(ws, CASE)["status"] == "contacted"
    assert [s["valid"] for s in receiver.seen] == [True, True]


def test_the_dead_letter_list_prints_the_stored_error_as_it_is(company: Path) -> None:
    """`webhooks dead` prints each dead letter's last error verbatim: a receiver's text such
    as ``[bold]`` or ``[Errno 111]`` is not Rich markup. Expected: the line built here from the
    stored row (the queue's own read), and the empty list's message."""
    from typer.testing import CliRunner

    from realitygap.cli import app as cli

    runner = CliRunner()
    empty = runner.invoke(cli, ["webhooks", "dead", str(company)])
    assert empty.exit_code == 0 and empty.output.strip() == "no dead letters"
    error = "[bold]HTTP 502[/bold] from the proxy, [Errno 111] Connection refused"
    with Workspace.open(company) as ws:
        configure(company, "http://127.0.0.1:9/never")
        case_store.assign(ws, CASE, "ana", actor="u1")
        at = utc_now()
        for _ in range(queue.MAX_ATTEMPTS):
            [pending] = queue.deliveries(ws)
            queue.mark_failed(ws, pending, error, at)
        [dead] = queue.deliveries(ws, queue.DEAD)
    out = runner.invoke(cli, ["webhooks", "dead", str(company)], env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    expected = f"{dead.delivery_id}  {dead.event}  {CASE}  {queue.MAX_ATTEMPTS} tries  {error}"
    assert out.output.strip() == expected
