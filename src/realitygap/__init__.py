"""realitygap: the truth about a company's customer experience, from both sides.

The public API is what this module exports; ``tests/test_public_api.py`` pins it.
"""

from realitygap.domain.errors import (
    CaseError,
    Problem,
    RealityGapError,
    SurveyDataError,
    TaxonomyError,
    WorkspaceError,
)
from realitygap.store.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "CaseError",
    "Problem",
    "RealityGapError",
    "SurveyDataError",
    "TaxonomyError",
    "Workspace",
    "WorkspaceError",
    "__version__",
]
