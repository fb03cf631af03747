"""Dates, times and plurals in the patient's language (issue 19 point 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.conversation.i18n import translator
from bot.conversation.local_time import day_and_time, localise_digits

NY = ZoneInfo("America/New_York")
TUESDAY_2PM = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)


def _day(code: str) -> tuple[str, str]:
    return day_and_time(TUESDAY_2PM, NY, translator(code).locale)


def test_each_language_writes_the_date_its_own_way() -> None:
    assert _day("en") == ("Tuesday, November 24", "2:00\u202fPM")
    assert _day("es") == ("martes, 24 de noviembre", "14:00")
    # Arabic separates with the Arabic comma, never ", ", and keeps CLDR's 0-9 digits
    assert _day("ar")[0] == "الثلاثاء، 24 نوفمبر" and ", " not in _day("ar")[0]
    # native digits where CLDR says the language writes them
    assert _day("ne") == ("नोभेम्बर २४, मङ्गलबार", "१४:००")
    assert _day("fa-AF")[1] == "۱۴:۰۰" and "۲۴" in _day("fa-AF")[0]
    assert _day("ps")[1] == "۱۴:۰۰"
    assert _day("my")[1] == "၁၄:၀၀"
    assert _day("uk") == ("вівторок, 24 листопада", "14:00")


def test_native_digits_only_where_the_language_defaults_to_them() -> None:
    assert localise_digits("0123456789", "ne") == "०१२३४५६७८९"
    assert localise_digits("10", "fa_AF") == "۱۰"
    assert localise_digits("10", "ar") == "10"
    assert localise_digits("10", "fr") == "10"


def test_arabic_has_six_plural_forms() -> None:
    tr = translator("ar")
    forms = {
        n: tr.ngettext(
            "You skipped {count} question. Answer it now? {yes} / {no}",
            "You skipped {count} questions. Answer them now? {yes} / {no}",
            n,
        )
        for n in (0, 1, 2, 3, 11, 100)
    }
    assert len(set(forms.values())) == 6
    assert "سؤالين" in forms[2] and "أسئلة" in forms[3] and "سؤالًا" in forms[11]


def test_ukrainian_has_three_and_dari_one() -> None:
    uk = translator("uk")
    intro = ("{program}: {title}. {count} question.", "{program}: {title}. {count} questions.")
    assert uk.ngettext(*intro, 1).endswith("запитання.")
    assert uk.ngettext(*intro, 5).endswith("запитань.")
    assert uk.ngettext(*intro, 21) == uk.ngettext(*intro, 1)
    fa = translator("fa-AF")
    assert fa.ngettext(*intro, 1) == fa.ngettext(*intro, 7)
