"""The channel port's implementation: what channels may ask of pathbot, done by the service.

Every database step runs in a worker thread (the pipeline and these look-ups are synchronous and
transactional) and is awaited for at most `REQUEST_SECONDS`. On SQLite that is one thread of the
backend's own: SQLite takes one writer at a time whatever the number of threads, and more threads
only fought over the GIL (signed SMS webhooks on 2 cores, benchmarks/bench_sms.py: 395-425/s
with asyncio's six worker threads, 460-486/s with two, 501-557/s with one; p99 65-112, 60-87
and 69-82 ms in that run, though another A/B gave the six threads 45-58 ms against 145-192).
PostgreSQL's steps, which wait on the network, keep asyncio's pool. A database outage (or the
wait running out) surfaces as the port's `BackendUnavailable`, so a webhook answers 503 in time
for the provider to deliver again. An inbound message that fails for any other reason is
quarantined (bot/service/quarantine.py), never retried for ever. Anything that queued outbox rows
hands their ids to the runtime, which sends them at once rather than at the next timer tick.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.channels.port import BackendUnavailable, DeliveryStatus, PressOutcome
from bot.channels.voice.script import AudioFile, VoiceScript, VoiceTurn
from bot.clinic.alerts.delivery import record_send_failure
from bot.conversation.messages import ButtonPress, HandleResult, Inbound
from bot.db import fallback, store
from bot.db.availability import is_outage
from bot.db.database import session_scope
from bot.db.models import OutboxMessage
from bot.service import chat_flows, sms_optin
from bot.service.app import App
from bot.service.metrics import METRICS
from bot.service.quarantine import quarantine_inbound
from bot.service.voice import flow as voice_flow
from bot.service.voice import recordings
from bot.service.voice.enrol import CHANNEL as VOICE

log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

# A webhook waits this long for the database, then answers 503 (Twilio gives up after 15 s).
REQUEST_SECONDS = 10.0

# Provider words for a message that will never arrive (Twilio's; other channels map onto them).
FINAL_FAILURES = ("undelivered", "failed")

# Channels whose inbound messages pass a gate before the pipeline: an SMS number is "pending"
# until the patient confirms the opt-in (double opt-in, bot/service/sms_optin.py).
InboundGate = Callable[[App, Inbound], HandleResult]


def _sms_gate(app: App, inbound: Inbound) -> HandleResult:
    return sms_optin.receive(app.pipeline, app.db, app.program, inbound)


INBOUND_GATES: dict[str, InboundGate] = {sms_optin.CHANNEL: _sms_gate}


class Backend:
    """`ChannelPort` for the running service (or a test) built on one `App`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._queued: Callable[[Sequence[int]], None] = lambda _ids: None
        self._executor = database_executor(app.db)
        if self._executor is not None:
            weakref.finalize(self, self._executor.shutdown, wait=False)

    def on_queued(self, queued: Callable[[Sequence[int]], None]) -> None:
        """Call `queued` with the outbox ids whenever a request queued outbox rows, once its
        transaction committed (the runtime sends them straight away)."""
        self._queued = queued

    def now(self) -> datetime:
        return self.app.pipeline.now()

    # ---- inbound ------------------------------------------------------------------------

    async def receive(self, inbound: Inbound) -> HandleResult:
        started = METRICS.inbound_started()
        result = await self._store(inbound, self._handler(inbound.channel), inbound)
        METRICS.inbound_handled(inbound.channel, result, started)
        return self._woken(result)

    def _handler(self, channel: str) -> Callable[[Inbound], HandleResult]:
        """The pipeline, behind the channel's gate if it has one."""
        gate = INBOUND_GATES.get(channel)
        if gate is None:
            return self.app.pipeline.handle
        return functools.partial(gate, self.app)

    async def receive_chat(
        self, inbound: Inbound, *, command: tuple[str, str] | None, locale_hint: str
    ) -> HandleResult:
        started = METRICS.inbound_started()
        try:
            result, handled = await self._run(
                chat_flows.receive_chat,
                self.app,
                inbound,
                command,
                locale_hint,
                self._handler(inbound.channel),
            )
        except BackendUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - kept and alerted, never lost or retried for ever
            result = await self._run(quarantine_inbound, self.app, inbound, exc)
            handled = True
        if handled:
            METRICS.inbound_handled(inbound.channel, result, started)
        return self._woken(result)

    async def receive_press(self, inbound: Inbound) -> PressOutcome:
        started = METRICS.inbound_started()
        try:
            outcome = await self._run(chat_flows.receive_press, self.app, inbound)
        except BackendUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - kept and alerted, never lost or retried for ever
            kept = await self._run(quarantine_inbound, self.app, inbound, exc)
            outcome = PressOutcome(True, True, kept, False, self.app.settings.default_locale)
        if outcome.result is not None:
            METRICS.inbound_handled(inbound.channel, outcome.result, started)
            self._woken(outcome.result)
        return outcome

    async def enrol(self, inbound: Inbound, code: str, locale_hint: str) -> HandleResult:
        result = await self._store(
            inbound, chat_flows.enrol_with_code, self.app, inbound, code, locale_hint
        )
        return self._woken(result)

    async def refuse_stranger(self, inbound: Inbound, locale_hint: str) -> HandleResult:
        result = await self._store(inbound, chat_flows.not_enrolled, self.app, inbound, locale_hint)
        return self._woken(result)

    async def request_survey(self, inbound: Inbound, instrument_id: str) -> HandleResult:
        result = await self._store(
            inbound, chat_flows.request_survey, self.app, inbound, instrument_id
        )
        return self._woken(result)

    # ---- look-ups and status ------------------------------------------------------------

    async def is_enrolled(self, channel: str, address: str) -> bool:
        return await self._run(chat_flows.is_enrolled, self.app, channel, address)

    async def set_reachable(self, channel: str, address: str, *, reachable: bool) -> None:
        await self._run(
            chat_flows.set_reachability, self.app, channel, address, blocked=not reachable
        )

    async def record_status(self, update: DeliveryStatus) -> None:
        await self._run(record_delivery_status, self.app.db, update, self.now())

    async def locale_of(self, channel: str, address: str) -> str:
        return await self._run(chat_flows.chat_locale, self.app, channel, address)

    async def button_is_live(self, channel: str, address: str, press: ButtonPress) -> bool:
        return await self._run(chat_flows.button_is_live, self.app, channel, address, press)

    async def answer_stored(self, channel: str, provider_message_id: str) -> bool:
        return await self._run(chat_flows.answer_recorded, self.app, channel, provider_message_id)

    async def pain_chart(self, channel: str, address: str) -> bytes | None:
        # Drawing the chart takes a while and writes nothing: asyncio's pool, not in line with
        # the steps that write.
        chart = functools.partial(chat_flows.trend_chart, self.app, channel, address)
        return await self._in_thread(None, chart)

    def count_rejected(self, channel: str, reason: str) -> None:
        METRICS.webhook_rejected(channel, reason)

    # ---- voice calls (bot/service/voice/) -------------------------------------------------

    async def voice_turn(self, turn: VoiceTurn) -> VoiceScript:
        try:
            return await self._run(voice_flow.take_turn, self.app, turn)
        except BackendUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the caller hears a clear error, never silence
            log.error("voice turn failed (%s)", type(exc).__name__)  # no traceback: no numbers
            raise BackendUnavailable(type(exc).__name__) from exc

    async def voice_status(self, call_sid: str, status: str) -> None:
        await self._run(voice_flow.record_call_status, self.app, call_sid, status)

    async def voice_audio(self, clip: str) -> AudioFile | None:
        settings = self.app.settings
        token = settings.twilio_auth_token
        return await asyncio.to_thread(
            recordings.audio_file,
            clip,
            settings.voice_recordings_dir,
            token.get_secret_value() if token else None,
        )

    async def live_call(self, channel: str, address: str) -> str | None:
        if channel != VOICE:
            return None
        return await self._run(voice_flow.live_call, self.app, address)

    # ---- plumbing -----------------------------------------------------------------------

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await self._in_thread(self._executor, functools.partial(fn, *args, **kwargs))

    async def _in_thread(self, pool: ThreadPoolExecutor | None, call: Callable[[], _T]) -> _T:
        """`call` in `pool` (None: asyncio's), in this task's context as asyncio.to_thread runs
        it (the step's sends carry the stamp of the message being handled)."""
        context = contextvars.copy_context()
        work = asyncio.get_running_loop().run_in_executor(pool, context.run, call)
        try:
            return await asyncio.wait_for(work, REQUEST_SECONDS)
        except TimeoutError as exc:  # the work may still finish; a redelivery is deduped
            raise BackendUnavailable("the database did not answer in time") from exc
        except Exception as exc:
            if is_outage(exc):
                raise BackendUnavailable(type(exc).__name__) from exc
            raise

    async def _store(
        self,
        inbound: Inbound,
        fn: Callable[_P, HandleResult],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> HandleResult:
        """Run a step that stores `inbound`; quarantine it when it fails other than by an outage."""
        try:
            return await self._run(fn, *args, **kwargs)
        except BackendUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - kept and alerted, never lost or retried for ever
            return await self._run(quarantine_inbound, self.app, inbound, exc)

    def _woken(self, result: HandleResult) -> HandleResult:
        if result.outbox_ids:
            self._queued(result.outbox_ids)
        return result


def database_executor(db: Engine) -> ThreadPoolExecutor | None:
    """The thread a backend's database steps run in: one of its own on SQLite (see the module's
    docstring), None (asyncio's pool) on PostgreSQL."""
    if db.dialect.name != "sqlite":
        return None
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathbot-sqlite")


def record_delivery_status(db: Engine, update: DeliveryStatus, now: datetime) -> None:
    """Record delivered / undelivered / failed on the outbox row; a final failure may fall back."""
    with session_scope(db) as session:
        row = session.get(OutboxMessage, update.outbox_id) if update.outbox_id else None
        if row is None or (row.provider_message_id not in (None, update.provider_message_id)):
            row = _by_provider_id(session, update.provider_message_id)
        if row is None:
            return
        if update.status == "delivered":
            row.status = "delivered"
        elif update.status in FINAL_FAILURES:
            row.status = update.status
            row.error_code = update.error_code
            if update.contact_stopped:
                identity = store.find_identity(session, row.channel, row.address)
                if identity is not None:
                    identity.status = "stopped"
                    session.add(identity)
            record_send_failure(session, row, now)  # urgent for a crisis answer or HELP text
            fallback.after_final_failure(session, row, now=now)
        else:
            return  # queued / sending / sent: nothing new for staff
        if row.provider_message_id is None and update.provider_message_id:
            row.provider_message_id = update.provider_message_id
        session.add(row)


def _by_provider_id(session: Session, provider_message_id: str) -> OutboxMessage | None:
    if not provider_message_id:
        return None
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
    ).first()
