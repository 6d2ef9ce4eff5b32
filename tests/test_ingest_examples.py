"""Every example file of docs/formats.md imports into one workspace, with the row counts a
reader can count by hand in the example files; re-importing adds nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from realitygap.ingest import import_file
from realitygap.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# every example file is named where a reader meets it: the README or a page of docs/
DOCS = "\n".join(
    p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
)

# (file, kind, options, rows added per table) — counted by hand in each example file.
IMPORTS: list[tuple[str, str, dict[str, str], dict[str, int]]] = [
    ("taxonomy.toml", "taxonomy", {}, {"touchpoints": 16}),  # 15 default + click_and_collect
    ("questions.csv", "questions", {}, {"questions": 13}),
    ("respondents.csv", "respondents", {}, {"respondents": 8}),  # 5 customers, 3 staff
    # 13 rows, one of them the text question `comment` -> documents
    ("responses_long.csv", "responses", {}, {"responses": 12, "documents": 1}),
    # 3 rows x 5 questions = 15 cells, 2 empty (C001 comment, C005 help_ease), 2 comments
    ("responses_wide.csv", "responses", {}, {"responses": 11, "documents": 2}),
    ("invitations.csv", "invitations", {}, {"invitations": 5}),
    ("documents.csv", "documents", {}, {"documents": 4}),
    ("events.csv", "events", {}, {"events": 8}),
    ("cases.csv", "cases", {}, {"cases": 2}),
    ("contacts.csv", "contacts", {}, {"contacts": 3}),
    ("translations.csv", "translations", {}, {"question_translations": 5}),  # 4 fr, 1 de
    # 4 responses, the Survey Preview row is dropped; 4 + 4 + 3 answers, 1 comment
    (
        "qualtrics.csv",
        "responses",
        {"fmt": "qualtrics", "wave": "2024-Q1"},
        {"respondents": 3, "responses": 11, "documents": 1},
    ),
    (
        "surveymonkey.csv",
        "responses",
        {"fmt": "surveymonkey", "wave": "2024-Q1", "mapping": "surveymonkey_mapping.toml"},
        {"respondents": 3, "responses": 9, "documents": 2},
    ),
    (
        "surveymonkey.xlsx",
        "responses",
        {"fmt": "surveymonkey", "wave": "2024-Q1", "mapping": "surveymonkey_mapping.toml"},
        {"respondents": 2, "responses": 6, "documents": 1},
    ),
    (
        "google_forms.csv",
        "responses",
        {"fmt": "google_forms", "wave": "2024-Q1"},
        {"respondents": 3, "responses": 9, "documents": 2},
    ),
    (
        "typeform.csv",
        "responses",
        {"fmt": "typeform", "wave": "2024-Q1"},
        {"respondents": 3, "responses": 6, "documents": 2},
    ),
    (
        "feedback_export.csv",
        "responses",
        {"mapping": "feedback_mapping.toml"},
        {"respondents": 3, "responses": 6, "documents": 2},
    ),
]


def _run(ws: Workspace, name: str, kind: str, opts: dict[str, str]) -> dict[str, int]:
    kwargs: dict[str, object] = dict(opts)
    if "mapping" in opts:
        kwargs["mapping"] = EXAMPLES / opts["mapping"]
    report = import_file(ws, EXAMPLES / name, kind, **kwargs)  # type: ignore[arg-type]
    return {t: n for t, n in report.rows_added.items() if n or t in ("touchpoints",)}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("examples") / "ws"
    with Workspace.create(path) as ws:
        for name, kind, opts, expected in IMPORTS:
            assert _run(ws, name, kind, opts) == expected, name
    return path


def test_every_example_imports_with_hand_counted_rows(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        # sums of the hand counts above
        assert ws.count("respondents") == 8 + 3 + 3 + 2 + 3 + 3 + 3
        assert ws.count("responses") == 12 + 11 + 11 + 9 + 6 + 9 + 6 + 6
        assert ws.count("documents") == 1 + 2 + 4 + 1 + 2 + 1 + 2 + 2 + 2
        assert ws.count("imports") == len(IMPORTS)


def test_reimporting_every_example_adds_nothing(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        for name, kind, opts, _ in IMPORTS[1:]:
            report = import_file(
                ws,
                EXAMPLES / name,
                kind,
                fmt=opts.get("fmt"),
                wave=opts.get("wave"),
                mapping=EXAMPLES / opts["mapping"] if "mapping" in opts else None,
            )
            assert report.total_added == 0, name


def test_survey_tool_answers_keep_their_values(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        r = ws.table("responses")
        got = r.filter(r.wave == "2024-Q1").execute()
    # Qualtrics R_1a2B3c4D5e6F7g8 answered 9 (Q1), 4 (delivery_speed), 5 and 4 (matrix)
    q = got[got.respondent_id == "R_1a2B3c4D5e6F7g8"].set_index("question_id")["value"]
    assert q.to_dict() == {"nps": 9, "delivery_speed": 4, "staff_welcome": 5, "store_memorable": 4}
    # SurveyMonkey 114237601456: 5, "Disagree" = 2 and "Strongly disagree" = 1 by the mapping
    s = got[got.respondent_id == "114237601456"].set_index("question_id")["value"]
    assert s.to_dict() == {"nps": 5, "staff_welcome": 2, "store_memorable": 1}
    # Qualtrics RecordedDate of R_4cK1mN2oP3qR4sT, SurveyMonkey End Date 02/03/2024 01:05:44 PM
    sub = got.groupby("respondent_id")["submitted_at"].first()
    assert sub["R_4cK1mN2oP3qR4sT"] == pd.Timestamp("2024-02-05 09:51:56")
    assert sub["114237601456"] == pd.Timestamp("2024-02-03 13:05:44")


def test_mapped_export_keeps_attributes_and_day_first_dates(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        resp = ws.con.execute(
            "SELECT region FROM respondents WHERE respondent_id = 'N-20932'"
        ).fetchone()
        sub = ws.con.execute(
            "SELECT DISTINCT submitted_at, channel FROM responses WHERE respondent_id = 'N-20932'"
        ).fetchall()
    assert resp == ("south",)
    # "03/02/2024 17:40" with date_format %d/%m/%Y %H:%M is 3 February 2024
    assert sub == [(pd.Timestamp("2024-02-03 17:40").to_pydatetime(), "kiosk")]


def test_text_answers_become_survey_documents(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        doc = ws.con.execute(
            "SELECT source, text, customer_id, question_id, wave FROM documents "
            "WHERE customer_id = 'C004' AND source = 'survey'"
        ).fetchall()
    # responses_wide.csv, row 3
    assert doc == [
        (
            "survey",
            "Waited 40 minutes on the phone and nobody called back.",
            "C004",
            "comment",
            "2024-Q2",
        )
    ]


def test_google_forms_emails_are_not_stored(loaded: Path) -> None:
    with Workspace.open(loaded) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT respondent_id FROM respondents").fetchall()]
    assert not [i for i in ids if "@" in i]
    assert len([i for i in ids if re.fullmatch(r"gf-[0-9a-f]{16}", i)]) == 3


def test_docs_reference_every_example_file() -> None:
    missing = [p.name for p in EXAMPLES.iterdir() if f"examples/{p.name}" not in DOCS]
    assert not missing
