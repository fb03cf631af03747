"""Run a child process and read its peak resident memory from the kernel (wait4 rusage)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

from tests.child_processes import spawn, stop


def run_measured(args: Sequence[str]) -> tuple[int, float]:
    """Run `python -m ...args`; returns (exit status, peak RSS in MB) of that child alone.

    The peak is the child's own VmHWM, polled while it runs. wait4's ru_maxrss is not used: a
    forked child starts as a copy of this (large, after seeding) process, and Linux counts that
    copy in ru_maxrss even though exec replaces it at once.
    """
    proc = spawn([sys.executable, *args], stdout=subprocess.DEVNULL)
    peak_kb = 0
    try:
        while proc.poll() is None:
            peak_kb = max(peak_kb, _status_kb(proc.pid, "VmHWM:"))
            time.sleep(0.02)
    finally:  # interrupted (a timeout, Ctrl-C): the child goes too
        stop(proc)
    return int(proc.returncode), peak_kb / 1024


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):  # it just exited
        pass
    return 0


def rss_mb(pid: int) -> float:
    """Current resident memory of a running process (VmRSS), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
