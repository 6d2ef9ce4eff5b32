"""Comparing results that come from parallel floating-point sums.

DuckDB adds a weighted column in thread-sized chunks whose order varies between runs, so two
calls of the same weighted analysis can differ in the last bit (0.375745339520723 against
0.3757453395207229 on a fresh clone). Unweighted sums add 1.0s and integers and stay exact.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

REL = 1e-12  # far above a last-bit difference (2e-16), far below any printed figure


def assert_same_values(ours: Any, theirs: Any, path: str = "result") -> None:
    """Assert two results are equal field by field, floats to ``REL`` relative tolerance."""
    if dataclasses.is_dataclass(ours) and not isinstance(ours, type):
        assert type(ours) is type(theirs), f"{path}: {type(ours)} != {type(theirs)}"
        for field in dataclasses.fields(ours):
            assert_same_values(
                getattr(ours, field.name), getattr(theirs, field.name), f"{path}.{field.name}"
            )
    elif isinstance(ours, float) and isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=REL, abs_tol=1e-300) or (
            math.isnan(ours) and math.isnan(theirs)
        ), f"{path}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"
