"""A small workspace with cases in two departments, a customer's answers and comment, and
one dashboard user per role (two managers: logistics and retail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from realitygap.service.access import add_user
from realitygap.service.dashboard import LOGIN_COOKIE
from realitygap.store import Workspace
from realitygap.store.write import insert_new
from tests.service_fixtures import DASHBOARD_PASSWORD, make_workspace

HOSTILE = "<script>alert(1)</script> late again <img src=x onerror=alert(2)> never on time"
USERS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "viewer": ("viewer", None),
    "manager": ("manager", "logistics"),  # sees delivery (logistics) cases
    "retail": ("manager", "retail"),  # sees store_staff (retail) cases
}
NOW = datetime.now(UTC).replace(tzinfo=None)  # the workspace stores naive UTC
DAY = timedelta(days=1)


def make_case_company(path: Path) -> Path:
    ws = make_workspace(path)
    insert_new(
        ws,
        "responses",
        pd.DataFrame(
            {
                "respondent_id": ["c1", "c1"],
                "question_id": ["q_nps", "q_ease"],
                "wave": ["w1", "w1"],
                "value": [3.0, 2.0],
                "submitted_at": [NOW - timedelta(days=3)] * 2,
                "channel": ["web", "web"],
            }
        ),
    )
    insert_new(
        ws,
        "documents",
        pd.DataFrame(
            {
                "document_id": ["d1"],
                "source": ["survey"],
                "text": [HOSTILE],
                "customer_id": ["c1"],
                "created_at": [NOW - timedelta(days=3)],
            }
        ),
    )
    insert_new(
        ws,
        "cases",
        pd.DataFrame(
            {
                "case_id": ["detractor:c1:w1", "detractor:c2:w1", "staff_attitude:d9"],
                "customer_id": ["c1", "c2", "c3"],
                "trigger": ["detractor", "detractor", "staff_attitude"],
                "touchpoint": ["delivery", "delivery", "store_staff"],
                "owner": ["logistics", "logistics", "retail"],
                "status": ["open", "open", "open"],
                "opened_at": [NOW - timedelta(days=3)] * 3,
                # the first is overdue (due yesterday), the others are due tomorrow
                "due_at": [NOW - DAY, NOW + DAY, NOW + DAY],
            }
        ),
    )  # fmt: skip
    for name, (role, department) in USERS.items():
        add_user(
            ws,
            f"{name}@example.com",
            name.title(),
            role,
            DASHBOARD_PASSWORD,
            department=department,
        )
    ws.close()
    return path


def sign_in(client: TestClient, name: str) -> int:
    client.cookies.clear()
    client.get("/login")
    token = client.cookies.get(LOGIN_COOKIE)
    r = client.post(
        "/login",
        data={"email": f"{name}@example.com", "password": DASHBOARD_PASSWORD, "csrf": token},
    )
    return r.status_code


def open_ws(path: Path) -> Workspace:
    return Workspace.open(path, read_only=True)
