"""The answer grid: the long ``responses`` pivoted to one row per respondent and wave.

The survey audit and the driver analysis need one row per respondent with a column per
question for their correlations. Pivoting millions of long answers is the costliest step of
both (about 7 CPU seconds for 19 million answers), so the grid of every rated customer
question is kept as a table, ``answer_grid``, built when answers land (the importer and the
simulator call :func:`refresh` in the transaction that writes them) and read by the analyses.

The grid is derived data, never a source of truth: ``answer_grid_meta`` stores the questions
of its columns (``v0``, ``v1`` ... in that order) and a fingerprint of ``responses`` (row count,
XOR of row hashes, first and last wave; one scan, a tenth of a pivot). :func:`current` returns
the grid only while the fingerprint still matches, so answers written by any other means (a
raw SQL update, an older realitygap) are never read stale: the analyses then rebuild it (on a
writable workspace) or pivot into a temporary table (read-only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from realitygap.domain.scales import RATED_SCALES
from realitygap.store.workspace import Workspace
from realitygap.store.write import create_table_as, drop_tables

GRID_TABLE = "answer_grid"
META_TABLE = "answer_grid_meta"

Fingerprint = tuple[Any, ...]


@dataclass(frozen=True)
class StoredGrid:
    """The grid table and the question of each column (``v{i}`` is ``questions[i]``)."""

    table: ir.Table
    questions: tuple[str, ...]


def fingerprint(ws: Workspace) -> Fingerprint:
    """Row count, XOR of row hashes, first and last wave of ``responses``: any insert, delete
    or change of an answer changes it."""
    found = table_fingerprint(ws, "responses", ["respondent_id", "question_id", "wave", "value"])
    return found + wave_range(ws)


def wave_range(ws: Workspace) -> Fingerprint:
    """(first wave, last wave) of ``responses``."""
    return _once(ws, ("wave range",), "SELECT min(wave), max(wave) FROM responses")


def table_fingerprint(ws: Workspace, table: str, columns: list[str]) -> Fingerprint:
    """(row count, XOR of the hashes of ``columns`` per row) of ``table``: any insert, delete or
    change of those columns changes it (one scan). A read-only connection cannot see writes
    (DuckDB locks the file against writers while it is open), so there it is taken once and
    kept on the workspace."""
    return _once(
        ws,
        ("fingerprint", table, *columns),
        f"SELECT count(*), {row_hash_xor(ws, columns)} FROM {table}",
    )


def row_hash_xor(ws: Workspace, columns: list[str]) -> str:
    """The SQL of the XOR over rows of a 64-bit hash of ``columns`` (NULL when no rows)."""
    if ws.dialect == "postgres":
        text = ", ".join(f"coalesce({c}::text, chr(30))" for c in columns)
        return f"bit_xor(hashtextextended(concat_ws(chr(31), {text}), 0))"
    if ws.dialect == "spark":
        return f"bit_xor(xxhash64({', '.join(columns)}))"
    return f"bit_xor(hash({', '.join(columns)}))"


def _once(ws: Workspace, key: tuple[str, ...], sql: str) -> Fingerprint:
    if ws.frozen and key in ws.derived:
        found: Fingerprint = ws.derived[key]
        return found
    row = ws.con.execute(sql).fetchone()
    found = tuple(row) if row is not None else ()
    if ws.frozen:
        ws.derived[key] = found
    return found


def pivot(ws: Workspace, question_ids: list[str], *, wave: str | None = None) -> ir.Table:
    """One row per (respondent_id, wave) with a column ``v0``, ``v1`` ... per question, NULL
    where the respondent did not answer that question in that wave (only ``wave``, if given).
    """
    return pivot_answers(ws.table("responses"), question_ids, wave=wave)


def pivot_answers(r: ir.Table, question_ids: list[str], *, wave: str | None = None) -> ir.Table:
    """:func:`pivot` of the long answers ``r`` (the columns of ``responses``)."""
    r = r.filter(r.question_id.isin(question_ids))
    if wave is not None:
        r = r.filter(r.wave == wave)
    # the position of the question in the list, computed once per answer: the per-column
    # filters then compare small integers instead of strings (a quarter less engine time)
    position = ibis.literal(list(question_ids), type="array<string>").index(r.question_id)
    r = r.mutate(_position=position.cast("int16"))
    values = {
        f"v{i}": r.value.max(where=r._position == i).cast("float64")
        for i in range(len(question_ids))
    }
    if wave is None:
        return r.group_by(["respondent_id", "wave"]).aggregate(**values)
    # one wave: grouping by the respondent alone is the same and a fifth cheaper
    grouped = r.group_by("respondent_id").aggregate(**values)
    return grouped.select("respondent_id", ibis.literal(wave).name("wave"), *values)


def only_wave(print_: Fingerprint) -> str | None:
    """The wave of fingerprinted ``responses`` that hold exactly one, else None."""
    first, last = print_[-2:]
    return str(first) if first is not None and first == last else None


def rated_customer_questions(ws: Workspace) -> list[str]:
    """Customer questions on a rated scale, in question-id order: the grid's columns."""
    q = ws.table("questions")
    rated = q.filter((q.audience == "customer") & q.scale.isin([s.value for s in RATED_SCALES]))
    return sorted(str(x) for x in rated.question_id.execute())


def refresh(ws: Workspace) -> StoredGrid:
    """(Re)build the grid of every rated customer question; call it where answers are written,
    inside the same transaction, so the grid lands with them."""
    questions = rated_customer_questions(ws)
    print_ = fingerprint(ws)
    # a single wave: filtering on it keeps every answer and lets the pivot group by respondent
    query = ibis.to_sql(pivot(ws, questions, wave=only_wave(print_)), dialect=ws.backend.name)
    create_table_as(ws, GRID_TABLE, str(query))
    _store_meta(ws, questions, print_)
    return StoredGrid(ws.table(GRID_TABLE), tuple(questions))


def _store_meta(ws: Workspace, questions: list[str], print_: Fingerprint) -> None:
    drop_tables(ws, META_TABLE)
    ws.con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
    ws.con.executemany(
        f"INSERT INTO {META_TABLE} VALUES (?, ?)",
        [["questions", json.dumps(questions)], ["fingerprint", json.dumps(list(print_))]],
    )


class GridBuilder:
    """Builds the grid while answers are written in chunks, instead of one pivot at the end.

    For a writer that appends answers a chunk at a time (the simulator: 50M answers at 10M
    customers, which one pivot would hold in memory at once): create it after the questions are
    written and before any answer, call :meth:`add` with each chunk's table *after* inserting
    that chunk into ``responses``, then :meth:`finish` (in one transaction, or, like the
    simulator, undone as a whole on failure; until :meth:`finish` no fingerprint is stored, so
    a half-built grid is never read). Every
    respondent's answers of a wave must lie in one chunk (chunks split by respondent). The
    fingerprint is combined from the chunks' (count, XOR, min, max wave), so it equals what
    :func:`fingerprint` computes over the final ``responses`` without another scan; it
    assumes ``responses`` was empty at the start.
    """

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._questions = rated_customer_questions(ws)
        self._count = 0
        self._xor = 0
        self._waves: list[str] = []
        responses = ws.table("responses")
        self._schema = responses.schema()
        empty = pivot_answers(responses, self._questions).limit(0)
        ws.con.execute(f"CREATE OR REPLACE TABLE {GRID_TABLE} AS {ibis.to_sql(empty)}")

    def add(self, chunk: str) -> None:
        """Pivot the answers in table ``chunk`` (the columns and types of ``responses``) into
        the grid and fold them into the fingerprint."""
        con = self._ws.con
        row = con.execute(
            "SELECT count(*), bit_xor(hash(respondent_id, question_id, wave, value)), "
            f"min(wave), max(wave) FROM {chunk}"
        ).fetchone()
        if row is None or not row[0]:
            return
        self._count += int(row[0])
        self._xor ^= int(row[1])
        self._waves += [str(w) for w in row[2:] if w is not None]
        # an unbound table of the responses' schema, so that ``chunk`` may be a temporary table
        answers = ibis.table(self._schema, name=chunk)
        grid = pivot_answers(answers, self._questions)
        con.execute(f"INSERT INTO {GRID_TABLE} {ibis.to_sql(grid, dialect='duckdb')}")

    def finish(self) -> StoredGrid:
        """Store the questions and the fingerprint; return the grid."""
        waves = sorted(self._waves)
        print_: Fingerprint = (
            self._count,
            self._xor if self._count else None,
            waves[0] if waves else None,
            waves[-1] if waves else None,
        )
        _store_meta(self._ws, self._questions, print_)
        return StoredGrid(self._ws.table(GRID_TABLE), tuple(self._questions))


def current(ws: Workspace) -> StoredGrid | None:
    """The stored grid if it was built from the ``responses`` there are now, else None (always
    None on a subset's view: the grid holds every answer)."""
    if ws.restriction:
        return None
    tables = set(ws.backend.list_tables())
    if GRID_TABLE not in tables or META_TABLE not in tables:
        return None
    meta = dict(ws.con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    if "questions" not in meta or "fingerprint" not in meta:
        return None
    if json.loads(meta["fingerprint"]) != list(fingerprint(ws)):
        return None
    return StoredGrid(ws.table(GRID_TABLE), tuple(json.loads(meta["questions"])))
