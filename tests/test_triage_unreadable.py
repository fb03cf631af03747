"""Text triage cannot read goes to staff as "needs human review", never silently to the parser
(issue 12 point 3), through the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clinic.alerts.notify import URGENT_KINDS
from bot.db.models import Alert, InboundMessage, ItemResponse
from bot.service.app import App, build_app
from bot.service.settings import Settings
from tests.support import FakeClock
from tests.test_pipeline import Patient1, _rows


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield built
    built.db.dispose()


def test_unreadable_text_is_an_urgent_needs_review_alert(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    p.say("ฉันทนไม่ไหวแล้ว อยากตาย")  # Thai: no rules file lists the script
    (alert,) = [a for a in _rows(app, Alert) if a.kind == "needs_review"]
    inbound = [m for m in _rows(app, InboundMessage) if m.id == alert.inbound_message_id]
    assert inbound and alert.status == "open"
    assert "needs_review" in URGENT_KINDS  # staff are told at once, like crisis alerts
    assert p.last  # the patient is answered (asked again), not left in silence
    assert _rows(app, ItemResponse) == []


def test_readable_text_raises_no_review(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    p.say("5")
    assert [a for a in _rows(app, Alert) if a.kind == "needs_review"] == []
