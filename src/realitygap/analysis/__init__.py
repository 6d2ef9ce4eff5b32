"""realitygap's public analysis API: one function per family, each returning a frozen result
with ``.to_frame()``, ``.to_dict()`` and a plain-text ``str()``, and :func:`reality_check`,
which runs them all once and derives the findings the report prints.

Every estimate is an :class:`Estimate` (value, low, high, n, method, confidence); below
``min_n`` answers it holds no number and reads "insufficient data". A bad argument raises
:class:`realitygap.ArgumentError` (a ``ValueError``) naming the parameter.

Names are imported on first use (see :class:`_PublicAPI`), so ``import realitygap.analysis``
is cheap and worker processes that need one module do not load the others. ``docs/python.md``
walks through every family with DataFrames.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realitygap.analysis._activity import Windows
    from realitygap.analysis._options import (
        INSUFFICIENT,
        METHODS,
        MIN_N,
        MISSING_CHOICES,
        NPS_METHODS,
        TRIGGERS,
        Method,
        Missing,
    )
    from realitygap.analysis._result import Estimate, Result, plain
    from realitygap.analysis._stats import Difference
    from realitygap.analysis.audit import (
        AuditResult,
        BlockReliability,
        ItemAudit,
        NonResponse,
        audit,
    )
    from realitygap.analysis.behaviour import BehaviourResult, SurvivalGroup, behaviour
    from realitygap.analysis.drivers import Driver, DriversResult, PriorityGap, drivers
    from realitygap.analysis.fieldwork import (
        CampaignResponse,
        ResponseRates,
        WaveResponse,
        response_rates,
    )
    from realitygap.analysis.findings import Evidence, Finding
    from realitygap.analysis.gap import GapHeadline, GapResult, GapRow, StaffOffset, gap
    from realitygap.analysis.journey import JourneyCell, JourneyResult, journey
    from realitygap.analysis.kano import (
        KANO_CATEGORIES,
        KanoDrift,
        KanoFeature,
        KanoResult,
        WowTrend,
        kano,
    )
    from realitygap.analysis.listening import (
        ErrorBand,
        ListeningGroup,
        ListeningResult,
        listening,
    )
    from realitygap.analysis.metrics import Change, Metric, MetricsResult, metrics
    from realitygap.analysis.people import PeopleResult, Team, people
    from realitygap.analysis.reality_check import RealityCheck, reality_check
    from realitygap.analysis.recovery import (
        RecoveryGroup,
        RecoveryResult,
        ServiceLevel,
        recovery,
    )
    from realitygap.analysis.senses import SensesResult, TouchpointSense, touchpoint_senses
    from realitygap.analysis.skills import AttitudeChurn, SkillRow, SkillsResult, skills
    from realitygap.analysis.text.tagger import TextPath
    from realitygap.analysis.text.themes import Theme, ThemesResult, discover_themes
    from realitygap.analysis.weighting import Margins, Raking, rake, read_margins
    from realitygap.analysis.wow import Fade, Lift, WowMoment, WowResult, wow

_MODULE_OF = {
    # the composite
    "reality_check": "reality_check",
    "RealityCheck": "reality_check",
    "Finding": "findings",
    "Evidence": "findings",
    # estimates
    "Estimate": "_result",
    "Result": "_result",
    "MIN_N": "_options",
    "INSUFFICIENT": "_options",
    "plain": "_result",
    "Difference": "_stats",
    "NPS_METHODS": "_options",
    # metrics and weighting
    "metrics": "metrics",
    "MetricsResult": "metrics",
    "Metric": "metrics",
    "Change": "metrics",
    "rake": "weighting",
    "read_margins": "weighting",
    "Margins": "weighting",
    "Raking": "weighting",
    "response_rates": "fieldwork",
    "ResponseRates": "fieldwork",
    "WaveResponse": "fieldwork",
    "CampaignResponse": "fieldwork",
    # the perception gap
    "gap": "gap",
    "GapResult": "gap",
    "GapRow": "gap",
    "GapHeadline": "gap",
    "StaffOffset": "gap",
    # the survey audit
    "audit": "audit",
    "AuditResult": "audit",
    "ItemAudit": "audit",
    "BlockReliability": "audit",
    "NonResponse": "audit",
    # drivers
    "drivers": "drivers",
    "DriversResult": "drivers",
    "Driver": "drivers",
    "PriorityGap": "drivers",
    "Method": "_options",
    "METHODS": "_options",
    "Missing": "_options",
    "MISSING_CHOICES": "_options",
    "TRIGGERS": "_options",
    # stated vs revealed loyalty
    "behaviour": "behaviour",
    "BehaviourResult": "behaviour",
    "SurvivalGroup": "behaviour",
    "Windows": "_activity",
    # what customers say
    "discover_themes": "text.themes",
    "ThemesResult": "text.themes",
    "Theme": "text.themes",
    "TextPath": "text.tagger",
    "touchpoint_senses": "senses",
    "SensesResult": "senses",
    "TouchpointSense": "senses",
    # expectations, the closed loop, listening
    "kano": "kano",
    "KANO_CATEGORIES": "kano",
    "KanoResult": "kano",
    "KanoFeature": "kano",
    "KanoDrift": "kano",
    "WowTrend": "kano",
    "recovery": "recovery",
    "RecoveryResult": "recovery",
    "RecoveryGroup": "recovery",
    "ServiceLevel": "recovery",
    "listening": "listening",
    "ListeningResult": "listening",
    "ListeningGroup": "listening",
    "ErrorBand": "listening",
    # the journey map, wow moments, staff and customers
    "journey": "journey",
    "JourneyResult": "journey",
    "JourneyCell": "journey",
    "wow": "wow",
    "WowResult": "wow",
    "WowMoment": "wow",
    "Lift": "wow",
    "Fade": "wow",
    "people": "people",
    "PeopleResult": "people",
    "Team": "people",
    "skills": "skills",
    "SkillsResult": "skills",
    "SkillRow": "skills",
    "AttitudeChurn": "skills",
}

__all__ = [
    "INSUFFICIENT",
    "KANO_CATEGORIES",
    "METHODS",
    "MIN_N",
    "MISSING_CHOICES",
    "NPS_METHODS",
    "TRIGGERS",
    "AttitudeChurn",
    "AuditResult",
    "BehaviourResult",
    "BlockReliability",
    "CampaignResponse",
    "Change",
    "Difference",
    "Driver",
    "DriversResult",
    "ErrorBand",
    "Estimate",
    "Evidence",
    "Fade",
    "Finding",
    "GapHeadline",
    "GapResult",
    "GapRow",
    "ItemAudit",
    "JourneyCell",
    "JourneyResult",
    "KanoDrift",
    "KanoFeature",
    "KanoResult",
    "Lift",
    "ListeningGroup",
    "ListeningResult",
    "Margins",
    "Method",
    "Metric",
    "MetricsResult",
    "Missing",
    "NonResponse",
    "PeopleResult",
    "PriorityGap",
    "Raking",
    "RealityCheck",
    "RecoveryGroup",
    "RecoveryResult",
    "ResponseRates",
    "Result",
    "SensesResult",
    "ServiceLevel",
    "SkillRow",
    "SkillsResult",
    "StaffOffset",
    "SurvivalGroup",
    "Team",
    "TextPath",
    "Theme",
    "ThemesResult",
    "TouchpointSense",
    "WaveResponse",
    "Windows",
    "WowMoment",
    "WowResult",
    "WowTrend",
    "audit",
    "behaviour",
    "discover_themes",
    "drivers",
    "gap",
    "journey",
    "kano",
    "listening",
    "metrics",
    "people",
    "plain",
    "rake",
    "read_margins",
    "reality_check",
    "recovery",
    "response_rates",
    "skills",
    "touchpoint_senses",
    "wow",
]


_resolved: dict[str, Any] = {}


def _public(name: str) -> Any:
    if name not in _resolved:
        module = importlib.import_module(f"{__name__}.{_MODULE_OF[name]}")
        _resolved[name] = getattr(module, name)
    return _resolved[name]


class _PublicAPI(types.ModuleType):
    """This package as a module whose public names always mean the API: several submodules
    share their function's name (``gap``, ``metrics``, ...), and importing a submodule binds
    its name on the package to the module; here the function wins."""

    def __getattribute__(self, name: str) -> Any:
        if name in _MODULE_OF:
            return _public(name)
        return super().__getattribute__(name)

    def __dir__(self) -> list[str]:
        return list(__all__)


sys.modules[__name__].__class__ = _PublicAPI
