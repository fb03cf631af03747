"""The audit log with filters: who, what (an action prefix), when (clinic dates) and which
patient; newest first, in pages (bot/clinic/audit.search)."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.responses import Response

from bot.clinic import audit
from bot.clinic.staff.accounts import list_users
from bot.clinic.staff.roles import Permission
from bot.schedule.localtime import at_local
from bot.web.routes import Page, StaffRoute

PAGE_SIZE = 100
ACTIONS = (
    "patient", "alert", "cohort", "event", "attendance", "alumni_rule", "paper", "import",
    "export", "report", "message", "staff", "simulator",
)  # fmt: skip


def audit_page(page: Page) -> Response:
    q = page.request.query_params
    zone = page.console.clinic_timezone
    error = None
    since = until = None
    try:
        if q.get("since"):
            since = at_local(date.fromisoformat(q["since"]), "00:00", zone)
        if q.get("until"):
            until = at_local(date.fromisoformat(q["until"]) + timedelta(days=1), "00:00", zone)
    except ValueError:
        error = "Give the dates as dates."
    flt = audit.AuditFilter(
        actor=q.get("actor", "")[:64], action=q.get("action", "")[:64],
        patient=q.get("patient", "").strip()[:64], since=since, until=until,
    )  # fmt: skip
    try:
        number = max(1, int(q.get("page", "1")))
    except ValueError:
        number = 1
    rows, total = audit.search(page.db, flt, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    query = {k: v for k, v in q.items() if k != "page" and v}
    return page.render(
        "audit/audit.html", active="audit", rows=rows, total=total, number=number,
        pages=max(1, -(-total // PAGE_SIZE)), query=query, flt=flt, q=q, error=error,
        actors=[u.username for u in list_users(page.db)], actions=ACTIONS,
        status=400 if error else 200,
    )  # fmt: skip


ROUTES = [StaffRoute("/audit", "audit", audit_page, Permission.SEE_AUDIT)]
