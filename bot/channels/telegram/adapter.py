"""The Telegram channel (python-telegram-bot 22): inbound updates in, outbox messages out.

Inbound: messages and button presses become `Inbound` messages for the port; `/start
<code>` enrols the chat, `/pain` starts a DVPRS, other commands are the pipeline's keywords.
Modes: long polling when no webhook URL is set (local use), else a webhook served by pathbot's
ASGI app, with Telegram's secret token checked on every request before anything is parsed.

Sending maps Telegram's errors onto the closed family in `bot.channels.base`:
    429 Too Many Requests  -> RetryableSendError(retry_after)   (after one retry in PTB)
    network, timeout, 5xx  -> RetryableSendError
    403 Forbidden (blocked)-> ContactStopped, identity "unreachable"; never retried
    400 Bad Request        -> FinalSendError
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.channels import send_order
from bot.channels.base import (
    ChannelConfigError,
    ContactStopped,
    FinalSendError,
    OutboundEnvelope,
    RetryableSendError,
    Secret,
)
from bot.channels.port import BackendUnavailable, ChannelPort
from bot.channels.telegram.bounded_request import CONNECTIONS, BoundedRequest
from bot.channels.telegram.commands import publish_command_menus, read_command
from bot.channels.telegram.fair_limiter import FairRateLimiter
from bot.channels.telegram.polled_updates import ScreenedUpdatesRequest
from bot.channels.telegram.redaction import protect_content, protect_token
from bot.channels.telegram.render import keyboard, parse_callback, pressed_label
from bot.channels.telegram.update_order import ArrivalQueue, PerChatUpdates
from bot.channels.telegram.updates import update_problem
from bot.conversation.bidi import for_language, is_rtl
from bot.conversation.i18n import normalize_locale, translator
from bot.conversation.messages import (
    LANGUAGE_ITEM,
    SAFETY_KINDS,
    SKIPPED_OFFER_ITEM,
    TREND_KIND,
    Inbound,
)
from bot.conversation.render import render_text

log = logging.getLogger(__name__)

# Opt in to PTB 23's time periods (timedelta, e.g. RetryAfter.retry_after) now: PTB 22 warns
# on every flood-control error otherwise. `send` below handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
# edited_message: an edit can add crisis language to a message already answered (issue 12).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

CHANNEL = "telegram"
# Sends the dispatcher lets into the limiter's line at once while Telegram's limits are kept.
# The line is in the order the causes arrived, crisis answers and HELP texts first
# (fair_limiter.py), so a crisis answer no longer waits behind these; with only 4, the next
# questions reached the line in fours and the presses' edits (which go there straight from the
# update) took the slots meanwhile, ahead of questions whose patients had answered earlier.
LIMITED_SENDS = 16
# Bot API calls in flight at once while Telegram's limits are kept: the others wait in the
# limiter's line, in the order their causes arrived (fair_limiter.py).
LIMITED_PLACES = 4
UNLIMITED_SENDS = 16
CONCURRENT_UPDATES = 32  # updates of different chats handled at once
# At shutdown, the answers to button presses still under way get this long to go out.
STOP_PRESS_REPLIES_SECONDS = 5.0


class ChatPacer:
    """At most one message per `interval` seconds to each chat (Telegram's per-chat limit)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}

    async def wait(self, chat_id: int, *, urgent: bool = False) -> float:
        """Wait for this chat's turn; an urgent send (crisis answer, HELP) goes now and pushes
        the chat's next turn back instead (Telegram tolerates a short burst to one chat).
        Returns the seconds waited."""
        now = self._clock()
        ready = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = ready + self._interval
        if ready > now and not urgent:
            await self._sleep(ready - now)
            return ready - now
        return 0.0


class TelegramChannel:
    name = CHANNEL

    def __init__(
        self,
        port: ChannelPort,
        *,
        token: str,
        api_base_url: str = "https://api.telegram.org",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        default_locale: str = "en",
        per_chat_interval: float = 1.0,
        overall_per_second: float = 30,
        retries_after_429: int = 1,
    ) -> None:
        if webhook_url and not webhook_secret:
            raise ChannelConfigError(
                "PATHBOT_TELEGRAM_WEBHOOK_SECRET is required with PATHBOT_TELEGRAM_WEBHOOK_URL"
            )
        protect_token(token)
        protect_content()
        self._port = port
        self._webhook_url = webhook_url
        self._secret = webhook_secret or ""
        self._default_locale = default_locale
        self._pacer = ChatPacer(per_chat_interval)
        # Sends the dispatcher lets into the limiter at once (see LIMITED_SENDS).
        self.send_concurrency = LIMITED_SENDS if overall_per_second else UNLIMITED_SENDS
        # The dispatcher claims replies ahead by this rate (`Dispatcher.direct_room`).
        self.sends_per_second: float | None = overall_per_second or None
        api = api_base_url.rstrip("/")
        arrivals = ArrivalQueue()
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .rate_limiter(
                FairRateLimiter(
                    overall_per_second=overall_per_second,
                    per_chat_interval=per_chat_interval,
                    places=LIMITED_PLACES if overall_per_second else None,
                    max_retries=retries_after_429,
                )
            )
            .update_queue(arrivals)  # notes when each polled update came (send_order.py)
            .concurrent_updates(PerChatUpdates(CONCURRENT_UPDATES, arrivals=arrivals))
            # A few connections, and a first-come line in front of them instead of a wait in
            # httpx's pool (bot/channels/telegram/bounded_request.py).
            .request(BoundedRequest(CONNECTIONS))
            # Polled updates are checked as JSON before PTB reads them (polled_updates.py).
            .get_updates_request(ScreenedUpdatesRequest())
        )
        if webhook_url:
            builder = builder.updater(None)  # pathbot's ASGI app receives the updates
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_polled_update))
        self.updates_handled = 0  # for tests and health: updates fully processed
        # Answers to button presses (answerCallbackQuery, the edit of the question) under way:
        # each runs in a task of its own, so the handler that stored the answer is not held up.
        self._press_replies: set[asyncio.Task[None]] = set()

    @property
    def mode(self) -> str:
        return "webhook" if self._webhook_url else "polling"

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.application.initialize()  # getMe: a wrong token fails here, loudly
        await publish_command_menus(self.application.bot, self._default_locale)
        if self._webhook_url:
            await self.application.bot.set_webhook(
                url=self._webhook_url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            updater = self.application.updater
            assert updater is not None
            await updater.start_polling(
                poll_interval=0.0, timeout=10, allowed_updates=ALLOWED_UPDATES
            )
            await self.application.start()
        log.info("telegram channel started (%s)", self.mode)

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        await self.press_replies_sent(STOP_PRESS_REPLIES_SECONDS)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    def routes(self) -> list[Any]:
        if not self._webhook_url:
            return []
        path = urlparse(self._webhook_url).path or DEFAULT_WEBHOOK_PATH
        return [Route(path, self._webhook, methods=["POST"])]

    # ---- inbound ------------------------------------------------------------------------

    async def _webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self._secret or not hmac.compare_digest(
            given.encode("utf-8"), self._secret.encode("utf-8")
        ):
            self._port.count_rejected(self.name, "secret")
            return Response(status_code=403)
        # The body is read only up to the server's cap (bot/service/limits.py), and checked
        # against what pathbot reads before any of it is used: malformed input is a 400 with
        # the reason, never a 500 from deep inside the handler.
        try:
            payload = json.loads(await request.body())
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested beyond reason
            return self._malformed("not a JSON body")
        problem = update_problem(payload)
        if problem is not None:
            return self._malformed(problem)
        try:
            update = Update.de_json(payload, self.application.bot)
        except (TypeError, ValueError, KeyError, AttributeError):
            return self._malformed("not an update")
        # Processed before answering: an error answers 500 and Telegram delivers it again,
        # which the inbound dedupe makes harmless.
        try:
            await self.handle_update(update)
        except BackendUnavailable as exc:  # Telegram redelivers on any non-2xx
            log.warning("telegram webhook: database unavailable (%s)", exc)
            return Response(status_code=503)
        return Response()

    def _malformed(self, problem: str) -> Response:
        log.warning("telegram webhook: malformed update (%s)", problem)
        self._port.count_rejected(self.name, "malformed")
        return PlainTextResponse(f"malformed update: {problem}", status_code=400)

    async def _on_polled_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        # (screened as JSON before PTB read it: polled_updates.py)
        if isinstance(update, Update):
            await self.handle_update(update)

    async def handle_update(self, update: Update) -> None:
        """One update from Telegram, whichever way it came. What it sends (the answer to a
        button, the edit, the replies) waits in line by this update's arrival (send_order.py):
        stamped as it was received when polled (update_order.py), else now (a webhook's)."""
        arrived = send_order.stamp()
        try:
            with send_order.serving(arrived.since if arrived else time.monotonic()):
                await self._handle(update)
        finally:
            self.updates_handled += 1

    async def _handle(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_button(update.callback_query)
        elif update.my_chat_member is not None:
            await self._on_membership(update)
        elif update.message is not None and update.message.chat.type == "private":
            await self._on_message(update.message)
        elif update.edited_message is not None and update.edited_message.chat.type == "private":
            await self._on_edit(update.edited_message)

    async def _on_edit(self, message: Message) -> None:
        """An edited message is triaged again (the pipeline never reads it as a new answer)."""
        address = str(message.chat.id)
        edited_at = int(message.edit_date.timestamp()) if message.edit_date else 0
        inbound = Inbound(
            channel=self.name,
            address=address,
            # each edit is its own message; a redelivered edit repeats its id
            provider_message_id=f"tg-edit-{address}-{message.message_id}-{edited_at}",
            text=message.text or message.caption or "",
            received_at=self._port.now(),
            edited=True,
        )
        await self._port.receive_chat(inbound, command=None, locale_hint=self._default_locale)

    async def _on_message(self, message: Message) -> None:
        address = str(message.chat.id)
        # Text, a photo's or file's caption, and forwarded text are all read and triaged.
        raw = message.text or message.caption or ""  # within Telegram's limits (updates.py)
        command = read_command(message)
        text = f"/{command[0]} {command[1]}".strip() if command else raw
        user_language = message.from_user.language_code if message.from_user else None
        hint = normalize_locale(user_language, self._default_locale)
        inbound = Inbound(
            channel=self.name,
            address=address,
            # message ids never repeat within a chat, and a redelivered update repeats them
            provider_message_id=f"tg-msg-{address}-{message.message_id}",
            text=text,
            received_at=self._port.now(),
            media=None if raw else _media_kind(message),
        )
        # One step through the port (one worker thread): enrolled? then enrol, refuse, start
        # the DVPRS (/pain) or handle the message.
        await self._port.receive_chat(inbound, command=command, locale_hint=hint)

    async def _on_button(self, query: CallbackQuery) -> None:
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        address = str(chat_id)
        press = parse_callback(query.data)
        if press is None:
            self._reply_to_press(query)
            return
        provider_id = f"tg-cb-{query.id}"
        inbound = Inbound(
            channel=self.name,
            address=address,
            provider_message_id=provider_id,
            text=str(press.code),
            received_at=self._port.now(),
            button=press,
        )
        # One step through the port (one worker thread): enrolled? live? stored? language?
        # Only the question open now, in this chat and survey, may be answered (issue 13): a
        # button of an older message gets a short answer and changes nothing.
        outcome = await self._port.receive_press(inbound)
        if not outcome.enrolled:
            self._reply_to_press(query)
            return
        if not outcome.live:
            self._reply_to_press(query, _stale_text(outcome.locale))
            return
        result = outcome.result
        if result is None or result.status == "duplicate" or not isinstance(message, Message):
            self._reply_to_press(query)
            return
        menu = press.item_id in (LANGUAGE_ITEM, SKIPPED_OFFER_ITEM)
        if not menu and not outcome.stored:
            # the question closed between the look-up and the answer (another press won)
            self._reply_to_press(query, _stale_text(outcome.locale))
            return
        label = pressed_label(message.reply_markup, query.data or "") or str(press.code)
        shown = translator(outcome.locale).gettext("Your answer: {answer}")
        self._reply_to_press(
            query, edit_to=f"{message.text or ''}\n\n{shown.format(answer=label)}".strip()
        )

    def _reply_to_press(
        self, query: CallbackQuery, text: str | None = None, *, edit_to: str | None = None
    ) -> None:
        """Answer a button press (and show the answer in the question, `edit_to`) in a task of
        its own: two Bot API round trips the handler need not wait for, since the answer is
        stored and the next question queued already."""
        task = asyncio.get_running_loop().create_task(
            self._press_reply(query, text, edit_to), name=f"pathbot-press-{query.id}"
        )
        self._press_replies.add(task)
        task.add_done_callback(self._press_reply_done)

    def _press_reply_done(self, task: asyncio.Task[None]) -> None:
        self._press_replies.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # not a Telegram error (those are handled where they happen): a bug; the type only,
            # since a traceback's locals could carry what the patient pressed
            log.error("telegram: a button answer failed (%s)", type(task.exception()).__name__)

    async def _press_reply(
        self, query: CallbackQuery, text: str | None, edit_to: str | None
    ) -> None:
        await self._answer(query, text)
        if edit_to is None:
            return
        try:  # PTB's rate limiter retries a 429; anything else is only the echo of a stored answer
            await query.edit_message_text(edit_to)
        except TelegramError as exc:  # an old or unchanged message; the answer is stored anyway
            log.info("telegram: could not edit a question message (%s)", type(exc).__name__)

    async def press_replies_sent(self, within: float | None = None) -> None:
        """Wait until the answers to button presses under way have gone (tests, shutdown); at
        most `within` seconds, after which those left are cancelled (they were logged)."""
        while self._press_replies:
            waiting = set(self._press_replies)
            _, late = await asyncio.wait(waiting, timeout=within)
            if late:
                log.warning("telegram: %d button answers not sent at shutdown", len(late))
                for task in late:
                    task.cancel()
                await asyncio.wait(late)
                return

    async def _on_membership(self, update: Update) -> None:
        change = update.my_chat_member
        assert change is not None
        if change.chat.type != "private":
            return
        status = change.new_chat_member.status
        blocked = status in ("kicked", "left")
        await self._port.set_reachable(self.name, str(change.chat.id), reachable=not blocked)

    async def _answer(self, query: CallbackQuery, text: str | None = None) -> None:
        try:
            await query.answer(text=text)
        except TelegramError as exc:  # too old to answer: the press was still handled
            log.info("telegram: could not answer a button press (%s)", type(exc).__name__)

    # ---- outbound -----------------------------------------------------------------------

    async def wait_turn(self, message: OutboundEnvelope) -> float:
        """This chat's next slot (one message a second per chat); the seconds waited."""
        return await self._pacer.wait(_chat_id(message), urgent=message.kind in SAFETY_KINDS)

    async def send(self, message: OutboundEnvelope) -> str:
        chat_id = _chat_id(message)
        bot = self.application.bot
        rtl = is_rtl(message.locale)
        markup = keyboard(message.options, rtl=rtl)
        text = for_language(render_text(message.text, (), message.hint, with_options=False), rtl)
        chart = None
        if message.kind == TREND_KIND:
            chart = await self._port.pain_chart(self.name, message.address)
        if not message.turn_taken:
            await self.wait_turn(message)
        try:
            if chart is not None:
                sent = await bot.send_photo(chat_id, photo=chart, caption=text)
            else:
                sent = await bot.send_message(chat_id, text, reply_markup=markup)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryableSendError(
                "telegram: flood control", code="429", retry_after=seconds
            ) from None
        except Forbidden as exc:
            raise ContactStopped(
                "telegram: the patient blocked the bot or left",
                code="403",
                identity_status="unreachable",
            ) from exc
        except BadRequest as exc:
            raise FinalSendError(f"telegram: bad request ({exc.message})", code="400") from exc
        except NetworkError as exc:
            raise RetryableSendError("telegram: network error", code="network") from exc
        except TelegramError as exc:
            raise RetryableSendError("telegram: error", code="telegram") from exc
        return str(sent.message_id)


def _stale_text(locale: str) -> str:
    return translator(locale).gettext("This question is closed. Please answer the newest question.")


def _chat_id(message: OutboundEnvelope) -> int:
    try:
        return int(message.address)
    except ValueError:
        raise FinalSendError("not a Telegram chat id", code="bad_address") from None


class TelegramSettings(Protocol):
    """The settings the Telegram channel reads (`bot.service.settings.Settings` has them all)."""

    @property
    def telegram_bot_token(self) -> Secret | None: ...
    @property
    def telegram_api_base_url(self) -> str: ...
    @property
    def telegram_webhook_url(self) -> str | None: ...
    @property
    def telegram_webhook_secret(self) -> Secret | None: ...
    @property
    def default_locale(self) -> str: ...
    @property
    def telegram_overall_per_second(self) -> float: ...
    @property
    def telegram_per_chat_interval(self) -> float: ...


def telegram_channel(settings: TelegramSettings, port: ChannelPort) -> TelegramChannel | None:
    """The channel factory for `pathbot run`: on when PATHBOT_TELEGRAM_BOT_TOKEN is set."""
    if settings.telegram_bot_token is None:
        return None
    secret = settings.telegram_webhook_secret
    return TelegramChannel(
        port,
        token=settings.telegram_bot_token.get_secret_value(),
        api_base_url=settings.telegram_api_base_url,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=secret.get_secret_value() if secret else None,
        default_locale=settings.default_locale,
        overall_per_second=settings.telegram_overall_per_second,
        per_chat_interval=settings.telegram_per_chat_interval,
    )


def _media_kind(message: Message) -> str | None:
    """What a message without text carries, in the words staff see; None for other updates."""
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo:
        return "photo"
    if message.sticker:
        return "sticker"
    if message.video or message.animation or message.document:
        return "file"
    return None
