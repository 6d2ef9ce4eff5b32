"""The allowed values of the analyses' options, importable without loading the engine (the
CLI's help text and argument checks read them before any analysis runs)."""

from __future__ import annotations

from typing import Literal

MIN_N = 30  # default guardrail: fewer answers than this give "insufficient data"
INSUFFICIENT = "insufficient data"

NPS_METHODS = ("score", "adjusted-wald", "wald", "bootstrap")
DEFAULT_NPS_METHOD = "score"

Method = Literal["shapley", "relweights"]
METHODS: tuple[Method, ...] = ("shapley", "relweights")

Missing = Literal["listwise", "pairwise"]
MISSING_CHOICES: tuple[Missing, ...] = ("listwise", "pairwise")

# The rules that open a follow-up case (realitygap.actions.cases).
TRIGGERS = ("detractor", "staff_attitude", "silent_attrition")
