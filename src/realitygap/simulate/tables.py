"""Turn the simulated arrays into rows of the workspace tables (``store/schema.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from realitygap.simulate._common import WAVES
from realitygap.simulate.behaviour import EVENT_TYPES, Events
from realitygap.simulate.cases import STATUSES, TRIGGERS, Cases
from realitygap.simulate.company import COMMENT_QUESTION, questions_frame
from realitygap.simulate.customers import PLANS, REGIONS, SEGMENTS, TENURE_BANDS, Customers
from realitygap.simulate.staff import CONTACT_CHANNELS, ROLES, Contacts, MirrorSurvey, Staff
from realitygap.simulate.survey import CHANNELS, CustomerSurvey
from realitygap.simulate.text import Texts
from realitygap.simulate.write import (
    customer_id_sql,
    insert,
    labels,
    staff_id_sql,
    timestamp_sql,
)
from realitygap.store import answer_grid
from realitygap.store import write as store_write
from realitygap.store.schema import KEYS
from realitygap.store.workspace import Workspace
from realitygap.store.write import ensure_columns, insert_new

WAVE_NAMES = [w.name for w in WAVES]
EXTRA_COLUMNS = ["region", "plan", "tenure_band"]


def write_all(
    ws: Workspace,
    *,
    people: Customers,
    survey: CustomerSurvey,
    comments: tuple[np.ndarray, Texts],
    staff: Staff,
    mirror: MirrorSurvey,
    contacts: Contacts,
    events: Iterable[Events],
    cases: Cases,
    reviews: tuple[np.ndarray, np.ndarray, np.ndarray, Texts],
    tickets: tuple[Events, Texts],
    amend_comments: Callable[[Texts], Texts] | None = None,
) -> dict[str, int]:
    """Write every table; return rows written per table. The workspace must be empty (the
    simulator checks); if any write fails, every table written is emptied again, so the
    simulation lands whole or not at all.

    Not one transaction: DuckDB keeps a transaction's appended rows in memory until it commits
    (about 1 GB per million customers, unbounded by its ``memory_limit``), so each statement
    commits on its own and the failure path restores the empty workspace instead.

    ``events`` may be a generator: each chunk is written and dropped before the next is
    drawn, so memory holds one chunk. The complaints of ``tickets`` are written as events too.
    Responses are written a chunk of respondents at a time and the answer grid is built from
    the same chunks (:class:`answer_grid.GridBuilder`), so no step holds every answer.
    ``amend_comments`` is called on the comments once every event is written (the wow
    moments, planted from the events, add surprise mentions to them) and its result written.
    """
    n = people.n
    cid = customer_id_sql("c", n)
    ensure_columns(ws, "respondents", EXTRA_COLUMNS)
    rows: dict[str, int] = {}
    try:
        rows["questions"] = insert_new(ws, "questions", questions_frame())
        rows["respondents"] = _respondents(ws, people, staff, cid)
        rows["invitations"] = _invitations(ws, survey, mirror, cid)
        grid = answer_grid.GridBuilder(ws)  # the analyses' pivot of the answers, as an import
        rows["responses"] = _responses(ws, survey, mirror, cid, grid)
        grid.finish()
        complaints, ticket_text = tickets
        rows["events"] = 0
        for chunk in itertools.chain(events, [complaints]):
            rows["events"] += _events(ws, chunk, rows["events"], cid)
        if amend_comments is not None:
            comments = (comments[0], amend_comments(comments[1]))
        rows["documents"] = _documents(
            ws, survey, comments, reviews, (complaints, ticket_text), cid
        )
        rows["cases"] = _cases(ws, cases, cid)
        rows["contacts"] = insert(
            ws,
            "contacts",
            pd.DataFrame(
                {
                    "i": np.arange(len(contacts), dtype=np.int64),
                    "s": contacts.staff,
                    "c": contacts.customer,
                    "ch": labels(contacts.channel, CONTACT_CHANNELS),
                    "d": contacts.day,
                    "m": contacts.minutes,
                }
            ),
            {
                "contact_id": "printf('T%07d', i + 1)",
                "staff_id": staff_id_sql("s"),
                "customer_id": f"CASE WHEN c >= 0 THEN {cid} END",
                "channel": "ch",
                "occurred_at": timestamp_sql("d"),
                "minutes": "m",
            },
        )
    except BaseException:
        _clear(ws)
        raise
    return rows


def _clear(ws: Workspace) -> None:
    """Empty every table the simulator writes (they were empty before it started)."""
    with ws.transaction():
        store_write.delete_all(ws, *KEYS)
        store_write.drop_tables(ws, answer_grid.GRID_TABLE, answer_grid.META_TABLE, CHUNK_TABLE)


def _events(ws: Workspace, events: Events, first: int, cid: str) -> int:
    """Write one chunk of events; ids continue from ``first``."""
    return insert(
        ws,
        "events",
        pd.DataFrame(
            {
                "i": np.arange(first, first + len(events), dtype=np.int64),
                "c": events.customer,
                "t": labels(events.type, EVENT_TYPES),
                "d": events.day,
                "a": events.amount,
            }
        ),
        {
            "event_id": "printf('E%09d', i + 1)",
            "customer_id": cid,
            "type": "t",
            "occurred_at": timestamp_sql("d"),
            "amount": "a",
        },
    )


def _respondents(ws: Workspace, people: Customers, staff: Staff, cid: str) -> int:
    customers = pd.DataFrame(
        {
            "c": np.arange(people.n, dtype=np.int32),
            "segment": labels(people.segment, SEGMENTS),
            "region": labels(people.region, REGIONS),
            "plan": labels(people.plan, PLANS),
            "tenure_band": labels(people.tenure, TENURE_BANDS),
        }
    )
    count = insert(
        ws,
        "respondents",
        customers,
        {
            "respondent_id": cid,
            "kind": "'customer'",
            "segment": "segment",
            "region": "region",
            "plan": "plan",
            "tenure_band": "tenure_band",
        },
    )
    roster = pd.DataFrame(
        {
            "s": np.arange(staff.n, dtype=np.int32),
            "role": labels(staff.role, ROLES),
            "department": staff.department.astype(str),
        }
    )
    count += insert(
        ws,
        "respondents",
        roster,
        {
            "respondent_id": staff_id_sql("s"),
            "kind": "'staff'",
            "role": "role",
            "department": "department",
        },
    )
    return count


def _invitations(ws: Workspace, survey: CustomerSurvey, mirror: MirrorSurvey, cid: str) -> int:
    count = insert(
        ws,
        "invitations",
        pd.DataFrame(
            {
                "c": survey.inv_customer,
                "w": labels(survey.inv_wave, WAVE_NAMES),
                "d": survey.inv_day,
                "ch": labels(survey.inv_channel, CHANNELS),
            }
        ),
        {"respondent_id": cid, "wave": "w", "invited_at": timestamp_sql("d"), "channel": "ch"},
    )
    count += insert(
        ws,
        "invitations",
        pd.DataFrame(
            {
                "s": mirror.inv_staff,
                "w": labels(mirror.inv_wave, WAVE_NAMES),
                "d": mirror.inv_day,
            }
        ),
        {
            "respondent_id": staff_id_sql("s"),
            "wave": "w",
            "invited_at": timestamp_sql("d"),
            "channel": "'email'",
        },
    )
    return count


RESPONDENT_CHUNK = 100_000  # respondents whose answers are written (and pivoted) at a time
CHUNK_TABLE = "_rg_sim_answers"


def _long(answers: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Wide answers (-1 = missing) -> long (respondent row, question code, value)."""
    qids = list(answers)
    rows, codes, values = [], [], []
    for code, qid in enumerate(qids):
        given = np.flatnonzero(answers[qid] >= 0)
        rows.append(given)
        codes.append(np.full(given.size, code, dtype=np.int32))
        values.append(answers[qid][given])
    row = np.concatenate(rows)
    # Respondent order: each respondent's answers together, which also compresses better.
    order = np.argsort(row, kind="stable")
    return row[order], np.concatenate(codes)[order], np.concatenate(values)[order], qids


def _responses(
    ws: Workspace,
    survey: CustomerSurvey,
    mirror: MirrorSurvey,
    cid: str,
    grid: answer_grid.GridBuilder,
) -> int:
    """Write the answers a chunk of respondents at a time, each chunk into a temporary table
    first (the responses' own column types, so the grid's fingerprint hashes what is stored),
    then into ``responses`` and the grid."""
    count = 0
    customer_select = {
        "respondent_id": cid,
        "question_id": "q",
        "wave": "w",
        "value": "v",
        "submitted_at": timestamp_sql("d"),
        "channel": "ch",
    }
    try:
        for start in range(0, survey.resp_customer.size, RESPONDENT_CHUNK):
            block = slice(start, start + RESPONDENT_CHUNK)
            row, code, value, qids = _long({q: a[block] for q, a in survey.answers.items()})
            row += start
            frame = pd.DataFrame(
                {
                    "c": survey.resp_customer[row],
                    "q": labels(code, qids),
                    "w": labels(survey.resp_wave[row], WAVE_NAMES),
                    "v": value.astype(np.float64),
                    "d": survey.resp_day[row],
                    "ch": labels(survey.resp_channel[row], CHANNELS),
                }
            )
            count += _answers_chunk(ws, frame, customer_select, grid)
        row, code, value, qids = _long(mirror.answers)
        frame = pd.DataFrame(
            {
                "s": mirror.resp_staff[row],
                "q": labels(code, qids),
                "w": labels(mirror.resp_wave[row], WAVE_NAMES),
                "v": value.astype(np.float64),
                "d": mirror.resp_day[row],
            }
        )
        staff_select = {
            "respondent_id": staff_id_sql("s"),
            "question_id": "q",
            "wave": "w",
            "value": "v",
            "submitted_at": timestamp_sql("d"),
            "channel": "'web'",
        }
        count += _answers_chunk(ws, frame, staff_select, grid)
    finally:
        store_write.drop_tables(ws, CHUNK_TABLE)
    return count


def _answers_chunk(
    ws: Workspace,
    frame: pd.DataFrame,
    select: dict[str, str],
    grid: answer_grid.GridBuilder,
) -> int:
    # a fresh table per chunk: rows deleted from a temporary table keep their memory
    store_write.empty_temp_copy(ws, CHUNK_TABLE, "responses")
    count = insert(ws, CHUNK_TABLE, frame, select)
    store_write.copy_rows(ws, CHUNK_TABLE, "responses")
    grid.add(CHUNK_TABLE)
    return count


def _documents(
    ws: Workspace,
    survey: CustomerSurvey,
    comments: tuple[np.ndarray, Texts],
    reviews: tuple[np.ndarray, np.ndarray, np.ndarray, Texts],
    tickets: tuple[Events, Texts],
    cid: str,
) -> int:
    comment_rows, comment_text = comments
    reviewers, review_day, review_rating, review_text = reviews
    complaints, ticket_text = tickets
    nps = survey.nps[comment_rows].astype(np.float64)
    no_wave = np.full(len(review_text), -1)
    parts = [
        (
            "survey",
            comment_text,
            survey.resp_customer[comment_rows],
            np.where(nps >= 0, nps, np.nan),
            survey.resp_day[comment_rows],
            COMMENT_QUESTION,
            survey.resp_wave[comment_rows],
        ),
        ("review", review_text, reviewers, review_rating, review_day, None, no_wave),
        (
            "ticket",
            ticket_text,
            complaints.customer,
            np.full(len(complaints), np.nan),
            complaints.day,
            None,
            np.full(len(complaints), -1),
        ),
    ]
    count = 0
    for source, texts, customer, rating, day, question, wave in parts:
        frame = pd.DataFrame(
            {
                "i": np.arange(count, count + len(texts), dtype=np.int64),
                "txt": texts.text,
                "c": np.asarray(customer, dtype=np.int64),
                "r": np.asarray(rating, dtype=np.float64),
                "d": day,
                "w": labels(wave, WAVE_NAMES),
            }
        )
        count += insert(
            ws,
            "documents",
            frame,
            {
                "document_id": "printf('D%08d', i + 1)",
                "source": f"'{source}'",
                "text": "txt",
                "customer_id": cid,
                "rating": "r",
                "created_at": timestamp_sql("d"),
                "question_id": f"'{question}'" if question else "CAST(NULL AS VARCHAR)",
                "wave": "w",
            },
        )
    return count


def _cases(ws: Workspace, cases: Cases, cid: str) -> int:
    frame = pd.DataFrame(
        {
            "c": cases.customer,
            "tr": labels(cases.trigger, TRIGGERS),
            "tp": cases.touchpoint.astype(str),
            "ow": cases.owner,
            "st": labels(cases.status, STATUSES),
            "o": cases.opened_day,
            "due": cases.due_day,
            "fc": cases.contact_day,
            "rs": cases.resolved_day,
            "res": cases.resolution,
            "rr": cases.rating,
        }
    ).sort_values("o", kind="stable")
    frame["i"] = np.arange(len(frame), dtype=np.int64)
    return insert(
        ws,
        "cases",
        frame,
        {
            "case_id": "printf('K%07d', i + 1)",
            "customer_id": cid,
            "trigger": "tr",
            "touchpoint": "tp",
            "owner": "ow",
            "status": "st",
            "opened_at": timestamp_sql("o"),
            "due_at": timestamp_sql("due"),
            "first_contact_at": timestamp_sql("fc"),
            "resolved_at": timestamp_sql("rs"),
            "resolution": "res",
            "recovery_rating": "rr",
        },
    )
