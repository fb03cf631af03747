"""The getUpdates client: polled updates are screened as JSON before python-telegram-bot reads
them, as a webhook's body is (updates.py).

PTB turns the whole getUpdates answer into objects at once. One update it cannot read failed
all of them: PTB logged the answer it received (patients' words) at CRITICAL, and the Updater
asked for the same updates again, for ever, so every chat behind that update waited. And an
update PTB could read but pathbot cannot (a text that is not a string) was caught only after
PTB had built it, by turning it back into a dict for the check (`Update.to_dict`, ~0.3 ms of CPU
per answer). Here each update is checked once, as JSON: a malformed one is replaced by its bare
id (PTB then confirms it to Telegram, and pathbot ignores an update with nothing in it) and
reported by its problem, never by its content.

The screen checks what pathbot reads. A field only PTB reads (a photo's sizes, a forward's
origin) can still fail PTB's reading of the whole answer; PTB then asks for the same updates
again. That repeat is the signal: its updates are each tried on their own with PTB's own reader
and the ones it cannot read are replaced by their ids as above, so the stall lasts one poll.
Nothing is tried while PTB reads the updates (a trial costs 0.14 ms an update, measured). PTB's
own reports of that failure carry the received JSON (patients' words) or an exception that may
quote it: they are rewritten to name the exception's type only (redaction.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram._utils.types import JSONDict  # (PTB's own type for a decoded answer)
from telegram.error import TelegramError

from bot.channels.telegram.bounded_request import BoundedRequest
from bot.channels.telegram.updates import update_problem, valid_update_id

log = logging.getLogger(__name__)


class ScreenedUpdatesRequest(BoundedRequest):
    """The HTTP client PTB polls with (one connection: one getUpdates at a time)."""

    def __init__(self) -> None:
        super().__init__(1)
        self._last_first_id: object = None  # the first update id of the last answer screened

    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        # PTB's own parser logs a payload that is not JSON in full; this one says only its size.
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except (ValueError, RecursionError) as exc:
            log.warning("telegram: getUpdates answered %d bytes that are not JSON", len(payload))
            raise TelegramError("Invalid server response") from exc
        if isinstance(data, dict) and isinstance(data.get("result"), list):
            updates = data["result"]
            first = (
                updates[0].get("update_id") if updates and isinstance(updates[0], dict) else None
            )
            # the same updates asked for again: PTB could not read them last time (or the
            # answer was lost on the way; then the trial finds nothing)
            again = first is not None and first == self._last_first_id
            self._last_first_id = first
            data["result"] = screen_updates(updates, each_read=again)
        return data  # type: ignore[no-any-return]


def screen_updates(updates: list[Any], *, each_read: bool = False) -> list[Any]:
    """The updates as PTB may read them: each malformed one replaced by its bare id, or left
    out when even that is unreadable (then nothing can confirm it; Telegram never sends one).
    With `each_read`, every update is also read by PTB's reader on its own first."""
    screened = []
    for update in updates:
        problem = update_problem(update)
        if problem is None and each_read:
            problem = _unreadable_to_ptb(update)
        if problem is None:
            screened.append(update)
            continue
        log.warning("telegram: skipped a malformed polled update (%s)", problem)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if valid_update_id(update_id):
            screened.append({"update_id": update_id})
    return screened


def _unreadable_to_ptb(update: dict[str, Any]) -> str | None:
    try:
        Update.de_json(update, None)  # (reads a copy: the update is left as it was)
    except Exception as exc:  # noqa: BLE001 - whatever PTB fails with, the update is skipped
        return f"python-telegram-bot could not read it: {type(exc).__name__}"
    return None
