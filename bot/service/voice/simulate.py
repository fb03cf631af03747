"""`pathbot simulate --channel voice`: a phone call played in the terminal.

The same turns the Twilio webhooks make (bot/service/voice/flow.py), without HTTP: the call's
words are printed, and each input line is what the caller does at the open <Gather>: keys
("7#", "1", "*"), "say <words>" for speech, or "-" for silence. In a language Twilio cannot speak
the call plays the clinic's recordings (PATHBOT_VOICE_RECORDINGS_DIR): each is printed as the
file it would play. The caller signs in as the program asks: a PIN, or a birthday (MMDD).
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import TextIO

from bot.channels.voice.script import Line, VoiceScript, VoiceTurn
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App
from bot.service.voice.enrol import set_date_of_birth, set_up_voice
from bot.service.voice.flow import take_turn

SIM_PHONE = "+18025550188"
SIM_PIN = "1357"
SIM_BIRTHDAY = date(1961, 3, 14)  # the caller keys 0314 where the program checks birthdays
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
        settings = app.settings
        self.by_birthday = settings.voice_identity_check == "dob4"
        if self.by_birthday:
            set_date_of_birth(app.db, self.patient_id, SIM_BIRTHDAY, now.date())
        token = settings.twilio_auth_token
        set_up_voice(
            app.db,
            self.patient_id,
            SIM_PHONE,
            None if self.by_birthday else SIM_PIN,
            now,
            method="console",
            identity_check=settings.voice_identity_check,
            recordings_dir=settings.voice_recordings_dir,
            auth_token=token.get_secret_value() if token else None,
        )

    def start(self, instrument_id: str) -> None:
        self.app.pipeline.start_survey(self.patient_id, instrument_id)
        secret = (
            f"birthday is {SIM_BIRTHDAY:%m%d} (MMDD)" if self.by_birthday else f"PIN is {SIM_PIN}"
        )
        self.out.write(f"(the caller's {secret}; keys, 'say <words>', or '-')\n")
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
        for line in script.said:
            write(f"call: {_shown(line)}\n")
        if script.listen is not None:
            for line in script.listen.prompt:
                write(f"call: {_shown(line)}\n")
            self.listening = script.listen.num_digits
            heard = "or speech" if script.speech else "keys only"
            write(f"(listening: up to {self.listening} keys, {heard})\n")
            return
        if script.dial is not None:
            write(f"(connecting the caller to {script.dial})\n")
            for line in script.after_dial:
                write(f"call: {_shown(line)}\n")
        write("(call ended)\n")
        self.ended = True


def _shown(line: Line) -> str:
    """Text as said; a recording as the file the call would play."""
    return line if isinstance(line, str) else f"[plays {line.name}]"
