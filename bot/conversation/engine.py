"""The conversation engine: pure functions from (state, input) to (new state, events, messages).

It never sends, stores, logs or reads the clock (STYLE.md 2): the pipeline gives it the result of
crisis triage and keyword detection, and persists what it returns in one transaction. A test
checks that this module imports nothing from channels, the database or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.conversation import parsing
from bot.conversation.events import (
    AnswerRecorded,
    CallRequested,
    CrisisDetected,
    Event,
    LocaleChanged,
    OptedIn,
    OptedOut,
    SurveyCompleted,
    SurveyPaused,
    SurveyRefused,
    SurveyResumed,
    SurveyStarted,
)
from bot.conversation.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, Translator
from bot.conversation.keywords import Command, Keyword
from bot.conversation.messages import Outgoing, ReplyOption
from bot.conversation.state import Answer, ConversationState, PendingSurvey, SurveyProgress
from bot.conversation.triage import TriageResult
from surveys.model import Instrument, Item

InstrumentSource = Callable[[str, str], Instrument]
TranslatorSource = Callable[[str], Translator]

# After this many replies in a row that do not parse, the re-prompt offers SKIP (UX-05).
BAD_REPLIES_BEFORE_SKIP_OFFER = 2


@dataclass(frozen=True)
class ProgramInfo:
    name: str
    help_phone: str
    help_hours: str


@dataclass(frozen=True)
class Step:
    state: ConversationState
    events: tuple[Event, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()


def _private_copy(state: ConversationState) -> ConversationState:
    """A copy of every mutable part of the state, so the engine never changes its input.

    Same result as copy.deepcopy for this plain-data shape, at a fifth of the cost (per message).
    """
    survey = state.survey
    if survey is not None:
        survey = replace(survey, answers={k: replace(a) for k, a in survey.answers.items()})
    return replace(state, survey=survey, queue=[replace(p) for p in state.queue])


@dataclass
class _Builder:
    """Collects one step's events and messages while the handlers mutate a private state copy."""

    state: ConversationState
    events: list[Event] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)

    def done(self) -> Step:
        return Step(self.state, tuple(self.events), tuple(self.outgoing))


class ConversationEngine:
    def __init__(
        self,
        *,
        instruments: InstrumentSource,
        translators: TranslatorSource,
        program: ProgramInfo,
    ) -> None:
        self._instruments = instruments
        self._translators = translators
        self._program = program

    # ---- entry points -------------------------------------------------------------------

    def start_survey(self, state: ConversationState, pending: PendingSurvey) -> Step:
        """Queue a survey and, if the patient is free to answer, ask its first question."""
        b = _Builder(_private_copy(state))
        b.state.queue.append(pending)
        if b.state.survey is None and b.state.mode == "active":
            self._start_next(b)
        return b.done()

    def on_crisis(self, state: ConversationState, triage: TriageResult) -> Step:
        """Answer crisis language at once; tiers 1-2 hold the survey until staff clear it."""
        b = _Builder(_private_copy(state))
        tr = self._tr(b)
        b.events.append(CrisisDetected(triage.tier, triage.rule_id, triage.rules_version))
        if triage.tier in (1, 2):
            if b.state.survey is not None and b.state.mode == "active":
                b.events.append(SurveyPaused(b.state.survey.assignment_id))
            b.state.crisis_hold = True
            if b.state.mode != "stopped":
                b.state.mode = "crisis_hold"
            b.outgoing.append(Outgoing("crisis", self._crisis_text(tr)))
        else:
            b.outgoing.append(Outgoing("crisis", self._distress_text(tr)))
        return b.done()

    def on_keyword(self, state: ConversationState, keyword: Keyword) -> Step:
        b = _Builder(_private_copy(state))
        handler = {
            Command.STOP: self._stop,
            Command.START: self._start,
            Command.HELP: self._help,
            Command.SKIP: self._skip,
            Command.BACK: self._back,
            Command.PAUSE: self._pause,
            Command.RESUME: self._resume,
            Command.LANGUAGE: self._language,
            Command.CALL: self._call,
        }[keyword.command]
        if b.state.mode == "stopped" and keyword.command not in (
            Command.STOP,
            Command.START,
            Command.HELP,
        ):
            return b.done()  # after an opt-out only START and HELP get an answer
        if b.state.mode == "crisis_hold" and keyword.command in (
            Command.SKIP,
            Command.BACK,
            Command.RESUME,
        ):
            self._holding(b)
            return b.done()
        handler(b, keyword.argument)
        return b.done()

    def on_text(
        self, state: ConversationState, text: str, button: tuple[str, int] | None = None
    ) -> Step:
        """A message that is neither crisis language nor a keyword: usually an answer."""
        b = _Builder(_private_copy(state))
        if b.state.mode == "stopped":
            return b.done()
        if b.state.awaiting_language:
            self._choose_language(b, text)
            return b.done()
        if b.state.mode == "crisis_hold":
            self._holding(b)
            return b.done()
        if b.state.mode == "paused":
            self._resume(b, None)
            return b.done()
        survey = b.state.survey
        if survey is None:
            self._idle(b)
            return b.done()
        self._answer(b, survey, text, button)
        return b.done()

    def answers_current_item(self, state: ConversationState, text: str) -> bool:
        """Whether `text` is a valid answer to the question the patient is being asked."""
        survey = state.survey
        if survey is None or state.mode != "active":
            return False
        item = self._instrument(survey).items[survey.position]
        return parsing.parse_reply(text, item, survey.language).code is not None

    def clear_crisis_hold(self, state: ConversationState) -> Step:
        """Staff have spoken with the patient: surveys may continue."""
        b = _Builder(_private_copy(state))
        b.state.crisis_hold = False
        if b.state.mode == "crisis_hold":
            b.state.mode = "active"
            if b.state.survey is not None:
                b.events.append(SurveyResumed(b.state.survey.assignment_id))
                self._ask(b, b.state.survey)
            else:
                self._start_next(b)
        return b.done()

    # ---- answering ----------------------------------------------------------------------

    def _answer(
        self, b: _Builder, survey: SurveyProgress, text: str, button: tuple[str, int] | None
    ) -> None:
        instrument = self._instrument(survey)
        item = instrument.items[survey.position]
        tr = self._tr(b)
        if button is not None:
            item_id, code = button
            if item_id != item.id or item.option_by_code(code) is None:
                # a button from an earlier question: show the current one again
                self._ask(b, survey)
                return
            chosen: int | None = code
            failure: str | None = None
        else:
            parsed = parsing.parse_reply(text, item, survey.language)
            chosen, failure = parsed.code, parsed.failure
        if chosen is None:
            survey.bad_replies += 1
            b.outgoing.append(Outgoing("reply", self._reprompt_text(tr, item, failure, text)))
            offer_skip = survey.bad_replies >= BAD_REPLIES_BEFORE_SKIP_OFFER
            self._ask(b, survey, offer_skip=offer_skip)
            return
        option = item.option_by_code(chosen)
        assert option is not None  # the parser only returns codes of the item
        survey.answers[item.id] = Answer(code=option.code, value=option.value, status="answered")
        b.events.append(
            AnswerRecorded(
                assignment_id=survey.assignment_id,
                instrument_id=instrument.id,
                item_id=item.id,
                option_code=option.code,
                value=option.value,
                status="answered",
                raw_text=text,
                language=survey.language,
                parser_version=parsing.PARSER_VERSION,
            )
        )
        self._advance(b, survey, instrument)

    def _advance(self, b: _Builder, survey: SurveyProgress, instrument: Instrument) -> None:
        survey.position += 1
        survey.bad_replies = 0
        if survey.position < len(instrument.items):
            self._ask(b, survey)
            return
        answers = {
            item_id: (survey.answers[item_id].value if item_id in survey.answers else None)
            for item_id in instrument.item_ids
        }
        b.events.append(
            SurveyCompleted(survey.assignment_id, instrument.id, instrument.version, answers)
        )
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "Thank you! Your answers are saved. Your care team will see them "
                    "before your next visit."
                ),
            )
        )
        b.state.survey = None
        self._start_next(b)

    def _start_next(self, b: _Builder) -> None:
        while b.state.queue and b.state.survey is None:
            pending = b.state.queue.pop(0)
            instrument = self._instruments(pending.instrument_id, pending.version)
            tr = self._tr(b)
            translation = instrument.usable_language(b.state.locale)
            if translation is None:
                b.events.append(SurveyRefused(pending.assignment_id, b.state.locale))
                b.outgoing.append(
                    Outgoing(
                        "reply",
                        tr.gettext(
                            "This questionnaire is not available in your language yet. "
                            "Our team will contact you about it."
                        ),
                    )
                )
                continue
            survey = SurveyProgress(
                assignment_id=pending.assignment_id,
                instrument_id=instrument.id,
                version=instrument.version,
                language=translation.language,
            )
            b.state.survey = survey
            b.events.append(
                SurveyStarted(pending.assignment_id, translation.language, translation.status)
            )
            intro = tr.ngettext(
                "{program}: {title}. {count} question.",
                "{program}: {title}. {count} questions.",
                len(instrument.items),
            ).format(
                program=self._program.name,
                title=instrument.title[survey.language],
                count=len(instrument.items),
            )
            lines = [intro, instrument.instructions[survey.language]]
            if translation.status == "unvalidated":
                lines.append(tr.gettext("Note: this translation has not been validated yet."))
            b.outgoing.append(Outgoing("prompt", "\n".join(line for line in lines if line)))
            self._ask(b, survey)

    def _ask(self, b: _Builder, survey: SurveyProgress, *, offer_skip: bool = False) -> None:
        instrument = self._instrument(survey)
        item = instrument.items[survey.position]
        tr = self._tr(b)
        lang = survey.language
        header = tr.gettext("Q{number}/{total}.").format(
            number=survey.position + 1, total=len(instrument.items)
        )
        context = item.context.get(lang, "")
        stem = (
            f"{header} {context}\n{item.text[lang]}" if context else f"{header} {item.text[lang]}"
        )
        codes = item.codes
        hint = tr.gettext("Reply {first}-{last}. {skip}, {back}, {pause}").format(
            first=min(codes),
            last=max(codes),
            skip=tr.gettext("SKIP"),
            back=tr.gettext("BACK"),
            pause=tr.gettext("PAUSE"),
        )
        if offer_skip:
            hint = (
                tr.gettext("You can reply {skip} to skip this question.").format(
                    skip=tr.gettext("SKIP")
                )
                + "\n"
                + hint
            )
        options = tuple(ReplyOption(o.code, o.label[lang], item.id) for o in item.options)
        b.outgoing.append(Outgoing("prompt", stem, options=options, hint=hint))

    def _reprompt_text(self, tr: Translator, item: Item, failure: str | None, text: str) -> str:
        first, last = min(item.codes), max(item.codes)
        if failure == "several_numbers":
            return tr.gettext("Please send just one number, from {first} to {last}.").format(
                first=first, last=last
            )
        if failure == "out_of_range":
            return tr.gettext(
                "That is not one of the choices. Please reply with a number from {first} to {last}."
            ).format(first=first, last=last)
        if failure == "decimal":
            return tr.gettext("Please use a whole number from {first} to {last}.").format(
                first=first, last=last
            )
        return tr.gettext(
            "Sorry, I did not understand. Please reply with a number from {first} to {last}."
        ).format(first=first, last=last)

    # ---- commands -----------------------------------------------------------------------

    def _stop(self, b: _Builder, _arg: str | None) -> None:
        if b.state.mode == "stopped":
            return  # exactly one confirmation per opt-out
        if b.state.survey is not None and b.state.mode == "active":
            b.events.append(SurveyPaused(b.state.survey.assignment_id))
        b.state.mode = "stopped"
        b.state.awaiting_language = False
        b.events.append(OptedOut())
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing(
                "confirmation",
                tr.gettext(
                    "{program}: you will get no more messages. Reply {start} to join again."
                ).format(program=self._program.name, start=tr.gettext("START")),
            )
        )

    def _start(self, b: _Builder, _arg: str | None) -> None:
        tr = self._tr(b)
        if b.state.mode != "stopped":
            self._resume(b, None)
            return
        b.state.mode = "crisis_hold" if b.state.crisis_hold else "active"
        b.events.append(OptedIn())
        b.outgoing.append(
            Outgoing(
                "confirmation",
                tr.gettext(
                    "{program}: welcome back. You will get messages again. Reply {stop} to end."
                ).format(program=self._program.name, stop=tr.gettext("STOP")),
            )
        )
        if b.state.mode != "active":
            self._holding(b)
        elif b.state.survey is not None:
            b.events.append(SurveyResumed(b.state.survey.assignment_id))
            self._ask(b, b.state.survey)
        else:
            self._start_next(b)

    def _help(self, b: _Builder, _arg: str | None) -> None:
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing(
                "help",
                tr.gettext(
                    "{program}. Help: {phone}, {hours}. Messages are not watched 24/7. "
                    "Emergency: call 911. Crisis: call or text 988. "
                    "Reply {stop} to end, {language} to change language."
                ).format(
                    program=self._program.name,
                    phone=self._program.help_phone,
                    hours=self._program.help_hours,
                    stop=tr.gettext("STOP"),
                    language=tr.gettext("LANGUAGE"),
                ),
            )
        )

    def _skip(self, b: _Builder, _arg: str | None) -> None:
        survey = b.state.survey
        if survey is None or b.state.mode != "active":
            self._resume(b, None)
            return
        instrument = self._instrument(survey)
        item = instrument.items[survey.position]
        survey.answers[item.id] = Answer(code=None, value=None, status="skipped")
        b.events.append(
            AnswerRecorded(
                assignment_id=survey.assignment_id,
                instrument_id=instrument.id,
                item_id=item.id,
                option_code=None,
                value=None,
                status="skipped",
                raw_text="",
                language=survey.language,
                parser_version=parsing.PARSER_VERSION,
            )
        )
        self._advance(b, survey, instrument)

    def _back(self, b: _Builder, _arg: str | None) -> None:
        survey = b.state.survey
        if survey is None or b.state.mode != "active":
            self._resume(b, None)
            return
        tr = self._tr(b)
        if survey.position == 0:
            b.outgoing.append(Outgoing("reply", tr.gettext("This is the first question.")))
        else:
            survey.position -= 1
        survey.bad_replies = 0
        self._ask(b, survey)

    def _pause(self, b: _Builder, _arg: str | None) -> None:
        tr = self._tr(b)
        if b.state.survey is not None and b.state.mode == "active":
            b.state.mode = "paused"
            b.events.append(SurveyPaused(b.state.survey.assignment_id))
        elif b.state.mode == "active":
            b.state.mode = "paused"
        b.outgoing.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "Paused. Your answers are saved. Reply {resume} when you are ready."
                ).format(resume=tr.gettext("RESUME")),
            )
        )

    def _resume(self, b: _Builder, _arg: str | None) -> None:
        if b.state.mode == "paused":
            b.state.mode = "active"
            if b.state.survey is not None:
                b.events.append(SurveyResumed(b.state.survey.assignment_id))
        if b.state.mode != "active":
            return
        if b.state.survey is not None:
            self._ask(b, b.state.survey)
        elif b.state.queue:
            self._start_next(b)
        else:
            self._idle(b)

    def _language(self, b: _Builder, arg: str | None) -> None:
        if arg and arg in SUPPORTED_LOCALES:
            self._set_locale(b, arg)
            return
        b.state.awaiting_language = True
        tr = self._tr(b)
        menu = "\n".join(
            f"{n} = {LANGUAGE_NAMES[code]}" for n, code in enumerate(SUPPORTED_LOCALES, start=1)
        )
        b.outgoing.append(
            Outgoing("prompt", tr.gettext("Which language do you want?") + "\n" + menu)
        )

    def _choose_language(self, b: _Builder, text: str) -> None:
        choice = _language_choice(text, SUPPORTED_LOCALES)
        if choice is None:
            b.state.awaiting_language = False
            self._language(b, None)
            return
        self._set_locale(b, choice)

    def _set_locale(self, b: _Builder, locale: str) -> None:
        b.state.awaiting_language = False
        b.state.locale = locale
        b.events.append(LocaleChanged(locale))
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing("reply", tr.gettext("I will write to you in English from now on."))
        )
        survey = b.state.survey
        if survey is not None:
            translation = self._instrument(survey).usable_language(locale)
            if translation is not None:
                survey.language = translation.language
            if b.state.mode == "active":
                self._ask(b, survey)

    def _call(self, b: _Builder, _arg: str | None) -> None:
        tr = self._tr(b)
        b.events.append(CallRequested())
        b.outgoing.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "We will ask a team member to call you during business hours. "
                    "In an emergency call 911."
                ),
            )
        )

    # ---- small helpers ------------------------------------------------------------------

    def _idle(self, b: _Builder) -> None:
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "There are no questions for you right now. Reply {help} for help."
                ).format(help=tr.gettext("HELP")),
            )
        )

    def _holding(self, b: _Builder) -> None:
        tr = self._tr(b)
        b.outgoing.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "Our team has been told and will contact you. The questions are paused "
                    "until then. Emergency: call 911. Crisis: call or text 988."
                ),
            )
        )

    def _crisis_text(self, tr: Translator) -> str:
        return tr.gettext(
            "Thank you for telling us. This is an automated line and is not watched all the "
            "time. If you might act on thoughts of hurting yourself, call 911 now. You can "
            "call or text 988 any time to talk to a counselor. Our team will contact you "
            "during business hours."
        )

    def _distress_text(self, tr: Translator) -> str:
        return tr.gettext(
            "We are sorry you are going through this. Our team will see your message during "
            "business hours. If it gets worse or you feel unsafe, call 911, or call or text "
            "988."
        )

    def _tr(self, b: _Builder) -> Translator:
        return self._translators(b.state.locale)

    def _instrument(self, survey: SurveyProgress) -> Instrument:
        return self._instruments(survey.instrument_id, survey.version)


def _language_choice(text: str, locales: Sequence[str]) -> str | None:
    """A reply to the language menu: its number, the code ("es") or the name ("español")."""
    cleaned = text.strip().casefold()
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if digits and digits.isdecimal() and len(digits) <= 2:
        index = int(digits) - 1
        return locales[index] if 0 <= index < len(locales) else None
    for code in locales:
        if cleaned in (code, LANGUAGE_NAMES[code].casefold()):
            return code
    return None
