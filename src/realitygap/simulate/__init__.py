"""An example company with planted ground truth.

:func:`simulate` fills a new workspace with a question bank, customers with segments, 24
months of behaviour, four customer survey waves with satisfaction-dependent non-response, a
staff mirror survey, comments, reviews and tickets, cases and staff contacts, and writes what
was planted to ``truth.json`` so analyses can be checked against it (see docs/simulator.md).

>>> import tempfile, pathlib
>>> truth = simulate(pathlib.Path(tempfile.mkdtemp()) / "ws", customers=2000, seed=1)
>>> truth["waves"], truth["bare_fundamentals"]
(['2024-Q3', '2024-Q4', '2025-Q1', '2025-Q2'], ['q02', 'q05', 'q12'])
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from realitygap.domain.errors import WorkspaceError
from realitygap.simulate import text as text_mod
from realitygap.simulate._common import HORIZON_DAYS, logistic, rng_for
from realitygap.simulate.behaviour import (
    DECLINE_HAZARD_RATIO,
    make_complaints,
    make_events,
    plant_attrition,
    rescale_after,
    silent_churners,
)
from realitygap.simulate.cases import (
    answers_after_case,
    case_after_day,
    open_cases,
    recovery_hazard_ratio,
    recovery_nps_shift,
    recovery_nps_truth,
)
from realitygap.simulate.company import ITEMS
from realitygap.simulate.customers import make_customers, traits_only, without_perception
from realitygap.simulate.journey_truth import journey_truth
from realitygap.simulate.people import plant_people
from realitygap.simulate.skills import plant_skill_gaps
from realitygap.simulate.staff import make_contacts, make_staff, run_mirror_survey
from realitygap.simulate.survey import answer_after_cases, run_customer_survey
from realitygap.simulate.tables import write_all
from realitygap.simulate.truth import build_truth, population_anchors, survey_expectation
from realitygap.simulate.wow import MonthActivity, plant_mentions, plant_wow, write_wow
from realitygap.simulate.write import customer_ids
from realitygap.store import answer_grid, engine
from realitygap.store.schema import KEYS
from realitygap.store.settings import SETTINGS_FILE, currency
from realitygap.store.workspace import Workspace

__all__ = ["STEPS", "TRUTH_FILE", "simulate"]

TRUTH_FILE = "truth.json"
STEPS = (
    "customers",
    "survey waves",
    "comments",
    "behaviour and cases",
    "staff and contacts",
    "reviews and tickets",
    "writing tables",
    "truth",
)
MIN_CUSTOMERS = 200
# The example company prices in euros: its workspace settings say so, and the report shows
# money (value at risk) in it (store.settings, docs/report.md).
CURRENCY = "EUR"
REVIEW_SHARE = 0.06
DUCKDB_MEMORY = "512MB"


def simulate(
    directory: Path,
    *,
    customers: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Create the example company in a new workspace at ``directory``; return the truth.

    ``progress`` is called with each name of ``STEPS`` as that step starts. Raises
    WorkspaceError if ``directory`` already holds data or a taxonomy without the default
    touchpoints, ValueError when ``customers`` is below MIN_CUSTOMERS.
    """
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"customers: found {customers}, expected at least {MIN_CUSTOMERS}")
    step = progress or (lambda _name: None)
    with Workspace.create(directory) as ws:
        _check_empty(ws)
        _set_currency(ws.path)
        # DuckDB's buffers default to 80% of RAM; the writes stream in chunks, so a small cap
        # keeps the process's memory bounded at any company size without slowing them
        engine.set_memory_limit(ws, DUCKDB_MEMORY)
        taxonomy = ws.taxonomy

        step(STEPS[0])
        people = make_customers(customers, seed)
        step(STEPS[1])
        survey = run_customer_survey(people, seed)

        step(STEPS[2])
        rng = rng_for(seed, "documents")
        pool = text_mod.phrase_pool()
        loyalty_resp = people.loyalty[survey.resp_customer]
        writes = rng.random(loyalty_resp.size) < logistic(-0.5 + 0.6 * np.abs(loyalty_resp))
        comment_rows = np.flatnonzero(writes)
        comments = text_mod.write_texts(rng, loyalty_resp[comment_rows], "survey", pool)
        comments = text_mod.add_feature_mentions(
            rng_for(seed, "feature mentions"), comments, survey.resp_wave[comment_rows]
        )

        step(STEPS[3])
        attrition = plant_attrition(people, survey, seed)
        churn = rescale_after(people.churn_day, attrition.onset_day, DECLINE_HAZARD_RATIO)
        cases = open_cases(people, survey, comments, comment_rows, attrition, taxonomy, seed)
        recovered_from = np.full(people.n, np.inf)
        recovered_from[cases.customer] = np.nan_to_num(cases.resolved_day, nan=np.inf)
        ratio = np.ones(people.n)
        ratio[cases.customer] = recovery_hazard_ratio(cases)
        churn = rescale_after(churn, recovered_from, ratio)
        del recovered_from, ratio  # 80 MB each at 10M customers
        # case customers answer a later wave, their NPS moved by the planted recovery effect
        survey = answer_after_cases(
            people,
            survey,
            cases.customer,
            case_after_day(cases),
            recovery_nps_shift(cases),
            churn,
            seed,
        )
        # the survey is final: what anything later reads of the item perceptions is computed
        # now, and the perceptions are released (0.7 GB at 10M customers)
        anchors = population_anchors(people)
        expectation = survey_expectation(seed, people, survey)
        people = without_perception(people)
        # the customers as drawn were still reachable through a reference cycle, and held
        # their perceptions until the collector next ran (steps later at 10M customers)
        gc.collect()
        complaints = make_complaints(people, churn, seed)
        silent = silent_churners(survey, attrition, churn)
        # purchases, renewals and cancellations are drawn chunk by chunk while they are written;
        # the wow planting gathers what it reads of them as they pass (2 bytes a customer-month)
        # held here until the wow planting takes it (0.3 GB at 10M customers)
        wow = {"activity": MonthActivity(people.n)}
        # from here the events' generator is the only one to read the behaviour's arrays:
        # they go when it is spent, before the wow planting (0.6 GB at 10M customers)
        drawn, people = people, traits_only(people)
        events = wow["activity"].keep(make_events(drawn, attrition, churn, seed))
        del drawn, attrition

        step(STEPS[4])
        staff = make_staff(
            customers, taxonomy.departments, anchors[: len(ITEMS)], anchors[-1], seed
        )
        mirror = run_mirror_survey(staff, seed)
        contacts = make_contacts(staff, customers, seed)

        step(STEPS[5])
        active_end = np.minimum(churn, HORIZON_DAYS)
        reviewers = np.flatnonzero(rng.random(people.n) < REVIEW_SHARE)
        review_day = rng.random(reviewers.size) * active_end[reviewers]
        del churn, active_end
        review_loyalty = people.loyalty[reviewers].astype(np.float64)
        review_rating = np.clip(
            np.rint(3.3 + 1.1 * review_loyalty + rng.normal(0.0, 0.7, reviewers.size)), 1, 5
        )
        reviews = text_mod.write_texts(rng, review_loyalty, "review", pool)
        tickets = text_mod.write_texts(rng, people.loyalty[complaints.customer], "ticket", pool)

        step(STEPS[6])
        planted: dict[str, Any] = {}

        def amend_comments(texts: text_mod.Texts) -> text_mod.Texts:
            # the wow moments come from the purchases and cancellations just written
            frame, planted["truth"] = plant_wow(people, wow.pop("activity"), survey, seed)
            amended, planted["text"] = plant_mentions(
                rng_for(seed, "wow mentions"),
                texts.text,
                survey.resp_customer[comment_rows],
                survey.resp_day[comment_rows],
                frame,
            )
            # written now, not held to the end (15M events at 10M customers); counted into
            # the events after the truth, which records the rows before the moments
            planted["rows"] = write_wow(ws, frame, people.n)
            return text_mod.Texts(amended, texts.mentions, texts.prevalence)

        rows = write_all(
            ws,
            people=people,
            survey=survey,
            comments=(comment_rows, comments),
            staff=staff,
            mirror=mirror,
            contacts=contacts,
            events=events,
            cases=cases,
            reviews=(reviewers, review_day, review_rating, reviews),
            tickets=(complaints, tickets),
            amend_comments=amend_comments,
        )

        # the texts are written: the truth reads only their themes (0.7 GB at 10M customers)
        comments, reviews, tickets = (t.without_text() for t in (comments, reviews, tickets))
        step(STEPS[7])
        truth = build_truth(
            seed=seed,
            customers=people,
            survey=survey,
            expectation=expectation,
            staff=staff,
            contacts=contacts,
            silent_ids=customer_ids(silent, people.n),
            documents={"survey": comments, "review": reviews, "ticket": tickets},
            rows=rows,
        )
        truth["currency"] = currency(ws)
        truth["journey"] = journey_truth(truth)
        truth["wow"] = planted["truth"]
        rows["events"] += planted["rows"]
        truth["wow"]["text"] = planted["text"]
        truth["people"] = plant_people(ws, people, staff, survey, seed, rows)
        truth["skills"] = plant_skill_gaps(ws, people, seed)  # needs the teams just written
        after_case = answers_after_case(people, survey, cases)
        truth["recovery"]["nps_after_case"] = recovery_nps_truth(
            after_case, _teams_of(ws, after_case["customer"].to_numpy(), people.n)
        )
        # the staff pulse answers just written change `responses`: the stored grid's
        # fingerprint must match them, or no analysis would trust the grid
        answer_grid.refresh(ws)
    (Path(directory) / TRUTH_FILE).write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return truth


def _teams_of(ws: Workspace, customers: np.ndarray, n: int) -> dict[int, str] | None:
    """The team written for each of ``customers`` (indices), or None without a team column."""
    r = ws.table("respondents")
    if "team" not in r.columns or customers.size == 0:
        return None
    ids = customer_ids(np.unique(customers), n)
    found = r.filter(r.respondent_id.isin(ids)).select("respondent_id", "team").execute()
    index = {cid: i for cid, i in zip(ids, np.unique(customers).tolist(), strict=True)}
    return {
        index[str(a)]: str(b) for a, b in zip(found["respondent_id"], found["team"], strict=True)
    }


def _set_currency(directory: Path) -> None:
    """Write ``[report] currency`` into a new workspace's settings; settings the user made
    already are theirs and stay as they are."""
    path = directory / SETTINGS_FILE
    if not path.exists():
        path.write_text(f'[report]\ncurrency = "{CURRENCY}"\n', encoding="utf-8")


def _check_empty(ws: Workspace) -> None:
    filled = {name: n for name in KEYS if (n := ws.count(name))}
    if filled:
        raise WorkspaceError(
            f"{ws.path}: already holds data {filled}; simulate into a new directory"
        )
    known = set(ws.taxonomy.touchpoint_ids)
    missing = sorted({it.touchpoint for it in ITEMS} - known)
    if missing:
        raise WorkspaceError(
            f"{ws.path}: taxonomy lacks the touchpoints {missing} the example company uses; "
            "simulate into a new directory (default taxonomy)"
        )
