"""The staff "to call" list in the console: read-only, study ids only, what the tiers left."""

from __future__ import annotations

from bot.db import store
from bot.db.database import session_scope
from tests.web.support import ConsoleHarness


def test_to_call_lists_surveys_text_did_not_reach(harness: ConsoleHarness) -> None:
    with session_scope(harness.app.db) as s:
        patient = store.add_patient(s, study_id="T900", now=harness.clock())
        patient_id = patient.id or 0
    harness.app.pipeline.start_survey(patient_id, "dvprs")
    client = harness.signed_in("coordinator")
    assert "T900" not in client.get("/staff/to-call").text  # text still has its chance
    harness.clock.advance(hours=25)
    page = harness.signed_in("coordinator").get("/staff/to-call")  # a new day, a new sign-in
    assert page.status_code == 200
    row = page.text[page.text.index("T900") :]
    row = row[: row.index("</tr>")]
    assert "dvprs" in row and "no phone line" in row
    assert 'aria-current="page">To call</a>' in page.text
