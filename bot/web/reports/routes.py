"""The cohort report (bot/clinic/report, as `pathbot report`): in the page, with the same tables,
methods and plots, and as the same PDF. Patients appear by study id only."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.db.models import Cohort
from bot.schedule.cohort_view import list_cohorts
from bot.web.routes import Page, StaffRoute

if TYPE_CHECKING:
    from bot.clinic.report.cohort import CohortReport


def reports_page(page: Page) -> Response:
    return page.render("reports/list.html", active="reports", rows=list_cohorts(page.db, page.now))


def report_page(page: Page) -> Response:
    from bot.clinic.report import render  # matplotlib loads only when a report is asked for
    from bot.clinic.report.plots import png_bytes

    report = _report(page)
    if report is None:
        return _missing(page)
    plots = [
        (caption, base64.b64encode(png_bytes(fig)).decode("ascii"))
        for caption, fig in render.figures(report)
    ]
    page.record("report.view", "cohort", report.cohort.id, participants=len(report.participants))
    return page.render(
        "reports/report.html", active="reports", r=report, render=render, plots=plots,
        measure_rows=[render.measure_row(m) for m in report.measures],
    )  # fmt: skip


def report_pdf(page: Page) -> Response:
    from bot.clinic.report.render import pdf_bytes

    report = _report(page)
    if report is None:
        return _missing(page)
    pdf = pdf_bytes(report, page_size=page.console.app.settings.report_page_size)
    page.record("report.pdf", "cohort", report.cohort.id, participants=len(report.participants))
    name = "".join(ch if ch.isalnum() else "-" for ch in report.cohort.name)[:60]
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="report-{name}.pdf"'},
    )  # fmt: skip


def _report(page: Page) -> CohortReport | None:
    from bot.clinic.report.cohort import build_report

    cohort = page.db.get(Cohort, page.request.path_params["cohort_id"])
    if cohort is None:
        return None
    return build_report(page.console.app.db, cohort.name, now=page.now)


def _missing(page: Page) -> Response:
    return page.render("layout/not_found.html", status=404, what="There is no such cohort.")


ROUTES = [
    StaffRoute("/reports", "reports", reports_page, Permission.SEE_REPORTS),
    StaffRoute("/reports/{cohort_id:int}", "report", report_page, Permission.SEE_REPORTS),
    StaffRoute("/reports/{cohort_id:int}/pdf", "report_pdf", report_pdf, Permission.SEE_REPORTS),
]
