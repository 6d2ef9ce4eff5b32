"""The vocabulary of realitygap: scales, taxonomy, typed records and errors.

The errors load with the package; the records (pydantic), scales and taxonomy on first use, so
that a CLI command that needs none of them (``realitygap --help``, ``info``) starts without
pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from realitygap.domain.errors import (
    ArgumentError,
    CaseError,
    Problem,
    RealityGapError,
    SurveyDataError,
    TaxonomyError,
    WorkspaceError,
)

if TYPE_CHECKING:
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

_MODULE_OF = {
    "Audience": "models",
    "Case": "models",
    "CaseStatus": "models",
    "Contact": "models",
    "ContactChannel": "models",
    "Document": "models",
    "Event": "models",
    "EventType": "models",
    "Layer": "taxonomy",
    "Question": "models",
    "Respondent": "models",
    "RespondentKind": "models",
    "Response": "models",
    "Role": "models",
    "SCALES": "scales",
    "Scale": "scales",
    "ScaleKind": "scales",
    "Sense": "taxonomy",
    "Taxonomy": "taxonomy",
    "Touchpoint": "taxonomy",
    "default_taxonomy": "taxonomy",
    "scale_for": "scales",
}

__all__ = [
    "SCALES",
    "ArgumentError",
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


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
