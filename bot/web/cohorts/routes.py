"""Cohorts: the list, creating one (as `pathbot cohort create`), a cohort's calendar in its local
time with attendance, and the compliance grid of patients x timepoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.db.models import Cohort
from bot.schedule import cohort_view, cohorts
from bot.schedule.compliance import compliance_grid
from bot.schedule.localtime import parse_clock
from bot.schedule.plan import PlanOptions
from bot.web.cohorts import alumni, attendance, events
from bot.web.routes import Page, StaffRoute

T = TypeVar("T")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GRID_PAGE = 50
# Cells a paper form may fill in (not one already answered: that is replaced from Paper forms).
PAPER_STATES = ("due", "overdue", "missed", "refused for language", "planned")


def list_page(page: Page) -> Response:
    return page.render(
        "cohorts/list.html", active="cohorts", rows=cohort_view.list_cohorts(page.db, page.now)
    )


@dataclass(frozen=True)
class NewCohort:
    """The create form's fields as typed (shown again, untouched, when one is wrong)."""

    name: str = ""
    start: str = ""
    weekday: str = "1"
    time: str = "14:00"
    minutes: str = "90"
    weeks: str = str(cohorts.DEFAULT_WEEKS)
    timezone: str = ""
    location: str = ""
    video_link: str = ""
    dvprs_offset: str = "0"
    alumni_followups: str = ""


def new_page(page: Page, *, typed: NewCohort | None = None, error: str | None = None) -> Response:
    return page.render(
        "cohorts/new.html", active="cohorts", status=400 if error else 200, error=error,
        typed=typed or NewCohort(timezone=page.console.clinic_timezone), weekdays=WEEKDAYS,
    )  # fmt: skip


def create(page: Page) -> Response:
    typed = NewCohort(**{k: page.form.get(k, "").strip() for k in NewCohort.__dataclass_fields__})
    try:
        name = typed.name
        if not name or len(name) > 100:
            raise ValueError("Give the cohort a name (up to 100 characters).")
        if cohorts.find_cohort(page.db, name) is not None:
            raise ValueError(f"There is already a cohort called {name}.")
        start = _parse(date.fromisoformat, typed.start, "Give the first day as a date.")
        _parse(parse_clock, typed.time, "Give the session time as HH:MM, e.g. 14:00.")
        weekday = _number(typed.weekday, "weekday", 0, 6)
        minutes = _number(typed.minutes, "session length", 15, 480)
        weeks = _number(typed.weeks, "number of weeks", 1, 52)
        offset = _number(typed.dvprs_offset, "DVPRS offset", -24 * 60, 24 * 60)
        months = tuple(
            _number(m.strip(), "follow-up month", 1, 36)
            for m in typed.alumni_followups.split(",")
            if m.strip()
        )
        _parse(ZoneInfo, typed.timezone, f"{typed.timezone!r} is not a time zone we know.")
        cohort = cohorts.create_cohort(
            page.db, name=name, start_date=start, timezone=typed.timezone,
            rule=cohorts.WeeklyRule(
                weekday=weekday, time=typed.time, minutes=minutes,
                location=typed.location or None, video_link=typed.video_link or None,
            ),
            now=page.now, weeks=weeks,
            survey_plan=PlanOptions(dvprs_offset_minutes=offset, alumni_followup_months=months),
        )  # fmt: skip
    except (ValueError, LookupError) as exc:
        return new_page(page, typed=typed, error=str(exc))
    page.record("cohort.create", "cohort", cohort.id, name=name, weeks=weeks, via="console")
    return page.redirect("cohort", cohort_id=cohort.id, _query={"notice": "cohort-created"})


def _parse(parse: Callable[[str], T], text: str, message: str) -> T:
    try:
        return parse(text)
    except (ValueError, KeyError):
        raise ValueError(message) from None


def _number(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"The {what} must be a whole number.") from None
    if not low <= value <= high:
        raise ValueError(f"The {what} must be between {low} and {high}.")
    return value


def cohort_page(page: Page) -> Response:
    cohort = _cohort(page)
    if cohort is None:
        return _missing(page)
    return page.render(
        "cohorts/cohort.html", active="cohorts", cohort=cohort,
        sessions=cohort_view.calendar(page.db, cohort, page.now),
    )  # fmt: skip


def grid_page(page: Page) -> Response:
    cohort = _cohort(page)
    if cohort is None:
        return _missing(page)
    try:
        number = max(1, int(page.request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    grid = compliance_grid(
        page.db, cohort.id or 0, now=page.now, with_names=page.can(Permission.SEE_IDENTITY),
        offset=(number - 1) * GRID_PAGE, limit=GRID_PAGE,
    )  # fmt: skip
    return page.render(
        "cohorts/grid.html", active="cohorts", cohort=cohort, grid=grid, number=number,
        pages=max(1, -(-grid.total // GRID_PAGE)), paper=page.can(Permission.ENTER_PAPER_FORMS),
        paper_states=PAPER_STATES,
    )  # fmt: skip


def _cohort(page: Page) -> Cohort | None:
    return page.db.get(Cohort, page.request.path_params["cohort_id"])


def _missing(page: Page) -> Response:
    return page.render("layout/not_found.html", status=404, what="There is no such cohort.")


ROUTES = [
    StaffRoute("/cohorts", "cohorts", list_page, Permission.SEE_COHORTS),
    StaffRoute("/cohorts/new", "cohort_new", new_page, Permission.MANAGE_COHORTS),
    StaffRoute("/cohorts/new", "cohort_create", create, Permission.MANAGE_COHORTS, ("POST",)),
    StaffRoute("/cohorts/{cohort_id:int}", "cohort", cohort_page, Permission.SEE_COHORTS),
    StaffRoute("/cohorts/{cohort_id:int}/grid", "cohort_grid", grid_page, Permission.SEE_COHORTS),
    *events.ROUTES,
    *attendance.ROUTES,
    *alumni.ROUTES,
]
