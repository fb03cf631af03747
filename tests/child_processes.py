"""Child processes (`pathbot run`, a harness robot) that cannot outlive whoever started them.

An orphaned `pathbot run` from the benchmark smoke test was still serving an hour later: a test
run that is killed, or a finally block cut short (pytest-timeout's alarm can land inside one),
left the server behind. So every child started here:

- dies with its parent: the kernel sends it SIGKILL when the starting thread ends, even by
  SIGKILL, which no finally block survives (prctl PR_SET_PDEATHSIG; Linux only);
- leads its own process group, and `stop` ends the whole group (SIGTERM, then SIGKILL);
- is stopped at interpreter exit if nobody stopped it (atexit), so a skipped clean-up is not
  a leak either.

`live_children()` lists this process's children that are still running (or not yet reaped), for
tests that check nothing they started survives them.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

_PR_SET_PDEATHSIG = 1
_prctl: Any = None
if sys.platform == "linux":
    # Resolved now, not in the forked child: between fork and exec the child only calls it.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl

_running: set[subprocess.Popen[bytes]] = set()


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def bound_to_this_process() -> dict[str, Any]:
    """Popen (or asyncio.create_subprocess_exec) keywords: own process group, dies with us.

    PR_SET_PDEATHSIG follows the calling *thread*: start the child from a thread that lives as
    long as the child should (the main thread, or an executor thread of a running event loop)."""
    return {"process_group": 0, "preexec_fn": _die_with_parent}


def spawn(args: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """subprocess.Popen(args, **popen), bound to this process; `stop` it (atexit does too)."""
    process: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - callers' own commands
        args, **bound_to_this_process(), **popen
    )
    _running.difference_update([p for p in _running if p.returncode is not None])  # reaped
    _running.add(process)
    return process


def stop(process: subprocess.Popen[bytes] | None, grace: float = 15.0) -> int | None:
    """SIGTERM to the child's process group, up to `grace` s to exit, then SIGKILL; reaped.

    The generous grace only lets a loaded machine shut down cleanly; it asserts nothing."""
    if process is None:
        return None
    try:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # the leader if it is stuck, and stragglers
        return process.wait()
    finally:
        _running.discard(process)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The group's id is the leader's pid (process_group=0); only our own child's group.
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):  # the group has already gone
        pass


@atexit.register
def _stop_forgotten() -> None:
    for process in list(_running):
        stop(process, grace=2.0)


def live_children() -> list[str]:
    """This process's child processes that have not been reaped, as "pid command" lines."""
    me = str(os.getpid())
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:  # it exited while we looked
            continue
        # stat is "pid (comm) state ppid ...": comm may hold spaces, so split after its ")"
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if ppid == me:
            found.append(f"{entry.name} [{state}] {command}")
    return found


@pytest.fixture
def no_leaked_children() -> Iterator[None]:
    """Fails a test that leaves a child process behind it (use: pytest.mark.usefixtures)."""
    before = {line.split()[0] for line in live_children()}
    yield
    left = [line for line in live_children() if line.split()[0] not in before]
    assert left == [], f"still running after the test: {left}"
