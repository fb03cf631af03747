"""Answer options as an inline keyboard, and the button data that comes back when one is pressed.

Rows are sized for a phone: bare numbers (a 0-10 scale) six to a row, short words two to a row,
anything longer one to a row, so no label is cut off. `callback_data` (1-64 bytes) carries the
survey, the item and the option code, so a press from an old question is recognised as such.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.bidi import for_language, strip_marks
from bot.conversation.messages import ButtonPress

CALLBACK_PREFIX = "a"
_CODE = re.compile(r"-?[0-9]{1,9}")
_SURVEY = re.compile(r"[0-9]{1,9}")
_MAX_CALLBACK_BYTES = 64
_NUMBERS_PER_ROW = 6
_SHORT_LABEL_CHARS = 14


def button_text(code: int, label: str) -> str:
    """'3 = Quite a bit', or just '3' where the label is the number (UX-03)."""
    return label if label == str(code) else f"{code} = {label}"


def callback_data(item_id: str, code: int, survey: int | None = None) -> str:
    """'a:<survey>:<item>:<code>': a press names the question it answers, so a button of an
    older question (or of another survey) is recognised as such."""
    data = f"{CALLBACK_PREFIX}:{'' if survey is None else survey}:{item_id}:{code}"
    if len(data.encode("utf-8")) > _MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data for item {item_id!r} is longer than 64 bytes")
    return data


def parse_callback(data: str | None) -> ButtonPress | None:
    """The press a button's data stands for, or None for data we did not make. Buttons sent
    before presses named their survey ('a:<item>:<code>') come back without one. Numbers are
    ASCII digits only ("³" is a digit to Python, and int() refuses it)."""
    if not data:
        return None
    prefix, _, rest = data.partition(":")
    parts = rest.split(":")
    if prefix != CALLBACK_PREFIX or len(parts) not in (2, 3):
        return None
    survey_text = parts[0] if len(parts) == 3 else ""
    item_id, code = parts[-2], parts[-1]
    if not item_id or not _CODE.fullmatch(code):
        return None
    if survey_text and not _SURVEY.fullmatch(survey_text):
        return None
    return ButtonPress(item_id, int(code), int(survey_text) if survey_text else None)


def keyboard(
    options: Sequence[dict[str, Any]], *, rtl: bool = False
) -> InlineKeyboardMarkup | None:
    """The inline keyboard for an outbox message's options; None when it has none. Buttons of a
    right-to-left language get their bidi marks, like the message text."""
    if not options:
        return None
    buttons = [
        InlineKeyboardButton(
            for_language(button_text(int(o["code"]), str(o["label"])), rtl),
            callback_data=callback_data(
                str(o["item_id"]),
                int(o["code"]),
                None if o.get("survey") is None else int(o["survey"]),
            ),
        )
        for o in options
    ]
    labels = [strip_marks(b.text) for b in buttons]
    if all(label.isdigit() for label in labels):
        per_row = _NUMBERS_PER_ROW
    elif all(len(label) <= _SHORT_LABEL_CHARS for label in labels):
        per_row = 2
    else:
        per_row = 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)


def pressed_label(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The text of the button whose callback data is `data`, as the patient saw it."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
