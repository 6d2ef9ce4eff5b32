"""The /api for scripts: tokens and scopes, campaigns, paginated invitations, submissions with
idempotency keys, one error shape, and the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from realitygap.service.app import create_app
from realitygap.service.manage import create_token
from realitygap.store import Workspace
from realitygap.store import campaigns as store
from tests.service_fixtures import CUSTOMERS, STAFF, campaign_with_links, make_workspace

WAVE = "2026-spring"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    with make_workspace(tmp_path / "ws") as ws:
        campaign_with_links(ws, tmp_path)
        tokens = {scope: create_token(ws, scope)[1] for scope in ("read", "write")}
        tokens["revoked_id"], tokens["revoked"] = create_token(ws, "write")
        store.revoke_api_token(ws, tokens["revoked_id"])
    with TestClient(create_app(tmp_path / "ws")) as client:
        yield client, tokens, tmp_path / "ws"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_error_shape(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "problems"} and error["code"] == code


def test_tokens_are_needed_scoped_and_revocable(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, tokens, _ = api
    missing = client.get("/api/campaigns")
    assert missing.status_code == 401
    _assert_error_shape(missing.json(), "unauthorized")
    assert client.get("/api/campaigns", headers=_auth(tokens["revoked"])).status_code == 401
    assert client.get("/api/campaigns", headers=_auth("rg_guess")).status_code == 401
    read_only = client.post(
        f"/api/campaigns/{WAVE}/submissions",
        json={"respondent_id": "c1", "answers": {"q_nps": 9}},
        headers=_auth(tokens["read"]) | {"Idempotency-Key": "k1"},
    )
    assert read_only.status_code == 403
    _assert_error_shape(read_only.json(), "forbidden")


def test_tokens_are_stored_only_as_their_hash(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    _, tokens, path = api
    with Workspace.open(path, read_only=True) as ws:
        stored = ws.table("api_tokens").to_pandas()
        links = ws.table("invitations").to_pandas()
    assert tokens["read"] not in stored.to_string()
    assert store.token_digest(tokens["read"]) in stored["token_sha256"].tolist()
    # every invitation's token hash is a SHA-256 hex digest, 64 characters, all distinct
    assert links["token_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert links["token_sha256"].nunique() == len(CUSTOMERS) + len(STAFF)


def test_campaigns_list_and_get(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, tokens, _ = api
    listed = client.get("/api/campaigns", headers=_auth(tokens["read"])).json()
    assert listed["total"] == 1
    one = client.get(f"/api/campaigns/{WAVE}", headers=_auth(tokens["read"])).json()
    assert one == listed["items"][0]
    # the definition in tests/service_fixtures.py: 4 items, page_size 2, two mirrored
    assert [(i["question_id"], i["page"], i["mirror_id"]) for i in one["items"]] == [
        ("q_nps", 1, "m_nps"),
        ("q_ease", 1, "m_ease"),
        ("q_followup", 2, None),
        ("q_staff", 2, None),
    ]
    assert one["items"][2]["show_when"] == "q_nps <= 6"
    missing = client.get("/api/campaigns/nope", headers=_auth(tokens["read"]))
    assert missing.status_code == 404
    _assert_error_shape(missing.json(), "not_found")


def test_invitations_are_paginated(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, tokens, _ = api
    url = f"/api/campaigns/{WAVE}/invitations"
    first = client.get(url, params={"limit": 2}, headers=_auth(tokens["read"])).json()
    rest = client.get(url, params={"offset": 2, "limit": 10}, headers=_auth(tokens["read"])).json()
    ids = [i["respondent_id"] for i in first["items"] + rest["items"]]
    # 3 customers and 2 staff of the fixture, by id
    assert ids == ["c1", "c2", "c3", "s1", "s2"] and first["total"] == 5
    assert "token" not in str(first)
    bad = client.get(url, params={"limit": 0}, headers=_auth(tokens["read"]))
    assert bad.status_code == 422
    _assert_error_shape(bad.json(), "invalid_request")


def test_a_submission_lands_once_whatever_the_retries(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, tokens, path = api
    url = f"/api/campaigns/{WAVE}/submissions"
    body = {"respondent_id": "c2", "answers": {"q_nps": 9, "q_ease": "4"}}
    headers = _auth(tokens["write"]) | {"Idempotency-Key": "kiosk-17"}
    replies = [client.post(url, json=body, headers=headers) for _ in range(3)]
    assert [r.status_code for r in replies] == [201, 201, 201]
    assert (
        replies[0].json()
        == replies[2].json()
        == {
            "campaign_id": WAVE,
            "respondent_id": "c2",
            "wave": WAVE,
            "answers": 2,
        }
    )
    with Workspace.open(path, read_only=True) as ws:
        rows = ws.table("responses").to_pandas()
        inv = ws.table("invitations").to_pandas().set_index("respondent_id")
    assert sorted(zip(rows["question_id"], rows["value"], strict=True)) == [
        ("q_ease", 4.0),
        ("q_nps", 9.0),
    ]
    assert rows["channel"].tolist() == ["api", "api"]
    assert inv.loc["c2", "responded_at"] is not None
    # a second submission for the same respondent under another key is refused, not doubled
    again = client.post(url, json=body, headers=_auth(tokens["write"]) | {"Idempotency-Key": "x"})
    assert again.status_code == 409


def test_a_bad_submission_gets_the_import_messages(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, tokens, _ = api
    url = f"/api/campaigns/{WAVE}/submissions"
    headers = _auth(tokens["write"]) | {"Idempotency-Key": "k2"}
    reply = client.post(
        url, json={"respondent_id": "c1", "answers": {"q_ease": 6}}, headers=headers
    )
    assert reply.status_code == 422
    body = reply.json()
    _assert_error_shape(body, "invalid_submission")
    # likert5 is 1..5 (domain.scales); the text is the import's
    assert body["error"]["problems"] == [
        {
            "field": "answers.q_ease",
            "value": "6",
            "expected": "found '6', expected an integer from 1 to 5 (likert5 scale)",
        }
    ]
    unknown = client.post(
        url, json={"respondent_id": "c1", "answers": {"m_nps": 6}}, headers=headers
    )
    assert unknown.status_code == 422  # a customer is not asked the mirror question
    stranger = client.post(
        url, json={"respondent_id": "c99", "answers": {"q_nps": 6}}, headers=headers
    )
    assert stranger.status_code == 422
    assert stranger.json()["error"]["problems"] == [
        {
            "field": "respondent_id",
            "value": "c99",
            "expected": "found 'c99', expected a respondent_id of the workspace (import the "
            "respondents first)",
        }
    ]
    no_key = client.post(
        url, json={"respondent_id": "c1", "answers": {"q_nps": 6}}, headers=_auth(tokens["write"])
    )
    assert no_key.status_code == 422
    _assert_error_shape(no_key.json(), "invalid_request")


def test_the_openapi_schema_lists_the_resources(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, _, _ = api
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/campaigns",
        "/api/campaigns/{campaign_id}",
        "/api/campaigns/{campaign_id}/invitations",
        "/api/campaigns/{campaign_id}/submissions",
        "/api/cases",  # tests/test_service_cases_access.py: every role per endpoint
        "/api/cases/{case_id}/status",
    }
    assert "ErrorOut" in schema["components"]["schemas"]
    # no interactive docs page: it would load its scripts from another host
    assert client.get("/docs").status_code == 404
