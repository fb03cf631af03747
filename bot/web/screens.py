"""The console's screens, in menu order: each module's ROUTES join the one route table."""

from __future__ import annotations

from types import ModuleType

from bot.web.alerts import routes as alerts
from bot.web.audit import routes as audit
from bot.web.auth import routes as auth
from bot.web.cohorts import routes as cohorts
from bot.web.exports import routes as exports
from bot.web.messages import routes as messages
from bot.web.paper import routes as paper
from bot.web.patients import routes as patients
from bot.web.reports import routes as reports
from bot.web.routes import StaffRoute
from bot.web.simulator import routes as simulator
from bot.web.to_call import routes as to_call
from bot.web.today import routes as today
from bot.web.translations import routes as translations
from bot.web.users import routes as users

SCREENS: tuple[ModuleType, ...] = (
    auth, today, patients, cohorts, to_call, messages, paper, exports, reports, simulator,
    translations, alerts, users, audit,
)  # fmt: skip


def route_table() -> list[StaffRoute]:
    table = [route for screen in SCREENS for route in screen.ROUTES]
    names = [route.name for route in table]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"console route names used twice: {duplicates}")
    return table
