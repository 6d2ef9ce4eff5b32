"""Pins the public API: a change here is a deliberate, reviewed change."""

import realitygap


def test_public_api_is_pinned() -> None:
    assert sorted(realitygap.__all__) == sorted(
        [
            "CaseError",
            "Problem",
            "RealityGapError",
            "SurveyDataError",
            "TaxonomyError",
            "Workspace",
            "WorkspaceError",
            "__version__",
        ]
    )


def test_data_errors_refine_valueerror() -> None:
    # DESIGN.md: domain errors also inherit the builtin they refine
    assert issubclass(realitygap.SurveyDataError, ValueError)
    assert issubclass(realitygap.SurveyDataError, realitygap.RealityGapError)
    assert issubclass(realitygap.TaxonomyError, ValueError)
    assert issubclass(realitygap.CaseError, ValueError)
