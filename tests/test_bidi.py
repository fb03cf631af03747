"""Right-to-left done right (issue 19 point 2): every message in Arabic, Dari and Pashto, as a
channel renders it, has the bidi structure that makes numbers, option codes and Latin words read
in the right order, checked by the Unicode bidi algorithm itself (FriBidi)."""

from __future__ import annotations

import re
import sys

import pytest

from bot.channels.sms.render import render_sms
from bot.conversation import language_status
from bot.conversation.bidi import LRE, PDF, RLM, mark_rtl, strip_marks
from bot.conversation.i18n import LOCALES_DIR, translator
from surveys.loader import load_all
from tests.bidi_support import visual

sys.path.insert(0, str(LOCALES_DIR / "tools"))
from message_keys import KEYS  # noqa: E402

RTL = tuple(i.code for i in language_status.languages() if i.rtl)
# Placeholder values with every kind of left-to-right text a message carries.
VALUES = {
    "program": "Pain Program",
    "phone": "+1 802-555-0100",
    "hours": "Mon-Fri 8-5",
    "link": "https://t.me/pathbot_bot?start=AbC-123",
    "study_id": "demo-1a2b3c",
    "database": "sqlite:///pathbot.db",
    "title": "DVPRS",
    "answer": "6 = Hard to ignore",
    "date": "12/24/2026",
    "day": "Tuesday",
    "time": "2:00 PM",
    "when": "Tue 2:00 PM",
    "old": "Tue 2:00 PM",
    "new": "Wed 3:00 PM",
    "place": "Room 2B",
    "start": "5",
    "today": "3",
}
_ISLAND = re.compile(f"{LRE}([^{PDF}]*){PDF}")


def _messages(code: str) -> list[str]:
    tr = translator(code)
    keywords = {
        k.lower(): tr.gettext(k)
        for k in ("STOP", "START", "HELP", "SKIP", "BACK", "PAUSE", "RESUME", "LANGUAGE")
    }
    values = {
        **VALUES,
        **keywords,
        "cant": tr.gettext("C"),
        "undo": tr.gettext("NO"),
        "yes": tr.gettext("YES"),
        "no": tr.gettext("NO"),
        "next": tr.gettext("NEXT"),
        "part": 1,
        "parts": 4,
        "next_part": 2,
        "count": 3,
        "first": 0,
        "last": 10,
        "number": 1,
        "total": 5,
    }
    out = []
    for name, msgid in KEYS.items():
        text = (
            tr.ngettext(msgid, msgid, 3)
            if name in ("skipped_offer", "survey_intro")
            else (tr.gettext(msgid))
        )
        out.append(mark_rtl(text.format(**values)))
    for instrument in load_all().values():
        if instrument.usable_language(code) is None:
            continue
        for n, item in enumerate(instrument.items, start=1):
            stem = f"{tr.gettext('Q{number}/{total}.').format(number=n, total=5)} {item.text[code]}"
            hint = tr.gettext(KEYS["hint"]).format(
                first=min(item.codes),
                last=max(item.codes),
                skip=keywords["skip"],
                back=keywords["back"],
                pause=keywords["pause"],
            )
            options = [(o.code, o.label[code]) for o in item.options]
            out.append(render_sms(stem, options, hint, tr))
    return out


@pytest.mark.parametrize("code", RTL)
def test_every_rtl_message_has_its_bidi_structure(code: str) -> None:
    for message in _messages(code):
        for line in message.split("\n"):
            if not line.strip():
                continue
            assert line.startswith(RLM), line  # the line is right-to-left
            assert line.count(LRE) == line.count(PDF), line  # embeddings closed on their line
            outside = _ISLAND.sub("", line)
            assert LRE not in outside and PDF not in outside, line  # never nested
            # Latin letters and spaced number runs only inside left-to-right embeddings
            assert not re.search(r"[A-Za-z]", outside), line
            assert not re.search(r"\d\s+\d", outside), line
            assert not re.search("[\u202d\u202e\u2066-\u2069]", line), line  # no overrides


@pytest.mark.parametrize("code", RTL)
def test_the_bidi_algorithm_shows_every_left_to_right_run_in_order(code: str) -> None:
    """FriBidi lays each line out as a phone would: every embedded run ("Pain Program",
    "+1 802-555-0100", "1 2 3 4 5 6 7 8 9") reads left to right, in one piece."""
    seen = 0
    for message in _messages(code):
        for line in message.split("\n"):
            shown = strip_marks(visual(line))
            for island in _ISLAND.findall(line):
                assert island in shown, (line, shown)
                seen += 1
    assert seen > 20


def test_without_the_marks_the_same_lines_come_out_wrong() -> None:
    """The check above can fail: unmarked, a number row in an Arabic message is reversed and a
    Latin program name opens a left-to-right line."""
    assert visual("\u200f1 2 3 4 5 6 7 8 9") != "\u200f1 2 3 4 5 6 7 8 9"
    assert strip_marks(visual("\u200f1 2 3 4 5 6 7 8 9")) == "9 8 7 6 5 4 3 2 1"
    marked = mark_rtl("1 2 3 4 5 6 7 8 9")
    assert strip_marks(visual(marked)) == "1 2 3 4 5 6 7 8 9"
    assert (
        strip_marks(visual(mark_rtl("اتصل بالرقم +1 802-555-0100 الآن"))).count("+1 802-555-0100")
        == 1
    )
    assert strip_marks(visual("اتصل بالرقم +1 802-555-0100 الآن")).count("+1 802-555-0100") == 0


def test_marks_are_added_once_and_removed_for_matching() -> None:
    text = "Pain Program: تذكير\n0 = لا ألم"
    assert mark_rtl(mark_rtl(text)) == mark_rtl(text)
    assert strip_marks(mark_rtl(text)) == text


def test_telegram_buttons_of_a_right_to_left_language_carry_the_marks() -> None:
    from bot.channels.telegram.render import keyboard

    options = [
        {"code": code, "label": label, "item_id": "dvprs_pain"}
        for code, label in ((0, "لا ألم"), (1, "1"), (2, "2"))
    ]
    rtl = keyboard(options, rtl=True)
    ltr = keyboard(options)
    assert rtl is not None and ltr is not None
    texts = [b.text for row in rtl.inline_keyboard for b in row]
    assert all(t.startswith(RLM) for t in texts) and strip_marks(texts[0]) == "0 = لا ألم"
    # the marks change nothing else: the same rows, the same callback data
    assert [len(row) for row in rtl.inline_keyboard] == [len(row) for row in ltr.inline_keyboard]
    assert [b.callback_data for row in rtl.inline_keyboard for b in row] == [
        b.callback_data for row in ltr.inline_keyboard for b in row
    ]
