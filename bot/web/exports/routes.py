"""Exports: every format of `pathbot export` with its filters, made in the background
(bot/clinic/exports/jobs.py) while the page says how it is going, then downloaded; asking and
every download are in the audit log.

De-identified by role: names and typed answers (free text) are offered only to roles that may
see identity, and even then only when ticked; a researcher's export never holds them.
"""

from __future__ import annotations

from datetime import date, timedelta

from starlette.responses import Response

from bot.clinic.exports.csv_long import FORMAT_NAMES
from bot.clinic.exports.jobs import (
    download,
    exports_of,
    fail_interrupted,
    request_export,
    run_export,
)
from bot.clinic.exports.records import ExportFilter, UnknownFilter, check_filter
from bot.clinic.roster import filter_choices
from bot.clinic.staff.roles import Permission
from bot.schedule.localtime import at_local
from bot.web.routes import Page, StaffRoute
from surveys.loader import load_all

FORMAT_HELP = {
    "csv": "CSV, one row per answer",
    "csv-wide": "CSV, one row per completed survey, with scores",
    "xlsx": "Excel: a sheet per instrument and a codebook",
    "json": "JSON",
    "fhir": "FHIR R4 Bundle (LOINC codes where LOINC has them)",
    "redcap": "REDCap: a row per patient and timepoint",
    "redcap-dictionary": "REDCap data dictionary",
}
assert set(FORMAT_HELP) == set(FORMAT_NAMES)


def exports_page(page: Page, *, error: str | None = None, status: int = 200) -> Response:
    if page.console.background.first_time("exports: fail interrupted"):
        fail_interrupted(page.db, page.now)
    mine = None if page.can(Permission.MANAGE_USERS) else page.actor  # administrators see all
    jobs = exports_of(page.db, mine, page.now)
    return page.render(
        "exports/exports.html", active="exports", jobs=jobs, formats=FORMAT_HELP,
        cohorts=filter_choices(page.db)["cohort"], instruments=sorted(load_all()),
        busy=any(j.state in ("queued", "running") for j in jobs), error=error,
        typed=dict(page.form), status=status,
    )  # fmt: skip


def ask(page: Page) -> Response:
    form = page.form
    fmt = form.get("format", "")
    identity = page.can(Permission.SEE_IDENTITY)
    try:
        if fmt not in FORMAT_NAMES:
            raise ValueError("Choose a format.")
        since = _day(form.get("since", ""), "From")
        until = _day(form.get("until", ""), "Up to")
        zone = page.console.clinic_timezone
        flt = ExportFilter(
            cohort=form.get("cohort") or None,
            patients=tuple(p.strip() for p in form.get("patients", "").split(",") if p.strip()),
            instruments=tuple(i for i in load_all() if form.get(f"instrument-{i}") == "1"),
            since=at_local(since, "00:00", zone) if since else None,
            until=at_local(until + timedelta(days=1), "00:00", zone) if until else None,
            with_names=identity and form.get("names") == "1",
            with_free_text=identity and form.get("free_text") == "1",
        )
        check_filter(page.console.app.db, flt)
    except (ValueError, UnknownFilter) as exc:
        return exports_page(page, error=str(exc), status=400)
    job = request_export(page.db, actor=page.actor, fmt=fmt, flt=flt, now=page.now)
    page.record(
        "export.request", "export", job.id, format=fmt, filters=flt.describe(),
        deidentified=job.deidentified,
    )  # fmt: skip
    db, export_id, clock = page.console.app.db, job.id or 0, page.console.now
    page.after_commit(lambda: run_export(db, export_id, flt, clock))
    return page.redirect("exports", _query={"notice": "export-queued"})


def fetch(page: Page) -> Response:
    mine = None if page.can(Permission.MANAGE_USERS) else page.actor
    job = download(page.db, page.request.path_params["export_id"], mine, page.now)
    if job is None or job.content is None:
        return page.render(
            "layout/not_found.html", status=404,
            what="No such export ready for you: it may have expired (exports are kept a day).",
        )  # fmt: skip
    page.record(
        "export.download", "export", job.id, format=job.format, filters=job.filters,
        rows=job.rows, deidentified=job.deidentified,
    )  # fmt: skip
    return Response(
        job.content, media_type=job.media_type,
        headers={"Content-Disposition": f'attachment; filename="{job.file_name}"'},
    )  # fmt: skip


def _day(text: str, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: give a date.") from None


ROUTES = [
    StaffRoute("/exports", "exports", exports_page, Permission.EXPORT_DATA),
    StaffRoute("/exports", "export_request", ask, Permission.EXPORT_DATA, ("POST",)),
    StaffRoute(
        "/exports/{export_id:int}/download", "export_download", fetch, Permission.EXPORT_DATA
    ),
]
