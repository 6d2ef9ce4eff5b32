"""Touchpoints by sense: which senses customers mention at each touchpoint, and how they feel.

From the text tags (``realitygap text tag``): documents that mention a touchpoint and a sense
are counted per pair, with the share of those documents whose sentiment is negative (Wilson
interval). One engine aggregation; nothing row-level comes back.
"""

from __future__ import annotations

import pandas as pd

from realitygap.analysis._result import MIN_N
from realitygap.analysis._stats import wilson
from realitygap.store.workspace import Workspace


def touchpoint_senses(ws: Workspace, *, min_n: int = MIN_N) -> pd.DataFrame:
    """Columns: touchpoint, sense, documents, negative_share, negative_low, negative_high
    (shares None below ``min_n`` documents), most documents first."""
    a = ws.table("document_aspects")
    tags = ws.table("document_tags").select("document_id", "sentiment")
    tp = a.filter(a.aspect_kind == "touchpoint").select("document_id", touchpoint=a.aspect)
    se = a.filter(a.aspect_kind == "sense").select("document_id", sense=a.aspect)
    pairs = tp.join(se, "document_id").distinct().join(tags, "document_id")
    counts: pd.DataFrame = (
        pairs.group_by(["touchpoint", "sense"])
        .agg(
            documents=pairs.count(),
            negative=(pairs.sentiment == "negative").cast("int64").sum(),
        )
        .execute()
    )
    rows = []
    for touchpoint, sense, docs, negative in zip(
        counts["touchpoint"], counts["sense"], counts["documents"], counts["negative"], strict=True
    ):
        n, k = int(docs), int(negative)
        low, high = wilson(k / n, n) if n >= min_n else (None, None)
        rows.append(
            {
                "touchpoint": touchpoint,
                "sense": sense,
                "documents": n,
                "negative_share": k / n if n >= min_n else None,
                "negative_low": low,
                "negative_high": high,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "touchpoint",
            "sense",
            "documents",
            "negative_share",
            "negative_low",
            "negative_high",
        ],
    )
    return frame.sort_values("documents", ascending=False, ignore_index=True)
