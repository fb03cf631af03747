"""What tests and benchmarks start cannot outlive them (tests/child_processes.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.child_processes import live_children, spawn, stop

REPO = Path(__file__).resolve().parents[1]
HANG_SECONDS = 60.0  # only catches a process that never goes

# A middle process (as pytest is) that starts a long sleeper through `spawn`, says its pid, and
# then waits to be killed.
MIDDLE = """
import sys, time
from tests.child_processes import spawn
child = spawn([sys.executable, "-c", "import time; time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""

# Ignores SIGTERM, as a server stuck in its shutdown would.
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(1, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has gone too
    except FileNotFoundError:
        return True


def _wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + HANG_SECONDS
    while not _gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_when_whoever_started_it_is_killed() -> None:
    with subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", MIDDLE], cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as middle:
        try:
            assert middle.stdout is not None
            grandchild = int(middle.stdout.readline())
            assert not _gone(grandchild)
            middle.send_signal(signal.SIGKILL)  # no finally block, no atexit: only the kernel
            middle.wait()
            assert _wait_until_gone(grandchild), f"process {grandchild} outlived its parent"
        finally:
            if middle.poll() is None:
                middle.kill()
                middle.wait()


def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    child = spawn([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE)
    assert child.stdout is not None
    child.stdout.readline()  # its SIGTERM handler is in place
    code = stop(child, grace=0.5)
    assert code == -signal.SIGKILL
    child.stdout.close()
    assert str(child.pid) not in {line.split()[0] for line in live_children()}


def test_live_children_lists_a_running_child_until_it_is_stopped() -> None:
    child = spawn([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        assert str(child.pid) in {line.split()[0] for line in live_children()}
        assert os.getpgid(child.pid) == child.pid  # it leads a group of its own: stop ends all
    finally:
        stop(child)
    assert str(child.pid) not in {line.split()[0] for line in live_children()}
