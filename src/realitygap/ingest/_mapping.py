"""The column-mapping file: which column of a survey export holds what (TOML).

::

    respondent_id = "Customer number"     # column with the respondent's id
    submitted_at = "Completed"            # column with the submission date
    wave = "Survey round"                 # column with the wave (or pass --wave)
    channel = "Source"                    # column with the channel
    date_format = "%d/%m/%Y %H:%M"        # strptime format tried before the built-in ones
    ignore = ["Browser", "Referrer"]      # columns to skip
    attributes = ["Region", "Plan"]       # columns kept as respondents' segment attributes

    [questions]                           # column (header text or id) -> question_id
    "How likely are you to recommend us to a friend or colleague?" = "nps"

    [values]                              # answer labels -> numbers, for every question
    "Strongly agree" = 5
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from realitygap.domain.errors import Problem, SurveyDataError

_COLUMN_KEYS = ("respondent_id", "submitted_at", "wave", "channel")
_KEYS = (*_COLUMN_KEYS, "date_format", "ignore", "attributes", "questions", "values")


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (see the module docstring); every entry is optional."""

    respondent_id: str | None = None
    submitted_at: str | None = None
    wave: str | None = None
    channel: str | None = None
    date_format: str | None = None
    ignore: frozenset[str] = frozenset()
    attributes: tuple[str, ...] = ()
    questions: dict[str, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        """Read and check a mapping file; SurveyDataError names the offending key."""
        path = Path(path)
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise SurveyDataError(
                [Problem(where, None, None, None, "an existing mapping file")]
            ) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SurveyDataError(
                [Problem(where, None, None, None, f"a TOML mapping file ({exc})")]
            ) from None
        problems = [
            Problem(where, None, key, key, f"one of the keys {', '.join(_KEYS)}")
            for key in data
            if key not in _KEYS
        ]
        problems += _type_problems(where, data)
        if problems:
            raise SurveyDataError(problems)
        return cls(
            respondent_id=data.get("respondent_id"),
            submitted_at=data.get("submitted_at"),
            wave=data.get("wave"),
            channel=data.get("channel"),
            date_format=data.get("date_format"),
            ignore=frozenset(data.get("ignore", [])),
            attributes=tuple(data.get("attributes", [])),
            questions={str(k): str(v) for k, v in data.get("questions", {}).items()},
            values={str(k): float(v) for k, v in data.get("values", {}).items()},
        )

    def column_roles(self) -> dict[str, str]:
        """Source column -> role (respondent_id, submitted_at, wave, channel) it is mapped to."""
        roles = {
            "respondent_id": self.respondent_id,
            "submitted_at": self.submitted_at,
            "wave": self.wave,
            "channel": self.channel,
        }
        return {column: role for role, column in roles.items() if column}


def _type_problems(where: str, data: dict[str, Any]) -> list[Problem]:
    problems = []
    for key in (*_COLUMN_KEYS, "date_format"):
        if key in data and not isinstance(data[key], str):
            problems.append(Problem(where, None, key, data[key], "a string"))
    for key in ("ignore", "attributes"):
        value = data.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(Problem(where, None, key, value, "a list of column names"))
    questions = data.get("questions", {})
    if not (isinstance(questions, dict) and all(isinstance(v, str) for v in questions.values())):
        problems.append(
            Problem(where, None, "questions", questions, "a table of column = question_id")
        )
    values = data.get("values", {})
    if not (
        isinstance(values, dict)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values())
    ):
        problems.append(Problem(where, None, "values", values, "a table of label = number"))
    return problems
