"""Recorded prompts served to Twilio: a signed, expiring URL per clip, and the route serving it.

<Play> makes Twilio GET a URL. Ours is /twilio/voice/audio/<clip>?e=<expiry>&s=<signature>. The
clip id is opaque (a keyed hash of the file's place in the clinic's folder, made by the service:
bot/service/voice/recordings.py), so a URL says nothing of the question, the answer or even the
language. The signature (HMAC-SHA256 over the clip and the expiry, with a key derived from the
Twilio auth token) means only URLs pathbot wrote fetch anything, and only for a while: a bad or
expired signature is 403, an unknown clip 404. Nothing of the request is logged but the outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.port import ChannelPort

log = logging.getLogger(__name__)

AUDIO_PATH = "/twilio/voice/audio"
URL_LIFETIME = timedelta(hours=2)  # a call is shorter; Twilio fetches a <Play> when it reaches it
CLIP = re.compile(r"[0-9a-f]{32}")
EXPIRY = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AudioSigner:
    key: bytes

    @classmethod
    def from_auth_token(cls, token: str) -> AudioSigner:
        # a key of its own, derived: a leaked audio URL never helps forge a webhook signature
        return cls(hmac.new(token.encode(), b"pathbot voice audio urls", hashlib.sha256).digest())

    def url(self, base: str, clip: str, now: datetime) -> str:
        expires = int((now + URL_LIFETIME).timestamp())
        return f"{base.rstrip('/')}{AUDIO_PATH}/{clip}?e={expires}&s={self._sign(clip, expires)}"

    def valid(self, clip: str, expires: str, signature: str, now: datetime) -> bool:
        if not (CLIP.fullmatch(clip) and EXPIRY.fullmatch(expires)):
            return False
        if not SIGNATURE.fullmatch(signature) or int(expires) < now.timestamp():
            return False
        return hmac.compare_digest(self._sign(clip, int(expires)), signature)

    def _sign(self, clip: str, expires: int) -> str:
        return hmac.new(self.key, f"{clip}:{expires}".encode(), hashlib.sha256).hexdigest()


def audio_endpoint(
    signer: AudioSigner | None, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def voice_audio(request: Request) -> Response:
        clip = request.path_params.get("clip", "")
        query = request.query_params
        if signer is None or not signer.valid(
            clip, query.get("e", ""), query.get("s", ""), port.now()
        ):
            port.count_rejected("voice_audio", "signature")
            return Response(status_code=403)
        audio = await port.voice_audio(clip)
        if audio is None:
            log.warning("voice audio: a signed clip is no longer in the recordings")
            return Response(status_code=404)
        try:
            content = await asyncio.to_thread(audio.path.read_bytes)
        except OSError as exc:
            log.error("voice audio: a recording cannot be read (%s)", type(exc).__name__)
            return Response(status_code=503, headers={"Retry-After": "5"})
        return Response(content, media_type=audio.content_type)

    return voice_audio
