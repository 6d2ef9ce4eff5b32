"""The JSON shapes of ``/api``: one schema per resource, and one error shape for every error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from realitygap.store import campaigns as store


class ProblemOut(BaseModel):
    """One problem of a request: the field, the value found, what was expected."""

    field: str
    value: str | int | float | None = None
    expected: str


class ErrorBody(BaseModel):
    code: str = Field(
        description="unauthorized, forbidden, not_found, conflict, "
        "invalid_request or invalid_submission"
    )
    message: str
    problems: list[ProblemOut] = []


class ErrorOut(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 409, 422)
}


class ItemOut(BaseModel):
    position: int
    page: int
    question_id: str
    mirror_id: str | None
    required: bool
    show_when: str | None


class CampaignOut(BaseModel):
    campaign_id: str
    name: str
    wave: str
    mirror: bool
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    languages: list[str]
    items: list[ItemOut]

    @classmethod
    def of(cls, row: store.CampaignRow, items: list[store.ItemRow]) -> CampaignOut:
        return cls(
            campaign_id=row.campaign_id,
            name=row.name,
            wave=row.wave,
            mirror=row.mirror,
            status=row.status,
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            languages=row.languages.split(","),
            items=[
                ItemOut(
                    position=i.position,
                    page=i.page,
                    question_id=i.question_id,
                    mirror_id=i.mirror_id,
                    required=i.required,
                    show_when=i.show_when,
                )
                for i in items
            ],
        )


class CampaignList(BaseModel):
    items: list[CampaignOut]
    total: int


class InvitationOut(BaseModel):
    """An invitation; its token is never shown (only its hash is stored)."""

    respondent_id: str
    kind: str
    wave: str
    invited_at: datetime | None
    page_reached: int
    responded_at: datetime | None

    @classmethod
    def of(cls, row: store.InvitationRow) -> InvitationOut:
        return cls(
            respondent_id=row.respondent_id,
            kind=row.kind,
            wave=row.wave,
            invited_at=row.invited_at,
            page_reached=row.page_reached,
            responded_at=row.responded_at,
        )


class InvitationPage(BaseModel):
    items: list[InvitationOut]
    total: int
    offset: int
    limit: int


class SubmissionIn(BaseModel):
    """Answers collected elsewhere (an in-app widget, a kiosk) for one respondent of the
    workspace: question id -> answer, checked as an import checks them."""

    respondent_id: str = Field(min_length=1)
    answers: dict[str, int | float | str]


class SubmissionOut(BaseModel):
    campaign_id: str
    respondent_id: str
    wave: str
    answers: int
