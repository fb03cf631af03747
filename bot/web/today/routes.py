"""Today: open alerts (crisis first, with their age), surveys due and overdue, failed sends,
channel and scheduler health, patients on hold."""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.clinic.today import today
from bot.web.routes import Page, StaffRoute


def show_today(page: Page) -> Response:
    summary = today(
        page.db,
        now=page.now,
        timezone=page.console.clinic_timezone,
        with_names=page.can(Permission.SEE_IDENTITY),
    )
    health = dict(page.console.health())
    return page.render("today/today.html", active="today", t=summary, health=health)


ROUTES = [StaffRoute("/today", "today", show_today, Permission.SEE_TODAY)]
