"""A demo clinic for the console: a cohort mid-program with answers, alerts, a hold, a failed
send and staff of every role, made by replaying five weeks through the real code.

Time is replayed with a stepped clock: every day the real due-work pass opens, offers, nudges and
expires surveys, the real dispatcher sends to the console channel (the simulator's), and the
patients answer through the real pipeline. One SMS number is refused by a stand-in for a carrier
that rejects the number (a FinalSendError, as Twilio's 30003), so Today shows a failed send.
Used by `pathbot staff demo` and the console tests.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.channels.base import Channel, FinalSendError, OutboundEnvelope
from bot.channels.console import ConsoleChannel
from bot.clinic.staff import accounts
from bot.conversation.messages import Inbound, Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity
from bot.schedule import cohorts
from bot.schedule.due import materialise_due_work
from bot.service.app import App
from bot.service.dispatcher import SendRules, dispatch_pending

CLINIC_TZ = "America/New_York"
# printed by `pathbot staff demo` for its throw-away database; never for real use
DEMO_PASSWORD = "demo console password"  # noqa: S105
DEMO_STAFF = (
    ("admin", "administrator", "Ada Admin"),
    ("coordinator", "coordinator", "Cora Coordinator"),
    ("clinician", "clinician", "Cleo Clinician"),
    ("researcher", "researcher", "Rhea Researcher"),
)
# study id, name, language, time zone, how diligent (share of days they answer), pain level
DEMO_PATIENTS = (
    ("P001", "Ana Torres", "es", CLINIC_TZ, 1.0, 7),
    ("P002", "Ben Carter", "en", CLINIC_TZ, 0.9, 5),
    ("P003", "Chloé Martin", "en", "Europe/Paris", 0.8, 6),
    ("P004", "Dev Patel", "en", CLINIC_TZ, 1.0, 8),
    ("P005", "ليلى حداد", "en", CLINIC_TZ, 0.7, 4),
    ("P006", "Finn O'Brien", "en", "America/Los_Angeles", 0.0, 6),
    ("P007", "Grace Liu", "en", CLINIC_TZ, 1.0, 6),
    ("P008", "Hugo Silva", "es", CLINIC_TZ, 0.5, 5),
    ("P009", "Iris Novak", "en", CLINIC_TZ, 1.0, 3),
    ("P010", "Jon Berg", "en", CLINIC_TZ, 0.9, 7),
)
CRISIS_PATIENT = "P004"
FAILED_SMS_PATIENT = "P002"
MAX_ITEMS = 80  # the longest sitting is PROMIS-29 (29 items): a bound, not a target


class SteppedClock:
    """The replay's clock: the app reads it, the replay moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DemoClinic:
    cohort: str
    patients: list[str] = field(default_factory=list)
    answers: int = 0


class _RefusingCarrier:
    """SMS sends fail for good, as a carrier that rejects the number would (Twilio 30003)."""

    name = "sms"

    async def send(self, message: OutboundEnvelope) -> str:
        raise FinalSendError("unreachable destination handset", code="30003")


def build_demo_clinic(
    app: App, clock: SteppedClock, *, end: datetime, weeks_in: int = 5, patients: int = 10
) -> DemoClinic:
    """Replay `weeks_in` weeks of a 13-week cohort up to `end`; `app` must read `clock`."""
    assert patients >= 4, "the crisis and the failed send belong to P002 and P004"
    zone = ZoneInfo(CLINIC_TZ)
    end_local = end.astimezone(zone).date()
    # the first session is a Tuesday `weeks_in` weeks ago; the baseline opens a week before it
    first_session = end_local - timedelta(days=(end_local.weekday() - 1) % 7 + 7 * weeks_in)
    clock.now = datetime.combine(first_session - timedelta(days=8), time(9), zone).astimezone(UTC)
    demo = DemoClinic(cohort="Spring cohort")
    with session_scope(app.db) as s:
        cohort = cohorts.create_cohort(
            s,
            name=demo.cohort,
            start_date=first_session,
            timezone=CLINIC_TZ,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00", location="Room 2, Pain Clinic"),
            now=clock(),
        )
        for study_id, name, locale, tz, _, _ in DEMO_PATIENTS[:patients]:
            patient = store.add_patient(
                s, study_id=study_id, display_name=name, locale=locale, timezone=tz, now=clock()
            )
            store.bind_channel(
                s, patient=patient, channel="console", address=f"demo-{study_id}",
                consent_text_version="demo-1", method="console", now=clock(),
            )  # fmt: skip
            if study_id == FAILED_SMS_PATIENT:
                s.add(
                    ChannelIdentity(
                        patient_id=patient.id or 0,
                        channel="sms",
                        address="+18025550123",
                        status="active",
                        created_at=clock(),
                    )  # fmt: skip
                )
            cohorts.enrol(s, cohort, patient, clock())
            demo.patients.append(study_id)
    console = ConsoleChannel(io.StringIO())
    channels: dict[str, Channel] = {"console": console, "sms": _RefusingCarrier()}
    day = first_session - timedelta(days=7)
    while day <= end_local:
        for hour in (10, 15):
            moment = datetime.combine(day, time(hour), zone).astimezone(UTC)
            if moment > end:
                break
            clock.now = moment
            materialise_due_work(app.due_work_setup(), clock())
            asyncio.run(dispatch_pending(app.db, channels, clock(), rules=SendRules()))
            demo.answers += _patients_answer(app, clock, day, patients)
            asyncio.run(dispatch_pending(app.db, channels, clock(), rules=SendRules()))
        day += timedelta(days=1)
    _failed_sms(app, clock, end)
    asyncio.run(dispatch_pending(app.db, channels, clock(), rules=SendRules()))
    _crisis(app, clock, end)
    return demo


def add_demo_staff(app: App, *, now: datetime) -> None:
    with session_scope(app.db) as s:
        for username, role, name in DEMO_STAFF:
            if accounts.find_user(s, username) is None:
                accounts.add_user(
                    s, username=username, role=role, password=DEMO_PASSWORD, display_name=name,
                    actor="pathbot staff demo", now=now,
                )  # fmt: skip


def _patients_answer(app: App, clock: SteppedClock, day: date, patients: int) -> int:
    answered = 0
    for index, (study_id, _, _, _, diligence, pain) in enumerate(DEMO_PATIENTS[:patients]):
        # a fixed pattern, not random: the demo is the same every time
        if diligence == 0.0 or ((day.toordinal() + index) % 10) >= diligence * 10:
            continue
        for step in range(MAX_ITEMS):
            if not _in_survey(app, study_id):
                break
            value = str(_answer_value(pain, step, day))
            inbound = Inbound(
                "console", f"demo-{study_id}", f"demo-{study_id}-{clock().isoformat()}-{step}",
                value, clock(),
            )  # fmt: skip
            app.pipeline.handle(inbound)
            answered += 1
    return answered


def _answer_value(pain: int, step: int, day: date) -> int:
    """Pain drifts down a little over the weeks; other items take a middle answer."""
    if step == 0:
        return max(0, min(10, pain - (day.toordinal() // 14) % 3))
    return 3


def _in_survey(app: App, study_id: str) -> bool:
    with Session(app.db) as s:
        patient = store.patient_by_study_id(s, study_id)
        if patient is None or patient.id is None:
            return False
        # a question is open now (a battery between two sittings is in progress, yet waits;
        # a survey on hold after crisis language is in the state, yet waits for staff)
        state = store.load_state(s, patient.id, for_update=False)
        return state.survey is not None and state.mode == "active"


def _crisis(app: App, clock: SteppedClock, end: datetime) -> None:
    clock.now = end - timedelta(hours=3)
    app.pipeline.handle(
        Inbound(
            "console",
            f"demo-{CRISIS_PATIENT}",
            "demo-crisis-1",
            "i can't do this anymore, i want to end my life",
            clock(),
        )  # fmt: skip
    )
    clock.now = end


def _failed_sms(app: App, clock: SteppedClock, end: datetime) -> None:
    """A reminder queued yesterday afternoon (outside quiet hours) that the carrier refuses."""
    clock.now = datetime.combine(
        end.astimezone(ZoneInfo(CLINIC_TZ)).date() - timedelta(days=1),
        time(15),
        ZoneInfo(CLINIC_TZ),
    ).astimezone(UTC)
    with session_scope(app.db) as s:
        patient = store.patient_by_study_id(s, FAILED_SMS_PATIENT)
        assert patient is not None and patient.id is not None
        store.enqueue(
            s,
            patient_id=patient.id,
            channel="sms",
            address="+18025550123",
            messages=_reminder(),
            dedupe_prefix=f"demo-sms:{clock().isoformat()}",
            now=clock(),
        )


def _reminder() -> list[Outgoing]:
    return [Outgoing("reply", "Pain Program: reminder, your group meets Tuesday at 14:00.")]
