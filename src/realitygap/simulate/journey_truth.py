"""The journey map's planted truth: per touchpoint, the expected customer score and the
expected perception gap in % of the scale range.

Nothing new is generated: the score and the gap per touchpoint follow from the item
parameters already planted (``truth["overestimation"]``: the expected answer of the customers
who respond, and the staff's expected over-estimation per item), averaged over the
touchpoint's items in % of each item's scale range, the unit the journey map reports in.
"""

from __future__ import annotations

from typing import Any

from realitygap.simulate.company import ITEMS


def journey_truth(truth: dict[str, Any]) -> dict[str, Any]:
    """``truth["journey"]``: expected score and gap per touchpoint, and the planted ranking."""
    over = truth["overestimation"]
    by_tp: dict[str, list[tuple[float, float]]] = {}
    for item in ITEMS:
        span = float(item.high - item.low)
        # per customer, as the journey map counts (a customer answering twice counts once)
        mean = over["expected_customer_mean_per_customer"][item.question_id]
        score = 100 * (mean - item.low) / span
        gap = 100 * over["by_item_per_customer"][item.question_id] / span
        by_tp.setdefault(item.touchpoint, []).append((score, gap))
    touchpoints = {
        tp: {
            "items": len(pairs),
            "score_pct": round(sum(s for s, _ in pairs) / len(pairs), 3),
            "gap_pct": round(sum(g for _, g in pairs) / len(pairs), 3),
        }
        for tp, pairs in by_tp.items()
    }
    mean_score = sum(t["score_pct"] for t in touchpoints.values()) / len(touchpoints)
    priority = {tp: t["gap_pct"] + mean_score - t["score_pct"] for tp, t in touchpoints.items()}
    return {
        "unit": "% of the scale range",
        "touchpoints": touchpoints,
        "priorities": sorted(priority, key=lambda tp: -priority[tp])[:3],
    }
