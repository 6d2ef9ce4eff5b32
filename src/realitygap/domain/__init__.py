"""The vocabulary of realitygap: scales, taxonomy, typed records and errors."""

from realitygap.domain.errors import (
    CaseError,
    Problem,
    RealityGapError,
    SurveyDataError,
    TaxonomyError,
    WorkspaceError,
)
from realitygap.domain.models import (
    Audience,
    Case,
    CaseStatus,
    Contact,
    ContactChannel,
    Document,
    Event,
    EventType,
    Question,
    Respondent,
    RespondentKind,
    Response,
    Role,
)
from realitygap.domain.scales import SCALES, Scale, ScaleKind, scale_for
from realitygap.domain.taxonomy import Layer, Sense, Taxonomy, Touchpoint, default_taxonomy

__all__ = [
    "SCALES",
    "Audience",
    "Case",
    "CaseError",
    "CaseStatus",
    "Contact",
    "ContactChannel",
    "Document",
    "Event",
    "EventType",
    "Layer",
    "Problem",
    "Question",
    "RealityGapError",
    "Respondent",
    "RespondentKind",
    "Response",
    "Role",
    "Scale",
    "ScaleKind",
    "Sense",
    "SurveyDataError",
    "Taxonomy",
    "TaxonomyError",
    "Touchpoint",
    "WorkspaceError",
    "default_taxonomy",
    "scale_for",
]
