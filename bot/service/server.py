"""The ASGI service behind `pathbot run`: channel webhooks, health check, dispatcher lifecycle.

Routes are collected from the enabled channels (each declares its own), so adding a channel
never touches this file. Nothing here touches the database on the event loop: the health check
runs its probe on a thread of its own (bot/service/health.py), everything else through the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.service.health import DatabaseProbe
from bot.service.limits import BodySizeLimit
from bot.service.metrics import METRICS, outbox_figures
from bot.service.outbox_lag import behind
from bot.service.runtime import Runtime


def build_asgi(
    runtime: Runtime, *, extra_routes: Sequence[BaseRoute] = (), freeze_at_start: bool = False
) -> Starlette:
    """The service's app; `extra_routes` come from above the service (the staff console's
    Mount, composed by `pathbot run`), so this module never imports them. `freeze_at_start`
    (the served process: `pathbot run`) freezes the start-up objects once started; a test
    process that builds many apps leaves it off, so its resources are collected as before."""
    probe = DatabaseProbe(runtime.app.db)

    async def healthz(_request: Request) -> JSONResponse:
        facts = await probe.check(runtime.app.pipeline.now())  # within a second, always
        loops = runtime.health()  # dispatcher and scheduler: starting | alive | dead
        channel_states = runtime.channel_states()
        # (channels whose messages have waited past BEHIND_AFTER: replies reaching patients late)
        late = behind(facts.get("outbox_oldest_due_seconds", {}), runtime.channels)
        body = {
            **facts,
            **loops,
            "channels": sorted(runtime.channels),
            "channel_states": channel_states,
            "channels_configured": bool(runtime.channels),
            "outbox_behind": late,
        }
        healthy = (
            facts["database"] == "ok"
            and not facts.get("crisis_alerts_undelivered")  # crisis alerts reaching nobody
            and "dead" not in loops.values()
            and all(state == "running" for state in channel_states.values())
            and not late
        )
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def metrics(_request: Request) -> PlainTextResponse:
        try:
            depth, lag = await asyncio.to_thread(
                outbox_figures, runtime.app.db, runtime.app.pipeline.now()
            )
        except Exception:  # the counters are still worth serving while the database is away
            depth, lag = {}, {}
        return PlainTextResponse(
            METRICS.render(queue_depth=depth, oldest_due=lag),
            media_type="text/plain; version=0.0.4",
        )

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    for channel in runtime.channels.values():
        routes.extend(channel.routes())
    routes.extend(extra_routes)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        if freeze_at_start:
            freeze_start_up_objects()
        try:
            yield
        finally:
            await runtime.stop()
            probe.close()

    # Every request body is capped before any route reads it (bot/service/limits.py).
    asgi = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodySizeLimit)])
    # "/twilio/sms/" is a 404, not a redirect to a URL built from the request's Host header.
    asgi.router.redirect_slashes = False
    asgi.state.runtime = runtime
    return asgi


def freeze_start_up_objects() -> None:
    """Everything made while starting (modules, instruments, catalogs, the app) lives as long as
    the process: keep it out of the garbage collector's full passes, which otherwise walk it all
    and stall one request in a few dozen by 100 ms or more. Garbage goes first, so only what is
    alive is frozen."""
    gc.collect()
    gc.freeze()
