"""The forecast of the next 24 hours of sends (bot/service/send_forecast.py) on the demo clinic,
and through the console: reminders due today, one moved out of quiet hours in the patient's own
zone, the daily cap, a stopped patient, and nothing written."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from bot.db.models import OutboxMessage, Patient
from bot.service.dispatcher import SendRules
from bot.service.send_forecast import forecast
from tests.web.support import ConsoleHarness

OFFSETS = (24 * 60, 60)


def test_reminders_due_today_and_quiet_hours_in_the_patients_own_zone(
    harness: ConsoleHarness,
) -> None:
    now = harness.clock()  # Monday 2 Nov 2026, 10:00 in New York; week 4 is Tuesday 14:00
    with Session(harness.app.db) as s:
        before = s.exec(select(func.count()).select_from(OutboxMessage)).one()
        rows = forecast(s, now, SendRules(), reminder_offsets=OFFSETS, cohort_id=1)
        after = s.exec(select(func.count()).select_from(OutboxMessage)).one()
    assert before == after  # a forecast writes nothing
    reminders = {r.study_id: r for r in rows if r.kind == "reminder"}
    assert sorted(reminders) == ["P001", "P002", "P003", "P004", "P005"]
    ny = reminders["P001"]
    assert ny.send_at == ny.due_at == now + timedelta(hours=4)  # 14:00 in New York, today
    paris = reminders["P003"]  # 24 h before in Paris wall time is 20:00 there: quiet hours
    assert paris.due_at == now + timedelta(hours=4)
    assert paris.send_at == now + timedelta(hours=17)  # 09:00 in Paris the next morning
    assert paris.reason == "quiet hours: waits for the morning"


def test_the_daily_cap_and_a_stopped_patient(harness: ConsoleHarness) -> None:
    now = harness.clock()
    with Session(harness.app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == "P002")).one()
        s.add(
            OutboxMessage(
                dedupe_key="nudge:999:1:0", patient_id=patient.id, channel="console",
                address="demo-P002", kind="nudge", body="(test)", status="sent",
                not_before=now - timedelta(hours=1), sent_at=now - timedelta(hours=1),
                created_at=now - timedelta(hours=1),
            )
        )  # fmt: skip
        s.flush()
        capped = forecast(
            s, now, SendRules(max_unsolicited_per_day=1), reminder_offsets=OFFSETS,
            study_id="P002",
        )  # fmt: skip
        stopped = s.exec(select(Patient).where(Patient.study_id == "P005")).one()
        stopped.status = "stopped"
        s.add(stopped)
        s.flush()
        quiet = forecast(s, now, SendRules(), reminder_offsets=OFFSETS, study_id="P005")
    (reminder,) = capped
    assert reminder.due_at == now + timedelta(hours=4)
    assert reminder.send_at == now + timedelta(hours=23)  # 09:00 tomorrow in New York
    assert reminder.reason == "daily cap of 1 reached: next morning"
    assert [(r.send_at, r.reason) for r in quiet] == [(None, "the patient opted out (STOP)")]


def test_the_console_page_shows_both_clocks(harness: ConsoleHarness) -> None:
    html = harness.signed_in("clinician").get("/staff/messages/upcoming?cohort=1").text
    assert "reminder 1 d before the session" in html
    assert "quiet hours: waits for the morning" in html
    assert "for the patient)" in html  # P003's own clock beside the clinic's
    assert harness.signed_in("researcher").get("/staff/messages/upcoming").status_code == 403
