"""Twilio voice webhooks: a call starts, a <Gather> heard something, a call's status changed.

Authenticated exactly as the SMS webhooks are (bot/channels/sms/webhooks.py): the body must be
a URL-encoded form within the same limits (415/413/400), and the X-Twilio-Signature over the
public URL and the form is checked before a single field is read (403 otherwise). Fields are
checked against Twilio's formats (400 naming the field); nothing is truncated or guessed.

A webhook that cannot reach the database still answers TwiML: the caller hears that the line
cannot take answers now and the crisis number, never Twilio's "application error".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Literal

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.channels.port import BackendUnavailable, ChannelPort
from bot.channels.sms.webhooks import (
    MAX_ADDRESS_CHARS,
    SID,
    STATUS_WORD,
    Refused,
    WebhookConfig,
    authenticated_form,
)
from bot.channels.voice.audio import AudioSigner
from bot.channels.voice.script import Clip, TurnKind, VoiceScript, VoiceTurn
from bot.channels.voice.twiml import render
from bot.conversation.phone import InvalidPhoneNumber, to_e164

log = logging.getLogger(__name__)

CHANNEL = "voice"
CALL_PATH = "/twilio/voice"
GATHER_PATH = "/twilio/voice/gather"
STATUS_PATH = "/twilio/voice/status"
TWIML = "application/xml"
DIGITS = re.compile(r"[0-9*#]{0,32}")
STEP = re.compile(r"[0-9]{1,4}")
MAX_SPEECH_CHARS = 1000  # a sentence or two; Twilio's transcripts of a gather are short
ENDED = ("completed", "busy", "no-answer", "failed", "canceled")

# Said when the database cannot be reached: no health detail, and the way to help now.
UNAVAILABLE = VoiceScript(
    said=(
        "Sorry, this line cannot take your answers right now. Please call again later. "
        "If you need help now, hang up and call 9 8 8.",
    )
)


def call_endpoint(
    config: WebhookConfig, port: ChannelPort, kind: TurnKind
) -> Callable[[Request], Awaitable[Response]]:
    """The call's start (the number's voice URL, or an outbound call's URL) or a gather."""

    async def voice_call(request: Request) -> Response:
        try:
            form = await authenticated_form(request, config)
            if form is None:
                log.warning("refused a voice webhook with a missing or invalid signature")
                port.count_rejected(CHANNEL, "signature")
                return Response(status_code=403)
            turn = _turn(form, kind, request.query_params.get("s"))
        except Refused as refused:
            port.count_rejected(CHANNEL, f"http_{refused.status}")
            return refused.response()
        try:
            script = await port.voice_turn(turn)
        except BackendUnavailable as exc:
            log.warning("voice %s: database unavailable (%s)", kind, exc)
            script = UNAVAILABLE
        signer = AudioSigner.from_auth_token(config.auth_token) if config.auth_token else None

        def play_url(clip: Clip) -> str:
            assert signer is not None  # no token: the request was refused above
            return signer.url(config.public_base_url or "", clip.clip, port.now())

        return Response(
            render(script, next_step=turn.step + 1, play_url=play_url), media_type=TWIML
        )

    return voice_call


def status_endpoint(
    config: WebhookConfig, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def voice_status(request: Request) -> Response:
        try:
            form = await authenticated_form(request, config)
            if form is None:
                log.warning("refused a voice status callback with a missing or invalid signature")
                port.count_rejected("voice_status", "signature")
                return Response(status_code=403)
            sid = _sid(form)
            status = _field(form, "CallStatus")
            if not STATUS_WORD.fullmatch(status):
                raise Refused(400, "CallStatus")
        except Refused as refused:
            port.count_rejected("voice_status", f"http_{refused.status}")
            return refused.response()
        try:
            await port.voice_status(sid, status)
        except BackendUnavailable as exc:  # Twilio retries a failed status callback
            log.warning("voice status: database unavailable (%s)", exc)
            return Response(status_code=503, headers={"Retry-After": "10"})
        return Response(status_code=200)

    return voice_status


def _turn(form: FormData, kind: TurnKind, step: str | None) -> VoiceTurn:
    sid = _sid(form)
    direction: Literal["inbound", "outbound"] = (
        "outbound" if _field(form, "Direction").startswith("outbound") else "inbound"
    )
    party = _field(form, "To" if direction == "outbound" else "From")
    if not party:
        raise Refused(400, "To" if direction == "outbound" else "From")
    address = _address(party)
    if len(address) > MAX_ADDRESS_CHARS:
        raise Refused(400, "From")
    number = 0
    if kind == "gather":
        if step is None or not STEP.fullmatch(step):
            raise Refused(400, "s")
        number = int(step)
    digits = _field(form, "Digits")
    if not DIGITS.fullmatch(digits):
        raise Refused(400, "Digits")
    speech = _field(form, "SpeechResult")
    if len(speech) > MAX_SPEECH_CHARS:
        raise Refused(400, "SpeechResult")
    answered_by = _field(form, "AnsweredBy") or None
    if answered_by is not None and not STATUS_WORD.fullmatch(answered_by):
        raise Refused(400, "AnsweredBy")
    return VoiceTurn(
        call_sid=sid,
        step=number,
        address=address,
        direction=direction,
        kind=kind,
        digits=digits,
        speech=speech.strip(),
        answered_by=answered_by,
    )


def _sid(form: FormData) -> str:
    sid = _field(form, "CallSid")
    if not SID.fullmatch(sid):
        raise Refused(400, "CallSid")
    return sid


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _address(party: str) -> str:
    try:
        return to_e164(party)
    except InvalidPhoneNumber:
        return party  # "anonymous", a SIP address: kept as Twilio wrote it (no patient has it)
