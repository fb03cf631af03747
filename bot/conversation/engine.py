"""The conversation engine: pure functions from (state, input) to (new state, events, messages).

It never sends, stores, logs or reads the clock (STYLE.md 2): the pipeline gives it the result of
crisis triage and keyword detection, and persists what it returns in one transaction. A test
checks that this module imports nothing from channels, the database or the network.

Answers (issue 13): a reply is stored only when the parser is sure of it; anything read from
more than a bare number or an option's exact words is read back in the next message, ahead of
the next question ("Recorded: 6 = Hard to ignore"), and NO or BACK right after undoes it. Only
a button of the question open now, in this survey, answers it. Before a survey ends, the patient
is offered the items they skipped; the survey is scored at once and again if they answer them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.conversation import parsing, wording
from bot.conversation.clinic_texts import ProgramInfo as ProgramInfo  # where callers found it
from bot.conversation.events import (
    AnswerRecorded,
    AnswerWithdrawn,
    CallRequested,
    CrisisDetected,
    Event,
    LocaleChanged,
    MediaReceived,
    OptedIn,
    OptedOut,
    ReviewNeeded,
    SittingEnded,
    SurveyCompleted,
    SurveyPaused,
    SurveyRefused,
    SurveyResumed,
    SurveyStarted,
)
from bot.conversation.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, Translator
from bot.conversation.keywords import Command, Keyword, language_names
from bot.conversation.messages import (
    LANGUAGE_ITEM,
    SKIPPED_OFFER_ITEM,
    ButtonPress,
    Outgoing,
    ReplyOption,
)
from bot.conversation.reply_words import words_for
from bot.conversation.state import Answer, ConversationState, PendingSurvey, SurveyProgress
from bot.conversation.text_normalize import match_key
from bot.conversation.triage import TriageResult
from surveys.model import Instrument

InstrumentSource = Callable[[str, str], Instrument]
TranslatorSource = Callable[[str], Translator]

# After this many replies in a row that do not parse, the re-prompt offers SKIP (UX-05).
BAD_REPLIES_BEFORE_SKIP_OFFER = 2
# The YES / NO options of the skipped-items offer.
OFFER_YES, OFFER_NO = 1, 2


@dataclass(frozen=True)
class Step:
    state: ConversationState
    events: tuple[Event, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()


def _copy_progress(survey: SurveyProgress | None) -> SurveyProgress | None:
    if survey is None:
        return None
    return replace(
        survey,
        answers={k: replace(a) for k, a in survey.answers.items()},
        recovering=list(survey.recovering),
    )


def _private_copy(state: ConversationState) -> ConversationState:
    """A copy of every mutable part of the state, so the engine never changes its input.

    Same result as copy.deepcopy for this plain-data shape, at a fifth of the cost (per message).
    """
    return replace(
        state,
        survey=_copy_progress(state.survey),
        closed=_copy_progress(state.closed),
        queue=[replace(p, prior={k: replace(a) for k, a in p.prior.items()}) for p in state.queue],
    )


@dataclass
class _Builder:
    """Collects one step's events and messages while the handlers mutate a private state copy."""

    state: ConversationState
    events: list[Event] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)

    def done(self) -> Step:
        return Step(self.state, tuple(self.events), tuple(self.outgoing))


@dataclass(frozen=True)
class _Undo:
    """An answer read back in the previous message, which NO or BACK may still undo."""

    survey: SurveyProgress
    item_id: str
    closed: bool  # its survey was completed by that message


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
        return self.start_surveys(state, [pending])

    def start_surveys(self, state: ConversationState, pending: Sequence[PendingSurvey]) -> Step:
        """Queue surveys (a battery's parts, in sitting order) and start the first if free."""
        b = _Builder(_private_copy(state))
        b.state.queue.extend(replace(p) for p in pending)
        current = b.state.survey
        if current is not None and current.recovering and b.state.mode == "active":
            # answering skipped items of a survey already scored: a survey that is due now
            # comes first; what was answered so far is scored (the survey never expires)
            b.state.survey = None
            self._complete(b, current, self._instrument(current), final=True)
        if b.state.survey is None and b.state.mode == "active":
            self._start_next(b)
        return b.done()

    def continue_battery(self, state: ConversationState, battery: int) -> Step:
        """The next sitting's time has come: its first question, if the patient is free."""
        b = _Builder(_private_copy(state))
        if b.state.held_battery == battery:
            b.state.held_battery = None
            if b.state.mode == "active" and b.state.survey is None and not self._offer_open(b):
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

    def on_unreadable(self, state: ConversationState, text: str) -> Step:
        """Text triage cannot read (a script no rules file covers): staff are asked to read it
        ("needs human review"); the patient gets the usual answer to text."""
        step = self.on_text(state, text)
        return replace(step, events=(*step.events, ReviewNeeded("unreadable")))

    def on_media(self, state: ConversationState, kind: str) -> Step:
        """A voice note, photo, sticker or file without text: ask for typed words; while a
        survey is open staff get a note, so nothing a patient sends goes unseen."""
        b = _Builder(_private_copy(state))
        if b.state.mode == "stopped":
            return b.done()
        if b.state.survey is not None:
            b.events.append(MediaReceived(kind))
        b.outgoing.append(
            Outgoing(
                "reply",
                self._tr(b).gettext(
                    "Please type your answer. This service can read typed text only, not voice "
                    "notes, photos or stickers."
                ),
            )
        )
        return b.done()

    def on_keyword(self, state: ConversationState, keyword: Keyword) -> Step:
        b = _Builder(_private_copy(state))
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
        undo = self._take_undo(b)
        if keyword.command is Command.BACK and undo is not None:
            self._undo(b, undo)
            return b.done()
        if self._offer_open(b) and keyword.command in (Command.SKIP, Command.BACK):
            if keyword.command is Command.SKIP:  # skipping the offer declines it
                self._decline_offer(b)
            else:
                b.outgoing.append(Outgoing("reply", wording.yes_or_no(self._tr(b))))
            return b.done()
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
        handler(b, keyword.argument)
        return b.done()

    def on_text(
        self, state: ConversationState, text: str, button: ButtonPress | None = None
    ) -> Step:
        """A message that is neither crisis language nor a keyword: usually an answer."""
        b = _Builder(_private_copy(state))
        if b.state.mode == "stopped":
            return b.done()
        if button is not None and not self.button_is_live(b.state, button):
            return b.done()  # a button of an older message changes nothing (the channel says so)
        if b.state.awaiting_language:
            self._choose_language(b, str(button.code) if button is not None else text)
            return b.done()
        if b.state.mode == "crisis_hold":
            self._holding(b)
            return b.done()
        if b.state.mode == "paused":
            self._resume(b, None)
            return b.done()
        undo = self._take_undo(b)
        # NO undoes a read-back, except where it answers the skipped-items offer (BACK does)
        offer_open = self._offer_open(b)
        if undo is not None and button is None and not offer_open and self._says(b, text, "no"):
            self._undo(b, undo)
            return b.done()
        if offer_open:
            self._offer_reply(b, text, button)
            return b.done()
        survey = b.state.survey
        if survey is None:
            if b.state.held_battery is not None and self._says_next(b, text):
                b.state.held_battery = None
                self._start_next(b)
            else:
                self._idle(b)
            return b.done()
        self._answer(b, survey, text, button)
        return b.done()

    def button_is_live(self, state: ConversationState, button: ButtonPress) -> bool:
        """Whether a pressed button belongs to the question open now, in this survey."""
        if state.mode == "stopped":
            return False
        if button.item_id == LANGUAGE_ITEM:
            return state.awaiting_language
        if state.mode != "active" or state.awaiting_language:
            return False
        if button.item_id == SKIPPED_OFFER_ITEM:
            closed = state.closed
            return (
                closed is not None
                and _offer_pending(closed)
                and button.survey == closed.assignment_id
                and button.code in (OFFER_YES, OFFER_NO)
            )
        survey = state.survey
        if survey is None or button.survey != survey.assignment_id:
            return False
        item = self._instrument(survey).items[survey.position]
        return button.item_id == item.id and item.option_by_code(button.code) is not None

    def answers_current_item(self, state: ConversationState, text: str) -> bool:
        """Whether `text` is a valid answer to the question the patient is being asked."""
        survey = state.survey
        if survey is None or state.mode != "active":
            return False
        item = self._instrument(survey).items[survey.position]
        return parsing.parse_reply(text, item, survey.language).code is not None

    def clear_crisis_hold(self, state: ConversationState) -> Step:
        """Staff have released the hold (bot/clinic/holds.py): a short, kind word, then the
        paused survey resumes where it stopped. A patient who opted out meanwhile stays quiet."""
        b = _Builder(_private_copy(state))
        b.state.crisis_hold = False
        if b.state.mode == "crisis_hold":
            b.state.mode = "active"
            b.outgoing.append(
                Outgoing(
                    "reply",
                    self._tr(b).gettext(
                        "Thank you for talking with our team. We are glad you reached out. "
                        "The questions continue where we left off."
                    ),
                )
            )
            if b.state.survey is not None:
                b.events.append(SurveyResumed(b.state.survey.assignment_id))
                self._ask(b, b.state.survey)
            else:
                self._start_next(b)
        return b.done()

    # ---- answering ----------------------------------------------------------------------

    def _answer(
        self, b: _Builder, survey: SurveyProgress, text: str, button: ButtonPress | None
    ) -> None:
        instrument = self._instrument(survey)
        item = instrument.items[survey.position]
        tr = self._tr(b)
        read_back = False
        if button is not None:  # live (checked above): the question message shows the answer
            chosen: int | None = button.code
            failure: str | None = None
        else:
            parsed = parsing.parse_reply(text, item, survey.language)
            chosen, failure, read_back = parsed.code, parsed.failure, parsed.read_back
        if chosen is None:
            survey.bad_replies += 1
            offer_skip = survey.bad_replies >= BAD_REPLIES_BEFORE_SKIP_OFFER
            # only what is expected: the question and its buttons are still there above
            b.outgoing.append(
                Outgoing("reply", wording.reprompt(tr, item, failure, offer_skip=offer_skip))
            )
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
        self._advance(b, survey, instrument, read_back=item.id if read_back else None)

    def _advance(
        self,
        b: _Builder,
        survey: SurveyProgress,
        instrument: Instrument,
        *,
        read_back: str | None = None,
    ) -> None:
        """Ask the next question (starting with the read-back, if any), or finish."""
        survey.bad_replies = 0
        survey.readback = read_back
        nxt = _next_position(survey, instrument)
        if nxt is not None:
            survey.position = nxt
            self._ask(b, survey, preface=self._recorded(b, survey, instrument, "no"))
            return
        if _part_unfinished(survey, instrument):
            self._set_aside(b, survey, instrument)
            return
        self._finish(b, survey, instrument)

    def _set_aside(self, b: _Builder, survey: SurveyProgress, instrument: Instrument) -> None:
        """A part of an instrument cut between sittings is done: nothing is scored yet (the
        instrument is scored whole when its last part ends); its answers go with that part."""
        b.state.survey = None
        for pending in b.state.queue:
            if pending.assignment_id == survey.assignment_id:
                pending.prior = {k: replace(a) for k, a in survey.answers.items()}
                break
        b.state.closed = survey if survey.readback else None  # NO may still undo its last answer
        preface = self._recorded(b, survey, instrument, "no")
        if preface:
            b.outgoing.append(Outgoing("reply", preface))
        self._end_sitting(b, survey)
        self._start_next(b, decline_offer=False)

    def _end_sitting(self, b: _Builder, survey: SurveyProgress) -> None:
        """After a sitting's last part, the battery's next parts wait (the host says when)."""
        if survey.battery is None or not survey.ends_sitting:
            return
        if not any(p.battery == survey.battery for p in b.state.queue):
            return  # that was the battery's last sitting
        b.state.held_battery = survey.battery
        b.events.append(SittingEnded(survey.battery, survey.sitting, survey.sittings))

    def _finish(self, b: _Builder, survey: SurveyProgress, instrument: Instrument) -> None:
        """Score the survey now; offer its skipped items once, else thank and go on."""
        skipped = _skipped(survey, instrument)
        offer = bool(skipped) and not survey.offered_skipped
        self._complete(b, survey, instrument, final=not offer)
        survey.recovering = []
        b.state.survey = None
        tr = self._tr(b)
        if offer:
            survey.offered_skipped = True
            b.state.closed = survey
            # NO answers the offer here, so the read-back's undo word is BACK
            preface = self._recorded(b, survey, instrument, "back")
            if preface:
                b.outgoing.append(Outgoing("reply", preface))
            b.outgoing.append(
                Outgoing(
                    "prompt",
                    wording.skipped_offer(tr, len(skipped)),
                    options=self._offer_options(tr, survey),
                )
            )
            return
        b.state.closed = survey if survey.readback else None
        preface = self._recorded(b, survey, instrument, "no")
        if preface:
            b.outgoing.append(Outgoing("reply", preface))
        b.outgoing.append(Outgoing("reply", wording.thank_you(tr)))
        self._end_sitting(b, survey)
        self._start_next(b, decline_offer=False)

    def _complete(
        self, b: _Builder, survey: SurveyProgress, instrument: Instrument, *, final: bool
    ) -> None:
        answers = {
            item_id: (survey.answers[item_id].value if item_id in survey.answers else None)
            for item_id in instrument.item_ids
        }
        b.events.append(
            SurveyCompleted(
                survey.assignment_id, instrument.id, instrument.version, answers, final=final
            )
        )

    def _recorded(
        self, b: _Builder, survey: SurveyProgress, instrument: Instrument, undo: str
    ) -> str:
        """'Recorded: 6 = Hard to ignore. Not right? Reply NO.' for a read-back, else ''."""
        if survey.readback is None:
            return ""
        tr = self._tr(b)
        item = instrument.item(survey.readback)
        answer = survey.answers.get(item.id)
        if answer is None or answer.code is None:
            return ""
        shown = wording.answer_text(item, answer.code, survey.language)
        word = tr.gettext("NO") if undo == "no" else tr.gettext("BACK")
        return wording.recorded(tr, shown, undo_word=word)

    # ---- undo, skipped items ------------------------------------------------------------

    def _take_undo(self, b: _Builder) -> _Undo | None:
        """The read-back the previous message showed, if any; it lasts one message only."""
        survey, closed = b.state.survey, b.state.closed
        undo: _Undo | None = None
        if survey is not None and survey.readback is not None:
            undo = _Undo(survey, survey.readback, closed=False)
            survey.readback = None
        elif closed is not None and closed.readback is not None:
            undo = _Undo(closed, closed.readback, closed=True)
            closed.readback = None
        if closed is not None and not _offer_pending(closed):
            b.state.closed = None  # kept for that one message only
        return undo

    def _undo(self, b: _Builder, undo: _Undo) -> None:
        """NO or BACK right after a read-back: the answer no longer counts; ask again."""
        survey = undo.survey
        instrument = self._instrument(survey)
        item = instrument.item(undo.item_id)
        tr = self._tr(b)
        set_aside = _part_unfinished(survey, instrument)  # a part ended, nothing was scored
        old = survey.answers.pop(item.id, None)
        b.events.append(AnswerWithdrawn(survey.assignment_id, item.id))
        if undo.closed:
            # The survey was completed by that answer: it is open again, scored without it
            # until the new answer comes. A survey started in the same message waits.
            current = b.state.survey
            if current is not None and current.assignment_id != survey.assignment_id:
                b.state.queue.insert(0, _as_pending(current))
            b.state.closed = None
            b.state.survey = survey
            if set_aside:
                if b.state.held_battery == survey.battery:
                    b.state.held_battery = None  # back in the sitting that had ended
            else:
                self._complete(b, survey, instrument, final=False)
        survey.position = instrument.item_ids.index(item.id)
        survey.bad_replies = 0
        shown = wording.answer_text(item, old.code, survey.language) if old and old.code else ""
        self._ask(b, survey, preface=wording.removed(tr, shown) if shown else "")

    def _offer_open(self, b: _Builder) -> bool:
        closed = b.state.closed
        return closed is not None and _offer_pending(closed) and b.state.mode == "active"

    def _offer_reply(self, b: _Builder, text: str, button: ButtonPress | None) -> None:
        choice = button.code if button is not None else None
        if choice is None:
            key = match_key(text)
            if self._says(b, text, "yes") or key == str(OFFER_YES):
                choice = OFFER_YES
            elif self._says(b, text, "no") or key == str(OFFER_NO):
                choice = OFFER_NO
        if choice == OFFER_YES:
            self._recover_skipped(b)
        elif choice == OFFER_NO:
            self._decline_offer(b)
        else:
            b.outgoing.append(Outgoing("reply", wording.yes_or_no(self._tr(b))))

    def _recover_skipped(self, b: _Builder) -> None:
        survey = b.state.closed
        assert survey is not None
        instrument = self._instrument(survey)
        survey.recovering = _skipped(survey, instrument)
        b.state.closed = None
        b.state.survey = survey
        survey.position = instrument.item_ids.index(survey.recovering[0])
        survey.bad_replies = 0
        self._ask(b, survey)

    def _decline_offer(self, b: _Builder) -> None:
        """NO (or SKIP) to the skipped items: the survey as it is, final."""
        survey = b.state.closed
        assert survey is not None
        b.state.closed = None
        self._complete(b, survey, self._instrument(survey), final=True)
        b.outgoing.append(Outgoing("reply", wording.thank_you(self._tr(b))))
        self._end_sitting(b, survey)
        self._start_next(b, decline_offer=False)

    def _offer_options(self, tr: Translator, survey: SurveyProgress) -> tuple[ReplyOption, ...]:
        return (
            ReplyOption(OFFER_YES, tr.gettext("YES"), SKIPPED_OFFER_ITEM, survey.assignment_id),
            ReplyOption(OFFER_NO, tr.gettext("NO"), SKIPPED_OFFER_ITEM, survey.assignment_id),
        )

    def _says_next(self, b: _Builder, text: str) -> bool:
        """NEXT (in the patient's language, or in English) between two sittings."""
        key = match_key(text)
        return key in (match_key(self._tr(b).gettext("NEXT")), "next")

    def _says(self, b: _Builder, text: str, which: str) -> bool:
        words = words_for(b.state.locale)
        phrase = tuple(match_key(text).split())
        return phrase in (words.yes if which == "yes" else words.no)

    # ---- starting and asking ------------------------------------------------------------

    def _start_next(self, b: _Builder, *, decline_offer: bool = True) -> None:
        if decline_offer and b.state.closed is not None and _offer_pending(b.state.closed):
            # another survey is due: the offer lapses (the survey is already scored)
            b.state.closed = None
        while b.state.survey is None:
            # a battery between sittings waits; any other survey may go ahead of it
            ready = [
                i
                for i, p in enumerate(b.state.queue)
                if p.battery is None or p.battery != b.state.held_battery
            ]
            if not ready:
                break
            pending = b.state.queue.pop(ready[0])
            instrument = self._instruments(pending.instrument_id, pending.version)
            tr = self._tr(b)
            translation = instrument.usable_language(b.state.locale)
            if translation is None:
                # its later parts (a battery in sittings) are refused with it, once
                b.state.queue = [
                    p for p in b.state.queue if p.assignment_id != pending.assignment_id
                ]
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
                answers={k: replace(a) for k, a in pending.prior.items()},
                item_ids=list(pending.item_ids) if pending.item_ids is not None else None,
                battery=pending.battery,
                sitting=pending.sitting,
                sittings=pending.sittings,
                ends_sitting=pending.ends_sitting,
            )
            asked = _part_items(survey, instrument)
            survey.position = instrument.item_ids.index(
                next((i for i in asked if i not in survey.answers), asked[0])
            )
            b.state.survey = survey
            b.events.append(
                SurveyStarted(pending.assignment_id, translation.language, translation.status)
            )
            intro = tr.ngettext(
                "{program}: {title}. {count} question.",
                "{program}: {title}. {count} questions.",
                len(asked),
            ).format(
                program=self._program.name_in(tr.code),
                title=instrument.title[survey.language],
                count=len(asked),
            )
            if survey.sittings > 1:
                part = tr.gettext("Part {part} of {parts}.").format(
                    part=survey.sitting, parts=survey.sittings
                )
                intro = f"{intro} {part}"
            lines = [intro, instrument.instructions[survey.language]]
            if translation.status == "unvalidated":
                lines.append(tr.gettext("Note: this translation has not been validated yet."))
            b.outgoing.append(Outgoing("prompt", "\n".join(line for line in lines if line)))
            self._ask(b, survey)

    def _ask(
        self,
        b: _Builder,
        survey: SurveyProgress,
        *,
        offer_skip: bool = False,
        preface: str = "",
    ) -> None:
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
        if preface:  # its own message: the question keeps to its two SMS segments
            b.outgoing.append(Outgoing("reply", preface))
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
        options = tuple(
            ReplyOption(o.code, o.label[lang], item.id, survey.assignment_id) for o in item.options
        )
        b.outgoing.append(Outgoing("prompt", stem, options=options, hint=hint))

    def _reask_open_question(self, b: _Builder) -> None:
        """After HELP or a language change: the question that is open, asked again."""
        if b.state.mode != "active":
            return
        if b.state.survey is not None:
            self._ask(b, b.state.survey)
        elif b.state.closed is not None and _offer_pending(b.state.closed):
            tr = self._tr(b)
            closed = b.state.closed
            count = len(_skipped(closed, self._instrument(closed)))
            b.outgoing.append(
                Outgoing(
                    "prompt",
                    wording.skipped_offer(tr, count),
                    options=self._offer_options(tr, closed),
                )
            )

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
                ).format(program=self._program.name_in(tr.code), start=tr.gettext("START")),
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
                ).format(program=self._program.name_in(tr.code), stop=tr.gettext("STOP")),
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
                    program=self._program.name_in(tr.code),
                    phone=self._program.phone_in(tr.code),
                    hours=self._program.hours_in(tr.code),
                    stop=tr.gettext("STOP"),
                    language=tr.gettext("LANGUAGE"),
                ),
            )
        )
        self._reask_open_question(b)

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
        instrument = self._instrument(survey)
        previous = _previous_position(survey, instrument)
        survey.bad_replies = 0
        if previous is None:
            b.outgoing.append(Outgoing("reply", tr.gettext("This is the first question.")))
            self._ask(b, survey)
            return
        survey.position = previous
        item = instrument.items[previous]
        answer = survey.answers.get(item.id)
        if answer is None:
            preface = ""
        elif answer.code is None:
            preface = wording.previous_answer(tr, None)
        else:
            shown = wording.answer_text(item, answer.code, survey.language)
            preface = wording.previous_answer(tr, shown)
        self._ask(b, survey, preface=preface)

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
        if b.state.survey is None and not self._offer_open(b):
            b.state.held_battery = None  # RESUME between sittings: the next one, now
        if b.state.survey is not None or self._offer_open(b):
            self._reask_open_question(b)
        elif b.state.queue:
            self._start_next(b)
        else:
            self._idle(b)

    def _language(self, b: _Builder, arg: str | None) -> None:
        if arg and arg in SUPPORTED_LOCALES:
            self._set_locale(b, arg)
            return
        b.state.awaiting_language = True
        b.outgoing.append(language_menu(self._tr(b)))

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
        self._reask_open_question(b)

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
        if b.state.held_battery is not None:
            b.outgoing.append(
                Outgoing(
                    "reply",
                    tr.gettext(
                        "The next part of your questions comes later. Reply {next} to start it now."
                    ).format(next=tr.gettext("NEXT")),
                )
            )
            return
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


def language_menu(tr: Translator) -> Outgoing:
    """The language question, one numbered option (a button on Telegram) per language."""
    options = tuple(
        ReplyOption(n, LANGUAGE_NAMES[code], LANGUAGE_ITEM)
        for n, code in enumerate(SUPPORTED_LOCALES, start=1)
    )
    return Outgoing("prompt", tr.gettext("Which language do you want?"), options=options)


def _language_choice(text: str, locales: Sequence[str]) -> str | None:
    """A reply to the language menu: its number, or the language's words ("español",
    "espanol", "Spanish", "es": the names the LANGUAGE command knows)."""
    key = match_key(text)
    if key.isdecimal() and len(key) <= 2:
        index = int(key) - 1
        return locales[index] if 0 <= index < len(locales) else None
    for code in locales:
        if key in (code, match_key(LANGUAGE_NAMES[code])):
            return code
    named = language_names().get(key)
    return named if named in locales else None


def _skipped(survey: SurveyProgress, instrument: Instrument) -> list[str]:
    return [
        item_id
        for item_id in instrument.item_ids
        if item_id in survey.answers and survey.answers[item_id].status == "skipped"
    ]


def _offer_pending(closed: SurveyProgress) -> bool:
    """A completed survey whose skipped items were offered and not yet taken up or declined."""
    return closed.offered_skipped and not closed.recovering


def _next_position(survey: SurveyProgress, instrument: Instrument) -> int | None:
    """The next item to ask: the next skipped one when recovering, else the next in order
    (within this sitting's part of the instrument)."""
    if survey.recovering:
        current = instrument.items[survey.position].id
        order = survey.recovering
        later = order[order.index(current) + 1 :] if current in order else []
        return instrument.item_ids.index(later[0]) if later else None
    part = set(_part_items(survey, instrument))
    for nxt in range(survey.position + 1, len(instrument.items)):
        if instrument.items[nxt].id in part:
            return nxt
    return None


def _previous_position(survey: SurveyProgress, instrument: Instrument) -> int | None:
    if survey.recovering:
        current = instrument.items[survey.position].id
        order = survey.recovering
        index = order.index(current) if current in order else 0
        return instrument.item_ids.index(order[index - 1]) if index > 0 else None
    part = set(_part_items(survey, instrument))
    for previous in range(survey.position - 1, -1, -1):
        if instrument.items[previous].id in part:
            return previous
    return None  # BACK does not reach into an earlier sitting


def _part_items(survey: SurveyProgress, instrument: Instrument) -> list[str]:
    """The items this sitting asks: its part of the instrument, or all of it."""
    if survey.item_ids is None:
        return list(instrument.item_ids)
    part = set(survey.item_ids)
    return [i for i in instrument.item_ids if i in part]


def _part_unfinished(survey: SurveyProgress, instrument: Instrument) -> bool:
    """A part whose instrument still has items for a later sitting: it is set aside, unscored."""
    return survey.item_ids is not None and any(i not in survey.answers for i in instrument.item_ids)


def _as_pending(survey: SurveyProgress) -> PendingSurvey:
    """A survey put back in the queue, with its part and the answers it has."""
    return PendingSurvey(
        survey.assignment_id,
        survey.instrument_id,
        survey.version,
        item_ids=survey.item_ids,
        prior={k: replace(a) for k, a in survey.answers.items()},
        battery=survey.battery,
        sitting=survey.sitting,
        sittings=survey.sittings,
        ends_sitting=survey.ends_sitting,
    )
