"""Structured logs: JSON lines, redaction, and real traffic leaving no secret or answer behind."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.db.models import InboundMessage, ItemResponse
from bot.service.logging_setup import (
    JsonLinesFormatter,
    Redactor,
    configure_logging,
    remove_logging,
    secrets_of,
)
from tests.sms_support import AUTH_TOKEN, enrol_by_sms, sms_settings, sms_world
from tests.support import FakeClock
from tests.telegram_support import CHAT, TOKEN, TelegramHarness

PHONE = "+18025550123"
PHONE_FORMS = ("+18025550123", "8025550123", "802-555-0123", "(802) 555-0123", "555-0123")
TELEGRAM_ANSWER = "my pain is 6 today"
SMS_ANSWER = "my pain is 4 today"
CRISIS = "I want to kill myself tonight"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What `pathbot run --log-level DEBUG` writes, captured."""
    stream = io.StringIO()
    handler = configure_logging(level=logging.DEBUG, secrets=[TOKEN, AUTH_TOKEN], stream=stream)
    try:
        yield stream
    finally:
        remove_logging(handler)
        logging.getLogger().setLevel(logging.WARNING)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (
            "calling https://api.telegram.org/bot123456789:AAF-secret-token-for-tests_0123456789/"
            "getMe",
            "AAF-secret-token",
        ),
        ("token 123456789:AAF-secret-token-for-tests_0123456789 used", "AAF-secret"),
        ("auth 0123456789abcdef0123456789abcdef rejected", "0123456789abcdef0123456789abcdef"),
        ("Authorization: Basic QUM3Nzc6dG9rLTlmM2M=", "QUM3Nzc6dG9rLTlmM2M="),
        ("from +18025550123 to +447700900123", "5550123"),
        ("call (802) 555-0123 or 802-555-0123 or 802.555.0123", "555"),
        ("call 1-802-555-0123", "555-0123"),
        ("[SQL: INSERT ...]\n[parameters: {'body': 'my pain is 6'}]", "my pain"),
        ("the configured secret s3cr3t-value is here", "s3cr3t-value"),
    ],
)
def test_the_redactor_removes_secrets_and_phone_numbers(text: str, leak: str) -> None:
    assert leak not in Redactor(["s3cr3t-value"])(text)


@pytest.mark.parametrize(
    "text", ["2026-11-02 15:00:00", "outbox 12345 sent", "127.0.0.1:8000", "HTTP/1.1 200"]
)
def test_the_redactor_keeps_ordinary_text(text: str) -> None:
    assert Redactor()(text) == text


def test_a_line_is_one_json_object_with_only_safe_extras() -> None:
    record = logging.LogRecord(
        "bot.service.dispatcher", logging.INFO, __file__, 1, "sent %s", ("ok",), None
    )
    record.outbox_id = 7
    record.channel = "sms"
    record.body = "my pain is 6"  # not a safe field: never written
    line = json.loads(JsonLinesFormatter(Redactor()).format(record))
    assert line["message"] == "sent ok" and line["logger"] == "bot.service.dispatcher"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    assert line["outbox_id"] == 7 and line["channel"] == "sms" and "body" not in line


def test_secrets_of_finds_every_secret_setting() -> None:
    settings = sms_settings("http://127.0.0.1:1", telegram_bot_token=TOKEN)
    assert set(secrets_of(settings)) >= {AUTH_TOKEN, TOKEN}


async def test_real_traffic_leaves_no_token_phone_number_or_answer_in_the_logs(
    sqlite_url: str, clock: FakeClock, json_log: io.StringIO, tmp_path: object
) -> None:
    # Telegram: enrol by deep link, a whole DVPRS (buttons and typed), crisis, STOP.
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        await h.press("7")
        await h.say(TELEGRAM_ANSWER)
        for reply in ("2", "SKIP", "1"):
            await h.say(reply)
        await h.say(CRISIS)
        await h.say("STOP")
        telegram_answers = len(h.rows(ItemResponse))
        telegram_texts = h.texts()
    assert telegram_answers == 5 and any("988" in t for t in telegram_texts)

    # SMS: double opt-in, a whole DVPRS, crisis, STOP, a forged webhook.
    sms_db = f"sqlite:///{tmp_path}/sms.db"
    async with sms_world(sms_db, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        for reply in (SMS_ANSWER, "three", "2", "SKIP", "5"):
            await w.text(PHONE, reply)
        await w.text(PHONE, CRISIS)
        await w.text(PHONE, "STOP")
        forged = await w.text(PHONE, "5", signature="forged")
        with Session(w.app.db) as s:
            sms_answers = len(s.exec(select(ItemResponse)).all())
            inbound = len(s.exec(select(InboundMessage)).all())
    assert forged.status_code == 403
    assert sms_answers == 5 and inbound >= 8

    lines = _lines(json_log)
    text = json_log.getvalue()
    loggers = {str(line["logger"]) for line in lines}
    assert len(lines) > 10 and {"level", "time", "message", "logger"} <= set(lines[0])
    assert any(name.startswith("telegram") for name in loggers)  # libraries were logging
    assert any(name.startswith("bot.") for name in loggers)
    for secret in (TOKEN, TOKEN.split(":")[1], AUTH_TOKEN):
        assert secret not in text
    for phone in PHONE_FORMS:
        assert phone not in text, phone
    assert str(CHAT) not in text  # the patient's Telegram chat id is not written either
    for said in (TELEGRAM_ANSWER, SMS_ANSWER, CRISIS, "three"):
        assert said not in text, said
