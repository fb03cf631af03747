"""A survey queued before the call (issue 20): the call says its introduction before the first
question; its text question, which had no call to be said on, raises no staff alert when the
phone tier takes over (the failed row and a log line are its witness), and still does when no
call can take over."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import Session, col, select

from bot.clinic.alerts.delivery import record_send_failure
from bot.db.models import Alert, ChannelIdentity, OutboxMessage
from tests.support import FakeClock
from tests.voice_support import voice_world


async def test_a_survey_queued_before_the_call_is_introduced_on_it(
    db_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with voice_world(db_url, clock, voice_fallback_after_hours=0) as w:
        pid = w.add_voice_patient("I1")
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.sms_world.dispatch()  # the queued question has no call to be said on
        with Session(w.app.db) as s:
            rows = s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.patient_id == pid, OutboxMessage.kind != "call")
                .order_by(col(OutboxMessage.id))
            ).all()
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert rows and all(r.status == "failed" for r in rows)
        assert {r.error_code for r in rows} == {"voice_no_call"}
        assert alerts == []  # the phone tier calls about it: no noise for staff ...
        assert "waits for the phone tier's call" in caplog.text  # ... and a witness
        call = await w.call_and_sign_in()
        intro = "Defense and Veterans Pain Rating Scale (DVPRS). Questions: 5."
        assert intro in call.said and "from 0 to 10" in call.said
        assert call.said.index(intro) < call.said.index("Question 1 of 5")
        await call.press("4#")
        await call.press("2")  # back to the question: not introduced twice
        assert intro not in call.said and "Question 1 of 5" in call.said


async def test_where_no_call_takes_over_the_failure_is_still_alerted(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock) as w:
        pid = w.add_voice_patient("I2")

        def failed(kind: str, key: str) -> OutboxMessage:
            return OutboxMessage(
                dedupe_key=key,
                patient_id=pid,
                channel="voice",
                address="+18025550123",
                kind=kind,
                body="",
                status="failed",
                error_code="voice_no_call",
                not_before=clock(),
                created_at=clock(),
            )

        with Session(w.app.db) as s:
            crisis = failed("crisis", "t1")  # a safety reply is never left to a later call
            s.add(crisis)
            s.flush()
            assert record_send_failure(s, crisis, clock()) is not None
            line = s.exec(select(ChannelIdentity).where(ChannelIdentity.patient_id == pid)).one()
            line.status = "stopped"  # press 8: no call will come
            s.add(line)
            prompt = failed("prompt", "t2")
            s.add(prompt)
            s.flush()
            assert record_send_failure(s, prompt, clock()) is not None
            s.commit()
            kinds = [a.kind for a in s.exec(select(Alert).where(Alert.patient_id == pid))]
        assert sorted(kinds) == ["reply_undelivered", "send_failed"]
