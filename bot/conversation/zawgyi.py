"""Burmese typed in the Zawgyi font encoding, for crisis triage (issue 19 point 4).

Many Burmese phones still type Zawgyi: the same Myanmar code points as Unicode, but with other
meanings and in visual order (the vowel sign "ေ" and the medial "ြ" typed BEFORE their consonant,
the asat at U+1039, the medials shifted by one code point, extra shapes at U+105A and
U+1060-U+1097). Unicode-written rules cannot read it as it is.

`looks_zawgyi` is a conservative detector: it answers True only for sequences that cannot occur
in well-formed Unicode Burmese. `to_unicode` is a PARTIAL conversion written for matching the
common crisis words (reorder the prefixed vowel and medial, shift the medials and asat, map the
frequent extra shapes); stacked consonants and rarer shapes are not converted. Because the
conversion is partial, triage also sends Zawgyi text to staff as "needs human review".

Written from the encoding's published description (Unicode Technical Note #42 "Myanmar Zawgyi
and Unicode", and the Myanmar Unicode / Zawgyi character maps); no converter's code is copied.
NEEDS REVIEW by a Burmese reader with Zawgyi and Unicode samples.
"""

from __future__ import annotations

import re

_CONSONANT = "[\u1000-\u1021\u1023-\u102a\u103f\u104e]"
# Sequences that well-formed Unicode Burmese never has: Zawgyi-only shapes, "ေ" or Zawgyi's
# medial ra (U+103B) at the start of a word, or "ေ" directly before a consonant that follows a
# space, the start or another vowel sign.
_DETECT = re.compile(
    "[\u105a\u1060-\u1097]"
    "|(?:^|[^\u1000-\u109f])[\u1031\u103b]"
    "|[\u102b-\u1030\u1032\u1036-\u1038\u1031]\u1031"
    "|\u1031\u103b"
    "|\u1039(?![\u1000-\u1021])"
)
# Zawgyi medials and asat, one code point below Unicode's (ya, ra, wa, ha; asat).
_SHIFT = str.maketrans(
    {
        "\u1039": "\u103a",
        "\u103a": "\u103b",
        "\u103b": "\u103c",
        "\u103c": "\u103d",
        "\u103d": "\u103e",
    }
)
# Frequent extra shapes: variants of na, ra, nya, u, uu, dot below, medial ra/ha, great sa.
_SHAPES = str.maketrans(
    {
        "\u108f": "\u1014",
        "\u1090": "\u101b",
        "\u106a": "\u1009",
        "\u106b": "\u100a",
        "\u1033": "\u102f",
        "\u1034": "\u1030",
        "\u1094": "\u1037",
        "\u1095": "\u1037",
        "\u1086": "\u103f",
        "\u1087": "\u103e",
        "\u107e": "\u103c",
        "\u107f": "\u103c",
        "\u1080": "\u103c",
        "\u1081": "\u103c",
        "\u1082": "\u103c",
        "\u1083": "\u103c",
        "\u1084": "\u103c",
        "\u105a": "\u102b\u103a",
        "\u1088": "\u103e\u102f",
        "\u1089": "\u103e\u1030",
        "\u108a": "\u103d\u103e",
    }
)
# After the shift: [ေ][ြ] consonant [ျ ွ ှ]* -> consonant [ျ ြ ွ ှ] ေ (Unicode's logical order).
_REORDER = re.compile(f"(\u1031?)(\u103c?)({_CONSONANT})([\u103b\u103d\u103e]*)")


def looks_zawgyi(text: str) -> bool:
    return _DETECT.search(text) is not None


def _reorder(m: re.Match[str]) -> str:
    e, ra, consonant, medials = m.groups()
    if not e and not ra:
        return m.group(0)
    ordered = "".join(sorted(ra + medials))  # U+103B ya, U+103C ra, U+103D wa, U+103E ha
    return consonant + ordered + e


def to_unicode(text: str) -> str:
    """A partial Zawgyi -> Unicode conversion (see the module docstring); call it only on text
    that `looks_zawgyi`."""
    text = text.translate(_SHIFT).translate(_SHAPES)  # shapes map to Unicode values: after
    return _REORDER.sub(_reorder, text)
