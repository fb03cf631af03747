"""ConversationState.to_dict is what dataclasses.asdict gives (same keys, order and values), so
the stored JSON is unchanged by its faster making, and it shares nothing with the state."""

from __future__ import annotations

import json
from dataclasses import asdict

from bot.conversation.state import Answer, ConversationState, PendingSurvey, SurveyProgress


def _full_state() -> ConversationState:
    answers = {"a1": Answer(3, 3, "answered"), "a2": Answer(None, None, "skipped")}
    progress = SurveyProgress(
        7, "dvprs", "2.0", "es", position=2, answers=answers, bad_replies=1, readback="a1",
        recovering=["a2"], offered_skipped=True, item_ids=["a1", "a2", "a3"], battery=4,
        sitting=1, sittings=2, ends_sitting=True,
    )  # fmt: skip
    pending = PendingSurvey(8, "promis29", "2.1", item_ids=["p1"], prior=dict(answers), battery=4)
    queue = [pending, PendingSurvey(9, "brs", "1")]
    return ConversationState(
        locale="es", mode="crisis_hold", survey=progress, queue=queue, awaiting_language=True,
        crisis_hold=True, closed=progress, held_battery=4,
    )  # fmt: skip


def test_to_dict_is_asdict() -> None:
    for state in (ConversationState(), _full_state()):
        expected = asdict(state) | {"format": 1}
        data = state.to_dict()
        assert data == expected
        assert json.dumps(data) == json.dumps(expected)  # key order too: the stored bytes
        assert ConversationState.from_dict(json.loads(json.dumps(data))) == state


def test_to_dict_shares_no_lists_or_dicts_with_the_state() -> None:
    state = _full_state()
    data = state.to_dict()
    data["survey"]["answers"]["a1"]["code"] = 9
    data["survey"]["recovering"].append("x")
    data["queue"][0]["item_ids"].append("y")
    assert state.survey is not None and state.survey.answers["a1"].code == 3
    assert state.survey.recovering == ["a2"]
    assert state.queue[0].item_ids == ["p1"]
