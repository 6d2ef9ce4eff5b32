"""Customer survey waves: who is invited, who answers (depending on satisfaction) and what.

Each wave invites a fresh random sample of still-active customers (nobody is invited twice,
so every respondent has one survey date). The chance to respond rises with loyalty, so the
respondents are more satisfied than the customer base. Answers are the latent rating plus
noise, rounded and clipped to the scale; some answers are missing (more often for support
touchpoints the customer may not have used). Kano pairs are drawn from each respondent's
category, which follows the feature's planted category for that wave most of the time.

After the cases are worked, :func:`answer_after_cases` invites each customer with a case,
still a customer, to the first wave that begins after the case was resolved (or, unresolved,
opened): the one re-invitation the survey makes. They answer more often than at first
(AFTER_CASE_LOG_ODDS on the log-odds: the company has just spoken to them), with the same
model, their NPS shifted by the case's planted recovery effect (``simulate/cases.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realitygap.simulate._common import INVITE_SPREAD_DAYS, WAVES, logistic, rng_for
from realitygap.simulate.company import ITEMS, KANO_FEATURES, NPS_QUESTION, kano_ids
from realitygap.simulate.customers import (
    NPS_NOISE,
    RESPONSE_INTERCEPT,
    RESPONSE_LOYALTY,
    Customers,
    item_latent_mean,
    nps_latent_mean,
)

INVITE_SHARE = 0.12  # of all customers, per wave
CHANNELS = ("email", "sms", "app")
CHANNEL_SHARE = (0.7, 0.2, 0.1)
NPS_ANSWERED = 0.98
ITEM_ANSWERED = 0.94
SUPPORT_ITEM_ANSWERED = 0.72  # call centre, chat and returns: many never used them
SUPPORT_TOUCHPOINTS = frozenset({"call_centre", "chat", "returns"})
KANO_ANSWERED = 0.90
# a customer the company has just worked a case with answers more often: + this on the log-odds
AFTER_CASE_LOG_ODDS = 1.0

KANO_LETTERS = ("A", "O", "M", "I")
KANO_PLANTED_SHARE = 0.55  # a respondent's category is the planted one with this chance
KANO_ANSWER_NOISE = 0.06  # each Kano answer is replaced by a uniform 1..5 with this chance
# (functional, dysfunctional) answer probabilities per category, on answers 1..5
KANO_ANSWER_PROBS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "A": ((1, 0, 0, 0, 0), (0, 0.2, 0.5, 0.3, 0)),
    "O": ((1, 0, 0, 0, 0), (0, 0, 0, 0, 1)),
    "M": ((0, 0.5, 0.3, 0.2, 0), (0, 0, 0, 0, 1)),
    "I": ((0, 0.2, 0.6, 0.2, 0), (0, 0.2, 0.6, 0.2, 0)),
}


@dataclass(frozen=True)
class CustomerSurvey:
    """Invitations and answers of the customer survey.

    ``inv_*`` arrays have one entry per invitation (customer index, wave index, day since
    START, channel index, whether answered). ``resp_*`` arrays have one entry per respondent
    (a subset of invitations). ``answers`` maps question id -> int16 answers per respondent,
    -1 where the question was not answered.
    """

    inv_customer: np.ndarray
    inv_wave: np.ndarray
    inv_day: np.ndarray
    inv_channel: np.ndarray
    inv_responded: np.ndarray
    resp_customer: np.ndarray
    resp_wave: np.ndarray
    resp_day: np.ndarray
    resp_channel: np.ndarray
    answers: dict[str, np.ndarray]
    # the planted shift of each invitation's NPS latent mean (0 but after a case), and
    # whether it is the re-invitation after a case (answered more often)
    inv_nps_shift: np.ndarray | None = None
    inv_after_case: np.ndarray | None = None

    @property
    def nps(self) -> np.ndarray:
        return self.answers[NPS_QUESTION]


def response_probability(loyalty: np.ndarray, after_case: np.ndarray | bool = False) -> np.ndarray:
    """P(an invited customer answers) given standardised loyalty (and, for the re-invitation
    after a case, AFTER_CASE_LOG_ODDS more on the log-odds)."""
    lift = np.where(after_case, AFTER_CASE_LOG_ODDS, 0.0)
    return logistic(RESPONSE_INTERCEPT + lift + RESPONSE_LOYALTY * loyalty.astype(np.float64))


def kano_category_probs(planted: str) -> np.ndarray:
    """P(respondent category) over A, O, M, I when the planted category is ``planted``."""
    probs = np.full(len(KANO_LETTERS), (1 - KANO_PLANTED_SHARE) / (len(KANO_LETTERS) - 1))
    probs[KANO_LETTERS.index(planted)] = KANO_PLANTED_SHARE
    return probs


def run_customer_survey(customers: Customers, seed: int) -> CustomerSurvey:
    """Invite, sample responses and answers for every wave. Deterministic per seed."""
    rng = rng_for(seed, "survey")
    already = np.zeros(customers.n, dtype=bool)
    per_wave_size = round(INVITE_SHARE * customers.n)
    parts: list[tuple[np.ndarray, ...]] = []
    for w, wave in enumerate(WAVES):
        eligible = np.flatnonzero(~already & (customers.churn_day > wave.invite_day))
        size = min(per_wave_size, eligible.size)
        chosen = np.sort(rng.choice(eligible, size=size, replace=False))
        already[chosen] = True
        day = wave.invite_day + rng.uniform(0.0, INVITE_SPREAD_DAYS, size=size)
        channel = rng.choice(len(CHANNELS), size=size, p=CHANNEL_SHARE).astype(np.int8)
        responded = rng.random(size) < response_probability(customers.loyalty[chosen])
        parts.append((chosen, np.full(size, w, dtype=np.int8), day, channel, responded))
    inv_customer, inv_wave, inv_day, inv_channel, inv_responded = (
        np.concatenate([p[i] for p in parts]) for i in range(5)
    )
    resp = np.flatnonzero(inv_responded)
    resp_customer = inv_customer[resp]
    resp_day = inv_day[resp] + np.minimum(rng.exponential(2.5, size=resp.size), 21.0)
    answers = _answers(rng, customers, resp_customer, inv_wave[resp])
    return CustomerSurvey(
        inv_customer=inv_customer,
        inv_wave=inv_wave,
        inv_day=inv_day,
        inv_channel=inv_channel,
        inv_responded=inv_responded,
        resp_customer=resp_customer,
        resp_wave=inv_wave[resp],
        resp_day=resp_day,
        resp_channel=inv_channel[resp],
        answers=answers,
    )


def _with_missing(rng: np.random.Generator, values: np.ndarray, answered: float) -> np.ndarray:
    out = values.astype(np.int16)
    out[rng.random(out.size) >= answered] = -1
    return out


def _answers(
    rng: np.random.Generator,
    customers: Customers,
    who: np.ndarray,
    wave: np.ndarray,
    nps_shift: np.ndarray | float = 0.0,
) -> dict[str, np.ndarray]:
    answers: dict[str, np.ndarray] = {}
    nps_mean = nps_latent_mean(customers.loyalty[who]) + nps_shift
    nps = np.clip(np.rint(nps_mean + rng.normal(0.0, NPS_NOISE, who.size)), 0, 10)
    answers[NPS_QUESTION] = _with_missing(rng, nps, NPS_ANSWERED)
    for j, item in enumerate(ITEMS):
        mean = item_latent_mean(customers, who, j)
        value = np.clip(np.rint(mean + rng.normal(0.0, item.noise, who.size)), item.low, item.high)
        answered = (
            SUPPORT_ITEM_ANSWERED if item.touchpoint in SUPPORT_TOUCHPOINTS else ITEM_ANSWERED
        )
        answers[item.question_id] = _with_missing(rng, value, answered)
    for feat in KANO_FEATURES:
        functional, dysfunctional = _kano_pairs(rng, feat.categories, wave)
        keep = rng.random(who.size) < KANO_ANSWERED
        f_id, d_id = kano_ids(feat.feature)
        answers[f_id] = np.where(keep, functional, -1).astype(np.int16)
        answers[d_id] = np.where(keep, dysfunctional, -1).astype(np.int16)
    return answers


def _kano_pairs(
    rng: np.random.Generator, planted: tuple[str, ...], wave: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Functional and dysfunctional answers (1..5) per respondent for one feature."""
    n = wave.size
    category_probs = np.stack([kano_category_probs(planted[w]) for w in range(len(WAVES))])
    cum = np.cumsum(category_probs[wave], axis=1)
    category = (rng.random(n)[:, None] > cum).sum(axis=1)
    category = np.minimum(category, len(KANO_LETTERS) - 1)
    answers = []
    for side in (0, 1):
        table = np.array([KANO_ANSWER_PROBS[c][side] for c in KANO_LETTERS], dtype=np.float64)
        cum_answer = np.cumsum(table[category], axis=1)
        value = (rng.random(n)[:, None] > cum_answer).sum(axis=1) + 1
        value = np.minimum(value, 5)
        noisy = rng.random(n) < KANO_ANSWER_NOISE
        value = np.where(noisy, rng.integers(1, 6, size=n), value)
        answers.append(value.astype(np.int16))
    return answers[0], answers[1]


def answer_after_cases(
    customers: Customers,
    survey: CustomerSurvey,
    case_customer: np.ndarray,
    after_day: np.ndarray,
    nps_shift: np.ndarray,
    churn_day: np.ndarray,
    seed: int,
) -> CustomerSurvey:
    """``survey`` with each case customer invited to the first wave after ``after_day`` (the
    case's resolution, or opening when unresolved) if still a customer at its invitation;
    those who answer (the usual chance, AFTER_CASE_LOG_ODDS higher) answer every question,
    their NPS latent mean moved by ``nps_shift`` (NPS-scale points). The rows are appended:
    earlier rows keep their index.
    """
    rng = rng_for(seed, "answers after cases")
    starts = np.array([w.invite_day for w in WAVES])
    wave = np.searchsorted(starts, after_day, side="right")  # first wave starting after it
    later = wave < len(WAVES)
    who, wave, shift = case_customer[later], wave[later], nps_shift[later]
    day = starts[wave] + rng.uniform(0.0, INVITE_SPREAD_DAYS, size=who.size)
    alive = churn_day[who] > day
    who, wave, shift, day = who[alive], wave[alive].astype(np.int8), shift[alive], day[alive]
    channel = rng.choice(len(CHANNELS), size=who.size, p=CHANNEL_SHARE).astype(np.int8)
    responded = rng.random(who.size) < response_probability(customers.loyalty[who], True)
    answered = np.flatnonzero(responded)
    resp_day = day[answered] + np.minimum(rng.exponential(2.5, size=answered.size), 21.0)
    extra = _answers(rng, customers, who[answered], wave[answered], shift[answered])
    before = survey.inv_nps_shift
    if before is None:
        before = np.zeros(survey.inv_customer.size)
    was_after = survey.inv_after_case
    if was_after is None:
        was_after = np.zeros(survey.inv_customer.size, dtype=bool)
    return CustomerSurvey(
        inv_customer=np.concatenate([survey.inv_customer, who]),
        inv_wave=np.concatenate([survey.inv_wave, wave]),
        inv_day=np.concatenate([survey.inv_day, day]),
        inv_channel=np.concatenate([survey.inv_channel, channel]),
        inv_responded=np.concatenate([survey.inv_responded, responded]),
        resp_customer=np.concatenate([survey.resp_customer, who[answered]]),
        resp_wave=np.concatenate([survey.resp_wave, wave[answered]]),
        resp_day=np.concatenate([survey.resp_day, resp_day]),
        resp_channel=np.concatenate([survey.resp_channel, channel[answered]]),
        answers={q: np.concatenate([a, extra[q]]) for q, a in survey.answers.items()},
        inv_nps_shift=np.concatenate([before, shift]),
        inv_after_case=np.concatenate([was_after, np.ones(who.size, dtype=bool)]),
    )
