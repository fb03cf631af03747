"""Twilio webhooks are authenticated before anything is read: 403 and nothing stored otherwise."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlmodel import Session, select

from bot.db.models import InboundMessage, OutboxMessage
from tests.fakes.twilio_api import Signature
from tests.sms_support import AUTH_TOKEN, FROM_NUMBER, enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"


@pytest.mark.parametrize("signature", ["forged", "missing", "wrong_url"])
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    db_url: str, clock: FakeClock, signature: Signature
) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        with Session(w.app.db) as s:
            stored = len(s.exec(select(InboundMessage)).all())
            queued = len(s.exec(select(OutboxMessage)).all())
        response = await w.text(PHONE, "STOP", signature=signature)
        assert response.status_code == 403
        stranger = await w.text("+18025550777", "hi", signature=signature)
        assert stranger.status_code == 403
        with Session(w.app.db) as s:
            assert len(s.exec(select(InboundMessage)).all()) == stored
            assert len(s.exec(select(OutboxMessage)).all()) == queued


async def test_a_tampered_body_is_refused(sqlite_url: str, clock: FakeClock) -> None:
    async with sms_world(sqlite_url, clock) as w:
        fake = w.fake
        params = {"MessageSid": "SM1", "From": PHONE, "To": FROM_NUMBER, "Body": "5"}
        from twilio.request_validator import RequestValidator

        sig = RequestValidator(AUTH_TOKEN).compute_signature(
            "https://bot.example.org/twilio/sms", params
        )
        async with httpx.AsyncClient() as c:
            r = await c.post(
                w.local_base + "/twilio/sms",
                data={**params, "Body": "STOP"},
                headers={"X-Twilio-Signature": sig},
            )
        assert r.status_code == 403 and fake.messages == []


async def test_forwarded_headers_are_honoured_only_when_configured(
    sqlite_url: str, clock: FakeClock
) -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sms.clinic.example"}
    public = "https://sms.clinic.example/twilio/sms"
    params = {"MessageSid": "SM9", "From": "+18025550777", "To": FROM_NUMBER, "Body": "hi"}
    from twilio.request_validator import RequestValidator

    sig = RequestValidator(AUTH_TOKEN).compute_signature(public, params)
    for trust, expected in ((True, 200), (False, 403)):
        async with sms_world(
            sqlite_url.replace(".db", f"{int(trust)}.db"),
            clock,
            public_base_url=None,
            trust_forwarded_headers=trust,
        ) as w:
            async with httpx.AsyncClient() as c:
                r = await c.post(
                    w.local_base + "/twilio/sms",
                    data=params,
                    headers={**proxy, "X-Twilio-Signature": sig},
                )
            assert r.status_code == expected


async def test_status_callbacks_are_recorded(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        delivered, undelivered = w.fake.messages[-2], w.fake.messages[-1]
        assert delivered["status_callback"].startswith(
            "https://bot.example.org/twilio/sms/status?o="
        )
        common = {"public_base": "https://bot.example.org", "local_base": w.local_base}
        assert (
            await w.fake.send_status(message=delivered, status="sent", **common)
        ).status_code == 200
        await w.fake.send_status(message=delivered, status="delivered", **common)
        await w.fake.send_status(
            message=undelivered, status="undelivered", error_code="30003", **common
        )
        forged = await w.fake.send_status(
            message=delivered, status="failed", error_code="30008", signature="forged", **common
        )
        assert forged.status_code == 403
        with Session(w.app.db) as s:
            rows = {r.provider_message_id: r for r in s.exec(select(OutboxMessage)).all()}
        assert rows[delivered["sid"]].status == "delivered"
        assert rows[delivered["sid"]].error_code is None
        assert (rows[undelivered["sid"]].status, rows[undelivered["sid"]].error_code) == (
            "undelivered",
            "30003",
        )


async def test_secrets_and_phone_numbers_stay_out_of_the_logs(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with sms_world(sqlite_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        await w.text(PHONE, "4")
        await w.text(PHONE, "4", signature="forged")
        await w.text("+18025550777", "hello")
    text = caplog.text
    assert "sms inbound processed" in text  # the logs were captured at all
    for secret in (AUTH_TOKEN, PHONE, "8025550123", "+18025550777", FROM_NUMBER):
        assert secret not in text
