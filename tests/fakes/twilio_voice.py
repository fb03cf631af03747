"""A fake of Twilio Programmable Voice, playing Twilio's part in a call over real HTTP.

Twilio runs a call by fetching TwiML: it POSTs the number's voice URL when the call starts,
executes the document (<Say>, <Play>, <Gather>, <Dial>, <Hangup>; a <Play> is a GET of its URL,
which must answer 200 with audio), and when a <Gather> ends it POSTs its
`action` URL with what it heard (Digits, SpeechResult) and executes the answer; when the document
runs out the call ends and its status callback gets CallStatus=completed. Every request is signed
with the twilio package's RequestValidator over the public URL, as Twilio does.

The fake is strict where a test could fool itself: keys beyond a gather's numDigits, a gather
that listens for neither keys and speech nor keys alone, speech to a gather that listens for keys
only, a <Play> that does not fetch audio, or input while no gather is open raise at once.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

import httpx
from twilio.request_validator import RequestValidator

Signature = Literal["valid", "forged", "missing"]
TWILIO_WEBHOOK_TIMEOUT = 15.0


@dataclass
class Gathering:
    action: str  # absolute public URL
    num_digits: int
    timeout: int
    language: str
    speech: bool  # it listens for speech too (input="dtmf speech")


@dataclass
class FakeCall:
    voice: FakeTwilioVoice
    sid: str
    caller: str
    called: str
    direction: str
    status_url: str | None
    heard: list[str] = field(default_factory=list)  # every <Say>, in order
    # every <Play>, in order: the audio fetched (what the caller heard), and the URL
    played: list[bytes] = field(default_factory=list)
    play_urls: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)  # what the latest document said
    dialed: list[str] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    voices: set[str] = field(default_factory=set)
    gathering: Gathering | None = None
    ended: bool = False
    documents: int = 0

    @property
    def said(self) -> str:
        """The latest document's words, as one string (for `in` checks)."""
        return " ".join(self.last)

    async def press(self, keys: str) -> None:
        """Keys on the keypad; fewer than numDigits are sent after the gather's timeout."""
        gather = self._open_gather()
        if len(keys) > gather.num_digits:
            raise AssertionError(f"{keys!r} is more than the {gather.num_digits} keys listened for")
        await self._answer(gather, {"Digits": keys, "FinishedOnKey": ""})

    async def speak(self, words: str, confidence: float = 0.9) -> None:
        gather = self._open_gather()
        if not gather.speech:
            raise AssertionError("the gather listens for keys only")
        await self._answer(gather, {"SpeechResult": words, "Confidence": f"{confidence:.2f}"})

    async def silence(self) -> None:
        """The gather times out with nothing heard (actionOnEmptyResult posts anyway)."""
        gather = self._open_gather()
        await self._answer(gather, {})

    async def hang_up(self) -> None:
        """The caller hangs up mid-call: Twilio stops and reports the call completed."""
        self.gathering = None
        await self._end()

    async def repeat_last_request(self) -> httpx.Response:
        """Twilio repeating the last webhook (a retry after a timeout)."""
        assert self.voice.last_request is not None
        url, params = self.voice.last_request
        return await self.voice.post_signed(url, params)

    def _open_gather(self) -> Gathering:
        if self.ended or self.gathering is None:
            raise AssertionError("the call is not listening (it ended, or nothing is open)")
        return self.gathering

    async def _answer(self, gather: Gathering, heard: dict[str, str]) -> None:
        self.gathering = None
        params = {**self.params("in-progress"), **heard}
        response = await self.voice.post_signed(gather.action, params)
        await self.run(gather.action, response)

    def params(self, status: str) -> dict[str, str]:
        return {
            "AccountSid": self.voice.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": status,
            "Direction": self.direction,
            "From": self.caller,
            "To": self.called,
            "Caller": self.caller,
            "Called": self.called,
        }

    async def run(self, document_url: str, response: httpx.Response) -> None:
        """Execute a TwiML document as Twilio would, up to a gather or the call's end."""
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.documents += 1
        self.last = []
        root = ET.fromstring(response.text)
        assert root.tag == "Response"
        for verb in root:
            if verb.tag == "Say":
                self._say(verb)
            elif verb.tag == "Play":
                await self._play(verb)
            elif verb.tag == "Gather":
                assert verb.get("input") in ("dtmf speech", "dtmf"), verb.get("input")
                assert verb.get("finishOnKey") == "" and verb.get("actionOnEmptyResult") == "true"
                for inner in verb:
                    assert inner.tag in ("Say", "Play"), inner.tag
                    if inner.tag == "Say":
                        self._say(inner)
                    else:
                        await self._play(inner)
                self.gathering = Gathering(
                    action=urljoin(document_url, verb.get("action") or document_url),
                    num_digits=int(verb.get("numDigits") or "32"),
                    timeout=int(verb.get("timeout") or "5"),
                    language=verb.get("language") or "en-US",
                    speech=verb.get("input") == "dtmf speech",
                )
                return  # waits for the caller
            elif verb.tag == "Dial":
                self.dialed.append((verb.text or "").strip())
            elif verb.tag == "Hangup":
                break
            else:
                raise AssertionError(f"unexpected TwiML verb {verb.tag}")
        await self._end()

    def _say(self, verb: ET.Element) -> None:
        text = (verb.text or "").strip()
        self.heard.append(text)
        self.last.append(text)
        self.languages.add(verb.get("language") or "")
        if verb.get("voice"):
            self.voices.add(verb.get("voice") or "")

    async def _play(self, verb: ET.Element) -> None:
        """Twilio GETs the media URL (unsigned: the URL must protect itself) and plays it."""
        url = (verb.text or "").strip()
        response = await self.voice.fetch(url)
        assert response.status_code == 200, (response.status_code, url)
        assert response.headers["content-type"].startswith("audio/"), response.headers
        self.played.append(response.content)
        self.play_urls.append(url)
        self.last.append(f"[play {len(response.content)} bytes]")

    async def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        if self.status_url:
            params = {**self.params("completed"), "CallDuration": "60"}
            response = await self.voice.post_signed(self.status_url, params)
            assert response.status_code == 200, response.text


@dataclass
class FakeTwilioVoice:
    account_sid: str
    auth_token: str
    public_base: str  # the app's public URL, which Twilio calls and signs
    local_base: str = ""  # where the app really listens (the test's uvicorn)
    calls: list[FakeCall] = field(default_factory=list)
    last_request: tuple[str, dict[str, str]] | None = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)

    def new_call_sid(self) -> str:
        # inbound calls' sids from a range of their own: the fake REST API counts outbound
        # calls' sids from 1, and two calls with one sid would be one call to the app
        return f"CA{(1 << 124) + next(self._ids):032x}"

    async def dial_in(self, caller: str, to: str) -> FakeCall:
        """A patient calls the program's number: Twilio fetches its voice URL."""
        call = FakeCall(
            voice=self,
            sid=self.new_call_sid(),
            caller=caller,
            called=to,
            direction="inbound",
            status_url=self.public_base + "/twilio/voice/status",
        )
        self.calls.append(call)
        url = self.public_base + "/twilio/voice"
        response = await self.post_signed(url, call.params("ringing"))
        await call.run(url, response)
        return call

    async def answer(self, placed: dict[str, str | None], answered_by: str = "human") -> FakeCall:
        """An outbound call (as the fake REST API recorded it) is picked up: Twilio fetches its
        Url with AnsweredBy (answering-machine detection was asked for)."""
        assert placed["machine_detection"] == "Enable"
        url = str(placed["url"])
        call = FakeCall(
            voice=self,
            sid=str(placed["sid"]),
            caller=str(placed["from"]),
            called=str(placed["to"]),
            direction="outbound-api",
            status_url=placed["status_callback"],
        )
        self.calls.append(call)
        response = await self.post_signed(
            url, {**call.params("in-progress"), "AnsweredBy": answered_by}
        )
        await call.run(url, response)
        return call

    async def not_answered(self, placed: dict[str, str | None], status: str = "no-answer") -> None:
        """The outbound call rang out (or was busy): only its status callback comes."""
        call = FakeCall(
            voice=self,
            sid=str(placed["sid"]),
            caller=str(placed["from"]),
            called=str(placed["to"]),
            direction="outbound-api",
            status_url=None,
        )
        response = await self.post_signed(str(placed["status_callback"]), call.params(status))
        assert response.status_code == 200, response.text

    async def fetch(self, public_url: str) -> httpx.Response:
        """A GET as Twilio makes for a <Play> URL."""
        assert public_url.startswith(self.public_base), public_url
        local = self.local_base + public_url.removeprefix(self.public_base)
        async with httpx.AsyncClient(timeout=TWILIO_WEBHOOK_TIMEOUT) as client:
            return await client.get(local)

    async def post_signed(
        self, public_url: str, params: dict[str, str], signature: Signature = "valid"
    ) -> httpx.Response:
        self.last_request = (public_url, dict(params))
        headers: dict[str, str] = {}
        if signature == "valid":
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(
                public_url, params
            )
        elif signature == "forged":
            headers["X-Twilio-Signature"] = RequestValidator("forged").compute_signature(
                public_url, params
            )
        local = self.local_base + public_url.removeprefix(self.public_base)
        async with httpx.AsyncClient(timeout=TWILIO_WEBHOOK_TIMEOUT) as client:
            return await client.post(local, data=params, headers=headers)
