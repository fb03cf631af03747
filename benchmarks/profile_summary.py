"""Summarise a py-spy raw profile (collapsed stacks) as the top costs per answer.

    python -m benchmarks.profile_summary PROFILE.txt ANSWERS [--top 25]

Idle samples (threads waiting in select/epoll, a lock or a queue) are left out. What is left is
CPU the process spent, plus time threads spent runnable but waiting for the GIL (py-spy counts
those as active): with two busy threads, each one's share is inflated. A profile taken with
py-spy's `--gil` (PATHBOT_HARNESS_PROFILE_GIL=1) has only the GIL holder's samples: Python CPU
without the waits, but without C work done outside the GIL either (SQLite, zlib). "self" is time
in a function's own code, "inclusive" also counts what it called; both in milliseconds per answer
at py-spy's sampling rate (`--rate`, default 200/s).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(
    r"(select|epoll|poll|_worker \(concurrent/futures/thread.py|wait \(threading.py|"
    r"_wait_for_tstate_lock|get \(queue.py|acquire|sleep)"
)
FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def _frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        match = FRAME.match(frame.strip())
        if match is None:
            out.append(frame.strip())
            continue
        file = match.group("file")
        for marker in ("site-packages/", "lib/python3.11/", "issue-16/", "pathbot/"):
            if marker in file:
                file = file.split(marker, 1)[1]
        out.append(f"{match.group('func')} ({file})")
    return out


def summarise(path: Path, answers: int, rate: float, top: int) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    busy = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = _frames(stack)
        if not frames or IDLE.search(frames[-1]):
            continue
        count = int(count_text)
        busy += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    per_answer = 1000.0 / rate / max(answers, 1)
    lines = [f"busy: {busy * per_answer:.1f} ms per answer ({busy} samples)", "", "self:"]
    lines += [f"  {n * per_answer:6.2f} ms  {f}" for f, n in self_time.most_common(top)]
    lines += ["", "inclusive (pathbot and library entry points):"]
    interesting = [
        (f, n)
        for f, n in inclusive.most_common()
        if ("bot/" in f or "telegram/" in f or "sqlalchemy/" in f or "httpx" in f)
    ]
    lines += [f"  {n * per_answer:6.2f} ms  {f}" for f, n in interesting[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("answers", type=int)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--top", type=int, default=25)
    ns = parser.parse_args()
    print(summarise(ns.profile, ns.answers, ns.rate, ns.top))


if __name__ == "__main__":
    main()
