"""Staff console pages: p95 latency of each screen over HTTP with 10,000 patients and 1,000,000
item responses (target: every page p95 < 200 ms).

The clinic is made in SQL (executemany, then INSERT ... SELECT): per patient 20 completed DVPRS
check-ins (5 answers and a score each), one open survey (due or overdue), a message out and in per
check-in; 50 cohorts; 500 alerts (crisis ones among them); 100 patients on hold; 300 failed sends.
One cohort of 200 of them is made by the real code (bot/schedule/cohorts: 13 weekly sessions, the
survey plan, every enrolment planned), for the cohort pages, the compliance grid and the forecast
of the next 24 hours of sends.
The real app (console mounted as `pathbot run` does) is served by uvicorn on 127.0.0.1:0, a
signed-in administrator fetches each page repeatedly (a different patient each time), and the
latency is measured at the client, sign-in and audit writes included.

`python -m benchmarks --only console` runs every page on both databases; to look at a few pages
(the compliance grid and the forecast of sends were the slow ones):

    python -m benchmarks.bench_console --page "compliance grid" --page "next 24 h of sends"
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import timedelta

import httpx
from sqlalchemy import Connection, Engine, insert, text, update
from sqlmodel import col, select

from benchmarks.common import (
    CORES,
    DEFAULT_POSTGRES,
    NOW,
    POSTGRES_ENV,
    Row,
    backend_name,
    bench_app,
    percentile,
    postgres_database,
    postgres_unreachable,
    print_table,
    sqlite_database,
)
from benchmarks.seed import seed_patients
from benchmarks.server import serving
from bot.clinic.staff import accounts
from bot.db.database import session_scope
from bot.db.models import Alert, Cohort, Enrolment, OutboxMessage, Patient, SurveyAssignment
from bot.schedule import cohorts
from bot.service.runtime import Runtime
from bot.service.server import build_asgi, freeze_start_up_objects
from bot.web.app import staff_mount

TARGET_MS = 200.0
CHECKINS = 20  # completed DVPRS per patient
ITEMS = ("dvprs_pain", "dvprs_activity", "dvprs_sleep", "dvprs_mood", "dvprs_stress")
PASSWORD = "lantern orbit gravel puzzle"  # noqa: S105 - a scratch database, dropped after

_ANSWERS = """
INSERT INTO itemresponse (assignment_id, patient_id, instrument_id, item_id, raw_text,
    option_code, coded_value, status, parser_version, language, channel, answered_at)
SELECT a.id, a.patient_id, 'dvprs', i.item_id, 'my pain is 5 today', 5, 5, 'answered', '1', 'en',
    'sms', a.completed_at
FROM surveyassignment AS a CROSS JOIN (
    SELECT 'dvprs_pain' AS item_id UNION ALL SELECT 'dvprs_activity' UNION ALL
    SELECT 'dvprs_sleep' UNION ALL SELECT 'dvprs_mood' UNION ALL SELECT 'dvprs_stress'
) AS i
WHERE a.state = 'completed'
"""
_SCORES = """
INSERT INTO score (assignment_id, patient_id, instrument_id, instrument_version,
    scoring_revision, scale_id, status, raw, band, computed_at)
SELECT a.id, a.patient_id, 'dvprs', '2.0', '1', 'pain_intensity', 'complete',
    (a.id % 11), 'moderate', a.completed_at
FROM surveyassignment AS a WHERE a.state = 'completed'
"""
_OUTBOX = """
INSERT INTO outboxmessage (dedupe_key, patient_id, channel, address, kind, body, hint, options,
    status, attempts, not_before, created_at, sent_at)
SELECT 'bench-' || a.id, a.patient_id, 'sms', '+1802555' || a.patient_id, 'prompt',
    'Pain Program: Q1/5. Your pain today, 0-10?', '', '[]', 'delivered', 1, a.opens_at,
    a.opens_at, a.opens_at
FROM surveyassignment AS a WHERE a.state = 'completed'
"""
_INBOUND = """
INSERT INTO inboundmessage (channel, provider_message_id, address, patient_id, body,
    received_at, triage_tier)
SELECT 'sms', 'bench-in-' || a.id, '+1802555' || a.patient_id, a.patient_id, '5',
    a.completed_at, 0
FROM surveyassignment AS a WHERE a.state = 'completed'
"""


def fill(db: Engine, patients: int) -> list[str]:
    """The clinic above; returns the study ids."""
    people = seed_patients(
        db, patients, channel="sms", address_of=lambda n: f"+1802555{n:04d}", now=NOW,
        prefix="P",
    )  # fmt: skip
    rng = random.Random(17)  # noqa: S311 - a reproducible clinic, not a secret
    with db.begin() as conn:
        conn.execute(text("UPDATE patient SET display_name = 'Patient ' || study_id"))
        cohort_ids = (
            conn.execute(
                insert(Cohort).returning(Cohort.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
                [
                    {
                        "name": f"Cohort {n:02d}",
                        "start_date": (NOW - timedelta(weeks=n)).date(),
                        "weeks": 13,
                        "timezone": "America/New_York",
                        "session_minutes": 90,
                        "created_at": NOW,
                    }
                    for n in range(50)
                ],
            )  # fmt: skip
            .scalars()
            .all()
        )
        conn.execute(
            insert(Enrolment),
            [
                {"cohort_id": cohort_ids[i % len(cohort_ids)], "patient_id": pid,
                 "role": "participant", "enrolled_at": NOW - timedelta(weeks=20)}
                for i, (pid, _) in enumerate(people)
            ],
        )  # fmt: skip
        rows = []
        for pid, _ in people:
            for week in range(CHECKINS):
                at = NOW - timedelta(weeks=CHECKINS - week, hours=rng.randint(0, 48))
                rows.append(_assignment(pid, at, "completed", at + timedelta(hours=1)))
            opens = NOW - timedelta(hours=rng.randint(1, 72))
            rows.append(_assignment(pid, opens, rng.choice(("pending", "in_progress")), None))
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(SurveyAssignment), rows[start : start + 20_000])
        for statement in (_ANSWERS, _SCORES, _OUTBOX, _INBOUND):
            conn.execute(text(statement))
        held = rng.sample(people, min(100, len(people)))
        _hold(conn, [pid for pid, _ in held])
        conn.execute(
            insert(Alert),
            [
                {"patient_id": pid, "kind": "crisis" if n < 100 else "clinical",
                 "status": "open", "created_at": NOW - timedelta(hours=n % 72)}
                for n, (pid, _) in enumerate(rng.sample(people, min(500, len(people))))
            ],
        )  # fmt: skip
        conn.execute(
            insert(OutboxMessage),
            [
                {"dedupe_key": f"failed-{n}", "patient_id": pid, "channel": "sms",
                 "address": address, "kind": "reply", "body": "x", "hint": "", "options": [],
                 "status": "failed", "attempts": 5, "not_before": NOW - timedelta(days=1),
                 "error_code": "30003", "created_at": NOW - timedelta(hours=n % 100)}
                for n, (pid, address) in enumerate(rng.sample(people, min(300, len(people))))
            ],
        )  # fmt: skip
    return [f"P-{n}" for n in range(patients)]


def _hold(conn: Connection, ids: list[int]) -> None:
    held = update(Patient).where(col(Patient.id).in_(ids)).values(status="crisis_hold")
    conn.execute(held)


def _assignment(pid: int, opens: object, state: str, completed: object) -> dict[str, object]:
    assert hasattr(opens, "isoformat")
    return {
        "patient_id": pid, "instrument_id": "dvprs", "instrument_version": "2.0",
        "timepoint": "visit", "language": "en", "translation_status": "validated",
        "opens_at": opens, "due_at": opens + timedelta(hours=3),  # type: ignore[operator]
        "expires_at": opens + timedelta(days=4),  # type: ignore[operator]
        "state": state, "nudges_sent": 0, "completed_at": completed,
    }  # fmt: skip


REAL_COHORT = 200  # patients in the cohort made through the real code


def real_cohort(db: Engine, patients: int) -> int:
    """A cohort as staff make it: sessions, plan and planned surveys for each enrolment."""
    start = NOW - timedelta(weeks=4)
    with session_scope(db) as s:
        cohort = cohorts.create_cohort(
            s, name="Real cohort", start_date=start.date(), timezone="America/New_York",
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=start - timedelta(weeks=2),
        )  # fmt: skip
        people = s.exec(
            select(Patient).order_by(col(Patient.id)).limit(min(REAL_COHORT, patients))
        ).all()
        for patient in people:
            cohorts.enrol(s, cohort, patient, start - timedelta(weeks=2))
        return cohort.id or 0


async def fetch_pages(
    base: str, study_ids: list[str], alerts: int, rounds: int, cohort_id: int,
    only: Sequence[str] = (),
) -> dict[str, list[float]]:  # fmt: skip
    rng = random.Random(7)  # noqa: S311 - which patient to open, not a secret
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30) as client:
        page = await client.get("/staff/sign-in")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed = await client.post(
            "/staff/sign-in",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token},
        )
        if signed.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed.status_code}")
        pages = {
            "today": lambda: "/staff/today",
            "patients": lambda: "/staff/patients",
            "patients search": lambda: f"/staff/patients?q={rng.choice(study_ids)[:5]}",
            "patients filtered": lambda: "/staff/patients?overdue=1&language=en&page=3",
            "patient page": lambda: f"/staff/patients/{rng.choice(study_ids)}",
            "alerts": lambda: "/staff/alerts",
            "alert page": lambda: f"/staff/alerts/{rng.randint(1, alerts)}",
            "users": lambda: "/staff/users",
            "cohorts": lambda: "/staff/cohorts",
            "cohort calendar": lambda: f"/staff/cohorts/{cohort_id}",
            "compliance grid": lambda: f"/staff/cohorts/{cohort_id}/grid",
            "messages": lambda: "/staff/messages",
            "messages failed": lambda: "/staff/messages?status=failed",
            "next 24 h of sends": lambda: f"/staff/messages/upcoming?cohort={cohort_id}",
            "paper forms patient": lambda: f"/staff/paper?patient={rng.choice(study_ids)}",
            "exports": lambda: "/staff/exports",
            "audit log": lambda: "/staff/audit",
            "audit log patient": lambda: f"/staff/audit?patient={rng.choice(study_ids)}",
        }
        if only:
            pages = {name: pages[name] for name in only}
        times: dict[str, list[float]] = {name: [] for name in pages}
        for path in pages.values():  # warm-up: templates compiled, caches filled
            await client.get(path())
        for _ in range(rounds):
            for name, path in pages.items():
                t0 = time.perf_counter()
                response = await client.get(path())
                times[name].append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: HTTP {response.status_code}")
    return times


def measure(
    url: str, patients: int, rounds: int, only: Sequence[str] = ()
) -> dict[str, list[float]]:
    # Filling a 1,000,000-response clinic takes longer than the service's 15 s per statement.
    app = bench_app(url, database_statement_timeout_seconds=600)
    try:
        study_ids = fill(app.db, patients)
        cohort_id = real_cohort(app.db, patients)
        if app.db.dialect.name == "postgresql":
            # a live database has statistics (autovacuum analyses after bulk writes); a freshly
            # filled one does not yet, and the planner then guesses
            with app.db.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        with session_scope(app.db) as s:
            accounts.add_user(
                s, username="bench", role="administrator", password=PASSWORD, actor="bench",
                now=NOW,
            )  # fmt: skip
        asgi = build_asgi(Runtime(app, []), extra_routes=[staff_mount(app)])
        freeze_start_up_objects()  # as `pathbot run` does (the lifespan is off here)

        async def go() -> dict[str, list[float]]:
            async with serving(asgi) as base:
                return await fetch_pages(
                    base, study_ids, min(500, patients), rounds, cohort_id, only
                )

        return asyncio.run(go())
    finally:
        gc.unfreeze()  # the process goes on (other benchmarks, or the smoke test's pytest)
        app.db.dispose()


def run(url: str, *, quick: bool = False, only: Sequence[str] = ()) -> list[Row]:
    patients = 200 if quick else 10_000
    times = measure(url, patients, rounds=3 if quick else 40, only=only)
    db = backend_name(url)
    responses = patients * CHECKINS * len(ITEMS)
    # The machine may be shared: latency under load is not the code's alone, so say how loaded.
    load = f"load average {os.getloadavg()[0]:.1f} on {CORES} cores at the end of the run"
    rows = []
    for name, values in times.items():
        p95 = percentile(values, 0.95)
        rows.append(
            Row(
                f"console {name}",
                db,
                f"p95 {p95:.0f} ms, p50 {percentile(values, 0.5):.0f} ms (n={len(values)})",
                f"p95 < {TARGET_MS:.0f} ms at {patients:,} patients, {responses:,} responses",
                p95 < TARGET_MS and patients >= 10_000,
                "" if rows else load,
            )
        )
    return rows


PAGE_NAMES = (
    "today", "patients", "patients search", "patients filtered", "patient page", "alerts",
    "alert page", "users", "cohorts", "cohort calendar", "compliance grid", "messages",
    "messages failed", "next 24 h of sends", "paper forms patient", "exports", "audit log",
    "audit log patient",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_console")
    parser.add_argument("--page", action="append", choices=PAGE_NAMES, default=[])
    parser.add_argument("--quick", action="store_true", help="200 patients (smoke run)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    rows: list[Row] = []
    with sqlite_database() as url:
        rows += run(url, quick=ns.quick, only=ns.page)
    postgres = os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)
    why_not = None if ns.no_postgres else postgres_unreachable(postgres)
    if ns.no_postgres or why_not is not None:
        rows.append(Row("console", "PostgreSQL", "-", "-", None, f"skipped: {why_not or 'asked'}"))
    else:
        with postgres_database(postgres) as url:
            rows += run(url, quick=ns.quick, only=ns.page)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
