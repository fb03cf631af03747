"""Issue 13 in the engine: read-back and undo, the skipped-items offer, HELP and BACK, on the
real instrument files (DVPRS, PROMIS-29)."""

from __future__ import annotations

import json

import pytest

from bot.conversation.engine import ConversationEngine, ProgramInfo, Step
from bot.conversation.events import AnswerRecorded, AnswerWithdrawn, SurveyCompleted, SurveyStarted
from bot.conversation.i18n import translator
from bot.conversation.keywords import Command, Keyword
from bot.conversation.messages import SKIPPED_OFFER_ITEM, ButtonPress
from bot.conversation.state import ConversationState, PendingSurvey
from surveys.loader import load_instrument
from surveys.scoring import score

PROGRAM = ProgramInfo(name="Pain Program", help_phone="802-555-0100", help_hours="Mon-Fri 8-5")
DVPRS = load_instrument("dvprs")
PROMIS = load_instrument("promis29")


@pytest.fixture
def engine() -> ConversationEngine:
    return ConversationEngine(
        instruments=lambda i, v: load_instrument(i, v), translators=translator, program=PROGRAM
    )


def begin(engine: ConversationEngine, instrument: str = "dvprs", locale: str = "en") -> Step:
    pending = PendingSurvey(1, instrument, load_instrument(instrument).version)
    return engine.start_survey(ConversationState(locale=locale), pending)


def say(engine: ConversationEngine, step: Step, *replies: str) -> Step:
    for reply in replies:
        keyword = {"SKIP": Command.SKIP, "BACK": Command.BACK, "HELP": Command.HELP}.get(reply)
        if keyword is not None:
            step = engine.on_keyword(step.state, Keyword(keyword, None))
        else:
            step = engine.on_text(step.state, reply)
    return step


def answers(step: Step) -> list[AnswerRecorded]:
    return [e for e in step.events if isinstance(e, AnswerRecorded)]


def completions(step: Step) -> list[SurveyCompleted]:
    return [e for e in step.events if isinstance(e, SurveyCompleted)]


# ---- read-back ------------------------------------------------------------------------------


def test_an_interpreted_answer_is_read_back_at_the_start_of_the_next_question(
    engine: ConversationEngine,
) -> None:
    step = say(engine, begin(engine), "like a 6")
    assert answers(step)[0].value == 6
    readback, question = step.outgoing[-2:]
    assert readback.text == (
        "Recorded: 6 = Hard to ignore, avoid usual activities. Not right? Reply NO."
    )
    assert question.text.startswith("Q2/5.") and question.options


@pytest.mark.parametrize("reply", ["6", "٦", "6️⃣", "No pain", "no pain"])
def test_bare_numbers_and_exact_option_words_are_not_read_back(
    engine: ConversationEngine, reply: str
) -> None:
    step = say(engine, begin(engine), reply)
    assert answers(step) and step.outgoing[-1].text.startswith("Q2/5.")


def test_read_back_in_spanish(engine: ConversationEngine) -> None:
    step = say(engine, begin(engine, locale="es"), "mi dolor es 6 hoy")
    readback = step.outgoing[-2].text
    assert readback.startswith("Registrado: 6 = Es difícil no hacerle caso")
    assert readback.endswith("¿No es correcto? Responda NO.")


@pytest.mark.parametrize("undo", ["no", "NO", "nope", "wrong", "BACK"])
def test_no_or_back_right_after_a_read_back_undoes_it(
    engine: ConversationEngine, undo: str
) -> None:
    step = say(engine, begin(engine), "like a 6", undo)
    assert step.events == (AnswerWithdrawn(1, "dvprs_pain"),)
    assert step.state.survey is not None and step.state.survey.position == 0
    assert "dvprs_pain" not in step.state.survey.answers
    assert [o.text.split("\n")[0] for o in step.outgoing] == [
        "Removed: 6 = Hard to ignore, avoid usual activities. Please answer again.",
        "Q1/5. How would you rate your pain right now?",
    ]
    again = say(engine, step, "7")
    assert answers(again)[0].value == 7 and again.outgoing[-1].text.startswith("Q2/5.")


def test_the_undo_lasts_one_message(engine: ConversationEngine) -> None:
    step = say(engine, begin(engine), "like a 6", "3", "no")
    assert not any(isinstance(e, AnswerWithdrawn) for e in step.events)
    assert step.outgoing[-1].text == "Please reply with a number from 0 to 10."


def test_no_without_a_read_back_is_just_a_reply(engine: ConversationEngine) -> None:
    step = say(engine, begin(engine), "6", "no")
    assert step.events == () and step.outgoing[-1].text.startswith("Please reply")


def test_the_last_answer_read_back_can_be_undone_after_the_survey_completed(
    engine: ConversationEngine,
) -> None:
    step = say(engine, begin(engine), "6", "5", "4", "3", "about a 2")
    (done,) = completions(step)
    assert done.final and done.answers["dvprs_stress"] == 2
    assert [o.text[:33] for o in step.outgoing] == [
        "Recorded: 2. Not right? Reply NO.",
        "Thank you! Your answers are saved",
    ]
    undone = say(engine, step, "no")
    assert undone.events[0] == AnswerWithdrawn(1, "dvprs_stress")
    (rescored,) = completions(undone)  # scored without it until the new answer
    assert not rescored.final and rescored.answers["dvprs_stress"] is None
    assert undone.state.survey is not None
    assert undone.outgoing[-2].text == "Removed: 2. Please answer again."
    assert undone.outgoing[-1].text.startswith("Q5/5.")
    fixed = say(engine, undone, "8")
    (final,) = completions(fixed)
    assert final.final and final.answers == {
        "dvprs_pain": 6, "dvprs_activity": 5, "dvprs_sleep": 4, "dvprs_mood": 3, "dvprs_stress": 8
    }  # fmt: skip


def test_undoing_the_last_answer_puts_back_a_survey_started_after_it(
    engine: ConversationEngine,
) -> None:
    step = begin(engine)
    step = engine.start_survey(step.state, PendingSurvey(2, "dvprs", DVPRS.version))
    step = say(engine, step, "6", "5", "4", "3", "about a 2")
    assert step.state.survey is not None and step.state.survey.assignment_id == 2
    undone = say(engine, step, "no")
    assert undone.state.survey is not None and undone.state.survey.assignment_id == 1
    assert [p.assignment_id for p in undone.state.queue] == [2]
    fixed = say(engine, undone, "8")
    assert completions(fixed)[0].assignment_id == 1
    assert any(isinstance(e, SurveyStarted) and e.assignment_id == 2 for e in fixed.events)


# ---- HELP, BACK -----------------------------------------------------------------------------


def test_help_asks_the_open_question_again(engine: ConversationEngine) -> None:
    step = say(engine, begin(engine), "6", "HELP")
    assert "988" in step.outgoing[0].text
    assert step.outgoing[-1].text.startswith("Q2/5.") and step.outgoing[-1].options


# ---- skipped items --------------------------------------------------------------------------


def promis_with_two_skips(engine: ConversationEngine) -> Step:
    step = begin(engine, "promis29")
    replies = ["2"] * 28 + ["4"]  # every item, then Global07
    replies[5] = "SKIP"  # EDANX40 (anxiety)
    replies[17] = "SKIP"  # Sleep116 (sleep disturbance)
    return say(engine, step, *replies)


def test_promis_two_skips_then_yes_and_two_answers_completes_every_domain(
    engine: ConversationEngine,
) -> None:
    step = promis_with_two_skips(engine)
    (first,) = completions(step)
    assert not first.final
    assert first.answers["EDANX40"] is None and first.answers["Sleep116"] is None
    partial = score(PROMIS, dict(first.answers)).scores
    assert partial["anxiety"].status == partial["sleep_disturbance"].status == "incomplete"
    assert partial["physical_health_summary"].status == "incomplete"
    offer = step.outgoing[-1]
    assert offer.text == "You skipped 2 questions. Answer them now? YES / NO"
    assert [(o.code, o.label, o.item_id, o.survey) for o in offer.options] == [
        (1, "YES", SKIPPED_OFFER_ITEM, 1),
        (2, "NO", SKIPPED_OFFER_ITEM, 1),
    ]
    assert step.state.survey is None and step.state.queue == []

    step = say(engine, step, "yes")
    assert step.outgoing[-1].text.startswith("Q6/29. In the past 7 days\nI found it hard")
    step = say(engine, step, "3")
    assert step.outgoing[-1].text.startswith("Q18/29. In the past 7 days\nMy sleep was refreshing")
    step = say(engine, step, "2")
    (final,) = completions(step)
    assert final.final and None not in final.answers.values()
    assert final.answers["EDANX40"] == 3 and final.answers["Sleep116"] == 4  # reverse-keyed
    scores = score(PROMIS, dict(final.answers)).scores
    assert all(s.status == "complete" for s in scores.values())
    assert "Thank you!" in step.outgoing[-1].text
    assert step.state.survey is None and step.state.closed is None


@pytest.mark.parametrize("decline", ["no", "NO", "2", "SKIP"])
def test_declining_the_offer_keeps_the_survey_as_it_is(
    engine: ConversationEngine, decline: str
) -> None:
    step = say(engine, promis_with_two_skips(engine), decline)
    (final,) = completions(step)
    assert final.final and final.answers["EDANX40"] is None
    assert step.outgoing[-1].text.startswith("Thank you!")
    assert step.state.closed is None


def test_the_offer_waits_for_yes_or_no_and_survives_help(engine: ConversationEngine) -> None:
    step = say(engine, promis_with_two_skips(engine), "maybe later?")
    assert [o.text for o in step.outgoing] == ["Please reply YES or NO."]
    step = say(engine, step, "HELP")
    assert step.outgoing[-1].text.startswith("You skipped 2 questions.")
    assert say(engine, step, "1").outgoing[-1].text.startswith("Q6/29.")


def test_offer_buttons_are_live_until_answered(engine: ConversationEngine) -> None:
    step = promis_with_two_skips(engine)
    yes = ButtonPress(SKIPPED_OFFER_ITEM, 1, 1)
    assert engine.button_is_live(step.state, yes)
    assert not engine.button_is_live(step.state, ButtonPress(SKIPPED_OFFER_ITEM, 1, 99))
    recovering = engine.on_text(step.state, "", button=yes)
    assert recovering.outgoing[-1].text.startswith("Q6/29.")
    assert not engine.button_is_live(recovering.state, yes)


def test_skipping_again_while_recovering_ends_without_a_second_offer(
    engine: ConversationEngine,
) -> None:
    step = say(engine, promis_with_two_skips(engine), "yes", "SKIP", "SKIP")
    (final,) = completions(step)
    assert final.final and final.answers["EDANX40"] is None
    assert step.outgoing[-1].text.startswith("Thank you!")


def test_a_new_survey_lets_the_offer_lapse(engine: ConversationEngine) -> None:
    step = promis_with_two_skips(engine)
    step = engine.start_survey(step.state, PendingSurvey(2, "dvprs", DVPRS.version))
    assert step.state.closed is None
    assert step.state.survey is not None and step.state.survey.assignment_id == 2


def test_state_with_an_open_offer_round_trips_through_json(engine: ConversationEngine) -> None:
    state = promis_with_two_skips(engine).state
    again = ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state


def test_a_due_survey_ends_an_unfinished_recovery_and_scores_what_was_answered(
    engine: ConversationEngine,
) -> None:
    step = say(engine, promis_with_two_skips(engine), "yes", "3")  # one of the two answered
    step = engine.start_survey(step.state, PendingSurvey(2, "dvprs", DVPRS.version))
    (final,) = completions(step)
    assert final.assignment_id == 1 and final.final
    assert final.answers["EDANX40"] == 3 and final.answers["Sleep116"] is None
    assert step.state.survey is not None and step.state.survey.assignment_id == 2


def test_with_the_offer_open_no_declines_and_back_undoes_the_last_read_back(
    engine: ConversationEngine,
) -> None:
    replies = ["2"] * 28 + ["about 4"]  # Global07 read back
    replies[5] = "SKIP"
    step = say(engine, begin(engine, "promis29"), *replies)
    assert [o.text for o in step.outgoing[-2:]] == [
        "Recorded: 4. Not right? Reply BACK.",
        "You skipped 1 question. Answer it now? YES / NO",
    ]
    declined = say(engine, step, "NO")
    assert not any(isinstance(e, AnswerWithdrawn) for e in declined.events)
    assert completions(declined)[0].final and declined.state.closed is None
    undone = say(engine, step, "BACK")
    assert undone.events[0] == AnswerWithdrawn(1, "Global07")
    assert undone.outgoing[-1].text.startswith("Q29/29.")
