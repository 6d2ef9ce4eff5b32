"""Questions an export created (marked ``generated``): the editable file they are written
to, and their replacement by a later ``--kind questions`` import of the same ids.

Imports never change existing rows, except this one case: a generated question is a draft
(its text from the header, its scale inferred), so a questions file that names its id
replaces it, once; the replacement is an ordinary question from then on.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from realitygap.ingest._bank import GENERATED_FILE
from realitygap.ingest._fields import Field
from realitygap.store.atomic import atomic_write
from realitygap.store.workspace import Workspace


def generated_questions(ws: Workspace) -> pd.DataFrame:
    """The questions still marked generated, every column of the questions table."""
    frame: pd.DataFrame = ws.con.execute(
        "SELECT * EXCLUDE (generated) FROM questions WHERE generated ORDER BY rowid"
    ).fetchdf()
    return frame


def write_generated(ws: Workspace, fields: tuple[Field, ...] | None = None) -> Path:
    """Write ``DIR/questions.generated.csv``: every question still marked generated, in the
    columns of ``--kind questions`` (so the file imports as it is, once edited)."""
    from realitygap.ingest._kinds import FIELDS

    columns = [f.name for f in (fields or FIELDS["questions"])]
    frame = generated_questions(ws)
    path = ws.path / GENERATED_FILE
    atomic_write(path, frame.reindex(columns=columns).to_csv(index=False))
    return path


def replace_generated(ws: Workspace, incoming: pd.DataFrame) -> int:
    """Delete the generated questions whose ids ``incoming`` names (inside the import's
    transaction, before its rows are inserted); return how many."""
    ids = pd.DataFrame({"question_id": incoming["question_id"].dropna().astype(str).unique()})
    if ids.empty:
        return 0
    view = f"_replace_{uuid.uuid4().hex}"
    ws.con.register(view, ids)
    try:
        where = f"generated AND question_id IN (SELECT question_id FROM {view})"
        (n,) = ws.con.execute(f"SELECT count(*) FROM questions WHERE {where}").fetchone() or (0,)
        ws.con.execute(f"DELETE FROM questions WHERE {where}")
    finally:
        ws.con.unregister(view)
    return int(n)


def generated_ids(ws: Workspace) -> set[str]:
    """The ids of the questions still marked generated."""
    rows = ws.con.execute("SELECT question_id FROM questions WHERE generated").fetchall()
    return {str(r[0]) for r in rows}
