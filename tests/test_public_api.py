"""Pins the public API: a change here is a deliberate, reviewed change."""

import ast
import re
from pathlib import Path

import pytest

import realitygap
import realitygap.analysis

SRC = Path(__file__).resolve().parents[1] / "src" / "realitygap"

ANALYSIS_API = [
    # the composite Reality Check and its findings
    "reality_check", "RealityCheck", "Finding", "Evidence",
    # estimates
    "Estimate", "Result", "Difference", "MIN_N", "INSUFFICIENT", "NPS_METHODS", "plain",
    # metrics, weighting, fieldwork
    "metrics", "MetricsResult", "Metric", "Change",
    "rake", "read_margins", "Margins", "Raking",
    "response_rates", "ResponseRates", "WaveResponse", "CampaignResponse",
    # the perception gap
    "gap", "GapResult", "GapRow", "GapHeadline", "StaffOffset",
    # the survey audit
    "audit", "AuditResult", "ItemAudit", "BlockReliability", "NonResponse",
    # drivers
    "drivers", "DriversResult", "Driver", "PriorityGap", "Method", "METHODS", "Missing",
    "MISSING_CHOICES",
    # stated vs revealed loyalty
    "behaviour", "BehaviourResult", "SurvivalGroup", "Windows",
    # what customers say
    "discover_themes", "ThemesResult", "Theme", "TextPath",
    "touchpoint_senses", "SensesResult", "TouchpointSense",
    # expectations, the closed loop, listening
    "kano", "KanoResult", "KanoFeature", "KanoDrift", "WowTrend", "KANO_CATEGORIES",
    "recovery", "RecoveryResult", "RecoveryGroup", "ServiceLevel", "TRIGGERS",
    "listening", "ListeningResult", "ListeningGroup", "ErrorBand",
    # the journey map, wow moments, staff and customers
    "journey", "JourneyResult", "JourneyCell",
    "wow", "WowResult", "WowMoment", "Lift", "Fade",
    "people", "PeopleResult", "Team",
    # frontline skills from the customer's voice
    "skills", "SkillsResult", "SkillRow", "AttitudeChurn",
]  # fmt: skip


def test_public_api_is_pinned() -> None:
    assert sorted(realitygap.__all__) == sorted(
        [
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
    )


def test_analysis_api_is_pinned_and_every_name_resolves() -> None:
    assert sorted(realitygap.analysis.__all__) == sorted(ANALYSIS_API)
    for name in ANALYSIS_API:
        assert getattr(realitygap.analysis, name) is not None


def test_family_functions_win_over_their_submodules() -> None:
    # importing a submodule binds its name on the package; the API name must stay the function
    import realitygap.analysis.gap
    import realitygap.analysis.metrics

    assert callable(realitygap.analysis.gap) and realitygap.analysis.gap.__name__ == "gap"
    assert realitygap.analysis.metrics.__module__ == "realitygap.analysis.metrics"


def test_data_errors_refine_valueerror() -> None:
    # DESIGN.md: domain errors also inherit the builtin they refine
    assert issubclass(realitygap.SurveyDataError, ValueError)
    assert issubclass(realitygap.SurveyDataError, realitygap.RealityGapError)
    assert issubclass(realitygap.TaxonomyError, ValueError)
    assert issubclass(realitygap.CaseError, ValueError)
    assert issubclass(realitygap.ArgumentError, ValueError)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


@pytest.mark.parametrize("layer", ["report", "cli"])
def test_renderers_use_only_the_public_analysis_api(layer: str) -> None:
    # DESIGN.md: the report, the CLI and the web render results of realitygap.analysis and
    # never reach into its private modules or the raw database connection
    offenders = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for module in _imports(path):
            if module.startswith("realitygap.analysis.") and any(
                part.startswith("_") for part in module.split(".")[2:]
            ):
                offenders.append(f"{path.name}: {module}")
            if module == "duckdb" or module.startswith("duckdb."):
                offenders.append(f"{path.name}: {module}")
        if ".con." in path.read_text(encoding="utf-8"):
            offenders.append(f"{path.name}: uses the raw connection (.con)")
    assert offenders == []


def test_report_never_runs_an_analysis() -> None:
    # the report renders the composite result; only reality_check() runs the analyses
    family_functions = {n for n in ANALYSIS_API if n[0].islower() and n != "reality_check"}
    offenders = []
    for path in sorted((SRC / "report").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "realitygap.analysis":
                offenders.extend(
                    f"{path.name}: {a.name}" for a in node.names if a.name in family_functions
                )
    assert offenders == []


def _workspace_writes() -> re.Pattern[str]:
    """Statements that change a table of the workspace schema (temporary tables an analysis
    makes for itself are not the workspace's)."""
    from realitygap.store.schema import MIGRATIONS

    tables = {
        m.group(1)
        for statements in MIGRATIONS
        for statement in statements
        if isinstance(statement, str)
        if (m := re.match(r"\s*CREATE TABLE (\w+)", statement))
    }
    assert {"cases", "documents", "responses"} <= tables
    names = "|".join(sorted(tables))
    return re.compile(
        rf"insert_new\(|\.transaction\(|(?:INSERT INTO|UPDATE|DELETE FROM)\s+({names})\b",
        re.IGNORECASE,
    )


def test_analyses_never_write() -> None:
    # DESIGN.md: an analysis reads and returns; actions (realitygap.actions) change the workspace
    writes = _workspace_writes()
    # the check sees a real write and lets a temporary table of the analysis's own through
    assert writes.search('con.execute("INSERT INTO cases SELECT ...")')
    assert not writes.search('con.execute(f"INSERT INTO {table} SELECT ...")')
    offenders = []
    for path in sorted((SRC / "analysis").rglob("*.py")):
        found = writes.search(path.read_text(encoding="utf-8"))
        if found:
            offenders.append(f"{path.name}: {found.group(0)}")
    assert offenders == []
