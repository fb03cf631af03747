"""The channel interface, and the closed family of sending errors.

    SendError
    ├── RetryableSendError   connection lost, throttled (429), provider 5xx: try again later
    └── FinalSendError       the message can never be delivered as it is
        └── ContactStopped   the patient opted out or blocked us (Twilio 21610, Telegram 403)

A channel reports every failure as one of these, so the dispatcher needs no provider knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class ChannelConfigError(Exception):
    """A channel's settings are missing or contradict each other; the message names the setting."""


class SendError(Exception):
    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RetryableSendError(SendError):
    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class FinalSendError(SendError):
    pass


class ContactStopped(FinalSendError):
    def __init__(
        self, message: str, *, code: str | None = None, identity_status: str = "stopped"
    ) -> None:
        super().__init__(message, code=code)
        # what the channel identity becomes: "stopped" (opted out) or "unreachable" (blocked)
        self.identity_status = identity_status


@dataclass(frozen=True)
class OutboundEnvelope:
    """What the dispatcher hands a channel: one outbox row, ready to render."""

    outbox_id: int
    address: str
    kind: str
    text: str
    hint: str
    options: tuple[dict[str, Any], ...]
    locale: str = "en"  # the patient's language, for the channel's own wording (SMS hints)
    # The dispatcher already waited for this message's pacing slot (`Paced.wait_turn`).
    turn_taken: bool = False


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundEnvelope) -> str:
        """Send one message; return the provider's message id, or raise a SendError."""
        ...


@runtime_checkable
class Paced(Protocol):
    """A channel that paces its sends (per chat, per number, by segments).

    The dispatcher waits for a message's slot first, then checks its send rules again, then
    sends (with `turn_taken`): a STOP that arrives while a message waits for its slot stops it.
    A message sent without `turn_taken` waits for its slot inside `send`."""

    async def wait_turn(self, message: OutboundEnvelope) -> float:
        """Wait until this message may go; returns the seconds waited."""
        ...


@runtime_checkable
class Segmented(Protocol):
    """A channel whose messages are billed and paced in parts (SMS segments): the dispatcher
    writes how many parts a message took in the same record that says it was sent."""

    def segments(self, message: OutboundEnvelope) -> int | None:
        """How many parts this message takes."""
        ...


class ChannelAdapter(Channel, Protocol):
    """A channel that runs inside `pathbot run`: it sends, and may serve webhook routes and run
    background work (polling). Inbound messages go to its port (`bot/channels/port.py`)."""

    def routes(self) -> list[Any]:
        """Starlette routes this channel serves (webhooks, status callbacks); may be empty."""
        ...

    async def start(self) -> None:
        """Start background work (set the webhook, start polling); called once at start-up."""
        ...

    async def stop(self) -> None: ...


class Secret(Protocol):
    """A secret setting (pydantic's SecretStr): read only where it is used."""

    def get_secret_value(self) -> str: ...
