"""Staff experience beside customer experience: teams, a staff pulse survey, staff tenure
and departures, with a known team-level link to customers' NPS.

Every customer and every staff member belongs to one of ``TEAMS`` teams (stores, branches)
of different sizes. Team t has a planted engagement level e_t ~ N(0, 1):

- staff pulse survey (questions of audience ``staff``, block ``engagement``): each staff
  member answers ``PULSE_ITEMS`` Likert-5 items in each wave with chance ``PULSE_ANSWERED``;
  answer = clip(round(PULSE_MEAN + PULSE_TEAM * e_t + PULSE_PERSON * u_s + N(0,
  PULSE_NOISE)), 1, 5), u_s ~ N(0, 1) per person;
- departures: a staff member leaves during the two years with chance
  logistic(LEAVE_INTERCEPT + LEAVE_TEAM * e_t), on a uniform day (``left_at``; ``hired_at``
  up to 8 years before the start);
- customers: customer i is served by team t with chance proportional to
  size_t * exp(LINK * e_t * L_i) (L_i the customer's standardised loyalty), so teams with
  engaged staff have more loyal customers. No answer or event changes: the link is planted by
  who is served where, which is why the analysis can only ever call it an association.

The truth is the expectation under these chances: per team the expected engagement (% of the
scale), turnover and NPS (over the NPS answers, each weighted by its customer's chance to be
served by the team), and the slope of expected NPS on expected engagement across teams,
weighted by the expected number of NPS answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from realitygap.simulate._common import WAVES, logistic, rng_for, rounded_scale_expectation
from realitygap.simulate.customers import Customers
from realitygap.simulate.staff import Staff
from realitygap.simulate.survey import CustomerSurvey
from realitygap.simulate.write import (
    customer_id_sql,
    insert,
    labels,
    staff_id_sql,
    timestamp_sql,
)
from realitygap.store.workspace import Workspace
from realitygap.store.write import ensure_columns, insert_new, update_computed

TEAMS = 24
LINK = 0.35
PULSE_ITEMS = (
    ("e01", "I know what is expected of me at work"),
    ("e02", "I have the tools I need to serve customers well"),
    ("e03", "My manager coaches me and cares about me"),
    ("e04", "I would recommend this team as a place to work"),
)
PULSE_MEAN, PULSE_TEAM, PULSE_PERSON, PULSE_NOISE = 3.4, 0.55, 0.45, 0.6
PULSE_ANSWERED = 0.8
LEAVE_INTERCEPT, LEAVE_TEAM = -1.3, -0.7
HORIZON = 730.0
CHUNK = 100_000  # customers whose team chances are held at a time


def team_chances(loyalty: np.ndarray, size: np.ndarray, engagement: np.ndarray) -> np.ndarray:
    """P(customer served by team t) per customer (rows) and team (columns); row by row, so
    any block of customers gets the same chances as the whole."""
    logits = np.log(size)[None, :] + LINK * loyalty.astype(np.float64)[:, None] * engagement
    prob: np.ndarray = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    return prob


def team_names() -> list[str]:
    return [f"T{t + 1:02d}" for t in range(TEAMS)]


def plant_people(
    ws: Workspace,
    people: Customers,
    staff: Staff,
    survey: CustomerSurvey,
    seed: int,
    rows: dict[str, int],
) -> dict[str, Any]:
    """Write teams, the pulse survey and staff tenure into ``ws`` (adding the rows written to
    ``rows``); return ``truth["people"]``."""
    rng = rng_for(seed, "people")
    names = np.array(team_names(), dtype=object)
    size = rng.dirichlet(np.full(TEAMS, 2.0))
    engagement = rng.normal(0.0, 1.0, TEAMS)
    draw = rng.random(people.n)
    customer_team = np.empty(people.n, dtype=np.int64)
    # a block of customers at a time: the customer x team chances are 1.9 GB at 10M customers
    for start in range(0, people.n, CHUNK):
        block = slice(start, start + CHUNK)
        cum = team_chances(people.loyalty[block], size, engagement).cumsum(axis=1)
        customer_team[block] = (draw[block][:, None] > cum).sum(axis=1).clip(0, TEAMS - 1)
    del draw
    staff_team = rng.choice(TEAMS, size=staff.n, p=size)

    person = rng.normal(0.0, 1.0, staff.n)
    latent = PULSE_MEAN + PULSE_TEAM * engagement[staff_team] + PULSE_PERSON * person
    leave_p = logistic(LEAVE_INTERCEPT + LEAVE_TEAM * engagement[staff_team])
    leaves = rng.random(staff.n) < leave_p
    left_day = np.where(leaves, rng.random(staff.n) * HORIZON, np.nan)
    hired_day = -rng.random(staff.n) * 8 * 365.0

    ensure_columns(ws, "respondents", ["team", "hired_at", "left_at"])
    with ws.transaction():
        _set_teams(ws, people.n, customer_team, staff_team, names, hired_day, left_day)
        rows["questions"] += insert_new(
            ws,
            "questions",
            pd.DataFrame(
                {
                    "question_id": [q for q, _ in PULSE_ITEMS],
                    "text": [t for _, t in PULSE_ITEMS],
                    "scale": "likert5",
                    "audience": "staff",
                    "block": "engagement",
                }
            ),
        )
        answers = []
        for wave in WAVES:
            for code, _ in enumerate(PULSE_ITEMS):
                who = np.flatnonzero(rng.random(staff.n) < PULSE_ANSWERED)
                who = who[~(left_day[who] < wave.invite_day)]  # staff who left do not answer
                value = np.clip(np.rint(latent[who] + rng.normal(0, PULSE_NOISE, who.size)), 1, 5)
                answers.append(pd.DataFrame({"s": who, "q": PULSE_ITEMS[code][0],
                                             "w": wave.name, "v": value,
                                             "d": wave.invite_day + 3.0}))  # fmt: skip
        rows["responses"] += insert(
            ws,
            "responses",
            pd.concat(answers, ignore_index=True),
            {
                "respondent_id": staff_id_sql("s"),
                "question_id": "q",
                "wave": "w",
                "value": "v",
                "submitted_at": timestamp_sql("d"),
                "channel": "'web'",
            },
        )
    return _truth(people, engagement, staff_team, latent, leave_p, survey, size, names)


def _set_teams(
    ws: Workspace,
    n: int,
    customer_team: np.ndarray,
    staff_team: np.ndarray,
    names: np.ndarray,
    hired_day: np.ndarray,
    left_day: np.ndarray,
) -> None:
    for start in range(0, n, CHUNK):  # a block at a time: the update's join stays small
        block = np.arange(start, min(start + CHUNK, n))
        update_computed(
            ws,
            "respondents",
            pd.DataFrame({"c": block, "team": labels(customer_team[block], list(names))}),
            "respondent_id",
            {"respondent_id": customer_id_sql("c", n), "team": "CAST(team AS VARCHAR)"},
        )
    roster = pd.DataFrame(
        {"s": np.arange(staff_team.size), "team": names[staff_team], "h": hired_day,
         "l": left_day}
    )  # fmt: skip
    update_computed(
        ws,
        "respondents",
        roster,
        "respondent_id",
        {
            "respondent_id": staff_id_sql("s"),
            "team": "team",
            "hired_at": f"strftime({timestamp_sql('h')}, '%Y-%m-%d')",
            "left_at": f"strftime({timestamp_sql('l')}, '%Y-%m-%d')",
        },
    )


def _truth(
    people: Customers,
    engagement: np.ndarray,
    staff_team: np.ndarray,
    latent: np.ndarray,
    leave_p: np.ndarray,
    survey: CustomerSurvey,
    size: np.ndarray,
    names: np.ndarray,
) -> dict[str, Any]:
    nps = survey.nps.astype(np.float64)
    given = nps >= 0
    category = np.where(nps >= 9, 100.0, np.where(nps <= 6, -100.0, 0.0))[given]
    who = survey.resp_customer[given]
    expected_answers, weighted_nps = np.zeros(TEAMS), np.zeros(TEAMS)
    for start in range(0, who.size, CHUNK):  # (answers, teams) weights, a block at a time
        block = slice(start, start + CHUNK)
        weight = team_chances(people.loyalty[who[block]], size, engagement)
        expected_answers += weight.sum(axis=0)
        weighted_nps += (weight * category[block, None]).sum(axis=0)
    team_nps = weighted_nps / expected_answers
    pos = 100 * (rounded_scale_expectation(latent, PULSE_NOISE, 1, 5) - 1) / 4
    team_engagement = np.array([pos[staff_team == t].mean() if (staff_team == t).any()
                                else np.nan for t in range(TEAMS)])  # fmt: skip
    team_turnover = np.array([leave_p[staff_team == t].mean() if (staff_team == t).any()
                              else np.nan for t in range(TEAMS)])  # fmt: skip
    ok = np.isfinite(team_engagement)
    x, y, w = team_engagement[ok], team_nps[ok], expected_answers[ok]
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    slope = float(np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2))
    return {
        "unit": "team",
        "link": LINK,
        "teams": {
            str(names[t]): {
                "planted_engagement_level": round(float(engagement[t]), 4),
                "size_share": round(float(size[t]), 4),
                "staff": int((staff_team == t).sum()),
                "expected_engagement_pct": None
                if not ok[t]
                else round(float(team_engagement[t]), 3),
                "expected_turnover": None if not ok[t] else round(float(team_turnover[t]), 4),
                "expected_nps": round(float(team_nps[t]), 3),
            }
            for t in range(TEAMS)
        },
        "slope_nps_per_engagement_point": round(slope, 4),
        "correlation_engagement_nps": round(float(np.corrcoef(x, y)[0, 1]), 4),
        "correlation_turnover_nps": round(float(np.corrcoef(team_turnover[ok], y)[0, 1]), 4),
        "pulse_questions": [q for q, _ in PULSE_ITEMS],
    }
