"""Helpers for the schedule tests: a recording channel and a fast-forward simulation loop."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.channels.base import OutboundEnvelope
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Event, OutboxMessage, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from bot.schedule.due import materialise_due_work
from bot.service.app import App, build_app
from bot.service.dispatcher import SendRules, dispatch_pending
from bot.service.settings import Settings
from tests.support import FakeClock


class RecordingChannel:
    """Records what it sends and when (by the fake clock)."""

    def __init__(self, clock: FakeClock, name: str = "sms") -> None:
        self.name = name
        self.clock = clock
        self.sent: list[tuple[datetime, OutboundEnvelope]] = []

    async def send(self, message: OutboundEnvelope) -> str:
        self.sent.append((self.clock(), message))
        return f"rec-{len(self.sent)}"


def make_app(db_url: str, clock: FakeClock) -> App:
    return build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]


def add_patient(
    app: App, study_id: str, *, tz: str = "America/New_York", locale: str = "en"
) -> int:
    with session_scope(app.db) as s:
        p = store.add_patient(
            s, study_id=study_id, now=app.pipeline.now(), locale=locale, timezone=tz
        )
        store.bind_channel(
            s, patient=p, channel="sms", address=f"+1802555{len(study_id):01d}{study_id[-3:]}",
            consent_text_version="t1", method="staff", now=app.pipeline.now(),
        )  # fmt: skip
        assert p.id is not None
        return p.id


def tick(app: App, channel: RecordingChannel, rules: SendRules | None = None) -> int:
    now = app.pipeline.now()
    materialise_due_work(app.due_work_setup(), now)
    return asyncio.run(
        dispatch_pending(app.db, {channel.name: channel}, now, rules=rules or SendRules())
    )


def next_wakeup(app: App, now: datetime) -> datetime | None:
    """The next moment anything in the calendar could come due (so the simulation can jump)."""
    times: list[datetime] = []
    with Session(app.db) as s:
        for row in s.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).all():
            times.append(row.not_before)
        for a, e in s.exec(
            select(SurveyAssignment, SurveyPlanEntry)
            .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
            .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        ).all():
            times += [a.opens_at, a.expires_at]
            times += [a.opens_at + timedelta(minutes=m) for m in e.nudge_minutes]
        for ev in s.exec(select(Event)).all():
            times += [ev.starts_at - timedelta(minutes=m) for m in (1440, 60, 0)]
            times += [ev.starts_at - timedelta(minutes=m) for m in (1380, 1500)]  # DST slack
            if ev.ends_at:
                times.append(ev.ends_at)
    later = [t for t in times if t > now]
    return min(later) if later else None


def simulate_until(app: App, clock: FakeClock, channel: RecordingChannel, end: datetime) -> None:
    while clock.now < end:
        tick(app, channel)
        nxt = next_wakeup(app, clock.now)
        daily = clock.now + timedelta(hours=12)  # catch-up points for held messages and new rules
        clock.now = min(t for t in (nxt, daily, end) if t is not None)
    tick(app, channel)


def patient_ids(app: App) -> list[int]:
    with Session(app.db) as s:
        return [p.id for p in s.exec(select(Patient).order_by(col(Patient.id))).all() if p.id]
