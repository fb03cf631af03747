"""The Jinja2 environment: templates beside their routes, autoescaped, with time helpers.

Times are shown in the clinic's zone; `when(instant, patient_tz)` adds the patient's own clock
when their zone differs, so "09:05 EST (15:05 CET for the patient)" is never ambiguous.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime
from markupsafe import Markup, escape

WEB_DIR = Path(__file__).resolve().parent
_FORMAT = "EEE d MMM y, HH:mm"


def build_templates(clinic_timezone: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(WEB_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def when(instant: datetime | None, patient_tz: str | None = None) -> Markup:
        if instant is None:
            return Markup("&ndash;")
        text = local_text(instant, clinic_timezone)
        html = f'<time datetime="{escape(instant.isoformat())}">{escape(text)}</time>'
        if patient_tz and patient_tz != clinic_timezone:
            theirs = clock_text(instant, patient_tz)
            html += f' <span class="other-tz">({escape(theirs)} for the patient)</span>'
        return Markup(html)  # noqa: S704 - every value in it went through escape()

    def when_in(instant: datetime | None, timezone: str) -> Markup:
        """An instant on another clock (a cohort's own zone), with the clinic's where it differs."""
        if instant is None:
            return Markup("&ndash;")
        text = local_text(instant, timezone)
        html = f'<time datetime="{escape(instant.isoformat())}">{escape(text)}</time>'
        if timezone != clinic_timezone:
            ours = clock_text(instant, clinic_timezone)
            html += f' <span class="other-tz">({escape(ours)} at the clinic)</span>'
        return Markup(html)  # noqa: S704 - every value in it went through escape()

    env.globals["when"] = when
    env.globals["when_in"] = when_in
    env.globals["clinic_timezone"] = clinic_timezone
    env.filters["age"] = age_text
    env.filters["day"] = lambda instant: day_text(instant, clinic_timezone)
    return env


# Babel takes a fraction of a millisecond per date; a grid or a forecast shows the same few
# instants hundreds of times, so each is formatted once.
@lru_cache(maxsize=8192)
def local_text(instant: datetime, timezone: str) -> str:
    return format_datetime(instant, _FORMAT + " zzz", tzinfo=_zone(timezone), locale="en")


@lru_cache(maxsize=8192)
def clock_text(instant: datetime, timezone: str) -> str:
    return format_datetime(instant, "HH:mm zzz", tzinfo=_zone(timezone), locale="en")


@lru_cache(maxsize=8192)
def day_text(instant: datetime, timezone: str) -> str:
    return format_datetime(instant, "d MMM y", tzinfo=_zone(timezone), locale="en")


def age_text(delta: timedelta) -> str:
    """'5 min', '3 h', '2 d': how long something has waited."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
