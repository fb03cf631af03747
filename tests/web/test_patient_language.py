"""Staff set a patient's language on the patient's page (issue 19 point 1): every language in its
own script with its status; a draft language only with the confirmation ticked (the rule of
`pathbot patient add --draft-language`); the patient's row and conversation state change
together; audited; roles without EDIT_PATIENTS see no form."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.clinic.patient_language import DraftNotConfirmed, set_language
from bot.conversation import language_status
from bot.db import store
from bot.db.models import AuditLog, Patient
from tests.web.support import ConsoleHarness, csrf_of

PAGE = "/staff/patients/P002"


def _language(harness: ConsoleHarness) -> tuple[str, str]:
    """(the patient's locale, the conversation state's locale)"""
    with Session(harness.app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == "P002")).one()
        state = store.load_state(s, patient.id or 0, for_update=False)
        return patient.locale, state.locale


def _audits(harness: ConsoleHarness) -> list[AuditLog]:
    with Session(harness.app.db) as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == "patient.language")).all())


def test_every_language_in_its_own_script_with_its_status(harness: ConsoleHarness) -> None:
    html = harness.signed_in("coordinator").get(PAGE).text
    form = html[html.index("Change the patient's language") : html.index("Save the language")]
    for info in language_status.languages():
        label = form[form.index(f'value="{info.code}"') :]
        label = label[: label.index("</label>")]
        assert f'<span lang="{info.code}" dir="{info.direction}">{info.name}</span>' in label
        status = "source language" if info.source_language else info.status.value
        assert f">{status}</span>" in label, info.code
    assert 'value="en" checked' in form  # the patient's language now
    assert "draft</strong> language on purpose" in form


def test_a_draft_language_needs_the_box_ticked(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    token = csrf_of(client.get(PAGE).text)
    refused = client.post(f"{PAGE}/language", data={"locale": "ar", "csrf_token": token})
    assert refused.status_code == 400
    assert "Arabic (العربية) is a draft" in refused.text and "Tick the box" in refused.text
    assert 'value="ar" checked' in refused.text  # the choice is kept for a second try
    assert _language(harness) == ("en", "en") and _audits(harness) == []

    done = client.post(
        f"{PAGE}/language", data={"locale": "ar", "confirm_draft": "yes", "csrf_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?notice=language-changed"
    page = client.get(done.headers["location"]).text
    assert "Language changed" in page and '<span lang="ar" dir="rtl">العربية</span> (Arabic' in page
    assert _language(harness) == ("ar", "ar")
    (audit,) = _audits(harness)
    assert audit.actor == "coordinator" and audit.object_id == "P002"
    assert audit.detail == {
        "before": "en", "after": "ar", "status": "draft", "confirmed_draft": True,
    }  # fmt: skip


def test_a_language_that_is_not_draft_needs_no_box_and_the_same_one_changes_nothing(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("administrator")
    token = csrf_of(client.get(PAGE).text)
    client.post(
        f"{PAGE}/language", data={"locale": "es", "confirm_draft": "yes", "csrf_token": token}
    )
    assert _language(harness) == ("es", "es")
    back = client.post(f"{PAGE}/language", data={"locale": "en", "csrf_token": token})
    assert back.status_code == 303 and _language(harness) == ("en", "en")
    same = client.post(f"{PAGE}/language", data={"locale": "en", "csrf_token": token})
    assert same.headers["location"].endswith("notice=language-same")
    assert [a.detail["after"] for a in _audits(harness)] == ["es", "en"]
    unknown = client.post(f"{PAGE}/language", data={"locale": "xx", "csrf_token": token})
    assert unknown.status_code == 400 and "Choose one of the languages listed" in unknown.text
    missing = client.post(
        "/staff/patients/P999/language", data={"locale": "en", "csrf_token": token}
    )
    assert missing.status_code == 404 and "No patient P999" in missing.text


def test_roles_that_may_not_edit_see_no_form(harness: ConsoleHarness) -> None:
    for role in ("clinician", "researcher"):
        html = harness.signed_in(role).get(PAGE).text
        assert "Change the patient's language" not in html, role
        assert "(English, en)" in html  # the language and its status are still shown


def test_a_patient_without_a_conversation_yet_keeps_their_status(harness: ConsoleHarness) -> None:
    now = harness.clock()
    with Session(harness.app.db) as s:
        patient = Patient(study_id="P900", locale="en", timezone="UTC", created_at=now,
                          status="paused")  # fmt: skip
        s.add(patient)
        s.commit()
        change = set_language(s, patient, "fr", confirmed=True, now=now)
        s.commit()
        assert change is not None and change.before == "en" and change.confirmed_draft
        s.refresh(patient)
        assert (patient.locale, patient.status) == ("fr", "paused")
        with pytest.raises(DraftNotConfirmed):
            set_language(s, patient, "uk", confirmed=False, now=now)
