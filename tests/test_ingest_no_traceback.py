"""Issue 16, point 3: every input that used to crash an importer or slip through now gives a
``SurveyDataError`` naming the file (and row, column, value where there is one), and what
used to be refused for no reason (UTF-16, capitalised column names) is read."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from realitygap.cli import app
from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.ingest import import_file
from realitygap.ingest._fields import NUMBER_EXPECTED
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def _problems(ws: Workspace, path: Path, kind: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, kind, **kwargs)  # type: ignore[arg-type]
    return info.value.problems


def _counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.count(t) for t in ("responses", "events", "documents", "cases", "contacts")}


# ---- damaged containers ------------------------------------------------------------------------
def test_xlsx_with_damaged_xml_names_the_file(ws: Workspace, tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    pd.read_csv(EXAMPLES / "events.csv").to_excel(good, index=False)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the sheet's XML stops mid-element
            dst.writestr(item, data)
    before = _counts(ws)
    [p] = _problems(ws, bad, "events")
    assert p.file == str(bad) and p.row is None and "damaged" in p.expected
    assert _counts(ws) == before


def test_parquet_struct_column_names_the_column(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "customer_id": ["C001"],
            "type": ["purchase"],
            "occurred_at": ["2024-01-01"],
            "amount": pa.array([{"value": 1.0, "currency": "EUR"}]),
        }
    )
    pq.write_table(table, path)
    [p] = _problems(ws, path, "events")
    assert (p.file, p.column) == (str(path), "amount")
    assert "struct" in str(p.value) and "not a nested struct" in p.expected


def test_parquet_binary_column_with_invalid_utf8_names_row_and_column(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "documents.parquet"
    table = pa.table(
        {
            "document_id": ["d1", "d2"],
            "source": ["review", "review"],
            "text": pa.array([b"fine", b"caf\xe9 \xff"], type=pa.binary()),  # row 2 is not UTF-8
        }
    )
    pq.write_table(table, path)
    [p] = _problems(ws, path, "documents")
    assert (p.row, p.column, p.value) == (2, "text", b"caf\xe9 \xff")
    assert "UTF-8" in p.expected


@pytest.mark.parametrize("line", ["true", "null", "[1, 2]", '"text"', "42"])
def test_jsonl_line_that_is_not_an_object(ws: Workspace, tmp_path: Path, line: str) -> None:
    path = tmp_path / "events.jsonl"
    first = json.dumps({"customer_id": "C001", "type": "purchase", "occurred_at": "2024-01-01"})
    path.write_text(first + "\n\n" + line + "\n", encoding="utf-8")  # line 3 (2 is blank)
    [p] = _problems(ws, path, "events")
    assert (p.row, p.value, p.expected) == (3, line, "a JSON object")


# ---- numbers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e309", "NaN", "1_000", "\u0663"])
def test_non_finite_and_non_ascii_numbers_are_refused(
    ws: Workspace, tmp_path: Path, value: str
) -> None:
    # amount (events), minutes (contacts), rating (documents), recovery_rating (cases):
    # every NUMBER column goes through one parser; '\u0663' is ARABIC-INDIC DIGIT THREE
    files = {
        "events": ("customer_id,type,occurred_at,amount\n", f"C001,purchase,2024-01-01,{value}\n"),
        "contacts": ("staff_id,channel,occurred_at,minutes\n", f"S001,call,2024-01-01,{value}\n"),
        "documents": ("document_id,source,text,rating\n", f"d1,review,ok,{value}\n"),
        "cases": (
            "case_id,customer_id,trigger,status,opened_at,due_at,recovery_rating\n",
            f"k1,C001,manual,open,2024-01-01,2024-01-08,{value}\n",
        ),
    }
    column = {"events": "amount", "contacts": "minutes", "documents": "rating"}
    for kind, (header, row) in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(header + row, encoding="utf-8")
        [p] = _problems(ws, path, kind)
        assert (p.row, p.column, p.value) == (2, column.get(kind, "recovery_rating"), value)
        assert p.expected == NUMBER_EXPECTED


def test_json_number_too_large_for_a_float_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"customer_id": "C001", "type": "purchase", "occurred_at": "2024-01-01", '
        '"amount": 1e309}\n',
        encoding="utf-8",
    )
    [p] = _problems(ws, path, "events")
    assert (p.row, p.column, p.value) == (1, "amount", "inf")


@pytest.mark.parametrize("value", ["\u0663", "\u0669 - very likely", "\uff18"])
def test_non_ascii_digits_in_answers_are_refused(ws: Workspace, tmp_path: Path, value: str) -> None:
    # '\u0663' Arabic-Indic 3, '\u0669' Arabic-Indic 9, '\uff18' fullwidth 8: all used to be
    # read as numbers by float() or the leading-number rule
    path = tmp_path / "r.csv"
    path.write_text(f"respondent_id,question_id,value,wave\nC001,nps,{value},w\n", "utf-8")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.column, p.value) == (2, "value", value)


def test_ascii_numbers_still_parse(ws: Workspace, tmp_path: Path) -> None:
    # the forms the docs promise: integers, decimals, signs, exponents, spaces around
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,customer_id,type,occurred_at,amount\n"
        "e1,C001,purchase,2024-01-01,12\ne2,C001,purchase,2024-01-02,-3.5\n"
        "e3,C001,purchase,2024-01-03,.25\ne4,C001,purchase,2024-01-04,1e3\n"
        'e5,C001,purchase,2024-01-05," 7 "\n',
        encoding="utf-8",
    )
    import_file(ws, path, "events")
    got = ws.con.execute("SELECT amount FROM events ORDER BY event_id").fetchall()
    assert [r[0] for r in got] == [12.0, -3.5, 0.25, 1000.0, 7.0]


# ---- encodings and column names -------------------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_read(ws: Workspace, tmp_path: Path, codec: str) -> None:
    # Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    text = "document_id\tsource\ttext\nd1\treview\tCafé très bien\n"
    path = tmp_path / "docs.txt"
    path.write_bytes(bom + text.encode(codec))
    report = import_file(ws, path, "documents")
    assert report.encoding == "utf-16" and report.rows_added["documents"] == 1
    [(stored,)] = ws.con.execute("SELECT text FROM documents WHERE document_id='d1'").fetchall()
    assert stored == "Café très bien"
    comma = tmp_path / "docs2.csv"
    comma.write_bytes(bom + "document_id,source,text\nd2,review,ok\n".encode(codec))
    assert import_file(ws, comma, "documents").rows_added["documents"] == 1


def test_wide_file_column_names_match_question_ids_ignoring_case(
    ws: Workspace, tmp_path: Path
) -> None:
    # docs/formats.md: column names match ignoring case; nps is a question of examples/
    path = tmp_path / "wide.csv"
    path.write_text("Respondent_ID,WAVE,NPS\nC001,w,9\n", encoding="utf-8")
    assert import_file(ws, path, "responses").rows_added["responses"] == 1
    [(qid, value)] = ws.con.execute("SELECT question_id, value FROM responses").fetchall()
    assert (qid, value) == ("nps", 9.0)


def test_unreadable_path_names_the_file(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    [p] = _problems(ws, folder, "events")
    assert p.file == str(folder) and "readable file" in p.expected


# ---- error text is printed exactly -------------------------------------------------------------
@pytest.mark.parametrize("value", ["[/]", "[/bold]", "[questions]", "[red]x"])
def test_error_text_is_printed_as_plain_text(tmp_path: Path, value: str) -> None:
    ws_path = tmp_path / "ws"
    with Workspace.create(ws_path) as ws:
        import_file(ws, EXAMPLES / "questions.csv", "questions")
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
    bad = tmp_path / "r.csv"
    bad.write_text(f'respondent_id,question_id,value,wave\nC001,nps,"{value}",w\n', "utf-8")
    result = runner.invoke(app, ["import", str(ws_path), str(bad), "--kind", "responses"])
    assert result.exit_code == 2
    assert f"found {value!r}" in result.output  # Rich markup would eat or choke on it
    assert "Traceback" not in result.output


# ---- a full disk -------------------------------------------------------------------------------
_LIMITED = """
import resource, signal, sys
from realitygap.cli import app
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["realitygap", *sys.argv[2:]]
app()
"""


def run_with_file_size_limit(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process that may not grow any file beyond ``limit`` bytes: the
    kernel refuses the write (EFBIG) exactly as it does on a full disk (ENOSPC)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run(
        [sys.executable, "-c", _LIMITED, str(limit), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_full_disk_during_import_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    with Workspace.create(ws_path) as ws:
        import_file(ws, EXAMPLES / "respondents.csv", "respondents")
        ws.con.execute("CHECKPOINT")
    db = ws_path / "realitygap.duckdb"
    events = tmp_path / "events.csv"
    buf = io.StringIO()
    buf.write("event_id,customer_id,type,occurred_at,amount\n")
    # 100,000 events: a 9.2 MB write-ahead log and 2.4 MB of database growth, far past the
    # limit whatever free blocks the database file holds (20,000 made a 1.8 MB log, which fit
    # once the file had one more 256 KB block)
    for i in range(100_000):
        buf.write(f"event-{i:08d}-{'x' * 40},C001,purchase,2024-01-01,{i}\n")
    events.write_text(buf.getvalue(), encoding="utf-8")
    result = run_with_file_size_limit(
        db.stat().st_size + 200_000, "import", str(ws_path), str(events), "--kind", "events"
    )
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert str(events) in message and "not imported" in message
    assert "Traceback" not in result.stderr
    with Workspace.open(ws_path, read_only=True) as ws:
        assert ws.count("events") == 0 and ws.count("imports") == 1  # only the respondents


def test_document_text_keeps_its_leading_spaces(ws: Workspace, tmp_path: Path) -> None:
    # docs/formats.md: documents are stored exactly as written (the CSV reader used to skip
    # the spaces a cell starts with); a cell of only spaces is still empty
    path = tmp_path / "docs.csv"
    path.write_text(
        'document_id,source,text,rating\nd1,review,   indented reply  ,4\nd2,review,"  quoted",\n'
        "d3,review,plain,   \n",
        encoding="utf-8",
    )
    import_file(ws, path, "documents")
    got = dict(ws.con.execute("SELECT document_id, text FROM documents").fetchall())
    assert got == {"d1": "   indented reply  ", "d2": "  quoted", "d3": "plain"}
    [(rating,)] = ws.con.execute("SELECT rating FROM documents WHERE document_id='d3'").fetchall()
    assert rating is None
