"""The conversation engine on its own: pure state in, state + events + messages out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.conversation import language_status
from bot.conversation.engine import ConversationEngine, ProgramInfo, Step
from bot.conversation.events import (
    AnswerRecorded,
    CrisisDetected,
    LocaleChanged,
    OptedIn,
    OptedOut,
    SurveyCompleted,
    SurveyPaused,
    SurveyRefused,
    SurveyStarted,
)
from bot.conversation.i18n import translator
from bot.conversation.keywords import Command, Keyword
from bot.conversation.messages import LANGUAGE_ITEM, ButtonPress
from bot.conversation.state import ConversationState, PendingSurvey
from bot.conversation.triage import TriageResult
from surveys.model import Instrument, Item, Option, Translation

PROGRAM = ProgramInfo(name="Pain Program", help_phone="802-555-0100", help_hours="Mon-Fri 8-5")


def _labels(en: str, es: str) -> dict[str, str]:
    return {"en": en, "es": es}


# A small two-item instrument whose first item has printed values that differ from the codes,
# like PROMIS physical function ("1 = Without any difficulty" is stored as 5).
TOY = Instrument(
    id="toy",
    version="1",
    scoring_revision="1",
    title=_labels("Toy check", "Control de prueba"),
    instructions=_labels("Answer each question.", "Responda cada pregunta."),
    items=(
        Item(
            id="toy_pf",
            text=_labels("Can you do chores?", "¿Puede hacer tareas?"),
            options=tuple(
                Option(code=c, value=6 - c, label=_labels(en, es))
                for c, (en, es) in enumerate(
                    [
                        ("Without any difficulty", "Sin dificultad"),
                        ("A little", "Un poco"),
                        ("Some", "Algo"),
                        ("Much", "Mucha"),
                        ("Unable to do", "No puedo"),
                    ],
                    start=1,
                )
            ),
            context=_labels("In the past 7 days", "En los últimos 7 días"),
        ),
        Item(
            id="toy_pain",
            text=_labels("Pain now?", "¿Dolor ahora?"),
            options=tuple(
                Option(code=v, value=v, label=_labels(str(v), str(v))) for v in range(11)
            ),
        ),
    ),
    translations={
        "en": Translation("en", "validated", "test"),
        "es": Translation("es", "unvalidated", "test"),
    },
    unvalidated_policy="mark",
    copyright="test",
    source_file="toy.yaml",
)
REFUSED = Instrument(**{**TOY.__dict__, "id": "refused", "unvalidated_policy": "refuse"})
INSTRUMENTS = {"toy": TOY, "refused": REFUSED}


@pytest.fixture
def engine() -> ConversationEngine:
    return ConversationEngine(
        instruments=lambda i, v: INSTRUMENTS[i], translators=translator, program=PROGRAM
    )


def started(engine: ConversationEngine, locale: str = "en", instrument: str = "toy") -> Step:
    return engine.start_survey(ConversationState(locale=locale), PendingSurvey(7, instrument, "1"))


def test_start_asks_intro_then_first_item_with_numbered_options(engine: ConversationEngine) -> None:
    step = started(engine)
    assert isinstance(step.events[0], SurveyStarted)
    intro, question = step.outgoing
    assert intro.text.startswith("Pain Program: Toy check. 2 questions.")
    assert question.text == "Q1/2. In the past 7 days\nCan you do chores?"
    assert [(o.code, o.label) for o in question.options][:2] == [
        (1, "Without any difficulty"),
        (2, "A little"),
    ]
    assert question.hint == "Reply 1-5. SKIP, BACK, PAUSE"


def test_displayed_code_is_not_the_stored_value(engine: ConversationEngine) -> None:
    step = engine.on_text(started(engine).state, "1")
    answer = step.events[0]
    assert isinstance(answer, AnswerRecorded)
    assert (answer.option_code, answer.value, answer.raw_text) == (1, 5, "1")


def test_full_survey_completes_with_scored_values(engine: ConversationEngine) -> None:
    state = started(engine).state
    state = engine.on_text(state, "2").state
    step = engine.on_text(state, "my pain is 7 today")
    completed = [e for e in step.events if isinstance(e, SurveyCompleted)]
    assert completed and completed[0].answers == {"toy_pf": 4, "toy_pain": 7}
    assert step.state.survey is None
    assert "Thank you" in step.outgoing[-1].text


def test_engine_does_not_mutate_its_input(engine: ConversationEngine) -> None:
    state = started(engine).state
    before = state.to_dict()
    engine.on_text(state, "3")
    assert state.to_dict() == before


def test_bad_replies_reprompt_and_offer_skip_after_two(engine: ConversationEngine) -> None:
    """A re-prompt says only what is expected; the question is not sent again (issue 13.6)."""
    state = started(engine).state
    first = engine.on_text(state, "3-4")
    assert first.events == ()
    assert [o.text for o in first.outgoing] == ["Please send just one number, from 1 to 5."]
    second = engine.on_text(first.state, "banana")
    assert [o.text for o in second.outgoing] == [
        "Please reply with a number from 1 to 5. You can reply SKIP to skip this question."
    ]


def test_skip_records_skipped_never_zero(engine: ConversationEngine) -> None:
    step = engine.on_keyword(started(engine).state, Keyword(Command.SKIP, None))
    answer = step.events[0]
    assert isinstance(answer, AnswerRecorded)
    assert (answer.status, answer.value, answer.option_code) == ("skipped", None, None)


def test_back_reasks_previous_item_showing_its_answer(engine: ConversationEngine) -> None:
    state = engine.on_text(started(engine).state, "2").state
    step = engine.on_keyword(state, Keyword(Command.BACK, None))
    assert step.state.survey is not None and step.state.survey.position == 0
    assert [o.text for o in step.outgoing] == [
        "Your answer was: 2 = A little.",
        "Q1/2. In the past 7 days\nCan you do chores?",
    ]
    at_first = engine.on_keyword(step.state, Keyword(Command.BACK, None))
    assert at_first.outgoing[0].text == "This is the first question."
    assert at_first.outgoing[1].text.startswith("Q1/2.")


def test_back_to_a_skipped_item_says_so(engine: ConversationEngine) -> None:
    state = engine.on_keyword(started(engine).state, Keyword(Command.SKIP, None)).state
    step = engine.on_keyword(state, Keyword(Command.BACK, None))
    assert step.outgoing[0].text == "You skipped this question before."
    assert step.outgoing[1].text.startswith("Q1/2.")


def test_pause_then_any_text_resumes_without_consuming_it(engine: ConversationEngine) -> None:
    paused = engine.on_keyword(started(engine).state, Keyword(Command.PAUSE, None))
    assert paused.state.mode == "paused" and isinstance(paused.events[0], SurveyPaused)
    resumed = engine.on_text(paused.state, "3")
    assert resumed.state.mode == "active"
    assert not any(isinstance(e, AnswerRecorded) for e in resumed.events)
    assert resumed.outgoing[-1].text.endswith("Can you do chores?")


def test_stop_confirms_exactly_once_and_silences(engine: ConversationEngine) -> None:
    stop = Keyword(Command.STOP, None)
    first = engine.on_keyword(started(engine).state, stop)
    assert any(isinstance(e, OptedOut) for e in first.events)
    assert [o.kind for o in first.outgoing] == ["confirmation"]
    again = engine.on_keyword(first.state, stop)
    assert again.outgoing == () and again.events == ()
    assert engine.on_text(first.state, "3").outgoing == ()
    assert engine.on_keyword(first.state, Keyword(Command.SKIP, None)).outgoing == ()
    helped = engine.on_keyword(first.state, Keyword(Command.HELP, None))
    assert "988" in helped.outgoing[0].text


def test_start_after_stop_resumes_the_same_question(engine: ConversationEngine) -> None:
    state = engine.on_text(started(engine).state, "2").state
    stopped = engine.on_keyword(state, Keyword(Command.STOP, None)).state
    back = engine.on_keyword(stopped, Keyword(Command.START, None))
    assert any(isinstance(e, OptedIn) for e in back.events)
    assert back.outgoing[-1].text.startswith("Q2/2.")


def test_crisis_pauses_survey_and_answers_with_resources(engine: ConversationEngine) -> None:
    step = engine.on_crisis(started(engine).state, TriageResult(1, "t1_plan", "1"))
    assert step.state.mode == "crisis_hold"
    assert any(isinstance(e, CrisisDetected) for e in step.events)
    assert "911" in step.outgoing[0].text and "988" in step.outgoing[0].text
    held = engine.on_text(step.state, "3")
    assert not any(isinstance(e, AnswerRecorded) for e in held.events)
    assert "paused" in held.outgoing[0].text
    cleared = engine.clear_crisis_hold(step.state)
    assert cleared.state.mode == "active" and cleared.outgoing[-1].text.startswith("Q1/2.")


def test_distress_tier_three_does_not_hold_the_survey(engine: ConversationEngine) -> None:
    step = engine.on_crisis(started(engine).state, TriageResult(3, "t3_pain", "1"))
    assert step.state.mode == "active"
    assert "988" in step.outgoing[0].text


def test_spanish_wording_and_unvalidated_mark(engine: ConversationEngine) -> None:
    step = started(engine, locale="es")
    intro, question = step.outgoing
    assert "Control de prueba" in intro.text
    assert "Nota: esta traducción todavía no ha sido validada." in intro.text
    assert question.text == "P1/2. En los últimos 7 días\n¿Puede hacer tareas?"
    assert question.hint == "Responda del 1 al 5. SALTAR, ATRÁS, PAUSA"


def test_refused_translation_is_not_asked(engine: ConversationEngine) -> None:
    step = started(engine, locale="es", instrument="refused")
    assert isinstance(step.events[0], SurveyRefused)
    assert step.state.survey is None
    assert "no está disponible en su idioma" in step.outgoing[0].text


def test_language_menu_switches_catalog_and_item_text(engine: ConversationEngine) -> None:
    menu = engine.on_keyword(started(engine).state, Keyword(Command.LANGUAGE, None))
    assert menu.state.awaiting_language
    # every language in its own script, in the order of locales/languages.yaml
    labels = [(o.code, o.label) for o in menu.outgoing[0].options]
    assert labels[:2] == [(1, "English"), (2, "Español")]
    assert [label for _, label in labels] == [i.name for i in language_status.languages()]
    chosen = engine.on_text(menu.state, "2")
    assert any(isinstance(e, LocaleChanged) and e.locale == "es" for e in chosen.events)
    assert chosen.outgoing[-1].text.endswith("¿Puede hacer tareas?")


@pytest.mark.parametrize("reply", ["español", "Espanol", "spanish", "ES", "castellano"])
def test_language_menu_accepts_the_option_words(engine: ConversationEngine, reply: str) -> None:
    menu = engine.on_keyword(started(engine).state, Keyword(Command.LANGUAGE, None))
    chosen = engine.on_text(menu.state, reply)
    assert chosen.state.locale == "es"


def test_stale_buttons_change_nothing(engine: ConversationEngine) -> None:
    """Only a button of the question open now, in this survey, answers (issue 13.3)."""
    state = engine.on_text(started(engine).state, "2").state
    for stale in (
        ButtonPress("toy_pf", 3, 7),  # the previous question
        ButtonPress("toy_pain", 4, 8),  # the right item, another survey
        ButtonPress("toy_pain", 4, None),  # a button made before buttons carried the survey
        ButtonPress("toy_pain", 11, 7),  # no such option
        ButtonPress(LANGUAGE_ITEM, 2, None),  # the language menu, closed long ago
    ):
        assert not engine.button_is_live(state, stale), stale
        step = engine.on_text(state, "2", button=stale)
        assert step.events == () and step.outgoing == () and step.state == state
    live = ButtonPress("toy_pain", 4, 7)
    assert engine.button_is_live(state, live)
    pressed = engine.on_text(state, "", button=live)
    assert isinstance(pressed.events[0], AnswerRecorded) and pressed.events[0].value == 4
    assert "Recorded" not in pressed.outgoing[-1].text  # a button is read back on its message


def test_language_button_answers_only_while_the_menu_is_open(engine: ConversationEngine) -> None:
    menu = engine.on_keyword(started(engine).state, Keyword(Command.LANGUAGE, None))
    press = ButtonPress(LANGUAGE_ITEM, 2, None)
    assert engine.button_is_live(menu.state, press)
    assert engine.on_text(menu.state, "", button=press).state.locale == "es"


def test_state_round_trips_through_json(engine: ConversationEngine) -> None:
    import json

    state = engine.on_text(started(engine).state, "2").state
    again = ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state


def test_engine_imports_no_io() -> None:
    """The engine stays pure: no channels, database, network or clock (STYLE.md 2)."""
    forbidden = (
        "telegram",
        "twilio",
        "sqlmodel",
        "sqlalchemy",
        "httpx",
        "aiohttp",
        "bot.db",
        "bot.channels",
        "bot.service.dispatcher",
        "bot.service.pipeline",
        "time",
        "os",
    )
    for module in ("engine", "state", "events", "parsing", "keywords", "triage", "messages"):
        tree = ast.parse(Path(f"bot/conversation/{module}.py").read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        for name in names:
            assert not any(name == f or name.startswith(f + ".") for f in forbidden), (module, name)
    source = Path("bot/conversation/engine.py").read_text(encoding="utf-8")
    assert "datetime.now" not in source and "utcnow" not in source


def test_stop_then_start_does_not_lift_a_crisis_hold(engine: ConversationEngine) -> None:
    held = engine.on_crisis(started(engine).state, TriageResult(2, "t2", "1")).state
    stopped = engine.on_keyword(held, Keyword(Command.STOP, None)).state
    back = engine.on_keyword(stopped, Keyword(Command.START, None))
    assert back.state.mode == "crisis_hold"
    assert not any(o.text.startswith("Q") for o in back.outgoing)
