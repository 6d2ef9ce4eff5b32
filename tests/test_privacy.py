"""Redaction of personal data, on crafted examples (including ones that must be kept)."""

from __future__ import annotations

import pytest

from realitygap.domain.privacy import (
    PiiKind,
    find_pii,
    iban_valid,
    luhn_valid,
    redact,
    redact_many,
)

# Published test numbers: card numbers from the card networks' public test lists (Stripe's
# testing page: 4242 4242 4242 4242 Visa, 5555 5555 5555 4444 Mastercard, 3782 822463 10005
# Amex); IBANs from the ISO 13616 / SWIFT IBAN registry examples.
VISA = "4242 4242 4242 4242"
MASTERCARD = "5555-5555-5555-4444"
AMEX = "378282246310005"
IBAN_GB = "GB82 WEST 1234 5698 7654 32"
IBAN_DE = "DE89370400440532013000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at ann.lee+shop@example.co.uk!", "mail me at [EMAIL]!"),
        (f"paid with {VISA} yesterday", "paid with [CARD] yesterday"),
        (f"card {MASTERCARD}.", "card [CARD]."),
        (f"amex {AMEX}", "amex [CARD]"),
        (f"refund to {IBAN_GB} please", "refund to [IBAN] please"),
        (f"IBAN: {IBAN_DE}", "IBAN: [IBAN]"),
        ("call +44 20 7946 0958 now", "call [PHONE] now"),
        ("ring 020 7946 0958", "ring [PHONE]"),
        ("mobile 07700 900123", "mobile [PHONE]"),
        ("US line (555) 123-4567.", "US line [PHONE]."),
        ("or 555-123-4567", "or [PHONE]"),
        ("+1-202-555-0143", "[PHONE]"),
        # issue 16: the reference-word exemption never covers a card or a valid phone
        ("Order #4242424242424242 was wrong", "Order #[CARD] was wrong"),
        ("order 4111 1111 1111 1111 charged", "order [CARD] charged"),
        ("card number 4111 1111 1111 1111", "card number [CARD]"),
        ("phone no. +44 20 7946 0958", "phone no. [PHONE]"),
        ("mobile no: 07700 900123", "mobile no: [PHONE]"),
        ("1-800-555-0199", "[PHONE]"),
        ("5551234567", "[PHONE]"),
        ("5500-0000-0000-0004", "[CARD]"),
        ("refund gb82 west 1234 5698 7654 32 please", "refund [IBAN] please"),
        ("jane@exämple.com", "[EMAIL]"),
        ("用户@例子.广告", "[EMAIL]"),
    ],
)
def test_personal_data_is_redacted(text: str, expected: str) -> None:
    # expected strings written by hand: only the personal data is replaced
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 100234567 arrived late",  # order number
        "tracking number 00340434161234567890",
        "delivered on 2025-03-14 at 10:30",  # ISO date and time
        "on 14/03/2025 and 03.14.2025",  # dates
        "it cost $1,234.56, then €12.99 and £1 234 567",  # prices
        "4242 4242 4242 4241",  # fails Luhn (last digit changed)
        "GB82 WEST 1234 5698 7654 33",  # fails mod-97 (last digit changed)
        "version 1.2.3.4, 3 x 250 ml, room 0 2",
        "ISBN 978-0-306-40615-7",
        "temperature 21.5 and 1234567",  # 7 digits: too short for a phone
    ],
)
def test_non_personal_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_luhn_matches_hand_calculation() -> None:
    # 79927398713 is the worked example of the Luhn algorithm (ISO/IEC 7812-1 annex):
    # doubled digits 1,8,9,2,7 -> 2,16->7,18->9,4,14->5 ; sum = 70, divisible by 10
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_iban_mod97_matches_registry_example() -> None:
    # GB82WEST12345698765432: rearranged and converted to digits, mod 97 == 1 (SWIFT registry)
    assert iban_valid(IBAN_GB)
    assert iban_valid(IBAN_DE)
    assert not iban_valid("GB82WEST12345698765431")


def test_redaction_is_idempotent_and_spans_are_exact() -> None:
    text = f"ann@example.com / {VISA} / +44 20 7946 0958 / {IBAN_GB}"
    once = redact(text)
    assert redact(once) == once
    kinds = [m.kind for m in find_pii(text)]
    assert kinds == [PiiKind.EMAIL, PiiKind.CARD, PiiKind.PHONE, PiiKind.IBAN]
    assert all(text[m.start : m.end] == m.text for m in find_pii(text))


def test_redact_many_matches_redact() -> None:
    texts = ["no digits here", "a@b.io", f"{VISA}", "price 12.50"]
    assert redact_many(texts) == [redact(t) for t in texts]
