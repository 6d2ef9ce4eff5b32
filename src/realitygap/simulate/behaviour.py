"""Behaviour over 24 months: purchases, renewals, cancellations and complaints.

Purchases follow a gamma renewal process per customer (shape 10, so a customer buys fairly
regularly around their own mean interval), thinned by mild seasonality. Planted attrition:
some customers start buying less from an onset day on (each later purchase kept with a small
probability) and their churn hazard rises; among stated promoters this is the *silent churn*
the analyses must find. The churn day comes from an exponential hazard that falls with
loyalty; later effects (attrition, service recovery) rescale the remaining time, which for an
exponential is the same as multiplying the hazard from that day on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from realitygap.simulate._common import HALF_YEAR_DAYS, HORIZON_DAYS, rng_for
from realitygap.simulate.customers import Customers
from realitygap.simulate.survey import CustomerSurvey

GAMMA_SHAPE = 10.0
SILENT_SHARE = 0.15  # of stated promoters, whose purchases collapse soon after the survey
SILENT_ONSET_DAYS = 30.0  # onset within this many days after the survey answer
FADING_RESPONDENT_SHARE = 0.08  # passives/detractors whose purchases collapse too
FADING_OTHER_SHARE = 0.03  # customers never surveyed whose purchases collapse at some point
DECLINE_KEEP = (0.0, 0.3)  # after onset, each purchase is kept with a uniform chance in this range
DECLINE_HAZARD_RATIO = 2.5  # churn hazard multiplier from the onset on
CHUNK = 100_000

EVENT_TYPES = ("purchase", "renewal", "cancellation", "complaint")


@dataclass(frozen=True)
class Attrition:
    """Planted purchase collapse per customer: onset day (inf = none) and kept share."""

    onset_day: np.ndarray
    keep: np.ndarray
    silent_respondents: np.ndarray  # respondent rows of stated promoters with planted collapse


def plant_attrition(customers: Customers, survey: CustomerSurvey, seed: int) -> Attrition:
    """Choose who stops buying, when, and how sharply. Deterministic per seed."""
    rng = rng_for(seed, "attrition")
    n = customers.n
    onset = np.full(n, np.inf)
    promoter = survey.nps >= 9
    answered = survey.nps >= 0
    draw = rng.random(survey.resp_customer.size)
    silent = promoter & (draw < SILENT_SHARE)
    fading = answered & ~promoter & (draw < FADING_RESPONDENT_SHARE)
    chosen = silent | fading
    onset[survey.resp_customer[chosen]] = survey.resp_day[chosen] + rng.uniform(
        0.0, SILENT_ONSET_DAYS, size=int(chosen.sum())
    )
    surveyed = np.zeros(n, dtype=bool)
    surveyed[survey.inv_customer] = True
    other = np.flatnonzero(~surveyed & (rng.random(n) < FADING_OTHER_SHARE))
    onset[other] = rng.uniform(30.0, HORIZON_DAYS, size=other.size)
    keep = rng.uniform(*DECLINE_KEEP, size=n)
    return Attrition(onset_day=onset, keep=keep, silent_respondents=np.flatnonzero(silent))


def rescale_after(
    churn_day: np.ndarray, from_day: np.ndarray, hazard_ratio: np.ndarray | float
) -> np.ndarray:
    """Multiply the churn hazard by ``hazard_ratio`` from ``from_day`` on (exponential churn)."""
    later = churn_day > from_day
    out = churn_day.copy()
    out[later] = (
        from_day[later]
        + (churn_day[later] - from_day[later])
        / np.broadcast_to(hazard_ratio, churn_day.shape)[later]
    )
    return out


@dataclass(frozen=True)
class Events:
    """Event rows: customer index, type index (into EVENT_TYPES), day since START, amount."""

    customer: np.ndarray
    type: np.ndarray
    day: np.ndarray
    amount: np.ndarray

    def __len__(self) -> int:
        return int(self.customer.size)


def seasonal_keep(day: np.ndarray) -> np.ndarray:
    """Share of purchases kept by season: all in December, 92% in June."""
    out: np.ndarray = 0.96 + 0.04 * np.cos(2 * np.pi * (day - 350.0) / 365.0)
    return out


def make_events(
    customers: Customers, attrition: Attrition, churn_day: np.ndarray, seed: int
) -> Iterator[Events]:
    """Purchases, renewals and the cancellation of every customer, a block of CHUNK customers
    at a time (so that 10M customers' 150M events never sit in memory at once).

    Deterministic per seed: the purchases draw from one stream in block order. Complaints are
    drawn separately (:func:`make_complaints`), because the tickets need them before the
    events are written.
    """
    rng = rng_for(seed, "events")
    active_end = np.minimum(churn_day, HORIZON_DAYS)
    for start in range(0, customers.n, CHUNK):
        idx = np.arange(start, min(start + CHUNK, customers.n))
        parts = [_purchases(rng, customers, attrition, active_end, idx)]
        # Renewals on the sign-up anniversary for paying plans.
        paying = idx[customers.plan[idx] > 0]
        for year in (0.0, 365.0):
            day = customers.signup_day[paying] + year
            keep = day < active_end[paying]
            who = paying[keep]
            amount = np.where(customers.plan[who] == 1, 49.0, 99.0)
            parts.append((who, np.full(who.size, 1, np.int8), day[keep], amount))
        cancelled = idx[churn_day[idx] < HORIZON_DAYS]
        no_amount = np.full(cancelled.size, np.nan)
        parts.append(
            (cancelled, np.full(cancelled.size, 2, np.int8), churn_day[cancelled], no_amount)
        )
        yield _events(parts)


def make_complaints(customers: Customers, churn_day: np.ndarray, seed: int) -> Events:
    """Every customer's complaints (type 3) while active. Deterministic per seed."""
    rng = rng_for(seed, "complaints")
    active_end = np.minimum(churn_day, HORIZON_DAYS)
    count = rng.poisson(customers.complaint_rate * active_end)
    who = np.repeat(np.arange(customers.n), count)
    day = rng.uniform(0.0, 1.0, size=who.size) * active_end[who]
    return _events([(who, np.full(who.size, 3, np.int8), day, np.full(who.size, np.nan))])


def _events(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> Events:
    return Events(
        customer=np.concatenate([p[0] for p in parts]).astype(np.int32),
        type=np.concatenate([p[1] for p in parts]).astype(np.int8),
        day=np.concatenate([p[2] for p in parts]),
        amount=np.concatenate([p[3] for p in parts]),
    )


def _purchases(
    rng: np.random.Generator,
    customers: Customers,
    attrition: Attrition,
    active_end: np.ndarray,
    idx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    interval = customers.interval_days[idx].astype(np.float64)
    k = int(np.ceil(HORIZON_DAYS / interval.min() * 1.4)) + 4
    gaps = rng.gamma(GAMMA_SHAPE, 1.0 / GAMMA_SHAPE, size=(idx.size, k)) * interval[:, None]
    gaps[:, 0] = rng.random(idx.size) * interval  # start anywhere in the first cycle
    day = np.cumsum(gaps, axis=1)
    # One uniform per purchase decides both seasonal thinning and planted collapse.
    kept_share = seasonal_keep(day) * np.where(
        day >= attrition.onset_day[idx, None], attrition.keep[idx, None], 1.0
    )
    keep = (day < active_end[idx, None]) & (rng.random(day.shape) < kept_share)
    rows, cols = np.nonzero(keep)
    who = idx[rows]
    amount = np.round(
        customers.basket[who] * np.exp(rng.normal(0.0, 0.35, size=who.size)), 2
    ).astype(np.float64)
    return who, np.zeros(who.size, np.int8), day[rows, cols], amount


def silent_churners(
    survey: CustomerSurvey, attrition: Attrition, churn_day: np.ndarray
) -> np.ndarray:
    """Customer indices of the planted silent churners (sorted).

    A stated promoter (NPS 9-10) whose planted purchase collapse began within
    SILENT_ONSET_DAYS after the answer, or who cancelled within six months of it.
    """
    promoter = survey.nps >= 9
    who = survey.resp_customer
    cancelled = (churn_day[who] > survey.resp_day) & (
        churn_day[who] <= survey.resp_day + HALF_YEAR_DAYS
    )
    collapse = np.zeros(who.size, dtype=bool)
    collapse[attrition.silent_respondents] = True
    out: np.ndarray = np.sort(who[promoter & (collapse | cancelled)])
    return out
