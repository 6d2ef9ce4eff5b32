"""realitygap: the truth about a company's customer experience, from both sides.

The public API is what this module exports, and the analyses in :mod:`realitygap.analysis`;
``tests/test_public_api.py`` pins both. ``Workspace``
is imported on first use, so that worker processes which only tag or embed text start without
loading the workspace engine.
"""

from __future__ import annotations

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
    from realitygap.store.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "CaseError",
    "Problem",
    "RealityGapError",
    "SurveyDataError",
    "TaxonomyError",
    "Workspace",
    "WorkspaceError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from realitygap.store.workspace import Workspace

        return Workspace
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
