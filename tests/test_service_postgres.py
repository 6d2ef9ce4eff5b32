"""E-mail, open links and languages on a PostgreSQL workspace (the server on 127.0.0.1:5432,
database ``test``; under CI an unreachable server fails, see tests/test_engines.py): the same
functions, the same SQL, the same outcomes as on the embedded store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from realitygap.ingest import import_file
from realitygap.service.app import create_app
from realitygap.service.manage import create_campaign, remind, send
from realitygap.store import Workspace
from realitygap.store import campaigns as store
from realitygap.store.write import ensure_columns, insert_new
from tests.service_fixtures import CAMPAIGN_TOML, QUESTIONS
from tests.test_engines import pg_home, pg_url  # noqa: F401 (fixtures)
from tests.test_service_mail import Inbox, smtp  # noqa: F401 (fixture)


def test_mail_open_link_and_languages_on_postgres(
    pg_url: str,  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    inbox, port = smtp
    inbox.refuse = None
    (tmp_path / "tr.csv").write_text(
        'question_id,language,text\nq_nps,fr,"Nous recommanderiez-vous ?"\n'
        "q_ease,fr,Commander était facile.\nq_followup,fr,Que faire mieux ?\n"
        "q_staff,fr,Le personnel était aimable.\n",
        encoding="utf-8",
    )
    toml = tmp_path / "c.toml"
    toml.write_text(
        CAMPAIGN_TOML.replace(
            "mirror = true", 'mirror = false\nanonymous = true\nlanguages = ["en", "fr"]'
        )
    )
    with Workspace.create(pg_url) as ws:
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
            pd.DataFrame(
                [("c1", "customer", "ann@example.org"), ("c2", "customer", "bob@example.org")],
                columns=["respondent_id", "kind", "email"],
            ),
        )
        assert import_file(ws, tmp_path / "tr.csv", "translations").rows_added == {
            "question_translations": 4
        }
        (ws.path / "settings.toml").write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "s@example.org"\n'
            'security = "none"\n',
            encoding="utf-8",
        )
        row = create_campaign(ws, toml)
        sent = send(ws, "2026-spring", "http://testserver")
        assert sorted(sent.sent) == ["c1", "c2"] and sent.failed == {}
        assert send(ws, "2026-spring", "http://testserver").sent == []  # nobody twice

    client = TestClient(create_app(Path(pg_url)))
    link = f"/s/open/{row.open_id}"
    page = client.get(link, headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in page.text and "Nous recommanderiez-vous ?" in page.text
    first = {"page": "1", "key": "p1", "answer:q_nps": "9", "answer:q_ease": "4"}
    client.post(link, data=first, follow_redirects=False)
    client.post(link, data={"page": "2", "key": "p2", "answer:q_staff": "5"})
    assert "Your answers have been received" in client.get(link).text

    with Workspace.open(pg_url) as ws:
        reminded = remind(ws, "2026-spring", "http://testserver")
        assert sorted(reminded.sent) == ["c1", "c2"]
        assert remind(ws, "2026-spring", "http://testserver").sent == []  # one reminder only
        assert store.mailed_counts(ws, "2026-spring") == (2, 2)
        responses = ws.table("responses").to_pandas()
    # the three answers posted through the open link, one anonymous respondent
    assert sorted(responses["value"]) == [4.0, 5.0, 9.0]
    assert responses["respondent_id"].str.startswith("anon-").all()
    assert len(inbox.messages) == 4
