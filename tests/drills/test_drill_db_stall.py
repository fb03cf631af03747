"""Drill: PostgreSQL stops answering (a network black hole, not a clean cut) under `pathbot run`.

The server runs as a subprocess and reaches PostgreSQL through a TCP forwarder the test stalls:
connections stay open and nothing gets through either way, which is what a dropped route or a
hung proxy looks like. Before, every database call on the event loop (dispatcher, health check)
froze the whole server: /healthz, the webhooks and even a 404 hung 10-40 s. Now, while the
database is stalled, the health check answers 503 "stalled" without waiting for the database, a
page that needs no database answers, a webhook answers 503 (Twilio delivers it again), and after
the stall the redelivered message is stored once and answered.

No assertion here depends on the machine's speed (a loaded machine once took 1.17 s for a
/healthz the test wanted within 1 s): "without waiting for the database" is checked by order,
not by a stopwatch. The stall lasts until the test lifts it, and the server's database calls
give up only after STATEMENT_TIMEOUT + 2 s, logging it; an answer that came before any of them
gave up cannot have waited for the database. Request timeouts only catch a hang. The time each
answer took is printed, as a figure, not judged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.db import store
from bot.db.database import make_engine, normalize_database_url, session_scope, upgrade
from bot.db.models import ChannelIdentity, InboundMessage
from tests.drills.server_process import HANG_SECONDS, ServerProcess
from tests.drills.tcp_proxy import TcpProxy
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgres,
    pytest.mark.usefixtures("no_leaked_children"),
]

PHONE = "+18025557001"
# The server's database calls give up this long (+ 2 s on the client) into the stall. Far longer
# than /healthz's own 0.6 s wait, so the order checks below have seconds of room on a loaded
# machine; short enough that the webhook's 503 comes in a few seconds.
STATEMENT_TIMEOUT = 6
GAVE_UP = "health check: database"  # the probe's log line when a database call gives up


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def test_a_stalled_database_never_freezes_the_server(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    with session_scope(engine) as s:
        patient = store.add_patient(s, study_id="STALL1", now=_now())
        s.add(
            ChannelIdentity(
                patient_id=patient.id or 0, channel="sms", address=PHONE, created_at=_now()
            )
        )
    target = make_url(normalize_database_url(postgres_url))
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied = target.set(port=proxy.start()).render_as_string(hide_password=False)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    server = ServerProcess(
        tmp_path,
        {
            "DATABASE_URL": proxied,
            "PATHBOT_DATABASE_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
            "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
            "PATHBOT_TWILIO_API_BASE_URL": fake.base_url,
            "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
            "PATHBOT_SMS_MESSAGES_PER_SECOND": "100",
            "PATHBOT_QUIET_HOURS_START": "0",
            "PATHBOT_QUIET_HOURS_END": "0",
        },
    )
    http = httpx.AsyncClient(timeout=HANG_SECONDS)  # catches a hang only
    try:
        base = await server.start()
        await server.healthy()

        async def text(body: str, sid: str) -> httpx.Response:
            return await fake.send_inbound(
                local_url=base + "/twilio/sms",
                public_url=PUBLIC_BASE + "/twilio/sms",
                sender=PHONE,
                to=FROM_NUMBER,
                body=body,
                message_sid=sid,
            )

        # ---- the stall: nothing gets through, in either direction, until the test says ------
        log_before = len(server.log())
        proxy.stall()
        webhook = asyncio.ensure_future(_timed(text("HELP", "SM" + "5" * 32)))
        health_times: list[float] = []
        health_bodies: list[dict[str, object]] = []
        page_times: list[float] = []
        answered_before_give_up = 0  # health and 404 answers seen before any call gave up
        hang = time.monotonic() + HANG_SECONDS

        def gave_up() -> bool:
            return GAVE_UP in server.log()[log_before:]

        # until the webhook has had its answer and the health probe has given up on the database
        while not (webhook.done() and gave_up()) or len(health_times) < 3:
            assert time.monotonic() < hang, server.log()[log_before:][-3000:]
            health, took = await _timed(http.get(base + "/healthz"))
            assert health.status_code == 503, health.text
            health_times.append(took)
            health_bodies.append(health.json())
            missing, took = await _timed(http.get(base + "/no-such-page"))
            assert missing.status_code == 404
            page_times.append(took)
            if not gave_up():
                answered_before_give_up += 1
            await asyncio.sleep(0.3)
        answered, webhook_took = await webhook
        assert answered.status_code == 503, "a webhook during the stall must ask for a retry"
        # The database calls were still waiting on the stalled network when /healthz and the
        # 404 answered: they did not wait for it (nor for the event loop it once froze).
        assert answered_before_give_up >= 1, server.log()[log_before:][-3000:]
        assert {b["database"] for b in health_bodies} <= {"stalled", "unreachable"}

        # ---- the network comes back: the redelivered message is stored once, and answered --
        proxy.resume()
        await server.healthy()
        for _ in range(2):  # Twilio's retry, and a late duplicate of it
            assert (await text("HELP", "SM" + "5" * 32)).status_code == 200
        deadline = time.monotonic() + HANG_SECONDS  # catches a lost reply only
        while not any("911" in b for b in fake.bodies_to(PHONE)):
            assert time.monotonic() < deadline, f"no HELP reply: {server.log()[-3000:]}"
            await asyncio.sleep(0.1)
        with Session(engine) as s:
            stored = s.exec(select(InboundMessage).where(InboundMessage.address == PHONE)).all()
        assert [m.provider_message_id for m in stored] == ["SM" + "5" * 32]
        print(
            f"\nstall drill (figures, not judged): {len(health_times)} health checks during the "
            f"stall, slowest {max(health_times) * 1000:.0f} ms; slowest 404 "
            f"{max(page_times) * 1000:.0f} ms; webhook answered 503 after {webhook_took:.1f} s; "
            f"{answered_before_give_up} rounds answered before a database call gave up"
        )
    finally:
        await http.aclose()
        server.stop()
        await fake.stop()
        proxy.close()
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)
