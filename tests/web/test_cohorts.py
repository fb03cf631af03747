"""Cohorts in the console (TestClient, real app on the demo clinic): create a cohort, its
calendar in local time, move and cancel a session after a preview that matches what is sent,
attendance, alumni rules and the compliance grid, as each role may."""

from __future__ import annotations

import html
import re

from sqlmodel import Session, col, select

from bot.db.models import Alert, AuditLog, Cohort, Event, OutboxMessage, Patient, Rsvp
from bot.db.schedule_models import AlumniRule
from tests.web.support import ConsoleHarness, csrf_of

WEEK4 = 4  # the demo clinic's first session not yet held (events 1-13 are weeks 1-13)


def test_a_coordinator_creates_a_cohort_and_sees_its_calendar_in_local_time(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    form = client.get("/staff/cohorts/new")
    assert form.status_code == 200 and "America/New_York" in form.text
    data = {
        "csrf_token": csrf_of(form.text), "name": "Autumn cohort", "start": "2026-11-10",
        "weekday": "3", "time": "18:30", "minutes": "90", "weeks": "8",
        "timezone": "Europe/Madrid", "location": "Sala 4", "video_link": "",
        "dvprs_offset": "0", "alumni_followups": "3,6",
    }  # fmt: skip
    bad = client.post("/staff/cohorts/new", data=dict(data, time="25:00"))
    assert bad.status_code == 400 and "HH:MM" in bad.text and 'value="Autumn cohort"' in bad.text
    made = client.post("/staff/cohorts/new", data=data)
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "Cohort created" in page.text
    # eight Thursdays at 18:30 Madrid time, with the clinic's own clock beside them
    assert page.text.count("18:30 +0100") == 8
    assert "Thu 12 Nov 2026, 18:30 +0100" in page.text and "12:30 EST at the clinic" in page.text
    again = client.post("/staff/cohorts/new", data=data)
    assert again.status_code == 400 and "already a cohort called Autumn cohort" in again.text
    with Session(harness.app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == "Autumn cohort")).one()
        assert cohort.weeks == 8 and cohort.timezone == "Europe/Madrid"
        audit = s.exec(select(AuditLog).where(AuditLog.action == "cohort.create")).one()
        assert audit.actor == "coordinator" and audit.object_id == str(cohort.id)
    listing = client.get("/staff/cohorts").text
    assert "Autumn cohort" in listing and "Spring cohort" in listing


def test_the_move_preview_shows_who_is_told_and_what_and_the_move_sends_exactly_that(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    calendar = client.get("/staff/cohorts/1").text
    assert f'href="/staff/events/{WEEK4}"' in calendar
    assert 'href="/staff/events/1"' not in calendar  # week 1 has been held: no moving it
    preview = client.get(f"/staff/events/{WEEK4}?action=move&to=2026-11-04T15:00").text
    assert "5 patients will be told." in preview  # P004, on hold, is still told of the change
    shown = dict(
        re.findall(
            r'href="/staff/patients/(P\d+)">.*?<td dir="auto" class="message">([^<]+)</td>',
            preview,
            re.S,
        )
    )
    assert sorted(shown) == ["P001", "P002", "P003", "P004", "P005"]
    assert "su grupo del" in shown["P001"] and "se cambió al" in shown["P001"]  # her language
    assert "has moved to Wednesday, November 4" in shown["P002"]
    assert "Room 2, Pain Clinic" in shown["P002"]
    assert "Ana Torres" in preview  # a coordinator sees names
    with Session(harness.app.db) as s:
        before = len(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all())
    moved = client.post(
        f"/staff/events/{WEEK4}/move",
        data={"csrf_token": csrf_of(preview), "to": "2026-11-04T15:00", "told": "5"},
    )
    assert moved.status_code == 303 and moved.headers["location"].startswith("/staff/cohorts/1")
    with Session(harness.app.db) as s:
        event = s.get(Event, WEEK4)
        assert event is not None and event.status == "moved"
        assert event.starts_at.hour == 20  # 15:00 in New York (EST) is 20:00 UTC
        notices = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "notice")
            .order_by(col(OutboxMessage.id))
        ).all()[before:]
        sent = {n.patient_id: n.body for n in notices}
        assert len(sent) == 5
        by_study = {p.study_id: p.id for p in s.exec(select(Patient)).all() if p.study_id in shown}
        for study_id, text in shown.items():  # the preview showed exactly what went out
            assert sent[by_study[study_id]] == html.unescape(text)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "event.move")).one()
        assert audit.detail["told"] == 5


def test_a_stale_preview_changes_nothing_and_a_past_time_is_refused(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    page = client.get(f"/staff/events/{WEEK4}")
    token = csrf_of(page.text)
    stale = client.post(
        f"/staff/events/{WEEK4}/move",
        data={"csrf_token": token, "to": "2026-11-04T15:00", "told": "99"},
    )
    assert stale.status_code == 409 and "has changed since the preview" in stale.text
    past = client.post(
        f"/staff/events/{WEEK4}/move", data={"csrf_token": token, "to": "2026-10-01T15:00"}
    )
    assert past.status_code == 400 and "already passed" in past.text
    with Session(harness.app.db) as s:
        event = s.get(Event, WEEK4)
        assert event is not None and event.status == "scheduled"


def test_cancelling_a_session_after_its_preview(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    preview = client.get(f"/staff/events/{WEEK4 + 1}?action=cancel").text
    assert "is cancelled" in preview
    told = re.search(r"(\d+) patients? will be told", preview)
    assert told is not None
    done = client.post(
        f"/staff/events/{WEEK4 + 1}/cancel",
        data={"csrf_token": csrf_of(preview), "told": told.group(1)},
    )
    assert done.status_code == 303
    with Session(harness.app.db) as s:
        event = s.get(Event, WEEK4 + 1)
        assert event is not None and event.status == "cancelled"
    after = client.get(f"/staff/events/{WEEK4 + 1}").text
    assert "is cancelled: it can no longer be changed" in after


def test_attendance_is_recorded_and_two_misses_raise_an_alert(harness: ConsoleHarness) -> None:
    client = harness.signed_in("clinician")
    sheet = client.get("/staff/events/2/attendance")
    assert sheet.status_code == 200 and "P001" in sheet.text
    ids = re.findall(r'name="p(\d+)" value="present"', sheet.text)
    assert len(ids) == 5
    marks = {f"p{pid}": "present" for pid in ids}
    missing = client.post("/staff/events/2/attendance", data={"csrf_token": csrf_of(sheet.text)})
    assert missing.status_code == 400 and "Mark every participant" in missing.text
    first = ids[0]
    for week in (2, 3):
        page = client.get(f"/staff/events/{week}/attendance").text
        saved = client.post(
            f"/staff/events/{week}/attendance",
            data=dict(marks, **{f"p{first}": "absent", "csrf_token": csrf_of(page)}),
        )
        assert saved.status_code == 303
    assert "missed two sessions in a row" in client.get(saved.headers["location"]).text
    with Session(harness.app.db) as s:
        rsvps = s.exec(select(Rsvp).where(Rsvp.event_id == 3)).all()
        assert sorted(r.attended for r in rsvps) == [False, True, True, True, True]
        assert s.exec(
            select(Alert).where(Alert.kind == "missed_sessions", Alert.patient_id == int(first))
        ).first()
    calendar = client.get("/staff/cohorts/1").text
    assert re.search(r"<td>5</td>\s*<td>4</td>", calendar)


def test_alumni_rules_are_listed_added_and_removed(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    page = client.get("/staff/alumni")
    bad = client.post(
        "/staff/alumni/rules", data={"csrf_token": csrf_of(page.text), "rule": "every day"}
    )
    assert bad.status_code == 400 and "first Tuesday 17:30" in bad.text
    added = client.post(
        "/staff/alumni/rules",
        data={"csrf_token": csrf_of(page.text), "rule": "first Tuesday 17:30", "minutes": "60"},
    )
    assert added.status_code == 303
    listing = client.get("/staff/alumni").text
    assert "first Tuesday 17:30" in listing and "Move or cancel" in listing
    with Session(harness.app.db) as s:
        rule = s.exec(select(AlumniRule)).one()
    removed = client.post(
        f"/staff/alumni/rules/{rule.id}/remove", data={"csrf_token": csrf_of(listing)}
    )
    assert removed.status_code == 303
    assert "removed" in client.get("/staff/alumni").text
    with Session(harness.app.db) as s:
        assert s.exec(select(AlumniRule)).one().active is False
        actions = [a.action for a in s.exec(select(AuditLog)).all()]
        assert "alumni_rule.add" in actions and "alumni_rule.remove" in actions


def test_the_compliance_grid_names_each_state_with_its_date(harness: ConsoleHarness) -> None:
    page = harness.signed_in("coordinator").get("/staff/cohorts/1/grid").text
    assert "5 patients" in page
    for column in ("baseline", "week 1", "week 13", "post"):
        assert column in page
    assert 'class="badge done"' in page and 'class="badge planned"' in page
    row = page[page.index('href="/staff/patients/P001"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r"\d{1,2} (Oct|Nov) 2026", row)


def test_a_researcher_sees_the_grid_by_study_id_only_and_cannot_change_anything(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("researcher")
    grid = client.get("/staff/cohorts/1/grid").text
    calendar = client.get("/staff/cohorts/1").text
    assert "P001" in grid and "Ana Torres" not in grid
    for text in (grid, calendar):
        assert "week" in text or "P001" in text
        assert "Ana" not in text and "Dev Patel" not in text
        assert "Move or cancel" not in text and "Attendance<" not in text
    assert client.get(f"/staff/events/{WEEK4}").status_code == 403
    assert client.get("/staff/cohorts/new").status_code == 403
