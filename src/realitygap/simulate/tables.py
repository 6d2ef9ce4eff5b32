"""Turn the simulated arrays into rows of the workspace tables (``store/schema.py``)."""

from __future__ import annotations

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
    events: Events,
    cases: Cases,
    reviews: tuple[np.ndarray, np.ndarray, np.ndarray, Texts],
    tickets: tuple[np.ndarray, Texts],
) -> dict[str, int]:
    """Write every table in one transaction; return rows written per table."""
    n = people.n
    cid = customer_id_sql("c", n)
    ensure_columns(ws, "respondents", EXTRA_COLUMNS)
    rows: dict[str, int] = {}
    with ws.transaction():
        rows["questions"] = insert_new(ws, "questions", questions_frame())
        rows["respondents"] = _respondents(ws, people, staff, cid)
        rows["invitations"] = _invitations(ws, survey, mirror, cid)
        rows["responses"] = _responses(ws, survey, mirror, cid)
        rows["events"] = insert(
            ws,
            "events",
            pd.DataFrame(
                {
                    "i": np.arange(len(events), dtype=np.int64),
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
        rows["documents"] = _documents(ws, survey, comments, reviews, tickets, events, cid)
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
        answer_grid.refresh(ws)  # the analyses' pivot of the answers, as an import builds it
    return rows


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


def _responses(ws: Workspace, survey: CustomerSurvey, mirror: MirrorSurvey, cid: str) -> int:
    row, code, value, qids = _long(survey.answers)
    count = insert(
        ws,
        "responses",
        pd.DataFrame(
            {
                "c": survey.resp_customer[row],
                "q": labels(code, qids),
                "w": labels(survey.resp_wave[row], WAVE_NAMES),
                "v": value.astype(np.float64),
                "d": survey.resp_day[row],
                "ch": labels(survey.resp_channel[row], CHANNELS),
            }
        ),
        {
            "respondent_id": cid,
            "question_id": "q",
            "wave": "w",
            "value": "v",
            "submitted_at": timestamp_sql("d"),
            "channel": "ch",
        },
    )
    row, code, value, qids = _long(mirror.answers)
    count += insert(
        ws,
        "responses",
        pd.DataFrame(
            {
                "s": mirror.resp_staff[row],
                "q": labels(code, qids),
                "w": labels(mirror.resp_wave[row], WAVE_NAMES),
                "v": value.astype(np.float64),
                "d": mirror.resp_day[row],
            }
        ),
        {
            "respondent_id": staff_id_sql("s"),
            "question_id": "q",
            "wave": "w",
            "value": "v",
            "submitted_at": timestamp_sql("d"),
            "channel": "'web'",
        },
    )
    return count


def _documents(
    ws: Workspace,
    survey: CustomerSurvey,
    comments: tuple[np.ndarray, Texts],
    reviews: tuple[np.ndarray, np.ndarray, np.ndarray, Texts],
    tickets: tuple[np.ndarray, Texts],
    events: Events,
    cid: str,
) -> int:
    comment_rows, comment_text = comments
    reviewers, review_day, review_rating, review_text = reviews
    complaint, ticket_text = tickets
    nps = survey.nps[comment_rows].astype(np.float64)
    parts = [
        pd.DataFrame(
            {
                "src": "survey",
                "txt": comment_text.text,
                "c": survey.resp_customer[comment_rows],
                "r": np.where(nps >= 0, nps, np.nan),
                "d": survey.resp_day[comment_rows],
                "q": COMMENT_QUESTION,
                "w": np.array(WAVE_NAMES, dtype=object)[survey.resp_wave[comment_rows]],
            }
        ),
        pd.DataFrame(
            {
                "src": "review",
                "txt": review_text.text,
                "c": reviewers,
                "r": review_rating,
                "d": review_day,
                "q": None,
                "w": None,
            }
        ),
        pd.DataFrame(
            {
                "src": "ticket",
                "txt": ticket_text.text,
                "c": events.customer[complaint],
                "r": np.nan,
                "d": events.day[complaint],
                "q": None,
                "w": None,
            }
        ),
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame["c"] = frame["c"].astype(np.int64)
    frame["i"] = np.arange(len(frame), dtype=np.int64)
    return insert(
        ws,
        "documents",
        frame,
        {
            "document_id": "printf('D%08d', i + 1)",
            "source": "src",
            "text": "txt",
            "customer_id": cid,
            "rating": "r",
            "created_at": timestamp_sql("d"),
            "question_id": "q",
            "wave": "w",
        },
    )


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
