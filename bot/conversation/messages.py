"""Channel-neutral messages: what adapters turn provider payloads into, and what they render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.conversation.storable import storable

OutgoingKind = Literal["prompt", "reply", "crisis", "help", "confirmation", "trend", "call"]
# Safety replies: the crisis (and distress) answer and the HELP text with 911/988. Never
# cancelled by STOP, PAUSE, a crisis hold, quiet hours, the daily cap or a backlog; claimed
# first, never paced behind other recipients, retried until delivered or failed for good.
SAFETY_KINDS: tuple[OutgoingKind, ...] = ("crisis", "help")
# The pain trend after a DVPRS: text everywhere, a chart image where the channel can show one.
TREND_KIND: OutgoingKind = "trend"
# The item id of the language menu's options: pressing one answers no survey item.
LANGUAGE_ITEM = "language"
# The item id of the YES/NO offer to answer skipped questions at the end of a survey.
SKIPPED_OFFER_ITEM = "skipped"


@dataclass(frozen=True)
class ButtonPress:
    """A pressed answer button: the option code, the item it belongs to, and the survey
    (assignment) whose question showed it. Menus outside a survey have no survey."""

    item_id: str
    code: int
    survey: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One message from a patient, already authenticated by its channel adapter.

    Its strings are made storable on creation (bot/conversation/storable.py): whatever a
    provider delivers, nothing in an Inbound can make the database refuse it.
    """

    channel: str  # "console" | "telegram" | "sms" | ...
    address: str  # chat id, E.164 phone number, console user name
    provider_message_id: str  # unique per channel; a retried webhook repeats it
    text: str
    received_at: datetime
    # A pressed option button. Typed replies leave it None.
    button: ButtonPress | None = None
    # What the patient sent when it was not text: "voice", "photo", "sticker", "file" (a
    # caption, if any, is the text). Triage reads text only; the patient is asked to type.
    media: str | None = None
    # An edit of an earlier message: triaged (crisis language added by an edit is answered),
    # never read as a new answer to the question open now.
    edited: bool = False

    def __post_init__(self) -> None:
        for name in ("address", "provider_message_id", "text"):
            value = getattr(self, name)
            safe = storable(value)
            if safe != value:
                object.__setattr__(self, name, safe)


@dataclass(frozen=True)
class ReplyOption:
    """An answer the patient can pick: the number they type (or the button) and its label."""

    code: int
    label: str
    item_id: str
    survey: int | None = None  # the assignment whose question this is (buttons carry it)

    def as_dict(self) -> dict[str, str | int | None]:
        """The outbox's JSON form; channels read it back to draw buttons."""
        return {
            "code": self.code,
            "label": self.label,
            "item_id": self.item_id,
            "survey": self.survey,
        }


@dataclass(frozen=True)
class Outgoing:
    """One message to send. Channels with buttons show `options` as buttons; others as text."""

    kind: OutgoingKind
    text: str
    options: tuple[ReplyOption, ...] = ()
    hint: str = ""  # "Reply 1-5. SKIP, BACK, PAUSE": shown under the options on text channels
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HandleResult:
    """What became of one inbound message: handled (with the outbox rows it queued), a repeat
    the provider delivered again, a message from an address that is not enrolled, or one that
    could not be processed and was kept for staff (quarantined)."""

    status: Literal["processed", "duplicate", "unknown_sender", "quarantined"]
    outbox_ids: tuple[int, ...] = ()
