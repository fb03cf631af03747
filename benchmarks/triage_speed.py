"""Time crisis triage per message, over every case of the triage corpora and two long messages.

    python -m benchmarks.triage_speed            # ms per message: corpus cases, 2,000 words
    python -m benchmarks.triage_speed --rounds 5

Triage runs on every inbound message before anything else, with the rules of every language, so
its cost is paid on each answer. Figures depend on the machine and its load: compare runs made
back to back on the same machine, never against a fixed bound.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from bot.conversation.triage import assess, load_rules
from tests.triage_report import CORPUS_DIR, load_corpus

LONG_EN = " ".join(["the pain in my lower back was bad again today and I could not sleep"] * 150)
LONG_AR = " ".join(["كان الألم في ظهري شديدا اليوم ولم أستطع النوم"] * 200)


def _ms_per_message(texts: Sequence[str], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            assess(text)
    return 1000.0 * (time.perf_counter() - start) / (rounds * len(texts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    load_rules()  # compiled once per process: not part of the per-message figure
    cases = [c.text for c in load_corpus(CORPUS_DIR)]
    print(f"triage speed, rules {load_rules().version}, {args.rounds} rounds")
    print(f"corpus cases ({len(cases)} messages): {_ms_per_message(cases, args.rounds):.2f} ms/msg")
    for name, text in (("2,000 words, English", LONG_EN), ("2,000 words, Arabic", LONG_AR)):
        print(f"{name}: {_ms_per_message([text], args.rounds):.1f} ms/msg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
