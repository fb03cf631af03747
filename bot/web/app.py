"""Build the staff console (an ASGI app) and the Mount that puts it under /staff.

`pathbot run` composes it into the service (bot/cli/run.py passes the Mount to build_asgi), so
bot/service never imports the console.
"""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.service.app import App
from bot.web.console import Console, Health, no_health
from bot.web.routes import endpoint
from bot.web.screens import route_table
from bot.web.security import SecurityHeaders
from bot.web.templating import WEB_DIR, build_templates

STAFF_PREFIX = "/staff"


def build_console(app: App, *, health: Health = no_health) -> Starlette:
    settings = app.settings
    console = Console(app=app, templates=build_templates(settings.default_timezone), health=health)
    if settings.staff_secret_key is not None:
        key = settings.staff_secret_key.get_secret_value().encode("utf-8")
        console = Console(
            app=app,
            templates=console.templates,
            health=health,
            csrf_key=hashlib.sha256(b"pathbot staff csrf\0" + key).digest(),
        )
    staff_routes = [
        Route(r.path, endpoint(console, r), methods=list(r.methods), name=r.name)
        for r in route_table()
    ]
    console.named_routes.update((r.name, r) for r in staff_routes)
    routes: list[BaseRoute] = list(staff_routes)
    routes.append(Mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static"))

    async def not_found(request: Request, _exc: Exception) -> Response:
        html = console.templates.get_template("layout/not_found.html").render(
            user=None, url=_static_url(request), can=lambda _p: False, notice=None,
            Permission=None, what="There is no such page.", active="",
        )  # fmt: skip
        return Response(html, status_code=404, media_type="text/html")

    staff = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, hsts=settings.staff_cookies_secure)],
        exception_handlers={404: not_found},
    )
    # "/staff/patients/" is a 404, not a redirect to a URL built from the request's Host header.
    staff.router.redirect_slashes = False
    staff.state.console = console
    return staff


def staff_mount(app: App, *, health: Health = no_health) -> Mount:
    """The console under /staff, for build_asgi's extra routes."""
    return Mount(STAFF_PREFIX, app=build_console(app, health=health))


def _static_url(request: Request) -> object:
    def url(name: str, /, **params: str) -> str:
        return str(request.url_for(name, **params).path)

    return url
