"""A cohort's calendar as stored: its group sessions in order, and which week each one is."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.db.models import Event
from bot.db.schedule_models import EventOccurrence


def cohort_sessions(
    session: Session, cohort_id: int, *, include_cancelled: bool = True
) -> list[Event]:
    query = select(Event).where(Event.cohort_id == cohort_id, Event.kind == "session")
    if not include_cancelled:
        query = query.where(Event.status != "cancelled")
    return list(session.exec(query.order_by(col(Event.starts_at))).all())


def week_of(session: Session, event_id: int) -> int | None:
    occurrence = session.exec(
        select(EventOccurrence).where(EventOccurrence.event_id == event_id)
    ).first()
    return occurrence.sequence if occurrence else None
