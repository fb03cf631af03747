"""What a Telegram update must look like before pathbot reads it.

Telegram itself sends only well-formed updates; a webhook body that is not one comes from a bug or
from someone who has the webhook secret. Either way it gets 400 with the reason, never a 500 from a
field that was missing or of another type deep inside the handler. Only what pathbot reads is
checked (messages and their edits, button presses, membership changes); other kinds of update
pass and are ignored. Limits are Telegram's own: text 4096 characters, captions 1024, button data
64 bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_BYTES = 64
MAX_ID = 2**53  # Telegram's ids fit in 52 bits (plus sign)
_SHORT = 64  # a chat type, a member status, a language code, a callback query id

Check = Callable[[Any], bool]


def update_problem(data: object) -> str | None:
    """Why `data` is not an update pathbot can read, or None when it is."""
    if not isinstance(data, dict):
        return "an update is a JSON object"
    if not _is_id(data.get("update_id")):
        return "update_id"
    if "message" in data:
        return _problem(data["message"], _MESSAGE, "message")
    if "edited_message" in data:
        return _problem(data["edited_message"], _MESSAGE, "edited_message")
    if "callback_query" in data:
        return _problem(data["callback_query"], _CALLBACK_QUERY, "callback_query")
    if "my_chat_member" in data:
        return _problem(data["my_chat_member"], _MEMBER_UPDATE, "my_chat_member")
    return None


def valid_update_id(value: object) -> bool:
    """Whether `value` is an update id as Telegram sends them (so it can be confirmed)."""
    return _is_id(value)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID


def _text(limit: int) -> Check:
    return lambda value: isinstance(value, str) and len(value) <= limit


def _optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


def _callback_data(value: object) -> bool:
    return (
        isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_BYTES
    )


def _shape(fields: dict[str, Check | dict[str, Any]], required: tuple[str, ...]) -> dict[str, Any]:
    return {"fields": fields, "required": required}


def _entities(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and _is_id(e.get("offset"))
        and _is_id(e.get("length"))
        for e in value
    )


def _keyboard(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    rows = value.get("inline_keyboard", [])
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and all(
            isinstance(b, dict)
            and isinstance(b.get("text"), str)
            and _optional(_callback_data)(b.get("callback_data"))
            for b in row
        )
        for row in rows
    )


_CHAT = _shape({"id": _is_id, "type": _text(_SHORT)}, ("id", "type"))
_USER = _shape({"id": _is_id, "language_code": _optional(_text(_SHORT))}, ("id",))
_MESSAGE = _shape(
    {
        "message_id": _is_id,
        "date": _is_id,
        "chat": _CHAT,
        "from": _USER,
        "text": _text(MAX_TEXT_CHARS),
        "caption": _text(MAX_CAPTION_CHARS),
        "entities": _entities,
        "caption_entities": _entities,
        "reply_markup": _keyboard,
    },
    ("message_id", "date", "chat"),
)
_CALLBACK_QUERY = _shape(
    {
        "id": _text(_SHORT),
        "from": _USER,
        "data": _callback_data,
        "message": _MESSAGE,
        "chat_instance": _text(_SHORT),
    },
    ("id", "from"),
)
_MEMBER = _shape({"status": _text(_SHORT), "user": _USER}, ("status", "user"))
_MEMBER_UPDATE = _shape(
    {
        "chat": _CHAT,
        "from": _USER,
        "date": _is_id,
        "old_chat_member": _MEMBER,
        "new_chat_member": _MEMBER,
    },
    ("chat", "from", "date", "new_chat_member"),
)


def _problem(value: object, shape: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where} is a JSON object"
    for name in shape["required"]:
        if value.get(name) is None:
            return f"{where}.{name} is missing"
    for name, check in shape["fields"].items():
        if name not in value or value[name] is None:
            continue
        if isinstance(check, dict):
            found = _problem(value[name], check, f"{where}.{name}")
            if found is not None:
                return found
        elif not check(value[name]):
            return f"{where}.{name}"
    return None
