"""Frontline skills in what customers say about the people who served them.

Customers judge staff on five skills: patience, empathy, problem solving, conflict resolution
and product knowledge (seed 003 of the design). :func:`read_skills` reads each comment
sentence by sentence; a sentence is *about staff* when it names a person who serves
(``STAFF_WORDS`` of the tagger's labels, plus a few more such as "crew", "nobody") and then
every phrase of :data:`LEXICON` in it marks its skill as praised or missed:

- "patient", "took the time" praise patience; "rushed me", "impatient" miss it;
- "understood", "listened" praise empathy; "didn't care", "dismissive" miss it;
- "sorted it out", "fixed" praise problem solving; "couldn't help", "unhelpful" miss it;
- "calmed", "apologised" praise conflict resolution; "argued with me", "hung up on me" miss it;
- "knew the product", "knowledgeable" praise product knowledge; "no idea what", "clueless"
  miss it.

Simple negation: a praising phrase with a negator ("not", "never", "no", any "-n't" word)
among the three words before it misses its skill ("not patient"); a missing phrase right
after a negator praises it ("never rushed me"). Phrases that carry their own negation
("didn't care") are matched first and their words are not read again. A phrase right after
"I" or "we" (one word between at most) is the customer speaking of themselves ("I
understood that", "I can't help feeling") and is not read.

The recogniser is a lexicon, not a model: on real airline reviews (tests/data/
skills_labels.csv, labelled by hand) its precision is measured in tests/test_text_skills.py
and stated in docs/skills.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from realitygap.analysis.text.labels import ATTITUDE_WORDS, STAFF_WORDS


class Skill(StrEnum):
    """The five frontline skills customers judge (seed 003)."""

    PATIENCE = "patience"
    EMPATHY = "empathy"
    PROBLEM_SOLVING = "problem_solving"
    CONFLICT_RESOLUTION = "conflict_resolution"
    PRODUCT_KNOWLEDGE = "product_knowledge"


SKILLS: tuple[Skill, ...] = tuple(Skill)

# Regular-expression fragments, matched on lower-case text at word boundaries.
# (praised, missed) per skill.
LEXICON: dict[Skill, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Skill.PATIENCE: (
        (
            r"patient(ly)?",
            r"took (the|their|his|her) time",
            r"took time to",
            r"in no (rush|hurry)",
        ),
        (
            r"impatient(ly)?",
            r"rush(ed)? (me|us)",
            r"hurried (me|us)",
            r"rushed through",
            r"cut (me|us) (off|short)",
            r"interrupted (me|us)",
            r"lost (his|her|their) patience",
            r"no patience",
            r"get rid of (me|us)",
            r"(sighed|huffed|tutted)",
        ),
    ),
    Skill.EMPATHY: (
        (
            r"underst(ood|anding)",
            r"listened",
            r"empath(y|etic)",
            r"(sympathetic|compassionate|caring)",
            r"(really|genuinely|truly) cared",
            r"reassur(ed|ing)",
            r"put (me|us) at ease",
        ),
        (
            r"(didn't|did not|don't|doesn't|do not|does not|couldn't|could not) "
            r"(seem to |even )?care",
            r"(couldn't|could not) care less",
            r"(didn't|did not|wouldn't|would not) (even )?listen",
            r"(uncaring|unsympathetic|heartless|dismissive|indifferent)",
            r"no (empathy|sympathy|compassion)",
            r"lack of (empathy|sympathy|compassion)",
            r"made (me|us) feel (stupid|like a nuisance|small)",
            r"treated (me|us) like",
        ),
    ),
    Skill.PROBLEM_SOLVING: (
        (
            r"sorted (it|this|that|everything|things)( out)?",
            r"sorted out",
            r"got (it|this|everything) sorted",
            r"fixed",
            r"(resolved|solved)",
            r"found (a|me a|us a) (solution|way|seat|flight|alternative)",
            r"rebooked (me|us)",
            r"helped (me|us)",
        ),
        (
            r"(couldn't|could not|can't|cannot|unable to|wouldn't|would not) help",
            r"(unhelpful|no help)",
            r"not (at all )?helpful",
            r"(unresolved|still not (fixed|resolved|sorted))",
            r"no (solution|resolution)",
            r"(passed|bounced|transferred) (me|us) (around|from|between)",
            r"nothing (they|he|she) could do",
            r"nothing (could|can) be done",
        ),
    ),
    Skill.CONFLICT_RESOLUTION: (
        (
            r"calm(ed)? (me|us|things|the situation|everyone) down",
            r"calmed",
            r"(stayed|kept|remained) calm",
            r"(defused|diffused|de-escalated|deescalated)",
            r"apologi[sz](ed|ing)",
            r"made (it|things) right",
            r"handled (the|my|our) (complaint|situation|problem) (well|professionally)",
        ),
        (
            r"argued( with (me|us))?",
            r"argumentative",
            r"(shouted|yelled|screamed) at (me|us)",
            r"raised (his|her|their) voice",
            r"(confrontational|aggressive|belligerent)",
            r"blamed (me|us)",
            r"hung up on (me|us)",
            r"(got|became|was|were) defensive",
            r"made (it|things|matters) worse",
            r"refused to apologi[sz]e",
            r"no apology",
        ),
    ),
    Skill.PRODUCT_KNOWLEDGE: (
        (
            r"knew (the|their|our|his|her) (product|products|stuff|menu|wines?|range|system)",
            r"knew (exactly )?what (he|she|they) (was|were) talking about",
            r"knowledg(e)?able",
            r"(expert|great|good|helpful) advice",
            r"explained (everything|it|the|clearly|how)",
        ),
        (
            r"no (idea|clue) (what|about|how|where|when|why)",
            r"(clueless|misinformed|untrained|incompetent|inexperienced)",
            r"(poorly|badly) trained",
            r"(didn't|did not) (even )?know (what|how|anything|where|the)",
            r"knew nothing",
            r"(wrong|incorrect|conflicting) (information|advice|answers?)",
            r"(gave|told) (me|us) the wrong",
            r"(couldn't|could not) answer",
        ),
    ),
}

# People who serve, beyond the tagger's STAFF_WORDS ("crew", "agent" are there already).
MORE_STAFF_WORDS = (
    "steward",
    "stewardess",
    "stewards",
    "stewardesses",
    "purser",
    "clerk",
    "associate",
    "technician",
    "engineer",
    "consultant",
    "person",
    "lady",
    "gentleman",
    "guy",
    "woman",
    "man",
    "team",
    "nobody",
    "no one",
    "someone",
    "employees",
    "agents",
    "attendants",
    "waiters",
    "cashiers",
    "customer service",
    "support",
)
_NEGATORS = r"(?:not|never|no|hardly|barely|without|\w+n't)"
_SENTENCE = re.compile(r"[^.!?;\n]+")


def _alternation(fragments: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{f})" for f in fragments) + r")\b")


_STAFF = _alternation([re.escape(w) + "s?" for w in (*STAFF_WORDS, *MORE_STAFF_WORDS)])
_ATTITUDE = _alternation([re.escape(w) for w in ATTITUDE_WORDS])
_PATTERNS = [
    (i, praised, _alternation(LEXICON[s][0 if praised else 1]))
    for i, s in enumerate(SKILLS)
    for praised in (False, True)  # missed phrases first: they carry their own negation
]
_NEGATED = re.compile(_NEGATORS + r"(?:\W+\w+){0,2}\W+$")
_NEGATED_NEXT = re.compile(_NEGATORS + r"\W+$")  # "never rushed me", "not impatient"
# the customer speaking of themselves ("I understood that", "I can't help feeling")
_FIRST_PERSON = re.compile(r"\b(?:i|we)(?:\W+[\w']+){0,1}\W+$")


@dataclass(frozen=True)
class SkillTags:
    """Per comment: ``about_staff`` (n,) booleans; ``missed`` and ``praised`` (n, 5) booleans
    in the order of :data:`SKILLS`; ``attitude`` (n,): a skill missed or a staff-attitude
    complaint word (the tagger's ``ATTITUDE_WORDS``) in a sentence about staff."""

    about_staff: np.ndarray
    missed: np.ndarray
    praised: np.ndarray
    attitude: np.ndarray


def sentence_skills(sentence: str) -> list[tuple[Skill, bool]]:
    """The (skill, praised) pairs one sentence about staff cites, in lexicon order."""
    text = sentence.lower()
    found: list[tuple[Skill, bool]] = []
    for i, praised, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            before = text[max(m.start() - 40, 0) : m.start()]
            if _FIRST_PERSON.search(before):
                continue
            # a negated praise is a miss; a miss flips only right after its negator, since
            # "if not rude then uncaring" still misses empathy
            flipped = bool((_NEGATED if praised else _NEGATED_NEXT).search(before))
            pair = (SKILLS[i], praised != flipped)
            if pair not in found:
                found.append(pair)
            # blank the phrase so a praised phrase inside it ("care") is not read again
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return found


def sentences(text: str) -> list[str]:
    """A comment's sentences (split at . ! ? ; and line breaks)."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def is_about_staff(sentence: str) -> bool:
    return bool(_STAFF.search(sentence.lower()))


def read_skills(texts: Sequence[str]) -> SkillTags:
    """Tag each comment with the skills its sentences about staff praise or miss."""
    n = len(texts)
    about = np.zeros(n, dtype=bool)
    missed = np.zeros((n, len(SKILLS)), dtype=bool)
    praised = np.zeros((n, len(SKILLS)), dtype=bool)
    attitude = np.zeros(n, dtype=bool)
    index = {s: i for i, s in enumerate(SKILLS)}
    for row, text in enumerate(texts):
        for sentence in sentences(str(text)):
            if not is_about_staff(sentence):
                continue
            about[row] = True
            if _ATTITUDE.search(sentence.lower()):
                attitude[row] = True
            for skill, good in sentence_skills(sentence):
                (praised if good else missed)[row, index[skill]] = True
    attitude |= missed.any(axis=1)
    return SkillTags(about, missed, praised, attitude)
