"""Touchpoints by sense: which senses customers mention at each touchpoint, and how they feel.

From the text tags (``realitygap text tag``): documents that mention a touchpoint and a sense
are counted per pair, with the share of those documents whose sentiment is negative (Wilson
interval). One engine aggregation; nothing row-level comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import wilson_estimate
from realitygap.domain.errors import check_confidence
from realitygap.store import engine
from realitygap.store.workspace import Workspace


@dataclass(frozen=True)
class TouchpointSense(Values):
    """Documents mentioning one touchpoint and one sense, and the share that are negative."""

    touchpoint: str
    sense: str
    documents: int
    negative: Estimate


@dataclass(frozen=True)
class SensesResult(Values):
    """Touchpoint x sense pairs, most documents first.

    ``to_frame()`` columns: touchpoint, sense, documents, negative_value, negative_low,
    negative_high, negative_n, negative_method, negative_confidence, negative_n_effective.
    """

    pairs: tuple[TouchpointSense, ...]
    min_n: int = MIN_N
    confidence: float = 0.95
    method: str = "documents tagged with both; negative share with a Wilson interval"

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"touchpoint": p.touchpoint, "sense": p.sense, "documents": p.documents}
            | p.negative.to_dict("negative_")
            for p in self.pairs
        ]
        if not rows:
            return pd.DataFrame(columns=["touchpoint", "sense"])
        frame = pd.DataFrame(rows)
        # a share below min_n is None in every row: keep the column numeric (NaN), not object
        bounds = [f"negative_{k}" for k in ("value", "low", "high") if f"negative_{k}" in frame]
        return frame.astype({c: float for c in bounds})

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "min_n": self.min_n, "pairs": plain(self.pairs)}

    def __str__(self) -> str:
        lines = ["Touchpoints by sense (documents; share negative)"]
        lines.extend(
            f"  {p.touchpoint} x {p.sense}: {p.documents:,}; {p.negative.format(0, 100, '%')}"
            for p in self.pairs
        )
        return "\n".join(lines)


def touchpoint_senses(
    ws: Workspace, *, min_n: int = MIN_N, confidence: float = 0.95
) -> SensesResult:
    """Which senses customers mention at each touchpoint, and how often those mentions are negative.

    Reads the text tags (``realitygap text tag``): documents that mention both a touchpoint and a
    sense are counted per pair.

    Parameters
    ----------
    ws : Workspace
        An open workspace with tagged documents.
    min_n : int, default 30
        Fewer documents than this give "insufficient data" for the negative share.
    confidence : float, default 0.95
        Level of the Wilson intervals.

    Returns
    -------
    SensesResult
        ``pairs`` (:class:`TouchpointSense`), most documents first. ``to_frame()`` columns:
        ``touchpoint``, ``sense`` (see, hear, touch, smell, taste, feel), ``documents``,
        ``negative_value``, ``negative_low``, ``negative_high`` (share of those documents whose
        sentiment is negative), ``negative_n``, ``negative_method``, ``negative_confidence``,
        ``negative_n_effective`` (always None).

    Raises
    ------
    ArgumentError
        ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    Wilson, E. B. (1927). JASA 22. Lindstrom, M. (2005). Brand Sense (the senses a touchpoint
    reaches).

    Examples
    --------
    >>> frame = touchpoint_senses(ws).to_frame()
    >>> frame[["touchpoint", "sense", "documents", "negative_value"]].head(3).round(2)
        touchpoint sense  documents  negative_value
    0  store_staff  feel         25             NaN
    1  call_centre  feel         23             NaN
    2      pricing  feel         22             NaN
    """
    check_confidence(confidence, min_n)
    a = ws.table("document_aspects")
    tags = ws.table("document_tags").select("document_id", "sentiment")
    tp = a.filter(a.aspect_kind == "touchpoint").select("document_id", touchpoint=a.aspect)
    se = a.filter(a.aspect_kind == "sense").select("document_id", sense=a.aspect)
    pairs = tp.join(se, "document_id").distinct().join(tags, "document_id")
    counts: pd.DataFrame = (
        pairs.group_by(["touchpoint", "sense"])
        .agg(
            documents=pairs.count(),
            negative=engine.as_number((pairs.sentiment == "negative"), "int64").sum(),
        )
        .execute()
        .sort_values(["documents", "touchpoint", "sense"], ascending=[False, True, True])
    )
    method = "negative share, Wilson"
    return SensesResult(
        tuple(
            TouchpointSense(
                str(tp_),
                str(sense),
                int(n),
                wilson_estimate(int(k), int(n), min_n, method, confidence),
            )
            for tp_, sense, n, k in zip(
                counts["touchpoint"],
                counts["sense"],
                counts["documents"],
                counts["negative"],
                strict=True,
            )
        ),
        min_n,
        confidence,
    )
