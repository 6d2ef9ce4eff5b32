"""Results are values: nothing a caller does to what it reads changes what a later call reads."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis import Result, reality_check
from realitygap.analysis._result import Values
from realitygap.store import Workspace

FAMILIES = (
    "fieldwork", "gap", "nps", "audit", "drivers", "behaviour", "kano", "recovery", "listening",
    "skills",
)  # fmt: skip


@pytest.fixture(scope="module")
def check(company: tuple[Workspace, dict[str, Any]]) -> Any:
    return reality_check(company[0])


def _values(obj: Any) -> list[Values]:
    """Every Values object reachable from ``obj`` (fields, tuples of them)."""
    out: list[Values] = []
    if isinstance(obj, Values):
        out.append(obj)
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                out.extend(_values(getattr(obj, f.name)))
    elif isinstance(obj, tuple):
        for item in obj:
            out.extend(_values(item))
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_renders_as_frame_dict_and_text(check: Any, family: str) -> None:
    result = getattr(check, family)
    assert result is not None, check.omitted.get(family)
    assert isinstance(result, Result)
    assert isinstance(result.to_frame(), pd.DataFrame)
    assert isinstance(result.to_dict(), dict)
    assert str(result).strip()


@pytest.mark.parametrize("family", FAMILIES)
def test_to_frame_returns_a_copy(check: Any, family: str) -> None:
    result = getattr(check, family)
    first = result.to_frame()
    if first.empty:
        pytest.skip(f"{family}: nothing to mutate")
    expected = first.copy()
    first.iloc[0, 0] = "changed by the caller"
    pd.testing.assert_frame_equal(result.to_frame(), expected)


def test_no_field_exposes_a_mutable_frame_array_or_dict(check: Any) -> None:
    seen = {"frame": 0, "dict": 0}
    for value in _values(check):
        for f in dataclasses.fields(value):  # type: ignore[arg-type]
            field_value = getattr(value, f.name)
            if isinstance(field_value, pd.DataFrame) and not field_value.empty:
                seen["frame"] += 1
                before = getattr(value, f.name).copy()
                field_value.iloc[0, 0] = -999  # the example: b.matrix.iloc[0, 1] = -999
                pd.testing.assert_frame_equal(getattr(value, f.name), before)
            elif isinstance(field_value, np.ndarray) and field_value.size:
                before_array = field_value.copy()
                field_value.flat[0] = -999
                np.testing.assert_array_equal(getattr(value, f.name), before_array)
            elif hasattr(field_value, "keys") and not isinstance(field_value, pd.Series):
                seen["dict"] += 1
                with pytest.raises(TypeError):
                    field_value["new key"] = 1
    # the check ran on real frames and mappings (behaviour's matrix, the audit's layer shares)
    assert seen["frame"] >= 2 and seen["dict"] >= 2


def test_fields_cannot_be_rebound(check: Any) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.behaviour.matrix = pd.DataFrame()  # type: ignore[misc]


def test_nested_mappings_are_read_only_too() -> None:
    from realitygap.analysis import Margins

    margins = Margins({"segment": {"new": 0.5, "vip": 0.5}}, "margins.csv")
    with pytest.raises(TypeError):
        margins.targets["segment"]["new"] = 9  # type: ignore[index]
    assert margins.targets["segment"]["new"] == 0.5


FAMILY_FUNCTIONS = (
    "metrics", "gap", "audit", "drivers", "behaviour", "discover_themes", "touchpoint_senses",
    "kano", "recovery", "listening", "response_rates", "reality_check",
)  # fmt: skip


@pytest.mark.parametrize("name", FAMILY_FUNCTIONS)
@pytest.mark.parametrize(("option", "bad"), [("confidence", 1.5), ("min_n", 0)])
def test_every_family_names_a_bad_option(
    company: tuple[Workspace, dict[str, Any]], name: str, option: str, bad: float
) -> None:
    import realitygap.analysis as api
    from realitygap import ArgumentError

    with pytest.raises(ArgumentError, match=f"{option}={bad!r}"):
        getattr(api, name)(company[0], **{option: bad})
