"""Staff: the mirror survey (what staff believe customers will answer) and their contacts.

Every staff member has a role, a department and a listening rate (direct customer contacts
per 90 days, lowest for executives). Their prediction of item ``j`` is

    anchor_j + shrink * (overestimate_j + role offset + department offset + personal bias)

plus answer noise, rounded and clipped to the scale, where ``anchor_j`` is what the customer
base really answers on average and ``shrink = 1 / (1 + rate / LISTENING_HALF)``: staff who
hear customers often are pulled towards the truth and are less noisy. The NPS mirror works the
same on the 0-10 scale, with offsets doubled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realitygap.simulate._common import (
    HORIZON_DAYS,
    WAVES,
    normal_cdf,
    rng_for,
    rounded_scale_probabilities,
)
from realitygap.simulate.company import ITEMS

ROLES = ("executive", "manager", "frontline")
ROLE_SHARE = (0.10, 0.25, 0.65)
ROLE_OFFSET = (0.55, 0.30, 0.05)
ROLE_LISTENING = (0.8, 2.5, 6.0)  # mean contacts per 90 days
DEPARTMENT_WEIGHT = {
    "retail": 0.25,
    "customer_service": 0.20,
    "logistics": 0.15,
    "digital": 0.12,
    "marketing": 0.08,
    "commercial": 0.08,
    "product": 0.08,
    "finance": 0.04,
}
DEPARTMENT_OFFSET = {
    "marketing": 0.30,
    "product": 0.20,
    "commercial": 0.20,
    "digital": 0.10,
    "finance": 0.10,
    "retail": 0.0,
    "logistics": -0.10,
    "customer_service": -0.20,
}
PERSONAL_BIAS_SD = 0.25
LISTENING_HALF = 3.0  # contacts per 90 days that halve a person's over-estimation
NPS_OVERESTIMATE = 1.6
NPS_OFFSET_FACTOR = 2.0  # NPS points per Likert point of role/department/personal offset
STAFF_RESPONSE = 0.75
MIRROR_ANSWERED = 0.97
CONTACT_CHANNELS = ("call", "visit", "feedback", "meeting")
CONTACT_CHANNEL_SHARE = (0.35, 0.25, 0.30, 0.10)


def staff_count(customers: int) -> int:
    """How many staff a company with ``customers`` customers has (60 to 5,000)."""
    return int(np.clip(round(customers / 40), 60, 5000))


@dataclass(frozen=True)
class Staff:
    """The staff roster and what generates their mirror answers (arrays per staff member).

    ``item_mean`` is (staff, items) latent predictions and ``noise`` the answer noise per
    person; ``nps_mean`` and ``nps_noise`` the same for the NPS mirror.
    """

    n: int
    role: np.ndarray
    department: np.ndarray  # object array of department names
    listening_rate: np.ndarray
    shrink: np.ndarray
    item_mean: np.ndarray
    noise: np.ndarray
    nps_mean: np.ndarray
    nps_noise: np.ndarray


def make_staff(
    customers: int, departments: tuple[str, ...], anchors: np.ndarray, nps_anchor: float, seed: int
) -> Staff:
    """Draw the staff roster. ``anchors`` is the customer base's mean answer per item."""
    rng = rng_for(seed, "staff")
    n = staff_count(customers)
    role = rng.choice(len(ROLES), size=n, p=ROLE_SHARE).astype(np.int8)
    weight = np.array([DEPARTMENT_WEIGHT.get(d, 0.1) for d in departments])
    dept_idx = rng.choice(len(departments), size=n, p=weight / weight.sum())
    department = np.array(departments, dtype=object)[dept_idx]
    dept_offset = np.array([DEPARTMENT_OFFSET.get(d, 0.0) for d in departments])[dept_idx]
    rate = rng.gamma(1.5, np.asarray(ROLE_LISTENING)[role] / 1.5)
    shrink = 1.0 / (1.0 + rate / LISTENING_HALF)
    bias = rng.normal(0.0, PERSONAL_BIAS_SD, size=n)
    offset = np.asarray(ROLE_OFFSET)[role] + dept_offset + bias
    over = np.array([it.overestimate for it in ITEMS])
    item_mean = anchors[None, :] + shrink[:, None] * (over[None, :] + offset[:, None])
    noise = 0.35 + 0.45 * shrink
    nps_mean = nps_anchor + shrink * (NPS_OVERESTIMATE + NPS_OFFSET_FACTOR * offset)
    return Staff(
        n=n,
        role=role,
        department=department,
        listening_rate=rate,
        shrink=shrink,
        item_mean=item_mean,
        noise=noise,
        nps_mean=nps_mean,
        nps_noise=NPS_OFFSET_FACTOR * noise,
    )


@dataclass(frozen=True)
class MirrorSurvey:
    """Staff invitations and mirror answers.

    ``inv_staff``/``inv_wave``/``inv_day``/``inv_responded`` per invitation; ``resp_*`` per
    response; ``answers`` maps mirror question id -> int16 answers (-1 = not answered).
    """

    inv_staff: np.ndarray
    inv_wave: np.ndarray
    inv_day: np.ndarray
    inv_responded: np.ndarray
    resp_staff: np.ndarray
    resp_wave: np.ndarray
    resp_day: np.ndarray
    answers: dict[str, np.ndarray]


def run_mirror_survey(staff: Staff, seed: int) -> MirrorSurvey:
    """Invite every staff member in every wave; about STAFF_RESPONSE of them answer."""
    rng = rng_for(seed, "mirror")
    k = len(WAVES)
    inv_staff = np.tile(np.arange(staff.n), k)
    inv_wave = np.repeat(np.arange(k, dtype=np.int8), staff.n)
    inv_day = np.array([w.invite_day for w in WAVES])[inv_wave] + rng.uniform(0, 3, inv_staff.size)
    responded = rng.random(inv_staff.size) < STAFF_RESPONSE
    rows = np.flatnonzero(responded)
    who = inv_staff[rows]
    answers: dict[str, np.ndarray] = {}
    nps = np.rint(staff.nps_mean[who] + rng.normal(0.0, 1.0, who.size) * staff.nps_noise[who])
    answers["m_nps"] = _missing(rng, np.clip(nps, 0, 10))
    for j, item in enumerate(ITEMS):
        value = np.rint(staff.item_mean[who, j] + rng.normal(0.0, 1.0, who.size) * staff.noise[who])
        answers[f"m_{item.question_id}"] = _missing(rng, np.clip(value, item.low, item.high))
    return MirrorSurvey(
        inv_staff=inv_staff,
        inv_wave=inv_wave,
        inv_day=inv_day,
        inv_responded=responded,
        resp_staff=who,
        resp_wave=inv_wave[rows],
        resp_day=inv_day[rows] + rng.exponential(3.0, size=rows.size),
        answers=answers,
    )


def _missing(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    out = values.astype(np.int16)
    out[rng.random(out.size) >= MIRROR_ANSWERED] = -1
    return out


@dataclass(frozen=True)
class Contacts:
    """Staff hearing customers: staff index, customer index (-1 none), channel, day, minutes."""

    staff: np.ndarray
    customer: np.ndarray
    channel: np.ndarray
    day: np.ndarray
    minutes: np.ndarray

    def __len__(self) -> int:
        return int(self.staff.size)


def make_contacts(staff: Staff, customers: int, seed: int) -> Contacts:
    """Each person's contacts: a Poisson process at their listening rate over 24 months."""
    rng = rng_for(seed, "contacts")
    count = rng.poisson(staff.listening_rate * HORIZON_DAYS / 90.0)
    who = np.repeat(np.arange(staff.n), count)
    order = np.lexsort((rng.random(who.size), who))
    who = who[order]
    day = rng.uniform(0.0, HORIZON_DAYS, size=who.size)
    channel = rng.choice(len(CONTACT_CHANNELS), size=who.size, p=CONTACT_CHANNEL_SHARE)
    customer = np.where(channel == 2, -1, rng.integers(0, customers, size=who.size))
    minutes = np.round(np.exp(rng.normal(np.log(12.0), 0.6, size=who.size)), 1)
    return Contacts(who, customer.astype(np.int64), channel.astype(np.int8), day, minutes)


def expected_mirror(staff: Staff) -> tuple[np.ndarray, np.ndarray]:
    """E[mirror answer] per (staff, item) and P(m_nps >= 9) per staff, from the model."""
    expected = np.empty_like(staff.item_mean)
    for j, item in enumerate(ITEMS):
        probs = rounded_scale_probabilities(
            staff.item_mean[:, j], staff.noise[:, None], item.low, item.high
        )
        expected[:, j] = probs @ np.arange(item.low, item.high + 1)
    superior = 1.0 - normal_cdf((8.5 - staff.nps_mean) / staff.nps_noise)
    return expected, superior


def expected_abs_error(staff: Staff, customer_means: np.ndarray) -> np.ndarray:
    """E|mirror answer - customers' mean| averaged over the items and NPS, per staff member.

    ``customer_means`` holds the customers' mean answer per item, then NPS last.
    """
    total = np.zeros(staff.n)
    for j, item in enumerate(ITEMS):
        probs = rounded_scale_probabilities(
            staff.item_mean[:, j], staff.noise[:, None], item.low, item.high
        )
        values = np.arange(item.low, item.high + 1, dtype=np.float64)
        total += probs @ np.abs(values - customer_means[j])
    probs = rounded_scale_probabilities(staff.nps_mean, staff.nps_noise[:, None], 0, 10)
    total += probs @ np.abs(np.arange(11.0) - customer_means[len(ITEMS)])
    out: np.ndarray = total / (len(ITEMS) + 1)
    return out
