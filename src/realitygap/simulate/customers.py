"""Customers: segment attributes and the latent perceptions that drive what they say and do.

Every customer has a general perception ``g`` (shifted by segment) and a perception of each
rated item: ``z_ij = sqrt(SHARED) * g_i + sqrt(1 - SHARED) * u_ij`` for ordinary items, so
items correlate moderately (about SHARED); bare fundamentals get an independent ``u_ij``.
Loyalty is ``L_i = sum_j weight_j * z_ij + N(0, LOYALTY_NOISE)``, standardised; it sets the
NPS answer, the chance to answer a survey, the churn hazard, purchase frequency and
complaints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from realitygap.simulate._common import rng_for
from realitygap.simulate.company import ITEMS

SHARED = 0.25  # share of an ordinary item's perception that is the general perception
LOYALTY_NOISE = 0.35
CHUNK = 250_000  # customers per block when transforming the perceptions in place

SEGMENTS = ("new", "regular", "vip")
SEGMENT_SHARE = (0.30, 0.55, 0.15)
SEGMENT_SHIFT = (-0.20, 0.0, 0.35)  # mean of g per segment
REGIONS = ("north", "south", "east", "west", "online_only")
REGION_SHARE = (0.22, 0.24, 0.18, 0.20, 0.16)
PLANS = ("basic", "plus", "premium")
PLAN_SHARE = (0.55, 0.30, 0.15)
PLAN_BASKET = (40.0, 60.0, 90.0)  # median purchase amount per plan
TENURE_BANDS = ("<1y", "1-3y", "3y+")

# NPS answer = clip(round(NPS_INTERCEPT + NPS_SLOPE * L + N(0, NPS_NOISE)), 0, 10)
NPS_INTERCEPT = 7.2
NPS_SLOPE = 1.8
NPS_NOISE = 1.0

# Churn: daily hazard = CHURN_MONTHLY / 30 * exp(CHURN_LOYALTY * L)
CHURN_MONTHLY = 0.011
CHURN_LOYALTY = -0.75
# Survey response: logit P(respond) = RESPONSE_INTERCEPT + RESPONSE_LOYALTY * L
RESPONSE_INTERCEPT = -0.55
RESPONSE_LOYALTY = 0.45
# Complaints per year = COMPLAINT_YEARLY * exp(COMPLAINT_LOYALTY * L)
COMPLAINT_YEARLY = 0.12
COMPLAINT_LOYALTY = -0.6


@dataclass(frozen=True)
class Customers:
    """The customer population; arrays are indexed by customer number 0..n-1.

    ``perception`` is (n, items) float32 in standard units; ``loyalty`` is standardised.
    ``churn_day`` is the day (since START) the customer would cancel without later
    interventions (inf when beyond any horizon); ``interval_days`` their mean days between
    purchases, ``basket`` their median purchase amount, ``signup_day`` the anniversary day of
    the year for renewals.
    """

    n: int
    segment: np.ndarray
    region: np.ndarray
    plan: np.ndarray
    tenure: np.ndarray
    perception: np.ndarray
    loyalty: np.ndarray
    churn_day: np.ndarray
    interval_days: np.ndarray
    basket: np.ndarray
    signup_day: np.ndarray
    complaint_rate: np.ndarray


def make_customers(n: int, seed: int) -> Customers:
    """Draw ``n`` customers. Deterministic per seed."""
    rng = rng_for(seed, "customers")
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARE).astype(np.int8)
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARE).astype(np.int8)
    plan = rng.choice(len(PLANS), size=n, p=PLAN_SHARE).astype(np.int8)
    # Tenure follows segment: new customers joined within a year, VIPs are mostly long-standing.
    tenure_draw = rng.random(n)
    tenure = np.where(
        segment == 0, 0, np.where(tenure_draw < np.where(segment == 2, 0.2, 0.55), 1, 2)
    ).astype(np.int8)

    general = (
        rng.standard_normal(n).astype(np.float32)
        + np.asarray(SEGMENT_SHIFT, dtype=np.float32)[segment]
    )
    # One (n, items) array, transformed in place a block of customers at a time: at 10M
    # customers it is 720 MB, and whole-array temporaries would triple it.
    perception = rng.standard_normal((n, len(ITEMS)), dtype=np.float32)
    ordinary = np.flatnonzero([not it.bare_fundamental for it in ITEMS])
    for start in range(0, n, CHUNK):
        block = slice(start, start + CHUNK)
        shared = np.sqrt(SHARED) * general[block, None]
        perception[block, ordinary] = shared + np.sqrt(1 - SHARED) * perception[block, ordinary]
    weights = np.array([it.weight for it in ITEMS], dtype=np.float32)
    raw = perception @ weights + rng.normal(0.0, LOYALTY_NOISE, size=n).astype(np.float32)
    loyalty = ((raw - raw.mean()) / raw.std()).astype(np.float32)

    daily_hazard = CHURN_MONTHLY / 30.0 * np.exp(CHURN_LOYALTY * loyalty)
    churn_day = rng.exponential(1.0, size=n) / daily_hazard
    interval = np.clip(
        np.exp(rng.normal(np.log(42.0), 0.25, size=n)) * np.exp(-0.1 * loyalty), 25.0, 60.0
    )
    basket = np.asarray(PLAN_BASKET)[plan] * np.exp(rng.normal(0.0, 0.3, size=n))
    signup_day = rng.uniform(0.0, 365.0, size=n)
    complaint_rate = COMPLAINT_YEARLY / 365.0 * np.exp(COMPLAINT_LOYALTY * loyalty)
    return Customers(
        n=n,
        segment=segment,
        region=region,
        plan=plan,
        tenure=tenure,
        perception=perception,
        loyalty=loyalty,
        churn_day=churn_day,
        interval_days=interval.astype(np.float32),
        basket=basket.astype(np.float32),
        signup_day=signup_day,
        complaint_rate=complaint_rate,
    )


def without_perception(customers: Customers) -> Customers:
    """``customers`` without their item perceptions (any later read of them fails loudly)."""
    return dataclasses.replace(customers, perception=np.empty((0, len(ITEMS)), np.float32))


def traits_only(customers: Customers) -> Customers:
    """``customers`` with only what is read once the behaviour is drawn: the segment
    attributes and loyalty. The churn day, purchase interval, basket, sign-up day and
    complaint rate become empty (any later read fails loudly); 0.3 GB at 10M customers."""
    empty = np.empty(0, np.float32)
    return dataclasses.replace(
        customers,
        perception=np.empty((0, len(ITEMS)), np.float32),
        churn_day=empty,
        interval_days=empty,
        basket=empty,
        signup_day=empty,
        complaint_rate=empty,
    )


def item_latent_mean(customers: Customers, rows: np.ndarray | slice, item: int) -> np.ndarray:
    """The mean latent rating of ``item`` for the given customers (before answer noise)."""
    it = ITEMS[item]
    out: np.ndarray = it.mean + it.spread * customers.perception[rows, item].astype(np.float64)
    return out


def nps_latent_mean(loyalty: np.ndarray) -> np.ndarray:
    out: np.ndarray = NPS_INTERCEPT + NPS_SLOPE * loyalty.astype(np.float64)
    return out
