"""Fixtures for the console tests: a demo clinic (built once per run through the real code, then
copied per test) with one signed-up user per role, each with a TOTP secret the tests know."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli.demo_clinic import SteppedClock, build_demo_clinic
from bot.service.app import build_app
from bot.service.settings import Settings
from tests.support import FakeClock
from tests.web.support import ROLES, ConsoleHarness, make_harness


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    secrets: dict[str, str]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    folder = tmp_path_factory.mktemp("demo-clinic")
    end = FakeClock().now
    clock = SteppedClock(end)
    url = f"sqlite:///{folder / 'demo.db'}"
    app = build_app(Settings(_env_file=None), database_url=url, clock=clock)  # type: ignore[call-arg]
    build_demo_clinic(app, clock, end=end, weeks_in=2, patients=5)
    app.db.dispose()
    harness = make_harness(folder, clock=FakeClock(end), database_url=url)
    for role in ROLES:
        harness.add_user(role, role)
    harness.app.db.dispose()
    return DemoTemplate(folder / "demo.db", dict(harness.secrets))


HarnessFactory = Callable[..., ConsoleHarness]


@pytest.fixture
def demo_harness(tmp_path: Path, demo_template: DemoTemplate) -> Iterator[HarnessFactory]:
    """Make harnesses on copies of the demo clinic: 5 patients two weeks into a cohort (P004 on
    hold after a crisis message, a failed SMS for P002), users named after their roles."""
    made: list[ConsoleHarness] = []

    def make(settings: Settings | None = None) -> ConsoleHarness:
        copy = tmp_path / f"console-{len(made)}.db"
        shutil.copyfile(demo_template.path, copy)
        h = make_harness(tmp_path, database_url=f"sqlite:///{copy}", settings=settings)
        h.secrets.update(demo_template.secrets)
        made.append(h)
        return h

    yield make
    for h in made:
        h.app.db.dispose()


@pytest.fixture
def harness(demo_harness: HarnessFactory) -> ConsoleHarness:
    return demo_harness()
