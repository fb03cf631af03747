"""GSM-7 / UCS-2 segment counting at the boundaries (safety-ux Appendix D)."""

from __future__ import annotations

import pytest

from bot.conversation.segments import count_segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two units
        ("a" + "€" * 76 + "a", "GSM-7", 154, 1),
        ("a" * 159 + "€", "GSM-7", 161, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # "€" is not split across parts
        ("ñÑüé" * 40, "GSM-7", 160, 1),  # these Spanish letters are GSM-7
        ("á" * 70, "UCS-2", 70, 1),  # but á is not: the whole message becomes UCS-2
        ("á" * 71, "UCS-2", 71, 2),
        ("á" * 134, "UCS-2", 134, 2),
        ("á" * 135, "UCS-2", 135, 3),
        ("a" * 66 + "🙂", "UCS-2", 68, 1),  # an emoji is a surrogate pair
        ("a" * 66 + "🙂" + "a" * 3, "UCS-2", 71, 2),  # the pair is not split across parts
        ("“quoted”", "UCS-2", 8, 1),
    ],
)
def test_counts(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)
