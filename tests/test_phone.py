"""Phone numbers normalised to E.164, each sender parsed once (a bounded cache)."""

from __future__ import annotations

import pytest

from bot.conversation import phone
from bot.conversation.phone import PARSED_NUMBERS_KEPT, InvalidPhoneNumber, to_e164


def test_numbers_are_normalised_the_same_every_time() -> None:
    for _ in range(3):  # parsed, then served from the cache: the same answer
        assert to_e164("(802) 555-0123") == "+18025550123"
        assert to_e164("+44 20 7946 0018") == "+442079460018"
        assert to_e164("802 555 0123", "US") == "+18025550123"


@pytest.mark.parametrize(
    ("text", "why"),
    [("hello", "not a phone number"), ("+1 555 0000 000", "not a valid phone number")],
)
def test_a_non_number_is_refused_every_time_with_its_reason(text: str, why: str) -> None:
    for _ in range(2):  # a remembered failure is still a failure, with the same reason
        with pytest.raises(InvalidPhoneNumber, match=why) as refused:
            to_e164(text)
        assert text not in str(refused.value)


def test_the_cache_of_parsed_numbers_is_bounded() -> None:
    for n in range(PARSED_NUMBERS_KEPT + 500):  # a flood of distinct senders
        assert to_e164(f"+1802{5_550_000 + n}") == f"+1802{5_550_000 + n}"
    assert phone._parsed.cache_info().currsize <= PARSED_NUMBERS_KEPT
