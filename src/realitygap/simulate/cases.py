"""Closed-loop cases and their planted effect on retention.

Cases open for detractors (NPS 0-6), for comments that complain about staff attitude, and
for silent churners the company notices months later. The owner is the department that owns
the case's touchpoint. Each case gets a service level (due date), a first contact and a
resolution after random delays, a status as of the end of the data, and for resolved cases a
recovery rating 0-10 that is better when the first contact came fast. Planted effect: from the
resolution on, a recovered customer (rating >= 7) churns at RECOVERED_HAZARD_RATIO times the
hazard, an unrecovered one at UNRECOVERED_HAZARD_RATIO times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realitygap.domain.taxonomy import Taxonomy
from realitygap.simulate._common import HORIZON_DAYS, rng_for
from realitygap.simulate.behaviour import Attrition
from realitygap.simulate.company import ITEMS
from realitygap.simulate.customers import Customers
from realitygap.simulate.survey import CustomerSurvey
from realitygap.simulate.text import THEMES, Texts

TRIGGERS = ("detractor", "staff_attitude", "silent_attrition")
STATUSES = ("open", "contacted", "resolved", "closed")
SERVICE_LEVEL_DAYS = (2.0, 2.0, 7.0)  # per trigger
DETRACTOR_CASE_SHARE = 0.85
SILENT_CASE_SHARE = 0.6
SILENT_NOTICED_AFTER_DAYS = 75.0
RECOVERED_FROM = 7
RECOVERED_HAZARD_RATIO = 0.4
UNRECOVERED_HAZARD_RATIO = 1.25
RESOLUTIONS = (
    "apology and voucher",
    "refund issued",
    "replacement sent",
    "explained and corrected the error",
    "escalated to the team manager",
    "coaching for the staff member",
)


@dataclass(frozen=True)
class Cases:
    """One entry per case. Days are since START; NaN where the step never happened.

    ``rating`` is the recovery rating (NaN when not asked or not resolved).
    """

    customer: np.ndarray
    trigger: np.ndarray  # index into TRIGGERS
    touchpoint: np.ndarray  # touchpoint ids (object)
    owner: np.ndarray  # owner departments (object)
    status: np.ndarray  # index into STATUSES
    opened_day: np.ndarray
    due_day: np.ndarray
    contact_day: np.ndarray
    resolved_day: np.ndarray
    resolution: np.ndarray  # object, None when unresolved
    rating: np.ndarray

    def __len__(self) -> int:
        return int(self.customer.size)


def open_cases(
    customers: Customers,
    survey: CustomerSurvey,
    comments: Texts,
    comment_rows: np.ndarray,
    attrition: Attrition,
    taxonomy: Taxonomy,
    seed: int,
) -> Cases:
    """Open, work and close the cases. ``comment_rows`` are the respondent rows of
    ``comments``. Deterministic per seed."""
    rng = rng_for(seed, "cases")
    n_resp = survey.resp_customer.size
    trigger = np.full(n_resp, -1, dtype=np.int8)
    touchpoint = np.full(n_resp, None, dtype=object)

    detractor = (survey.nps >= 0) & (survey.nps <= 6) & (rng.random(n_resp) < DETRACTOR_CASE_SHARE)
    trigger[detractor] = 0
    touchpoint[detractor] = _weakest_touchpoint(survey, np.flatnonzero(detractor))

    staff_themes = [k for k, t in enumerate(THEMES) if t.staff_attitude]
    staff_hits = comments.mentions[:, staff_themes]
    rude = staff_hits.any(axis=1)
    rows = comment_rows[rude]
    trigger[rows] = 1
    first_hit = np.argmax(staff_hits[rude], axis=1)
    touchpoint[rows] = np.array([THEMES[k].touchpoint for k in staff_themes], dtype=object)[
        first_hit
    ]

    silent = attrition.silent_respondents
    silent = silent[(trigger[silent] < 0) & (rng.random(silent.size) < SILENT_CASE_SHARE)]
    trigger[silent] = 2
    touchpoint[silent] = "loyalty"

    has = np.flatnonzero(trigger >= 0)
    trig = trigger[has]
    customer = survey.resp_customer[has]
    opened = survey.resp_day[has] + rng.uniform(0.0, 2.0, size=has.size)
    onset = attrition.onset_day[customer]
    opened = np.where(trig == 2, onset + SILENT_NOTICED_AFTER_DAYS, opened)
    # Silent churners noticed after the end of the data have no case yet.
    inside = opened < HORIZON_DAYS
    has, trig, customer, opened = has[inside], trig[inside], customer[inside], opened[inside]
    tps = touchpoint[has]
    owners = {tp.id: tp.owner for tp in taxonomy.touchpoints}
    owner = np.array([owners.get(str(tp)) for tp in tps], dtype=object)
    due = opened + np.asarray(SERVICE_LEVEL_DAYS)[trig]

    m = has.size
    contact_delay = np.exp(rng.normal(np.log(1.2), 0.9, size=m))
    contacted = rng.random(m) >= 0.05
    contact = np.where(contacted, opened + contact_delay, np.nan)
    resolved_ok = contacted & (rng.random(m) >= 0.1)
    resolved = np.where(resolved_ok, contact + np.exp(rng.normal(np.log(4.0), 0.8, size=m)), np.nan)
    # Status as of the end of the data: steps after it have not happened yet.
    contact = np.where(contact < HORIZON_DAYS, contact, np.nan)
    resolved = np.where(resolved < HORIZON_DAYS, resolved, np.nan)
    is_contacted = ~np.isnan(contact)
    is_resolved = ~np.isnan(resolved)
    closed = is_resolved & (rng.random(m) < 0.6)
    abandoned = ~is_contacted & (opened < HORIZON_DAYS - 60) & (rng.random(m) < 0.3)
    status = np.select(
        [closed | abandoned, is_resolved, is_contacted], [3, 2, 1], default=0
    ).astype(np.int8)

    loyalty = customers.loyalty[customer].astype(np.float64)
    rating_mean = 7.6 - 1.3 * np.log1p(np.nan_to_num(contact - opened, nan=30.0)) + 0.8 * loyalty
    rating = np.clip(np.rint(rating_mean + rng.normal(0.0, 1.5, size=m)), 0, 10)
    rating = np.where(is_resolved & (rng.random(m) < 0.85), rating, np.nan)
    resolution = np.array(RESOLUTIONS, dtype=object)[rng.integers(len(RESOLUTIONS), size=m)]
    resolution[~is_resolved] = None
    return Cases(
        customer=customer.astype(np.int32),
        trigger=trig,
        touchpoint=tps,
        owner=owner,
        status=status,
        opened_day=opened,
        due_day=due,
        contact_day=contact,
        resolved_day=resolved,
        resolution=resolution,
        rating=rating,
    )


def recovery_hazard_ratio(cases: Cases) -> np.ndarray:
    """The planted churn hazard ratio of each case's customer from its resolution on."""
    recovered = cases.rating >= RECOVERED_FROM  # NaN compares False
    rated = ~np.isnan(cases.rating)
    out: np.ndarray = np.where(
        recovered, RECOVERED_HAZARD_RATIO, np.where(rated, UNRECOVERED_HAZARD_RATIO, 1.0)
    )
    return out


def _weakest_touchpoint(survey: CustomerSurvey, rows: np.ndarray) -> np.ndarray:
    """The touchpoint of each respondent's lowest-rated item (share of its scale)."""
    rated = [j for j, it in enumerate(ITEMS) if not it.bare_fundamental]
    share = np.full((rows.size, len(rated)), np.inf)
    for c, j in enumerate(rated):
        item = ITEMS[j]
        value = survey.answers[item.question_id][rows].astype(np.float64)
        share[:, c] = np.where(value >= 0, (value - item.low) / (item.high - item.low), np.inf)
    weakest = np.argmin(share, axis=1)
    tps = np.array([ITEMS[j].touchpoint for j in rated], dtype=object)
    out: np.ndarray = tps[weakest]
    return out
