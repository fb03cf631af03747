"""Monthly alumni meetings: the rules (listed, added, removed, as `pathbot event alumni-rule`)
and the meetings they have put in the calendar, each of which can be moved or cancelled."""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.schedule import alumni
from bot.schedule.cohort_view import alumni_rules
from bot.web.routes import Page, StaffRoute


def alumni_page(page: Page, *, error: str | None = None, typed: str = "") -> Response:
    return page.render(
        "cohorts/alumni.html", active="cohorts", rules=alumni_rules(page.db),
        meetings=alumni.alumni_meetings(page.db, page.now), error=error, typed=typed,
        status=400 if error else 200,
    )  # fmt: skip


def add(page: Page) -> Response:
    text = page.form.get("rule", "").strip()[:100]
    timezone = page.form.get("timezone", "").strip() or page.console.clinic_timezone
    location = page.form.get("location", "").strip()[:200] or None
    try:
        minutes = int(page.form.get("minutes", "60"))
        if not 15 <= minutes <= 480:
            raise ValueError("A meeting lasts between 15 and 480 minutes.")
        rule = alumni.add_rule(
            page.db, text=text, timezone=timezone, now=page.now, minutes=minutes,
            location=location,
        )  # fmt: skip
    except alumni.RuleError as exc:
        return alumni_page(page, error=f"{str(exc)[0].upper()}{str(exc)[1:]}.", typed=text)
    except (ValueError, LookupError):
        return alumni_page(page, error="Check the time zone and the length.", typed=text)
    page.record("alumni_rule.add", "alumni_rule", rule.id, text=rule.text, timezone=timezone)
    return page.redirect("alumni", _query={"notice": "rule-added"})


def remove(page: Page) -> Response:
    rule = alumni.remove_rule(page.db, page.request.path_params["rule_id"])
    if rule is None:
        return page.redirect("alumni", _query={"notice": "already-done"})
    page.record("alumni_rule.remove", "alumni_rule", rule.id, text=rule.text)
    return page.redirect("alumni", _query={"notice": "rule-removed"})


ROUTES = [
    StaffRoute("/alumni", "alumni", alumni_page, Permission.SEE_COHORTS),
    StaffRoute("/alumni/rules", "alumni_rule_add", add, Permission.MANAGE_COHORTS, ("POST",)),
    StaffRoute(
        "/alumni/rules/{rule_id:int}/remove", "alumni_rule_remove", remove,
        Permission.MANAGE_COHORTS, ("POST",),
    ),
]  # fmt: skip
