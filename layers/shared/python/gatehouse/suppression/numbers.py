"""Phone numbers as the suppression list and DNC scrubbing take them: E.164, validated.

Input from people (``(555) 010-1234``, ``+1 555 010 1234``) is parsed with
``phonenumbers`` (United States when no country code is given) and rejected with a
reason when it is not a possible, valid number. Errors never echo the number.
"""

from __future__ import annotations

import re
from typing import Final

from gatehouse.errors import Invalid

DEFAULT_REGION: Final = "US"
_E164: Final = re.compile(r"^\+[1-9][0-9]{7,14}$")
_MAX_INPUT: Final = 40


def to_e164(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The number in E.164, or ``Invalid`` saying why not (without repeating it)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_INPUT:
        raise Invalid("number is not a phone number")
    import phonenumbers  # noqa: PLC0415 - its metadata loads with it: only where a number is read

    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise Invalid("number is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("number is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value: str) -> bool:
    return bool(_E164.fullmatch(value))
