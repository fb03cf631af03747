"""Alerts: list and filter; on an alert's page acknowledge, assign, comment, resolve (with a
note), with its history. The steps are bot/clinic/alerts/manage.py's, as for `pathbot alerts`."""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.alerts import manage
from bot.clinic.staff.accounts import list_users
from bot.clinic.staff.roles import Permission, may
from bot.db import store
from bot.web.patients import hold
from bot.web.routes import Page, StaffRoute

STATUS_CHOICES = ("unresolved", "open", "acknowledged", "resolved", "all")
KINDS = (
    "crisis", "needs_review", "clinical", "opt_out", "missed_survey", "missed_sessions",
    "media_received",
)  # fmt: skip


PAGE_SIZE = 50
NEWEST = 200  # other filters show the newest this many


def list_page(page: Page) -> Response:
    q = page.request.query_params
    status = q.get("status", "unresolved")
    if status not in STATUS_CHOICES:
        status = "unresolved"
    kind = q.get("kind") or None
    mine = q.get("mine") == "1"
    assigned_to = page.actor if mine else None
    try:
        number = max(1, int(q.get("page", "1")))
    except ValueError:
        number = 1
    if status == "unresolved":  # the work queue: crisis first, then the oldest, in pages
        alerts, total = manage.unresolved_alerts(
            page.db, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, kind=kind,
            assigned_to=assigned_to,
        )  # fmt: skip
        pages = max(1, -(-total // PAGE_SIZE))
    else:
        alerts = manage.list_alerts(
            page.db, include_acknowledged=True, status=None if status == "all" else status,
            kind=kind, assigned_to=assigned_to, limit=NEWEST,
        )  # fmt: skip
        alerts.reverse()  # newest first
        total, pages, number = len(alerts), 1, 1
    query = {k: v for k, v in q.items() if k != "page" and v}
    return page.render(
        "alerts/list.html", active="alerts", alerts=alerts, status_filter=status, kind=kind or "",
        mine=mine, statuses=STATUS_CHOICES, kinds=KINDS, total=total, number=number,
        pages=pages, query=query, newest=NEWEST,
    )  # fmt: skip


def alert_page(page: Page, *, error: str | None = None, status: int = 200) -> Response:
    alert_id = _alert_id(page)
    try:
        alert = manage.get_alert(page.db, alert_id)
    except manage.AlertNotFound:
        return page.render("layout/not_found.html", status=404, what=f"No alert #{alert_id}.")
    patient = store.patient_by_study_id(page.db, alert.study_id)
    return page.render(
        "alerts/alert.html", active="alerts", alert=alert,
        history=manage.history(page.db, alert_id), handlers=_handlers(page), error=error,
        status=status, on_hold=patient is not None and patient.status == "crisis_hold",
    )  # fmt: skip


def show(page: Page) -> Response:
    return alert_page(page)


def acknowledge(page: Page) -> Response:
    return _step(page, lambda: manage.acknowledge(
        page.db, _alert_id(page), actor=page.actor, now=page.now), "acknowledged")  # fmt: skip


def assign(page: Page) -> Response:
    to = page.form.get("to", "").strip() or None
    if to is not None and to not in _handlers(page):
        return alert_page(page, error="Choose someone who may handle alerts.", status=400)
    return _step(page, lambda: manage.assign(
        page.db, _alert_id(page), to=to, actor=page.actor, now=page.now), "assigned")  # fmt: skip


def comment(page: Page) -> Response:
    def add() -> bool:
        manage.comment(
            page.db, _alert_id(page), text=page.form.get("text", ""), actor=page.actor,
            now=page.now,
        )  # fmt: skip
        return True

    return _step(page, add, "commented")


def resolve(page: Page) -> Response:
    return _step(page, lambda: manage.resolve(
        page.db, _alert_id(page), note=page.form.get("note", ""), actor=page.actor,
        now=page.now), "resolved")  # fmt: skip


def release_hold(page: Page) -> Response:
    """Release the hold of this crisis alert's patient (bot/web/patients/hold.py)."""
    try:
        alert = manage.get_alert(page.db, _alert_id(page))
    except manage.AlertNotFound:
        return page.render(
            "layout/not_found.html", status=404, what=f"No alert #{_alert_id(page)}."
        )
    error = hold.release(page, alert.study_id)
    if error is not None:
        return alert_page(page, error=error, status=400)
    return page.redirect("alert", alert_id=alert.id, _query={"notice": "hold-released"})


def _step(page: Page, change: object, notice: str) -> Response:
    assert callable(change)
    try:
        changed = change()
    except manage.AlertNotFound:
        return page.render(
            "layout/not_found.html", status=404, what=f"No alert #{_alert_id(page)}."
        )
    except ValueError as exc:  # a required note or comment is missing
        return alert_page(page, error=f"{str(exc).capitalize()}.", status=400)
    return page.redirect(
        "alert", alert_id=_alert_id(page), _query={"notice": notice if changed else "already-done"}
    )


def _handlers(page: Page) -> list[str]:
    """Who may be given an alert: active users whose role may handle alerts."""
    return [
        u.username
        for u in list_users(page.db)
        if u.active and may(u.role, Permission.HANDLE_ALERTS)
    ]


def _alert_id(page: Page) -> int:
    try:
        return int(page.request.path_params["alert_id"])
    except ValueError:
        return 0


ROUTES = [
    StaffRoute("/alerts", "alerts", list_page, Permission.SEE_ALERTS),
    StaffRoute("/alerts/{alert_id:int}", "alert", show, Permission.SEE_ALERTS),
    StaffRoute(
        "/alerts/{alert_id:int}/acknowledge", "alert_acknowledge", acknowledge,
        Permission.HANDLE_ALERTS, ("POST",),
    ),
    StaffRoute(
        "/alerts/{alert_id:int}/assign", "alert_assign", assign, Permission.HANDLE_ALERTS,
        ("POST",),
    ),
    StaffRoute(
        "/alerts/{alert_id:int}/comment", "alert_comment", comment, Permission.HANDLE_ALERTS,
        ("POST",),
    ),
    StaffRoute(
        "/alerts/{alert_id:int}/resolve", "alert_resolve", resolve, Permission.HANDLE_ALERTS,
        ("POST",),
    ),
    StaffRoute(
        "/alerts/{alert_id:int}/release", "alert_release", release_hold,
        Permission.RELEASE_HOLDS, ("POST",),
    ),
]  # fmt: skip
