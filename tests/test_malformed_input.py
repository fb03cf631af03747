"""Malformed input gets a 4xx with the reason, never a 500, and nothing unauthenticated is parsed
beyond a small cap. Each case was a 500 (or an unbounded parse) before.

The whole service app (Starlette, the real Twilio and Telegram adapters, the port, SQLite) is
driven in-process through httpx's ASGI transport.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.db.models import InboundMessage
from bot.service.app import App, build_app
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.sms_support import AUTH_TOKEN, PUBLIC_BASE, sms_settings
from tests.support import FakeClock
from tests.telegram_support import TOKEN

SECRET = "malformed-input-secret-0123456789"
TG_PATH = "/telegram/webhook"
SIGNATURE = "X-Twilio-Signature"


@pytest.fixture(scope="module")
def service_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Any]]:
    """One service for the module (building it runs the migrations): every case is refused
    before it could change anything, and the cases that could are checked for that."""
    url = f"sqlite:///{tmp_path_factory.mktemp('malformed') / 'pathbot.db'}"
    app = build_app(sms_settings("http://127.0.0.1:9"), database_url=url, clock=FakeClock())
    backend = Backend(app)
    config = SmsConfig.from_settings(app.settings)
    assert config is not None
    telegram = TelegramChannel(
        backend,
        token=TOKEN,
        api_base_url="http://127.0.0.1:9",
        webhook_url="https://bot.example.org" + TG_PATH,
        webhook_secret=SECRET,
    )
    channels = [TwilioSmsChannel(backend, config), telegram]
    yield app, build_asgi(Runtime(app, channels, backend=backend))
    app.db.dispose()


@pytest.fixture
async def service(service_app: tuple[App, Any]) -> AsyncIterator[tuple[App, httpx.AsyncClient]]:
    app, asgi = service_app
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, client


def signed(path: str, params: dict[str, str]) -> dict[str, str]:
    return {SIGNATURE: RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + path, params)}


def sms(**fields: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "7" * 32,
        "From": "+18025550101",
        "To": "+18025550199",
        "Body": "hello",
        **fields,
    }


def status(**fields: str) -> dict[str, str]:
    return {"MessageSid": "SM" + "b" * 32, "MessageStatus": "sent", **fields}


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/sms/status"])
async def test_a_multipart_upload_is_never_parsed(
    service: tuple[App, httpx.AsyncClient], path: str
) -> None:
    _app, client = service
    files = {"Media": ("x.bin", b"\0" * 10_000, "application/octet-stream")}
    unsigned = await client.post(path, data={"Body": "hi"}, files=files)
    assert unsigned.status_code == 403  # no signature: refused before the body is read
    forged = await client.post(
        path, data={"Body": "hi"}, files=files, headers={SIGNATURE: "forged"}
    )
    assert forged.status_code == 415


async def test_request_sizes_are_capped_before_anything_is_parsed(
    service: tuple[App, httpx.AsyncClient],
) -> None:
    _app, client = service
    headers = {SIGNATURE: "forged", "Content-Type": "application/x-www-form-urlencoded"}
    big = b"Body=" + b"x" * (2 * 1024 * 1024)
    announced = await client.post("/twilio/sms", content=big, headers=headers)
    assert announced.status_code == 413  # refused on its Content-Length

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(40):
            yield b"x" * 4096

    streamed = await client.post("/twilio/sms", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    many = "&".join(f"f{n}=v" for n in range(1000)).encode()
    assert (await client.post("/twilio/sms", content=many, headers=headers)).status_code == 400
    telegram = await client.post(
        TG_PATH,
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert telegram.status_code == 413


@pytest.mark.parametrize(
    ("path", "fields", "query"),
    [
        ("/twilio/sms", sms(MessageSid="SM" + "9" * 200), ""),
        ("/twilio/sms", sms(MessageSid="SM'; drop table x"), ""),
        ("/twilio/sms", sms(From=""), ""),
        ("/twilio/sms", sms(From="x" * 200), ""),
        ("/twilio/sms", sms(Body="y" * 1601), ""),
        ("/twilio/sms/status", status(), "?o=" + "9" * 20),  # a 20-digit outbox id
        ("/twilio/sms/status", status(), "?o=-1"),
        ("/twilio/sms/status", status(), "?o=%D9%A3"),  # an Arabic-Indic digit
        ("/twilio/sms/status", status(MessageStatus="x" * 300), ""),
        ("/twilio/sms/status", status(MessageStatus="failed", ErrorCode="3" * 40), ""),
    ],
)  # fmt: skip
async def test_authenticated_but_malformed_twilio_fields_are_a_400(
    service: tuple[App, httpx.AsyncClient], path: str, fields: dict[str, str], query: str
) -> None:
    app, client = service
    response = await client.post(path + query, data=fields, headers=signed(path + query, fields))
    assert response.status_code == 400, response.text
    with Session(app.db) as s:
        assert s.exec(select(InboundMessage)).all() == []  # refused whole: nothing truncated


def _message(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 7,
        "date": 1,
        "chat": {"id": 4242, "type": "private"},
        "from": {"id": 4242, "is_bot": False, "first_name": "P"},
        "text": "hello",
    }
    message.update(overrides)
    return {k: v for k, v in message.items() if v is not None}


MALFORMED_UPDATES: list[Any] = [
    [],
    "update",
    {"message": _message()},  # no update_id
    {"update_id": 1, "message": _message(chat=None)},
    {"update_id": 2, "message": _message(chat={"id": "abc", "type": "private"})},
    {"update_id": 3, "message": _message(text=5)},
    {"update_id": 4, "message": _message(text="x" * 4097)},
    {"update_id": 5, "message": []},
    {"update_id": 6, "message": _message(date="yesterday")},
    {"update_id": 7, "callback_query": {"id": "cb1", "data": "a::q:3"}},  # no from
    {"update_id": 8, "callback_query": {"id": "cb2", "from": {"id": "me"}, "data": "a:q:3"}},
    {"update_id": 9, "callback_query": {"id": "cb3", "from": {"id": 1}, "data": "x" * 65}},
    {"update_id": 10, "my_chat_member": {"chat": {"id": 1, "type": "private"}}},
    {"update_id": 2**70, "message": _message()},
]


@pytest.mark.parametrize("update", MALFORMED_UPDATES)
async def test_authenticated_but_malformed_telegram_updates_are_a_400(
    service: tuple[App, httpx.AsyncClient], update: Any
) -> None:
    _app, client = service
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post(TG_PATH, content=json.dumps(update), headers=headers)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000, b'{"update_id": 1e999999}', b""],
)
async def test_telegram_bodies_that_are_not_json_are_a_400(
    service: tuple[App, httpx.AsyncClient], body: bytes
) -> None:
    _app, client = service
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert (await client.post(TG_PATH, content=body, headers=headers)).status_code == 400


async def test_a_button_with_a_superscript_digit_is_ignored_not_a_500(
    service: tuple[App, httpx.AsyncClient],
) -> None:
    """Callback data "a:q:³": "³".isdigit() is True and int("³") raises."""
    _app, client = service
    for data in ("a:q:³", "a:³:q:3", "a:q:99999999999999999999", "a:123456789012:q:1"):
        user = {"id": 4242, "is_bot": False, "first_name": "P"}
        query = {"id": "cb9", "from": user, "chat_instance": "1", "data": data}
        update = {"update_id": 20, "callback_query": query}
        response = await client.post(
            TG_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert response.status_code in (200, 503), (data, response.status_code)


async def test_update_kinds_pathbot_does_not_read_are_accepted_and_ignored(
    service: tuple[App, httpx.AsyncClient],
) -> None:
    _app, client = service
    update = {"update_id": 30, "edited_channel_post": {"message_id": 1, "date": 1}}
    response = await client.post(
        TG_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status_code == 200
