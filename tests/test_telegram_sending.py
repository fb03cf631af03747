"""Sending through Telegram: blocked bots, flood control, webhook secrets, no token in logs."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
import uvicorn

from bot.channels.telegram.adapter import ChatPacer, TelegramChannel
from bot.channels.telegram.render import callback_data, keyboard, parse_callback
from bot.conversation.messages import ButtonPress
from bot.db.models import ChannelIdentity, InboundMessage, OutboxMessage
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.support import FakeClock
from tests.telegram_support import CHAT, TOKEN, TelegramHarness, eventually

SECRET = "webhook-Secret_0123456789abcdef"


async def test_a_blocked_bot_marks_the_chat_unreachable_and_is_not_retried(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        h.fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        before = len(h.fake.calls_of("sendMessage"))
        await h.say("/help")
        (identity,) = h.rows(ChannelIdentity)
        assert identity.status == "unreachable"
        failed = [r for r in h.rows(OutboxMessage) if r.status == "failed"]
        assert [(r.error_code, r.attempts) for r in failed] == [("403", 1)]
        clock.advance(hours=1)
        await h.dispatch()
        assert len(h.fake.calls_of("sendMessage")) == before + 1  # one try, never again


async def test_flood_control_is_retried_after_retry_after(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:  # PTB retries once itself
        await h.enrol()
        h.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await h.say("/help")
        assert [p["text"] for p in h.fake.calls_of("sendMessage")][-2:] == [h.texts()[-1]] * 2
        assert h.rows(OutboxMessage)[-1].status == "sent"


async def test_persistent_flood_control_waits_in_the_outbox(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock, retries_after_429=0) as h:
        await h.enrol()
        h.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
        await h.say("/help")
        row = h.rows(OutboxMessage)[-1]
        assert (row.status, row.error_code) == ("pending", "429")
        assert (row.not_before - clock()).total_seconds() == pytest.approx(25, abs=1)
        await h.dispatch()
        assert h.rows(OutboxMessage)[-1].status == "pending"  # not before its time
        clock.advance(seconds=30)
        await h.dispatch()
        assert h.rows(OutboxMessage)[-1].status == "sent"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_checks_the_secret_before_anything_is_processed(
    sqlite_url: str, clock: FakeClock
) -> None:
    h = TelegramHarness(sqlite_url, clock)
    await h.fake.start()
    port = _free_port()
    channel = TelegramChannel(
        h.backend,
        token=TOKEN,
        api_base_url=h.fake.base,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret=SECRET,
        per_chat_interval=0,
    )
    asgi = build_asgi(Runtime(h.app, [channel], backend=h.backend))
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started)
        assert h.fake.webhook_secret == SECRET  # setWebhook at start-up, with the secret
        assert h.fake.webhook_url == f"http://127.0.0.1:{port}/telegram/webhook"
        patient_id, code = h.new_patient()
        update = h.fake.push_text(CHAT, f"/start {code}")
        for secret in ("wrong-secret", None, SECRET[:-1], ""):
            refused = await h.fake.deliver_webhook(update, secret)
            assert refused.status_code == 403
        assert h.rows(InboundMessage) == [] and h.rows(ChannelIdentity) == []
        accepted = await h.fake.deliver_webhook(update, SECRET)
        assert accepted.status_code == 200
        (identity,) = h.rows(ChannelIdentity)
        assert identity.patient_id == patient_id
        await eventually(lambda: len(h.fake.calls_of("sendMessage")) == 2)  # the loop sent them
        again = await h.fake.deliver_webhook(update, SECRET)  # Telegram's redelivery
        assert again.status_code == 200 and len(h.rows(InboundMessage)) == 1
        garbage = await h.fake.deliver_webhook({"nonsense": True}, SECRET)
        assert garbage.status_code in (200, 400)
    finally:
        server.should_exit = True
        await task
        await h.fake.stop()
        h.app.db.dispose()


async def test_the_token_never_reaches_the_logs(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with TelegramHarness(sqlite_url, clock) as h:
        for name in ("httpx", "httpcore", "telegram"):  # even if someone turns them up
            caplog.set_level(logging.DEBUG, logger=name)
        await h.enrol()
        await h.say("/pain")
        h.fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        await h.say("5")
    messages = [r.getMessage() for r in caplog.records]
    assert any("api" in m.lower() or "http" in m.lower() for m in messages)  # logs were there
    assert all(TOKEN not in m for m in messages)
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_keyboards_fit_a_phone_and_callbacks_round_trip() -> None:
    numbers = [{"code": c, "label": str(c), "item_id": "dvprs_sleep"} for c in range(11)]
    markup = keyboard(numbers)
    assert markup is not None
    assert [len(row) for row in markup.inline_keyboard] == [6, 5]
    short = [
        {"code": 1, "label": "Yes", "item_id": "q"},
        {"code": 2, "label": "No", "item_id": "q"},
    ]
    markup = keyboard(short)
    assert markup is not None and [len(r) for r in markup.inline_keyboard] == [2]
    assert keyboard([]) is None
    assert parse_callback(callback_data("SRPPER11_CaPS", 3, 17)) == ButtonPress(
        "SRPPER11_CaPS", 3, 17
    )
    assert parse_callback(callback_data("language", 2)) == ButtonPress("language", 2, None)
    # buttons sent before presses named their survey come back without one
    assert parse_callback("a:PFA11:1") == ButtonPress("PFA11", 1, None)
    for bad in (None, "", "x:PFA11:1", "a:PFA11:one", "a::1", "a:x7:PFA11:1", "a:1:2:3:4"):
        assert parse_callback(bad) is None
    with pytest.raises(ValueError, match="64 bytes"):
        callback_data("x" * 70, 1)


async def test_the_pacer_spaces_messages_to_one_chat_only() -> None:
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChatPacer(1.0, clock=lambda: now[0], sleep=fake_sleep)
    await pacer.wait(1)
    await pacer.wait(2)
    await pacer.wait(1)
    await pacer.wait(1)
    assert slept == [1.0, 1.0]
