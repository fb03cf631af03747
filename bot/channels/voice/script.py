"""What a call turn carries in (`VoiceTurn`) and what the service answers (`VoiceScript`).

Provider-neutral: the Twilio adapter turns webhook forms into turns and scripts into TwiML; the
service decides. A script is plain data so it can be stored per call step and answered again,
unchanged, when Twilio repeats a webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

TurnKind = Literal["start", "gather"]


@dataclass(frozen=True)
class VoiceTurn:
    """One webhook of a call: it started (answered), or a <Gather> heard something (or not)."""

    call_sid: str
    step: int  # 0 when the call starts; each gather's action URL carries the next number
    address: str  # the patient's number: From on an inbound call, To on an outbound one
    direction: Literal["inbound", "outbound"]
    kind: TurnKind
    digits: str = ""  # keys pressed, '*' and '#' included (finishOnKey is off)
    speech: str = ""  # what speech recognition heard, if anything
    answered_by: str | None = None  # answering-machine detection: human, machine_start, ...


@dataclass(frozen=True)
class Listen:
    """Wait for keys or speech; `prompt` is said while listening (the caller may press early)."""

    prompt: tuple[str, ...]
    num_digits: int  # the gather ends after this many keys (or a few seconds of silence)
    timeout_seconds: int = 5


@dataclass(frozen=True)
class VoiceScript:
    """Say `said`, then either listen, or connect to `dial` (a crisis line), or hang up."""

    said: tuple[str, ...]
    listen: Listen | None = None
    dial: str | None = None
    after_dial: tuple[str, ...] = ()  # said when the dialled call ends, before hanging up
    language: str = "en-US"  # BCP-47, for <Say> and speech recognition
    voice: str | None = None  # a neural voice where Twilio has one for the language

    def to_dict(self) -> dict[str, Any]:
        listen = None
        if self.listen is not None:
            listen = {
                "prompt": list(self.listen.prompt),
                "num_digits": self.listen.num_digits,
                "timeout_seconds": self.listen.timeout_seconds,
            }
        return {
            "said": list(self.said),
            "listen": listen,
            "dial": self.dial,
            "after_dial": list(self.after_dial),
            "language": self.language,
            "voice": self.voice,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceScript:
        listen = data.get("listen")
        return cls(
            said=tuple(data.get("said", ())),
            listen=Listen(
                prompt=tuple(listen["prompt"]),
                num_digits=int(listen["num_digits"]),
                timeout_seconds=int(listen["timeout_seconds"]),
            )
            if listen
            else None,
            dial=data.get("dial"),
            after_dial=tuple(data.get("after_dial", ())),
            language=str(data.get("language", "en-US")),
            voice=data.get("voice"),
        )
