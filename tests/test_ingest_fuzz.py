"""Issue 16, point 4: property-based fuzzing of every import kind and file format.

From each example file (examples/), Hypothesis derives damaged variants — random bytes,
truncations, wrong encodings, shuffled, duplicated and missing headers, huge fields, odd
numbers and odd dates — and writes them as CSV, XLSX, JSON Lines or Parquet (survey-tool
exports as CSV or XLSX). Every import must either succeed or raise ``SurveyDataError``; any
other exception is a failure, and after every refusal the workspace must be unchanged: the
same rows in every table (a hash of their content) and the same taxonomy.toml.

Bounded so that it stays fast in ``make test``: a fixed number of examples per test, derandomised
(the same inputs every run). ``pytest --hypothesis-show-statistics`` prints the counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace
from realitygap.store.schema import KEYS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

GENERIC = {
    "questions": "questions.csv",
    "respondents": "respondents.csv",
    "responses": "responses_long.csv",
    "invitations": "invitations.csv",
    "documents": "documents.csv",
    "events": "events.csv",
    "cases": "cases.csv",
    "contacts": "contacts.csv",
}
TOOLS = {
    "qualtrics": "qualtrics_nps.csv",
    "surveymonkey": "surveymonkey.csv",
    "google_forms": "google_forms_store.csv",
    "typeform": "typeform.csv",
}
HEADER_ROWS = {"qualtrics": 3, "surveymonkey": 2, "google_forms": 1, "typeform": 1}

ODD_NUMBERS = ["inf", "-inf", "Infinity", "1e309", "NaN", "\u0663", "\uff18", "1,5", "--1",
               "0x10", "1_000", " ", "9" * 400, "-0", "1e-400", "+.", "١٢"]  # fmt: skip
ODD_DATES = ["2024-02-30", "0000-01-01", "9999-12-31T25:00", "1/1/1", "2024-13-01",
             "99999-01-01", "2024-01-01T00:00:00+25:00", "31/12/2024", "\u0662\u0660\u0662\u0664",
             "1970-01-01T00:00:00.0000000001Z", "yesterday", "2024-W05"]  # fmt: skip
ODD_TEXT = ["[/]", "[bold]", "=1+1", "\x00", "\ufeff", "\u202e", "a\nb", '"', "\\", "\ud7ff"]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _grid(name: str) -> list[list[str]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as fh:
        return [list(r) for r in csv.reader(fh)]


# ---- variants of a grid --------------------------------------------------------------------------
@st.composite
def mutated_grid(draw: st.DrawFn, grid: list[list[str]], header_rows: int) -> list[list[str]]:
    rows = [list(r) for r in grid]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    for _ in range(draw(st.integers(1, 3))):
        how = draw(
            st.sampled_from(
                [
                    "shuffle_header",
                    "duplicate_header",
                    "drop_column",
                    "blank_header",
                    "odd_number",
                    "odd_date",
                    "odd_text",
                    "huge_field",
                    "drop_rows",
                    "duplicate_row",
                    "ragged_row",
                    "case_header",
                ]
            )
        )
        event(f"grid mutation: {how}")
        col = draw(st.integers(0, width - 1))
        data_rows = list(range(header_rows, len(rows)))
        if how == "shuffle_header":
            order = draw(st.permutations(range(width)))
            for h in range(header_rows):
                rows[h] = [rows[h][i] for i in order]
        elif how == "duplicate_header":
            other = draw(st.integers(0, width - 1))
            rows[header_rows - 1][other] = rows[header_rows - 1][col]
        elif how == "drop_column" and width > 1:
            rows = [r[:col] + r[col + 1 :] for r in rows]
            width -= 1
        elif how == "blank_header":
            rows[header_rows - 1][col] = ""
        elif how == "case_header":
            rows[header_rows - 1][col] = rows[header_rows - 1][col].upper()
        elif how in ("odd_number", "odd_date", "odd_text") and data_rows:
            pool = {"odd_number": ODD_NUMBERS, "odd_date": ODD_DATES, "odd_text": ODD_TEXT}[how]
            rows[draw(st.sampled_from(data_rows))][col] = draw(st.sampled_from(pool))
        elif how == "huge_field" and data_rows:
            rows[draw(st.sampled_from(data_rows))][col] = "x" * 200_000
        elif how == "drop_rows":
            rows = rows[: draw(st.integers(0, len(rows)))]
        elif how == "duplicate_row" and data_rows:
            rows.append(list(rows[draw(st.sampled_from(data_rows))]))
        elif how == "ragged_row" and data_rows:
            rows[draw(st.sampled_from(data_rows))].append("extra")
        if len(rows) < header_rows:  # the header itself was cut: nothing left to mutate
            break
    return rows


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in rows:
        # openpyxl refuses control characters: what a spreadsheet cannot hold is not fuzzed
        sheet.append(["".join(ch for ch in v if ch >= " " or ch in "\t\n") for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _records(rows: list[list[str]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    header = rows[0]
    return [
        {h: v for h, v in zip(header, r, strict=False) if h != "" and v != ""} for r in rows[1:]
    ]


def _jsonl_bytes(rows: list[list[str]], odd_lines: list[str]) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False) for r in _records(rows)]
    return ("\n".join(lines + odd_lines) + "\n").encode("utf-8", errors="replace")


def _parquet_bytes(rows: list[list[str]], typed: bool) -> bytes:
    header = rows[0] if rows else []
    names = list(dict.fromkeys(h for h in header if h))  # Parquet needs unique names
    columns: dict[str, Any] = {}
    for name in names:
        i = header.index(name)
        values = [r[i] if i < len(r) and r[i] != "" else None for r in rows[1:]]
        if typed:  # numbers where they parse, so that float and int columns are fuzzed too
            try:
                columns[name] = pa.array([None if v is None else float(v) for v in values])
                continue
            except ValueError:
                pass
        columns[name] = pa.array(values, type=pa.string())
    buf = io.BytesIO()
    pq.write_table(
        pa.table(columns) if columns else pa.table({"x": pa.array([], pa.string())}), buf
    )
    return buf.getvalue()


@st.composite
def damaged_bytes(draw: st.DrawFn, raw: bytes) -> bytes:
    """The serialised file, perhaps truncated, perhaps with bytes flipped, perhaps random.

    Positions are drawn as fractions of the length, so that what Hypothesis draws does not
    depend on the bytes themselves (an XLSX holds its creation time)."""
    how = draw(st.sampled_from(["as_is", "as_is", "truncate", "flip", "random"]))
    event(f"byte damage: {how}")
    fraction = st.floats(0, 1, exclude_max=True)
    if how == "truncate":
        return raw[: int(draw(fraction) * len(raw))]
    if how == "flip":
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            at, byte = draw(fraction), draw(st.integers(0, 255))
            if data:
                data[int(at * len(data))] = byte
        return bytes(data)
    if how == "random":
        return draw(st.binary(max_size=2000))
    return raw


# ---- the workspace and its fingerprint ------------------------------------------------------
def fingerprint(ws: Workspace) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent content hash per table, and taxonomy.toml's hash."""
    out: dict[str, tuple[int, str]] = {}
    for table in (*KEYS, "imports"):
        n, digest = ws.con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), '\x1f' "
            f"ORDER BY CAST(t AS VARCHAR)), '')) FROM {table} t"
        ).fetchone() or (0, "")
        out[table] = (int(n), str(digest))
    tax = (ws.path / "taxonomy.toml").read_bytes()
    out["taxonomy.toml"] = (len(tax), hashlib.sha256(tax).hexdigest())
    return out


@pytest.fixture(scope="module")
def fuzz_ws(
    examples_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("fuzz") / "ws"
    shutil.copytree(examples_template, path)
    with Workspace.open(path) as ws:
        yield ws


def _attempt(ws: Workspace, path: Path, kind: str, **kwargs: Any) -> None:
    """Import, and check the only outcomes allowed: success, or a refusal that changed
    nothing."""
    before = fingerprint(ws)
    try:
        import_file(ws, path, kind, **kwargs)
    except SurveyDataError as exc:
        assert exc.problems, "a refusal names at least one problem"
        assert all(p.file == str(path) for p in exc.problems)
        assert fingerprint(ws) == before, "a refused import changed the workspace"
        event("refused")
    else:
        event("imported")


# ---- the properties --------------------------------------------------------------------------
@settings(FUZZ, max_examples=80)  # 8 kinds x 4 formats
@given(data=st.data())
def test_generic_kinds_never_crash_and_refusals_change_nothing(
    fuzz_ws: Workspace, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(sorted(GENERIC)), label="kind")
    fmt = data.draw(st.sampled_from(["csv", "xlsx", "jsonl", "parquet"]), label="format")
    event(f"{kind} as {fmt}")
    rows = data.draw(mutated_grid(_grid(GENERIC[kind]), 1))
    if fmt == "csv":
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16",
                                              "utf-16-le", "utf-32", "latin-1"]))  # fmt: skip
        raw = _csv_bytes(rows, encoding)
    elif fmt == "xlsx":
        raw = _xlsx_bytes(rows)
    elif fmt == "jsonl":
        odd = data.draw(st.lists(st.sampled_from(
            ["true", "null", "[1]", '"x"', "{", '{"a": {"b": 1}}', '{"": 1}', "1e309", "{}"]
        ), max_size=2))  # fmt: skip
        raw = _jsonl_bytes(rows, odd)
    else:
        raw = _parquet_bytes(rows, typed=data.draw(st.booleans()))
    raw = data.draw(damaged_bytes(raw))
    path = tmp_path_factory.mktemp("f") / f"{kind}.{fmt}"
    path.write_bytes(raw)
    _attempt(fuzz_ws, path, kind)


@FUZZ
@given(data=st.data())
def test_survey_exports_never_crash_and_refusals_change_nothing(
    fuzz_ws: Workspace, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    tool = data.draw(st.sampled_from(sorted(TOOLS)), label="tool")
    fmt = data.draw(st.sampled_from(["csv", "xlsx"]), label="format")
    event(f"{tool} as {fmt}")
    rows = data.draw(mutated_grid(_grid(TOOLS[tool]), HEADER_ROWS[tool]))
    raw = _csv_bytes(rows, "utf-8") if fmt == "csv" else _xlsx_bytes(rows)
    raw = data.draw(damaged_bytes(raw))
    path = tmp_path_factory.mktemp("t") / f"{tool}.{fmt}"
    path.write_bytes(raw)
    wave = data.draw(st.sampled_from([None, "2024-Q1", "[/]"]))
    mapping = EXAMPLES / "surveymonkey_mapping.toml" if tool == "surveymonkey" else None
    _attempt(fuzz_ws, path, "responses", fmt=tool, wave=wave, mapping=mapping)


@settings(FUZZ, max_examples=25)
@given(raw=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_taxonomy_files_never_crash(
    fuzz_ws: Workspace, tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    source = (EXAMPLES / "taxonomy.toml").read_bytes()
    path = tmp_path_factory.mktemp("x") / "taxonomy.toml"
    path.write_bytes(source[: len(raw) % (len(source) + 1)] + raw)
    _attempt(fuzz_ws, path, "taxonomy")
