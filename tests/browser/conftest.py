"""Real-browser fixtures: the console served by uvicorn on an ephemeral port (the demo clinic, a
fake clock the test moves), and Playwright driving Debian's chromium-headless-shell (no browser
download: `executable_path`). Screenshots go to tests/artifacts/screenshots/ (git ignores it).

Without the browser the tests skip, unless PATHBOT_REQUIRE_BROWSER=1 (CI), which fails them.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.web.conftest import DemoTemplate, demo_template  # noqa: F401 - a shared fixture
from tests.web.support import ConsoleHarness, make_harness

BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
# Playwright's waits (expect: 5 s by default) only catch what never happens: a loaded 2-core
# machine once took longer than 5 s to swap in a live search's results.
EXPECT_TIMEOUT_MS = 60_000
REQUIRE_ENV = "PATHBOT_REQUIRE_BROWSER"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
TABLET = {"width": 768, "height": 1024}


def browser_path() -> str | None:
    return next((p for p in BROWSERS if Path(p).exists()), None)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One browser per test module. Not per session: Playwright's sync API keeps an event loop
    running in this thread while it is open, and later tests call asyncio.run."""
    path = browser_path()
    required = os.environ.get(REQUIRE_ENV) == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        path = None
    if path is None:
        if required:
            pytest.fail(
                f"{REQUIRE_ENV}=1 but no Chromium at {BROWSERS} (apt chromium-headless-shell)"
            )
        pytest.skip("no Chromium: apt-get install chromium-headless-shell fonts-noto-core")
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


class LiveConsole:
    """The console on a real socket; `url(path)` for the browser, `harness` for the clock."""

    def __init__(self, harness: ConsoleHarness) -> None:
        self.harness = harness
        config = uvicorn.Config(harness.asgi, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveConsole:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console server did not start")
            time.sleep(0.05)
        sock = self.server.servers[0].sockets[0]
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def live(tmp_path: Path, demo_template: DemoTemplate) -> Iterator[LiveConsole]:  # noqa: F811
    copy = tmp_path / "console.db"
    shutil.copyfile(demo_template.path, copy)
    from bot.service.settings import Settings

    settings = Settings(_env_file=None, telegram_bot_username="pathbot_demo_bot")  # type: ignore[call-arg]
    harness = make_harness(tmp_path, database_url=f"sqlite:///{copy}", settings=settings)
    harness.secrets.update(demo_template.secrets)
    with LiveConsole(harness) as console:
        yield console
    harness.app.db.dispose()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
