"""The harness benchmark's py-spy command: every active thread, or only the GIL's holder."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_harness import profiler_command


def test_the_profile_samples_every_active_thread_unless_asked_for_the_gil_holder() -> None:
    spy, out = Path("/venv/bin/py-spy"), Path("/tmp/p.txt")
    every = profiler_command(spy, 42, out, gil=False)
    holder = profiler_command(spy, 42, out, gil=True)
    assert every[:4] == ["/venv/bin/py-spy", "record", "--pid", "42"]
    assert {"--threads", "--nonblocking", "--format", "raw"} <= set(every)
    assert every[every.index("-o") + 1] == "/tmp/p.txt"
    assert "--gil" not in every
    assert holder == [*every, "--gil"]
