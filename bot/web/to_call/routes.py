"""To call: the third tier after text and automated phone calls (bot/schedule/voice_calls.py).

Read-only: study id, survey, when it is due, the calls tried and why a person should call. Phone
numbers stay on the patient's page, for those who may see them.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.schedule.voice_calls import to_call
from bot.service.app import phone_tier_rules
from bot.web.routes import Page, StaffRoute


def show_to_call(page: Page) -> Response:
    rows = to_call(page.db, page.now, phone_tier_rules(page.console.app.settings))
    return page.render("to_call/to_call.html", active="to_call", rows=rows)


ROUTES = [StaffRoute("/to-call", "to_call", show_to_call, Permission.SEE_PATIENTS)]
