"""An inbound message that fails for a reason a retry cannot fix is quarantined, never retried for
ever; an outage is still retried. (The real database refusals, on PostgreSQL, are in
tests/drills/test_drill_bad_data.py; here a bug is injected into the pipeline to fail it.)"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.channels.port import BackendUnavailable
from bot.conversation.messages import HandleResult, Inbound
from bot.db.models import Alert, OutboxMessage
from bot.db.reliability_models import QuarantinedInbound
from bot.service.backend import Backend
from bot.service.quarantine import error_summary
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock


def _address(app: object, patient_id: int) -> str:
    from bot.db.models import ChannelIdentity

    with Session(app.db) as s:  # type: ignore[attr-defined]
        return s.exec(
            select(ChannelIdentity.address).where(ChannelIdentity.patient_id == patient_id)
        ).one()


async def test_a_message_the_pipeline_fails_on_is_kept_alerted_and_answered(
    db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(db_url, clock)
    pid = add_patient(app, "Q001")
    address = _address(app, pid)

    def broken(inbound: Inbound) -> HandleResult:
        raise KeyError("a bug")

    monkeypatch.setattr(app.pipeline, "handle", broken)
    backend = Backend(app)
    crisis = Inbound("sms", address, "SMq1", "i want to kill myself", clock())
    first = await backend.receive(crisis)
    again = await backend.receive(crisis)  # the provider's redelivery
    plain = await backend.receive(Inbound("sms", address, "SMq2", "hello there", clock()))
    assert (first.status, again.status, plain.status) == ("quarantined", "duplicate", "quarantined")
    with Session(app.db) as s:
        kept = s.exec(select(QuarantinedInbound)).all()
        alerts = s.exec(select(Alert)).all()
        replies = s.exec(select(OutboxMessage)).all()
    assert [json.loads(q.body) for q in kept] == ["i want to kill myself", "hello there"]
    assert kept[0].error.startswith("KeyError at bot/")  # where, never the message
    assert sorted(a.kind for a in alerts) == ["crisis", "quarantined", "quarantined"]
    assert [r.kind for r in replies] == ["crisis", "reply"]
    assert "988" in replies[0].body and "could not process" in replies[1].body
    app.db.dispose()


async def test_an_outage_is_retried_not_quarantined(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sqlite_url, clock)
    pid = add_patient(app, "Q002")

    def away(inbound: Inbound) -> HandleResult:
        raise OperationalError("INSERT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(app.pipeline, "handle", away)
    with pytest.raises(BackendUnavailable):
        await Backend(app).receive(Inbound("sms", _address(app, pid), "SMq3", "3", clock()))
    with Session(app.db) as s:
        assert s.exec(select(QuarantinedInbound)).all() == []
    app.db.dispose()


def test_the_error_summary_never_quotes_the_values() -> None:
    try:
        raise ValueError("+18025550123 said: I want to die")
    except ValueError as exc:
        summary = error_summary(exc)
    assert summary.startswith("ValueError") and "+1802" not in summary and "die" not in summary
