"""`pathbot run` freezes what it made at start-up out of the garbage collector's full passes
(bot/service/server.py): they walked every long-lived object and stalled console pages. Apps
built by tests leave it off."""

from __future__ import annotations

import gc
from pathlib import Path

from starlette.testclient import TestClient

from bot.service.app import build_app
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings


def test_start_up_freezes_the_long_lived_objects(tmp_path: Path) -> None:
    app = build_app(Settings(_env_file=None), database_url=f"sqlite:///{tmp_path / 'x.db'}")  # type: ignore[call-arg]
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        plain = build_asgi(Runtime(app, []))  # as tests build it: nothing frozen
        with TestClient(plain) as client:
            assert gc.get_freeze_count() == 0 and client.get("/healthz").status_code in (200, 503)
        served = build_asgi(Runtime(app, []), freeze_at_start=True)  # as `pathbot run` does
        with TestClient(served) as client:  # runs the lifespan
            assert gc.get_freeze_count() > 10_000
            assert client.get("/healthz").status_code in (200, 503)
    finally:
        gc.unfreeze()  # the rest of the test run as it was
        app.db.dispose()
