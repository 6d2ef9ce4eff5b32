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


BLOCK = 250_000  # customers whose month arrays are computed at a time in plant_wow
OUTCOMES = ("repeat_purchase", "retention", "nps")


@dataclass(frozen=True)
class _Answers:
    """The NPS answers of the survey grouped by customer (a stable sort, so each customer's
    answers keep their order): ``first[c]:first[c + 1]`` are customer c's rows."""

    customer: np.ndarray
    day: np.ndarray
    category: np.ndarray  # +1 promoter, 0 passive, -1 detractor
    first: np.ndarray

    @classmethod
    def of(cls, survey: CustomerSurvey, n: int) -> _Answers:
        answered = np.flatnonzero(survey.nps >= 0)
        order = answered[np.argsort(survey.resp_customer[answered], kind="stable")]
        nps = survey.nps[order]
        customer = survey.resp_customer[order]
        return cls(
            customer=customer,
            day=survey.resp_day[order],
            category=np.where(nps >= 9, 1.0, np.where(nps <= 6, -1.0, 0.0)),
            first=np.searchsorted(customer, np.arange(n + 1)),
        )

    def score(self, lo: int, hi: int, end: float) -> tuple[np.ndarray, np.ndarray]:
        """Per customer lo..hi-1: the mean NPS category of the answers in the RETAIN_DAYS
        after ``end`` (0 without one), and whether there was one."""
        rows = slice(self.first[lo], self.first[hi])
        day = self.day[rows]
        w = (day >= end) & (day < end + RETAIN_DAYS)
        who = self.customer[rows][w] - lo
        s = np.bincount(who, self.category[rows][w], minlength=hi - lo)
        k_ans = np.bincount(who, minlength=hi - lo)
        has_nps = k_ans > 0
        return np.where(has_nps, s / np.maximum(k_ans, 1), 0.0), has_nps


def _add_counts(totals: np.ndarray, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``totals`` plus the ``weights`` summed per code, added in the same order as one
    ``bincount`` over all blocks in turn (the running totals go first), so the sums are
    bit-identical to the whole-company ones whatever the block size."""
    m = totals.size
    return np.bincount(
        np.concatenate([np.arange(m), codes]), np.concatenate([totals, weights]), minlength=m
    )


def plant_wow(
    people: Customers, activity: MonthActivity, survey: CustomerSurvey, seed: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Wow events (customer index, day, name, touchpoint, detail; in day order) and
    ``truth["wow"]``.

    Memory: each month's chances are computed BLOCK customers at a time, the strata summed
    with ``bincount`` on a stratum code, the met customers kept as indices; whole-company
    arrays are one chance per customer (the reach sums need them) and the met flags. Every
    number equals the whole-company computation's: the draws come from the stream in
    customer order and the sums add in the same order (:func:`_add_counts`)."""
    rng = rng_for(seed, "wow moments")
    n = people.n
    cancel = activity.cancel
    answers = _Answers.of(survey, n)
    n_tenure = int(people.tenure.max(initial=0)) + 1
    n_strata = len(SEGMENTS) * n_tenure * 3
    at_start = float((cancel >= _month_days(MONTHS[0])).sum())
    # the chances of every customer in a month: their sums must see the whole array at once,
    # as numpy's pairwise summation over the whole company did
    p_all, spare = np.empty(n), np.empty(n)

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
            tilt = moment.tilt * (1 - k / (len(MONTHS) - 1) if moment.fades else 1.0)
            sums = {name: np.zeros((4, n_strata)) for name in OUTCOMES}
            chosen = []
            for lo in range(0, n, BLOCK):
                hi = min(lo + BLOCK, n)
                p = _month_block(people, activity, answers, met, (moment, k, tilt), lo, hi, sums)
                p_all[lo:hi] = p
                met_block = lo + np.flatnonzero(rng.random(hi - lo) < p)
                chosen.append(met_block.astype(np.int32))  # 10M customers fit in int32
            monthly[str(month)] = round(float(p_all.sum() / alive), 5)
            expected_met += float(p_all.sum())
            np.subtract(1, p_all, out=spare)
            var_met += float(np.multiply(p_all, spare, out=spare).sum())
            for name in OUTCOMES:
                ps, py, qs, qy = sums[name]
                keep = (qs > 0) & (ps > 0)
                lift = py[keep] / ps[keep] - qy[keep] / qs[keep]
                # the stratum's expected lift, weighted by its expected number who meet it
                strata[(name, k)] = (float((lift * ps[keep]).sum()), float(ps[keep].sum()))
            met_now = np.concatenate(chosen)
            met[met_now] = True
            chosen_of.append(met_now)
            day_of.append(start + rng.random(met_now.size) * (end - start))
            moment_of.append(np.full(met_now.size, index, dtype=np.int8))
        truth[moment.name] = _moment_truth(
            moment, strata, monthly, (expected_met, var_met, float(met.sum()), at_start)
        )
    out = _wow_frame(chosen_of, day_of, moment_of)
    return out, {
        "moments": truth,
        "segments": list(SEGMENTS),
        "rule": "lift = met - comparable not met, weighted to the met (month x segment x "
        "tenure band x purchases in the 90 days before the month: 0, 1-2, 3+); repeat "
        "purchase within 90 days after the month, retention 180 days, NPS in points from "
        "answers within 180 days",
    }


def _wow_frame(
    chosen_of: list[np.ndarray], day_of: list[np.ndarray], moment_of: list[np.ndarray]
) -> pd.DataFrame:
    """The met customers' wow events (c, d, name, touchpoint, detail) in day order (stable:
    ties keep the drawing order), one column at a time: 15M rows at 10M customers."""
    day = np.concatenate(day_of)
    day_of.clear()
    order = np.argsort(day, kind="stable")
    out = pd.DataFrame({"d": day[order]})
    del day
    out["c"] = np.concatenate(chosen_of)[order]
    chosen_of.clear()
    which = np.concatenate(moment_of)[order]
    del order
    # categorical labels: one code per row, not three Python strings
    out["name"] = labels(which, [m.name for m in MOMENTS])
    out["touchpoint"] = labels(which, [m.touchpoint for m in MOMENTS])
    out["detail"] = labels(which, [m.detail for m in MOMENTS])
    return out


def _month_block(
    people: Customers,
    activity: MonthActivity,
    answers: _Answers,
    met: np.ndarray,
    month: tuple[Moment, int, float],
    lo: int,
    hi: int,
    sums: dict[str, np.ndarray],
) -> np.ndarray:
    """The chances of customers lo..hi-1 to meet the moment in month k (``month``: the
    moment, k, its tilt that month); adds their strata's sums (p, p y, 1 - p, (1 - p) y per
    outcome y) to ``sums``."""
    moment, k, tilt = month
    end = _month_days(MONTHS[k] + 1)
    cancel = activity.cancel[lo:hi]
    at_risk = ~met[lo:hi] & (cancel >= end)
    prior = activity.prior[k, lo:hi]
    repeat = activity.repeat[k, lo:hi].astype(np.float64)
    retained = (cancel >= end + RETAIN_DAYS).astype(np.float64)
    score, has_nps = answers.score(lo, hi, end)
    p = (
        moment.base
        * np.asarray(SEGMENT_FACTOR)[people.segment[lo:hi]]
        * np.where(prior >= 3, 1.5, 1.0)
        * np.exp(tilt * (repeat + retained + score))
    )
    p = np.where(at_risk, np.minimum(p, 0.95), 0.0)
    # stratum code: segment x tenure band x prior band (0, 1-2, 3+)
    n_tenure = sums[OUTCOMES[0]].shape[1] // (len(SEGMENTS) * 3)  # the strata's tenure bands
    person = (people.segment[lo:hi].astype(np.int64) * n_tenure + people.tenure[lo:hi]) * 3
    code = person + BAND_OF_PRIOR[prior]
    for name, y, use in (
        ("repeat_purchase", repeat, at_risk),
        ("retention", retained, at_risk),
        ("nps", 100 * score, at_risk & has_nps),
    ):
        cu, pu, yu = code[use], p[use], y[use]
        for row, weights in enumerate((pu, pu * yu, 1 - pu, (1 - pu) * yu)):
            sums[name][row] = _add_counts(sums[name][row], cu, weights)
    return p


def _moment_truth(
    moment: Moment,
    strata: dict[tuple[str, int], tuple[float, float]],
    monthly: dict[str, float],
    reach: tuple[float, float, float, float],
) -> dict[str, Any]:
    """``truth["wow"]["moments"][name]`` from the month x outcome strata sums and the reach
    (expected met, its variance, realised met, customers at the start)."""
    expected_met, var_met, ever, at_start = reach
    lifts: dict[str, Any] = {}
    for name in OUTCOMES:
        per_month = [strata[(name, k)] for k in range(len(MONTHS))]
        total = sum(x[1] for x in per_month)
        lifts[name] = round(sum(x[0] for x in per_month) / total, 5) if total else None
        # a month in which nobody could meet the moment (a small company) has no lift
        lifts[f"{name}_by_month"] = {
            str(m): round(x[0] / x[1], 5) if x[1] else None
            for m, x in zip(MONTHS, per_month, strict=True)
        }
        lifts[f"{name}_fade_per_month"] = _fade_per_month(per_month)
    return {
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


def write_wow(ws: Workspace, frame: pd.DataFrame, customers: int) -> int:
    """Insert the wow events of ``frame`` (from :func:`plant_wow`, in day order, which
    numbers them) of a company of ``customers``; return rows written."""
    frame["i"] = np.arange(len(frame), dtype=np.int64)
    return insert(
        ws,
        "events",
        frame,
        {
            "event_id": "printf('W%08d', i + 1)",
            "customer_id": customer_id_sql("c", customers),
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
