"""Run a child process and read its peak resident memory from the kernel (wait4 rusage)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence


def run_measured(args: Sequence[str]) -> tuple[int, float]:
    """Run `python -m ...args`; returns (exit status, peak RSS in MB) of that child alone."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL)  # noqa: S603
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024  # Linux reports kilobytes


def rss_mb(pid: int) -> float:
    """Current resident memory of a running process (VmRSS), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
