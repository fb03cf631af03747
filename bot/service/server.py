"""The ASGI service behind `pathbot run`: channel webhooks, health check, dispatcher lifecycle.

Routes are collected from the enabled channels (each declares its own), so adding a channel
never touches this file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.service.metrics import METRICS, queue_depth
from bot.service.runtime import Runtime


def build_asgi(runtime: Runtime, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The service's app; `extra_routes` come from above the service (the staff console's
    Mount, composed by `pathbot run`), so this module never imports them."""

    async def healthz(_request: Request) -> JSONResponse:
        try:
            with runtime.app.db.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # any failure means "not reachable" to the health check
            database = "unreachable"
        loops = runtime.health()  # dispatcher and scheduler: starting | alive | dead
        body = {
            "database": database,
            **loops,
            "channels": sorted(runtime.channels),
            "channels_configured": bool(runtime.channels),
        }
        healthy = database == "ok" and "dead" not in loops.values()
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def metrics(_request: Request) -> PlainTextResponse:
        try:
            depth = await asyncio.to_thread(queue_depth, runtime.app.db)
        except Exception:  # the counters are still worth serving while the database is away
            depth = {}
        return PlainTextResponse(
            METRICS.render(queue_depth=depth), media_type="text/plain; version=0.0.4"
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
        try:
            yield
        finally:
            await runtime.stop()

    asgi = Starlette(routes=routes, lifespan=lifespan)
    asgi.state.runtime = runtime
    return asgi
