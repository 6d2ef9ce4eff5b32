"""Analyses: one module per family. Each is a function from workspace tables to a frozen
result with ``.to_frame()``, ``.to_dict()`` and a plain-text rendering."""

from realitygap.analysis._result import INSUFFICIENT, MIN_N, Estimate, Result

__all__ = ["INSUFFICIENT", "MIN_N", "Estimate", "Result"]
