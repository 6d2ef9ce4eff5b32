"""The planted ground truth, computed from the simulator's probabilities, not from its draws.

Expected answers come from the answer model (latent mean + normal noise, rounded and clipped),
weighted by each invited customer's chance to respond, so they are what an unbiased analysis
of the generated responses estimates; sampled answers scatter around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from realitygap.simulate._common import (
    END,
    START,
    WAVES,
    normal_cdf,
    rng_for,
    rounded_scale_expectation,
)
from realitygap.simulate._common import rounded_scale_probabilities as scale_probs
from realitygap.simulate.behaviour import (
    DECLINE_HAZARD_RATIO,
    DECLINE_KEEP,
    SILENT_ONSET_DAYS,
    SILENT_SHARE,
)
from realitygap.simulate.cases import (
    RECOVERED_FROM,
    RECOVERED_HAZARD_RATIO,
    RECOVERED_NPS_SHIFT,
    SERVICE_LEVEL_DAYS,
    TRIGGERS,
    UNRECOVERED_HAZARD_RATIO,
    UNRECOVERED_NPS_SHIFT,
)
from realitygap.simulate.company import ITEMS, KANO_FEATURES, NPS_MIRROR, NPS_QUESTION
from realitygap.simulate.customers import (
    CHURN_LOYALTY,
    CHURN_MONTHLY,
    NPS_NOISE,
    RESPONSE_INTERCEPT,
    RESPONSE_LOYALTY,
    Customers,
    item_latent_mean,
    nps_latent_mean,
)
from realitygap.simulate.staff import (
    LISTENING_HALF,
    ROLE_LISTENING,
    ROLES,
    Contacts,
    Staff,
    expected_abs_error,
    expected_mirror,
)
from realitygap.simulate.survey import KANO_PLANTED_SHARE, CustomerSurvey, response_probability
from realitygap.simulate.text import (
    FEATURE_MENTION_SHARE,
    SOURCES,
    THEMES,
    Texts,
    surprise_share,
)

SILENT_RULE = (
    "A customer who answered NPS 9-10 and whose purchases collapsed (planted: from within "
    f"{SILENT_ONSET_DAYS:.0f} days after the answer each purchase is kept with a chance of "
    f"{DECLINE_KEEP[0]:.0%}-{DECLINE_KEEP[1]:.0%}), or who cancelled within 6 months of the "
    "answer. Detectable as: purchases in the 6 months after the survey fell by >= 50% against "
    "the customer's own 6 months before it, or a cancellation."
)
ANCHOR_SAMPLE = 200_000  # customers used to compute the customer base's mean answers
EXPECTATION_SAMPLE = 300_000  # invitations used to compute expected respondent answers


def expected_item_means(
    customers: Customers, rows: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Expected answer per item over the customers ``rows`` (weighted), then NPS last."""
    w = np.ones(rows.size) if weight is None else weight
    out = []
    for j, item in enumerate(ITEMS):
        mean = item_latent_mean(customers, rows, j)
        out.append(
            np.average(rounded_scale_expectation(mean, item.noise, item.low, item.high), weights=w)
        )
    nps = rounded_scale_expectation(nps_latent_mean(customers.loyalty[rows]), NPS_NOISE, 0, 10)
    out.append(np.average(nps, weights=w))
    return np.array(out)


def population_anchors(customers: Customers) -> np.ndarray:
    """The customer base's mean answer per item, then NPS (what staff are anchored on)."""
    return expected_item_means(customers, np.arange(min(customers.n, ANCHOR_SAMPLE)))


def _rounded(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


@dataclass(frozen=True)
class SurveyExpectation:
    """What the truth needs of the customers' item perceptions: expected answers over (a
    random subset of) the invitations. Computed once the survey is final, so the perceptions
    (0.7 GB at 10M customers) can be released before the tables are written."""

    invited: np.ndarray
    shift: np.ndarray
    p_resp: np.ndarray
    responder_means: np.ndarray
    per_customer: np.ndarray
    top_box: dict[str, float]


def survey_expectation(
    seed: int, customers: Customers, survey: CustomerSurvey
) -> SurveyExpectation:
    """The expected answers of the final survey (re-invitations after cases included)."""
    invited = survey.inv_customer
    shift = survey.inv_nps_shift if survey.inv_nps_shift is not None else np.zeros(invited.size)
    after_case = (
        survey.inv_after_case
        if survey.inv_after_case is not None
        else np.zeros(invited.size, dtype=bool)
    )
    if invited.size > EXPECTATION_SAMPLE:  # the expectation over a large random subset
        pick = np.sort(
            rng_for(seed, "truth").choice(invited.size, EXPECTATION_SAMPLE, replace=False)
        )
        invited, shift, after_case = invited[pick], shift[pick], after_case[pick]
    p_resp = response_probability(customers.loyalty[invited], after_case)
    responder_means = expected_item_means(customers, invited, p_resp)
    # per customer (the journey map's unit): a re-invitation after a case adds an answer, not a
    # customer, and its expected answers are the customer's own: leave it out
    per_customer = expected_item_means(customers, invited[~after_case], p_resp[~after_case])
    top_box = {}
    for j, item in enumerate(ITEMS):
        if item.bare_fundamental:
            probs = scale_probs(
                item_latent_mean(customers, invited, j), item.noise, item.low, item.high
            )
            top_box[item.question_id] = _rounded(np.average(probs[:, -1], weights=p_resp))
    return SurveyExpectation(invited, shift, p_resp, responder_means, per_customer, top_box)


def build_truth(
    *,
    seed: int,
    customers: Customers,
    survey: CustomerSurvey,
    expectation: SurveyExpectation,
    staff: Staff,
    contacts: Contacts,
    silent_ids: list[str],
    documents: dict[str, Texts],
    rows: dict[str, int],
) -> dict[str, Any]:
    """The truth dict written to ``truth.json`` (every key is described in docs/simulator.md);
    ``expectation`` is :func:`survey_expectation` of ``survey``."""
    invited, shift, p_resp = expectation.invited, expectation.shift, expectation.p_resp
    responder_means, per_customer = expectation.responder_means, expectation.per_customer
    top_box = expectation.top_box

    expected, superior = expected_mirror(staff)
    gap = expected - responder_means[None, : len(ITEMS)]
    by_item = {it.question_id: _rounded(gap[:, j].mean()) for j, it in enumerate(ITEMS)}
    by_role = {
        role: _rounded(gap[staff.role == r].mean()) if (staff.role == r).any() else None
        for r, role in enumerate(ROLES)
    }
    by_department = {
        str(d): _rounded(gap[staff.department == d].mean())
        for d in sorted(set(staff.department.tolist()))
    }

    loyalty = customers.loyalty[invited].astype(np.float64)
    # an answer after a case has its NPS moved by the planted recovery effect
    p_promoter = 1.0 - normal_cdf((8.5 - nps_latent_mean(loyalty) - shift) / NPS_NOISE)
    p_detractor = normal_cdf((6.5 - nps_latent_mean(loyalty) - shift) / NPS_NOISE)
    execs = staff.role == 0
    error = expected_abs_error(staff, responder_means)
    latest = contacts.day.max() if len(contacts) else 0.0
    recent = np.bincount(contacts.staff[contacts.day > latest - 90.0], minlength=staff.n).astype(
        np.float64
    )
    bands = {
        "none": recent == 0,
        "1-2": (recent >= 1) & (recent <= 2),
        "3+": recent >= 3,
    }
    rho = stats.spearmanr(recent, error).statistic if staff.n > 2 else float("nan")

    present = [s for s in SOURCES if s in documents]
    counts = np.array([len(documents[s]) for s in present], dtype=np.float64)
    overall = sum(documents[s].prevalence * c for s, c in zip(present, counts, strict=True))
    overall = overall / max(counts.sum(), 1.0)
    themes = {}
    for k, theme in enumerate(THEMES):
        themes[theme.theme_id] = {
            "prevalence": _rounded(overall[k]),
            "prevalence_by_source": {s: _rounded(documents[s].prevalence[k]) for s in present},
            "touchpoint": theme.touchpoint,
            "layer": theme.layer,
            "senses": list(theme.senses),
            "sentiment": theme.sentiment,
            "staff_attitude": theme.staff_attitude,
            "loyalty_slope": theme.slope,
        }

    return {
        "seed": seed,
        "customers": customers.n,
        "staff": staff.n,
        "period": {"start": str(START)[:10], "end": str(END - np.timedelta64(1, "D"))[:10]},
        "waves": [w.name for w in WAVES],
        "nps_question": NPS_QUESTION,
        "nps_mirror_question": NPS_MIRROR,
        "rows": rows,
        "drivers": {
            "outcome": NPS_QUESTION,
            "weights": {it.question_id: it.weight for it in ITEMS},
            "ranking": [it.question_id for it in sorted(ITEMS, key=lambda i: -i.weight)],
        },
        "bare_fundamentals": [it.question_id for it in ITEMS if it.bare_fundamental],
        "bare_fundamental_top_box": top_box,
        "overestimation": {
            "by_item": by_item,
            "by_role": by_role,
            "by_department": by_department,
            "planted_item_offset": {it.question_id: it.overestimate for it in ITEMS},
            "expected_customer_mean": {
                it.question_id: _rounded(responder_means[j]) for j, it in enumerate(ITEMS)
            },
            "expected_customer_mean_per_customer": {
                it.question_id: _rounded(per_customer[j]) for j, it in enumerate(ITEMS)
            },
            "by_item_per_customer": {
                it.question_id: _rounded(expected[:, j].mean() - per_customer[j])
                for j, it in enumerate(ITEMS)
            },
        },
        "headline": {
            "executive_superior_share": _rounded(superior[execs].mean()) if execs.any() else None,
            "customer_promoter_share": _rounded(np.average(p_promoter, weights=p_resp)),
            "customer_detractor_share": _rounded(np.average(p_detractor, weights=p_resp)),
            "population_promoter_share": _rounded(p_promoter.mean()),
            "expected_customer_nps": _rounded(responder_means[-1]),
        },
        "nonresponse": {
            "model": "logit P(respond) = intercept + slope * standardised loyalty",
            "intercept": RESPONSE_INTERCEPT,
            "slope": RESPONSE_LOYALTY,
            "expected_response_rate": _rounded(p_resp.mean()),
        },
        "silent_churners": {
            "rule": SILENT_RULE,
            "planted_share_of_promoters": SILENT_SHARE,
            "stated_promoters": int((survey.nps >= 9).sum()),
            "customer_ids": silent_ids,
        },
        "churn": {
            "monthly_hazard_at_average_loyalty": CHURN_MONTHLY,
            "log_hazard_ratio_per_sd_loyalty": CHURN_LOYALTY,
            "collapse_hazard_ratio": DECLINE_HAZARD_RATIO,
        },
        "kano": {
            f.feature: {w.name: f.categories[i] for i, w in enumerate(WAVES)} for f in KANO_FEATURES
        },
        "kano_planted_share": KANO_PLANTED_SHARE,
        "kano_wow": {
            "mention_share_of_survey_comments": FEATURE_MENTION_SHARE,
            "surprise_share": {
                f.feature: {w.name: surprise_share(f.categories[i]) for i, w in enumerate(WAVES)}
                for f in KANO_FEATURES
            },
            # attractive at first, no longer attractive in the last wave: the wow fades
            "fading": sorted(
                f.feature
                for f in KANO_FEATURES
                if f.categories[0] == "A" and f.categories[-1] != "A"
            ),
        },
        "themes": themes,
        "recovery": {
            "recovered_if": f"recovery_rating >= {RECOVERED_FROM}",
            "hazard_ratio_recovered": RECOVERED_HAZARD_RATIO,
            "hazard_ratio_unrecovered": UNRECOVERED_HAZARD_RATIO,
            "hazard_ratio_unrated": 1.0,
            "effect_from": "resolved_at",
            "nps_shift_recovered": RECOVERED_NPS_SHIFT,
            "nps_shift_unrecovered": UNRECOVERED_NPS_SHIFT,
            "nps_shift_unrated": 0.0,
            "service_level_days": dict(zip(TRIGGERS, SERVICE_LEVEL_DAYS, strict=True)),
        },
        "listening": {
            "window_days": 90,
            "shrink": f"1 / (1 + contacts per 90 days / {LISTENING_HALF})",
            "mean_contacts_per_90d_by_role": dict(zip(ROLES, ROLE_LISTENING, strict=True)),
            "expected_error_by_band": {
                band: _rounded(error[mask].mean()) if mask.any() else None
                for band, mask in bands.items()
            },
            "expected_error_spearman_vs_contacts": _rounded(rho),
        },
    }
