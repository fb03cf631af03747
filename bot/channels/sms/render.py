"""SMS bodies: numbered options as on every text channel, squeezed into the segment limit.

The limit is two segments for Latin-script languages (SMS-31) and three for the others (issue 19:
a UCS-2 segment holds 67 characters, so a Nepali or Burmese item needs more room); both are
settings (PATHBOT_SMS_MAX_SEGMENTS_LATIN / _OTHER_SCRIPTS). Right-to-left languages get their
bidi marks (bot/conversation/bidi.py) before counting, since the marks travel in the message.
A prompt is first rendered exactly as the console shows it (`render_text`). Only when that needs
more than the limit do we shorten, one step at a time, and stop at the first step that fits:

1. the navigation hint becomes the short "Reply 0-10 or SKIP" (BACK and PAUSE still work);
2. option lines become compact ("1=Label"), and bare numbers ("1 2 3 ... 9") are left to the hint;
3. when every option has words, the hint goes (the numbered lines say what to reply);
4. only the end anchors keep their words ("0=No pain", "10=As bad as it could be..."), with the
   short hint; 5. the same without the hint.

Steps 4-5 change what the patient reads (the DVPRS pain item loses its word descriptors 1-9;
Spanish 5-point items whose stem forces UCS-2 lose the middle labels). That is an adaptation of
the scale and needs clinical sign-off (see `SMS_DEVIATIONS`; tests/test_sms_render.py lists the
items). Item stems and the labels that are shown are never shortened or transliterated (SMS-32):
Spanish stays UCS-2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.conversation.bidi import for_locale
from bot.conversation.i18n import Translator
from bot.conversation.language_status import LanguageInfo, language
from bot.conversation.render import render_text
from bot.conversation.segments import segment_count

MAX_SEGMENTS = 2  # Latin-script languages (SMS-31)
MAX_SEGMENTS_OTHER_SCRIPTS = 3  # Devanagari, Arabic, Myanmar, Cyrillic: UCS-2 (issue 19)


@dataclass(frozen=True)
class SegmentLimits:
    latin: int = MAX_SEGMENTS
    other_scripts: int = MAX_SEGMENTS_OTHER_SCRIPTS

    def for_language(self, code: str) -> int:
        info = _info(code)
        return self.latin if info is None or info.latin_script else self.other_scripts


def _info(code: str) -> LanguageInfo | None:
    try:
        return language(code)
    except KeyError:
        return None


# What an SMS rendering may drop, for the record shown to clinicians.
SMS_DEVIATIONS = (
    "hint: 'SKIP, BACK, PAUSE' shortened to 'or SKIP' when the full prompt exceeds the limit",
    "options: '1 2 ... 9' (number-only labels) omitted; the hint gives the range",
    "hint omitted when every option is worded and the prompt still exceeds the limit",
    "anchors-only: word labels between the lowest and highest option omitted (DVPRS pain 1-9)",
)

Options = Sequence[tuple[int, str]]


def render_sms(
    text: str, options: Options, hint: str, tr: Translator, limits: SegmentLimits | None = None
) -> str:
    """The body to text: the richest rendering that fits the language's segment limit (else
    the shortest), with bidi marks for a right-to-left language."""
    limit = (limits or SegmentLimits()).for_language(tr.code)
    body = ""
    for render in _renderings(tr):
        body = _marked(render(text, options, hint), tr)
        if segment_count(body) <= limit:
            return body
    return body


def _marked(body: str, tr: Translator) -> str:
    return for_locale(body, tr.code)


def _renderings(tr: Translator) -> list[Callable[[str, Options, str], str]]:
    def full(text: str, options: Options, hint: str) -> str:
        return render_text(text, options, hint)

    def short_hint(text: str, options: Options, hint: str) -> str:
        return render_text(text, options, _short_hint(tr, options, hint))

    def compact(text: str, options: Options, hint: str) -> str:
        lines = [f"{code}={label}" for code, label in options if label != str(code)]
        return _join(text, lines, _short_hint(tr, options, hint))

    def compact_no_hint(text: str, options: Options, hint: str) -> str:
        if any(label == str(code) for code, label in options):
            return compact(text, options, hint)  # the hint carries the omitted numbers
        return _join(text, [f"{code}={label}" for code, label in options], "")

    def anchors(text: str, options: Options, hint: str) -> str:
        return _join(text, _anchor_lines(options), _short_hint(tr, options, hint))

    def anchors_no_hint(text: str, options: Options, hint: str) -> str:
        return _join(text, _anchor_lines(options), "")

    return [full, short_hint, compact, compact_no_hint, anchors, anchors_no_hint]


ANCHOR_STEPS = 2  # the last two renderings drop option words: they need clinical sign-off


def uses_anchors_only(
    text: str, options: Options, hint: str, tr: Translator, limits: SegmentLimits | None = None
) -> bool:
    """True when the SMS rendering of this prompt shows words only for the end options."""
    limit = (limits or SegmentLimits()).for_language(tr.code)
    renderings = _renderings(tr)
    for render in renderings[:-ANCHOR_STEPS]:
        if segment_count(_marked(render(text, options, hint), tr)) <= limit:
            return False
    return True


def _anchor_lines(options: Options) -> list[str]:
    ends = (options[0], options[-1]) if len(options) > 1 else tuple(options)
    return [f"{code}={label}" for code, label in ends if label != str(code)]


def _short_hint(tr: Translator, options: Options, hint: str) -> str:
    if not options:
        return hint
    codes = [code for code, _ in options]
    return tr.gettext("Reply {first}-{last} or {skip}").format(
        first=min(codes), last=max(codes), skip=tr.gettext("SKIP")
    )


def _join(text: str, lines: list[str], hint: str) -> str:
    return "\n".join(part for part in (text, *lines, hint) if part)
