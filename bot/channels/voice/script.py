"""What a call turn carries in (`VoiceTurn`) and what the service answers (`VoiceScript`).

Provider-neutral: the Twilio adapter turns webhook forms into turns and scripts into TwiML; the
service decides. A script is plain data so it can be stored per call step and answered again,
unchanged, when Twilio repeats a webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

TurnKind = Literal["start", "gather"]


@dataclass(frozen=True)
class Clip:
    """A recorded prompt to play (<Play>), for a language Twilio cannot speak.

    `clip` is an opaque id (a keyed hash, bot/service/voice/recordings.py): the URL Twilio fetches
    carries it and nothing else, so no item, answer or language shows in a URL or a log.
    `name` is the file's path in the clinic's folder, for staff and the simulator only."""

    clip: str
    name: str


@dataclass(frozen=True)
class AudioFile:
    """A recording to serve for a clip: where it is and its media type (audio/mpeg, audio/wav)."""

    path: Path
    content_type: str


# What a call says: text for <Say>, or a recording for <Play>.
Line = str | Clip


def line_to_data(line: Line) -> Any:
    return line if isinstance(line, str) else {"clip": line.clip, "name": line.name}


def line_from_data(data: Any) -> Line:
    if isinstance(data, dict):
        return Clip(str(data["clip"]), str(data["name"]))
    return str(data)


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

    prompt: tuple[Line, ...]
    num_digits: int  # the gather ends after this many keys (or a few seconds of silence)
    timeout_seconds: int = 5


@dataclass(frozen=True)
class VoiceScript:
    """Say `said`, then either listen, or connect to `dial` (a crisis line), or hang up."""

    said: tuple[Line, ...]
    listen: Listen | None = None
    dial: str | None = None
    after_dial: tuple[Line, ...] = ()  # said when the dialled call ends, before hanging up
    language: str = "en-US"  # BCP-47, for <Say>
    voice: str | None = None  # a neural voice where Twilio has one for the language
    # <Gather language> for speech recognition; None: the call listens for keys only (a
    # language Twilio cannot recognise). Defaults to `language` (scripts stored before it).
    speech: str | None = "en-US"

    def to_dict(self) -> dict[str, Any]:
        listen = None
        if self.listen is not None:
            listen = {
                "prompt": [line_to_data(x) for x in self.listen.prompt],
                "num_digits": self.listen.num_digits,
                "timeout_seconds": self.listen.timeout_seconds,
            }
        return {
            "said": [line_to_data(x) for x in self.said],
            "listen": listen,
            "dial": self.dial,
            "after_dial": [line_to_data(x) for x in self.after_dial],
            "language": self.language,
            "voice": self.voice,
            "speech": self.speech,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceScript:
        listen = data.get("listen")
        language = str(data.get("language", "en-US"))
        return cls(
            said=tuple(line_from_data(x) for x in data.get("said", ())),
            listen=Listen(
                prompt=tuple(line_from_data(x) for x in listen["prompt"]),
                num_digits=int(listen["num_digits"]),
                timeout_seconds=int(listen["timeout_seconds"]),
            )
            if listen
            else None,
            dial=data.get("dial"),
            after_dial=tuple(line_from_data(x) for x in data.get("after_dial", ())),
            language=language,
            voice=data.get("voice"),
            speech=data["speech"] if "speech" in data else language,
        )
