"""Surveys by SMS end to end: real twilio client -> fake Twilio; signed webhooks -> uvicorn."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from bot.conversation.segments import segment_count
from bot.db.models import Alert, InboundMessage, ItemResponse, Score
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"


async def test_a_whole_dvprs_by_sms(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        first = w.last(PHONE)
        assert first.startswith("Q1/5.") and "0=No pain" in first and "Reply 0-10" in first
        for reply in ("7", "three", "my pain is 2 today", "SKIP", "5"):
            await w.text(PHONE, reply)
        assert w.last(PHONE).startswith("You skipped 1 question. Answer it now? YES / NO")
        await w.text(PHONE, "NO")
        assert any(b.startswith("Thank you!") for b in w.received(PHONE))
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
            pain = s.exec(select(Score).where(Score.scale_id == "pain_intensity")).one()
        assert [a.coded_value for a in answers] == [7, 3, 2, None, 5]
        assert all(a.channel == "sms" for a in answers)
        assert pain.raw == 7 and pain.band == "severe"
        # every text is numbered, its segment count stored, and prompts fit in two segments
        sent = [m for m in w.outbox() if m.channel == "sms" and m.status == "sent"]
        by_body = {m["body"]: m for m in w.fake.messages}
        assert len(sent) == len(w.fake.messages)
        for row in sent:
            assert row.segments is not None and row.segments >= 1
        for body in by_body:
            if body.startswith("Q"):
                assert segment_count(body) <= 2, body


async def test_a_promis_item_stores_the_scored_value_not_the_listed_number(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "promis29")
        await w.dispatch()
        assert "1 = Without any difficulty" in w.last(PHONE)
        await w.text(PHONE, "1")
        with Session(w.app.db) as s:
            answer = s.exec(select(ItemResponse).where(ItemResponse.item_id == "PFA11")).one()
        assert (answer.option_code, answer.coded_value) == (1, 5)
        assert w.last(PHONE).startswith("Q2/29.")


async def test_spanish_throughout(sqlite_url: str, clock: FakeClock) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE, locale="es")
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        q1 = w.last(PHONE)
        assert q1.startswith("P1/5.") and "0=Sin dolor" in q1 and "Responda 0-10 o SALTAR" in q1
        assert segment_count(q1) <= 2
        for reply in ("siete", "tres", "2", "SALTAR"):
            await w.text(PHONE, reply)
        await w.text(PHONE, "AYUDA")
        help_text, question = w.received(PHONE)[-2:]
        assert "Ayuda: 802-555-0100" in help_text and "988" in help_text
        assert question.startswith("P5/5.")  # after HELP the open question is asked again
        await w.text(PHONE, "5")
        assert w.last(PHONE).startswith("Saltó 1 pregunta. ¿Quiere contestarla ahora? SÍ / NO")
        await w.text(PHONE, "no")
        assert any(b.startswith("¡Gracias!") for b in w.received(PHONE))
        await w.text(PHONE, "PARAR")
        assert w.last(PHONE).startswith("Pain Program: ya no recibirá más mensajes")
        with Session(w.app.db) as s:
            values = [a.coded_value for a in s.exec(select(ItemResponse)).all()]
        assert values == [7, 3, 2, None, 5]
        prompts = [b for b in w.received(PHONE) if re.search(r"(^|\n)P\d+/5\.", b)]
        assert len(prompts) == 6 and all(segment_count(b) <= 2 for b in prompts)


async def test_stop_mid_survey_then_start_then_help(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        await w.text(PHONE, "4")
        before = len(w.received(PHONE))
        await w.text(PHONE, "stop please")
        await w.text(PHONE, "STOP")  # a second STOP: still exactly one confirmation
        await w.text(PHONE, "5")  # an answer after STOP: nothing at all
        w.app.pipeline.start_survey(pid, "brs")  # nothing new may go out either
        await w.dispatch()
        after_stop = w.received(PHONE)[before:]
        assert len(after_stop) == 1 and "no more messages" in after_stop[0]
        with Session(w.app.db) as s:
            assert s.exec(select(Alert).where(Alert.kind == "opt_out")).first() is not None
        await w.text(PHONE, "UNSTOP")
        resumed = w.received(PHONE)[before + 1 :]
        assert "welcome back" in resumed[0] and resumed[1].startswith("Q2/5.")
        await w.text(PHONE, "HELP")
        help_text, question = w.received(PHONE)[-2:]
        assert question.startswith("Q2/5.")
        assert "802-555-0100" in help_text and "911" in help_text and "988" in help_text
        assert "not watched 24/7" in help_text


async def test_a_retried_webhook_is_stored_once(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        sid = w.fake.new_message_sid()
        first = await w.text(PHONE, "6", message_sid=sid)
        retry = await w.text(PHONE, "6", message_sid=sid)
        assert first.status_code == retry.status_code == 200
        assert retry.headers["content-type"].startswith("application/xml")
        with Session(w.app.db) as s:
            assert (
                len(
                    s.exec(
                        select(InboundMessage).where(InboundMessage.provider_message_id == sid)
                    ).all()
                )
                == 1
            )
            assert len(s.exec(select(ItemResponse)).all()) == 1
        assert sum(b.startswith("Q2/5.") for b in w.received(PHONE)) == 1


async def test_unknown_number_gets_one_polite_reply(sqlite_url: str, clock: FakeClock) -> None:
    async with sms_world(sqlite_url, clock) as w:
        stranger = "+18025550777"
        for text in ("hi", "3", "HELP"):
            await w.text(stranger, text)
        assert len(w.received(stranger)) == 1 and "not enrolled" in w.last(stranger)
