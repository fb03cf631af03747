"""The pain check by phone, end to end: the fake Twilio Voice plays each call over HTTP against
the real app (signed webhooks, TwiML from VoiceResponse), the real pipeline, engine and store."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.db.models import Alert, ConsentRecord, ItemResponse, OutboxMessage, Patient, Score
from bot.db.voice_models import VoiceCall
from tests.support import FakeClock
from tests.voice_support import voice_world


async def test_a_whole_dvprs_by_keypad(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V1")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        assert "Hello, this is Pain Program" in call.said and "press 0" in call.said
        assert "Question" not in call.said  # nothing about the survey before the PIN
        await call.press("4826")
        assert "Question 1 of 5" in call.said and "How would you rate your pain" in call.said
        assert "For 10, press 1, then 0." in call.said
        assert call.gathering is not None and call.gathering.num_digits == 2
        for keys, value in (("7#", 7), ("3", 3), ("10", 10), ("02", 2), ("5#", 5)):
            await call.press(keys)
            assert f"You pressed {value}" in call.said and "Press 1 to confirm" in call.said
            await call.press("1")
            assert call.said.startswith("Saved.")
        assert call.ended and "Thank you" in call.said
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
            pain = s.exec(select(Score).where(Score.scale_id == "pain_intensity")).one()
            said_rows = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "voice")).all()
        assert [a.coded_value for a in answers] == [7, 3, 10, 2, 5]
        assert all(a.channel == "voice" for a in answers)
        assert pain.raw == 7
        # what the pipeline queued for the call was said on it, never sent again
        assert said_rows and all(
            r.status == "sent" and r.provider_message_id == call.sid for r in said_rows
        )
        assert call.languages == {"en-US"} and call.voices == {"Polly.Joanna-Neural"}


async def test_read_back_and_change_repeat_skip(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V2")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        await call.press("6")
        assert call.said.startswith("You pressed 6: Hard to ignore")
        await call.press("2")  # change
        assert "Question 1 of 5" in call.said
        await call.press("*")  # repeat
        assert "Question 1 of 5" in call.said
        await call.press("4#")
        await call.press("*")  # the read-back again
        assert call.said.startswith("You pressed 4")
        await call.press("1")
        await call.press("#")  # skip question 2
        assert call.said.startswith("Skipped.") and "Question 3 of 5" in call.said
        await call.press("12")
        assert call.said.startswith("Sorry, 12 is not one of the choices.")
        await call.speak("my sleep is about a three")
        assert call.said.startswith("I heard 3.")
        await call.speak("yes")
        assert call.said.startswith("Saved.") and "Question 4 of 5" in call.said
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
        assert [(a.item_id, a.coded_value) for a in answers] == [
            ("dvprs_pain", 4),
            ("dvprs_activity", None),
            ("dvprs_sleep", 3),
        ]


async def test_wrong_pin_three_times_ends_the_call_and_tells_staff(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V3")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        await call.press("1111")
        assert call.said.startswith("That PIN did not match")
        await call.press("4827")
        await call.press("9999")
        assert call.ended and "could not check your PIN" in call.said
        assert not any("Question" in h for h in call.heard)
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert [a.kind for a in alerts] == ["voice_pin_failed"]
        # a stranger's number hears how to join, and nothing else
        stranger = await w.call_in("+18025550999")
        assert stranger.ended and "not signed up" in stranger.said and "9 8 8" in stranger.said


async def test_crisis_by_zero_dials_the_crisis_line_and_holds_surveys(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V4")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        await call.press("0")  # 0 is an answer here: read back, with the way to help
        assert call.said.startswith("You pressed 0: No pain") and "press 0 again" in call.said
        await call.press("0")
        assert call.dialed == ["988"] and call.ended
        assert "crisis counselor" in call.said
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
            patient = s.get(Patient, pid)
            answers = s.exec(select(ItemResponse)).all()
        assert [(a.kind, a.tier) for a in alerts] == [("crisis", 1)]
        assert patient is not None and patient.status == "crisis_hold"
        assert answers == []  # the 0 read back was never confirmed: no clinical value guessed
        again = await w.call_and_sign_in()
        assert "Our team has been told" in again.said and "Question" not in again.said
        await again.press("0")  # held: 0 still connects at once
        assert again.dialed == ["988"]


async def test_crisis_by_speech_and_by_zero_during_pin(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock, voice_crisis_number="+18025550911") as w:
        pid = w.add_voice_patient("V5")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        await call.speak("I want to kill myself")
        assert call.dialed == ["+18025550911"] and call.ended
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
            patient = s.get(Patient, pid)
        assert [a.kind for a in alerts] == ["crisis"]
        assert patient is not None and patient.status == "crisis_hold"
        early = await w.call_in()
        await early.press("0")  # before the PIN: 0 is no PIN, it is a call for help
        assert early.dialed == ["+18025550911"]


async def test_dropped_call_resumes_at_the_same_item(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V6")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        for keys in ("5#", "1", "4#", "1"):
            await call.press(keys)
        await call.press("8#")  # read back, then the line drops before "1"
        await call.hang_up()
        with Session(w.app.db) as s:
            ended = s.exec(select(VoiceCall).where(VoiceCall.call_sid == call.sid)).one()
        assert ended.ended_at is not None and ended.status == "completed"
        again = await w.call_and_sign_in()
        assert "Question 3 of 5" in again.said
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
        assert [a.coded_value for a in answers] == [5, 4]


async def test_press_8_stops_calls_only_and_9_pauses(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V7")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        await call.press("9#")  # 9 answers a 0-10 item: read back with "press 9 again"
        assert "To pause instead, press 9 again." in call.said
        await call.press("9")
        assert call.ended and call.said.startswith("Paused.")
        with Session(w.app.db) as s:
            patient = s.get(Patient, pid)
        assert patient is not None and patient.status == "paused"
        resumed = await w.call_and_sign_in()
        assert "Question 1 of 5" in resumed.said
        await resumed.press("8#")
        await resumed.press("8")
        assert resumed.ended and "no more calls" in resumed.said
        with Session(w.app.db) as s:
            patient = s.get(Patient, pid)
            voice = s.exec(select(VoiceCall)).all()
        assert patient is not None and patient.status == "active"  # texts and surveys go on
        assert len(voice) == 2
        after = await w.call_in()
        assert after.ended and "asked us to stop" in after.said


async def test_webhooks_are_signed_and_a_repeated_step_changes_nothing(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V8")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        await call.press("7#")
        await call.press("1")
        first = call.said
        repeat = await call.repeat_last_request()  # Twilio retries the "1"
        assert repeat.status_code == 200 and "Question 2 of 5" in repeat.text
        assert first.startswith("Saved.")
        with Session(w.app.db) as s:
            assert len(s.exec(select(ItemResponse)).all()) == 1
        url = "https://bot.example.org/twilio/voice"
        params = call.params("ringing")
        forged = await w.voice.post_signed(url, params, signature="forged")
        missing = await w.voice.post_signed(url, params, signature="missing")
        assert forged.status_code == 403 and missing.status_code == 403


async def test_a_spanish_call_speaks_spanish_with_a_neural_voice(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V9", locale="es")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_and_sign_in()
        assert "Pregunta 1 de 5" in call.said and "dolor" in call.said
        assert call.gathering is not None and call.gathering.language == "es-US"
        await call.speak("tres")
        assert call.said.startswith("Entendí 3: A veces me distrae.")
        await call.speak("sí")
        assert call.said.startswith("Guardado.")
        assert call.languages == {"es-US"} and call.voices == {"Polly.Lupe-Neural"}


async def test_a_french_patient_completes_a_dvprs_by_keypad(db_url: str, clock: FakeClock) -> None:
    """French has a Twilio voice and, since issue 20, a (draft) phone script of its own."""
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("V10", locale="fr")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        assert "Bonjour, ici Pain Program" in call.said and "tapez 0" in call.said
        assert "Question" not in call.said  # nothing about the survey before the PIN
        await call.press("4826")
        assert "Question 1 sur 5" in call.said and "douleur" in call.said
        assert "Pour 10, tapez 1, puis 0." in call.said
        assert call.gathering is not None and call.gathering.num_digits == 2
        assert call.gathering.language == "fr-FR"
        for keys, value in (("7#", 7), ("3", 3), ("10", 10), ("02", 2), ("5#", 5)):
            await call.press(keys)
            assert f"Vous avez tapé {value}" in call.said, call.said
            assert "Tapez 1 pour confirmer" in call.said
            await call.press("1")
            assert call.said.startswith("Enregistré.")
        assert call.ended and "Au revoir" in call.said
        assert "You pressed" not in call.said and "Thank you" not in call.said
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
            pain = s.exec(select(Score).where(Score.scale_id == "pain_intensity")).one()
            consent = s.exec(select(ConsentRecord).where(ConsentRecord.patient_id == pid)).one()
        assert [a.coded_value for a in answers] == [7, 3, 10, 2, 5]
        assert all(a.channel == "voice" for a in answers)
        assert pain.raw == 7
        assert call.languages == {"fr-FR"} and call.voices == {"Polly.Lea-Neural"}
        assert consent.text_version == "voice-fr-draft-1"  # consent to the draft script


async def test_voice_webhooks_keep_the_sms_size_limits(db_url: str, clock: FakeClock) -> None:
    import httpx

    async with voice_world(db_url, clock) as w:
        url = w.sms_world.local_base + "/twilio/voice"
        async with httpx.AsyncClient() as client:
            big = await client.post(
                url,
                content=b"CallSid=" + b"A" * (70 * 1024),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "x-twilio-signature": "x",
                },
            )
            wrong = await client.post(
                url,
                content=b"{}",
                headers={"content-type": "application/json", "x-twilio-signature": "x"},
            )
            unsigned = await client.post(url, data={"CallSid": "CA1"})
        assert big.status_code == 413 and wrong.status_code == 415 and unsigned.status_code == 403
