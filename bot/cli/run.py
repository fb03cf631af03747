"""`pathbot run`: the server (webhooks, dispatcher, health check), channels enabled by settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import uvicorn

from bot.service.app import build_app
from bot.service.backend import Backend
from bot.service.channels import enabled_channels
from bot.service.logging_setup import configure_logging, secrets_of
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings, get_settings
from bot.service.staff_alerts import check_staff_channels, staff_channels, undeliverable_reason
from bot.web.app import staff_mount
from surveys.loader import load_versions


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run the server: webhooks, dispatcher, enabled channels")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--db", help="database URL (default: DATABASE_URL)")
    run.add_argument("--log-level", default="INFO", help="DEBUG, INFO (default), WARNING, ERROR")
    run.set_defaults(run=run_server)


def run_server(ns: argparse.Namespace) -> int:
    settings = get_settings()
    # Every instrument file, shipped and the clinic's, is read and checked before anything
    # starts: a broken one stops here with its name (InstrumentError), not at the first answer.
    load_versions()
    # JSON lines on stderr, secrets and phone numbers redacted (bot/service/logging_setup.py)
    configure_logging(level=ns.log_level.upper(), secrets=secrets_of(settings))
    if not staff_alerts_ready(settings):
        return 2
    app = build_app(settings, database_url=ns.db, serving=True)
    backend = Backend(app)
    channels = enabled_channels(settings, backend)
    if not channels:
        print(
            "pathbot run: no channel is configured (set Telegram or Twilio settings); "
            "serving the health check only",
            file=sys.stderr,
        )
    runtime = Runtime(app, channels, backend=backend)
    console = staff_mount(app, health=lambda: runtime_health(runtime))
    asgi = build_asgi(runtime, extra_routes=[console], freeze_at_start=True)
    uvicorn.run(
        asgi,
        host=ns.host,
        port=ns.port,
        proxy_headers=True,
        log_level=ns.log_level.lower(),
        log_config=None,  # uvicorn's lines go through the JSON handler above
    )
    return 0


def runtime_health(runtime: Runtime) -> dict[str, object]:
    """What the console's Today page shows of the service: its loops and channels."""
    return {**runtime.health(), "channels": sorted(runtime.channels)}


def staff_alerts_ready(settings: Settings) -> bool:
    """Crisis alerts must reach someone: in production no working staff channel means no start;
    elsewhere a warning on stderr. A channel that fails while another works is a warning."""
    checks = asyncio.run(check_staff_channels(staff_channels(settings)))
    reason = undeliverable_reason(checks)
    if reason is not None and settings.env == "production":
        print(
            f"pathbot run: refusing to start in production: {reason}. Crisis alerts would "
            "reach nobody (see deploy/.env.example).",
            file=sys.stderr,
        )
        return False
    if reason is not None:
        print(
            f"pathbot run: WARNING: {reason}; crisis alerts will not reach staff "
            "(in production this refuses to start)",
            file=sys.stderr,
        )
    for failed in (c for c in checks if not c.ok and reason is None):
        print(
            f"pathbot run: WARNING: staff alert channel {failed.name} does not work "
            f"({failed.reason}); alerts go to the others",
            file=sys.stderr,
        )
    return True
