"""Drill: `pathbot run` is killed with SIGKILL at random moments while 100 patients answer a DVPRS
by SMS and a session reminder is due for each of them.

The server runs as a subprocess on a SQLite file; the fake Twilio server lives in the test
process, so it survives every kill and keeps the provider's log. Patients answer each question
once it reaches their phone; a webhook that fails (connection refused while the server is down,
or any non-2xx) is delivered again with the same MessageSid, as Twilio's retries would. Between a
kill and the restart the test ages the dead server's claims past their lease (what waiting five
minutes would do), so the drill stays short.

Checked at the end: every answer whose webhook got a 2xx is stored, none twice; every due
message reached the provider; and the provider's log, keyed by the outbox id in each message's
StatusCallback URL, shows how many were sent twice. That can happen, by design, for the messages
in the at-least-once window at the kill: accepted by Twilio (or on their way to it) but not yet
recorded as sent, they go out again when their lease expires. The window is bounded: an ordinary
send keeps its place in the channel's allowance (the gate's width, DEFAULT_GATE_WIDTH = 16 for
SMS) from before it leaves until its "sent" record has committed (bot/service/sent_records.py),
so a kill finds at most that many in the window; safety replies take no place (a database outage
must never delay them) and this drill sends none. Hence at most KILLS * DEFAULT_GATE_WIDTH
re-sends. Seen for 5 kills: 50-78 before the allowance (nothing bounded the sends awaiting their
record); 47-64 after it on a 2-core machine at load 9-10, where a kill finds the allowance nearly
full (sends accepted 0.5-1 s before the kill: the fake Twilio's answers and the record's wait for
SQLite's write lock are that slow at such load; the records themselves are group commits of up
to 16 rows, 0.12 s on average).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Event, InboundMessage, ItemResponse, OutboxMessage, Patient
from bot.schedule import cohorts
from bot.schedule.plan import PlanOptions
from bot.service.dispatcher import DEFAULT_GATE_WIDTH, LEASE
from tests.child_processes import spawn, stop
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE, sms_settings

pytestmark = [pytest.mark.drill]


@pytest.fixture(autouse=True)
def _only_when_drills_are_asked_for(request: pytest.FixtureRequest) -> None:
    """About a minute long: not part of `make test`; run with `pytest -m drill tests/drills`."""
    if "drill" not in str(request.config.getoption("markexpr") or ""):
        pytest.skip("long drill: run it with `.venv/bin/pytest -m drill -s tests/drills`")


PATIENTS = 100
KILLS = 5
ITEMS = 5  # DVPRS
ANSWERS = ["7", "3", "2", "5", "4"]
# The drill fails rather than hang: 85 s for the whole drill and 30 s for a restarted server to
# answer its health check on an idle machine. Both stretch with the machine's load when the drill
# starts (up to 4x): at load 6-10 on 2 cores a restart alone took 20-40 s and the fixed limits
# failed a drill that lost nothing. The at-least-once bound below does not stretch.
SLOWNESS = min(4.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))
TIME_LIMIT = 85.0 * SLOWNESS
HEALTHY_WITHIN = 30.0 * SLOWNESS
REPO = Path(__file__).resolve().parents[2]
FINAL = ("sent", "delivered", "dropped", "cancelled")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _phone(n: int) -> str:
    return f"+1802556{n:04d}"


class Server:
    """`pathbot run` in a subprocess that the drill kills and restarts on the same port."""

    def __init__(self, db_url: str, fake_base: str, workdir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._workdir = workdir
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PATHBOT_")},
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": db_url,
            "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
            "PATHBOT_TWILIO_API_BASE_URL": fake_base,
            "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
            "PATHBOT_SMS_MESSAGES_PER_SECOND": "500",
            "PATHBOT_QUIET_HOURS_START": "0",
            "PATHBOT_QUIET_HOURS_END": "0",
            "PATHBOT_MAX_UNSOLICITED_PER_DAY": "1000",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        command = [sys.executable, "-m", "bot.cli.main", "run", "--port", str(self.port)]
        # spawn: the server dies with the drill even if the drill itself is killed
        with open(self._workdir / f"server-{self.starts}.log", "wb") as log:
            self.process = spawn(
                command, cwd=self._workdir, env=self._env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1

    async def healthy(self, within: float = HEALTHY_WITHIN) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, "server died"
                try:
                    if (await client.get(self.base + "/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError("the server did not become healthy")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        stop(self.process, grace=10)


def _prepare(db_url: str) -> list[int]:
    """100 patients reachable by SMS, each with a DVPRS open and a group session in 30 min."""
    from bot.service.app import build_app

    app = build_app(sms_settings("http://127.0.0.1:1"), database_url=db_url)
    now = datetime.now(UTC)
    ids: list[int] = []
    with session_scope(app.db) as s:
        for n in range(PATIENTS):
            patient = store.add_patient(s, study_id=f"K{n:03d}", now=now)
            store.bind_channel(
                s,
                patient=patient,
                channel="sms",
                address=_phone(n),
                consent_text_version="drill",
                method="staff",
                now=now,
            )
            ids.append(patient.id or 0)
        soon = now + timedelta(minutes=30)
        local = soon.astimezone(ZoneInfo("America/New_York"))
        cohort = cohorts.create_cohort(
            s,
            name="Kill drill",
            start_date=local.date(),
            timezone="America/New_York",
            rule=cohorts.WeeklyRule(weekday=local.weekday(), time=local.strftime("%H:%M")),
            now=now,
            weeks=1,
            survey_plan=PlanOptions(battery=()),
        )
        for pid in ids:
            patient = s.get(Patient, pid)
            assert patient is not None
            cohorts.enrol(s, cohort, patient, now)
    for pid in ids:
        app.pipeline.start_survey(pid, "dvprs")
    app.db.dispose()
    return ids


def _age_dead_claims(db_url: str) -> int:
    """What waiting out the lease would do: a dead server's claims become claimable again."""
    from bot.db.database import make_engine

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            result = s.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == "sending")
                .values(claimed_at=datetime.now(UTC) - LEASE - timedelta(minutes=1))
            )
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


async def test_kill_9_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(20261102)
    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    _prepare(db_url)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    server = Server(db_url, fake.base_url, tmp_path)
    accepted: set[str] = set()  # MessageSids that got a 2xx
    redeliveries = 0
    aged = 0

    async def patient(n: int) -> None:
        nonlocal redeliveries
        phone = _phone(n)
        for index, answer in enumerate(ANSWERS):
            prompt = f"Q{index + 1}/{ITEMS}"
            while not any(b.startswith(prompt) for b in fake.bodies_to(phone)):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0, 0.3))  # people take a moment
            sid = f"SMkill{n:03d}{index:02d}" + "0" * 21
            while True:
                try:
                    response = await fake.send_inbound(
                        local_url=server.base + "/twilio/sms",
                        public_url=PUBLIC_BASE + "/twilio/sms",
                        sender=phone,
                        to=FROM_NUMBER,
                        body=answer,
                        message_sid=sid,
                    )
                    if 200 <= response.status_code < 300:
                        accepted.add(sid)
                        break
                except httpx.TransportError:
                    pass  # the server is down: Twilio tries again
                redeliveries += 1
                await asyncio.sleep(0.2)

    async def killer() -> None:
        nonlocal aged
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            server.kill()
            aged += await asyncio.to_thread(_age_dead_claims, db_url)
            server.start()
            await server.healthy()

    try:
        server.start()
        await server.healthy()
        patients = asyncio.gather(*(patient(n) for n in range(PATIENTS)))
        await asyncio.wait_for(asyncio.gather(patients, killer()), TIME_LIMIT)

        # every outbox row reaches a final state (the last server is left running)
        engine_url = db_url

        def unsettled() -> int:
            from bot.db.database import make_engine

            engine = make_engine(engine_url)
            try:
                with Session(engine) as s:
                    rows = s.exec(select(OutboxMessage)).all()
                    return sum(1 for r in rows if r.status not in FINAL)
            finally:
                engine.dispose()

        while await asyncio.to_thread(unsettled):
            assert time.monotonic() - started < TIME_LIMIT + 20, "outbox never settled"
            await asyncio.sleep(0.2)
        server.stop()

        from bot.db.database import make_engine

        engine = make_engine(db_url)
        with Session(engine) as s:
            inbound = s.exec(select(InboundMessage)).all()
            answers = s.exec(
                select(ItemResponse).where(col(ItemResponse.superseded_at).is_(None))
            ).all()
            outbox = s.exec(select(OutboxMessage)).all()
            reminders_due = s.exec(select(Event)).all()
        engine.dispose()

        stored_sids = Counter(m.provider_message_id for m in inbound)
        assert not [sid for sid, n in stored_sids.items() if n > 1]  # none stored twice
        assert accepted <= set(stored_sids)  # no answer lost
        per_item = Counter((a.patient_id, a.item_id) for a in answers)
        assert len(per_item) == PATIENTS * ITEMS and set(per_item.values()) == {1}

        sent_rows = {r.id: r for r in outbox if r.status in ("sent", "delivered")}
        reminders = [r for r in sent_rows.values() if r.kind == "reminder"]
        assert len(reminders) == PATIENTS and reminders_due  # one reminder each, all sent
        by_outbox = Counter(
            int(parse_qs(urlsplit(str(m["status_callback"])).query)["o"][0]) for m in fake.messages
        )
        assert set(sent_rows) <= set(by_outbox)  # every due message reached the provider
        assert set(by_outbox) <= set(sent_rows)  # and nothing that was not due
        duplicates = {oid: n for oid, n in by_outbox.items() if n > 1}
        print(
            f"\nkill -9 drill: {server.starts - 1} kills, {len(accepted)} answers accepted "
            f"({redeliveries} redeliveries while down), {len(fake.messages)} SMS sent for "
            f"{len(sent_rows)} outbox rows, {len(duplicates)} sent twice "
            f"({aged} dead claims aged), {time.monotonic() - started:.1f} s "
            f"(limit {TIME_LIMIT:.0f} s at slowness {SLOWNESS:.1f})"
        )
        assert server.starts - 1 == KILLS
        # at-least-once window: per kill, at most the allowance (sends in flight or accepted and
        # awaiting their "sent" record); see the module's docstring
        assert sum(n - 1 for n in duplicates.values()) <= KILLS * DEFAULT_GATE_WIDTH
    finally:
        server.stop()
        await fake.stop()
