"""Answers processed through pipeline + engine + store, per second, with latency percentiles.

Each simulated patient answers DVPRS items one message at a time through `Pipeline.handle`,
which dedupes, triages, runs the engine and commits answers, scores, state and outbox together.
Replies come in mixed forms (digits, words, a sentence, Arabic-Indic digits); a finished survey
is scored and a new one assigned between rounds (assignment time is not counted).
"""

from __future__ import annotations

import time

from benchmarks.common import NOW, Row, backend_name, bench_app, percentile
from benchmarks.seed import seed_patients
from bot.conversation.messages import Inbound

REPLIES = ("7", "three", "my pain is 5 today", "٣", "2", "10", "zero", "4")
TARGET_RATE = 2000.0
TARGET_P99_MS = 10.0


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
    return [
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
