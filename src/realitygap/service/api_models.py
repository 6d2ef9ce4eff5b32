"""The JSON shapes of ``/api``: one schema per resource, and one error shape for every error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from realitygap.store import campaigns as store

# The workspace stores naive UTC timestamps; the API writes them as RFC 3339 date-times with
# their offset ("2026-03-01T09:00:00Z"), as OpenAPI's format date-time requires (schemathesis
# found the bare form).
UtcTime = Annotated[
    datetime,
    PlainSerializer(
        lambda t: t.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        return_type=str,
        when_used="json",
    ),
]


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
    opens_at: UtcTime | None
    closes_at: UtcTime | None
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
    invited_at: UtcTime | None
    page_reached: int
    responded_at: UtcTime | None

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
    workspace: question id -> answer, checked as an import checks them. A field of another
    name is refused (a misspelt ``answer`` would otherwise be dropped silently)."""

    model_config = ConfigDict(extra="forbid")

    respondent_id: str = Field(min_length=1)
    answers: dict[str, int | float | str]


class SubmissionOut(BaseModel):
    campaign_id: str
    respondent_id: str
    wave: str
    answers: int
