"""`pathbot simulate --channel voice`: a phone call played in the terminal.

The same turns the Twilio webhooks make (bot/service/voice/flow.py), without HTTP: the call's
words are printed, and each input line is what the caller does at the open <Gather>: keys
("7#", "1", "*"), "say <words>" for speech, or "-" for silence.
"""

from __future__ import annotations

import re
import uuid
from typing import TextIO

from bot.channels.voice.script import VoiceScript, VoiceTurn
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App
from bot.service.voice.enrol import set_up_voice
from bot.service.voice.flow import take_turn

SIM_PHONE = "+18025550188"
SIM_PIN = "1357"
KEYS = re.compile(r"[0-9*#]+")


class VoiceSimulation:
    """One simulated caller with a voice line and a PIN."""

    def __init__(self, app: App, *, locale: str, out: TextIO) -> None:
        self.app = app
        self.out = out
        self.study_id = f"voice-{uuid.uuid4().hex[:8]}"
        self.call_sid = "CA" + uuid.uuid4().hex
        self.step = 0
        self.ended = False
        self.listening = 0
        now = app.pipeline.now()
        with session_scope(app.db) as session:
            patient = store.add_patient(
                session,
                study_id=self.study_id,
                now=now,
                locale=locale,
                timezone=app.settings.default_timezone,
            )
            assert patient.id is not None
            self.patient_id = patient.id
        set_up_voice(app.db, self.patient_id, SIM_PHONE, SIM_PIN, now, method="console")

    def start(self, instrument_id: str) -> None:
        self.app.pipeline.start_survey(self.patient_id, instrument_id)
        self.out.write(f"(the caller's PIN is {SIM_PIN}; keys, 'say <words>', or '-')\n")
        self._play(self._turn("start"))

    def act(self, line: str) -> None:
        """What the caller does while the call listens."""
        if self.ended:
            return
        text = line.strip()
        if text.lower().startswith("say "):
            script = self._turn("gather", speech=text[4:].strip())
        elif text == "-":
            script = self._turn("gather")
        elif KEYS.fullmatch(text.replace(" ", "")) and len(text.replace(" ", "")) <= self.listening:
            script = self._turn("gather", digits=text.replace(" ", ""))
        else:
            self.out.write(
                f"(keys are 0-9, * and #, at most {self.listening}; "
                "'say <words>' speaks; '-' is silence)\n"
            )
            return
        self._play(script)

    def _turn(self, kind: str, *, digits: str = "", speech: str = "") -> VoiceScript:
        turn = VoiceTurn(
            call_sid=self.call_sid,
            step=self.step,
            address=SIM_PHONE,
            direction="inbound",
            kind="start" if kind == "start" else "gather",
            digits=digits,
            speech=speech,
        )
        self.step += 1
        return take_turn(self.app, turn)

    def _play(self, script: VoiceScript) -> None:
        write = self.out.write
        for text in script.said:
            write(f"call: {text}\n")
        if script.listen is not None:
            for text in script.listen.prompt:
                write(f"call: {text}\n")
            self.listening = script.listen.num_digits
            write(f"(listening: up to {self.listening} keys, or speech)\n")
            return
        if script.dial is not None:
            write(f"(connecting the caller to {script.dial})\n")
            for text in script.after_dial:
                write(f"call: {text}\n")
        write("(call ended)\n")
        self.ended = True
