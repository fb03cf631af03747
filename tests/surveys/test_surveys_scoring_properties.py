"""Properties of scoring over any partial set of valid answers, for every shipped instrument."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.loader import load_all
from surveys.model import Instrument
from surveys.scoring import score


def _answers(instrument: Instrument) -> st.SearchStrategy[dict[str, int | None]]:
    per_item = {
        item.id: st.one_of(st.none(), st.sampled_from([o.value for o in item.options]))
        for item in instrument.items
    }
    return st.fixed_dictionaries({}, optional=per_item)


@pytest.mark.parametrize("instrument_id", sorted(load_all()))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_valid_answers_score_without_inventing_numbers(
    instrument_id: str, data: st.DataObject
) -> None:
    instrument = load_all()[instrument_id]
    answers = data.draw(_answers(instrument))
    result = score(instrument, answers)
    assert list(result.scores) == [s.id for s in instrument.scales]
    for scale in instrument.scales:
        got = result.scores[scale.id]
        answered = [i for i in scale.items if answers.get(i) is not None]
        if got.status == "incomplete":
            assert got.as_dict() == {"status": "incomplete"}
        if scale.rule in ("sum", "promis_table", "single_item"):
            # no prorating: complete exactly when every item of the scale is answered
            assert (got.status == "complete") == (len(answered) == len(scale.items))
        if scale.rule == "promis_table" and got.t is not None:
            assert 4 <= (got.raw or 0) <= 20
        if got.mean is not None:
            scored = [scale.scored_value(i, answers[i] or 0) for i in answered]
            assert min(scored) <= got.mean <= max(scored)
