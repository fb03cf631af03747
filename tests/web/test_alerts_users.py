"""Alerts (acknowledge, assign, comment, resolve, history) and Users and roles, through the
console, with the audit trail each leaves."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.db.models import Alert, AuditLog, StaffUser
from bot.db.staff_models import StaffSession
from tests.web.support import PASSWORD, ConsoleHarness, csrf_of


def crisis_alert_id(harness: ConsoleHarness) -> int:
    with Session(harness.app.db) as s:
        alert = s.exec(select(Alert).where(Alert.kind == "crisis")).one()
        assert alert.id is not None
        return alert.id


def test_a_crisis_alert_is_acknowledged_assigned_discussed_and_resolved(
    harness: ConsoleHarness,
) -> None:
    alert_id = crisis_alert_id(harness)
    client = harness.signed_in("clinician")
    url = f"/staff/alerts/{alert_id}"
    listing = client.get("/staff/alerts").text
    assert f'href="{url}"' in listing
    page = client.get(url).text
    assert "Resolving the alert does not release the patient" in page
    ack = client.post(f"{url}/acknowledge", data={"csrf_token": csrf_of(page)})
    assert ack.headers["location"] == f"{url}?notice=acknowledged"
    again = client.post(f"{url}/acknowledge", data={"csrf_token": csrf_of(page)})
    assert again.headers["location"] == f"{url}?notice=already-done"
    nobody_odd = client.post(
        f"{url}/assign", data={"to": "researcher", "csrf_token": csrf_of(page)}
    )
    assert nobody_odd.status_code == 400  # a researcher may not handle alerts
    assigned = client.post(f"{url}/assign", data={"to": "coordinator", "csrf_token": csrf_of(page)})
    assert assigned.status_code == 303
    client.post(
        f"{url}/comment",
        data={"text": "Called the patient; safe, seeing GP today.", "csrf_token": csrf_of(page)},
    )
    no_note = client.post(f"{url}/resolve", data={"note": " ", "csrf_token": csrf_of(page)})
    assert no_note.status_code == 400 and "Say how it was resolved" in no_note.text
    client.post(f"{url}/resolve", data={"note": "Handled by phone.", "csrf_token": csrf_of(page)})
    page = client.get(url).text
    history = page[page.index("<h2>History</h2>") :]
    for step in (
        "acknowledged by clinician",
        'assigned by clinician: <span dir="auto">coordinator',
        'commented by clinician: <span dir="auto">Called the patient',
        'resolved by clinician: <span dir="auto">Handled by phone.',
    ):
        assert step in history, step
    # the coordinator finds it among "assigned to me", resolved
    coord = harness.signed_in("coordinator")
    mine = coord.get("/staff/alerts?status=resolved&mine=1").text
    assert f'href="{url}"' in mine
    assert f'href="{url}"' not in coord.get("/staff/alerts").text  # unresolved only
    with Session(harness.app.db) as s:
        audit = [a.action for a in s.exec(select(AuditLog).where(AuditLog.object_type == "alert"))]
        alert = s.get(Alert, alert_id)
    assert audit == ["alert.ack", "alert.assign", "alert.comment", "alert.resolve"]
    assert alert is not None and alert.status == "resolved" and alert.resolved_by == "clinician"


def test_the_cli_list_still_shows_open_alerts_only(harness: ConsoleHarness) -> None:
    from bot.clinic.alerts.manage import list_alerts

    with Session(harness.app.db) as s:
        before = list_alerts(s)
    assert before and all(a.status == "open" for a in before)


def test_an_administrator_adds_and_manages_users(harness: ConsoleHarness) -> None:
    admin = harness.signed_in("administrator")
    page = admin.get("/staff/users").text
    assert "What each role may do" in page and "see identity" in page
    weak = admin.post(
        "/staff/users",
        data={"username": "nina", "role": "coordinator", "password": "qwerty123456",
              "csrf_token": csrf_of(page)},
    )  # fmt: skip
    assert weak.status_code == 400 and "common passwords" in weak.text
    added = admin.post(
        "/staff/users",
        data={"username": "Nina", "display_name": "Nina N", "role": "coordinator",
              "password": PASSWORD, "csrf_token": csrf_of(page)},
    )  # fmt: skip
    assert added.headers["location"] == "/staff/users?notice=user-added"
    nina = harness.client()
    harness.sign_in(nina, "nina")
    assert nina.get("/staff/today").headers["location"] == "/staff/account/password"
    # role change applies at once, no new sign-in needed
    admin.post("/staff/users/nina/role", data={"role": "researcher", "csrf_token": csrf_of(page)})
    with Session(harness.app.db) as s:
        assert s.exec(select(StaffUser.role).where(StaffUser.username == "nina")).one() == (
            "researcher"
        )
    # disabling ends their sessions
    admin.post("/staff/users/nina/active", data={"active": "0", "csrf_token": csrf_of(page)})
    assert nina.get("/staff/account/password").status_code == 303
    with Session(harness.app.db) as s:
        live = s.exec(select(StaffSession).where(StaffSession.revoked_at == None)).all()  # noqa: E711
        assert all(row.user_id != _user_id(s, "nina") for row in live)
    # MFA reset: the coordinator must set it up again
    admin.post("/staff/users/coordinator/reset-mfa", data={"csrf_token": csrf_of(page)})
    with Session(harness.app.db) as s:
        coordinator = s.exec(select(StaffUser).where(StaffUser.username == "coordinator")).one()
        assert coordinator.mfa_secret is None
    # the last administrator cannot be disabled or demoted
    refused = admin.post(
        "/staff/users/administrator/active", data={"active": "0", "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 400 and "last active administrator" in refused.text
    with Session(harness.app.db) as s:
        actions = [
            a.action for a in s.exec(select(AuditLog).where(AuditLog.actor == "administrator"))
        ]
    for action in ("staff.add", "staff.role", "staff.disable", "staff.reset_mfa"):
        assert action in actions


def _user_id(s: Session, username: str) -> int:
    return s.exec(select(StaffUser.id).where(StaffUser.username == username)).one() or 0
