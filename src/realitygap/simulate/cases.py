"""Closed-loop cases and their planted effect on retention.

Cases open for detractors (NPS 0-6), for comments that complain about staff attitude, and
for silent churners the company notices months later. The owner is the department that owns
the case's touchpoint. Each case gets a service level (due date), a first contact and a
resolution after random delays, a status as of the end of the data, and for resolved cases a
recovery rating 0-10 that is better when the first contact came fast. Planted effect: from the
resolution on, a recovered customer (rating >= 7) churns at RECOVERED_HAZARD_RATIO times the
hazard, an unrecovered one at UNRECOVERED_HAZARD_RATIO times; and when the customer answers
the survey again after the case (``survey.answer_after_cases``), the NPS latent mean moves by
RECOVERED_NPS_SHIFT (recovered) or UNRECOVERED_NPS_SHIFT (rated below 7) points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from realitygap.domain.taxonomy import Taxonomy
from realitygap.simulate._common import HORIZON_DAYS, normal_cdf, rng_for
from realitygap.simulate.behaviour import Attrition
from realitygap.simulate.company import ITEMS
from realitygap.simulate.customers import NPS_NOISE, Customers, nps_latent_mean
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
RECOVERED_NPS_SHIFT = 1.0  # NPS-scale points on the latent mean of an answer after the case
UNRECOVERED_NPS_SHIFT = -1.0
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


def recovery_nps_shift(cases: Cases) -> np.ndarray:
    """The planted shift of each case's customer's NPS latent mean in an answer after it."""
    recovered = cases.rating >= RECOVERED_FROM  # NaN compares False
    rated = ~np.isnan(cases.rating)
    out: np.ndarray = np.where(
        recovered, RECOVERED_NPS_SHIFT, np.where(rated, UNRECOVERED_NPS_SHIFT, 0.0)
    )
    return out


def case_after_day(cases: Cases) -> np.ndarray:
    """The day from which a case customer's next answer counts as after the case."""
    out: np.ndarray = np.where(np.isnan(cases.resolved_day), cases.opened_day, cases.resolved_day)
    return out


def answers_after_case(customers: Customers, survey: CustomerSurvey, cases: Cases) -> pd.DataFrame:
    """The NPS answers given after a case: customer index, ``recovered`` (the recovery
    analysis's rule: resolved and rated 7+ or unrated), the latent mean without the effect
    (``base``) and the planted ``shift``."""
    case_of = np.full(customers.n, -1)
    case_of[cases.customer] = np.arange(len(cases))  # one case per customer at most
    rows = np.flatnonzero(case_of[survey.resp_customer] >= 0)
    k = case_of[survey.resp_customer[rows]]
    keep = (survey.resp_day[rows] >= cases.opened_day[k]) & (survey.nps[rows] >= 0)
    rows, k = rows[keep], k[keep]
    resolved = ~np.isnan(cases.resolved_day[k])
    return pd.DataFrame(
        {
            "customer": survey.resp_customer[rows],
            "recovered": resolved
            & (np.isnan(cases.rating[k]) | (cases.rating[k] >= RECOVERED_FROM)),
            "base": nps_latent_mean(customers.loyalty[survey.resp_customer[rows]]),
            "shift": recovery_nps_shift(cases)[k],
        }
    )


def expected_nps(mean: np.ndarray) -> float | None:
    """Expected NPS (points) of answers rounded from N(mean, NPS_NOISE)."""
    if mean.size == 0:
        return None
    pro = 1.0 - normal_cdf((8.5 - mean) / NPS_NOISE)
    det = normal_cdf((6.5 - mean) / NPS_NOISE)
    return round(float(100 * (pro - det).mean()), 3)


def recovery_nps_truth(
    answers: pd.DataFrame, team_of: dict[int, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Expected NPS (points) of the answers given after a case (:func:`answers_after_case`),
    by the recovery analysis's groups, from each customer's latent mean and planted shift; and
    without the shift (what the same customers would have answered had the case changed
    nothing). With ``team_of`` (customer index -> team), the recovered group's per team."""
    out: dict[str, dict[str, Any]] = {}
    for name, m in (("recovered", answers["recovered"]), ("not recovered", ~answers["recovered"])):
        part = answers[m]
        out[name] = {
            "answers": len(part),
            "expected_nps": expected_nps((part["base"] + part["shift"]).to_numpy()),
            "expected_nps_without_effect": expected_nps(part["base"].to_numpy()),
        }
    if team_of is not None:
        rec = answers[answers["recovered"]]
        team = rec["customer"].map(team_of)
        out["recovered"]["by_team"] = {
            str(t): {
                "answers": len(g),
                "expected_nps": expected_nps((g["base"] + g["shift"]).to_numpy()),
            }
            for t, g in rec.groupby(team, sort=True)
        }
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
