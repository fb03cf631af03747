"""The ASGI service behind `pathbot run`: channel webhooks, health check, dispatcher lifecycle.

Routes are collected from the enabled channels (each declares its own), so adding a channel
never touches this file.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.runtime import Runtime


def build_asgi(runtime: Runtime) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        try:
            with runtime.app.db.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # any failure means "not reachable" to the health check
            database = "unreachable"
        body = {
            "database": database,
            "dispatcher": "alive" if runtime.last_dispatch is not None else "starting",
            "channels": sorted(runtime.channels),
        }
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for channel in runtime.channels.values():
        routes.extend(channel.routes())

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
