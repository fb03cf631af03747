"""A fake Telegram Bot API server that the real python-telegram-bot talks to over HTTP.

Routes: POST|GET /bot{token}/{method}. PTB sends form-encoded parameters with non-string values
JSON-encoded, or multipart when a file is attached (sendPhoto). Tests play the patient's side
(`push_text`, `push_callback`, `push_update`) and script errors (`fail_next`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import httpx
from aiohttp import web

_RAW_STRING_KEYS = {"text", "caption", "callback_query_id", "url", "secret_token"}


class FakeTelegram:
    def __init__(self, token: str, *, username: str = "pathbot_test_bot") -> None:
        self.token = token
        self.bot_user = {
            "id": 999001,
            "is_bot": True,
            "first_name": "Pathbot",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []  # time.monotonic() as each call arrived
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # what each chat now shows
        self.photos: list[dict[str, Any]] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._updates: list[dict[str, Any]] = []
        self._offset = 0
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(5000)
        self._message_ids = itertools.count(100)
        self._callback_ids = itertools.count(1)
        self._scripted: dict[str, list[web.Response]] = {}
        self._held: dict[str, asyncio.Event] = {}
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self.base = ""

    # ---- the patient's side ---------------------------------------------------------------

    def push_text(self, chat_id: int, text: str, *, language_code: str = "en") -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Pat"},
            "from": self._user(chat_id, language_code),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": message})

    def push_callback(self, chat_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": f"cb{next(self._callback_ids)}",
            "from": self._user(chat_id, "en"),
            "chat_instance": str(chat_id),
            "message": message,
            "data": data,
        }
        return self.push_update({"callback_query": query})

    def push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; a dict with an update_id is delivered again as is."""
        update = (
            payload if "update_id" in payload else {"update_id": next(self._update_ids), **payload}
        )
        self._updates.append(update)
        self._new_update.set()
        return update

    def fail_next(
        self,
        method: str,
        code: int,
        description: str,
        *,
        chat_id: int | None = None,
        **parameters: Any,
    ) -> None:
        """The next call of `method` (to `chat_id`, if given) answers with this Bot API error."""
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        key = method if chat_id is None else f"{method}:{chat_id}"
        self._scripted.setdefault(key, []).append(web.json_response(body, status=code))

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` get no answer until the returned event is set (a slow Bot API)."""
        release = self._held[method] = asyncio.Event()
        return release

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def last_question(self, chat_id: int) -> dict[str, Any]:
        """The newest message in the chat that still has buttons."""
        for (chat, _), message in sorted(self.messages.items(), key=lambda kv: -kv[0][1]):
            if chat == chat_id and message.get("reply_markup"):
                return message
        raise AssertionError("no message with buttons in this chat")

    async def deliver_webhook(self, update: dict[str, Any], secret: str | None) -> httpx.Response:
        """POST an update to the registered webhook, as Telegram does."""
        assert self.webhook_url is not None, "setWebhook was not called"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with httpx.AsyncClient() as client:
            return await client.post(self.webhook_url, json=update, headers=headers)

    @staticmethod
    def _user(uid: int, language_code: str) -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": "Pat", "language_code": language_code}

    # ---- the server side ------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        self.call_times.append(time.monotonic())
        held = self._held.get(method)
        if held is not None:
            await held.wait()
        scripted = self._scripted.get(f"{method}:{params.get('chat_id')}") or self._scripted.get(
            method
        )
        if scripted:
            return scripted.pop(0)
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": f"Not Found: {method}"},
                status=404,
            )
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        out: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str):
                if key in _RAW_STRING_KEYS:
                    out[key] = value
                    continue
                try:
                    out[key] = json.loads(value)
                except ValueError:
                    out[key] = value
            else:  # an uploaded file
                out[key] = value.file.read()
        return out

    async def m_getMe(self, _p: dict[str, Any]) -> Any:
        return self.bot_user

    async def m_getChat(self, p: dict[str, Any]) -> Any:
        gifts = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return {
            "id": int(p["chat_id"]),
            "type": "supergroup",
            "title": "staff",
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def m_deleteWebhook(self, _p: dict[str, Any]) -> Any:
        self.webhook_url = None
        return True

    async def m_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook_url, self.webhook_secret = p["url"], p.get("secret_token")
        return True

    async def m_setMyCommands(self, _p: dict[str, Any]) -> Any:
        return True

    async def m_answerCallbackQuery(self, _p: dict[str, Any]) -> Any:
        return True

    def confirmed_offset(self) -> int:
        """The highest offset the bot has asked getUpdates for: every update below it was
        confirmed as received (Telegram forgets them)."""
        return self._offset

    async def m_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        self._offset = max(self._offset, offset)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(p.get("timeout") or 0):
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), 0.3)
            except TimeoutError:
                pass
        return self._updates[: int(p.get("limit") or 100)]

    def _bot_message(self, chat_id: Any, **fields: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": self.bot_user,
            **{k: v for k, v in fields.items() if v is not None},
        }
        self.messages[(int(chat_id), message["message_id"])] = message
        return message

    async def m_sendMessage(self, p: dict[str, Any]) -> Any:
        return self._bot_message(p["chat_id"], text=p["text"], reply_markup=p.get("reply_markup"))

    async def m_sendPhoto(self, p: dict[str, Any]) -> Any:
        self.photos.append(p)
        photo = [{"file_id": "f1", "file_unique_id": "u1", "width": 480, "height": 280}]
        return self._bot_message(p["chat_id"], photo=photo, caption=p.get("caption"))

    async def m_editMessageText(self, p: dict[str, Any]) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = dict(self.messages[key], text=p["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        self.messages[key] = message
        return message

    async def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = dict(self.messages[key], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        self.messages[key] = message
        return message

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)  # its URLs hold the token
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        await self._runner.cleanup()
