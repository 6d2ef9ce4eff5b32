"""`realitygap campaign create/invite/close/list` and `realitygap token create/list/revoke`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.store import Workspace
from realitygap.store import campaigns as store
from realitygap.store.write import ensure_columns
from tests.service_fixtures import CAMPAIGN_TOML, make_workspace, read_csv

runner = CliRunner()


def _workspace(tmp_path: Path) -> Path:
    with make_workspace(tmp_path / "ws") as ws:
        ensure_columns(ws, "respondents", ["email"])
        emails = pd.DataFrame({"respondent_id": ["c1", "c2"], "email": ["a@x.org", "=cmd()"]})
        for row in emails.itertuples(index=False):
            store_email(ws, str(row.respondent_id), str(row.email))
    (tmp_path / "campaign.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    return tmp_path / "ws"


def store_email(ws: Workspace, respondent_id: str, email: str) -> None:
    from realitygap.store.write import delete_all, insert_new

    frame = ws.table("respondents").to_pandas()
    frame.loc[frame["respondent_id"] == respondent_id, "email"] = email
    with ws.transaction():
        delete_all(ws, "respondents")
        insert_new(ws, "respondents", frame)


def test_create_invite_and_close_a_campaign(tmp_path: Path) -> None:
    ws_path = _workspace(tmp_path)
    created = runner.invoke(
        app, ["campaign", "create", str(ws_path), str(tmp_path / "campaign.toml")]
    )
    assert created.exit_code == 0, created.output
    # 4 items, page_size 2 (tests/service_fixtures.py), q_nps and q_ease mirrored
    assert (
        "campaign 2026-spring (wave 2026-spring): 4 items on 2 pages, 2 mirrored" in created.output
    )
    out = tmp_path / "links.csv"
    invited = runner.invoke(
        app,
        [
            "campaign",
            "invite",
            str(ws_path),
            "2026-spring",
            "--out",
            str(out),
            "--base-url",
            "https://surveys.example.org/",
        ],
    )
    assert invited.exit_code == 0, invited.output
    rows = read_csv(out)
    assert [r["respondent_id"] for r in rows] == ["c1", "c2", "c3", "s1", "s2"]
    assert [r["kind"] for r in rows] == ["customer"] * 3 + ["staff"] * 2
    # the staff of tests/service_fixtures.py with their role and department
    assert [(r["role"], r["department"]) for r in rows[3:]] == [
        ("executive", "retail"),
        ("frontline", "digital"),
    ]
    assert list(rows[0]) == ["respondent_id", "kind", "role", "department", "email", "link"]
    # an e-mail a spreadsheet would run as a formula is written as text
    assert [r["email"] for r in rows] == ["a@x.org", "'=cmd()", "", "", ""]
    tokens = [r["link"].removeprefix("https://surveys.example.org/s/") for r in rows]
    # secrets.token_urlsafe(32): 32 random bytes = 256 bits, 43 URL-safe characters
    assert all(len(t) == 43 for t in tokens) and len(set(tokens)) == 5
    with Workspace.open(ws_path, read_only=True) as ws:
        stored = set(ws.table("invitations").to_pandas()["token_sha256"])
    assert stored == {store.token_digest(t) for t in tokens}
    again = runner.invoke(
        app, ["campaign", "invite", str(ws_path), "2026-spring", "--out", str(out)]
    )
    assert "0 personal links" in again.output and "5 invited before" in again.output
    listed = runner.invoke(app, ["campaign", "list", str(ws_path)])
    assert "2026-spring  wave 2026-spring  open  5 invited  mirror" in listed.output
    closed = runner.invoke(app, ["campaign", "close", str(ws_path), "2026-spring"])
    assert closed.exit_code == 0 and "closed" in closed.output
    refused = runner.invoke(
        app, ["campaign", "invite", str(ws_path), "2026-spring", "--out", str(out)]
    )
    assert refused.exit_code == 2 and "is closed" in refused.output


def test_a_bad_definition_names_every_problem(tmp_path: Path) -> None:
    ws_path = _workspace(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'wave = "w1"\n[[items]]\nquestion = "q_nope"\n[[items]]\nquestion = "q_nps"\n'
        'show_when = "q_ease <= 2"\n[[items]]\nquestion = "m_nps"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["campaign", "create", str(ws_path), str(bad)])
    assert result.exit_code == 2
    assert "column 'items[1].question': found 'q_nope', expected a question_id" in result.output
    assert (
        "column 'items[2].show_when': found 'q_ease <= 2', expected a condition on a "
        "question asked before this item" in result.output
    )
    assert (
        "column 'items[3].question': found 'm_nps', expected a customer question" in result.output
    )
    assert "Traceback" not in result.output


def test_tokens_are_created_listed_and_revoked(tmp_path: Path) -> None:
    ws_path = _workspace(tmp_path)
    created = runner.invoke(app, ["token", "create", str(ws_path), "--scope", "write"])
    assert created.exit_code == 0, created.output
    token_id, token = created.output.strip().split(" (write): ")
    assert token.startswith("rg_")
    with Workspace.open(ws_path, read_only=True) as ws:
        assert store.api_token_by_digest(ws, store.token_digest(token)) is not None
    assert (
        f"{token_id}  write  in force" in runner.invoke(app, ["token", "list", str(ws_path)]).output
    )
    assert runner.invoke(app, ["token", "revoke", str(ws_path), token_id]).exit_code == 0
    with Workspace.open(ws_path, read_only=True) as ws:
        assert store.api_token_by_digest(ws, store.token_digest(token)) is None
    bad = runner.invoke(app, ["token", "create", str(ws_path), "--scope", "admin"])
    assert bad.exit_code == 2 and "--scope: found 'admin', expected read or write" in bad.output


@pytest.mark.parametrize("access_log", [True, False])
def test_serve_answers_on_the_port_it_is_given(tmp_path: Path, access_log: bool) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    ws_path = _workspace(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "realitygap", "serve", str(ws_path), "--port", str(port)]
        + ([] if access_log else ["--no-access-log"]),
        env=env,
        stdout=subprocess.PIPE,  # uvicorn's access log
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert reply.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/s/nothing").status_code == 404
        # between requests the server holds no lock: another process reads the workspace
        # without waiting (docs/service.md, "Running it")
        with Workspace.open(ws_path, read_only=True, wait=0) as ws:
            assert ws.count("campaigns") == 0
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    # uvicorn's access line of the request above, or none with --no-access-log
    assert ('"GET /s/nothing HTTP/1.1" 404' in out.decode()) == access_log
