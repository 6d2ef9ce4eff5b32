"""File formats and encodings: the same rows read from CSV (UTF-8, UTF-8 with BOM, cp1252),
XLSX, JSON Lines and Parquet land identically; row numbers in errors follow each format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Written by hand: the accented text and the euro sign exist in cp1252 and UTF-8 alike.
DOCS = pd.DataFrame(
    {
        "document_id": ["d1", "d2", "d3"],
        "source": ["review", "review", "ticket"],
        "text": ["Très bien, merci — 5 €", 'She said "hello",\nthen left', "Naïve café"],
        "customer_id": ["C001", None, "C002"],
        "rating": [5.0, 2.0, None],
        "created_at": ["2024-03-01 10:00:00", "2024-03-02 11:30:00", "2024-03-03 09:15:00"],
    }
)


def _stored(ws: Workspace) -> pd.DataFrame:
    return ws.con.execute(
        "SELECT document_id, source, text, customer_id, rating, created_at "
        "FROM documents ORDER BY document_id"
    ).fetchdf()


def _expected() -> pd.DataFrame:
    out = DOCS.copy()
    out["created_at"] = pd.to_datetime(out["created_at"])
    return out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_store_the_same_text(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "docs.csv"
    DOCS.to_csv(path, index=False, encoding=encoding)
    report = import_file(ws, path, "documents")
    assert report.encoding == encoding  # utf-8-sig = with BOM, detected from the first bytes
    pd.testing.assert_frame_equal(_stored(ws), _expected(), check_dtype=False)


def test_xlsx(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "docs.xlsx"
    DOCS.to_excel(path, index=False)
    assert import_file(ws, path, "documents").rows_added == {"documents": 3}
    pd.testing.assert_frame_equal(_stored(ws), _expected(), check_dtype=False)


def test_json_lines(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    DOCS.to_json(path, orient="records", lines=True, force_ascii=False)
    assert import_file(ws, path, "documents").rows_added == {"documents": 3}
    pd.testing.assert_frame_equal(_stored(ws), _expected(), check_dtype=False)


def test_parquet_with_typed_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "docs.parquet"
    _expected().to_parquet(path)  # created_at as a real timestamp, rating as float
    assert import_file(ws, path, "documents").rows_added == {"documents": 3}
    pd.testing.assert_frame_equal(_stored(ws), _expected(), check_dtype=False)


def test_row_numbers_per_format(ws: Workspace, tmp_path: Path) -> None:
    bad = DOCS.assign(created_at=["2024-03-01", "2024-03-02", "someday"])
    # JSON Lines: the line number, a blank line counted; here line 4
    jsonl = tmp_path / "docs.jsonl"
    lines = [json.dumps(r) for r in bad.to_dict(orient="records")]
    jsonl.write_text(lines[0] + "\n\n" + lines[1] + "\n" + lines[2] + "\n", encoding="utf-8")
    # CSV: the spreadsheet row; row 2 holds a line break inside quotes, "someday" is row 4
    csv = tmp_path / "docs.csv"
    bad.to_csv(csv, index=False)
    # Parquet: the record number, 3
    parquet = tmp_path / "docs.parquet"
    bad.to_parquet(parquet)
    for path, row in ((jsonl, 4), (csv, 4), (parquet, 3)):
        with pytest.raises(SurveyDataError) as info:
            import_file(ws, path, "documents")
        [p] = info.value.problems
        assert (p.row, p.column, p.value) == (row, "created_at", "someday"), path.name


def test_truncated_json_lines_names_the_line(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    first, second = (json.dumps(r) for r in DOCS.head(2).to_dict(orient="records"))
    path.write_text(first + "\n" + second[:25], encoding="utf-8")
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "documents")
    [p] = info.value.problems
    assert p.row == 2 and "truncated" in p.expected


def test_wide_and_long_responses_store_the_same_answers(ws: Workspace, tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_text(
        "respondent_id,question_id,value,wave\n"
        "C001,nps,9,w\nC001,delivery_speed,4,w\nC002,nps,0,w\n",
        encoding="utf-8",
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("respondent_id,nps,delivery_speed\nC001,9,4\nC002,0,\n", encoding="utf-8")
    assert import_file(ws, wide, "responses", wave="w").rows_added["responses"] == 3
    # the long file holds the same three answers, so it adds nothing
    assert import_file(ws, long, "responses").rows_added["responses"] == 0
    got = ws.con.execute(
        "SELECT respondent_id, question_id, value FROM responses ORDER BY 1, 2"
    ).fetchall()
    assert got == [("C001", "delivery_speed", 4.0), ("C001", "nps", 9.0), ("C002", "nps", 0.0)]


def test_labels_with_leading_numbers(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "respondent_id,question_id,value,wave\n"
        "C001,nps,10 - Extremely likely,w\nC002,help_ease,7 = Very easy,w\n",
        encoding="utf-8",
    )
    import_file(ws, path, "responses")
    got = ws.con.execute("SELECT respondent_id, value FROM responses ORDER BY 1").fetchall()
    assert got == [("C001", 10.0), ("C002", 7.0)]


def test_derived_event_ids_make_reimport_idempotent(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    row = (
        '{"customer_id": "C001", "type": "purchase", "occurred_at": "2024-01-0DAY", "amount": 10.5}'
    )
    path.write_text(
        row.replace("DAY", "2") + "\n" + row.replace("DAY", "3") + "\n", encoding="utf-8"
    )
    assert import_file(ws, path, "events").rows_added == {"events": 2}
    assert import_file(ws, path, "events").rows_added == {"events": 0}
    ids = [r[0] for r in ws.con.execute("SELECT event_id FROM events").fetchall()]
    assert len(set(ids)) == 2 and all(i.startswith("ev-") and len(i) == 19 for i in ids)


def test_segment_attributes_become_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("respondent_id,kind,Region,tier\nC100,customer,east,gold\n", encoding="utf-8")
    import_file(ws, path, "respondents")
    # "Region" matches the existing "region" column of examples/respondents.csv
    got = ws.con.execute(
        "SELECT region, tier FROM respondents WHERE respondent_id = 'C100'"
    ).fetchone()
    assert got == ("east", "gold")
