"""The vocabulary of realitygap as typed, frozen records.

These are the shapes of the workspace tables (one record = one row). Analyses work on the
tables through Ibis, not on lists of these records; the records document the columns, serve
small programmatic use (creating a case from code) and are what the web layer will validate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from realitygap.domain.scales import ScaleKind
from realitygap.domain.taxonomy import Layer


class Audience(StrEnum):
    CUSTOMER = "customer"
    MIRROR = "mirror"  # staff predicting how customers will answer
    STAFF = "staff"  # staff about their own work (a pulse survey: engagement items)


class RespondentKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class Role(StrEnum):
    EXECUTIVE = "executive"
    MANAGER = "manager"
    FRONTLINE = "frontline"


class EventType(StrEnum):
    PURCHASE = "purchase"
    RENEWAL = "renewal"
    CANCELLATION = "cancellation"
    COMPLAINT = "complaint"
    CONTACT = "contact"
    WOW = "wow"  # a wow moment the customer met; ``name`` says which


class CaseStatus(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The closed loop: a case is contacted before it is resolved; a resolved case may be reopened
# (back to contacted) if the customer is not satisfied; closed is final.
CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.CONTACTED, CaseStatus.CLOSED}),
    CaseStatus.CONTACTED: frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.CONTACTED}),
    CaseStatus.CLOSED: frozenset(),
}


class ContactChannel(StrEnum):
    CALL = "call"
    VISIT = "visit"
    FEEDBACK = "feedback"  # reading customer feedback
    MEETING = "meeting"


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str
    scale: ScaleKind
    audience: Audience
    touchpoint: str | None = None
    layer: Layer | None = None
    mirrors: str | None = None  # for a mirror question: the customer question it predicts
    feature: str | None = None  # Kano pairs: the feature both halves ask about
    block: str | None = None  # item battery, for internal consistency


@dataclass(frozen=True)
class Respondent:
    respondent_id: str
    kind: RespondentKind
    role: Role | None = None  # staff only
    department: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class Response:
    respondent_id: str
    question_id: str
    value: float
    wave: str
    submitted_at: datetime | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Document:
    document_id: str
    source: str  # survey, review, ticket, chat ...
    text: str
    customer_id: str | None = None
    rating: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    event_id: str
    customer_id: str
    type: EventType
    occurred_at: datetime
    amount: float | None = None
    name: str | None = None  # wow moments: which moment
    touchpoint: str | None = None  # wow moments: where the customer met it
    detail: str | None = None


@dataclass(frozen=True)
class Case:
    case_id: str
    customer_id: str
    trigger: str  # detractor, staff_attitude, silent_attrition, manual
    status: CaseStatus
    opened_at: datetime
    due_at: datetime
    owner: str | None = None  # owner department (from the touchpoint) or a person
    touchpoint: str | None = None
    first_contact_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    recovery_rating: float | None = None  # follow-up rating 0-10 after resolution


@dataclass(frozen=True)
class Contact:
    contact_id: str
    staff_id: str
    channel: ContactChannel
    occurred_at: datetime
    customer_id: str | None = None
    minutes: float | None = None
