"""Bidi marks for right-to-left messages (Arabic, Dari, Pashto), so they read correctly on
Telegram and SMS with numbers, codes and Latin words inside (issue 19 point 2).

Two problems, two marks, both old enough (Unicode 2.0) for every phone that shows Arabic:

- A line's direction is taken from its first strong letter, so "0 = لا ألم" or
  "Pain Program: ..." would be laid out left-to-right. Every line starts with RLM (U+200F).
- Inside a right-to-left line, a run such as "1 2 3 4 5 6 7 8 9", "+1 802-555-0199" or
  "Pain Program" is split at its spaces and its pieces shown in reverse order. Every such run is
  embedded left-to-right: LRE (U+202A) ... PDF (U+202C). Plain numbers ("988", "0-10", "1/5")
  need nothing: the bidi algorithm keeps them in order.

Marks are added once, when the message is rendered for a channel; the catalogs and instrument
files hold plain text. One exception: a clinic text without right-to-left letters (the English
fallback of bot/conversation/clinic_texts.py) arrives embedded whole, since its runs marked one
by one may still be shown in reverse order ("8:00 - 17:00" as "17:00 - 8:00"); it is kept.
Marks cost a UTF-16 unit each, which SMS segment counting includes.
The parser drops them again (they are format characters: text_normalize removes them).
"""

from __future__ import annotations

import re

from bot.conversation import language_status

RLM = "\u200f"
LRE = "\u202a"
PDF = "\u202c"
MARKS = frozenset({RLM, LRE, PDF, "\u200e"})

# A left-to-right island: Latin letters, digits and the punctuation that lives inside them
# (URLs, phone numbers, "Ctrl-D", "/stop"), continued over a space only between a letter or
# digit and more of the same ("Pain Program", "+1 802", "1 2 3"; not "(DVPRS). 5"). Arabic-script
# letters and punctuation end it.
_ISLAND = re.compile(
    r"[+/(]?[A-Za-z0-9\u00c0-\u024f]"
    r"(?:[A-Za-z0-9\u00c0-\u024f+\-_./:@&%#=()'*?~]"
    r"|(?<=[A-Za-z0-9\u00c0-\u024f])\s(?=[+/(]?[A-Za-z0-9\u00c0-\u024f]))*"
)
_TRAILING = ".:,;!?)"  # sentence punctuation after an island belongs to the sentence
_NEEDS_EMBEDDING = re.compile(r"[A-Za-z\u00c0-\u024f]|\s|^\+")
# An embedding already in the text (a clinic text placed whole): kept as one run.
_EMBEDDED = re.compile(f"{LRE}[^{LRE}{PDF}\n]*{PDF}")
# Letters of right-to-left scripts: Hebrew, Arabic (with Syriac, Thaana, NKo) and their
# presentation forms.
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def mark_rtl(text: str) -> str:
    """`text` with RLM at the start of every line and LTR islands embedded (idempotent);
    embeddings already in it are kept whole, other marks made anew."""
    return "\n".join(_line(line) for line in text.split("\n"))


def for_language(text: str, rtl: bool) -> str:
    return mark_rtl(text) if rtl else text


def for_locale(text: str, code: str) -> str:
    """`text` as a channel should send it to a patient whose language is `code`."""
    return mark_rtl(text) if is_rtl(code) else text


def is_rtl(code: str) -> bool:
    try:
        return language_status.language(code).rtl
    except KeyError:
        return False


def strip_marks(text: str) -> str:
    return "".join(c for c in text if c not in MARKS)


def has_rtl_letters(text: str) -> bool:
    return _RTL_LETTER.search(text) is not None


def _line(line: str) -> str:
    if not strip_marks(line).strip():
        return strip_marks(line)
    out: list[str] = []
    start = 0
    for kept in _EMBEDDED.finditer(line):
        out.append(_ISLAND.sub(_embed, strip_marks(line[start : kept.start()])))
        out.append(f"{LRE}{strip_marks(kept.group(0))}{PDF}")
        start = kept.end()
    out.append(_ISLAND.sub(_embed, strip_marks(line[start:])))
    return RLM + "".join(out)


def _embed(match: re.Match[str]) -> str:
    island = match.group(0)
    core = island.rstrip(_TRAILING)
    if core.count("(") > core.count(")") and island[len(core) :].startswith(")"):
        core = island[: len(core) + 1]  # "(9-5)" keeps its closing bracket
    tail = island[len(core) :]
    if not core or not _NEEDS_EMBEDDING.search(core):
        return island
    return f"{LRE}{core}{PDF}{tail}"
