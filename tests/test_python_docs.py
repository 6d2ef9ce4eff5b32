"""The Python API's documentation stays complete: every family function has a numpydoc
docstring naming each of its parameters, with an example, and docs/python.md shows each one.

The examples themselves run as doctests (``--doctest-modules`` and ``--doctest-glob=python.md``
in pyproject.toml) against the example company of the root conftest.py; these tests check that
nothing is left undocumented, which a doctest cannot see.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import realitygap.analysis

ROOT = Path(__file__).resolve().parents[1]
PYTHON_MD = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
FAMILY_FUNCTIONS = [
    "reality_check",
    "metrics",
    "gap",
    "audit",
    "drivers",
    "behaviour",
    "discover_themes",
    "touchpoint_senses",
    "kano",
    "recovery",
    "listening",
    "rake",
    "read_margins",
    "response_rates",
]
SECTIONS = ("Parameters", "Returns", "References", "Examples")


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a docstring: title -> body (a title is underlined with dashes)."""
    parts = re.split(r"^([A-Z][a-z]+)\n-+\n", inspect.cleandoc(doc), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_family_function_is_in_the_public_api() -> None:
    assert set(FAMILY_FUNCTIONS) <= set(realitygap.analysis.__all__)


@pytest.mark.parametrize("name", FAMILY_FUNCTIONS)
def test_docstring_has_numpydoc_sections_and_an_example(name: str) -> None:
    sections = _sections(getattr(realitygap.analysis, name).__doc__ or "")
    missing = [s for s in SECTIONS if s not in sections]
    assert not missing, f"{name}: docstring lacks {missing}"
    assert ">>> " in sections["Examples"], f"{name}: the example has no code"


@pytest.mark.parametrize("name", FAMILY_FUNCTIONS)
def test_docstring_names_every_parameter_with_its_type(name: str) -> None:
    function = getattr(realitygap.analysis, name)
    documented = set(re.findall(r"^(\w+) : ", _sections(function.__doc__)["Parameters"], re.M))
    parameters = set(inspect.signature(function).parameters)
    assert parameters == documented, f"{name}: documented {documented}, has {parameters}"


@pytest.mark.parametrize("name", FAMILY_FUNCTIONS)
def test_python_md_shows_every_family(name: str) -> None:
    # each family is imported in the walk-through and named in its prose or code
    assert re.search(rf"\b{name}\(", PYTHON_MD), f"docs/python.md never shows {name}()"


def _documented(column: str, doc: str) -> bool:
    """``column`` is named in ``doc``: literally, as ``base`` with ``_low``/``_high``, or as
    one of ``prefix_*`` columns."""
    if f"``{column}``" in doc:
        return True
    base, _, suffix = column.rpartition("_")
    if suffix in {"low", "high"} and f"``{base}``" in doc and "``_low``/``_high``" in doc:
        return True
    return any(f"``{column[: i + 1]}*``" in doc for i, c in enumerate(column) if c == "_")


# Cheap calls of each family on the doctest company (drivers without bootstrap); the columns
# do not depend on the options. reality_check's frame is checked through its docstring only.
FRAMES = {
    "metrics": lambda ws: A.metrics(ws, questions=["nps", "q01"], by=["wave"]),
    "gap": lambda ws: A.gap(ws, by=["role", "touchpoint"]),
    "audit": lambda ws: A.audit(ws),
    "drivers": lambda ws: A.drivers(ws, bootstrap=0),
    "behaviour": lambda ws: A.behaviour(ws),
    "discover_themes": lambda ws: A.discover_themes(ws),
    "touchpoint_senses": lambda ws: A.touchpoint_senses(ws),
    "kano": lambda ws: A.kano(ws),
    "recovery": lambda ws: A.recovery(ws),
    "listening": lambda ws: A.listening(ws),
    "response_rates": lambda ws: A.response_rates(ws),
    "rake": lambda ws: A.rake(ws, A.Margins({"segment": {"new": 0.4, "regular": 0.6, "vip": 0}})),
}
A = realitygap.analysis


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_docstring_lists_every_column_of_every_frame(name: str, doctest_company: Any) -> None:
    result = FRAMES[name](doctest_company)
    doc = getattr(A, name).__doc__ or ""
    frames = {
        method: getattr(result, method)()
        for method in ("to_frame", "trend_frame", "offsets_frame", "drift_frame")
        if hasattr(result, method)
    }
    by = set(getattr(result, "by", ())) | set(getattr(result, "variables", ()))
    for method, frame in frames.items():
        assert len(frame.columns) > 0, f"{name}.{method}() has no columns"
        missing = [c for c in frame.columns if c not in by and not _documented(c, doc)]
        assert not missing, f"{name}: {method}() columns not in the docstring: {missing}"


def test_reality_check_docstring_lists_its_columns() -> None:
    # the frame's columns are written out in RealityCheck.to_frame (no data needed to see them)
    source = inspect.getsource(A.RealityCheck.to_frame)
    columns = re.findall(r'"(\w+)"', source.split("columns=")[-1])
    assert columns, "RealityCheck.to_frame names no columns"
    missing = [c for c in columns if f"``{c}``" not in (A.reality_check.__doc__ or "")]
    assert not missing, f"reality_check: to_frame() columns not in the docstring: {missing}"
