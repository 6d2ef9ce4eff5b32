"""Personal data in free text: find and redact e-mail addresses, phones, card numbers, IBANs.

Pure functions over strings. Each kind has a pattern and, where the number carries one, a check
digit test, so that order numbers, dates, prices and reference codes stay as they are:

- e-mail: ``local@domain.tld``.
- payment card: 13-19 digits (spaces or dashes between groups allowed) starting with a card
  network's digit (2-6) that pass the Luhn check.
- IBAN: country code, two check digits and 11-30 letters or digits (grouped by spaces or not)
  that pass the ISO 13616 mod-97 check.
- phone: an international number (``+`` and 8-15 digits), a number in the national trunk form
  (``0`` then 9-11 digits more, groups allowed) or the North American ``(555) 123-4567`` /
  ``555-123-4567`` form. A number right after a reference word (order, invoice, ref, booking,
  tracking, ticket, item, sku, ``#``, ``no.``) is a reference, not a phone, and is kept.

Redaction replaces each match with ``[EMAIL]``, ``[PHONE]``, ``[CARD]`` or ``[IBAN]``; these
tokens match no pattern, so redacting twice changes nothing.

>>> redact("Call me on +44 20 7946 0958 or mail ann@example.com about order 100234567")
'Call me on [PHONE] or mail [EMAIL] about order 100234567'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class PiiKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"
    IBAN = "iban"


TOKENS: dict[PiiKind, str] = {
    PiiKind.EMAIL: "[EMAIL]",
    PiiKind.PHONE: "[PHONE]",
    PiiKind.CARD: "[CARD]",
    PiiKind.IBAN: "[IBAN]",
}


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data: its kind and its span ``text[start:end]``."""

    kind: PiiKind
    start: int
    end: int
    text: str


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\w.,])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w]|[.,]\d)")
_PHONE = re.compile(
    r"(?<![\w+#/.,-])(?:"
    r"\+\d[\d ().-]{6,20}\d"  # international
    r"|\(\d{2,5}\)[ .-]?\d[\d .-]{4,12}\d"  # (area) number
    r"|0\d[\d .-]{7,14}\d"  # national trunk prefix
    r"|\d{3}[-. ]\d{3}[-. ]\d{4}"  # North American groups
    r")(?![\w]|[.,/]\d|-\d)"
)
# A number right after one of these words is a reference, not a phone or a card.
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|ref|reference|booking|tracking|ticket|item|sku|confirmation|"
    r"case|account no|no|nr|number|id)\b[.:]?\s*|#\s*)$",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    moved = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in moved)
    return int(numeric) % 97 == 1


def _after_reference_word(text: str, start: int) -> bool:
    return _REFERENCE_BEFORE.search(text[max(0, start - 24) : start]) is not None


def find_pii(text: str) -> list[PiiMatch]:
    """Every piece of personal data in ``text``, in order, without overlaps.

    Earlier kinds win overlaps in the order e-mail, IBAN, card, phone.
    """
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(kind: PiiKind, m: re.Match[str]) -> None:
        found.append(PiiMatch(kind, m.start(), m.end(), m.group()))
        taken.append((m.start(), m.end()))

    for m in _EMAIL.finditer(text):
        add(PiiKind.EMAIL, m)
    for m in _IBAN.finditer(text):
        if free(m.start(), m.end()) and iban_valid(m.group()):
            add(PiiKind.IBAN, m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (
            free(m.start(), m.end())
            and 13 <= len(digits) <= 19
            and luhn_valid(digits)
            and not _after_reference_word(text, m.start())
        ):
            add(PiiKind.CARD, m)
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (
            free(m.start(), m.end())
            and 9 <= len(digits) <= 15
            and not _after_reference_word(text, m.start())
        ):
            add(PiiKind.PHONE, m)
    return sorted(found, key=lambda p: p.start)


def redact(text: str) -> str:
    """``text`` with every piece of personal data replaced by its kind's token."""
    matches = find_pii(text)
    if not matches:
        return text
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(TOKENS[m.kind])
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


# Cheap pre-filter: text without '@' and without a run of 8+ digits/separators holds nothing.
_MAYBE_PII = re.compile(r"@|\d[\d ().-]{7,}")


def redact_many(texts: Iterable[str]) -> list[str]:
    """:func:`redact` over many texts; texts that cannot hold personal data are passed through."""
    return [redact(t) if _MAYBE_PII.search(t) else t for t in texts]
