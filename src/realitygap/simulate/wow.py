"""Wow moments with known reach and lift, one of them fading.

Three moments run for twelve months (2024-03 to 2025-02). Each month every customer who is
still a customer at the month's end and has not met the moment yet meets it with a chance

    p = base * segment factor * (1.5 if 3+ purchases in the 90 days before the month)
          * exp(tilt * (repeat + retained + nps))

where ``repeat`` (a purchase in the 90 days after the month), ``retained`` (no cancellation
in the 180 days after it) and ``nps`` (+1 promoter, 0 passive, -1 detractor: the customer's
NPS answers in those 180 days, averaged; 0 without one) are the outcomes the simulated
customer goes on to have. The moments add only ``wow`` events: no purchase, cancellation or
answer changes, so every other planted truth stays as it was, and the lift is planted by who
meets the moment. Segment and prior activity make the naive comparison biased (VIPs and
active buyers meet moments more and are more loyal anyway); weighting on them removes that.

The truth is the expectation under these chances, stratum by stratum (month x segment x
tenure band x prior purchases 0 / 1-2 / 3+), weighted to the customers who met the moment:
what an unbiased exact-stratum estimate of the lift estimates. The fade is the weighted
least-squares line through those monthly lifts (weights: the expected number who meet the
moment each month), its slope the change in the lift per month (``<outcome>_fade_per_month``;
near 0 for a moment that does not fade).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from realitygap.simulate._common import START, rng_for
from realitygap.simulate.behaviour import Events
from realitygap.simulate.customers import SEGMENTS, Customers
from realitygap.simulate.survey import CustomerSurvey
from realitygap.simulate.write import customer_id_sql, insert, labels, timestamp_sql
from realitygap.store.workspace import Workspace

PRIOR_DAYS, REPEAT_DAYS, RETAIN_DAYS = 90.0, 90.0, 180.0
SEGMENT_FACTOR = (0.6, 1.0, 2.0)  # new, regular, vip
MONTHS = np.arange(np.datetime64("2024-03"), np.datetime64("2025-03"))


@dataclass(frozen=True)
class Moment:
    name: str
    touchpoint: str
    detail: str
    base: float  # monthly chance for a regular customer with little prior activity
    tilt: float  # selection on outcomes in the first month
    fades: bool  # the tilt falls linearly to 0 by the last month


MOMENTS = (
    Moment("handwritten_note", "packaging", "a note signed by the packer", 0.05, 0.45, False),
    Moment("birthday_surprise", "loyalty", "a birthday gift in the app", 0.04, 0.9, True),
    Moment(
        "greeted_by_name", "store_staff", "staff greeted the customer by name", 0.08, 0.0, False
    ),
)


def _month_days(month: np.datetime64) -> float:
    return float((month.astype("datetime64[s]") - START) / np.timedelta64(1, "D"))


BAND_OF_PRIOR = np.array([0, 1, 1, 2], dtype=np.int8)  # purchases 0, 1-2, 3+ -> band index


class MonthActivity:
    """What the wow planting reads of the purchases and cancellations, gathered chunk by chunk
    as the events pass on their way to the workspace: per wow month and customer, the purchases
    in the PRIOR_DAYS before the month (saturated at 3: only 0, 1-2 and 3+ matter) and whether
    one fell in the REPEAT_DAYS after it; per customer, the first cancellation day. 2 bytes per
    customer and month plus 8 per customer (0.3 GB at 10M customers), instead of every event."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.prior = np.zeros((MONTHS.size, n), dtype=np.uint8)
        self.repeat = np.zeros((MONTHS.size, n), dtype=bool)
        self.cancel = np.full(n, np.inf)
        self._bounds = [(_month_days(m), _month_days(m + 1)) for m in MONTHS]

    def keep(self, chunks: Iterator[Events]) -> Iterator[Events]:
        """Pass ``chunks`` through unchanged, gathering their activity."""
        for chunk in chunks:
            self.add(chunk)
            yield chunk

    def add(self, chunk: Events) -> None:
        c = chunk.type == 2
        np.minimum.at(self.cancel, chunk.customer[c], chunk.day[c])
        buy = chunk.type == 0
        who, day = chunk.customer[buy], chunk.day[buy]
        if who.size == 0:
            return
        lo, hi = int(who.min()), int(who.max()) + 1  # a chunk is a block of customers
        for k, (start, end) in enumerate(self._bounds):
            m = (day >= start - PRIOR_DAYS) & (day < start)
            counts = np.bincount(who[m] - lo, minlength=hi - lo)
            # saturating: min(min(a, 3) + b, 3) = min(a + b, 3), whatever the chunk order
            row = self.prior[k, lo:hi]
            row[:] = np.minimum(row + np.minimum(counts, 3), 3)
            m = (day >= end) & (day < end + REPEAT_DAYS)
            self.repeat[k, np.unique(who[m])] = True


def plant_wow(
    people: Customers, activity: MonthActivity, survey: CustomerSurvey, seed: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Wow events (customer index, day, name, touchpoint, detail) and ``truth["wow"]``.

    Memory: a few arrays of one number per customer at a time (month by month), the strata
    summed with ``bincount`` on a stratum code, the met customers kept as indices."""
    rng = rng_for(seed, "wow moments")
    n = people.n
    cancel = activity.cancel
    nps = survey.nps
    answered = nps >= 0
    category = np.where(nps >= 9, 1.0, np.where(nps <= 6, -1.0, 0.0))
    n_tenure = int(people.tenure.max(initial=0)) + 1
    # stratum code: segment x tenure band x prior band (0, 1-2, 3+)
    person_code = (people.segment.astype(np.int64) * n_tenure + people.tenure) * 3
    n_strata = len(SEGMENTS) * n_tenure * 3
    segment_factor = np.asarray(SEGMENT_FACTOR)[people.segment]
    at_start = float((cancel >= _month_days(MONTHS[0])).sum())

    chosen_of: list[np.ndarray] = []
    day_of: list[np.ndarray] = []
    moment_of: list[np.ndarray] = []
    truth: dict[str, Any] = {}
    for index, moment in enumerate(MOMENTS):
        met = np.zeros(n, dtype=bool)
        strata: dict[tuple[str, int], tuple[float, float]] = {}
        monthly = {}
        expected_met = 0.0  # sum over months of the meeting chances of those at risk
        var_met = 0.0  # and of p (1 - p): the variance of the met count about expected_met
        for k, month in enumerate(MONTHS):
            start, end = _month_days(month), _month_days(month + 1)
            alive = int((cancel >= start).sum())
            at_risk = ~met & (cancel >= end)
            prior = activity.prior[k]
            repeat = activity.repeat[k].astype(np.float64)
            retained = (cancel >= end + RETAIN_DAYS).astype(np.float64)
            w = answered & (survey.resp_day >= end) & (survey.resp_day < end + RETAIN_DAYS)
            s = np.bincount(survey.resp_customer[w], category[w], minlength=n)
            k_ans = np.bincount(survey.resp_customer[w], minlength=n)
            has_nps = k_ans > 0
            score = np.where(has_nps, s / np.maximum(k_ans, 1), 0.0)
            del s, k_ans, w
            tilt = moment.tilt * (1 - k / (len(MONTHS) - 1) if moment.fades else 1.0)
            p = (
                moment.base
                * segment_factor
                * np.where(prior >= 3, 1.5, 1.0)
                * np.exp(tilt * (repeat + retained + score))
            )
            p = np.where(at_risk, np.minimum(p, 0.95), 0.0)
            draw = rng.random(n) < p
            monthly[str(month)] = round(float(p.sum() / alive), 5)
            expected_met += float(p.sum())
            var_met += float((p * (1 - p)).sum())
            code = person_code + BAND_OF_PRIOR[prior]
            for name, y, use in (
                ("repeat_purchase", repeat, at_risk),
                ("retention", retained, at_risk),
                ("nps", 100 * score, at_risk & has_nps),
            ):
                cu, pu, yu = code[use], p[use], y[use]
                sums = [
                    np.bincount(cu, weights, minlength=n_strata)
                    for weights in (pu, pu * yu, 1 - pu, (1 - pu) * yu)
                ]
                ps, py, qs, qy = sums
                keep = (qs > 0) & (ps > 0)
                lift = py[keep] / ps[keep] - qy[keep] / qs[keep]
                # the stratum's expected lift, weighted by its expected number who meet it
                strata[(name, k)] = (float((lift * ps[keep]).sum()), float(ps[keep].sum()))
            chosen = np.flatnonzero(draw)
            met[chosen] = True
            chosen_of.append(chosen)
            day_of.append(start + rng.random(chosen.size) * (end - start))
            moment_of.append(np.full(chosen.size, index, dtype=np.int8))
        lifts: dict[str, Any] = {}
        for name in ("repeat_purchase", "retention", "nps"):
            per_month = [strata[(name, k)] for k in range(len(MONTHS))]
            total = sum(x[1] for x in per_month)
            lifts[name] = round(sum(x[0] for x in per_month) / total, 5) if total else None
            # a month in which nobody could meet the moment (a small company) has no lift
            lifts[f"{name}_by_month"] = {
                str(m): round(x[0] / x[1], 5) if x[1] else None
                for m, x in zip(MONTHS, per_month, strict=True)
            }
            lifts[f"{name}_fade_per_month"] = _fade_per_month(per_month)
        ever = float(met.sum())
        truth[moment.name] = {
            "touchpoint": moment.touchpoint,
            "months": [str(MONTHS[0]), str(MONTHS[-1])],
            "tilt": moment.tilt,
            "fades": moment.fades,
            # expected: each month's chances summed given who was still at risk that month
            "expected_reach": round(expected_met / at_start, 5),
            "realised_reach": round(ever / at_start, 5),
            # realised - expected reach is a sum of monthly draws less their chances: its sd
            "reach_sd": round(float(np.sqrt(var_met)) / at_start, 6),
            "expected_monthly_reach": monthly,
            "lift": lifts,
        }
    which = np.concatenate(moment_of)
    out = pd.DataFrame(
        {
            "c": np.concatenate(chosen_of),
            "d": np.concatenate(day_of),
            # categorical labels: one code per row, not three Python strings
            "name": labels(which, [m.name for m in MOMENTS]),
            "touchpoint": labels(which, [m.touchpoint for m in MOMENTS]),
            "detail": labels(which, [m.detail for m in MOMENTS]),
        }
    )
    return out, {
        "moments": truth,
        "segments": list(SEGMENTS),
        "rule": "lift = met - comparable not met, weighted to the met (month x segment x "
        "tenure band x purchases in the 90 days before the month: 0, 1-2, 3+); repeat "
        "purchase within 90 days after the month, retention 180 days, NPS in points from "
        "answers within 180 days",
    }


def _fade_per_month(per_month: list[tuple[float, float]]) -> float | None:
    """The change in the lift per month: the least-squares line through the monthly lifts,
    each month weighted by its expected number who meet the moment (what the analysis's
    slope, weighted by the customers who met it, estimates)."""
    w = np.array([x[1] for x in per_month])
    if (w > 0).sum() < 3:
        return None
    t = np.arange(w.size, dtype=float)[w > 0]
    lift = np.array([x[0] / x[1] for x in per_month if x[1] > 0])
    w = w[w > 0]
    dt = t - np.average(t, weights=w)
    return round(float(np.sum(w * dt * lift) / np.sum(w * dt**2)), 6)


def write_wow(
    ws: Workspace, frame: pd.DataFrame, wow_truth: dict[str, Any], truth: dict[str, Any]
) -> int:
    """Insert the wow events and put their truth in ``truth["wow"]``; return rows written."""
    truth["wow"] = wow_truth
    frame = frame.sort_values("d", kind="stable").reset_index(drop=True)
    frame["i"] = np.arange(len(frame), dtype=np.int64)
    return insert(
        ws,
        "events",
        frame,
        {
            "event_id": "printf('W%08d', i + 1)",
            "customer_id": customer_id_sql("c", int(truth["customers"])),
            "type": "'wow'",
            "occurred_at": timestamp_sql("d"),
            "name": "name",
            "touchpoint": "touchpoint",
            "detail": "detail",
        },
    )


# Survey comments mention a moment the customer met before writing: each such comment gets
# one sentence naming it with MENTION_SHARE; a comment of a customer who had not met it gets
# a negated decoy ("they did not surprise me with ...") with DECOY_SHARE, which a recogniser
# must not count. The mention's noun avoids the taxonomy's touchpoint seeds and the planted
# theme phrases, so the other planted text truths stay as they were.
MENTION_SHARE, DECOY_SHARE = 0.4, 0.01
MENTION_NOUN = {
    "handwritten_note": "handwritten card",
    "birthday_surprise": "birthday gift",
    "greeted_by_name": "personal welcome",
}
MENTION_PHRASES = (
    "they surprised me with a {noun}",
    "they went the extra mile with a {noun}",
    "an unexpected {noun}, thank you",
)
DECOY_PHRASE = "they did not surprise me with a {noun} this time"


def plant_mentions(
    rng: np.random.Generator,
    text: np.ndarray,
    customer: np.ndarray,
    day: np.ndarray,
    wow_frame: pd.DataFrame,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``text`` (survey comments by ``customer`` on ``day``) with surprise mentions of the
    moments of ``wow_frame`` (from :func:`plant_wow`) appended; and their truth.

    Truth per moment: the mention's noun, the customers with a survey comment, those whose
    comments got a mention (realised) and the expected share (each customer: 1 - (1 -
    MENTION_SHARE) ** their comments written after meeting it), and the decoys planted.
    """
    out = text.copy()
    commenters = np.unique(customer)
    truth: dict[str, Any] = {}
    for moment in MOMENTS:
        met = wow_frame[wow_frame["name"] == moment.name]
        met_day = np.full(
            int(max(customer.max(initial=0), met["c"].to_numpy().max(initial=0))) + 1, np.inf
        )
        met_day[met["c"].to_numpy()] = met["d"].to_numpy()
        after = met_day[customer] < day
        mention = after & (rng.random(customer.size) < MENTION_SHARE)
        decoy = ~after & ~np.isfinite(met_day[customer]) & (rng.random(customer.size) < DECOY_SHARE)
        phrase = rng.integers(len(MENTION_PHRASES), size=customer.size)
        noun = MENTION_NOUN[moment.name]
        for i in np.flatnonzero(mention | decoy):
            sentence = (MENTION_PHRASES[phrase[i]] if mention[i] else DECOY_PHRASE).format(
                noun=noun
            )
            out[i] = f"{str(out[i]).rstrip('.')}. {sentence[:1].upper()}{sentence[1:]}."
        eligible = np.bincount(customer[after], minlength=met_day.size)[commenters]
        expected = float((1 - (1 - MENTION_SHARE) ** eligible).sum())
        truth[moment.name] = {
            "mention": noun,
            "source": "survey",
            "commenters": int(commenters.size),
            "mentioned_customers": int(np.unique(customer[mention]).size),
            "expected_text_reach": round(expected / max(commenters.size, 1), 5),
            "realised_text_reach": round(
                np.unique(customer[mention]).size / max(commenters.size, 1), 5
            ),
            "mention_comments": int(mention.sum()),
            "decoy_comments": int(decoy.sum()),
        }
    return out, {
        "moments": truth,
        "mention_share": MENTION_SHARE,
        "decoy_share": DECOY_SHARE,
        "rule": "text reach = customers with a survey comment mentioning the moment / customers "
        "with a survey comment; a comment written after the customer met the moment mentions "
        "it with mention_share; decoys are negated mentions by customers who never met it",
    }
