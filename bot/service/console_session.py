"""A simulated patient on the console channel, over the real pipeline and dispatcher.

Used by `pathbot demo`, `pathbot simulate`, the golden transcripts and staff training.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import TextIO

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel, Style
from bot.conversation.messages import Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App
from bot.service.dispatcher import dispatch_pending

CONSOLE_CONSENT_VERSION = "console-1"


class ConsoleSession:
    """One simulated patient talking through the console channel."""

    def __init__(self, app: App, *, locale: str, style: Style, out: TextIO, as_json: bool) -> None:
        self.app = app
        # Always "console", whatever the style: dispatching "sms" here sent (to this terminal)
        # and marked sent the real patients' queued SMS when simulate ran on a clinic database.
        self.channel_name = ConsoleChannel.name
        self.channel = ConsoleChannel(out, style=style, as_json=as_json)
        self.study_id = f"demo-{uuid.uuid4().hex[:8]}"
        self._message_ids = itertools.count(1)
        now = app.pipeline.now()
        with session_scope(app.db) as session:
            patient = store.add_patient(
                session,
                study_id=self.study_id,
                now=now,
                locale=locale,
                timezone=app.settings.default_timezone,
            )
            store.bind_channel(
                session,
                patient=patient,
                channel=self.channel_name,
                address=self.study_id,
                consent_text_version=CONSOLE_CONSENT_VERSION,
                method="console",
                now=now,
            )
            assert patient.id is not None
            self.patient_id = patient.id

    def start(self, instrument_id: str) -> None:
        self.app.pipeline.start_survey(self.patient_id, instrument_id)
        self._flush()

    def say(self, text: str) -> None:
        inbound = Inbound(
            channel=self.channel_name,
            address=self.study_id,
            provider_message_id=f"{self.study_id}-{next(self._message_ids)}",
            text=text,
            received_at=self.app.pipeline.now(),
        )
        self.app.pipeline.handle(inbound)
        self._flush()

    def _flush(self) -> None:
        channels: dict[str, Channel] = {self.channel_name: self.channel}
        asyncio.run(dispatch_pending(self.app.db, channels, self.app.pipeline.now()))
