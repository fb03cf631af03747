"""Local wall-time arithmetic: offsets are applied on the clock on the wall, then converted.

"The day before at 14:00" stays 14:00 across a DST change; a plain UTC timedelta would not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def at_local(day: date, clock_time: str, timezone: str) -> datetime:
    """The UTC instant of `clock_time` ("14:00") on `day` in `timezone`."""
    hour, minute = parse_clock(clock_time)
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def shift_wall(instant: datetime, minutes: int, timezone: str) -> datetime:
    """`instant` moved by `minutes` of local wall-clock time (whole days keep the hour)."""
    zone = ZoneInfo(timezone)
    wall = instant.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=minutes)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def local_day_bounds(instant: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the local calendar day that contains `instant`."""
    zone = ZoneInfo(timezone)
    day = instant.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def next_local_hour(instant: datetime, hour: int, timezone: str) -> datetime:
    """The first moment at or after `instant` when the local clock shows `hour`:00."""
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if candidate < local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=zone)
    return candidate.astimezone(UTC)


def in_quiet_hours(instant: datetime, timezone: str, start_hour: int, end_hour: int) -> bool:
    """True when the local hour is inside the night window [start_hour, end_hour)."""
    hour = instant.astimezone(ZoneInfo(timezone)).hour
    if start_hour == end_hour:
        return False
    if start_hour > end_hour:  # wraps midnight, e.g. 20 -> 9
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


def parse_clock(text: str) -> tuple[int, int]:
    """ "14:00" -> (14, 0); raises ValueError on anything else."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"expected a time like 14:00, got {text!r}")
    hour, minute = int(hours), int(minutes)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"expected a time like 14:00, got {text!r}")
    return hour, minute


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored datetime is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
