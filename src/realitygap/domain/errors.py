"""The one small error hierarchy of realitygap.

Every error the package raises on purpose derives from :class:`RealityGapError`. Errors about
data also inherit the builtin they refine, so ``except ValueError`` keeps working for callers who
do not know realitygap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RealityGapError(Exception):
    """Base class of every error realitygap raises on purpose."""


class WorkspaceError(RealityGapError):
    """The workspace is missing, locked, or from a newer version of realitygap."""


class StorageError(OSError, RealityGapError):
    """A file or the workspace database could not be written (disk full, no permission...).

    Raised after the half-done write was undone: the workspace and every file are as before.
    The message names the file and what the operating system or database said.
    """


class TaxonomyError(ValueError, RealityGapError):
    """The taxonomy file is invalid (unknown layer, sense, duplicate touchpoint ...)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is, what was found, what was expected."""

    file: str
    row: int | None  # 1-based data row as a user sees it in a spreadsheet; None = whole file
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        if self.value is None:
            return f"{where}: expected {self.expected}"
        return f"{where}: found {self.value!r}, expected {self.expected}"


class SurveyDataError(ValueError, RealityGapError):
    """Input data that cannot be accepted. Holds every problem found (up to a limit)."""

    def __init__(self, problems: list[Problem], *, truncated: int = 0) -> None:
        self.problems = list(problems)
        self.truncated = truncated
        lines = [str(p) for p in self.problems]
        if truncated:
            lines.append(f"... and {truncated} more problems")
        head = f"{len(self.problems) + truncated} problem(s) in input"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class CaseError(ValueError, RealityGapError):
    """A closed-loop case operation that is not allowed (unknown case, invalid transition)."""


class ArgumentError(ValueError, RealityGapError):
    """A Python argument outside its allowed values. Names the parameter (the CLI translates
    it to its flag), the value found and what is allowed."""

    def __init__(self, parameter: str, value: object, expected: str) -> None:
        self.parameter = parameter
        self.value = value
        self.expected = expected
        super().__init__(f"{parameter}={value!r}: expected {expected}")

    @classmethod
    def choice(cls, parameter: str, value: object, allowed: Iterable[object]) -> ArgumentError:
        return cls(parameter, value, "one of " + ", ".join(repr(a) for a in allowed))


def check_choice(parameter: str, value: object, allowed: Iterable[object]) -> None:
    """Raise :class:`ArgumentError` unless ``value`` is one of ``allowed``."""
    options = list(allowed)
    if value not in options:
        raise ArgumentError.choice(parameter, value, options)


def check_confidence(confidence: float, min_n: int) -> None:
    """The two options every analysis takes: 0 < confidence < 1 and min_n >= 1."""
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise ArgumentError("confidence", confidence, "a level strictly between 0 and 1")
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ArgumentError("min_n", min_n, "a whole number of answers, at least 1")
