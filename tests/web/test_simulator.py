"""The conversation simulator (TestClient, real app): a staff member is a patient in a sandbox
clinic with its own database and clock, through the real pipeline, engine, scheduler pass and
dispatcher; the clinic's own database is never touched."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, func, select

from bot.db.models import InboundMessage, OutboxMessage, Patient, SurveyAssignment
from bot.service.settings import Settings
from bot.web.simulator.sandbox import OWNER_FILE, ROOT_PREFIX, Sandboxes, remove_orphans
from tests.support import FakeClock
from tests.web.support import ConsoleHarness, csrf_of


def _counts(harness: ConsoleHarness) -> tuple[int, ...]:
    with Session(harness.app.db) as s:
        return tuple(
            s.exec(select(func.count()).select_from(table)).one()
            for table in (Patient, OutboxMessage, InboundMessage, SurveyAssignment)
        )


def _chat(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", t)
        for t in re.findall(r'<span class="text" dir="auto">(.*?)</span>', html, re.S)
    ]


def test_dvprs_in_spanish_at_a_group_session_with_a_time_jump_to_the_nudge(
    harness: ConsoleHarness,
) -> None:
    before = _counts(harness)
    client = harness.signed_in("coordinator")
    page = client.get("/staff/simulator").text
    token = csrf_of(page)
    started = client.post(
        "/staff/simulator/start",
        data={"csrf_token": token, "locale": "es", "instrument": "dvprs", "mode": "session"},
    )
    assert started.status_code == 303
    html = client.get("/staff/simulator").text
    reminder = _chat(html)
    assert len(reminder) == 1 and "recordatorio, su grupo se reúne" in reminder[0]  # in 15 min
    html = client.post("/staff/simulator/advance", data={"csrf_token": token, "by": "15m"}).text
    chat = _chat(html)
    assert "15 minutes later" in html
    assert "P1/5. ¿Cómo calificaría su dolor en este momento?" in chat[-1]  # at the session
    html = client.post("/staff/simulator/say", data={"csrf_token": token, "text": "5"}).text
    assert "P2/5." in _chat(html)[-1]
    html = client.post("/staff/simulator/advance", data={"csrf_token": token, "by": "2h"}).text
    assert "2 hours later" in html
    assert re.search(
        r'dir="auto">[^<]*tiene preguntas esperando[^<]*</span><span class="meta">nudge', html
    )
    html = client.post("/staff/simulator/advance", data={"csrf_token": token, "by": "1d"}).text
    assert "1 day later" in html and "The survey expired: recorded as missed" in html
    assert _counts(harness) == before  # the clinic's own database saw none of it


def test_any_instrument_right_away_and_ending_the_simulation(harness: ConsoleHarness) -> None:
    client = harness.signed_in("researcher")
    token = csrf_of(client.get("/staff/simulator").text)
    refused = client.post(
        "/staff/simulator/start",
        data={"csrf_token": token, "locale": "en", "instrument": "promis29", "mode": "session"},
    )
    assert refused.status_code == 400 and "right away" in refused.text
    client.post(
        "/staff/simulator/start",
        data={"csrf_token": token, "locale": "en", "instrument": "promis29", "mode": "now"},
    )
    chat = _chat(client.get("/staff/simulator").text)
    assert "PROMIS" in " ".join(chat) and "1 = " in chat[-1], chat
    client.post("/staff/simulator/reset", data={"csrf_token": token})
    assert 'id="chat"' not in client.get("/staff/simulator").text


def test_the_language_list_shows_each_languages_status(harness: ConsoleHarness) -> None:
    client = harness.signed_in("clinician")
    html = client.get("/staff/simulator").text
    assert '<option value="en">English · English (source language)</option>' in html
    assert '<option value="ar">العربية · Arabic (draft)</option>' in html
    token = csrf_of(html)
    client.post(
        "/staff/simulator/start",
        data={"csrf_token": token, "locale": "ar", "instrument": "dvprs", "mode": "now"},
    )
    html = client.get("/staff/simulator").text
    assert '<option value="ar" selected>' in html
    assert (
        'Chat in <span lang="ar" dir="rtl">العربية</span> <span class="badge draft">draft' in html
    )


# Clearing up: a sandbox is a folder with a database; none may outlive its use.


def _start(boxes: Sandboxes, owner: str) -> Path:
    box = boxes.start(
        owner, Settings(_env_file=None), locale="en", instrument="dvprs", mode="now",  # type: ignore[call-arg]
        start=FakeClock().now,
    )  # fmt: skip
    assert (box.folder / "sandbox.db").exists()
    return box.folder


def test_signing_out_throws_the_sandbox_away(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    token = csrf_of(client.get("/staff/simulator").text)
    client.post(
        "/staff/simulator/start",
        data={"csrf_token": token, "locale": "en", "instrument": "dvprs", "mode": "now"},
    )
    console = harness.asgi.routes[0].app.state.console  # type: ignore[attr-defined]
    box = console.simulators.get("coordinator")
    assert box is not None and box.folder.exists()
    client.post("/staff/sign-out", data={"csrf_token": token})
    assert not box.folder.exists() and console.simulators.get("coordinator") is None


def test_an_idle_sandbox_goes_when_anyone_next_uses_the_simulator(tmp_path: Path) -> None:
    now = [1000.0]
    boxes = Sandboxes(parent=tmp_path, clock=lambda: now[0], idle_limit=600)
    first = _start(boxes, "ana")
    now[0] += 300
    assert boxes.get("ana") is not None  # used: its idle time starts again
    now[0] += 500
    second = _start(boxes, "ben")
    assert first.exists()  # 500 s idle, under the limit
    now[0] += 601
    assert boxes.get("ben") is None  # both idle past the limit now
    assert not first.exists() and not second.exists()
    root = boxes.root
    assert root is not None and (root / "template.db").exists()
    boxes.close_all()
    assert not root.exists()


def test_folders_of_a_process_that_died_are_removed_by_the_next(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],  # noqa: S603
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f"{ROOT_PREFIX}dead"
    alive = tmp_path / f"{ROOT_PREFIX}alive"
    foreign = tmp_path / f"{ROOT_PREFIX}foreign"  # no owner file: not ours to judge
    for folder, owner in (
        (dead, ended.stdout.strip()),
        (alive, str(os.getppid())),
        (foreign, None),
    ):
        folder.mkdir()
        (folder / "sandbox-x").mkdir()
        if owner is not None:
            (folder / OWNER_FILE).write_text(owner)
    assert remove_orphans(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and foreign.exists()


SIMULATING_PROCESS = """
import sys, time
from pathlib import Path
from bot.service.settings import Settings
from bot.web.simulator.sandbox import Sandboxes
from tests.support import FakeClock
boxes = Sandboxes(parent=Path(sys.argv[1]))
box = boxes.start("ana", Settings(_env_file=None), locale="en", instrument="dvprs", mode="now",
                  start=FakeClock().now)
print(box.folder, flush=True)
if sys.argv[2] == "wait":
    time.sleep(120)
"""


def test_a_process_clears_up_at_exit_and_after_a_kill(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SIMULATING_PROCESS, str(tmp_path)]
    done = subprocess.run([*command, "exit"], capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent.parent == tmp_path
    assert list(tmp_path.glob(ROOT_PREFIX + "*")) == []  # atexit removed it all

    with subprocess.Popen([*command, "wait"], stdout=subprocess.PIPE, text=True) as killed:  # noqa: S603
        try:
            assert killed.stdout is not None
            folder = Path(killed.stdout.readline().strip())
            assert folder.exists()
        finally:
            killed.kill()  # SIGKILL: no atexit
            killed.wait(timeout=30)
    assert folder.exists()
    boxes = Sandboxes(parent=tmp_path)
    _start(boxes, "ben")  # the next process to simulate removes the dead one's folders
    assert not folder.parent.exists()
    boxes.close_all()
    assert list(tmp_path.glob(ROOT_PREFIX + "*")) == []
