"""Normalization of what is used to match people: national ID, phone, email, gender.

Each function returns the canonical form, or None when the value identifies nobody (empty,
a placeholder typed to fill a mandatory field, or invalid). None never matches anything.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

# Kenyan national ID numbers are 7 or 8 digits; branch staff add prefixes, spaces and dots.
_ID_PREFIX = re.compile(r"^(?:KE[-\s]?)?(?:ID|NID)[-\s.:#]*", re.IGNORECASE)
_ID_SEPARATORS = re.compile(r"[\s.\-/]")
_PASSPORT = re.compile(r"^[A-Z]{1,2}\d{6,8}$")
_PLACEHOLDER_EMAIL_LOCALS = {
    "na",
    "n/a",
    "none",
    "noemail",
    "no-email",
    "no_email",
    "nomail",
    "null",
    "test",
    "unknown",
    "noreply",
    "no-reply",
}
PLACEHOLDER, INVALID = "placeholder", "invalid"
_KENYAN_MOBILE = re.compile(r"^\+254[17]\d{8}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def national_id(value: str | None) -> tuple[str, str] | None:
    """(canonical value, document type 'national_id' | 'passport') or None.

    Kenyan ID numbers are 7 or 8 digits, canonical as 8 with leading zeros: `ID12345678`,
    `KE-ID-12345678`, `12 345 678` and `12.345.678` give ('12345678', 'national_id');
    `1234567` and `01234567` are the same ID. Behind an explicit prefix the seed data's short
    registry numbers count too (`KE-ID-00001` -> '00000001'). All-one-digit values (`00000000`)
    are placeholders. A passport number keeps its letters and is typed 'passport', so it never
    meets a national ID.
    """
    return classify_national_id(value)[0]


def classify_national_id(value: str | None) -> tuple[tuple[str, str] | None, str | None]:
    """(national_id(value), problem): problem is None (fine or absent), PLACEHOLDER or INVALID."""
    if value is None or not value.strip():
        return None, None
    stripped = value.strip()
    prefixed = bool(_ID_PREFIX.match(stripped))
    cleaned = _ID_SEPARATORS.sub("", _ID_PREFIX.sub("", stripped)).upper()
    if cleaned.isdigit():
        if len(set(cleaned)) == 1:
            return None, PLACEHOLDER
        shortest = 5 if prefixed else 7
        if not shortest <= len(cleaned) <= 8:
            return None, INVALID
        return (cleaned.zfill(8), "national_id"), None
    if _PASSPORT.match(cleaned):
        if len(set(cleaned[-6:])) == 1:
            return None, PLACEHOLDER
        return (cleaned, "passport"), None
    return None, INVALID


def phone(value: str | None) -> str | None:
    """E.164 (`+254712345678`) for a valid Kenyan or international mobile/fixed number.

    A leading `00` is rewritten to `+` first: Kenya's own international prefix is `000`, so
    `phonenumbers` with region KE would misread `00254...`.
    """
    return classify_phone(value)[0]


# A batch's phones are read twice, checked by the match step then matched: one parse each (the
# library's parse is the costliest step of either). Bounded: some three batches' phones.
@functools.lru_cache(maxsize=16_384)
def classify_phone(value: str | None) -> tuple[str | None, str | None]:
    """(phone(value), problem): problem is None (fine or absent), PLACEHOLDER or INVALID."""
    if value is None:
        return None, None
    raw = re.sub(r"[\s\-().]", "", value.strip())
    if not raw:
        return None, None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    elif raw.startswith("254") and len(raw) == 12:
        raw = "+" + raw  # channel's MSISDN: international without the plus
    try:
        parsed = phonenumbers.parse(raw, "KE")
    except phonenumbers.NumberParseException:
        return None, INVALID
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # Kenya keeps opening new mobile blocks (01XX); the library's block list lags behind them
    kenyan_mobile = _KENYAN_MOBILE.match(e164) is not None
    if not (phonenumbers.is_valid_number(parsed) or kenyan_mobile):
        return None, INVALID
    if len(set(e164[-6:])) == 1:  # 0700000000, 0711111111: typed to fill the field
        return None, PLACEHOLDER
    return e164, None


def email(value: str | None) -> str | None:
    """Trimmed and case-folded for matching; placeholders (`noemail@...`, `na@na.com`) are None."""
    return classify_email(value)[0]


def classify_email(value: str | None) -> tuple[str | None, str | None]:
    """(email(value), problem): problem is None (fine or absent), PLACEHOLDER or INVALID."""
    if value is None or not value.strip():
        return None, None
    cleaned = value.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        return None, INVALID
    local, _, domain = cleaned.partition("@")
    if local in _PLACEHOLDER_EMAIL_LOCALS or domain.split(".")[0] in ("na", "none", "example"):
        return None, PLACEHOLDER
    return cleaned, None


# What core's free-text "Gender" holds, in English and Swahili (mwanamume / mwanamke).
_GENDERS = {
    "m": "male",
    "male": "male",
    "man": "male",
    "mwanamume": "male",
    "mwanaume": "male",
    "f": "female",
    "female": "female",
    "woman": "female",
    "mwanamke": "female",
}


def gender(value: str | None) -> str | None:
    """'male' or 'female'; None for anything else (absent, 'Other', 'Unknown', a code we have
    not seen), which is kept as typed but never compared: only a known difference tells two
    people apart."""
    if value is None:
        return None
    return _GENDERS.get(re.sub(r"[^a-z]", "", value.casefold()))
