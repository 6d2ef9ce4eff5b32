"""Redact the customer text already stored in a workspace (the one-time migration for
workspaces written before text was redacted at entry).

Documents are read in pages on a cursor of their own and only those whose text changes are
rewritten; the original goes to ``document_originals`` only when ``DIR/settings.toml`` says
``[privacy] keep_original = true``. Runs inside the migration's transaction.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from realitygap.domain.privacy import redact_many

if TYPE_CHECKING:
    from realitygap.store.workspace import Workspace

PAGE = 10_000


def redact_stored(ws: Workspace) -> int:
    """Redact every stored document; returns how many texts changed."""
    from realitygap.store.settings import keep_original

    keep = keep_original(ws)
    changed_total = 0
    for page in ws.pages("SELECT document_id, text FROM documents", batch_size=PAGE):
        texts = page["text"].astype(str).tolist()
        page["redacted"] = redact_many(texts)
        changed = page[page["redacted"] != page["text"]]
        if changed.empty:
            continue
        view = f"_redacted_{uuid.uuid4().hex}"
        ws.con.register(view, changed)
        if keep:
            ws.con.execute(
                f"INSERT INTO document_originals SELECT document_id, text FROM {view} v "
                "WHERE NOT EXISTS (SELECT 1 FROM document_originals o "
                "WHERE o.document_id = v.document_id)"
            )
        ws.con.execute(
            f"UPDATE documents SET text = v.redacted FROM {view} v "
            "WHERE documents.document_id = v.document_id"
        )
        ws.con.unregister(view)
        changed_total += len(changed)
    return changed_total
