"""Every item of every instrument, in every declared language, fits in two SMS segments."""

from __future__ import annotations

import pytest

from bot.channels.sms.render import render_sms, uses_anchors_only
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
def test_every_item_fits_in_two_segments(
    prompt: tuple[str, str, str, str, list[tuple[int, str]], str],
) -> None:
    instrument, lang, item_id, stem, options, hint = prompt
    tr = translator(lang)
    body = render_sms(stem, options, hint, tr)
    assert count_segments(body).segments <= 2, body
    assert body.startswith(stem)  # the item text is verbatim, never cut
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
