"""A campaign defined in TOML, checked against the workspace's question bank.

::

    name = "Spring survey"
    wave = "2026-spring"
    mirror = true                 # staff answer the mirror questions of these items
    languages = ["en"]
    anonymous = false             # true: an open link anyone may answer, once per browser
    opens = 2026-03-01T00:00:00   # optional; UTC
    closes = 2026-04-01T00:00:00  # optional; UTC
    page_size = 3                 # items per page where an item names no page

    [[items]]
    question = "q_nps"
    required = true

    [[items]]
    question = "q_followup"
    show_when = "q_nps <= 6"      # shown only when an earlier page's answer meets it

Every problem of the file is reported together, naming the file, the item and the value.
"""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.domain.scales import SCALES, ScaleKind
from realitygap.store.settings import LANGUAGE

DEFAULT_PAGE_SIZE = 3
_CONDITION = re.compile(r"^\s*(?P<q>[A-Za-z0-9_.\-]+)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<v>-?\d+)\s*$")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_KEYS = {
    "name",
    "wave",
    "mirror",
    "languages",
    "opens",
    "closes",
    "anonymous",
    "page_size",
    "items",
}
_ITEM_KEYS = {"question", "required", "show_when", "page"}


@dataclass(frozen=True)
class Condition:
    """``question op value``: the item is shown when the answer to ``question`` meets it."""

    question: str
    op: str
    value: float

    def holds(self, answer: float | None) -> bool:
        return answer is not None and OPERATORS[self.op](answer, self.value)

    def __str__(self) -> str:
        return f"{self.question} {self.op} {self.value:g}"


def parse_condition(text: str) -> Condition | None:
    m = _CONDITION.match(text)
    if m is None:
        return None
    return Condition(m.group("q"), m.group("op"), float(m.group("v")))


@dataclass(frozen=True)
class ItemSpec:
    question_id: str
    page: int
    required: bool
    show_when: Condition | None
    mirror_id: str | None


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    wave: str
    mirror: bool
    languages: tuple[str, ...]
    opens_at: datetime | None
    closes_at: datetime | None
    anonymous: bool
    items: tuple[ItemSpec, ...]
    source: str


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return None


def read_campaign(path: Path, bank: list[dict[str, Any]]) -> CampaignSpec:
    """The campaign in the TOML file ``path``, its items checked against ``bank`` (rows of
    question_id, text, scale, audience, mirrors). Raises :class:`SurveyDataError` listing
    every problem."""
    source = path.read_text(encoding="utf-8")
    name = str(path)
    problems: list[Problem] = []

    def bad(column: str, value: object, expected: str) -> None:
        problems.append(Problem(name, None, column, value, expected))

    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise SurveyDataError([Problem(name, None, None, None, f"valid TOML ({exc})")]) from None
    for key in sorted(set(doc) - _KEYS):
        bad(key, doc[key], "one of " + ", ".join(sorted(_KEYS)))
    wave = doc.get("wave")
    if not isinstance(wave, str) or not wave.strip():
        bad("wave", wave, 'the wave\'s name (text), e.g. wave = "2026-spring"')
    title = doc.get("name", wave)
    mirror = doc.get("mirror", False)
    if not isinstance(mirror, bool):
        bad("mirror", mirror, "true or false")
    anonymous = doc.get("anonymous", False)
    if not isinstance(anonymous, bool):
        bad("anonymous", anonymous, "true (an open link anyone may answer) or false")
    languages = doc.get("languages", ["en"])
    if not (
        isinstance(languages, list) and languages and all(isinstance(x, str) for x in languages)
    ):
        bad("languages", languages, 'a list of language codes, e.g. ["en"]')
        languages = ["en"]
    for code in languages:
        if not LANGUAGE.match(code):
            bad("languages", code, 'a language code such as "fr" or "pt-BR"')
    languages = list(dict.fromkeys(code.lower() for code in languages))
    opens, closes = _when(doc.get("opens")), _when(doc.get("closes"))
    for key, parsed in (("opens", opens), ("closes", closes)):
        if key in doc and parsed is None:
            bad(key, doc[key], "a TOML date or date-time, e.g. 2026-03-01T00:00:00")
    if opens and closes and closes <= opens:
        bad("closes", doc["closes"], f"a time after opens ({doc['opens']})")
    page_size = doc.get("page_size", DEFAULT_PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        bad("page_size", page_size, "a whole number of items per page, at least 1")
        page_size = DEFAULT_PAGE_SIZE
    items = doc.get("items")
    if not isinstance(items, list) or not items:
        bad("items", items, "one or more [[items]] tables, each naming a question")
        items = []

    by_id = {str(q["question_id"]): q for q in bank}
    mirror_of: dict[str, str] = {}
    for row in bank:
        if row["audience"] == "mirror" and isinstance(row.get("mirrors"), str):
            mirror_of.setdefault(str(row["mirrors"]), str(row["question_id"]))
    specs: list[ItemSpec] = []
    page_of: dict[str, int] = {}
    page, on_page = 1, 0
    for i, raw in enumerate(items, start=1):
        where = f"items[{i}]"
        if not isinstance(raw, dict):
            bad(where, raw, "a table with question = ...")
            continue
        for key in sorted(set(raw) - _ITEM_KEYS):
            bad(f"{where}.{key}", raw[key], "one of " + ", ".join(sorted(_ITEM_KEYS)))
        asked = raw.get("question")
        q = by_id.get(asked) if isinstance(asked, str) else None
        if q is None or not isinstance(asked, str):
            bad(f"{where}.question", asked, "a question_id of the workspace's question bank")
            continue
        qid: str = asked
        if q["audience"] != "customer":
            bad(
                f"{where}.question",
                qid,
                "a customer question (mirror questions are asked "
                "to staff through the customer item they mirror: set mirror = true)",
            )
            continue
        if qid in page_of:
            bad(f"{where}.question", qid, "each question once in a campaign")
            continue
        required = raw.get("required", False)
        if not isinstance(required, bool):
            bad(f"{where}.required", required, "true or false")
            required = False
        cond: Condition | None = None
        if "show_when" in raw:
            text = raw["show_when"]
            cond = parse_condition(text) if isinstance(text, str) else None
            if cond is None:
                bad(f"{where}.show_when", text, 'a condition such as "q_nps <= 6"')
            elif cond.question not in page_of:
                bad(f"{where}.show_when", text, "a condition on a question asked before this item")
                cond = None
            elif by_id[cond.question]["scale"] == ScaleKind.TEXT.value:
                bad(f"{where}.show_when", text, "a condition on a question with a numeric scale")
                cond = None
        explicit = raw.get("page")
        if explicit is not None:
            if not isinstance(explicit, int) or isinstance(explicit, bool) or explicit < page:
                bad(f"{where}.page", explicit, f"a page number from {page} on (pages run in order)")
            else:
                if explicit > page:
                    page, on_page = explicit, 0
        elif on_page >= page_size or (cond is not None and page_of[cond.question] == page):
            # a condition is decided by an earlier page: the item starts a new one
            page, on_page = page + 1, 0
        if cond is not None and page_of[cond.question] >= page:
            bad(
                f"{where}.page",
                explicit,
                "a page after the page of the question its show_when names",
            )
        on_page += 1
        page_of[qid] = page
        specs.append(ItemSpec(qid, page, required, cond, mirror_of.get(qid)))
    if mirror is True and specs and not any(s.mirror_id for s in specs):
        bad(
            "mirror",
            True,
            "at least one item with a mirror question in the bank "
            "(a question with audience = mirror whose mirrors names the item)",
        )
    if problems:
        raise SurveyDataError(problems)
    assert isinstance(wave, str)
    return CampaignSpec(
        name=str(title),
        wave=wave.strip(),
        mirror=bool(mirror),
        languages=tuple(languages),
        opens_at=opens,
        closes_at=closes,
        anonymous=bool(anonymous),
        items=tuple(specs),
        source=source,
    )


def scale_choices(scale: str) -> list[int]:
    """The answers a closed scale offers, low to high (none for free text)."""
    if scale == ScaleKind.TEXT.value:
        return []
    spec = SCALES[ScaleKind(scale)]
    return list(range(spec.low, spec.high + 1))
