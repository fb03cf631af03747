"""The conversation simulator: be a patient in any language and instrument, in a chat pane,
through the same pipeline and engine as real patients, in a sandbox that never touches the
clinic's database (bot/web/simulator/sandbox.py). Time can be moved forward to see reminders,
nudges and expiry. One sandbox per staff member; starting again throws the old one away."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.conversation import language_status
from bot.conversation.i18n import SUPPORTED_LOCALES
from bot.web.routes import Page, StaffRoute
from surveys.loader import load_all

JUMPS = {"15m": ("15 minutes", timedelta(minutes=15)), "2h": ("2 hours", timedelta(hours=2)),
         "1d": ("1 day", timedelta(days=1)), "1w": ("1 week", timedelta(days=7))}  # fmt: skip
MODES = {
    "now": "Right away (an ad-hoc survey: asked at once, no nudges)",
    "session": "At a group session starting in 15 minutes, as the program plans DVPRS "
    "(reminders, the survey at the session, a nudge after 2 hours, expiry after a day)",
}


def simulator_page(page: Page, *, error: str | None = None, status: int = 200) -> Response:
    box = page.console.simulators.get(page.actor)
    return page.render(
        "simulator/simulator.html", active="simulator", box=box, error=error, status=status,
        languages=[language_status.language(code) for code in SUPPORTED_LOCALES],
        instruments=sorted(load_all()), modes=MODES, jumps=JUMPS,
    )  # fmt: skip


def start(page: Page) -> Response:
    locale = page.form.get("locale", "")
    instrument = page.form.get("instrument", "")
    mode = page.form.get("mode", "now")
    if locale not in SUPPORTED_LOCALES or instrument not in load_all() or mode not in MODES:
        return simulator_page(page, error="Choose a language, an instrument and when.", status=400)
    if mode == "session" and instrument != "dvprs":
        return simulator_page(
            page, status=400,
            error="The program plans DVPRS at group sessions; simulate other instruments "
            "right away.",
        )  # fmt: skip
    page.console.simulators.start(
        page.actor, page.console.app.settings, locale=locale, instrument=instrument, mode=mode,
        start=page.now,
    )  # fmt: skip
    page.record("simulator.start", "simulator", None, locale=locale, instrument=instrument,
                mode=mode)  # fmt: skip
    return page.redirect("simulator")


def say(page: Page) -> Response:
    box = page.console.simulators.get(page.actor)
    text = page.form.get("text", "").strip()[:1600]
    if box is not None and text:
        box.say(text)
    return simulator_page(page)


def advance(page: Page) -> Response:
    box = page.console.simulators.get(page.actor)
    jump = JUMPS.get(page.form.get("by", ""))
    if box is not None and jump is not None:
        box.advance(jump[1])
    return simulator_page(page)


def reset(page: Page) -> Response:
    page.console.simulators.close(page.actor)
    return page.redirect("simulator")


ROUTES = [
    StaffRoute("/simulator", "simulator", simulator_page, Permission.USE_SIMULATOR),
    StaffRoute("/simulator/start", "simulator_start", start, Permission.USE_SIMULATOR, ("POST",)),
    StaffRoute("/simulator/say", "simulator_say", say, Permission.USE_SIMULATOR, ("POST",)),
    StaffRoute(
        "/simulator/advance", "simulator_advance", advance, Permission.USE_SIMULATOR, ("POST",)
    ),
    StaffRoute("/simulator/reset", "simulator_reset", reset, Permission.USE_SIMULATOR, ("POST",)),
]
