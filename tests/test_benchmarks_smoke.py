"""Each benchmark runs at a tiny size on both databases, so `make bench` does not rot.

No timing assertions: the figures at this size mean nothing (speed belongs to `make bench`).
Nothing a benchmark starts (`pathbot run`, the harness's robot and peer bot, load generators)
may outlive it: one orphaned `pathbot run` was found still serving an hour after a run.
"""

from __future__ import annotations

import pytest

from benchmarks.__main__ import BENCHMARKS
from benchmarks.common import print_table


@pytest.mark.usefixtures("no_leaked_children")
@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_runs_at_tiny_size(
    name: str, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = BENCHMARKS[name](db_url, quick=True)
    assert rows
    assert all(row.figure != "-" and row.target for row in rows)
    print_table(rows)
    assert "cores" in capsys.readouterr().out
