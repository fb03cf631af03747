"""What a call says next: one webhook turn in, one script out, idempotent on (call, step).

A call goes: caller id -> PIN -> what is due, one question at a time. Survey progress is the
patient's conversation state, changed only through the pipeline (the same triage, keywords,
engine and store as a text): so a dropped call resumes at the same item next time, and a crisis
on the phone holds surveys like any crisis. This module adds what only a phone needs:

- who is calling before anything else is said: the PIN, or the last four digits of the date of
  birth (`voice_identity_check`; three tries, then staff are told);
- the patient's language: a text script said by Twilio, or the clinic's recordings where Twilio
  has no voice for it (bot/service/voice/recordings.py), never a question in another language;
- a survey's introduction the first time a call asks a question of it (one queued before the
  call included);
- keys: an answer is read back and stored only after "1 to confirm" ("2 to change"); '*'
  repeats, '#' skips; 9 pauses, 8 stops calls (the voice channel only), 0 dials the crisis line;
- 0, 8 and 9 are also answers on a 0-10 scale: there the key is read back like any answer, and
  the read-back says "press 0 again" (8, 9) for the command, so neither a clinical value nor a
  call for help is ever guessed from one key;
- speech goes through crisis triage first, then the keywords, then the text parser's rules for
  the question open now, and is read back like a key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.channels.voice.script import Line, Listen, VoiceScript, VoiceTurn
from bot.conversation import keywords, parsing, triage
from bot.conversation.bidi import strip_marks
from bot.conversation.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, normalize_locale
from bot.conversation.keywords import Command
from bot.conversation.messages import LANGUAGE_ITEM, SKIPPED_OFFER_ITEM, ButtonPress, Inbound
from bot.conversation.reply_words import words_for
from bot.conversation.state import ConversationState, SurveyProgress
from bot.conversation.text_normalize import match_key
from bot.conversation.triage import TriageResult
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Alert, OutboxMessage, Patient
from bot.db.voice_models import VoiceCall, VoiceCallStep
from bot.service.app import App
from bot.service.voice.enrol import CHANNEL, PIN_DIGITS, dob_matches, pin_matches, stop_calls
from bot.service.voice.phone_words import phone_words_for
from bot.service.voice.tts import phone_language
from bot.service.voice.wording import PhoneWords, VoiceWording, wording_for
from surveys.loader import load_instrument
from surveys.model import Item

log = logging.getLogger(__name__)

MAX_PIN_ATTEMPTS = 3
MAX_QUIET_TURNS = 3  # gathers in a row that heard nothing: the call ends, to resume later
CRISIS_KEY, STOP_KEY, PAUSE_KEY = "0", "8", "9"
CONFIRM_KEY, CHANGE_KEY = "1", "2"
REPEAT_KEY, SKIP_KEY = "*", "#"
KEYPAD_CRISIS_RULE = "voice_keypad_0"
LIVE_CALL_HOURS = 2  # a call row older than this without a status callback is not live
ENDED_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
DEFAULT_SCRIPT = "en"


def take_turn(app: App, turn: VoiceTurn) -> VoiceScript:
    """The script for this step of the call; the stored one when Twilio repeats the step."""
    now = app.pipeline.now()
    with session_scope(app.db) as session:
        stored = _stored(session, turn)
        if stored is not None:
            return stored
        call = _open_call(session, turn, now)
        session.expunge(call)
    script = _Turn(app, call, turn, now).decide()
    call.updated_at = now
    try:
        with session_scope(app.db) as session:
            session.merge(call)
            session.add(
                VoiceCallStep(
                    call_sid=turn.call_sid, step=turn.step, script=script.to_dict(), created_at=now
                )
            )
    except IntegrityError:  # the same step answered concurrently: that answer stands
        with session_scope(app.db) as session:
            stored = _stored(session, turn)
        if stored is None:
            raise
        return stored
    return script


def record_call_status(app: App, call_sid: str, status: str) -> None:
    """Twilio's status callback: a call that ended is no longer live (its progress is kept)."""
    now = app.pipeline.now()
    with session_scope(app.db) as session:
        call = session.exec(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).first()
        if call is None:
            return
        call.status = status
        if status in ENDED_STATUSES:
            call.ended_at = call.ended_at or now
            call.phase = "ended"
        call.updated_at = now
        session.add(call)


def live_call(app: App, address: str) -> str | None:
    """The sid of a call in progress with this number."""
    since = app.pipeline.now() - timedelta(hours=LIVE_CALL_HOURS)
    with session_scope(app.db) as session:
        return session.exec(
            select(VoiceCall.call_sid)
            .where(
                VoiceCall.address == address,
                col(VoiceCall.ended_at).is_(None),
                VoiceCall.phase != "ended",
                col(VoiceCall.updated_at) >= since,
            )
            .order_by(col(VoiceCall.id).desc())
        ).first()


def _stored(session: Session, turn: VoiceTurn) -> VoiceScript | None:
    row = session.exec(
        select(VoiceCallStep).where(
            VoiceCallStep.call_sid == turn.call_sid, VoiceCallStep.step == turn.step
        )
    ).first()
    return VoiceScript.from_dict(row.script) if row is not None else None


def _open_call(session: Session, turn: VoiceTurn, now: datetime) -> VoiceCall:
    call = session.exec(select(VoiceCall).where(VoiceCall.call_sid == turn.call_sid)).first()
    if call is None:
        identity = store.find_identity(session, CHANNEL, turn.address)
        call = VoiceCall(
            call_sid=turn.call_sid,
            patient_id=identity.patient_id if identity is not None else None,
            address=turn.address,
            direction=turn.direction,
            answered_by=turn.answered_by,
            started_at=now,
            updated_at=now,
        )
        session.add(call)
        session.flush()
    return call


@dataclass
class _Open:
    """What the patient's conversation has open now, read from their state."""

    state: ConversationState
    survey: SurveyProgress | None = None
    item: Item | None = None
    total: int = 0


@dataclass
class _Turn:
    app: App
    call: VoiceCall
    turn: VoiceTurn
    now: datetime
    said: list[Line] = field(default_factory=list)
    words: PhoneWords = field(init=False)  # the patient's phone script, once they are known
    _queued: list[int] = field(default_factory=list)  # outbox rows of the last pipeline step
    _intro_said: bool = False  # a survey's introduction queued by this turn was said

    # ---- the decision -------------------------------------------------------------------

    def decide(self) -> VoiceScript:
        call = self.call
        with session_scope(self.app.db) as session:
            patient = session.get(Patient, call.patient_id) if call.patient_id else None
            identity = store.find_identity(session, CHANNEL, call.address)
        english = _script(DEFAULT_SCRIPT)
        if patient is None:
            return self._end(
                english,
                english.say("stranger", program=self._program(english), phone=self._phone(english)),
            )
        words, missing = self._words_for(patient.locale)
        if words is None:
            return self._no_script(english, patient, missing)
        self.words = words
        if self.turn.kind == "start" and _machine(self.turn.answered_by):
            # a voicemail keeps what it hears: no health detail, only who called and the number
            said = words.say("machine", program=self._program(words), phone=self._phone(words))
            return self._end(words, said)
        if patient.status == "stopped" or identity is None or identity.status != "active":
            return self._end(words, words.say("stopped", phone=self._phone(words)))
        if call.phase == "ended":
            return self._end(words, words.say("done"))
        if self._crisis_asked():
            return self._crisis_by_keypad()
        if self.turn.speech:
            spoken = self._speech_first()
            if spoken is not None:
                return spoken
        if self.turn.kind == "start" or call.phase == "pin":
            return self._pin()
        heard = self.turn.digits or self.turn.speech
        if not heard:
            return self._quiet()
        call.quiet_turns = 0
        if call.phase == "confirm":
            return self._confirm()
        if call.phase == "menu":
            return self._menu()
        if call.phase == "held":
            return self._end(words, words.say("after_dial"))
        return self._question()

    # ---- identity -----------------------------------------------------------------------

    def _pin(self) -> VoiceScript:
        """Who is calling: the PIN, or the date of birth's last four digits (the program's
        choice); nothing else is said first, and the digits are never logged or stored."""
        words, call = self.words, self.call
        if self.turn.kind == "start":
            call.phase = "pin"
            return self._listen(
                [words.say("welcome", program=self._program(words))], self._pin_prompt()
            )
        if not self.turn.digits:
            if self.turn.speech:
                return self._listen([words.say("not_understood")], self._pin_prompt())
            return self._quiet()
        call.quiet_turns = 0
        digits = self.turn.digits.rstrip("#")
        with session_scope(self.app.db) as session:
            if self._by_birthday:
                matches = dob_matches(session, _id(call.patient_id), digits)
            else:
                matches = pin_matches(session, _id(call.patient_id), digits)
        if matches:
            call.verified = True
            call.pin_attempts = 0
            self._waiting_said_now()
            self.said.append(words.say("keys"))
            self._submit("RESUME")
            return self._open_now(first=True)
        call.pin_attempts += 1
        failed, wrong, alert = (
            ("dob_failed", "dob_wrong", "voice_dob_failed")
            if self._by_birthday
            else ("pin_failed", "pin_wrong", "voice_pin_failed")
        )
        if call.pin_attempts >= MAX_PIN_ATTEMPTS:
            with session_scope(self.app.db) as session:
                store.add_alert(session, _id(call.patient_id), alert, self.now)
            return self._end(words, words.say(failed, phone=self._phone(words)))
        return self._listen([words.say(wrong)], self._pin_prompt())

    @property
    def _by_birthday(self) -> bool:
        return self.app.settings.voice_identity_check == "dob4"

    def _waiting_said_now(self) -> None:
        """What waited for this number on the voice channel (a survey's first question queued
        before the call) is asked on this call now: it must not fail later as unsendable."""
        with session_scope(self.app.db) as session:
            ids = session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.channel == CHANNEL,
                    OutboxMessage.address == self.call.address,
                    OutboxMessage.status == "pending",
                )
            ).all()
            _said_on_call(session, [i for i in ids if i is not None], self.call.call_sid, self.now)

    def _pin_prompt(self) -> list[Line]:
        if self._by_birthday:
            return [self.words.say("enter_dob")]
        return [self.words.say("enter_pin", digits=PIN_DIGITS)]

    # ---- what is open now -----------------------------------------------------------------

    def _open_now(self, *, first: bool = False) -> VoiceScript:
        """Ask what the patient's conversation has open, or end the call."""
        words, call = self.words, self.call
        call.pending_item = call.pending_survey = call.pending_code = None
        call.pending_text = ""
        opened = self._read_open()
        state = opened.state
        if state.mode == "crisis_hold":
            call.phase = "held"
            return self._listen([], [words.say("holding")], num_digits=1)
        if state.mode in ("paused", "stopped"):
            return self._end(words, words.say("done"))
        if state.awaiting_language:
            call.phase = "menu"
            return self._listen([], self._language_menu(), num_digits=1)
        if opened.item is not None and opened.survey is not None:
            if not words.can_ask(opened.survey.instrument_id, opened.item.id):
                return self._refuse_unrecorded(opened.survey)
            call.phase = "question"
            return self._listen(
                self._intro(opened), self._question_prompt(opened), num_digits=_digits(opened.item)
            )
        closed = state.closed
        if closed is not None and closed.offered_skipped and not closed.recovering:
            call.phase = "menu"
            return self._listen([], [words.say("offer")], num_digits=1)
        return self._end(words, words.say("nothing_due" if first else "done"))

    def _read_open(self) -> _Open:
        with session_scope(self.app.db) as session:
            state = store.load_state(session, _id(self.call.patient_id), for_update=False)
        opened = _Open(state)
        survey = state.survey
        if survey is not None and state.mode == "active":
            instrument = load_instrument(survey.instrument_id, survey.version)
            opened.survey = survey
            opened.item = instrument.items[survey.position]
            opened.total = len(instrument.items)
        return opened

    def _question_prompt(self, opened: _Open) -> list[Line]:
        item, survey = opened.item, opened.survey
        assert item is not None and survey is not None
        return self.words.question(
            survey.instrument_id, item, survey.language, survey.position + 1, opened.total
        )

    def _intro(self, opened: _Open) -> list[Line]:
        """A survey's introduction (its title, how many questions, how to answer) the first
        time this call asks a question of it: also for a survey queued before the call, whose
        text introduction was never heard on the phone."""
        survey, call = opened.survey, self.call
        assert survey is not None
        if call.introduced_survey == survey.assignment_id:
            return []
        call.introduced_survey = survey.assignment_id
        if self._intro_said:  # its text introduction, queued by this very turn, was said
            return []
        instrument = load_instrument(survey.instrument_id, survey.version)
        count = len(survey.item_ids) if survey.item_ids is not None else opened.total
        return self.words.intro(instrument, survey.language, count)

    def _refuse_unrecorded(self, survey: SurveyProgress) -> VoiceScript:
        """A recording of this survey is missing in the patient's language: the survey is not
        asked on the phone (never in another language), staff are told once per survey."""
        rule = f"voice_recording:{survey.assignment_id}:{self.words.locale}"
        with session_scope(self.app.db) as session:
            if session.exec(select(Alert.id).where(Alert.rule_id == rule)).first() is None:
                alert = store.add_alert(
                    session, _id(self.call.patient_id), "voice_recording_missing", self.now
                )
                alert.rule_id = rule
        log.warning("voice: a survey has no recordings in the patient's language; not asked")
        return self._end(self.words, self.words.say("nothing_due"))

    def _language_menu(self) -> list[Line]:
        names = [(n, LANGUAGE_NAMES[code]) for n, code in enumerate(SUPPORTED_LOCALES, start=1)]
        return self.words.language_menu(names)

    # ---- answering ----------------------------------------------------------------------

    def _question(self) -> VoiceScript:
        words, call = self.words, self.call
        opened = self._read_open()
        if opened.item is None or opened.survey is None:
            return self._open_now()
        item, survey = opened.item, opened.survey
        digits = self.turn.digits
        if self.turn.speech:
            parsed = parsing.parse_reply(self.turn.speech, item, survey.language)
            if parsed.code is None:
                return self._again(opened, words.say("not_understood"))
            return self._read_back(item, survey, parsed.code, self.turn.speech, heard=True)
        if digits.startswith(REPEAT_KEY):
            return self._again(opened)
        if digits.startswith(SKIP_KEY):
            self._submit("SKIP")
            self.said.append(words.say("skipped"))
            return self._open_now()
        number = digits.rstrip(SKIP_KEY)
        if not number.isdecimal():
            return self._again(opened, words.say("not_understood"))
        code = int(number)
        if item.option_by_code(code) is None:  # "02" is 2: two keys, or one and #
            if number == STOP_KEY:
                return self._stop_calls()
            if number == PAUSE_KEY:
                return self._pause()
            call.bad_turns += 1
            return self._again(opened, words.not_a_choice(number))
        return self._read_back(item, survey, code, number, heard=False)

    def _read_back(
        self, item: Item, survey: SurveyProgress, code: int, raw: str, *, heard: bool
    ) -> VoiceScript:
        call = self.call
        call.phase = "confirm"
        call.bad_turns = 0
        call.pending_item, call.pending_survey, call.pending_code = (
            item.id,
            survey.assignment_id,
            code,
        )
        call.pending_text = raw[:200]
        return self._listen([], self._read_back_lines(item, survey, code, heard), num_digits=1)

    def _read_back_lines(
        self, item: Item, survey: SurveyProgress, code: int, heard: bool
    ) -> list[Line]:
        words = self.words
        lines = words.read_back(survey.instrument_id, item, survey.language, code, heard=heard)
        lines.append(words.say("confirm"))
        command = {CRISIS_KEY: "again_crisis", STOP_KEY: "again_stop", PAUSE_KEY: "again_pause"}
        if str(code) in command:
            lines.append(words.say(command[str(code)]))
        return lines

    def _confirm(self) -> VoiceScript:
        words, call = self.words, self.call
        digits = self.turn.digits
        if self.turn.speech:
            digits = self._yes_no(self.turn.speech)
        if digits == CONFIRM_KEY and call.pending_item is not None:
            press = ButtonPress(call.pending_item, _id(call.pending_code), call.pending_survey)
            self._submit(call.pending_text or str(call.pending_code), button=press)
            if self._answer_stored(press):
                self.said.append(words.say("saved"))
            return self._open_now()
        if digits == CHANGE_KEY:
            call.phase = "question"
            return self._open_now()
        if digits == STOP_KEY:
            return self._stop_calls()
        if digits == PAUSE_KEY:
            return self._pause()
        return self._repeat_read_back([] if digits == REPEAT_KEY else [words.say("not_understood")])

    def _answer_stored(self, press: ButtonPress) -> bool:
        """Whether the confirmed answer was kept: a press the engine found stale (the question
        was answered meanwhile by text, say) changes nothing, and the call must not say Saved."""
        with session_scope(self.app.db) as session:
            state = store.load_state(session, _id(self.call.patient_id), for_update=False)
        for survey in (state.survey, state.closed):
            if survey is not None and survey.assignment_id == press.survey:
                answer = survey.answers.get(press.item_id)
                return answer is not None and answer.code == press.code
        # the survey was completed by this answer and nothing is left open of it
        return press.survey is not None and all(
            s is None or s.assignment_id != press.survey for s in (state.survey, state.closed)
        )

    def _repeat_read_back(self, before: list[Line]) -> VoiceScript:
        call = self.call
        opened = self._read_open()
        if (
            opened.item is None
            or opened.survey is None
            or call.pending_code is None
            or opened.item.id != call.pending_item
        ):
            return self._open_now()
        lines = self._read_back_lines(opened.item, opened.survey, call.pending_code, heard=False)
        return self._listen(before, lines, num_digits=1)

    def _menu(self) -> VoiceScript:
        """The language menu or the skipped-questions offer: a key picks, nothing to read back."""
        digits = self.turn.digits
        if self.turn.speech:
            digits = self._yes_no(self.turn.speech)
        opened = self._read_open()
        state = opened.state
        if digits.isdecimal():
            if state.awaiting_language:
                self._submit(digits, button=ButtonPress(LANGUAGE_ITEM, int(digits)))
                words, _ = self._words_for(self._locale())
                if words is not None:
                    self.words = words
            elif state.closed is not None:
                press = ButtonPress(SKIPPED_OFFER_ITEM, int(digits), state.closed.assignment_id)
                self._submit(digits, button=press)
        return self._open_now()

    def _yes_no(self, speech: str) -> str:
        words = words_for(self._locale())
        phrase = tuple(match_key(speech).split())
        if phrase in words.yes:
            return CONFIRM_KEY
        if phrase in words.no:
            return CHANGE_KEY
        return ""

    def _again(self, opened: _Open, *before: Line) -> VoiceScript:
        assert opened.item is not None
        self.call.phase = "question"
        return self._listen(
            list(before), self._question_prompt(opened), num_digits=_digits(opened.item)
        )

    def _quiet(self) -> VoiceScript:
        words, call = self.words, self.call
        call.quiet_turns += 1
        if call.quiet_turns >= MAX_QUIET_TURNS:
            return self._end(words, words.say("silence_goodbye"))
        self.said.append(words.say("silence"))
        if call.phase == "pin":
            return self._listen([], self._pin_prompt())
        if call.phase == "confirm":
            return self._repeat_read_back([])
        return self._open_now()

    # ---- commands: speech first, crisis, pause, stop calls ------------------------------

    def _speech_first(self) -> VoiceScript | None:
        """Crisis words, then keywords; None when the speech is for the phase to read."""
        speech = self.turn.speech
        assessment = triage.assess(speech)
        if assessment.tier in (1, 2):
            self._submit(speech)  # the pipeline records the alert and holds the surveys
            return self._dial_crisis()
        if assessment.tier == 3:
            self._submit(speech)  # staff are told; an answer in it is kept, as in a text
            self.said.extend(self._spoken_replies(("crisis",)))
            return self._open_now() if self.call.verified else self._pin_again()
        keyword = keywords.classify(speech)
        if keyword is None or not self.call.verified:
            return None
        if keyword.command is Command.STOP:
            return self._stop_calls()
        if keyword.command is Command.PAUSE:
            return self._pause()
        if keyword.command is Command.HELP:
            self.said.append(self.words.say("help", phone=self._phone(self.words)))
            return self._open_now()
        if keyword.command is Command.SKIP and self.call.phase == "question":
            self._submit("SKIP")
            self.said.append(self.words.say("skipped"))
            return self._open_now()
        if keyword.command in (Command.BACK, Command.LANGUAGE, Command.CALL):
            self._submit(speech)
        return self._open_now()

    def _pin_again(self) -> VoiceScript:
        return self._listen([], self._pin_prompt())

    def _crisis_asked(self) -> bool:
        """0 asks for the crisis line, except as an answer to a question that has a 0 (its
        read-back then says "press 0 again")."""
        if self.turn.digits != CRISIS_KEY:
            return False
        if self.call.phase in ("question",) and self.turn.kind == "gather":
            opened = self._read_open()
            return opened.item is None or opened.item.option_by_code(0) is None
        return True

    def _crisis_by_keypad(self) -> VoiceScript:
        """A crisis alert, the surveys held, the crisis answer recorded as said on this call."""
        call, now = self.call, self.now
        patient_id = _id(call.patient_id)
        with session_scope(self.app.db) as session:
            patient = session.get(Patient, patient_id)
            assert patient is not None
            state = store.load_state(session, patient_id)
            inbound = store.record_inbound(session, self._inbound("[keypad 0]"), patient_id)
            result = TriageResult(1, KEYPAD_CRISIS_RULE, triage.rules_version())
            step = self.app.conversation.on_crisis(state, result)
            store.apply_events(
                session,
                patient=patient,
                events=step.events,
                channel=CHANNEL,
                now=now,
                inbound=inbound,
            )
            store.save_state(session, patient_id, step.state, now)
            rows = store.enqueue(
                session,
                patient_id=patient_id,
                channel=CHANNEL,
                address=call.address,
                messages=step.outgoing,
                dedupe_prefix=f"voice:{call.call_sid}:{self.turn.step}",
                now=now,
                in_reply_to=inbound.id if inbound is not None else None,
            )
            _said_on_call(session, [_id(r.id) for r in rows], call.call_sid, now)
        return self._dial_crisis()

    def _dial_crisis(self) -> VoiceScript:
        words = self.words
        self.call.phase = "ended"
        return VoiceScript(
            said=(*self.said, words.say("crisis")),
            dial=self.app.settings.voice_crisis_number,
            after_dial=(words.say("after_dial"),),
            language=words.language,
            voice=words.voice,
            speech=words.speech,
        )

    def _pause(self) -> VoiceScript:
        self._submit("PAUSE")
        return self._end(self.words, self.words.say("paused"))

    def _stop_calls(self) -> VoiceScript:
        with session_scope(self.app.db) as session:
            stop_calls(session, _id(self.call.patient_id), self.call.address, self.now)
        return self._end(self.words, self.words.say("calls_stopped"))

    # ---- the pipeline ---------------------------------------------------------------------

    def _submit(self, text: str, *, button: ButtonPress | None = None) -> None:
        """Run a caller's answer or command through the pipeline as a message of this call;
        what it queued is said on the call (surveys' introductions) or by the call's script."""
        result = self.app.pipeline.handle(self._inbound(text, button))
        self._queued = list(result.outbox_ids)
        with session_scope(self.app.db) as session:
            _said_on_call(session, self._queued, self.call.call_sid, self.now)
        intros = self._spoken_replies(("prompt",))
        self._intro_said = self._intro_said or bool(intros)
        self.said.extend(intros)

    def _spoken_replies(self, kinds: tuple[str, ...]) -> list[Line]:
        """The queued texts a call says as they are: a survey's introduction (a prompt with no
        options), and crisis or distress answers when asked. Questions and confirmations are
        said in the phone script's own words. A recorded language says no text: a distress
        answer is its "distress" recording, an introduction its survey's (`_intro`)."""
        ids = self._queued
        if not ids:
            return []
        if self.words.recorded:
            return [self.words.say("distress")] if "crisis" in kinds else []
        with session_scope(self.app.db) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .order_by(col(OutboxMessage.id))
            ).all()
        return [r.body for r in rows if r.kind in kinds and not r.options]

    def _inbound(self, text: str, button: ButtonPress | None = None) -> Inbound:
        return Inbound(
            channel=CHANNEL,
            address=self.call.address,
            provider_message_id=f"{self.call.call_sid}:{self.turn.step}",
            text=text,
            received_at=self.now,
            button=button,
        )

    # ---- scripts ----------------------------------------------------------------------------

    def _listen(
        self, before: list[Line], prompt: list[Line], *, num_digits: int | None = None
    ) -> VoiceScript:
        words = self.words
        digits = num_digits if num_digits is not None else PIN_DIGITS
        return VoiceScript(
            said=(*self.said, *before),
            listen=Listen(prompt=tuple(prompt), num_digits=digits),
            language=words.language,
            voice=words.voice,
            speech=words.speech,
        )

    def _end(self, words: PhoneWords, last: Line) -> VoiceScript:
        self.call.phase = "ended"
        return VoiceScript(
            said=(*self.said, last), language=words.language, voice=words.voice, speech=words.speech
        )

    def _words_for(self, locale: str) -> tuple[PhoneWords | None, str]:
        """The patient's phone words: the text script where Twilio speaks the language, else
        the clinic's recordings; None and why when neither is there."""
        token = self.app.settings.twilio_auth_token
        return phone_words_for(
            locale,
            self.app.settings.voice_recordings_dir,
            token.get_secret_value() if token else None,
        )

    def _no_script(self, english: VoiceWording, patient: Patient, why: str) -> VoiceScript:
        """No phone script or recordings in the patient's language: no questions, staff are
        told. The English goodbye names no health detail (it is all such a call can say)."""
        kind = (
            "voice_recordings_missing"
            if (spoken := phone_language(patient.locale)) is not None and spoken.recorded
            else "voice_language_unavailable"
        )
        with session_scope(self.app.db) as session:
            store.add_alert(session, _id(patient.id), kind, self.now)
        log.warning("voice: no phone words for a patient's language (%s)", why)
        return self._end(english, english.say("nothing_due"))

    def _locale(self) -> str:
        with session_scope(self.app.db) as session:
            patient = session.get(Patient, _id(self.call.patient_id))
            return patient.locale if patient is not None else DEFAULT_SCRIPT

    def _program(self, words: PhoneWords) -> str:
        """The program's name in the script's language (clinic texts; English when the clinic
        gave none), without the bidi marks a text message would carry."""
        return strip_marks(self.app.program.name_in(normalize_locale(words.locale)))

    def _phone(self, words: PhoneWords) -> str:
        return strip_marks(self.app.program.phone_in(normalize_locale(words.locale)))


def _said_on_call(session: Session, ids: list[int], call_sid: str, now: datetime) -> None:
    """Outbox rows a call speaks are sent by it (the dispatcher leaves them alone)."""
    if not ids:
        return
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == "pending")
        .values(status="sent", provider_message_id=call_sid, sent_at=now)
    )


def _machine(answered_by: str | None) -> bool:
    """Twilio's answering-machine detection: machine_start, machine_end_beep, ..., fax."""
    return answered_by is not None and (answered_by.startswith("machine") or answered_by == "fax")


def _script(locale: str) -> VoiceWording:
    words = wording_for(locale)
    assert words is not None, f"the {locale} phone script ships with pathbot"
    return words


def _digits(item: Item) -> int:
    """Keys for an answer: two on a 0-10 scale ("1 0"; one key then '#', or a pause)."""
    return len(str(max(item.codes)))


def _id(value: int | None) -> int:
    assert value is not None
    return value
