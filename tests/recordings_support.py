"""A clinic's folder of recorded prompts, made for a test: one small WAV per prompt, each file's
sound unique, so a test can tell from the bytes Twilio fetched which recording was played."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import yaml

from bot.service.voice.recordings import RECORDED_PROMPTS
from surveys.loader import load_instrument


def wav(name: str) -> bytes:
    """A valid 8 kHz mono WAV whose samples spell `name` (unique per file)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(name.encode())
    return buffer.getvalue()


def make_recordings(
    root: Path, locale: str = "ne", instruments: tuple[str, ...] = ("dvprs",)
) -> dict[bytes, str]:
    """Fill root/<locale>/ with a complete manifest and its files; returns sound -> file name."""
    folder = root / locale
    folder.mkdir(parents=True, exist_ok=True)
    sounds: dict[bytes, str] = {}

    def audio(name: str) -> str:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = wav(f"{locale}/{name}")
        path.write_bytes(data)
        sounds[data] = name
        return name

    manifest: dict[str, object] = {
        "version": f"{locale}-recordings-1",
        "prompts": {key: audio(f"{key}.wav") for key in sorted(RECORDED_PROMPTS)},
        "instruments": {},
    }
    for instrument_id in instruments:
        instrument = load_instrument(instrument_id)
        manifest["instruments"][instrument_id] = {  # type: ignore[index]
            "intro": audio(f"{instrument_id}/intro.wav"),
            "items": {
                item.id: {
                    "stem": audio(f"{instrument_id}/{item.id}.wav"),
                    "options": {
                        code: audio(f"{instrument_id}/{item.id}_{code}.wav") for code in item.codes
                    },
                }
                for item in instrument.items
            },
        }
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    return sounds
