"""Paper forms: type one in on a page that shows the instrument's items and options, or upload a
CSV. Both go through bot/clinic/paper_import.import_data, as `pathbot import responses` does: the
same checks, the same matching to the planned survey, the same line-numbered problems, scoring
and audit. A typed form is refused unless it fulfils the very survey it was opened for."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from bot.clinic import paper_entry
from bot.clinic.paper_import import ImportFileError, ImportRejected, RowProblem, import_data
from bot.clinic.paper_template import template_csv
from bot.clinic.record import patient_record
from bot.clinic.staff.roles import Permission
from bot.web.routes import Page, StaffRoute
from surveys.errors import InstrumentError
from surveys.loader import load_all

ANSWERED = ("completed", "partial")


def paper_page(
    page: Page, *, problems: list[str] | None = None, error: str | None = None,
    result: object = None, status: int = 200,
) -> Response:  # fmt: skip
    study_id = page.request.query_params.get("patient", "").strip()[:64]
    record = None
    if study_id:
        record = patient_record(page.db, study_id, with_identity=False, now=page.now)
    return page.render(
        "paper/paper.html", active="paper", study_id=study_id, record=record,
        planned=[a for a in record.assignments if a.sitting is not None] if record else [],
        instruments=sorted(load_all()), problems=problems or [], error=error,
        result=result, status=status,
    )  # fmt: skip


def upload(page: Page) -> Response:
    name, data = page.files.get("file", ("", b""))
    if not data:
        return paper_page(page, error="Choose a CSV file to upload.", status=400)
    if len(data) > 1024 * 1024:
        return paper_page(
            page, error="The file is larger than 1 MB: split it, or use `pathbot import "
            "responses` on the server.", status=413,
        )  # fmt: skip
    replace = page.form.get("replace") == "1"
    try:
        with page.db.begin_nested():
            result = import_data(
                page.db, data, name, actor=page.actor, now=page.now, replace=replace
            )
    except ImportRejected as exc:
        return paper_page(
            page, error=f"{name}: {exc}", problems=[str(p) for p in exc.problems], status=400
        )
    except ImportFileError as exc:
        return paper_page(page, error=str(exc), status=400)
    return paper_page(page, result=result)


def form_page(
    page: Page, *, problems: list[str] | None = None, typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    target = _target(page)
    if target is None:
        return _missing(page)
    typed = typed or {}
    return page.render(
        "paper/form.html", active="paper", t=target, typed=typed, problems=problems or [],
        answered=target.assignment.state in ANSWERED, status=status,
        day=typed.get("answered_on") or target.default_day(_today(page)).isoformat(),
        language=typed.get("language") or target.assignment.language,
    )  # fmt: skip


def save(page: Page) -> Response:
    target = _target(page)
    if target is None:
        return _missing(page)
    items = target.instrument.items
    answers = {item.id: page.form.get(f"item-{item.id}", "") for item in items}
    typed = dict(page.form)
    unanswered = [item.id for item in items if not answers[item.id]]
    if unanswered:
        problems = [f'{i}: tick an answer, or "left blank"' for i in unanswered]
        return form_page(page, problems=problems, typed=typed, status=400)
    language = page.form.get("language", target.assignment.language)
    data = paper_entry.form_csv(target, answers, page.form.get("answered_on", ""), language)
    replace = page.form.get("replace") == "1"
    wanted = target.assignment.id
    try:
        with page.db.begin_nested():  # rolled back unless it answered this very survey
            result = import_data(
                page.db, data, f"console form for assignment {wanted}", actor=page.actor,
                now=page.now, replace=replace,
            )  # fmt: skip
            if result.assignment_ids != (wanted,):
                raise _Elsewhere()
    except ImportRejected as exc:
        return form_page(page, problems=_by_item(exc.problems, items), typed=typed, status=400)
    except ImportFileError as exc:
        return form_page(page, problems=[str(exc)], typed=typed, status=400)
    except _Elsewhere:
        return form_page(
            page, typed=typed, status=400, problems=[
                "The date given matches a different survey than this one (a visit form is "
                "answered on its session's day); nothing was saved."
            ],
        )  # fmt: skip
    page.record(
        "paper.form", "assignment", wanted, study_id=target.patient.study_id,
        instrument=target.assignment.instrument_id, timepoint=target.assignment.timepoint,
        batch=result.batch_id, replaced=bool(result.replaced),
    )  # fmt: skip
    if target.cohort is not None:
        return page.redirect(
            "cohort_grid", cohort_id=target.cohort.id, _query={"notice": "paper-saved"}
        )
    return page.redirect("patient", study_id=target.patient.study_id)


class _Elsewhere(Exception):
    """The typed form matched another planned survey than the one it was opened for."""


def _by_item(problems: list[RowProblem], items: tuple[object, ...]) -> list[str]:
    """The importer's line numbers, as the items of this form (line 2 is the first item)."""
    shown: list[str] = []
    for p in problems:
        index = p.line - 2
        item_id = getattr(items[index], "id", "") if 0 <= index < len(items) else ""
        text = p.message if p.message.startswith(item_id) else f"{item_id}: {p.message}"
        if text not in shown:
            shown.append(text)
    return shown


def template(page: Page) -> Response:
    instrument = page.request.path_params["instrument"]
    try:
        text = template_csv(instrument)
    except InstrumentError:
        return page.render("layout/not_found.html", status=404, what="No such instrument.")
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{instrument}-paper-form.csv"'},
    )  # fmt: skip


def _target(page: Page) -> paper_entry.EntryTarget | None:
    target = paper_entry.entry_target(page.db, page.request.path_params["assignment_id"])
    return target if target is not None and target.cohort is not None else None


def _today(page: Page) -> date:
    from zoneinfo import ZoneInfo

    return page.now.astimezone(ZoneInfo(page.console.clinic_timezone)).date()


def _missing(page: Page) -> Response:
    return page.render(
        "layout/not_found.html", status=404,
        what="There is no such planned survey (ad-hoc forms are entered by CSV).",
    )  # fmt: skip


ROUTES = [
    StaffRoute("/paper", "paper", paper_page, Permission.ENTER_PAPER_FORMS),
    StaffRoute(
        "/paper/upload", "paper_upload", upload, Permission.ENTER_PAPER_FORMS, ("POST",),
        uploads=True,
    ),
    StaffRoute(
        "/paper/template/{instrument}", "paper_template", template, Permission.ENTER_PAPER_FORMS
    ),
    StaffRoute(
        "/paper/forms/{assignment_id:int}", "paper_form", form_page, Permission.ENTER_PAPER_FORMS
    ),
    StaffRoute(
        "/paper/forms/{assignment_id:int}", "paper_form_save", save,
        Permission.ENTER_PAPER_FORMS, ("POST",),
    ),
]  # fmt: skip
