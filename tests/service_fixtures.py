"""A small workspace with a question bank, customers and staff, and a campaign to serve."""

from __future__ import annotations

import csv
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from realitygap.service.dashboard import LOGIN_COOKIE
from realitygap.service.manage import create_campaign, invite
from realitygap.store import Workspace
from realitygap.store.write import insert_new

QUESTIONS = [
    # question_id, text, scale, audience, mirrors
    ("q_nps", "How likely are you to recommend us?", "nps", "customer", None),
    ("q_ease", "It was easy to order.", "likert5", "customer", None),
    ("q_followup", "What should we do better?", "text", "customer", None),
    ("q_staff", "Staff were friendly.", "likert5", "customer", None),
    ("m_nps", "How will customers rate recommending us?", "nps", "mirror", "q_nps"),
    ("m_ease", "How will customers rate ordering?", "likert5", "mirror", "q_ease"),
]

CAMPAIGN_TOML = """\
name = "Spring survey"
wave = "2026-spring"
mirror = true
page_size = 2

[[items]]
question = "q_nps"
required = true

[[items]]
question = "q_ease"

[[items]]
question = "q_followup"
show_when = "q_nps <= 6"

[[items]]
question = "q_staff"
"""
# Pages as the definition lays them out (page_size 2; the follow-up's condition is on page 1,
# so it may stay on page 2): page 1 q_nps, q_ease; page 2 q_followup, q_staff.

CUSTOMERS = ["c1", "c2", "c3"]
STAFF = [("s1", "executive", "retail"), ("s2", "frontline", "digital")]


def make_workspace(path: Path) -> Workspace:
    ws = Workspace.create(path)
    insert_new(
        ws,
        "questions",
        pd.DataFrame(QUESTIONS, columns=["question_id", "text", "scale", "audience", "mirrors"]),
    )
    people = [(c, "customer", None, None) for c in CUSTOMERS] + [
        (s, "staff", role, dept) for s, role, dept in STAFF
    ]
    insert_new(
        ws,
        "respondents",
        pd.DataFrame(people, columns=["respondent_id", "kind", "role", "department"]),
    )
    return ws


def campaign_with_links(ws: Workspace, tmp: Path) -> dict[str, str]:
    """Create the campaign and invite everyone: respondent id -> token."""
    toml = tmp / "campaign.toml"
    toml.write_text(CAMPAIGN_TOML, encoding="utf-8")
    create_campaign(ws, toml)
    invited = invite(ws, "2026-spring", "http://testserver")
    return {
        str(r.respondent_id): str(r.link).rsplit("/", 1)[1]
        for r in invited.links.itertuples(index=False)
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@contextmanager
def serving(workspace: Path) -> Iterator[str]:
    """The service for ``workspace`` on uvicorn on a free loopback port: its base URL."""
    import uvicorn

    from realitygap.service.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


DASHBOARD_PASSWORD = "correct horse battery"
DASHBOARD_ROLES = ("admin", "analyst", "manager", "viewer")


def make_dashboard_company(path: Path) -> Path:
    """A 2,000-customer simulated company (the docs' example size), its comments tagged, with
    one dashboard user per role (``ROLE@example.com``, password ``DASHBOARD_PASSWORD``)."""
    from realitygap.actions.text import tag_workspace
    from realitygap.service.access import add_user
    from realitygap.simulate import simulate

    simulate(path, customers=2_000, seed=5)
    with Workspace.open(path) as ws:
        tag_workspace(ws)
        for role in DASHBOARD_ROLES:
            department = "Stores" if role == "manager" else None
            add_user(
                ws,
                f"{role}@example.com",
                role.title(),
                role,
                DASHBOARD_PASSWORD,
                department=department,
            )
    return path


def sign_in(client: TestClient, email: str, password: str, next: str = "/app/summary") -> int:
    """Sign in through the login form as a browser does (its CSRF cookie first); the status
    of the form's answer (303 when signed in)."""
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf": client.cookies.get(LOGIN_COOKIE),
            "next": next,
        },
    )
    return r.status_code
