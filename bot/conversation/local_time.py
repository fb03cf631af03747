"""Dates and times as a patient reads them: their language's CLDR patterns (Babel), with the
language's own separators ("،" in Arabic, never a hard-coded ", "), and the digits CLDR says the
language writes by default (Devanagari for Nepali, Persian for Dari and Pashto, Myanmar for
Burmese; Arabic is written with 0-9 by CLDR's default, and so it is here).

Only dates and times are written in native digits: option codes and ranges stay 0-9, because
that is what keypads and buttons send (replies in native digits are read all the same).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time

# The zero of each CLDR numbering system a language here defaults to.
_ZEROS = {"deva": 0x0966, "arab": 0x0660, "arabext": 0x06F0, "mymr": 0x1040}


def day_and_time(instant: datetime, zone: ZoneInfo, babel_locale: str) -> tuple[str, str]:
    """("Tuesday, November 24", "2:00 PM") in `babel_locale`: weekday, day and month; time."""
    day = format_datetime(instant, _day_pattern(babel_locale), tzinfo=zone, locale=babel_locale)
    clock = format_time(instant, format="short", tzinfo=zone, locale=babel_locale)
    return localise_digits(day, babel_locale), localise_digits(clock, babel_locale)


@cache
def _day_pattern(babel_locale: str) -> str:
    """The language's own pattern for weekday, day and month (CLDR "MMMMEd", else "MMMEd"),
    with the weekday and month written out: "EEEE، d MMMM" in Arabic, "EEEE, MMMM d" in
    English. Its separators are the language's, never a hard-coded ", "."""
    skeletons = Locale.parse(babel_locale).datetime_skeletons
    for skeleton in ("MMMMEd", "MMMEd"):
        found = skeletons.get(skeleton)
        if found is not None:
            pattern = re.sub(r"E+|c+", "EEEE", str(found.pattern))
            return re.sub(r"(?<![ML])([ML])\1\1(?![ML])", r"\1\1\1\1", pattern)
    return "EEEE d MMMM"


def localise_digits(text: str, babel_locale: str) -> str:
    """`text` with 0-9 in the language's default digits (unchanged for Latin-digit languages)."""
    table = _digit_table(babel_locale)
    return text.translate(table) if table else text


@cache
def _digit_table(babel_locale: str) -> dict[int, str]:
    system = Locale.parse(babel_locale).default_numbering_system
    zero = _ZEROS.get(system)
    if zero is None:
        return {}
    return {ord(str(d)): chr(zero + d) for d in range(10)}
