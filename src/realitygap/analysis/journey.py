"""The journey map: points of connection (touchpoints) by journey stage, with the point of
potential (the owner department) behind each.

Per touchpoint of the taxonomy, in stage order:

- the customer score: each customer's mean answer over the touchpoint's rated items in % of
  the scale range (0 = lowest answer, 100 = highest), averaged over customers (t interval);
- the perception gap, staff prediction - customer answer in % of scale, exactly as
  :func:`realitygap.analysis.gap` computes it per touchpoint (Welch);
- the comments that mention it (text tags): how many, the share negative (Wilson) and the
  mean sentiment score (t interval);
- the senses it reaches and its owner department (taxonomy), with that department's own gap:
  its staff members' mean over-estimation in % of scale (:class:`~realitygap.analysis.gap.
  StaffOffset`).

The priorities are the touchpoints where the gap is widest and the score lowest: ranked by
``gap + (mean score of all touchpoints - score)``, both in % of scale, among touchpoints with
enough answers for both.

References: Lemon & Verhoef (2016) "Understanding customer experience throughout the
customer journey", Journal of Marketing 80(6); Bitner, Ostrom & Morgan (2008) "Service
blueprinting", California Management Review 50(3) (points of connection and the systems
behind them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from realitygap.analysis._result import MIN_N, Estimate, Values
from realitygap.analysis._stats import mean_estimate, weighted_moments, wilson_estimate
from realitygap.analysis.gap import GapResult, gap
from realitygap.analysis.metrics import customer_answers
from realitygap.domain.errors import check_confidence
from realitygap.domain.scales import RATED_SCALES, SCALES
from realitygap.store import engine
from realitygap.store.workspace import Workspace

SENSE_LETTERS = {"see": "S", "hear": "H", "touch": "T", "smell": "M", "taste": "A", "feel": "F"}


@dataclass(frozen=True)
class JourneyCell(Values):
    """One touchpoint of the journey map (scores and gaps in % of the scale range)."""

    stage: str
    touchpoint: str
    name: str
    senses: tuple[str, ...]
    owner: str
    items: int
    score: Estimate
    gap: Estimate
    gap_p: float | None
    comments: int
    negative: Estimate
    sentiment: Estimate
    owner_gap: Estimate
    priority: float | None

    @property
    def sense_letters(self) -> str:
        """The senses as letters: S(ee) H(ear) T(ouch) sM(ell) tA(ste) F(eel)."""
        return "".join(SENSE_LETTERS.get(s, "?") for s in self.senses)

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage,
            "touchpoint": self.touchpoint,
            "name": self.name,
            "senses": ",".join(self.senses),
            "owner": self.owner,
            "items": self.items,
        }
        for prefix in ("score", "gap", "negative", "sentiment", "owner_gap"):
            est: Estimate = getattr(self, prefix)
            out[prefix] = est.value
            out[f"{prefix}_low"] = est.low
            out[f"{prefix}_high"] = est.high
            out[f"{prefix}_n"] = est.n
        out["gap_p"] = self.gap_p
        out["comments"] = self.comments
        out["priority"] = self.priority
        return out


@dataclass(frozen=True)
class JourneyResult(Values):
    """The journey map: one cell per touchpoint, stages in journey order.

    ``to_frame()`` columns: stage, touchpoint, name, senses, owner, items, then for each of
    score, gap, negative, sentiment and owner_gap the value, _low, _high and _n; gap_p,
    comments, priority.
    """

    stages: tuple[str, ...]
    cells: tuple[JourneyCell, ...]
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Journey score: per customer the mean answer over the touchpoint's rated items in "
            "% of the scale range, averaged over customers; Student t interval",
            "Journey gap: staff prediction - customer answer per touchpoint, % of scale (the "
            "perception gap's touchpoint rows, Welch)",
            "Journey comments: documents tagged with the touchpoint; negative share Wilson, "
            "mean sentiment score t interval",
            "Owner department gap: its staff's mean over-estimation, % of scale, t interval",
            "Journey priorities: gap + (mean score - score), % of scale (Lemon & Verhoef 2016; "
            "Bitner, Ostrom & Morgan 2008)",
        )
    )

    @property
    def priorities(self) -> tuple[JourneyCell, ...]:
        """Touchpoints with a score and a gap, widest gap and lowest score first."""
        known = [c for c in self.cells if c.priority is not None]
        return tuple(sorted(known, key=lambda c: -(c.priority or 0.0)))

    def cell(self, touchpoint: str) -> JourneyCell:
        return next(c for c in self.cells if c.touchpoint == touchpoint)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.row() for c in self.cells])

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "cells": [c.row() for c in self.cells],
            "priorities": [c.touchpoint for c in self.priorities[:3]],
            "min_n": self.min_n,
            "confidence": self.confidence,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = ["Journey map (score and gap in % of the scale range)"]
        for stage in self.stages:
            lines.append(f"[{stage}]")
            for c in (c for c in self.cells if c.stage == stage):
                lines.append(
                    f"  {c.touchpoint} ({c.sense_letters or '-'}; owner {c.owner}): score "
                    f"{c.score.format(1)}; gap {c.gap.format(1)}; {c.comments:,} comments, "
                    f"negative {c.negative.format(0, 100, '%')}; owner's gap "
                    f"{c.owner_gap.format(1)}"
                )
        if self.priorities:
            lines.append("Where the gap is widest and the score lowest")
            lines.extend(
                f"  {i}. {c.touchpoint}: score {c.score.format(1)}, gap {c.gap.format(1)}"
                for i, c in enumerate(self.priorities[:3], start=1)
            )
        return "\n".join(lines)


def _scores(ws: Workspace, min_n: int, confidence: float) -> dict[str, tuple[int, Estimate]]:
    """Per touchpoint: its number of rated customer items and the customer score."""
    spans = pd.DataFrame(
        [{"scale": str(k), "low": float(SCALES[k].low), "high": float(SCALES[k].high)}
         for k in RATED_SCALES]
    )  # fmt: skip
    a = customer_answers(ws, None, respondent_columns=[])
    a = a.filter(a.touchpoint.notnull()).join(ibis.memtable(spans), "scale")
    a = a.mutate(pos=100 * (a.value - a.low) / (a.high - a.low))
    per = a.group_by(["touchpoint", "respondent_id"]).agg(pos=a.pos.mean())
    sums: pd.DataFrame = (
        per.group_by("touchpoint")
        .agg(n=per.count(), s=per.pos.sum(), ss=(per.pos**2).sum())
        .execute()
    )
    q = ws.table("questions")
    q = q.filter(
        (q.audience == "customer")
        & q.touchpoint.notnull()
        & q.scale.isin([str(s) for s in RATED_SCALES])
    )
    items: pd.DataFrame = q.group_by("touchpoint").agg(k=q.count()).execute()
    k_of = dict(zip(items["touchpoint"].astype(str), items["k"].astype(int), strict=True))
    out: dict[str, tuple[int, Estimate]] = {}
    method = "customer score, % of scale, t interval"
    for tp, n, s, ss in zip(sums["touchpoint"], sums["n"], sums["s"], sums["ss"], strict=True):
        n = int(n)
        mean, var = weighted_moments(float(n), float(s), float(ss), float(n))
        out[str(tp)] = (
            k_of.get(str(tp), 0),
            mean_estimate(mean, var, n, min_n, method, confidence),
        )
    for tp, k in k_of.items():
        out.setdefault(tp, (k, Estimate.insufficient_data(0, method, confidence)))
    return out


def _comments(
    ws: Workspace, min_n: int, confidence: float
) -> dict[str, tuple[int, Estimate, Estimate]]:
    """Per touchpoint: documents mentioning it, the negative share and the mean sentiment."""
    if ws.count("document_tags") == 0:
        return {}
    a = ws.table("document_aspects")
    tags = ws.table("document_tags").select("document_id", "sentiment", "sentiment_score")
    tp = a.filter(a.aspect_kind == "touchpoint").select("document_id", touchpoint=a.aspect)
    j = tp.distinct().join(tags, "document_id")
    sums: pd.DataFrame = (
        j.group_by("touchpoint")
        .agg(
            n=j.count(),
            negative=engine.as_number((j.sentiment == "negative"), "int64").sum(),
            s=j.sentiment_score.sum(),
            ss=(j.sentiment_score**2).sum(),
        )
        .execute()
    )
    out = {}
    for r in sums.to_dict(orient="records"):
        n = int(r["n"])
        mean, var = weighted_moments(float(n), float(r["s"]), float(r["ss"]), float(n))
        out[str(r["touchpoint"])] = (
            n,
            wilson_estimate(int(r["negative"]), n, min_n, "negative share, Wilson", confidence),
            mean_estimate(mean, var, n, min_n, "mean sentiment score, t interval", confidence),
        )
    return out


def journey(ws: Workspace, *, confidence: float = 0.95, min_n: int = MIN_N) -> JourneyResult:
    """The journey map of the workspace's taxonomy.

    Parameters
    ----------
    ws : Workspace
        An open workspace (read-only is enough).
    confidence : float
        Level of every interval (default 0.95).
    min_n : int
        Fewer customers, staff or documents than this give "insufficient data" (default 30).

    Returns
    -------
    JourneyResult
        One :class:`JourneyCell` per touchpoint, stages in journey order, and the priorities
        (widest gap, lowest score). ``to_frame()`` columns are listed on
        :class:`JourneyResult`.
    """
    check_confidence(confidence, min_n)
    taxonomy = ws.taxonomy
    gaps: GapResult = gap(ws, by=["touchpoint", "department"], confidence=confidence, min_n=min_n)
    gap_of = {r.group: r for r in gaps.item_rows("touchpoint")}
    dept_of = {o.group: o.offset for o in gaps.offsets if o.dimension == "department"}
    scores = _scores(ws, min_n, confidence)
    comments = _comments(ws, min_n, confidence)
    none = Estimate.insufficient_data
    cells: list[JourneyCell] = []
    for stage in taxonomy.stages:
        for tp in (t for t in taxonomy.touchpoints if t.stage == stage):
            items, score = scores.get(tp.id, (0, none(0, "customer score", confidence)))
            g = gap_of.get(tp.id)
            n_docs, negative, sentiment = comments.get(
                tp.id,
                (0, none(0, "negative share", confidence), none(0, "sentiment", confidence)),
            )
            cells.append(
                JourneyCell(
                    stage=stage,
                    touchpoint=tp.id,
                    name=tp.name,
                    senses=tuple(s.value for s in tp.senses),
                    owner=tp.owner,
                    items=items,
                    score=score,
                    gap=g.gap if g is not None else none(0, "staff - customer, Welch", confidence),
                    gap_p=g.p_value if g is not None else None,
                    comments=n_docs,
                    negative=negative,
                    sentiment=sentiment,
                    owner_gap=dept_of.get(tp.owner, none(0, "department offset", confidence)),
                    priority=None,
                )
            )
    known = [c for c in cells if c.score.value is not None and c.gap.value is not None]
    if known:
        mean_score = sum(c.score.value or 0.0 for c in known) / len(known)
        ranked = {c.touchpoint: (c.gap.value or 0.0) + mean_score - (c.score.value or 0.0)
                  for c in known}  # fmt: skip
        cells = [JourneyCell(**{**_fields(c), "priority": ranked.get(c.touchpoint)}) for c in cells]
    return JourneyResult(tuple(taxonomy.stages), tuple(cells), min_n, confidence)


def _fields(cell: JourneyCell) -> dict[str, Any]:
    return {name: getattr(cell, name) for name in JourneyCell.__dataclass_fields__}
