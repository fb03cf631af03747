"""Every item of every instrument, in every declared language, fits its SMS segment limit: two
segments for Latin-script languages, three for other scripts (issue 19), in full or in a compact
form; the prompts that keep words only at the end options are listed for clinical sign-off."""

from __future__ import annotations

import pytest

from bot.channels.sms.render import SegmentLimits, render_sms, uses_anchors_only
from bot.conversation.bidi import strip_marks
from bot.conversation.i18n import translator
from bot.conversation.segments import count_segments
from surveys.loader import load_all

# Prompts shown on SMS with words only at the end options: needs clinical sign-off (report).
ANCHORS_ONLY = {
    ("dvprs", "en", "dvprs_pain"),
    ("dvprs", "es", "dvprs_pain"),
    ("dvprs", "es", "dvprs_mood"),
    ("brs", "es", "brs_1"),
    ("brs", "es", "brs_3"),
    ("brs", "es", "brs_4"),
    ("brs", "es", "brs_5"),
    ("healthcare_use", "es", "hcu_employment"),
    ("satisfaction", "es", "sat_respect"),
    ("satisfaction", "es", "sat_skills"),
    ("satisfaction", "es", "sat_recommend"),
    # French stems need UCS-2 ("À", "ê"): the 0-10 items keep only their end anchors
    ("dvprs", "fr", "dvprs_pain"),
    ("dvprs", "fr", "dvprs_mood"),
    ("dvprs", "fr", "dvprs_stress"),
    # issue 19: the DVPRS pain item keeps its end anchors only in every language; Vietnamese is
    # Latin script (two segments) but UCS-2 (its tone marks)
    *(
        ("dvprs", lang, "dvprs_pain")
        for lang in ("ar", "ne", "so", "sw", "rn", "fa-AF", "ps", "my", "vi", "uk")
    ),
    ("dvprs", "vi", "dvprs_mood"),
    ("dvprs", "vi", "dvprs_stress"),
}


def _prompts() -> list[tuple[str, str, str, str, list[tuple[int, str]], str]]:
    """(instrument, language, item, stem, options, hint) exactly as the engine builds them."""
    out = []
    for inst in load_all().values():
        for lang in inst.translations:
            tr = translator(lang)
            for n, item in enumerate(inst.items):
                header = tr.gettext("Q{number}/{total}.").format(
                    number=n + 1, total=len(inst.items)
                )
                context = item.context.get(lang, "")
                stem = (
                    f"{header} {context}\n{item.text[lang]}"
                    if context
                    else f"{header} {item.text[lang]}"
                )
                hint = tr.gettext("Reply {first}-{last}. {skip}, {back}, {pause}").format(
                    first=min(item.codes),
                    last=max(item.codes),
                    skip=tr.gettext("SKIP"),
                    back=tr.gettext("BACK"),
                    pause=tr.gettext("PAUSE"),
                )
                options = [(o.code, o.label[lang]) for o in item.options]
                out.append((inst.id, lang, item.id, stem, options, hint))
    return out


PROMPTS = _prompts()


@pytest.mark.parametrize("prompt", PROMPTS, ids=[f"{p[0]}-{p[1]}-{p[2]}" for p in PROMPTS])
def test_every_item_fits_its_segment_limit(
    prompt: tuple[str, str, str, str, list[tuple[int, str]], str],
) -> None:
    instrument, lang, item_id, stem, options, hint = prompt
    tr = translator(lang)
    body = render_sms(stem, options, hint, tr)
    assert count_segments(body).segments <= SegmentLimits().for_language(lang), body
    assert strip_marks(body).startswith(stem)  # the item text is verbatim, never cut
    assert uses_anchors_only(stem, options, hint, tr) == (
        (instrument, lang, item_id) in ANCHORS_ONLY
    ), body


def test_the_dvprs_pain_rendering_keeps_its_anchors() -> None:
    prompt = next(p for p in PROMPTS if p[:3] == ("dvprs", "en", "dvprs_pain"))
    body = render_sms(prompt[3], prompt[4], prompt[5], translator("en"))
    assert body == (
        "Q1/5. How would you rate your pain right now?\n"
        "0=No pain\n"
        "10=As bad as it could be, nothing else matters\n"
        "Reply 0-10 or SKIP"
    )


def test_a_short_prompt_is_rendered_in_full() -> None:
    prompt = next(p for p in PROMPTS if p[:3] == ("promis29", "en", "PFA11"))
    body = render_sms(prompt[3], prompt[4], prompt[5], translator("en"))
    assert "1 = Without any difficulty" in body and body.endswith("Reply 1-5. SKIP, BACK, PAUSE")


def test_the_limit_is_per_script_and_configurable() -> None:
    """Nepali (Devanagari, UCS-2: 67 characters a part) gets three segments by default; a clinic
    that sets two gets the compact form instead. The marks of Arabic count too."""
    prompt = next(p for p in PROMPTS if p[:3] == ("dvprs", "ne", "dvprs_activity"))
    tr = translator("ne")
    full = render_sms(prompt[3], prompt[4], prompt[5], tr)
    assert count_segments(full).encoding == "UCS-2" and count_segments(full).segments == 3
    assert prompt[5] in full  # the whole hint: SKIP, BACK, PAUSE
    two = render_sms(prompt[3], prompt[4], prompt[5], tr, SegmentLimits(other_scripts=2))
    assert count_segments(two).segments <= 2 and len(two) < len(full)
    assert SegmentLimits().for_language("fr") == 2 and SegmentLimits().for_language("ar") == 3
    arabic = next(p for p in PROMPTS if p[:3] == ("dvprs", "ar", "dvprs_sleep"))
    body = render_sms(arabic[3], arabic[4], arabic[5], translator("ar"))
    assert body.startswith("\u200f") and count_segments(body).segments <= 3
