"""Outbound calls, the phone tier after text: placed through the real twilio client against the
fake Twilio REST API, answered (or not) by the fake Twilio Voice over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.db.models import OutboxMessage
from bot.schedule.due import materialise_due_work
from bot.schedule.voice_calls import CallRules, in_calling_hours, to_call
from tests.sms_support import enrol_by_sms
from tests.support import FakeClock
from tests.voice_support import PHONE, VoiceWorld, voice_world

TEXT_PHONE = "+18025550124"


async def tick(w: VoiceWorld) -> int:
    """One scheduler pass and one dispatch round, as `pathbot run` does every minute."""
    world = w.sms_world
    work = materialise_due_work(w.app.due_work_setup(), world.clock())
    await world.dispatch()
    return work.calls


async def patient_with_text_and_voice(w: VoiceWorld, study_id: str) -> int:
    pid = await enrol_by_sms(w.sms_world, study_id, TEXT_PHONE)
    from bot.service.voice.enrol import set_up_voice

    set_up_voice(w.app.db, pid, PHONE, "4826", w.sms_world.clock())
    return pid


async def test_unanswered_text_survey_gets_a_call_for_a_person_after_the_pin(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock, voice_fallback_after_hours=4) as w:
        pid = await patient_with_text_and_voice(w, "O1")
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.sms_world.dispatch()
        assert w.sms_world.last(TEXT_PHONE).startswith("Q1/5.")  # text first
        clock.advance(hours=3)
        assert await tick(w) == 0 and w.sms_world.fake.calls == []
        clock.advance(hours=1, minutes=1)
        assert await tick(w) == 1
        [placed] = w.sms_world.fake.calls
        assert placed["to"] == PHONE and placed["machine_detection"] == "Enable"
        assert placed["url"] == "https://bot.example.org/twilio/voice"
        call = await w.voice.answer(placed, answered_by="human")
        assert "enter your 4 digit PIN" in call.said and "Question" not in call.said
        await call.press("4826")
        assert "Question 1 of 5" in call.said


async def test_a_machine_hears_no_health_detail(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock, voice_fallback_after_hours=0) as w:
        pid = await patient_with_text_and_voice(w, "O2")
        w.app.pipeline.start_survey(pid, "dvprs")
        assert await tick(w) == 1
        [placed] = w.sms_world.fake.calls
        call = await w.voice.answer(placed, answered_by="machine_end_beep")
        assert call.ended and call.heard == [
            "Hello, this is a message from Pain Program. Please call us back at 802-555-0100. "
            "Thank you. Goodbye."
        ]


async def test_quiet_hours_wait_for_the_morning_and_attempts_end_on_the_staff_list(
    db_url: str, clock: FakeClock
) -> None:
    # 15:00 UTC is 10:00 in New York; calls 10-19 local; 10 h later it is 20:00 there
    async with voice_world(
        db_url, clock, voice_fallback_after_hours=10, voice_max_attempts=2, voice_retry_minutes=60
    ) as w:
        pid = await patient_with_text_and_voice(w, "O3")
        w.app.pipeline.start_survey(pid, "dvprs")
        clock.advance(hours=10)
        assert await tick(w) == 0  # 20:00 local: no call
        clock.advance(hours=13, minutes=59)
        assert await tick(w) == 0  # 09:59 local next day
        clock.advance(minutes=2)
        assert await tick(w) == 1  # 10:01 local
        await w.voice.not_answered(w.sms_world.fake.calls[-1])
        clock.advance(minutes=30)
        assert await tick(w) == 0  # too soon to try again
        clock.advance(minutes=31)
        assert await tick(w) == 1
        await w.voice.not_answered(w.sms_world.fake.calls[-1], status="busy")
        clock.advance(hours=2)
        assert await tick(w) == 0  # two attempts were all
        assert len(w.sms_world.fake.calls) == 2
        with Session(w.app.db) as s:
            listed = to_call(s, clock(), CallRules(fallback_after_hours=10, max_attempts=2))
        assert [(r.study_id, r.attempts, r.reason) for r in listed] == [
            ("O3", 2, "calls unanswered")
        ]


async def test_stop_by_text_and_8_by_keypad_stop_calls(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock, voice_fallback_after_hours=0) as w:
        pid = await patient_with_text_and_voice(w, "O4")
        w.app.pipeline.start_survey(pid, "dvprs")
        assert await tick(w) == 1
        call = await w.voice.answer(w.sms_world.fake.calls[-1])
        await call.press("4826")
        await call.press("*")
        # 8 is an answer to DVPRS: read back, then 8 again stops calls
        await call.press("8#")
        await call.press("8")
        assert "no more calls" in call.said
        clock.advance(hours=3)
        assert await tick(w) == 0 and len(w.sms_world.fake.calls) == 1

        other = await patient_with_text_and_voice_second(w)
        w.app.pipeline.start_survey(other, "dvprs")
        await w.sms_world.text("+18025550125", "STOP")
        clock.advance(hours=1)
        assert await tick(w) == 0 and len(w.sms_world.fake.calls) == 1
        with Session(w.app.db) as s:
            calls = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "call")).all()
        assert len(calls) == 1


async def patient_with_text_and_voice_second(w: VoiceWorld) -> int:
    pid = await enrol_by_sms(w.sms_world, "O5", "+18025550125")
    from bot.service.voice.enrol import set_up_voice

    set_up_voice(w.app.db, pid, "+18025550126", "5937", w.sms_world.clock())
    return pid


def test_calling_hours_follow_daylight_saving_time() -> None:
    rules = CallRules(calling_start_hour=10, calling_end_hour=19)
    # US clocks spring forward on 8 March 2026: 14:30 UTC is 09:30 before, 10:30 after
    assert not in_calling_hours(datetime(2026, 3, 7, 14, 30, tzinfo=UTC), "America/New_York", rules)
    assert in_calling_hours(datetime(2026, 3, 9, 14, 30, tzinfo=UTC), "America/New_York", rules)
    # and the same instant is evening in Kathmandu
    assert not in_calling_hours(datetime(2026, 3, 9, 14, 30, tzinfo=UTC), "Asia/Kathmandu", rules)


def test_to_call_command_lists_without_numbers(tmp_path: object) -> None:
    from pathlib import Path

    from tests.test_cli import pathbot

    db = f"sqlite:///{Path(str(tmp_path)) / 'c.db'}"
    assert pathbot("to-call", "--db", db).stdout == "nobody to call\n"


async def test_a_read_back_answered_meanwhile_by_text_is_not_said_saved(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = await patient_with_text_and_voice(w, "O6")
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.sms_world.dispatch()
        call = await w.call_in()
        await call.press("4826")
        await call.press("7#")
        await w.sms_world.text(TEXT_PHONE, "5")  # the same question, answered by text
        await call.press("1")
        assert not call.said.startswith("Saved.") and "Question 2 of 5" in call.said
        from bot.db.models import ItemResponse

        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse)).all()
        assert [(a.item_id, a.coded_value, a.channel) for a in answers] == [
            ("dvprs_pain", 5, "sms")
        ]


async def test_a_patient_the_call_cannot_speak_to_is_not_called_but_listed(
    db_url: str, clock: FakeClock
) -> None:
    # Somali is a recorded-prompt language (no text-to-speech); this clinic has no recordings,
    # so a call could only say, in English, that nothing is due: staff phone the patient instead.
    from bot.db.models import Patient
    from bot.service.app import phone_tier_rules

    async with voice_world(db_url, clock, voice_fallback_after_hours=4) as w:
        pid = await patient_with_text_and_voice(w, "O9")
        with Session(w.app.db) as s:
            patient = s.get(Patient, pid)
            assert patient is not None
            patient.locale = "so"
            s.add(patient)
            s.commit()
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.sms_world.dispatch()
        rules = phone_tier_rules(w.app.settings)
        assert not rules.can_call_in("so") and rules.can_call_in("fr")
        with Session(w.app.db) as s:
            assert to_call(s, clock(), rules) == []  # not overdue by text yet
        clock.advance(hours=4, minutes=1)
        assert await tick(w) == 0 and w.sms_world.fake.calls == []
        with Session(w.app.db) as s:
            listed = to_call(s, clock(), rules)
        assert [(r.study_id, r.attempts, r.reason) for r in listed] == [
            ("O9", 0, "no phone words in their language")
        ]
