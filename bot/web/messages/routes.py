"""Messages: the outbox and the invitation log (scheduled, sent, delivered, failed with the
provider's error), with cancel or resend for one message (bot/clinic/messages.py). Message text
is shown only to roles that may see identity."""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic import messages
from bot.clinic.staff.roles import Permission
from bot.schedule.cohort_view import list_cohorts
from bot.service.dispatcher import SendRules
from bot.service.send_forecast import forecast
from bot.web.routes import Page, StaffRoute

PAGE_SIZE = 50
LIMIT = 200  # forecast rows shown (the soonest)
STATUSES = ("pending", "sending", "sent", "delivered", "failed", "cancelled", "dropped")
KINDS = (
    "prompt", "reply", "reminder", "nudge", "notice", "confirmation", "crisis", "help",
)  # fmt: skip


def messages_page(page: Page, *, error: str | None = None, status: int = 200) -> Response:
    q = page.request.query_params
    view = "invitations" if q.get("view") == "invitations" else "outbox"
    flt = messages.OutboxFilter(
        status=q.get("status", "") if q.get("status", "") in STATUSES else "",
        kind=q.get("kind", "")[:32], channel=q.get("channel", "")[:16],
        study_id=q.get("patient", "").strip()[:64], invitations=view == "invitations",
    )  # fmt: skip
    try:
        number = max(1, int(q.get("page", "1")))
    except ValueError:
        number = 1
    rows, total = messages.outbox(
        page.db, flt, with_text=page.can(Permission.SEE_IDENTITY),
        offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE,
    )  # fmt: skip
    query = {k: v for k, v in q.items() if k != "page" and v}
    return page.render(
        "messages/messages.html", active="messages", view=view, flt=flt, rows=rows,
        total=total, many=total > messages.COUNT_LIMIT, number=number, query=query,
        pages=max(1, -(-min(total, messages.COUNT_LIMIT) // PAGE_SIZE)), statuses=STATUSES,
        kinds=KINDS, error=error, status=status,
        invites=messages.telegram_invites(page.db) if view == "invitations" else [],
    )  # fmt: skip


def upcoming_page(page: Page) -> Response:
    """The next 24 hours of sends, per cohort or per patient, after quiet hours and caps."""
    q = page.request.query_params
    cohorts = list_cohorts(page.db, page.now)
    cohort_id = next((c.id for c in cohorts if str(c.id) == q.get("cohort")), None)
    study_id = q.get("patient", "").strip()[:64] or None
    settings = page.console.app.settings
    rules = SendRules.from_settings(settings)
    rows = forecast(
        page.db, page.now, rules, reminder_offsets=tuple(settings.reminder_offsets_minutes),
        cohort_id=cohort_id, study_id=study_id, limit=LIMIT,
    )  # fmt: skip
    return page.render(
        "messages/upcoming.html", active="messages", rows=rows, cohorts=cohorts,
        cohort_id=cohort_id, study_id=study_id or "", rules=rules, limit=LIMIT,
    )  # fmt: skip


def cancel(page: Page) -> Response:
    message_id = page.request.path_params["message_id"]
    if not messages.cancel(page.db, message_id, page.now):
        return page.redirect("messages", _query={"notice": "already-done"})
    page.record("message.cancel", "outbox", message_id)
    return page.redirect("messages", _query={"notice": "message-cancelled"})


def resend(page: Page) -> Response:
    message_id = page.request.path_params["message_id"]
    try:
        copy = messages.resend(page.db, message_id, page.now)
    except messages.ResendRefused as exc:
        return messages_page(page, error=f"Not resent: {exc}.", status=400)
    page.record("message.resend", "outbox", message_id, copy=copy.id)
    return page.redirect("messages", _query={"notice": "message-resent"})


ROUTES = [
    StaffRoute("/messages", "messages", messages_page, Permission.SEE_MESSAGES),
    StaffRoute("/messages/upcoming", "messages_upcoming", upcoming_page, Permission.SEE_MESSAGES),
    StaffRoute(
        "/messages/{message_id:int}/cancel", "message_cancel", cancel,
        Permission.MANAGE_MESSAGES, ("POST",),
    ),
    StaffRoute(
        "/messages/{message_id:int}/resend", "message_resend", resend,
        Permission.MANAGE_MESSAGES, ("POST",),
    ),
]  # fmt: skip
