"""Answer options as an inline keyboard, and the button data that comes back when one is pressed.

Rows are sized for a phone: bare numbers (a 0-10 scale) six to a row, short words two to a row,
anything longer one to a row, so no label is cut off. `callback_data` (1-64 bytes) carries the item
and the option code, so a press from an old question is recognised as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_PREFIX = "a"
_MAX_CALLBACK_BYTES = 64
_NUMBERS_PER_ROW = 6
_SHORT_LABEL_CHARS = 14


def button_text(code: int, label: str) -> str:
    """'3 = Quite a bit', or just '3' where the label is the number (UX-03)."""
    return label if label == str(code) else f"{code} = {label}"


def callback_data(item_id: str, code: int) -> str:
    data = f"{CALLBACK_PREFIX}:{item_id}:{code}"
    if len(data.encode("utf-8")) > _MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data for item {item_id!r} is longer than 64 bytes")
    return data


def parse_callback(data: str | None) -> tuple[str, int] | None:
    """(item id, option code) from a pressed button, or None for data we did not make."""
    if not data:
        return None
    prefix, _, rest = data.partition(":")
    item_id, _, code = rest.rpartition(":")
    if prefix != CALLBACK_PREFIX or not item_id or not code.lstrip("-").isdigit():
        return None
    return item_id, int(code)


def keyboard(options: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard for an outbox message's options; None when it has none."""
    if not options:
        return None
    buttons = [
        InlineKeyboardButton(
            button_text(int(o["code"]), str(o["label"])),
            callback_data=callback_data(str(o["item_id"]), int(o["code"])),
        )
        for o in options
    ]
    labels = [b.text for b in buttons]
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
