"""/healthz tells the truth about the database: it writes, so a full disk or a read-only SQLite
file is reported; and a file that was read-only works again once it is writable, no restart.

A full disk is a real one (a 2 MB tmpfs the test mounts and fills); a read-only file is made so
with `chattr +i` when the tests run as root (root ignores file modes), else with chmod.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.channels.console import ConsoleChannel
from bot.channels.port import BackendUnavailable
from bot.conversation.messages import Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App, build_app
from bot.service.backend import Backend
from bot.service.health import DatabaseProbe, probe_database
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings
from tests.support import FakeClock


def _app(path: Path, clock: FakeClock) -> App:
    return build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        clock=clock,
    )


@contextlib.contextmanager
def tiny_disk(where: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted at `where` (root only), unmounted afterwards."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable for this process until the block ends."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root ignores file modes and chattr is not installed")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_full_disk_is_reported_and_recovers(tmp_path: Path, clock: FakeClock) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        app = _app(disk / "pathbot.db", clock)
        client = TestClient(build_asgi(Runtime(app, [])))  # no lifespan: the route alone
        assert client.get("/healthz").json()["database"] == "ok"
        filler = fill(disk)
        clock.advance(seconds=30)
        full = client.get("/healthz")
        assert full.status_code == 503 and full.json()["database"] == "full"
        filler.unlink()
        clock.advance(seconds=30)
        assert client.get("/healthz").json()["database"] == "ok"
        app.db.dispose()


def test_a_read_only_file_is_reported_and_works_again_once_writable(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "pathbot.db"
    app = _app(path, clock)
    with session_scope(app.db) as s:
        patient = store.add_patient(s, study_id="RO1", now=clock())
        store.bind_channel(
            s,
            patient=patient,
            channel="console",
            address="ro1",
            consent_text_version="t",
            method="console",
            now=clock(),
        )
    app.db.dispose()  # as after a restart: the next connection opens the file as it is now
    backend = Backend(app)
    client = TestClient(build_asgi(Runtime(app, [ConsoleChannel(io.StringIO())])))

    def hello(n: int) -> Inbound:
        return Inbound("console", "ro1", f"ro-{n}", "hello", clock())

    with read_only(path):
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "read_only"
        with pytest.raises(BackendUnavailable):  # retried later, never lost
            asyncio.run(backend.receive(hello(1)))
    clock.advance(seconds=30)
    # writable again: the pooled connection that was opened read-only must not linger
    assert asyncio.run(backend.receive(hello(1))).status == "processed"
    assert client.get("/healthz").json()["database"] == "ok"
    app.db.dispose()


async def test_the_probe_never_waits_longer_than_it_may(tmp_path: Path, clock: FakeClock) -> None:
    """A probe stuck on the database answers "stalled" at once and is not started twice."""
    app = _app(tmp_path / "p.db", clock)
    probe = DatabaseProbe(app.db, within=0.2)
    lock = app.db.raw_connection()  # another writer holds the write lock
    lock.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    try:
        assert (await probe.check(clock()))["database"] == "stalled"
        assert (await probe.check(clock()))["database"] == "stalled"  # the first still waits
    finally:
        lock.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        lock.close()
    probe.close()
    assert probe_database(app.db, clock())["database"] == "ok"
    app.db.dispose()
