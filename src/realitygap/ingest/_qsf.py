"""Qualtrics' survey definition file (``.qsf``, JSON) as a questions file.

A .qsf holds ``SurveyElements``; each element with ``Element`` ``SQ`` is a question whose
``Payload`` has ``QuestionType`` (``MC`` multiple choice, ``Matrix``, ``TE`` text entry, ``DB``
descriptive text ...), ``Selector`` (``NPS``, ``SAVR`` single answer, ``Likert`` ...),
``DataExportTag`` (the export's column, ``Q1``), ``QuestionText`` (HTML), ``Choices`` (a dict
keyed by choice id, or a list for NPS), ``Answers`` (a matrix's scale points) and
``RecodeValues`` (choice id -> the number exported). Each becomes a row of the generic
questions format, so the usual checks apply; the scale comes from the choices' numbers.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.domain.scales import ScaleKind
from realitygap.ingest._bank import question_id
from realitygap.ingest._read import Grid

_CES_WORDS = re.compile(r"\b(eas(y|ier|ily|e)|effort\w*|difficult\w*)\b", re.IGNORECASE)
_NOT_QUESTIONS = {"DB", "Meta", "Timing", "Captcha"}  # descriptive text, browser info ...
_SINGLE = {"SAVR", "SAHR", "SACOL", "DL", "SB"}  # single-answer multiple choice
COLUMNS = ("question_id", "text", "scale", "audience", "block")


def _plain(text: object) -> str:
    """Question text without HTML tags and entities, spaces collapsed."""
    no_tags = re.sub(r"<[^>]+>", " ", str(text or ""))
    return " ".join(html.unescape(no_tags).split())


def _points(options: Any, recode: dict[str, Any]) -> tuple[list[float] | None, list[str]]:
    """The numbers exported for a list of choices (or scale points) and their labels."""
    if isinstance(options, list):  # NPS: a list whose labels are the numbers
        labels = [_plain(o.get("Display")) if isinstance(o, dict) else "" for o in options]
        values = labels
    elif isinstance(options, dict):
        labels = [_plain(o.get("Display")) if isinstance(o, dict) else "" for o in options.values()]
        values = [str(recode.get(k, k)) for k in options]
    else:
        return None, []
    try:
        return [float(v) for v in values], labels
    except ValueError:
        return None, labels


def _scale(values: list[float] | None, text: str) -> ScaleKind | None:
    """The scale whose points are exactly ``values``."""
    if not values or any(v % 1 for v in values):
        return None
    points = sorted(set(values))
    for low, high, kind in ((0, 1, "binary"), (0, 10, "nps"), (1, 5, "likert5"), (1, 7, "seven")):
        if points == [float(p) for p in range(low, high + 1)]:
            if kind == "seven":
                return ScaleKind.CES7 if _CES_WORDS.search(text) else ScaleKind.LIKERT7
            return ScaleKind(kind)
    return None


def _describe(values: list[float] | None) -> str:
    return ", ".join(f"{v:g}" for v in values) if values else "no numbers"


def read_qsf(path: Path) -> tuple[Grid, list[str]]:
    """The questions of a .qsf as a :class:`Grid` of the questions format (row = the
    question's position among the file's questions), and notes on what was left out."""
    try:
        survey = json.loads(path.read_bytes().decode("utf-8-sig"))
        elements = survey["SurveyElements"]
        if not isinstance(elements, list):
            raise TypeError
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SurveyDataError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    None,
                    f"a Qualtrics survey definition (.qsf): JSON with a SurveyElements list "
                    f"({type(exc).__name__})",
                )
            ]
        ) from None
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    taken: set[str] = set()
    for element in elements:
        payload = element.get("Payload") if isinstance(element, dict) else None
        if element.get("Element") != "SQ" or not isinstance(payload, dict):
            continue
        qtype, selector = payload.get("QuestionType"), payload.get("Selector")
        if qtype in _NOT_QUESTIONS:
            continue
        tag = str(payload.get("DataExportTag") or payload.get("QuestionID") or "")
        text = _plain(payload.get("QuestionText")) or tag
        recode = payload.get("RecodeValues") or {}

        def add(qid_base: str, item_text: str, scale: str, block: str = "") -> None:
            qid = question_id(qid_base, taken)
            taken.add(qid)
            rows.append(
                {"question_id": qid, "text": item_text, "scale": scale,
                 "audience": "customer", "block": block}
            )  # fmt: skip

        if qtype == "TE" and selector in ("SL", "ML", "ESTB", None):
            add(tag, text, "text")
        elif qtype == "MC" and selector == "NPS":
            add(tag, text, "nps")
        elif qtype == "MC" and selector in _SINGLE:
            values, _ = _points(payload.get("Choices"), recode)
            scale = _scale(values, text)
            if scale is None:
                notes.append(
                    f"{tag} left out: its choices export as {_describe(values)}, not a scale "
                    "of realitygap (recode them in Qualtrics, e.g. 1-5, or 1 = Yes, 0 = No)"
                )
            else:
                add(tag, text, scale.value)
        elif (
            qtype == "Matrix"
            and selector == "Likert"
            and payload.get("SubSelector")
            in (
                "SingleAnswer",
                None,
            )
        ):
            values, _ = _points(payload.get("Answers"), recode)
            scale = _scale(values, text)
            statements = payload.get("Choices") or {}
            export_tags = payload.get("ChoiceDataExportTags") or {}
            if scale is None or not isinstance(statements, dict):
                notes.append(
                    f"{tag} left out: its scale points export as {_describe(values)}, not a "
                    "scale of realitygap"
                )
                continue
            for key, statement in statements.items():
                column = export_tags.get(key) if isinstance(export_tags, dict) else None
                label = _plain(statement.get("Display")) if isinstance(statement, dict) else ""
                add(str(column or f"{tag}_{key}"), f"{text} - {label}", scale.value, tag)
        else:
            notes.append(f"{tag} left out: question type {qtype}/{selector} holds no scale")
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(object)
    frame = frame.where(frame != "", None)
    grid = Grid(str(path), "qsf", [list(COLUMNS)], frame, np.arange(1, len(frame) + 1), "utf-8")
    return grid, notes
