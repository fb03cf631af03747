"""Attendance for one session: every current participant present or absent, recorded through
bot/schedule/rsvp.py's record_attendance (as `pathbot attendance --record`), which also raises
the missed-two-sessions alert and closes one that a correction makes untrue."""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.db.models import Cohort, Event
from bot.schedule import rsvp
from bot.schedule.calendar import week_of
from bot.schedule.cohort_view import attendance_sheet
from bot.web.routes import Page, StaffRoute


def sheet_page(page: Page, *, error: str | None = None) -> Response:
    event = _session(page)
    if event is None:
        return _missing(page)
    return page.render(
        "cohorts/attendance.html", active="cohorts", event=event,
        cohort=page.db.get(Cohort, event.cohort_id), week=week_of(page.db, event.id or 0),
        rows=attendance_sheet(page.db, event, with_names=page.can(Permission.SEE_IDENTITY)),
        error=error, status=400 if error else 200,
    )  # fmt: skip


def record(page: Page) -> Response:
    event = _session(page)
    if event is None:
        return _missing(page)
    rows = attendance_sheet(page.db, event, with_names=False)
    marks = {r.patient_id: page.form.get(f"p{r.patient_id}") for r in rows}
    if any(mark not in ("present", "absent") for mark in marks.values()):
        return sheet_page(page, error="Mark every participant present or absent.")
    absent = {pid for pid, mark in marks.items() if mark == "absent"}
    flagged = rsvp.record_attendance(page.db, event, absent, page.now)
    page.record(
        "attendance.record", "event", event.id, cohort_id=event.cohort_id,
        present=len(rows) - len(absent), absent=len(absent), alerts=len(flagged),
    )  # fmt: skip
    notice = "attendance-alert" if flagged else "attendance-recorded"
    return page.redirect("cohort", cohort_id=event.cohort_id, _query={"notice": notice})


def _session(page: Page) -> Event | None:
    event = page.db.get(Event, page.request.path_params["event_id"])
    if event is None or event.kind != "session" or event.cohort_id is None:
        return None
    return event


def _missing(page: Page) -> Response:
    return page.render("layout/not_found.html", status=404, what="There is no such session.")


ROUTES = [
    StaffRoute(
        "/events/{event_id:int}/attendance", "attendance", sheet_page,
        Permission.RECORD_ATTENDANCE,
    ),
    StaffRoute(
        "/events/{event_id:int}/attendance", "attendance_record", record,
        Permission.RECORD_ATTENDANCE, ("POST",),
    ),
]  # fmt: skip
