"""Issue 14 in the engine: an instrument cut between two sittings is one survey, scored once."""

from __future__ import annotations

import pytest

from bot.conversation.engine import ConversationEngine, ProgramInfo, Step
from bot.conversation.events import (
    AnswerWithdrawn,
    SittingEnded,
    SurveyCompleted,
)
from bot.conversation.i18n import translator
from bot.conversation.state import ConversationState, PendingSurvey
from surveys.loader import load_instrument

PROGRAM = ProgramInfo(name="Pain Program", help_phone="802-555-0100", help_hours="Mon-Fri 8-5")
PROMIS = load_instrument("promis29")
PART_1 = list(PROMIS.item_ids[:4])  # physical function
PART_2 = list(PROMIS.item_ids[4:])


@pytest.fixture
def engine() -> ConversationEngine:
    return ConversationEngine(
        instruments=lambda i, v: load_instrument(i, v), translators=translator, program=PROGRAM
    )


def _parts() -> list[PendingSurvey]:
    return [
        PendingSurvey(1, "promis29", PROMIS.version, item_ids=items, battery=7, sitting=n,
                      sittings=2, ends_sitting=True)
        for n, items in ((1, PART_1), (2, PART_2))
    ]  # fmt: skip


def _asking(step: Step) -> str:
    assert step.state.survey is not None
    return PROMIS.items[step.state.survey.position].id


def test_a_part_is_set_aside_unscored_and_the_last_part_scores_the_whole(
    engine: ConversationEngine,
) -> None:
    step = engine.start_surveys(ConversationState(), _parts())
    assert "Part 1 of 2." in step.outgoing[0].text and "4 questions" in step.outgoing[0].text
    for _ in range(3):
        step = engine.on_text(step.state, "3")
    step = engine.on_text(step.state, "three")  # read back: NO may undo it
    assert [e for e in step.events if isinstance(e, SurveyCompleted)] == []
    assert [e for e in step.events if isinstance(e, SittingEnded)] == [SittingEnded(7, 1, 2)]
    assert step.state.survey is None and step.state.held_battery == 7
    assert any("Recorded" in o.text for o in step.outgoing)

    step = engine.on_text(step.state, "NO")  # the part is open again, the hold lifted
    assert [e for e in step.events if isinstance(e, AnswerWithdrawn)]
    assert _asking(step) == PART_1[-1] and step.state.held_battery is None
    step = engine.on_text(step.state, "2")
    assert step.state.held_battery == 7

    step = engine.on_text(step.state, "NEXT")
    assert _asking(step) == PART_2[0] and "Part 2 of 2." in step.outgoing[0].text
    for _ in PART_2:
        step = engine.on_text(step.state, "1")
    done = [e for e in step.events if isinstance(e, SurveyCompleted)]
    assert len(done) == 1 and done[0].final
    assert set(done[0].answers) == set(PROMIS.item_ids)
    assert all(v is not None for v in done[0].answers.values())
    assert done[0].answers[PART_1[-1]] == PROMIS.item(PART_1[-1]).option_by_code(2).value  # type: ignore[union-attr]
    assert [e for e in step.events if isinstance(e, SittingEnded)] == []  # the last sitting


def test_another_survey_goes_ahead_of_a_battery_between_sittings(
    engine: ConversationEngine,
) -> None:
    step = engine.start_surveys(ConversationState(), _parts())
    for _ in PART_1:
        step = engine.on_text(step.state, "3")
    assert step.state.held_battery == 7
    dvprs = load_instrument("dvprs")
    step = engine.start_survey(step.state, PendingSurvey(2, "dvprs", dvprs.version))
    assert step.state.survey is not None and step.state.survey.instrument_id == "dvprs"
    step = engine.continue_battery(step.state, 7)  # the break is over, the DVPRS is open
    assert step.state.survey is not None and step.state.survey.instrument_id == "dvprs"
    for _ in dvprs.items:
        step = engine.on_text(step.state, "2")
    assert _asking(step) == PART_2[0]  # then the battery's next sitting


def test_back_does_not_reach_into_an_earlier_sitting(engine: ConversationEngine) -> None:
    step = engine.start_surveys(ConversationState(), _parts())
    for _ in PART_1:
        step = engine.on_text(step.state, "3")
    step = engine.on_text(step.state, "NEXT")
    step = engine.on_text(step.state, "2")
    assert _asking(step) == PART_2[1]
    from bot.conversation.keywords import Command, Keyword

    step = engine.on_keyword(step.state, Keyword(Command.BACK, None))
    assert _asking(step) == PART_2[0]
    step = engine.on_keyword(step.state, Keyword(Command.BACK, None))
    assert _asking(step) == PART_2[0]
    assert any("This is the first question." in o.text for o in step.outgoing)


def test_state_with_parts_survives_a_round_trip(engine: ConversationEngine) -> None:
    step = engine.start_surveys(ConversationState(), _parts())
    for _ in PART_1:
        step = engine.on_text(step.state, "3")
    again = ConversationState.from_dict(step.state.to_dict())
    assert again == step.state
    assert again.queue[0].prior and again.queue[0].item_ids == PART_2
