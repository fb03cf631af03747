"""Telegram updates through python-telegram-bot (webhook mode) against the fake Bot API.

The real Telegram channel runs inside the real ASGI app under uvicorn; a second process posts
message updates (DVPRS answers from many chats) with the webhook secret. Each update is parsed
by python-telegram-bot, checked for enrolment and run through the pipeline before the answer.
"""

from __future__ import annotations

import asyncio

from benchmarks.common import NOW, Row, backend_name, bench_app, percentile
from benchmarks.seed import seed_patients
from benchmarks.server import load_from_subprocess, serving
from bot.channels.telegram.adapter import DEFAULT_WEBHOOK_PATH, TelegramChannel
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456789:AAF-bench-token-0123456789abcdefghij"  # noqa: S105 - fake Bot API only
SECRET = "bench-webhook-secret"  # noqa: S105 - loopback benchmark only
TARGET_RATE = 500.0
CONCURRENCY = 16
FIRST_CHAT = 700000


async def _measure(url: str, patients: int, per_patient: int) -> dict[str, float]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    app = bench_app(url)
    try:
        people = seed_patients(
            app.db, patients, channel="telegram", address_of=lambda n: FIRST_CHAT + n,
            now=NOW, prefix="tg",
        )  # fmt: skip
        for pid, _chat in people:
            app.pipeline.start_survey(pid, "dvprs")
        backend = Backend(app)
        channel = TelegramChannel(
            backend,
            token=TOKEN,
            api_base_url=fake.base,
            webhook_url="https://bot.example.org" + DEFAULT_WEBHOOK_PATH,
            webhook_secret=SECRET,
        )
        runtime = Runtime(app, [channel], backend=backend)
        await channel.start()  # getMe, command menus, setWebhook: against the fake
        requests = []
        update_id = 1
        for round_ in range(per_patient):
            for _pid, chat in people:
                chat_id = int(chat)
                message = {
                    "message_id": 10 + round_,
                    "date": int(NOW.timestamp()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "Pat"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "Pat",
                             "language_code": "en"},
                    "text": ("3", "seven", "my pain is 4", "2")[round_ % 4],
                }  # fmt: skip
                requests.append(
                    {
                        "path": DEFAULT_WEBHOOK_PATH,
                        "json": {"update_id": update_id, "message": message},
                        "headers": {"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    }
                )
                update_id += 1
        async with serving(build_asgi(runtime)) as base:
            result = await load_from_subprocess(
                {"base_url": base, "concurrency": CONCURRENCY, "requests": requests}
            )
        await channel.stop()
    finally:
        await fake.stop()
        app.db.dispose()
    if result["statuses"].get("200", 0) != len(requests):
        raise RuntimeError(f"unexpected webhook statuses: {result['statuses']}")
    latencies = result["latencies"]
    return {
        "updates": len(latencies),
        "per_second": len(latencies) / result["elapsed"],
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def run(url: str, *, quick: bool = False) -> list[Row]:
    patients, per_patient = (4, 2) if quick else (400, 4)
    m = asyncio.run(_measure(url, patients, per_patient))
    return [
        Row(
            "Telegram updates/s",
            backend_name(url),
            f"{m['per_second']:,.0f}/s ({m['updates']:.0f} updates, p99 {m['p99_ms']:.0f} ms)",
            f">= {TARGET_RATE:,.0f}/s",
            m["per_second"] >= TARGET_RATE,
        )
    ]
