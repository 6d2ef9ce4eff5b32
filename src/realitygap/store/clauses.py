"""The clauses of the documents and the scratch tables of theme discovery, in the engine.

Theme discovery (:mod:`realitygap.analysis.text.themes`) relies on the engine to cut every
document into clauses (a regular-expression split, in parallel, no Python per document), to
count the distinct clauses and to join each clause's theme back to its documents. Those
statements are engine-specific (DuckDB's ``regexp_split_to_array``, ``unnest``, reservoir
sampling, ``FILTER``) and live here, behind named functions, so that nothing above ``store/``
holds SQL (docs/engines.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import TracebackType

import pandas as pd

from realitygap.store.workspace import Workspace


def _parts_sql(ws: Workspace, strip: str) -> str:
    """The trimmed, non-empty parts of every document (``$pattern`` is the boundary; the
    pattern is read by RE2 on DuckDB and as an ARE on PostgreSQL, which agree on the
    clause pattern's syntax: an inline ``(?i)``, classes, ``(?:...)``, ``$``)."""
    quoted = strip.replace("'", "''")
    if ws.dialect == "spark":  # Java regular expressions agree with RE2 on the pattern too
        chars = quoted.replace("\\", "\\\\")  # Spark's literals read backslash escapes
        return (
            f"SELECT document_id, part FROM (SELECT document_id, trim(BOTH '{chars}' FROM raw) "
            "AS part FROM (SELECT document_id, explode(split(text, $pattern)) AS raw "
            "FROM documents) AS pieces) AS parts WHERE part <> ''"
        )
    trim = "btrim" if ws.dialect == "postgres" else "trim"
    return (
        f"SELECT document_id, part FROM (SELECT document_id, {trim}(unnest(regexp_split_to_array("
        f"text, $pattern)), '{quoted}') AS part FROM documents) AS parts WHERE part <> ''"
    )


def document_parts(ws: Workspace, pattern: str, strip: str) -> pd.DataFrame:
    """(``document_id``, ``part``): every document split at ``pattern`` (an RE2 expression),
    each part trimmed of the characters of ``strip``, empty parts dropped."""
    frame: pd.DataFrame = ws.con.execute(_parts_sql(ws, strip), {"pattern": pattern}).df()
    return frame


def distinct_parts(
    ws: Workspace, pattern: str, strip: str, batch_size: int
) -> Iterator[pd.DataFrame]:
    """Pages (``part``, ``n``: how many parts have that text) of the distinct parts of
    :func:`document_parts`, streamed from one query on a cursor of its own: the engine cuts
    and counts in parallel, Python holds one page of distinct texts at a time."""
    return ws.pages(
        f"SELECT part, count(*) AS n FROM ({_parts_sql(ws, strip)}) AS p GROUP BY part",
        {"pattern": pattern},
        batch_size,
    )


def sample_document_texts(ws: Workspace, seed: int, size: int) -> list[str]:
    """The texts of a repeatable random sample of ``size`` documents (reservoir sampling;
    on PostgreSQL the ``size`` first by an MD5 of the seed and the document id)."""
    if ws.dialect in ("postgres", "spark"):
        rows = ws.con.execute(
            "SELECT text FROM documents ORDER BY md5(? || ':' || document_id) LIMIT ?",
            [str(int(seed)), int(size)],
        ).fetchall()
        return [str(r[0]) for r in rows]
    rows = ws.con.execute(
        f"SELECT text FROM documents USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE "
        f"({int(seed)})"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _latest_score_sql(ws: Workspace, question_id: str) -> str:
    """Each respondent's latest answer (``score``) to one question; no date counts as oldest."""
    quoted = "'" + question_id.replace("'", "''") + "'"
    if ws.dialect == "spark":
        return (
            "SELECT respondent_id, max_by(value, coalesce(submitted_at, "
            "TIMESTAMP_NTZ '1970-01-01')) AS score FROM responses "
            f"WHERE question_id = {quoted} GROUP BY respondent_id"
        )
    if ws.dialect == "postgres":
        return (
            "SELECT DISTINCT ON (respondent_id) respondent_id, value AS score FROM responses "
            f"WHERE question_id = {quoted} ORDER BY respondent_id, "
            "coalesce(submitted_at, TIMESTAMP '1970-01-01') DESC"
        )
    return (
        "SELECT respondent_id, arg_max(value, coalesce(submitted_at, TIMESTAMP '1970-01-01')"
        f" ) AS score FROM responses WHERE question_id = {quoted} GROUP BY respondent_id"
    )


def latest_score_counts(ws: Workspace, question_id: str) -> tuple[int, int, int]:
    """(respondents, latest score >= 9, latest score <= 6) of one 0-10 question: the counts
    of an NPS over each respondent's latest answer."""
    row = ws.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE score >= 9), "
        f"count(*) FILTER (WHERE score <= 6) FROM ({_latest_score_sql(ws, question_id)}) AS n"
    ).fetchone()
    if not row:
        return 0, 0, 0
    n, pro, det = (int(x) for x in row)
    return n, pro, det


class ThemeTables:
    """Two temporary tables of one theme discovery, dropped on exit: the theme and sentiment
    of each distinct part (``part``, ``theme``, ``compound``), filled page by page, and the
    theme and sentiment of each clause of every document (``document_id``, ``theme``,
    ``compound``), filled by one join in the engine."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.documents = f"_themes_{uuid.uuid4().hex}"
        self.parts = f"_theme_of_{uuid.uuid4().hex}"

    def __enter__(self) -> ThemeTables:
        con = self.ws.con
        con.execute(
            f"CREATE TEMP TABLE {self.documents} "
            "(document_id VARCHAR, theme INTEGER, compound DOUBLE)"
        )
        con.execute(
            f"CREATE TEMP TABLE {self.parts} (part VARCHAR, theme INTEGER, compound DOUBLE)"
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.ws.con.execute(f"DROP TABLE IF EXISTS {self.documents}")
        self.ws.con.execute(f"DROP TABLE IF EXISTS {self.parts}")

    def add_parts(self, rows: pd.DataFrame) -> None:
        """Append (``part``, ``theme`` int32, ``compound``) rows to the part table."""
        view = f"_theme_rows_{uuid.uuid4().hex}"
        self.ws.con.register(view, rows)
        try:
            self.ws.con.execute(f"INSERT INTO {self.parts} SELECT * FROM {view}")
        finally:
            self.ws.con.unregister(view)

    def join_documents(self, pattern: str, strip: str) -> None:
        """One row per clause of every document whose part has a theme (a join in the
        engine, not a loop in Python)."""
        self.ws.con.execute(
            f"INSERT INTO {self.documents} SELECT p.document_id, t.theme, t.compound "
            f"FROM ({_parts_sql(self.ws, strip)}) p JOIN {self.parts} t USING (part)",
            {"pattern": pattern},
        )

    def themed_documents(self) -> int:
        """How many documents have at least one theme."""
        row = self.ws.con.execute(
            f"SELECT count(DISTINCT document_id) FROM {self.documents}"
        ).fetchone()
        return int(row[0]) if row else 0

    def members(self) -> pd.DataFrame:
        """(``document_id``, ``theme``): each document's themes, ordered by theme then id."""
        frame: pd.DataFrame = self.ws.con.execute(
            f"SELECT DISTINCT document_id, theme FROM {self.documents} ORDER BY theme, document_id"
        ).df()
        return frame

    def theme_stats(
        self, positive: float, negative: float
    ) -> list[tuple[int, int, float, float | None, int, int]]:
        """Per theme: (theme, documents, mean of the documents' sentiment, its sample sd or
        None, documents at or above ``positive``, documents at or below ``negative``), where
        a document's sentiment on a theme is the mean compound of its clauses in it."""
        rows = self.ws.con.execute(
            f"WITH d AS (SELECT theme, document_id, avg(compound) AS c FROM {self.documents} "
            f"GROUP BY theme, document_id) "
            f"SELECT theme, count(*), avg(c), stddev_samp(c), "
            f"count(*) FILTER (WHERE c >= {float(positive)}), "
            f"count(*) FILTER (WHERE c <= {float(negative)}) FROM d GROUP BY theme"
        ).fetchall()
        return [
            (
                int(r[0]),
                int(r[1]),
                float(r[2]),
                None if r[3] is None else float(r[3]),
                int(r[4]),
                int(r[5]),
            )
            for r in rows
        ]

    def monthly_trend(self) -> pd.DataFrame:
        """(``theme``, ``month``, ``documents``, ``month_documents``): the documents of each
        theme per month of creation and all dated documents of that month."""
        frame: pd.DataFrame = self.ws.con.execute(
            f"WITH m AS (SELECT document_id, date_trunc('month', created_at) AS month "
            f"FROM documents WHERE created_at IS NOT NULL), "
            f"totals AS (SELECT month, count(*) AS total FROM m GROUP BY month) "
            f"SELECT t.theme, m.month, count(DISTINCT t.document_id) AS documents, "
            f"max(totals.total) AS month_documents "
            f"FROM {self.documents} t JOIN m USING (document_id) JOIN totals USING (month) "
            f"GROUP BY t.theme, m.month ORDER BY t.theme, m.month"
        ).df()
        return frame

    def detractors(self, question_id: str) -> pd.DataFrame:
        """(``theme``, ``detractors``): per theme, the customers with a document in it whose
        latest answer to ``question_id`` is at most 6."""
        frame: pd.DataFrame = self.ws.con.execute(
            f"SELECT t.theme, count(DISTINCT n.respondent_id) AS detractors "
            f"FROM {self.documents} t JOIN documents d USING (document_id) "
            f"JOIN ({_latest_score_sql(self.ws, question_id)}) n "
            "ON n.respondent_id = d.customer_id "
            f"WHERE n.score <= 6 GROUP BY t.theme"
        ).df()
        return frame
