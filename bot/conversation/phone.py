"""Phone numbers: normalised to E.164 before they are stored or compared."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

# Every SMS and call webhook parses its sender: a patient's number parsed once serves all their
# messages. Bounded, so a flood of distinct senders only churns it; the numbers it holds are the
# ones the database holds anyway.
PARSED_NUMBERS_KEPT = 4096


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number; the message says why, without echoing it in logs."""


def to_e164(text: str, default_region: str = "US") -> str:
    e164, why_not = _parsed(text, default_region)
    if e164 is None:
        raise InvalidPhoneNumber(why_not)
    return e164


@lru_cache(maxsize=PARSED_NUMBERS_KEPT)
def _parsed(text: str, default_region: str) -> tuple[str | None, str]:
    """(the E.164 form, "") or (None, why it is not a number): failures are remembered too."""
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        return None, f"not a phone number ({exc.args[0]})"
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid phone number for its country"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
