"""Identifiers from outside brought to the store's normal forms, so they compare exactly.

The forms are those of the ``transfers`` table: names lower case without accents and with
single spaces, phones E.164, emails lower case, ID numbers upper-case letters and digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def name_norm(name: str) -> str:
    """``"DIZON, María-Santos"`` -> ``"dizon maria santos"``, exactly as ingest stores names
    (accents dropped, every run of other characters one space)."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return _NOT_NAME.sub(" ", plain).strip()


def name_key(name: str) -> str:
    """Tokens sorted, so that surname-first and given-name-first forms compare equal."""
    return " ".join(sorted(name_norm(name).split()))


def email_norm(email: str) -> str | None:
    value = email.strip().lower()
    return value if "@" in value else None


def id_norm(number: str) -> str | None:
    value = re.sub(r"[^A-Za-z0-9]", "", number).upper()
    return value or None


def phone_candidates(raw: str, regions: Iterable[str]) -> list[str]:
    """Every E.164 reading of a phone written in any format, best first.

    A number with its country code has one reading. A number in national format
    ("0917 123 4567", "81 8801 3223") is read in each of ``regions`` (the subject's
    countries, then the countries receivers are in): every region where it is a valid
    number gives a reading, since "81 8801 3223" is valid in Mexico and in the +1 plan
    alike; matching keeps the readings the transfers actually hold. With no valid
    reading, the first merely possible one (ingest keeps those too).
    """
    text = raw.strip()
    if not text:
        return []
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates: list[str | None] = [None] if text.startswith("+") else []
    candidates += [r.upper() for r in regions if r]
    valid: list[str] = []
    possible: list[str] = []
    for region in candidates:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number):
            valid.append(e164)
        elif phonenumbers.is_possible_number(number):
            possible.append(e164)
        if region is None:
            break  # the country code was given: no other reading
    return list(dict.fromkeys(valid)) or possible[:1]


def phone_e164(raw: str, regions: Iterable[str]) -> str | None:
    """The best E.164 reading of a phone (see ``phone_candidates``), or None."""
    readings = phone_candidates(raw, regions)
    return readings[0] if readings else None
