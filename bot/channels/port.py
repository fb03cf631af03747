"""The port: everything a channel may ask of the rest of pathbot, and nothing more.

In the spirit of RapidPro courier's `Backend`, a channel never opens the database, reads the
settings or calls the pipeline itself; it is handed an object with these methods (implemented by
`bot/service/backend.py`) and is tested against it. Outbound, the service's dispatcher claims what
is due and calls the channel's `send` with an `OutboundEnvelope` (`bot/channels/base.py`).

Every method that touches the database may raise `BackendUnavailable`: the database is away or
stalled, nothing was stored, and a webhook should answer 503 so the provider delivers again (the
inbound dedupe makes the second delivery harmless).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.channels.voice.script import AudioFile, VoiceScript, VoiceTurn
from bot.conversation.messages import ButtonPress, HandleResult, Inbound


class BackendUnavailable(Exception):
    """The database cannot be reached now; nothing was stored, the caller should retry later."""


@dataclass(frozen=True)
class DeliveryStatus:
    """A provider's report on one message we sent (Twilio status callback, say)."""

    channel: str
    outbox_id: int | None  # ours, when the callback URL carried it
    provider_message_id: str
    status: str  # the provider's word: queued, sent, delivered, undelivered, failed, ...
    error_code: str | None
    contact_stopped: bool = False  # the provider says the patient opted out (Twilio 21610)


@dataclass(frozen=True)
class PressOutcome:
    """What became of a pressed button, found in one step (`ChannelPort.receive_press`)."""

    enrolled: bool  # the chat belongs to a patient (else nothing was stored)
    live: bool  # the button belongs to the question open now (else nothing was stored)
    result: HandleResult | None  # the pipeline's, when the press went through
    stored: bool  # it was stored as the answer to that question
    locale: str  # the patient's language (the default for strangers)


class ChannelPort(Protocol):
    def now(self) -> datetime:
        """The service's clock (injected, so tests and simulations control time)."""
        ...

    async def receive(self, inbound: Inbound) -> HandleResult:
        """Run one authenticated inbound message through triage, keywords and the engine;
        its replies are queued and the dispatcher woken. Dedupes on the provider's id."""
        ...

    async def receive_chat(
        self, inbound: Inbound, *, command: tuple[str, str] | None, locale_hint: str
    ) -> HandleResult:
        """A chat message (or an edit of one, `inbound.edited`) in one step: whether the chat
        is enrolled (and reachable again), then `enrol` for `/start <code>` from a new chat,
        `refuse_stranger` for anything else from one (a stranger's edit is ignored),
        `request_survey` of the DVPRS for `/pain`, and `receive` for the rest (`/start` from
        an enrolled chat as the START keyword). `command` is a command's (name, argument)."""
        ...

    async def is_enrolled(self, channel: str, address: str) -> bool:
        """Whether this address belongs to a patient (and mark a blocked chat reachable again,
        since it wrote to us)."""
        ...

    async def enrol(self, inbound: Inbound, code: str, locale_hint: str) -> HandleResult:
        """Redeem a one-time enrolment code for this address (Telegram's `/start <code>`):
        bind it to the patient, record consent, ask for a language; or queue why not."""
        ...

    async def refuse_stranger(self, inbound: Inbound, locale_hint: str) -> HandleResult:
        """Store a message from an address that is not enrolled and queue how to join."""
        ...

    async def request_survey(self, inbound: Inbound, instrument_id: str) -> HandleResult:
        """The patient asked for a survey now (Telegram's `/pain`)."""
        ...

    async def set_reachable(self, channel: str, address: str, *, reachable: bool) -> None:
        """The provider told us the patient blocked (or unblocked) us."""
        ...

    async def record_status(self, update: DeliveryStatus) -> None:
        """Record a delivery report; a final failure may fall back to another channel."""
        ...

    async def locale_of(self, channel: str, address: str) -> str:
        """The language of the patient at this address (the default for strangers)."""
        ...

    async def button_is_live(self, channel: str, address: str, press: ButtonPress) -> bool:
        """Whether a pressed button belongs to the question open now for this address: that
        item of that survey, or a menu that is open. A stale press must change nothing."""
        ...

    async def receive_press(self, inbound: Inbound) -> PressOutcome:
        """A pressed button (`inbound.button`) in one step: whether the chat is enrolled (and
        reachable again), whether the button is live, the pipeline's result, whether the answer
        was stored, and the patient's language. Dedupes on the provider's id."""
        ...

    async def answer_stored(self, channel: str, provider_message_id: str) -> bool:
        """Whether an inbound message (a button press) was stored as an answer."""
        ...

    async def pain_chart(self, channel: str, address: str) -> bytes | None:
        """The patient's pain trend as a PNG, or None when there is nothing to draw."""
        ...

    async def voice_turn(self, turn: VoiceTurn) -> VoiceScript:
        """One step of a phone call: what to say next and what to listen for. Idempotent on
        (call sid, step): a repeated webhook gets the same script and changes nothing."""
        ...

    async def voice_status(self, call_sid: str, status: str) -> None:
        """Twilio's word on a call (completed, busy, no-answer, ...)."""
        ...

    async def voice_audio(self, clip: str) -> AudioFile | None:
        """The recorded prompt with this opaque id (the clinic's folder), None when unknown."""
        ...

    async def live_call(self, channel: str, address: str) -> str | None:
        """The sid of the call in progress with this number, if there is one."""
        ...

    def count_rejected(self, channel: str, reason: str) -> None:
        """Count a webhook refused before anything was read (bad signature or secret)."""
        ...
