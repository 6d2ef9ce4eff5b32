"""Questions an export created (marked ``generated``): the editable file they are written
to, and their replacement by a later ``--kind questions`` import of the same ids.

Imports never change existing rows, except this one case: a generated question is a draft
(its text from the header, its scale inferred), so a questions file that names its id
replaces it, once; the replacement is an ordinary question from then on.
"""

from __future__ import annotations

from pathlib import Path

from realitygap.ingest._bank import GENERATED_FILE
from realitygap.ingest._fields import Field
from realitygap.store.atomic import atomic_write
from realitygap.store.generated import generated_ids as generated_ids
from realitygap.store.generated import generated_questions
from realitygap.store.generated import replace_generated as replace_generated
from realitygap.store.workspace import Workspace


def write_generated(ws: Workspace, fields: tuple[Field, ...] | None = None) -> Path:
    """Write ``DIR/questions.generated.csv``: every question still marked generated, in the
    columns of ``--kind questions`` (so the file imports as it is, once edited)."""
    from realitygap.ingest._kinds import FIELDS

    columns = [f.name for f in (fields or FIELDS["questions"])]
    frame = generated_questions(ws)
    path = ws.path / GENERATED_FILE
    atomic_write(path, frame.reindex(columns=columns).to_csv(index=False))
    return path
