"""Personal data in free text: find and redact e-mail addresses, phones, card numbers, IBANs.

Pure functions over strings. Each kind has a pattern for candidates and a check that decides,
so that order numbers, dates, prices and reference codes stay as they are:

- e-mail: ``local@domain.tld``, internationalised domains included (``jane@exämple.com``,
  ``user@xn--bcher-kva.ch``).
- payment card: 13-19 digits (spaces or dashes between groups allowed) whose prefix and length
  are a card network's (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro) and
  that pass the Luhn check (``python-stdnum``).
- IBAN: country code, two check digits and the country's length of letters or digits
  (grouped by spaces or not, either case) that pass the ISO 13616 check (``python-stdnum``).
- phone: a candidate (an international ``+`` number, a national number with a trunk ``0``,
  a North American number with or without separators) that Google's libphonenumber
  (``phonenumbers``) finds *valid* — for the ``+`` form, or for a country of the trunk-``0``
  or North American plan — is a phone. A candidate of a possible phone length that is not a
  valid number (fictional ranges such as 555 or Ofcom's 07700 900xxx) is a phone too, unless
  it follows a reference word.

A number right after a reference word (order, invoice, ref, booking, tracking, ticket, item,
sku, ``#``, ``no.``) is a reference and is kept — but never when it passes the card, IBAN or
valid-phone check, and never after a phone word (phone, mobile, tel, call, ...): people write
``card number 4111 1111 1111 1111`` and ``mobile no: 07700 900123``. An ISBN after ``ISBN``
that passes its check digit is kept.

Redaction replaces each match with ``[EMAIL]``, ``[PHONE]``, ``[CARD]`` or ``[IBAN]``; these
tokens match no pattern, so redacting twice changes nothing. ``docs/text.md`` has the recall
and false-positive figures on the test corpus (tests/data/pii_corpus.json).

>>> redact("Call me on +44 20 7946 0958 or mail ann@example.com about order 100234567")
'Call me on [PHONE] or mail [EMAIL] about order 100234567'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers.re_util import enable_pattern_cache
from stdnum import iban as stdnum_iban
from stdnum import isbn as stdnum_isbn
from stdnum import luhn as stdnum_luhn


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


_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"  # domain labels, any script
    r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]{2,})(?![\w-])",  # a TLD of letters, or punycode
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
# Not glued to a code before it ("F246-5970115-7474340" is an order number, not a card).
_CARD = re.compile(r"(?<![\w.,])(?<!\w-)\d(?:[ -]?\d){12,18}(?![\w]|[.,]\d)")
_PHONE = re.compile(
    r"(?<![\w+#/.,-])(?:"
    r"\+\d[\d ().-]{6,20}\d"  # international
    r"|\(\d{2,5}\)[ .-]?\d[\d .-]{4,12}\d"  # (area) number
    r"|0\d[\d .-]{7,14}\d"  # national trunk prefix
    r"|1[-. ]\d{3}[-. ]\d{3}[-. ]\d{4}"  # North American with its country code 1
    r"|\d{3}[-. ]\d{3}[-. ]\d{4}"  # North American groups
    r"|[2-9]\d{9}"  # North American digits alone
    r")(?![\w]|[.,/]\d|-\d)"
)
# A number right after one of these words is a reference, not a phone or a card ...
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|ref|reference|booking|tracking|ticket|e-ticket|item|sku|"
    r"confirmation|case|account no|no|nr|number|id|isbn|serial|parcel|shipment|awb|waybill)"
    r"\b[.:]?"
    r"\s*|#\s*)$",
    re.IGNORECASE,
)
# ... unless a phone word comes shortly before it.
_PHONE_WORDS = re.compile(
    r"\b(?:phone|mobile|mob|cell|tel|telephone|fax|call|ring|text|whatsapp|sms|landline)\b",
    re.IGNORECASE,
)
_ISBN_BEFORE = re.compile(r"\bisbn(?:-1[03])?[.:]?\s*$", re.IGNORECASE)
# National numbers with a trunk 0 are tried in these countries; others as North American.
# libphonenumber compiles its metadata patterns per call unless told to keep them: with many
# countries they fall out of Python's regex cache and redaction gets ~10x slower.
enable_pattern_cache()
_TRUNK_ZERO_REGIONS = (
    "GB", "DE", "FR", "NL", "BE", "AT", "CH", "IE", "AU", "NZ", "ZA", "IN", "BR", "TR",
)  # fmt: skip
_NORTH_AMERICA = ("US", "CA")

# Card networks: (IIN prefixes as ranges of the leading digits, allowed lengths).
_CARD_NETWORKS: tuple[tuple[tuple[tuple[int, int, int], ...], tuple[int, ...]], ...] = (
    (((4, 4, 1),), (13, 16, 19)),  # Visa
    (((51, 55, 2), (2221, 2720, 4)), (16,)),  # Mastercard
    (((34, 34, 2), (37, 37, 2)), (15,)),  # American Express
    (((6011, 6011, 4), (644, 649, 3), (65, 65, 2)), (16, 17, 18, 19)),  # Discover
    (((300, 305, 3), (36, 36, 2), (38, 39, 2)), (14, 15, 16, 17, 18, 19)),  # Diners
    (((3528, 3589, 4),), (16, 17, 18, 19)),  # JCB
    (((62, 62, 2),), (16, 17, 18, 19)),  # UnionPay
    (((50, 50, 2), (56, 69, 2)), (16, 18, 19)),  # Maestro (its 12-15 digit cards are rare)
)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check used by payment cards."""
    return digits.isdigit() and digits.isascii() and stdnum_luhn.is_valid(digits)


def card_valid(digits: str) -> bool:
    """True when ``digits`` has a card network's prefix and length and passes Luhn."""
    if not luhn_valid(digits):
        return False
    for prefixes, lengths in _CARD_NETWORKS:
        if len(digits) in lengths and any(
            low <= int(digits[:width]) <= high for low, high, width in prefixes
        ):
            return True
    return False


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed, either case) is a valid IBAN: its country's length
    and format and the ISO 13616 mod-97 check."""
    return bool(stdnum_iban.is_valid(iban))


def _after_reference_word(text: str, start: int) -> bool:
    return _REFERENCE_BEFORE.search(text[max(0, start - 24) : start]) is not None


def _near_phone_word(text: str, start: int) -> bool:
    return _PHONE_WORDS.search(text[max(0, start - 30) : start]) is not None


def phone_strength(candidate: str) -> int:
    """2: a valid phone number (libphonenumber) written as phones are; 1: of a possible phone
    length but not valid (a fictional range such as 555), or a bare run of digits; 0: not a
    phone.

    A national number counts as valid only when it is valid in a country of its dialling plan
    and its groups (if any) are where that country writes them: ``016-8301344596`` (an
    e-ticket) is a valid number somewhere, but nobody writes a phone as 3-10 digits.
    """
    digits = re.sub(r"\D", "", candidate)
    if not 9 <= len(digits) <= 15:
        return 0
    stripped = candidate.strip()
    if stripped.startswith("+"):
        regions: tuple[str | None, ...] = (None,)
    elif stripped.startswith("("):
        regions = (*_TRUNK_ZERO_REGIONS, *_NORTH_AMERICA)
    elif digits.startswith("0"):
        regions = _TRUNK_ZERO_REGIONS
    else:
        regions = _NORTH_AMERICA
    groups = [len(g) for g in re.findall(r"\d+", candidate)]
    possible = False
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            if region is None:
                return 2
            if len(groups) > 1 and _national_groups(number) == groups:
                return 2
            possible = True  # valid digits, but written as a code would be
        possible = possible or phonenumbers.is_possible_number(number)
    return 1 if possible else 0


def _national_groups(number: phonenumbers.PhoneNumber) -> list[int]:
    """The digit groups of ``number`` in its country's national format (a trunk 1 of North
    America counted as a group of its own)."""
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [len(g) for g in re.findall(r"\d+", national)]


def _iban_at(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """The longest valid IBAN starting where ``m`` starts (the pattern may run on into the
    next word: "GB82 WEST ... 32 please")."""
    positions = [m.start() + i for i, ch in enumerate(m.group()) if ch != " "]
    compact = "".join(text[i] for i in positions)
    for length in range(min(34, len(compact)), 14, -1):
        if iban_valid(compact[:length]):
            return m.start(), positions[length - 1] + 1
    return None


def find_pii(text: str) -> list[PiiMatch]:
    """Every piece of personal data in ``text``, in order, without overlaps.

    Earlier kinds win overlaps in the order e-mail, IBAN, card, phone.
    """
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(kind: PiiKind, start: int, end: int) -> None:
        found.append(PiiMatch(kind, start, end, text[start:end]))
        taken.append((start, end))

    for m in _EMAIL.finditer(text):
        add(PiiKind.EMAIL, m.start(), m.end())
    for m in _IBAN.finditer(text):
        span = _iban_at(text, m) if free(m.start(), m.end()) else None
        if span is not None:
            add(PiiKind.IBAN, *span)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if free(m.start(), m.end()) and card_valid(digits):
            add(PiiKind.CARD, m.start(), m.end())  # a card is a card after any word
    for m in _PHONE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        digits = re.sub(r"\D", "", m.group())
        if _ISBN_BEFORE.search(text[max(0, m.start() - 12) : m.start()]) and (
            stdnum_isbn.is_valid(digits)
        ):
            continue
        strength = phone_strength(m.group())
        reference = _after_reference_word(text, m.start()) and not _near_phone_word(text, m.start())
        if strength == 2 or (strength == 1 and not reference):
            add(PiiKind.PHONE, m.start(), m.end())
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
