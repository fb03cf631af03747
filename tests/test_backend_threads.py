"""Where the backend runs its database steps: on SQLite one at a time in a thread of its own
(more threads only fought over the GIL), on PostgreSQL in asyncio's pool; either way in the
context of the task that asked, so the sends a step makes keep their message's stamp."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from bot.channels import send_order
from bot.service import backend as backend_module
from bot.service import chat_flows
from bot.service.backend import Backend
from tests.exports_support import make_app
from tests.support import FakeClock


class _Recorder:
    """Stands in for a database step: notes its thread, the stamp it sees and how many run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.threads: set[str] = set()
        self.stamps: list[send_order.SendOrder | None] = []

    def step(self, *_args: object) -> bool:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.current_thread().name)
            self.stamps.append(send_order.stamp())
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return True


async def _ask_four_at_once(backend: Backend) -> None:
    async def one(n: int) -> bool:
        send_order.arrived(at=float(n))  # this task's own stamp
        return await backend.is_enrolled("sms", f"+1802555000{n}")

    assert await asyncio.gather(*(one(n) for n in range(4))) == [True] * 4


def test_sqlite_steps_run_one_at_a_time_in_the_backends_thread(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(chat_flows, "is_enrolled", recorder.step)
    app = make_app(sqlite_url, clock)
    try:
        asyncio.run(_ask_four_at_once(Backend(app)))
    finally:
        app.db.dispose()
    assert recorder.most_at_once == 1
    assert len(recorder.threads) == 1 and recorder.threads.pop().startswith("pathbot-sqlite")
    assert sorted(s.since for s in recorder.stamps if s is not None) == [0.0, 1.0, 2.0, 3.0]


def test_postgres_steps_share_asyncios_pool(
    postgres_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(chat_flows, "is_enrolled", recorder.step)
    app = make_app(postgres_url, clock)
    try:
        assert backend_module.database_executor(app.db) is None
        asyncio.run(_ask_four_at_once(Backend(app)))
    finally:
        app.db.dispose()
    assert recorder.most_at_once > 1  # waits on the network overlap
    assert not any(name.startswith("pathbot-sqlite") for name in recorder.threads)
    assert sorted(s.since for s in recorder.stamps if s is not None) == [0.0, 1.0, 2.0, 3.0]


def test_a_backend_let_go_stops_its_thread(sqlite_url: str, clock: FakeClock) -> None:
    app = make_app(sqlite_url, clock)
    try:
        before = set(threading.enumerate())
        backend = Backend(app)
        assert asyncio.run(backend.is_enrolled("sms", "+18025550000")) is False
        (its_thread,) = [t for t in set(threading.enumerate()) - before if "sqlite" in t.name]
        del backend
        gc.collect()  # a backend in a reference cycle goes when the collector finds it
        its_thread.join(timeout=5)
        assert not its_thread.is_alive(), "the backend's thread outlived it"
    finally:
        app.db.dispose()
