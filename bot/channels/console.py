"""The console channel: the terminal demo, `pathbot simulate`, staff training and tests.

It uses the same pipeline and engine as Telegram and SMS; only rendering differs. `style`
chooses how options look: numbered text as on SMS, or buttons as on Telegram.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Literal, TextIO

from bot.channels.base import OutboundEnvelope
from bot.conversation.bidi import for_locale
from bot.conversation.render import render_text

Style = Literal["sms", "telegram"]


class ConsoleChannel:
    name = "console"

    def __init__(self, out: TextIO, *, style: Style = "sms", as_json: bool = False) -> None:
        self._out = out
        self._style = style
        self._as_json = as_json
        self._ids = itertools.count(1)
        self.sent: list[OutboundEnvelope] = []

    def routes(self) -> list[Any]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutboundEnvelope) -> str:
        self.sent.append(message)
        options = [(int(o["code"]), str(o["label"])) for o in message.options]
        buttons = self._style == "telegram"
        text = for_locale(
            render_text(message.text, options, message.hint, with_options=not buttons),
            message.locale,
        )
        if self._as_json:
            payload = {
                "text": text,
                "options": [{"code": code, "label": label} for code, label in options],
            }
            self._out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        else:
            self._out.write(text + "\n")
            if buttons and options:
                self._out.write(
                    " ".join(
                        f"[{label}]" if label == str(code) else f"[{code} {label}]"
                        for code, label in options
                    )
                    + "\n"
                )
            self._out.write("\n")
        self._out.flush()
        return f"console-{next(self._ids)}"
