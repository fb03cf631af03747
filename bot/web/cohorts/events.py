"""Moving or cancelling one session or alumni meeting, with a preview of who will be told and
what. The preview and the change use the same bot/schedule/sessions.py functions (move_notices,
cancel_notices, move_event, cancel_event) as `pathbot event move|cancel`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.conversation.clinic_texts import ProgramInfo
from bot.db.models import Cohort, Event
from bot.db.schedule_models import AlumniRule
from bot.schedule import alumni, sessions
from bot.schedule.calendar import week_of
from bot.web.routes import Page, StaffRoute

INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass(frozen=True)
class Preview:
    action: str  # move | cancel
    to: str  # the new local start as typed (move only)
    new_start: datetime | None
    notices: list[sessions.Notice]

    @property
    def told(self) -> int:
        return sum(1 for n in self.notices if n.channel is not None)


def change_page(page: Page) -> Response:
    event = _event(page)
    if event is None:
        return _missing(page)
    q = page.request.query_params
    action, to = q.get("action", ""), q.get("to", "")[:32]
    preview, error = None, None
    try:
        if action == "move":
            preview = _move_preview(page, event, to)
        elif action == "cancel":
            preview = _cancel_preview(page, event)
    except ValueError as exc:
        error = str(exc)
    return _render(page, event, preview=preview, error=error, to=to)


def move(page: Page) -> Response:
    event = _event(page)
    if event is None:
        return _missing(page)
    to = page.form.get("to", "")[:32]
    try:
        preview = _move_preview(page, event, to)
        _same_as_previewed(page, preview)
        assert preview.new_start is not None
        old_start = event.starts_at
        told = sessions.move_event(
            page.db, event, preview.new_start, page.now, program=_program(page)
        )
    except ValueError as exc:
        return _render(page, event, preview=None, error=str(exc), to=to, status=400)
    except _Changed as changed:
        return _render(page, event, preview=changed.preview, error=str(changed), to=to, status=409)
    page.record(
        "event.move", "event", event.id, kind=event.kind, cohort_id=event.cohort_id,
        old_start=old_start.isoformat(), new_start=event.starts_at.isoformat(), told=told,
    )  # fmt: skip
    return _back(page, event, "event-moved")


def cancel(page: Page) -> Response:
    event = _event(page)
    if event is None:
        return _missing(page)
    try:
        preview = _cancel_preview(page, event)
        _same_as_previewed(page, preview)
        told = sessions.cancel_event(page.db, event, page.now, program=_program(page))
    except ValueError as exc:
        return _render(page, event, preview=None, error=str(exc), to="", status=400)
    except _Changed as changed:
        return _render(page, event, preview=changed.preview, error=str(changed), to="", status=409)
    page.record(
        "event.cancel", "event", event.id, kind=event.kind, cohort_id=event.cohort_id,
        starts_at=event.starts_at.isoformat(), told=told,
    )  # fmt: skip
    return _back(page, event, "event-cancelled")


class _Changed(Exception):
    """Who would be told is not who the preview showed: show the new list, change nothing."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(
            "Who will be told has changed since the preview (someone joined, left or changed "
            "channel). Check the list again: nothing was changed."
        )
        self.preview = preview


def _same_as_previewed(page: Page, preview: Preview) -> None:
    if page.form.get("told") != str(preview.told):
        raise _Changed(preview)


def _move_preview(page: Page, event: Event, to: str) -> Preview:
    try:
        local = datetime.strptime(to, INPUT_FORMAT)  # noqa: DTZ007 - the event's zone, below
    except ValueError:
        raise ValueError("Give the new start as a local date and time.") from None
    new_start = local.replace(tzinfo=ZoneInfo(_zone(page, event)))
    sessions.check_move(event, new_start, page.now)
    notices = sessions.move_notices(page.db, event, new_start, program=_program(page))
    return Preview("move", to, new_start, notices)


def _cancel_preview(page: Page, event: Event) -> Preview:
    if event.status == "cancelled":
        raise ValueError("This event is already cancelled.")
    sessions.check_cancel(event, page.now)
    notices = sessions.cancel_notices(page.db, event, program=_program(page))
    return Preview("cancel", "", None, notices)


def _render(
    page: Page, event: Event, *, preview: Preview | None, error: str | None, to: str,
    status: int = 200,
) -> Response:  # fmt: skip
    zone = _zone(page, event)
    cohort = page.db.get(Cohort, event.cohort_id) if event.cohort_id is not None else None
    local_start = event.starts_at.astimezone(ZoneInfo(zone))
    return page.render(
        "cohorts/event.html", active="cohorts", event=event, cohort=cohort, zone=zone,
        week=week_of(page.db, event.id or 0), preview=preview, error=error,
        to=to or local_start.strftime(INPUT_FORMAT), status=status,
        may_change=event.status != "cancelled" and event.starts_at > page.now,
    )  # fmt: skip


def _zone(page: Page, event: Event) -> str:
    """The time zone the event's wall time is kept in: its cohort's, or its alumni rule's."""
    if event.cohort_id is not None:
        cohort = page.db.get(Cohort, event.cohort_id)
        if cohort is not None:
            return cohort.timezone
    rule_id = alumni.rule_of(page.db, event.id or 0)
    rule = page.db.get(AlumniRule, rule_id) if rule_id is not None else None
    return rule.timezone if rule is not None else page.console.clinic_timezone


def _program(page: Page) -> ProgramInfo:
    return page.console.app.program


def _back(page: Page, event: Event, notice: str) -> Response:
    if event.cohort_id is not None:
        return page.redirect("cohort", cohort_id=event.cohort_id, _query={"notice": notice})
    return page.redirect("alumni", _query={"notice": notice})


def _event(page: Page) -> Event | None:
    return page.db.get(Event, page.request.path_params["event_id"])


def _missing(page: Page) -> Response:
    return page.render("layout/not_found.html", status=404, what="There is no such event.")


ROUTES = [
    StaffRoute("/events/{event_id:int}", "event", change_page, Permission.MANAGE_COHORTS),
    StaffRoute(
        "/events/{event_id:int}/move", "event_move", move, Permission.MANAGE_COHORTS, ("POST",)
    ),
    StaffRoute(
        "/events/{event_id:int}/cancel", "event_cancel", cancel, Permission.MANAGE_COHORTS,
        ("POST",),
    ),
]  # fmt: skip
