"""Text normalisation shared by the reply parser, the keyword classifier and crisis triage.

Matching only: the raw text is always what gets stored; these forms exist to compare against.
"""

from __future__ import annotations

import re
import unicodedata

# U+20E3 COMBINING ENCLOSING KEYCAP after a digit (optionally with U+FE0F) is the keycap emoji.
_KEYCAP = re.compile("([0-9#*])\ufe0f?\u20e3")
_KEYCAP_TEN = "\U0001f51f"  # 🔟
_APOSTROPHES = "'\u2019\u2018\u02bc\u02bb`\u00b4\u2032\uff07"
_SPACES = re.compile(r"\s+")
_REPEATS_3 = re.compile(r"([^\W\d_])\1{2,}")
# Arabic decimal and thousands separators, so "٢٫٥" is seen as a decimal like "2.5". Arabic and
# Persian keyboards type different letters for yeh and kaf (ي/ی, ك/ک, and ى): one form, so a
# Dari word typed on an Arabic keyboard matches; tatweel (elongation) is dropped.
_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})
# Applied after accents are removed, since "ئ" decomposes to "ي" plus a hamza.
_ARABIC_LETTERS = str.maketrans(
    {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0640": None}
)


def _clean_char(c: str) -> str:
    cat = unicodedata.category(c)
    if cat == "Cf":  # bidi marks, zero-width joiners/spaces, BOM, soft hyphen
        return ""
    if cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
        return " "
    return c


def _ascii_digits(text: str) -> str:
    out = []
    for c in text:
        if c.isascii():
            out.append(c)
            continue
        d = unicodedata.decimal(c, None)
        out.append(str(d) if d is not None else c)
    return "".join(out)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# ASCII text (most replies: "7", "yes", "my pain is 5 today") needs only the steps that can
# change ASCII: control characters to spaces, lower case, "`" to "'". Same output as the full
# path (tests/test_triage_equivalence.py), at a fraction of its cost; it runs on every message.
_ASCII_CONTROLS = str.maketrans({chr(c): " " for c in (*range(32), 127)})
_ASCII_NOT_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) != "'"} | {"'": None}
)


def normalize_text(text: str) -> str:
    """Casefolded, accent-free, ASCII-digit form of `text`; punctuation and apostrophes kept.

    Invisible format characters (bidi marks, zero-width) are dropped, control characters become
    spaces, keycap emoji become their digit, any script's decimal digits become 0-9.
    """
    if text.isascii():
        text = text.translate(_ASCII_CONTROLS).lower().replace("`", "'")
        return _SPACES.sub(" ", text).strip()
    text = "".join(_clean_char(c) for c in text)
    text = _KEYCAP.sub(r"\1", text).replace(_KEYCAP_TEN, " 10 ")
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_SEPARATORS)
    text = _ascii_digits(text)
    text = strip_accents(text.casefold()).translate(_ARABIC_LETTERS)
    for a in _APOSTROPHES:
        text = text.replace(a, "'")
    return _SPACES.sub(" ", text).strip()


def _is_word_char(c: str) -> bool:
    # Vowel signs of Devanagari and Myanmar (categories Mc/Mn) are part of their words.
    category = unicodedata.category(c)
    return c.isalnum() or category == "So" or category[0] == "M"


def match_key(text: str) -> str:
    """`normalize_text` with apostrophes removed and other punctuation turned into single spaces.

    "Don't text me!" -> "dont text me"; "OPT-OUT" -> "opt out"; "Quite a bit!" -> "quite a bit".
    Emoji (symbol characters) are kept as words.
    """
    text = normalize_text(text)
    if text.isascii():  # an ASCII word character is a letter or digit (_is_word_char)
        return _SPACES.sub(" ", text.translate(_ASCII_NOT_WORD)).strip()
    text = "".join(c if _is_word_char(c) else " " for c in text.replace("'", ""))
    return _SPACES.sub(" ", text).strip()


def squeeze_repeats(text: str, keep: int) -> str:
    """Collapse runs of 3+ identical letters to `keep` letters ("soooo" -> "so"/"soo")."""
    return _REPEATS_3.sub(lambda m: m.group(1) * keep, text)
