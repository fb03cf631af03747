"""Alerts to staff: clinical flags, notices through a fake Telegram group and a fake SMTP server,
acknowledgement, re-send of an open crisis alert after the configured time, digests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.clinic.alerts.manage import AlertNotFound, acknowledge, list_alerts
from bot.clinic.alerts.staff_channels import EmailStaffChannel, TelegramStaffChannel
from bot.db.database import session_scope
from bot.db.models import Alert, AuditLog
from bot.service.app import App
from bot.service.settings import Settings
from bot.service.staff_alerts import notify_staff, staff_channels
from tests.exports_support import add_patient, complete_survey, dvprs_answers, make_app
from tests.fakes.smtp_server import FakeSMTP
from tests.fakes.telegram_api import FakeTelegram
from tests.support import FakeClock

TOKEN = "123456:staff-test-token"
STAFF_CHAT = "-1001234567"


def _alerts(app: App) -> list[Alert]:
    with Session(app.db) as s:
        return list(s.exec(select(Alert).order_by(Alert.id)).all())  # type: ignore[arg-type]


def test_dvprs_flags_severe_and_rise_once_per_survey(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    try:
        add_patient(app, "S-001")
        day = timedelta(days=7)
        for week, pain in enumerate([3, 5, 6, 8, 4]):
            complete_survey(app, "S-001", "dvprs", dvprs_answers(pain), when=clock() + week * day)
        assert [(a.kind, a.rule_id) for a in _alerts(app)] == [
            ("clinical", "dvprs_rise"),  # 6 = baseline 3 + 3
            ("clinical", "dvprs_severe,dvprs_rise"),  # 8
        ]
    finally:
        app.db.dispose()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeSMTP]]:
    telegram, smtp = FakeTelegram(TOKEN), FakeSMTP()
    await telegram.start()
    await smtp.start()
    yield telegram, smtp
    await telegram.stop()
    await smtp.stop()


def _app(sqlite_url: str, clock: FakeClock, telegram: FakeTelegram, smtp: FakeSMTP) -> App:
    return make_app(
        sqlite_url,
        clock,
        staff_telegram_chat_id=STAFF_CHAT,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.base,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        alert_email_from="pathbot@clinic.test",
        alert_email_to="oncall@clinic.test, coordinator@clinic.test",
        alert_resend_minutes=10,
        alert_digest_minutes=60,
    )


def _raise(app: App, study_id: str, kind: str) -> int:
    from bot.db.models import Patient

    with session_scope(app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == study_id)).one()
        alert = Alert(
            patient_id=patient.id or 0,
            kind=kind,
            tier=1 if kind == "crisis" else None,
            created_at=app.pipeline.now(),
        )
        s.add(alert)
        s.flush()
        return alert.id or 0


def _telegram_texts(telegram: FakeTelegram) -> list[str]:
    return [str(c["text"]) for c in telegram.calls_of("sendMessage")]


async def test_crisis_goes_at_once_flags_in_a_digest_and_resend_until_ack(
    sqlite_url: str, clock: FakeClock, fakes: tuple[FakeTelegram, FakeSMTP]
) -> None:
    telegram, smtp = fakes
    app = _app(sqlite_url, clock, telegram, smtp)
    try:
        assert [c.name for c in staff_channels(app.settings)] == ["telegram", "email"]
        add_patient(app, "S-001", name="Ada Lovelace")
        add_patient(app, "S-002")
        complete_survey(app, "S-002", "dvprs", dvprs_answers(9), when=clock())  # clinical flag
        crisis = _raise(app, "S-001", "crisis")
        _raise(app, "S-002", "opt_out")

        report = await notify_staff(app, clock())
        assert sorted((n.channel, n.kind) for n in report.sent) == [
            ("email", "digest"),
            ("email", "immediate"),
            ("telegram", "digest"),
            ("telegram", "immediate"),
        ]
        texts = _telegram_texts(telegram)
        assert texts[0].startswith(f"pathbot ALERT #{crisis}: CRISIS for study id S-001")
        assert "S-002 clinical" in texts[1] and "S-002 opt_out" in texts[1]
        for text in texts:  # study id and kind only: no name, score, band or descriptor
            for secret in ("Ada", "Lovelace", "9", "severe", "pain"):
                assert secret not in text.replace(f"#{crisis}", "#")
        assert {m.message["Subject"] for m in smtp.received} == {"pathbot staff alert"}
        assert smtp.received[0].recipients == ["oncall@clinic.test", "coordinator@clinic.test"]
        assert "CRISIS for study id S-001" in smtp.received[0].message.get_content()
        assert all(c["chat_id"] == int(STAFF_CHAT) for c in telegram.calls_of("sendMessage"))

        # Nothing new: nothing sent, however often the loop runs.
        clock.advance(minutes=9)
        assert (await notify_staff(app, clock())).sent == []
        # Not acknowledged after the configured 10 minutes: the crisis alert alone goes again.
        clock.advance(minutes=1)
        again = await notify_staff(app, clock())
        assert sorted((n.channel, n.kind, n.alert_ids) for n in again.sent) == [
            ("email", "resend", (crisis,)),
            ("telegram", "resend", (crisis,)),
        ]
        assert "NOT YET ACKNOWLEDGED" in _telegram_texts(telegram)[-1]

        with session_scope(app.db) as s:
            assert acknowledge(s, crisis, actor="dr.who", now=clock()) is True
        with session_scope(app.db) as s:
            assert acknowledge(s, crisis, actor="someone.else", now=clock()) is False
            with pytest.raises(AlertNotFound):
                acknowledge(s, 9999, actor="x", now=clock())
        clock.advance(minutes=30)
        assert (await notify_staff(app, clock())).sent == []
        (acked,) = [a for a in _alerts(app) if a.id == crisis]
        assert (acked.status, acked.acknowledged_by) == ("acknowledged", "dr.who")
        with Session(app.db) as s:
            (entry,) = s.exec(select(AuditLog)).all()
            assert (entry.action, entry.actor, entry.object_id) == (
                "alert.ack",
                "dr.who",
                str(crisis),
            )
            assert [a.id for a in list_alerts(s)] == [a.id for a in _alerts(app) if a.id != crisis]

        # A new non-urgent flag waits for the next digest window (60 min after the last).
        _raise(app, "S-001", "missed_survey")
        assert (await notify_staff(app, clock())).sent == []
        clock.advance(minutes=31)
        late = await notify_staff(app, clock())
        assert {n.kind for n in late.sent} == {"digest"}
        assert "S-001 missed_survey" in _telegram_texts(telegram)[-1]
    finally:
        app.db.dispose()


async def test_a_failed_send_is_retried_next_round(
    sqlite_url: str, clock: FakeClock, fakes: tuple[FakeTelegram, FakeSMTP]
) -> None:
    telegram, smtp = fakes
    app = _app(sqlite_url, clock, telegram, smtp)
    try:
        add_patient(app, "S-001")
        crisis = _raise(app, "S-001", "crisis")
        smtp.fail_next = 1
        telegram.fail_next("sendMessage", 500, "Internal Server Error")
        first = await notify_staff(app, clock())
        assert first.sent == [] and len(first.failed) == 2
        second = await notify_staff(app, clock())
        assert sorted(n.channel for n in second.sent) == ["email", "telegram"]
        assert all(n.kind == "immediate" and n.alert_ids == (crisis,) for n in second.sent)
        assert len(smtp.received) == 1
    finally:
        app.db.dispose()


async def test_without_staff_channels_nothing_is_sent(sqlite_url: str, clock: FakeClock) -> None:
    app = make_app(sqlite_url, clock)
    try:
        add_patient(app, "S-001")
        _raise(app, "S-001", "crisis")
        report = await notify_staff(app, clock())
        assert report.sent == [] and report.failed == []
    finally:
        app.db.dispose()


def test_staff_channels_from_settings() -> None:
    settings = Settings(_env_file=None, staff_telegram_chat_id="-1", telegram_bot_token="1:abc")  # type: ignore[call-arg]
    (channel,) = staff_channels(settings)
    assert isinstance(channel, TelegramStaffChannel)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, smtp_host="mail", alert_email_from="a@b.c", alert_email_to="x@y.z"
    )
    (email,) = staff_channels(settings)
    assert isinstance(email, EmailStaffChannel) and email.starttls is True
    assert staff_channels(Settings(_env_file=None)) == []  # type: ignore[call-arg]
