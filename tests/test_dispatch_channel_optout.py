"""A channel the patient stopped or blocked gets nothing unsolicited; the other channel does."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from sqlmodel import Session, select

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.conversation.messages import Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage
from bot.service.app import build_app
from bot.service.dispatcher import dispatch_pending
from bot.service.settings import Settings
from tests.support import FakeClock


def test_blocked_channel_is_skipped_and_the_other_channel_used(db_url: str) -> None:
    clock = FakeClock()
    app = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    telegram, sms = ConsoleChannel(io.StringIO()), ConsoleChannel(io.StringIO())
    with session_scope(app.db) as s:
        patient = store.add_patient(s, study_id="P1", now=clock())
        patient.preferred_channel = "telegram"
        tg = store.bind_channel(
            s,
            patient=patient,
            channel="telegram",
            address="42",
            consent_text_version="t",
            method="deep_link",
            now=clock(),
        )
        store.bind_channel(
            s,
            patient=patient,
            channel="sms",
            address="+18025550199",
            consent_text_version="t",
            method="keyword",
            now=clock(),
        )
        tg.status = "unreachable"  # the patient blocked the bot
        s.add(tg)
        store.enqueue(
            s,
            patient_id=patient.id,
            channel="telegram",
            address="42",
            messages=[Outgoing("prompt", "Q1/5. How is your pain?")],
            dedupe_prefix="t",
            now=clock(),
        )
        store.enqueue(
            s,
            patient_id=patient.id,
            channel="telegram",
            address="42",
            messages=[Outgoing("crisis", "Call 911 or 988.")],
            dedupe_prefix="c",
            now=clock(),
            in_reply_to=None,
        )
    channels: dict[str, Channel] = {"telegram": telegram, "sms": sms}
    clock.advance(seconds=1)
    asyncio.run(dispatch_pending(app.db, channels, clock()))
    asyncio.run(dispatch_pending(app.db, channels, clock() + timedelta(seconds=1)))
    assert [m.text for m in telegram.sent] == ["Call 911 or 988."]
    assert [m.text for m in sms.sent] == ["Q1/5. How is your pain?"]
    with Session(app.db) as s:
        cancelled = s.exec(select(OutboxMessage).where(OutboxMessage.status == "cancelled")).all()
        assert [r.error_code for r in cancelled] == ["channel_stopped"]
        identity = s.exec(
            select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
        ).one()
        assert identity.status == "unreachable"
    app.db.dispose()
