"""The route table's building blocks: StaffRoute, the access each needs, and the one wrapper.

Every console route is a StaffRoute naming its access: a Permission from the role table, or
SIGNED_IN (any fully signed-in person), HALF_SIGNED_IN (between the password and the code), or
PUBLIC. `endpoint()` wraps every handler the same way: find the session, refuse what the role
may not do (sign-in redirect or 403), check the CSRF token and origin of every POST, then run the
handler in a worker thread inside one database transaction. Handlers are plain functions of a
`Page` and never check permissions themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.clinic import audit
from bot.clinic.staff import sessions
from bot.clinic.staff.roles import Permission, may
from bot.db.database import session_scope
from bot.db.models import StaffUser
from bot.web import security
from bot.web.console import Console

MAX_FORM_FIELDS = 100
MAX_FORM_FIELD_BYTES = 64 * 1024
# An uploaded file (a route with `uploads=True`); the service caps every body at 1 MiB anyway.
MAX_UPLOAD_BYTES = 1024 * 1024


class Access(enum.Enum):
    PUBLIC = "public"
    HALF_SIGNED_IN = "half signed in"  # password accepted; code or MFA set-up still to come
    SIGNED_IN = "signed in"  # any role


Needs = Permission | Access
Handler = Callable[["Page"], Response]


@dataclass(frozen=True)
class StaffRoute:
    path: str
    name: str
    handler: Handler
    needs: Needs
    methods: tuple[str, ...] = ("GET",)
    uploads: bool = False  # a multipart form with one file (paper forms' CSV)

    @property
    def changes_state(self) -> bool:
        return any(m not in ("GET", "HEAD") for m in self.methods)


@dataclass
class Page:
    """One request as a handler sees it: who, their session, the form, the transaction."""

    request: Request
    db: Session
    console: Console
    now: datetime
    live: sessions.LiveSession | None
    form: Mapping[str, str]
    csrf_token: str
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)  # field -> (name, data)
    _cookie: tuple[str, str] | None = field(default=None)  # ("set"|"clear", token)
    _presign: str | None = field(default=None)  # a new anonymous CSRF nonce to set
    _after_commit: list[Callable[[], object]] = field(default_factory=list)

    @property
    def user(self) -> StaffUser:
        assert self.live is not None, "a handler behind sign-in always has a session"
        return self.live.user

    @property
    def actor(self) -> str:
        return self.user.username

    @property
    def address(self) -> str:
        return self.request.client.host if self.request.client else ""

    def can(self, permission: Permission) -> bool:
        return self.live is not None and may(self.live.user.role, permission)

    def url(self, name: str, /, **params: Any) -> str:
        query = params.pop("_query", None)
        values = {k: str(v) for k, v in params.items()}
        route = self.console.named_routes.get(name)
        if route is not None:  # a console route: built from it alone, under the console's mount
            path = self.request.scope.get("root_path", "") + route.url_path_for(name, **values)
        else:  # the static files' mount
            path = str(self.request.url_for(name, **values).path)
        return f"{path}?{urlencode(query)}" if query else path

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("active", "")  # which menu entry is the current page
        html = self.console.templates.get_template(template).render(
            page=self,
            user=self.live.user if self.live and self.live.row.stage == "full" else None,
            csrf_token=self.csrf_token,
            url=self.url,
            can=self.can,
            Permission=Permission,
            now=self.now,
            notice=_notice(self.request),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def redirect(self, name: str, /, **params: Any) -> RedirectResponse:
        return RedirectResponse(self.url(name, **params), status_code=303)

    def after_commit(self, work: Callable[[], object]) -> None:
        """Start `work` in the console's background worker once this request's transaction has
        committed (so the worker sees what the request wrote)."""
        self._after_commit.append(work)

    def record(
        self, action: str, object_type: str, object_id: str | int | None = None, **detail: Any
    ) -> None:
        """Audit a staff action in this request's transaction."""
        audit.record(
            self.db,
            actor=self.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
            now=self.now,
        )

    def start_session(self, user: StaffUser, stage: str) -> None:
        """Sign in to `stage`, rotating the token: the old session (if any) is revoked."""
        policy = self.console.session_policy
        if self.live is not None:
            token, row = sessions.step_up(
                self.db, current=self.live, stage=stage, address=self.address, now=self.now,
                policy=policy,
            )  # fmt: skip
        else:
            token, row = sessions.start(
                self.db, user=user, stage=stage, address=self.address, now=self.now,
                policy=policy,
            )  # fmt: skip
        self.live = sessions.LiveSession(row, user)
        self.csrf_token = row.csrf_token
        self._cookie = ("set", token)

    def end_session(self) -> None:
        if self.live is not None:
            sessions.revoke(self.db, self.live.row, self.now)
        self.live = None
        self._cookie = ("clear", "")


def endpoint(console: Console, route: StaffRoute) -> Callable[[Request], Any]:
    """The Starlette endpoint for one StaffRoute: the permission check lives here, once."""

    async def handle(request: Request) -> Response:
        form: FormData | None = None
        files: dict[str, tuple[str, bytes]] = {}
        if request.method not in ("GET", "HEAD"):
            form = await request.form(
                max_files=1 if route.uploads else 0,
                max_fields=MAX_FORM_FIELDS,
                max_part_size=MAX_FORM_FIELD_BYTES,
            )
            for key, value in form.items():
                if isinstance(value, UploadFile):  # read here: the handler runs in a thread
                    data = await value.read(MAX_UPLOAD_BYTES + 1)
                    files[key] = (value.filename or "upload", data)
        try:
            return await anyio.to_thread.run_sync(_process, console, route, request, form, files)
        finally:
            if form is not None:
                await form.close()

    return handle


def _process(
    console: Console,
    route: StaffRoute,
    request: Request,
    form: FormData | None,
    files: Mapping[str, tuple[str, bytes]],
) -> Response:
    now = console.now()
    fields = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
    with session_scope(console.app.db) as db:
        live = sessions.find(
            db, request.cookies.get(security.SESSION_COOKIE), now, console.session_policy
        )
        new_presign: str | None = None
        if live is not None:
            csrf = live.row.csrf_token
        else:
            nonce, is_new = security.presign_nonce(request)
            csrf = security.presign_token(console.csrf_key, nonce)
            new_presign = nonce if is_new else None
        page = Page(
            request, db, console, now, live, fields, csrf, files=files, _presign=new_presign
        )
        refusal = _refuse(page, route)
        if refusal is None and route.changes_state and request.method != "GET":
            if not security.same_origin(request) or not security.tokens_match(
                csrf, fields.get(security.CSRF_FIELD)
            ):
                refusal = page.render("layout/expired.html", status=403)
        response = refusal or route.handler(page)
    for work in page._after_commit:
        console.background.submit(work)
    return _with_cookies(console, page, request, response)


def _refuse(page: Page, route: StaffRoute) -> Response | None:
    """A sign-in redirect, a step of sign-in still to do, or a 403; None to go ahead."""
    if route.needs is Access.PUBLIC:
        return None
    live = page.live
    if live is None:
        return _to_sign_in(page)
    stage = live.row.stage
    if route.needs is Access.HALF_SIGNED_IN:
        return None
    if stage == "mfa":
        return page.redirect("sign_in_code")
    if stage == "enrol" or (
        page.console.app.settings.staff_mfa_required and not live.user.mfa_secret
    ):
        return page.redirect("mfa_setup")
    if live.user.must_change_password and route.name not in PASSWORD_CHANGE_ROUTES:
        return page.redirect("password_change")
    if route.needs is Access.SIGNED_IN or may(live.user.role, route.needs):
        return None
    return page.render("layout/forbidden.html", status=403)


# Reachable while a new password is still owed (the change itself, and leaving).
PASSWORD_CHANGE_ROUTES = frozenset({"password_change", "sign_out"})


def _to_sign_in(page: Page) -> Response:
    target = page.url("sign_in")
    if page.request.method == "GET":
        wanted = page.request.url.path
        query = page.request.url.query
        target += "?" + urlencode({"next": wanted + (f"?{query}" if query else "")})
    if page.request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _with_cookies(console: Console, page: Page, request: Request, response: Response) -> Response:
    secure = console.app.settings.staff_cookies_secure
    mount = request.scope.get("root_path", "") or "/"
    if page._cookie is not None:
        kind, token = page._cookie
        if kind == "set":
            security.set_session_cookie(response, token, secure=secure, path=mount)
        else:
            security.clear_session_cookie(response, secure=secure, path=mount)
    if page._presign is not None and page.live is None:  # the anonymous form's CSRF nonce
        security.set_presign_cookie(response, page._presign, secure=secure, path=mount)
    return response


NOTICES = {
    "signed-out": "You are signed out.",
    "signed-out-everywhere": "You are signed out on every device.",
    "password-changed": "Your password is changed.",
    "mfa-enrolled": "Two-step sign-in is set up.",
    "acknowledged": "Alert acknowledged.",
    "assigned": "Alert assigned.",
    "commented": "Comment added.",
    "resolved": "Alert resolved.",
    "already-done": "Someone else got there first: nothing changed.",
    "user-added": "User added.",
    "user-changed": "User changed.",
    "invite-issued": "Invitation made.",
    "hold-released": "Hold released.",
    "birth-date-saved": "Date of birth saved.",
    "language-changed": "Language changed: the next messages are in it.",
    "language-same": "That is already the patient's language: nothing changed.",
    "cohort-created": "Cohort created, with its sessions and survey plan.",
    "event-moved": "Moved; the patients concerned will be told.",
    "event-cancelled": "Cancelled; the patients concerned will be told.",
    "attendance-recorded": "Attendance saved.",
    "attendance-alert": "Attendance saved. Someone has missed two sessions in a row: see Alerts.",
    "rule-added": "Alumni meeting rule added; its meetings are in the calendar.",
    "rule-removed": "Rule removed: it makes no new meetings.",
    "paper-saved": "Paper form saved: it answers the planned survey.",
    "message-cancelled": "Message cancelled: it will not be sent.",
    "message-resent": "Message queued again: it goes out under the usual rules.",
    "export-queued": "The export is being made: this page says when it is ready.",
}


def _notice(request: Request) -> str | None:
    """A fixed message chosen by key: nothing from the query string is echoed into the page."""
    return NOTICES.get(request.query_params.get("notice", ""))
