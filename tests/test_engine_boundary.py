"""The engine boundary (issue 20, docs/engines.md): only ``src/realitygap/store/`` touches a
backend connection. Everything above it speaks Ibis, so that the same analyses can run on
every engine. This test reads the sources (AST) and lists every offender outside ``store/``:
an ``import duckdb``, a ``.con`` attribute, a ``.raw_sql(`` call, a ``.pages(`` call given a
SQL string, or a string literal that reads as SQL (SELECT ... FROM, INSERT INTO, CREATE TABLE,
UPDATE ... SET, DELETE FROM, DROP TABLE)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "src" / "realitygap"
STORE = SOURCES / "store"

# A string literal that reads as a SQL statement (case-insensitive, across line breaks).
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bCREATE\s+(OR\s+REPLACE\s+)?(TEMP\w*\s+)?"
    r"(TABLE|VIEW)\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bDROP\s+(TABLE|VIEW)\b",
    re.IGNORECASE,
)

# What remains outside store/ on purpose, each with why (the lead sees this list). An entry is
# "relative/path.py" -> reason; the test also fails when an entry is no longer needed.
ALLOWED: dict[str, str] = {
    # Empty since issue 18: the simulator's bulk writers go through store/write.py
    # (insert_computed, update_computed). Its id, label and timestamp expressions stay DuckDB
    # expression fragments built in simulate/write.py (not statements, so not offences here).
}


def _string_text(node: ast.AST) -> str | None:
    """The literal text of a string constant or the constant parts of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return (
            " ".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            + " "
        )
    return None


def offences(path: Path) -> list[str]:
    """Every boundary offence in one source file, as 'line: what'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstring.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "duckdb":
                    found.append(f"{node.lineno}: imports duckdb")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] == "duckdb":
                found.append(f"{node.lineno}: imports from duckdb")
        elif isinstance(node, ast.Attribute) and node.attr in ("con", "raw_sql"):
            found.append(f"{node.lineno}: uses .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "pages"
            and node.args
            and _string_text(node.args[0]) is not None
        ):
            found.append(f"{node.lineno}: calls .pages() with a SQL string")
        if id(node) in inside_fstring:
            continue
        text = _string_text(node)
        if text is not None and SQL_TEXT.search(text) and not _is_docstring(tree, node):
            found.append(f"{getattr(node, 'lineno', '?')}: SQL in a string: {text[:60]!r}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def _is_docstring(tree: ast.Module, node: ast.AST) -> bool:
    """Whether a string constant is a module, class or function docstring (prose, not SQL)."""
    for owner in ast.walk(tree):
        if isinstance(owner, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = owner.body
            if body and isinstance(body[0], ast.Expr) and body[0].value is node:
                return True
    return False


def boundary_report() -> dict[str, list[str]]:
    """Offences per source file outside store/."""
    report: dict[str, list[str]] = {}
    for path in sorted(SOURCES.rglob("*.py")):
        if STORE in path.parents:
            continue
        found = offences(path)
        if found:
            report[str(path.relative_to(SOURCES))] = found
    return report


def test_only_store_touches_a_backend_connection() -> None:
    report = boundary_report()
    offenders = {name: found for name, found in report.items() if name not in ALLOWED}
    message = "\n".join(
        f"{name}:\n  " + "\n  ".join(found) for name, found in sorted(offenders.items())
    )
    assert not offenders, (
        "Only src/realitygap/store/ may touch a backend connection or hold SQL "
        "(docs/engines.md); move these into a named function in store/:\n" + message
    )


def test_allow_list_holds_only_files_that_still_need_it() -> None:
    report = boundary_report()
    stale = sorted(name for name in ALLOWED if name not in report)
    assert not stale, f"remove these from ALLOWED, they no longer cross the boundary: {stale}"


def test_the_checker_catches_each_kind_of_offence(tmp_path: Path) -> None:
    # Each planted line is an offence the rule names; a clean Ibis line is not.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import duckdb\n"
        "def f(ws, t):\n"
        "    ws.con.execute('x')\n"
        "    ws.pages('SELECT a FROM t', 10)\n"
        "    q = f'INSERT INTO {t} VALUES (1)'\n"
        "    ws.backend.raw_sql('x')\n"
        "    return t.filter(t.a > 1).select('a')\n",
        encoding="utf-8",
    )
    found = offences(sample)
    assert [line.split(":")[0] for line in found] == ["1", "3", "4", "4", "5", "6"], found
