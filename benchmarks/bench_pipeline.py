"""Answers processed through pipeline + engine + store, per second, with latency percentiles.

Each simulated patient answers DVPRS items one message at a time through `Pipeline.handle`,
which dedupes, triages, runs the engine and commits answers, scores, state and outbox together.
Replies come in mixed forms (digits, words, a sentence, Arabic-Indic digits); a finished survey
is scored and a new one assigned between rounds (assignment time is not counted).
"""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from benchmarks.common import (
    NOW,
    Row,
    backend_name,
    bench_app,
    percentile,
    postgres_database,
    sqlite_database,
)
from benchmarks.seed import seed_patients
from bot.conversation.messages import Inbound
from bot.db.database import writer

REPLIES = ("7", "three", "my pain is 5 today", "٣", "2", "10", "zero", "4")
TARGET_RATE = 2000.0
TARGET_P99_MS = 10.0
# Share of the bare-database ceiling the pipeline should reach (issue 16).
TARGET_SHARE = {"SQLite": 0.5, "PostgreSQL": 0.3}


def measure_ceiling(url: str, *, patients: int = 200, rounds: int = 15) -> dict[str, float]:
    """The bare database work of one answer, as fast as SQL allows: read the conversation
    state, insert the response, write the state back, insert the outbox row, in one
    transaction on the app's own engine (the same durability settings; BEGIN IMMEDIATE on
    SQLite, a row lock on PostgreSQL), with the state decoded and encoded as JSON as the
    pipeline must. No parsing, no engine, no ORM: the ceiling the pipeline is measured against."""
    app = bench_app(url)
    try:
        people = seed_patients(
            app.db, patients, channel="bench", address_of=lambda n: f"c{n}", now=NOW,
            prefix="ceil",
        )  # fmt: skip
        for pid, _address in people:
            app.pipeline.start_survey(pid, "dvprs")
        with app.db.connect() as conn:
            found = conn.execute(text("SELECT patient_id, id FROM surveyassignment")).all()
            assignment = {int(row[0]): int(row[1]) for row in found}
        read = text("SELECT state FROM conversation WHERE patient_id = :p")
        if backend_name(url) == "PostgreSQL":
            read = text("SELECT state FROM conversation WHERE patient_id = :p FOR UPDATE")
        respond = text(
            "INSERT INTO itemresponse (assignment_id, patient_id, instrument_id, item_id, "
            "raw_text, option_code, coded_value, status, parser_version, language, channel, "
            "provider_message_id, answered_at) VALUES (:a, :p, 'dvprs', :item, :raw, 5, 5, "
            "'answered', 'bench', 'en', 'bench', :mid, :now)"
        )
        save = text(
            "UPDATE conversation SET state = :state, updated_at = :now WHERE patient_id = :p"
        )
        queue = text(
            "INSERT INTO outboxmessage (dedupe_key, patient_id, channel, address, kind, body, "
            "hint, options, in_reply_to, status, attempts, not_before, created_at) VALUES "
            "(:key, :p, 'bench', :address, 'prompt', :body, '', :options, NULL, 'pending', 0, "
            ":now, :now)"
        )
        options = json.dumps([{"code": n, "label": str(n)} for n in range(11)])
        engine = writer(app.db)
        latencies: list[float] = []
        for round_ in range(rounds):
            for pid, address in people:
                t0 = time.perf_counter()
                with engine.begin() as conn:
                    raw_state = conn.execute(read, {"p": pid}).scalar_one()
                    state = json.loads(raw_state) if isinstance(raw_state, str) else raw_state
                    mid = f"c{pid}-{round_}"
                    conn.execute(
                        respond,
                        {"a": assignment[pid], "p": pid, "item": f"i{round_}", "raw": "5",
                         "mid": mid, "now": NOW},
                    )  # fmt: skip
                    conn.execute(save, {"state": json.dumps(state), "now": NOW, "p": pid})
                    conn.execute(
                        queue,
                        {"key": mid, "p": pid, "address": address, "body": "Q2/5. " + "x" * 80,
                         "options": options, "now": NOW},
                    )  # fmt: skip
                latencies.append(time.perf_counter() - t0)
        return {
            "answers": len(latencies),
            "per_second": len(latencies) / sum(latencies),
            "p99_ms": percentile(latencies, 0.99) * 1000,
        }
    finally:
        app.db.dispose()


def measure(url: str, *, patients: int = 200, rounds: int = 15) -> dict[str, float]:
    app = bench_app(url)
    try:
        people = seed_patients(
            app.db, patients, channel="bench", address_of=lambda n: f"b{n}", now=NOW,
            prefix="pipe",
        )  # fmt: skip
        items = 5  # DVPRS: a new survey every 5 answers
        latencies: list[float] = []
        busy = 0.0
        for round_ in range(rounds):
            if round_ % items == 0:
                for pid, _address in people:
                    app.pipeline.start_survey(pid, "dvprs")
            text = REPLIES[round_ % len(REPLIES)]
            for pid, address in people:
                inbound = Inbound("bench", address, f"m{pid}-{round_}", text, NOW)
                t0 = time.perf_counter()
                result = app.pipeline.handle(inbound)
                latencies.append(time.perf_counter() - t0)
                assert result.status == "processed"
            busy += sum(latencies[-len(people) :])
        return {
            "answers": len(latencies),
            "per_second": len(latencies) / busy,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
        }
    finally:
        app.db.dispose()


def run(url: str, *, quick: bool = False) -> list[Row]:
    m = measure(url, patients=5, rounds=6) if quick else measure(url)
    db = backend_name(url)
    with sqlite_database() if db == "SQLite" else postgres_database(url) as scratch:
        c = measure_ceiling(scratch, patients=5, rounds=6) if quick else measure_ceiling(scratch)
    share = m["per_second"] / c["per_second"]
    return [
        Row(
            "bare-database ceiling answers/s",
            db,
            f"{c['per_second']:,.0f}/s (p99 {c['p99_ms']:.2f} ms; 4 statements, 1 transaction)",
            "-",
            None,
        ),
        Row(
            "pipeline / ceiling",
            db,
            f"{share:.2f}x ({m['per_second']:,.0f}/s of {c['per_second']:,.0f}/s)",
            f">= {TARGET_SHARE[db]}x",
            share >= TARGET_SHARE[db],
        ),
        Row(
            "pipeline answers/s",
            db,
            f"{m['per_second']:,.0f}/s ({m['answers']:.0f} answers)",
            f">= {TARGET_RATE:,.0f}/s",
            m["per_second"] >= TARGET_RATE,
        ),
        Row(
            "pipeline p99 latency",
            db,
            f"{m['p99_ms']:.2f} ms (p50 {m['p50_ms']:.2f} ms)",
            f"< {TARGET_P99_MS:.0f} ms",
            m["p99_ms"] < TARGET_P99_MS,
        ),
    ]
