"""Read an input file into a grid of strings: CSV, XLSX, JSON Lines or Parquet.

Every cell comes back as a ``str`` (or None when empty) so that one set of validators serves
every file type, and every data row keeps the number a user sees in the file:

- CSV / XLSX: the spreadsheet row (the first header row is row 1, so with one header row the
  first data row is row 2; a quoted field spanning lines still counts as one row);
- JSON Lines: the line number in the file (blank lines are skipped but counted);
- Parquet: the 1-based record number.

Damaged input (binary garbage, a CSV cut inside a quoted field, a damaged XLSX or Parquet file)
raises :class:`SurveyDataError` naming the file and what was expected.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from realitygap.domain.errors import Problem, SurveyDataError

SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-16 with a byte-order mark: what Excel's "Unicode text" and some survey tools write.
_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_CSV_EOF = re.compile(r"EOF inside string starting at row (\d+)")
_CSV_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class Grid:
    """A file's cells as strings.

    ``headers`` holds the header rows (one list of names per row, as many rows as asked for);
    ``data`` the data rows with columns named by the *last* header row when there is one
    header row, else by position (0, 1, ...); ``rows`` the row number a user sees for each
    data row; ``encoding`` the text encoding used (None for XLSX and Parquet).
    """

    file: str
    kind: str
    headers: list[list[str]]
    data: pd.DataFrame
    rows: np.ndarray
    encoding: str | None


def file_type(path: Path) -> str:
    """``csv``, ``xlsx``, ``jsonl`` or ``parquet`` from the file name's suffix."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SurveyDataError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    path.suffix or "(no suffix)",
                    "a file ending in .csv, .xlsx, .jsonl, .ndjson or .parquet",
                )
            ]
        )
    return kind


def read_grid(path: Path, header_rows: int = 1, *, keep_spaces: bool = False) -> Grid:
    """Read ``path`` (by suffix) with ``header_rows`` header rows; see the module docstring.

    ``keep_spaces``: keep the spaces a CSV cell starts with (free text is stored exactly as
    written); otherwise they are skipped, which is faster. Cells of only spaces are empty
    either way.
    """
    kind = file_type(path)
    if not path.exists():
        raise SurveyDataError([Problem(str(path), None, None, None, "an existing file")])
    if kind in ("jsonl", "parquet") and header_rows != 1:
        _fail(path, None, f"a CSV or XLSX file (survey-tool exports are CSV or XLSX, not {kind})")
    if kind == "csv":
        return _read_csv(path, header_rows, keep_spaces=keep_spaces)
    if kind == "xlsx":
        return _read_xlsx(path, header_rows)
    if kind == "jsonl":
        return _read_jsonl(path)
    return _read_parquet(path)


def _fail(path: Path, row: int | None, expected: str, value: object = None) -> None:
    raise SurveyDataError([Problem(str(path), row, None, value, expected)])


# ---- text ------------------------------------------------------------------------------------
def decode(path: Path, raw: bytes, what: str) -> tuple[str, str]:
    """Decode ``raw``: UTF-16 or UTF-8 with a BOM, else UTF-8, else cp1252.

    Returns (text, encoding); the encoding is ``utf-16`` for UTF-16 with either byte order.
    """
    for bom, codec in _UTF16_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), "utf-16"
            except UnicodeDecodeError as exc:
                _fail(path, None, f"UTF-16 text after the byte-order mark ({exc.reason})")
    if b"\x00" in raw[:65536]:
        _fail(path, None, f"a text file ({what}) but found binary data (NUL bytes)")
    if raw.startswith(_UTF8_BOM):
        try:
            return raw[len(_UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            _fail(path, None, f"UTF-8 text after the byte-order mark ({exc.reason})")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        _fail(
            path,
            None,
            f"a text file ({what}) in UTF-8 or cp1252, but byte {raw[exc.start]:#04x} at "
            f"offset {exc.start} is neither: the file looks binary",
        )
    raise AssertionError("unreachable")


def _with_nulls(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty or whitespace-only cells become None; everything else stays a string."""
    out = frame.astype(object)
    blank = out.isna() | out.apply(lambda col: col.astype(str).str.strip() == "")
    return out.mask(blank, None)


def _split_headers(
    path: Path, table: pd.DataFrame, header_rows: int, first_row: int, *, blanks: bool = True
) -> tuple[list[list[str]], pd.DataFrame, np.ndarray]:
    """Header rows, data rows and their row numbers; ``blanks``: null out blank cells (the
    CSV reader already does, far faster)."""
    if len(table) < header_rows:
        _fail(path, None, f"{header_rows} header row(s), found {len(table)} row(s)")
    headers = [
        ["" if v is None or pd.isna(v) else str(v).strip() for v in table.iloc[i].tolist()]
        for i in range(header_rows)
    ]
    data = table.iloc[header_rows:].reset_index(drop=True)
    rows = np.arange(first_row + header_rows, first_row + header_rows + len(data), dtype=np.int64)
    if header_rows == 1:
        names = headers[0]
        seen: set[str] = set()
        problems = []
        for i, name in enumerate(names):
            if not name and data.iloc[:, i].notna().any():
                problems.append(Problem(str(path), first_row, f"#{i + 1}", "", "a column name"))
            elif name and name in seen:
                problems.append(Problem(str(path), first_row, name, name, "unique column names"))
            seen.add(name)
        if problems:
            raise SurveyDataError(problems)
        keep = [i for i, name in enumerate(names) if name]
        data = data.iloc[:, keep]
        data.columns = [names[i] for i in keep]
        headers = [[names[i] for i in keep]]
    data = _with_nulls(data) if blanks else data.astype(object)
    filled = data.notna().any(axis=1).to_numpy()
    return headers, data[filled].reset_index(drop=True), rows[filled]


def _read_csv(path: Path, header_rows: int, *, keep_spaces: bool = False) -> Grid:
    text, encoding = decode(path, path.read_bytes(), "CSV")
    if not text.strip():
        _fail(path, None, "a CSV file with a header row, found an empty file")
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=_separator(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=not keep_spaces,  # so that a cell of spaces is empty too
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        msg = str(exc)
        if m := _CSV_EOF.search(msg):
            _fail(
                path,
                int(m.group(1)) + 1,
                "a closing quote: the file ends inside a quoted field, so it looks truncated",
            )
        if m := _CSV_FIELDS.search(msg):
            _fail(
                path,
                int(m.group(2)),
                f"{m.group(1)} fields like the first row",
                f"{m.group(3)} fields",
            )
        _fail(path, None, f"a readable CSV file ({msg})")
    except pd.errors.EmptyDataError:
        _fail(path, None, "a CSV file with a header row, found an empty file")
    except (ValueError, OverflowError, MemoryError) as exc:  # e.g. a field over the C limit
        _fail(path, None, f"a readable CSV file ({type(exc).__name__}: {exc})")
    headers, data, rows = _split_headers(path, table, header_rows, first_row=1, blanks=keep_spaces)
    return Grid(str(path), "csv", headers, data, rows, encoding)


def _separator(text: str) -> str:
    """A comma, or a tab when the first line has tabs and no comma (tab-separated text, as
    Excel saves "Unicode text")."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


def _read_xlsx(path: Path, header_rows: int) -> Grid:
    if not zipfile.is_zipfile(path):
        _fail(path, None, "an XLSX workbook (a zip archive): the file is damaged or truncated")
    try:
        table = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
    except Exception as exc:
        # zipfile.BadZipFile, KeyError (missing part), xml ParseError, ValueError, TypeError...
        _fail(
            path,
            None,
            f"a readable XLSX workbook; it is damaged or not one ({type(exc).__name__}: {exc})",
        )
    headers, data, rows = _split_headers(path, table, header_rows, first_row=1)
    return Grid(str(path), "xlsx", headers, data, rows, None)


def _read_jsonl(path: Path) -> Grid:
    text, encoding = decode(path, path.read_bytes(), "JSON Lines")
    lines = text.splitlines()
    numbers = np.array([i + 1 for i, line in enumerate(lines) if line.strip()], dtype=np.int64)
    body = "\n".join(line for line in lines if line.strip())
    if not body:
        _fail(path, None, "JSON Lines (one JSON object per line), found an empty file")
    try:
        frame = pd.read_json(io.StringIO(body), lines=True, dtype=False, convert_dates=False)
    except (ValueError, AttributeError, TypeError, RecursionError):
        # pandas raises AttributeError on a line that is JSON but not an object (true, null)
        # Find the first bad line only on the error path (pandas does not say which).
        for number, line in zip(numbers, (ln for ln in lines if ln.strip()), strict=True):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                _fail(
                    path,
                    int(number),
                    f"one JSON object per line ({exc.msg}; the file may be truncated)",
                    line[:60],
                )
            if not isinstance(obj, dict):
                _fail(path, int(number), "a JSON object", line[:60])
        _fail(path, None, "JSON Lines: one JSON object per line, with plain values")
    if len(frame) != len(numbers):  # never seen; guards the row numbering
        _fail(path, None, "JSON Lines: one JSON object per line")
    bad_names = [c for c in frame.columns if not isinstance(c, str) or not c.strip()]
    if bad_names:
        _fail(path, None, "JSON object keys that name columns", bad_names[0])
    frame = frame.map(_json_cell)
    return Grid(str(path), "jsonl", [list(frame.columns)], _with_nulls(frame), numbers, encoding)


def _json_cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _read_parquet(path: Path) -> Grid:
    try:
        table = pq.read_table(path)
    except Exception as exc:
        _fail(path, None, f"a readable Parquet file; it is damaged or truncated ({exc})")
    columns: dict[str, pd.Series] = {}
    for name in table.column_names:
        columns[name] = _parquet_column(path, name, table.column(name))
    frame = pd.DataFrame(columns)
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return Grid(str(path), "parquet", [list(frame.columns)], _with_nulls(frame), rows, None)


def _parquet_column(path: Path, name: str, col: pa.ChunkedArray) -> pd.Series:
    """One Parquet column as strings; nested types and undecodable bytes are problems."""
    kind = col.type
    if pa.types.is_nested(kind) or (
        pa.types.is_dictionary(kind) and pa.types.is_nested(kind.value_type)
    ):
        raise SurveyDataError(
            [
                Problem(
                    str(path),
                    None,
                    name,
                    str(kind),
                    "a column of plain values (text, numbers, dates, true/false), "
                    "not a nested struct, list or map",
                )
            ]
        )
    try:
        series: pd.Series
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            series = col.to_pandas().astype("string").astype(object)
        elif pa.types.is_floating(kind):
            series = col.to_pandas().map(_json_cell)
        else:
            series = col.cast(pa.string()).to_pandas().astype(object)
        return series
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        row, value = _first_bad_bytes(col)
        raise SurveyDataError(
            [
                Problem(
                    str(path),
                    row,
                    name,
                    value,
                    f"text in UTF-8 or plain values ({type(exc).__name__}: {exc})",
                )
            ]
        ) from None


def _first_bad_bytes(col: pa.ChunkedArray) -> tuple[int | None, object]:
    """The 1-based record and value of the first binary cell that is not UTF-8 (error path)."""
    if not (pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type)):
        return None, None
    for i, value in enumerate(col.to_pylist()):
        if isinstance(value, bytes):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return i + 1, value[:60]
    return None, None
