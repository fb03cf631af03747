"""Messages in the console (TestClient, real app on the demo clinic): the outbox with the
provider's error, cancel one that has not gone, resend one that failed, the invitation log."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from bot.db.models import AuditLog, OutboxMessage
from tests.web.support import ConsoleHarness, csrf_of


def test_the_outbox_shows_the_providers_error_and_a_failed_message_is_resent(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    page = client.get("/staff/messages?status=failed").text
    assert "provider error 30003" in page and "P002" in page
    failed = re.search(r"/staff/messages/(\d+)/resend", page)
    assert failed is not None
    resent = client.post(failed.group(0), data={"csrf_token": csrf_of(page)})
    assert resent.status_code == 303
    assert "Message queued again" in client.get(resent.headers["location"]).text
    with Session(harness.app.db) as s:
        original = s.get(OutboxMessage, int(failed.group(1)))
        assert original is not None
        copy = s.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.dedupe_key).startswith(f"{original.dedupe_key}:resend")
            )
        ).one()
        assert copy.status == "pending" and copy.body == original.body
        assert copy.address == original.address and copy.not_before == harness.clock()
        audit = s.exec(select(AuditLog).where(AuditLog.action == "message.resend")).one()
        assert audit.detail["copy"] == copy.id


def test_a_pending_message_is_cancelled_and_a_sent_one_cannot_be(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    preview = client.get("/staff/events/4?action=cancel").text
    client.post("/staff/events/4/cancel", data={"csrf_token": csrf_of(preview), "told": "5"})
    page = client.get("/staff/messages?kind=notice&status=pending").text
    assert "5 messages" in page and "is cancelled" in page
    first = re.search(r"/staff/messages/(\d+)/cancel", page)
    assert first is not None
    done = client.post(first.group(0), data={"csrf_token": csrf_of(page)})
    assert "Message cancelled" in client.get(done.headers["location"]).text
    again = client.post(first.group(0), data={"csrf_token": csrf_of(page)})
    assert "nothing changed" in client.get(again.headers["location"]).text
    with Session(harness.app.db) as s:
        row = s.get(OutboxMessage, int(first.group(1)))
        assert row is not None and row.status == "cancelled" and row.error_code == "staff"
        sent = s.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")).first()
        assert sent is not None
    refused = client.post(f"/staff/messages/{sent.id}/cancel", data={"csrf_token": csrf_of(page)})
    assert "nothing changed" in client.get(refused.headers["location"]).text
    resend_sent = client.post(
        f"/staff/messages/{sent.id}/resend", data={"csrf_token": csrf_of(page)}
    )
    assert resend_sent.status_code == 400 and "Not resent" in resend_sent.text


def test_who_sees_what_on_the_messages_page(harness: ConsoleHarness) -> None:
    clinician = harness.signed_in("clinician").get("/staff/messages").text
    assert "Text</th>" in clinician and "Actions</th>" not in clinician
    assert harness.signed_in("researcher").get("/staff/messages").status_code == 403
    invitations = harness.signed_in("coordinator").get("/staff/messages?view=invitations").text
    assert "Invitation codes" in invitations
