"""The conversation simulator (TestClient, real app): a staff member is a patient in a sandbox
clinic with its own database and clock, through the real pipeline, engine, scheduler pass and
dispatcher; the clinic's own database is never touched."""

from __future__ import annotations

import re

from sqlmodel import Session, func, select

from bot.db.models import InboundMessage, OutboxMessage, Patient, SurveyAssignment
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
