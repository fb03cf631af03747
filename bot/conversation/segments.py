"""SMS segment counting (safety-ux SMS-30, Appendix D): GSM-7 or UCS-2, and how many parts.

GSM-7 carries 160 units in one segment and 153 per part when concatenated; extension characters
(^ { } \\ [ ~ ] | €, form feed) cost two units and are never split across parts. Any character
outside the GSM-7 alphabet makes the whole message UCS-2: 70 UTF-16 units alone, 67 per part,
and a character outside the Basic Multilingual Plane (most emoji) is a surrogate pair that is not
split either. Counting exactly as a carrier splits keeps the stored count honest at boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    units: int  # GSM-7 septets or UTF-16 code units
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def count_segments(text: str) -> SegmentCount:
    """The encoding, length in units, and number of SMS segments `text` needs."""
    if is_gsm7(text):
        widths = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return _split("GSM-7", widths, GSM7_SINGLE, GSM7_PART)
    widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return _split("UCS-2", widths, UCS2_SINGLE, UCS2_PART)


def segment_count(text: str) -> int:
    return count_segments(text).segments


def _split(encoding: Encoding, widths: list[int], single: int, part: int) -> SegmentCount:
    units = sum(widths)
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 1)
    segments, used = 1, 0
    for width in widths:  # a two-unit character never straddles two parts
        if used + width > part:
            segments += 1
            used = 0
        used += width
    return SegmentCount(encoding, units, segments)
