"""Customer free text on its way into the workspace: personal data is redacted before it is
stored (``realitygap.domain.privacy``); the original is kept in ``document_originals`` only when
``DIR/settings.toml`` says ``[privacy] keep_original = true``."""

from __future__ import annotations

import pandas as pd

from realitygap.domain.privacy import redact_many


def redact_documents(docs: pd.DataFrame, *, keep: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The documents with redacted text, and the originals to keep (empty unless ``keep``).

    The originals frame has columns document_id, text: one row per document whose text
    changed.
    """
    texts = docs["text"].astype(str)
    redacted = pd.Series(redact_many(texts.tolist()), index=docs.index, dtype=object)
    changed = (redacted != texts) & keep
    originals = pd.DataFrame(
        {"document_id": docs.loc[changed, "document_id"], "text": texts[changed]}
    )
    return docs.assign(text=redacted), originals
