"""Monthly alumni meetings by rule ("first Tuesday 17:30", "2nd Thursday", "last Friday 12:00").

Meetings are materialised a few months ahead by the scheduler's tick; the occurrence key makes a
repeated or concurrent extension a no-op. They reach every graduate not opted out (outbox.alumni).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db.models import Event
from bot.db.schedule_models import AlumniRule, EventOccurrence
from bot.schedule.localtime import at_local, parse_clock

MONTHS_AHEAD = 3
DEFAULT_TIME = "17:30"

_ORDINALS = {
    "first": 1, "1st": 1, "1": 1,
    "second": 2, "2nd": 2, "2": 2,
    "third": 3, "3rd": 3, "3": 3,
    "fourth": 4, "4th": 4, "4": 4,
    "last": -1,
}  # fmt: skip
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)} | {
    name.lower(): i for i, name in enumerate(calendar.day_abbr)
}
_RULE = re.compile(r"^\s*(\S+)\s+([a-z]+)(?:\s+(?:at\s+)?(\d{1,2}:\d{2}))?\s*$", re.IGNORECASE)


class RuleError(ValueError):
    """The rule text is not understood; the message shows the expected form."""


def parse_rule(text: str) -> tuple[int, int, str]:
    """ "first Tuesday 17:30" -> (1, 1, "17:30"); the time defaults to 17:30."""
    match = _RULE.match(text)
    hint = 'expected e.g. "first Tuesday 17:30", "2nd Thursday" or "last Friday 12:00"'
    if not match:
        raise RuleError(f"cannot read {text!r}: {hint}")
    ordinal = _ORDINALS.get(match.group(1).lower())
    weekday = _WEEKDAYS.get(match.group(2).lower())
    if ordinal is None or weekday is None:
        raise RuleError(f"cannot read {text!r}: {hint}")
    clock = match.group(3) or DEFAULT_TIME
    try:
        parse_clock(clock)
    except ValueError as exc:
        raise RuleError(f"cannot read {text!r}: {exc}") from None
    return ordinal, weekday, clock.zfill(5)


def nth_weekday(year: int, month: int, ordinal: int, weekday: int) -> date:
    """The `ordinal`-th `weekday` of the month (ordinal -1 = the last one)."""
    days = [
        date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    return days[-1] if ordinal == -1 else days[ordinal - 1]


def add_rule(
    session: Session,
    *,
    text: str,
    timezone: str,
    now: datetime,
    minutes: int = 60,
    location: str | None = None,
    video_link: str | None = None,
) -> AlumniRule:
    ZoneInfo(timezone)
    ordinal, weekday, clock = parse_rule(text)
    rule = AlumniRule(
        text=text.strip(),
        ordinal=ordinal,
        weekday=weekday,
        local_time=clock,
        timezone=timezone,
        minutes=minutes,
        location=location,
        video_link=video_link,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    extend_alumni_meetings(session, now)
    return rule


def extend_alumni_meetings(
    session: Session, now: datetime, months_ahead: int = MONTHS_AHEAD
) -> int:
    """Create each active rule's meetings from now to `months_ahead` months on; returns how many."""
    made = 0
    rules = session.exec(select(AlumniRule).where(AlumniRule.active == True)).all()  # noqa: E712
    for rule in rules:
        local_now = now.astimezone(ZoneInfo(rule.timezone))
        year, month = local_now.year, local_now.month
        for step in range(months_ahead + 1):
            y, m = year + (month - 1 + step) // 12, (month - 1 + step) % 12 + 1
            day = nth_weekday(y, m, rule.ordinal, rule.weekday)
            starts = at_local(day, rule.local_time, rule.timezone)
            if starts <= now or starts < rule.created_at:
                continue
            if _materialise(session, rule, y, m, starts, now):
                made += 1
    return made


def _materialise(
    session: Session, rule: AlumniRule, year: int, month: int, starts: datetime, now: datetime
) -> bool:
    key = f"alumni:{rule.id}:{year:04d}-{month:02d}"
    if session.exec(select(EventOccurrence.id).where(EventOccurrence.key == key)).first():
        return False
    try:
        with session.begin_nested():  # another scheduler may have made it a moment ago
            event = Event(
                kind="alumni_meeting",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=rule.minutes),
                location=rule.location,
                video_link=rule.video_link,
                created_at=now,
            )
            session.add(event)
            session.flush()
            assert event.id is not None
            session.add(EventOccurrence(key=key, event_id=event.id, sequence=year * 12 + month))
            session.flush()
    except IntegrityError:
        return False
    return True


def alumni_meetings(session: Session, after: datetime) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .where(Event.kind == "alumni_meeting", Event.starts_at >= after)
            .order_by(col(Event.starts_at))
        ).all()
    )


def rules(session: Session) -> list[AlumniRule]:
    """Every alumni meeting rule, active first, oldest first."""
    return list(
        session.exec(
            select(AlumniRule).order_by(col(AlumniRule.active).desc(), col(AlumniRule.id))
        ).all()
    )


def remove_rule(session: Session, rule_id: int) -> AlumniRule | None:
    """Stop a rule making meetings; None when there is no such active rule.

    Meetings it already put in the calendar stay (alumni may have been reminded of them):
    each is cancelled on its own, which tells the alumni.
    """
    rule = session.get(AlumniRule, rule_id)
    if rule is None or not rule.active:
        return None
    rule.active = False
    session.add(rule)
    session.flush()
    return rule


def rule_of(session: Session, event_id: int) -> int | None:
    """The id of the rule that made an alumni meeting (from its occurrence key)."""
    key = session.exec(
        select(EventOccurrence.key).where(EventOccurrence.event_id == event_id)
    ).first()
    if key is None or not key.startswith("alumni:"):
        return None
    return int(key.split(":")[1])
