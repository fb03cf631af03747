"""The window between "the provider accepted" and the commit of "sent" (issue 16).

A crash in that window re-sends the message when its claim's lease runs out (at-least-once): the
dispatcher keeps the window short (sends that finish together share one transaction) and bounded
(an ordinary send keeps its place in the channel's allowance until its record has committed), and
a database that cannot take the records never delays a crisis reply.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.channels.base import OutboundEnvelope
from bot.conversation.messages import Outgoing, OutgoingKind
from bot.db import store
from bot.db.database import make_engine, session_scope, upgrade
from bot.db.models import OutboxMessage
from bot.service.app import App
from bot.service.dispatcher import DEFAULT_GATE_WIDTH, LEASE, Dispatcher
from bot.service.sent_records import Accepted, write_sent
from tests.drills.server_process import ServerProcess
from tests.fakes.twilio_api import FakeTwilio
from tests.schedule_support import make_app
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE
from tests.support import FakeClock
from tests.telegram_support import eventually


def _enqueue(
    db_url_or_app: App | str, addresses: Sequence[str], *, kind: OutgoingKind, now: datetime
) -> list[int]:
    engine = db_url_or_app.db if isinstance(db_url_or_app, App) else make_engine(db_url_or_app)
    ids = []
    with session_scope(engine) as s:
        for address in addresses:
            (row,) = store.enqueue(
                s,
                patient_id=None,
                channel="sms",
                address=address,
                messages=[Outgoing(kind, f"{kind} to {address}")],
                dedupe_prefix=f"{kind}:{address}",
                now=now,
            )
            ids.append(row.id or 0)
    if not isinstance(db_url_or_app, App):
        engine.dispose()
    return ids


def _rows(url: str) -> dict[int, OutboxMessage]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return {r.id or 0: r for r in s.exec(select(OutboxMessage)).all()}
    finally:
        engine.dispose()


@contextmanager
def _write_lock(path: Path) -> Iterator[None]:
    """The database takes no writes meanwhile (another connection holds SQLite's write lock),
    as during an outage; reads still work (WAL)."""
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()


class Provider:
    """A channel that records what it was asked to send (outbox id, kind)."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, message: OutboundEnvelope) -> str:
        await asyncio.sleep(0.001)
        self.sent.append((message.outbox_id, message.kind))
        return f"P{message.outbox_id}"

    def ordinary(self) -> int:
        return sum(1 for _, kind in self.sent if kind != "crisis")


async def test_records_that_cannot_be_written_stop_ordinary_sends_at_the_allowance_not_a_crisis(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'pathbot.db'}", clock)
    now = app.pipeline.now()
    ordinary = _enqueue(app, [f"+1802555{n:04d}" for n in range(10)], kind="prompt", now=now)
    (crisis,) = _enqueue(app, ["+18025559999"], kind="crisis", now=now)
    provider = Provider()
    dispatcher = Dispatcher(app.db, gate_width=2)
    assert await dispatcher.top_up({"sms": provider}, now) == 11  # claimed, not yet sent

    with _write_lock(tmp_path / "pathbot.db"):
        # The crisis answer goes although no record can be written; ordinary sends stop once
        # the allowance (the gate's width, 2) is taken by sends awaiting their record.
        await eventually(lambda: (crisis, "crisis") in provider.sent and provider.ordinary() >= 2)
        await asyncio.sleep(0.5)
        assert provider.ordinary() == 2
        assert {r.status for r in _rows(str(app.db.url)).values()} == {"sending"}

    await dispatcher.drain()
    sent = Counter(outbox_id for outbox_id, _ in provider.sent)
    assert sorted(sent) == sorted([*ordinary, crisis]) and set(sent.values()) == {1}
    rows = _rows(str(app.db.url))
    assert {(r.status, r.attempts, r.provider_message_id) for r in rows.values()} == {
        ("sent", 1, f"P{i}") for i in rows
    }
    # The two sends accepted while the database was locked were recorded in one transaction.
    assert dispatcher.records.recorded == 11 and dispatcher.records.commits < 11
    app.db.dispose()


def test_a_late_sent_record_keeps_a_delivery_report_that_came_first(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'pathbot.db'}"
    app = make_app(url, clock)
    now = app.pipeline.now()
    first, second = _enqueue(app, ["+18025550001", "+18025550002"], kind="prompt", now=now)
    with session_scope(app.db) as s:
        s.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == first)
            .values(status="delivered", provider_message_id="SM1")
        )
    write_sent(app.db, [Accepted(first, "SM1", now, 2), Accepted(second, "SM2", now)])
    rows = _rows(url)
    assert (rows[first].status, rows[first].segments, rows[first].attempts) == ("delivered", 2, 1)
    assert (rows[second].status, rows[second].provider_message_id) == ("sent", "SM2")
    app.db.dispose()


# ---- a real crash --------------------------------------------------------------------------


def _server_env(db_url: str, fake_base: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PATHBOT_TWILIO_API_BASE_URL": fake_base,
        "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
        "PATHBOT_SMS_MESSAGES_PER_SECOND": "500",
    }


def _age_claims(db_url: str) -> None:
    """What waiting out the lease does: a dead server's claims may be taken again."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        s.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == "sending")
            .values(claimed_at=datetime.now(UTC) - LEASE - timedelta(minutes=1))
        )
    engine.dispose()


def _sends_per_row(fake: FakeTwilio) -> Counter[int]:
    return Counter(
        int(parse_qs(urlsplit(str(m["status_callback"])).query)["o"][0]) for m in fake.messages
    )


async def _until(check: Callable[[], bool], within: float = 60.0) -> None:
    await eventually(check, within)  # generous: the machine may be loaded


async def test_a_crash_after_the_provider_accepted_re_sends_only_the_unrecorded_ones(
    tmp_path: Path,
) -> None:
    """`pathbot run` sends 30 SMS while the database takes no writes: 16 (the gate's width) are
    accepted by Twilio and wait for their record, the others wait for a place; then the
    process is killed (SIGKILL). After the restart exactly those 16 go out again; the 5 sent
    and recorded before never do, and the rest go once."""
    db_path = tmp_path / "crash.db"
    db_url = f"sqlite:///{db_path}"
    await asyncio.to_thread(upgrade, db_url)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    server = ServerProcess(tmp_path, _server_env(db_url, fake.base_url))
    now = datetime.now(UTC)
    try:
        recorded = _enqueue(db_url, [f"+1802557{n:04d}" for n in range(5)], kind="reply", now=now)
        await server.start()
        await _until(lambda: all(_rows(db_url)[i].status == "sent" for i in recorded))

        fake.hold = asyncio.Event()  # Twilio holds its answers: sends in flight
        later = _enqueue(db_url, [f"+1802558{n:04d}" for n in range(30)], kind="reply", now=now)
        await _until(lambda: fake.holding == DEFAULT_GATE_WIDTH)
        with _write_lock(db_path):
            fake.hold.set()  # accepted, and no "sent" record can commit
            await _until(lambda: len(fake.messages) >= len(recorded) + DEFAULT_GATE_WIDTH)
            await asyncio.sleep(0.5)
            assert len(fake.messages) == len(recorded) + DEFAULT_GATE_WIDTH  # none beyond
            accepted = set(_sends_per_row(fake)) - set(recorded)
            assert server.process is not None
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)

        await asyncio.to_thread(_age_claims, db_url)
        await server.start()
        await _until(lambda: all(r.status == "sent" for r in _rows(db_url).values()))
    finally:
        server.stop()
        await fake.stop()

    per_row = _sends_per_row(fake)
    assert set(per_row) == {*recorded, *later}  # every message went
    assert {i for i, n in per_row.items() if n > 1} == accepted  # re-sent: only the unrecorded
    assert len(accepted) == DEFAULT_GATE_WIDTH and max(per_row.values()) == 2
