"""`campaign send` and `campaign remind` against a local SMTP server (aiosmtpd) started by the
test: the messages arrive with each respondent's personal link, one reminder at most, none to
those who finished, and a refused address is reported and retried without doubling."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.service.app import create_app
from realitygap.store import Workspace
from realitygap.store import campaigns as store
from realitygap.store.write import ensure_columns, insert_new
from tests.service_fixtures import CAMPAIGN_TOML, QUESTIONS

runner = CliRunner()
BASE = "https://surveys.example.org"
PEOPLE = [
    # respondent_id, kind, role, department, email
    ("c1", "customer", None, None, "ann@example.org"),
    ("c2", "customer", None, None, "bob@example.org"),
    ("c3", "customer", None, None, "refused@example.org"),
    ("c4", "customer", None, None, None),
    ("s1", "staff", "executive", "retail", "eve@example.org"),
]


class Inbox:
    """An SMTP handler keeping every message, refusing one address while ``refuse`` is set."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: str | None = "refused@example.org"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def links_to(self, address: str) -> list[str]:
        out = []
        for msg in self.messages:
            if msg["To"] == address:
                body = msg.get_payload(decode=True)
                assert isinstance(body, bytes)
                out += re.findall(r"https://\S+", body.decode())
        return out


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _workspace(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "ws"
    with Workspace.create(path) as ws:
        insert_new(
            ws,
            "questions",
            pd.DataFrame(
                QUESTIONS, columns=["question_id", "text", "scale", "audience", "mirrors"]
            ),
        )
        ensure_columns(ws, "respondents", ["email"])
        insert_new(
            ws,
            "respondents",
            pd.DataFrame(PEOPLE, columns=["respondent_id", "kind", "role", "department", "email"]),
        )
    (path / "settings.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "Surveys <surveys@example.org>"\n'
        'security = "none"\n',
        encoding="utf-8",
    )
    (tmp_path / "campaign.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    created = runner.invoke(app, ["campaign", "create", str(path), str(tmp_path / "campaign.toml")])
    assert created.exit_code == 0, created.output
    return path


def _run(*args: str) -> Any:
    return runner.invoke(app, ["campaign", *args, "--base-url", BASE])


def test_send_then_one_reminder_only_to_those_not_finished(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    ws_path = _workspace(tmp_path, port)

    first = _run("send", str(ws_path), "2026-spring")
    # 5 people invited; c3 refused by the server, c4 has no address: 3 sent, exit 1
    assert first.exit_code == 1, first.output
    assert "3 invitations sent" in first.output
    assert "not sent to c3: refused by the server (550" in first.output
    assert "not sent to c4: no e-mail address" in first.output
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@example.org",
        "bob@example.org",
        "eve@example.org",
    ]
    assert all(m["Subject"] == "Spring survey" for m in inbox.messages)
    ann = inbox.links_to("ann@example.org")
    assert len(ann) == 1 and ann[0].startswith(f"{BASE}/s/")

    # the link works: it opens Ann's survey, and she finishes it
    client = TestClient(create_app(ws_path))
    path = ann[0].removeprefix(BASE)
    assert "Page 1 of 2" in client.get(path).text
    form = {"page": "1", "key": "k1", "answer:q_nps": "9", "answer:q_ease": "5"}
    assert client.post(path, data=form, follow_redirects=False).status_code == 303
    form = {"page": "2", "key": "k2", "answer:q_staff": "5"}  # 9 > 6: no follow-up
    client.post(path, data=form, follow_redirects=False)
    assert "Your answers have been received" in client.get(path).text

    # the refused address is accepted again: a rerun sends to it alone, nobody twice
    inbox.refuse = None
    again = _run("send", str(ws_path), "2026-spring")
    assert "1 invitations sent" in again.output, again.output
    assert sorted(m["To"] for m in inbox.messages).count("ann@example.org") == 1
    assert [m["To"] for m in inbox.messages][-1] == "refused@example.org"

    # reminders: to those sent and not finished (bob, refused@, eve), never to ann
    before = len(inbox.messages)
    reminded = _run("remind", str(ws_path), "2026-spring")
    assert reminded.exit_code == 0, reminded.output
    new = inbox.messages[before:]
    assert sorted(m["To"] for m in new) == [
        "bob@example.org",
        "eve@example.org",
        "refused@example.org",
    ]
    assert all(m["Subject"] == "Reminder: Spring survey" for m in new)
    # the reminder carries the same personal link as the invitation
    assert inbox.links_to("bob@example.org")[0] == inbox.links_to("bob@example.org")[1]
    # at most one reminder: a second run sends none
    twice = _run("remind", str(ws_path), "2026-spring")
    assert twice.exit_code == 0 and "0 reminders sent" in twice.output
    assert len(inbox.messages) == before + 3
    with Workspace.open(ws_path, read_only=True) as ws:
        assert store.mailed_counts(ws, "2026-spring") == (4, 3)


def test_an_unreachable_server_fails_every_address_and_a_rerun_sends_them(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    ws_path = _workspace(tmp_path, closed)
    inbox.refuse = None
    failed = _run("send", str(ws_path), "2026-spring")
    assert failed.exit_code == 1
    assert failed.output.count("could not reach the mail server 127.0.0.1") == 4
    assert inbox.messages == []
    settings = (ws_path / "settings.toml").read_text().replace(str(closed), str(port))
    (ws_path / "settings.toml").write_text(settings)
    sent = _run("send", str(ws_path), "2026-spring")
    assert "4 invitations sent" in sent.output, sent.output
    assert len(inbox.messages) == 4


def test_no_smtp_settings_is_a_clear_error(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    ws_path = _workspace(tmp_path, smtp[1])
    (ws_path / "settings.toml").unlink()
    result = _run("send", str(ws_path), "2026-spring")
    assert result.exit_code != 0
    assert "no [smtp] table" in result.output and "Traceback" not in result.output
