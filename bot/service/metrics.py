"""Counters behind `/metrics`, written in the Prometheus text format by hand (no client package).

Counts are per process: with several workers, scrape each one (Prometheus sums them). Labels
carry only channel names, error codes and reasons, never a patient, phone number or text.

Reply latency is measured in this process from the moment an inbound message reached the
pipeline to the moment its reply was accepted by the provider, on the monotonic clock (so tests
on virtual time still measure real seconds). A reply sent by another worker, or after a restart,
is simply not measured.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.channels.base import (
    Channel,
    OutboundEnvelope,
    Paced,
    RetryableSendError,
    Segmented,
    SendError,
)
from bot.conversation.messages import HandleResult
from bot.db.models import OutboxMessage
from bot.service.outbox_lag import oldest_due_seconds

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_OPEN_REPLIES = 10_000  # replies waiting to be sent that we still time; the oldest are dropped

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Thread-safe counters and one latency histogram."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {}
        self._open_replies: OrderedDict[int, float] = OrderedDict()
        self._buckets = [0] * len(LATENCY_BUCKETS)
        self._latency_count = 0
        self._latency_sum = 0.0

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._open_replies.clear()
            self._buckets = [0] * len(LATENCY_BUCKETS)
            self._latency_count = 0
            self._latency_sum = 0.0

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters.setdefault(name, {})
            series[key] = series.get(key, 0) + amount

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0)

    # ---- what the service reports --------------------------------------------------------

    def inbound_started(self) -> float:
        return self._clock()

    def inbound_handled(self, channel: str, result: HandleResult, started: float) -> None:
        """One inbound message went through the pipeline; its replies are timed from `started`."""
        if result.status == "duplicate":
            self.inc("pathbot_inbound_duplicates_total", channel=channel)
            return
        self.inc("pathbot_messages_in_total", channel=channel, status=result.status)
        with self._lock:
            for outbox_id in result.outbox_ids:
                self._open_replies[outbox_id] = started
            while len(self._open_replies) > MAX_OPEN_REPLIES:
                self._open_replies.popitem(last=False)

    def sent(self, channel: str, outbox_id: int) -> None:
        self.inc("pathbot_messages_out_total", channel=channel)
        with self._lock:
            started = self._open_replies.pop(outbox_id, None)
            if started is None:
                return
            seconds = max(0.0, self._clock() - started)
            self._latency_count += 1
            self._latency_sum += seconds
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._buckets[index] += 1

    def send_failed(self, channel: str, code: str | None, outbox_id: int) -> None:
        self.inc("pathbot_send_failures_total", channel=channel, code=code or "unknown")

    def webhook_rejected(self, channel: str, reason: str) -> None:
        self.inc("pathbot_webhook_rejections_total", channel=channel, reason=reason)

    # ---- the exposition format -----------------------------------------------------------

    def render(
        self, *, queue_depth: Mapping[str, int], oldest_due: Mapping[str, float] | None = None
    ) -> str:
        """The Prometheus text exposition (version 0.0.4) of every metric."""
        lines: list[str] = []
        with self._lock:
            counters = {name: dict(series) for name, series in self._counters.items()}
            buckets = list(self._buckets)
            count, total = self._latency_count, self._latency_sum
        for name, help_text in COUNTER_HELP.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            for labels, value in sorted(counters.get(name, {}).items()):
                lines.append(f"{name}{_labels(labels)} {_number(value)}")
        lines += [
            "# HELP pathbot_queue_depth Outbox messages waiting to be sent (status pending).",
            "# TYPE pathbot_queue_depth gauge",
        ]
        for channel, depth in sorted(queue_depth.items()):
            lines.append(f"pathbot_queue_depth{_labels((('channel', channel),))} {depth}")
        name = "pathbot_outbox_oldest_due_seconds"
        lines += [
            f"# HELP {name} How long the oldest due outbox message of a channel has waited.",
            f"# TYPE {name} gauge",
        ]
        for channel, seconds in sorted((oldest_due or {}).items()):
            lines.append(f"{name}{_labels((('channel', channel),))} {_number(round(seconds))}")
        name = "pathbot_reply_latency_seconds"
        lines += [
            f"# HELP {name} From an inbound message reaching the pipeline to its reply being sent.",
            f"# TYPE {name} histogram",
        ]
        for bound, hits in zip(LATENCY_BUCKETS, buckets, strict=True):
            lines.append(f'{name}_bucket{{le="{_number(bound)}"}} {hits}')
        lines += [
            f'{name}_bucket{{le="+Inf"}} {count}',
            f"{name}_sum {_number(total)}",
            f"{name}_count {count}",
        ]
        return "\n".join(lines) + "\n"


COUNTER_HELP = {
    "pathbot_messages_in_total": "Inbound messages handled by the pipeline, by channel.",
    "pathbot_inbound_duplicates_total": "Inbound messages already stored (provider retries).",
    "pathbot_messages_out_total": "Messages accepted by the provider, by channel.",
    "pathbot_send_failures_total": "Sends that failed, by channel and error code.",
    "pathbot_webhook_rejections_total": "Webhook requests refused, by channel and reason.",
}


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    parts = [f'{key}="{_escape(value)}"' for key, value in labels]
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


METRICS = Metrics()  # the process's metrics; `pathbot run` serves them at /metrics


def outbox_figures(db: Engine, now: datetime) -> tuple[dict[str, int], dict[str, float]]:
    """Per channel: pending outbox rows (due now or held for later; shared by all workers), and
    how long its oldest due message has waited (outbox_lag.py)."""
    with Session(db) as session:
        rows = session.exec(
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.status == "pending")
            .group_by(OutboxMessage.channel)
        ).all()
        lag = oldest_due_seconds(session.connection(), now)
    return {channel: int(count) for channel, count in rows}, lag


class MeteredChannel:
    """Wraps a channel for the dispatcher: counts each send's result, times replies, and
    remembers how many sends in a row the provider refused for a reason of its own (network,
    5xx, throttling), which is what `/healthz` calls a failing channel."""

    def __init__(self, inner: Channel, metrics: Metrics = METRICS) -> None:
        self.name = inner.name
        self._inner = inner
        self.send_concurrency: int | None = getattr(inner, "send_concurrency", None)
        self.sends_per_second: float | None = getattr(inner, "sends_per_second", None)
        self._metrics = metrics
        self.failures_in_a_row = 0
        self.last_error_code: str | None = None

    async def wait_turn(self, message: OutboundEnvelope) -> float:
        if isinstance(self._inner, Paced):
            return await self._inner.wait_turn(message)
        return 0.0

    def segments(self, message: OutboundEnvelope) -> int | None:
        if isinstance(self._inner, Segmented):
            return self._inner.segments(message)
        return None

    async def send(self, message: OutboundEnvelope) -> str:
        try:
            provider_id = await self._inner.send(message)
        except SendError as exc:
            self._metrics.send_failed(self.name, exc.code, message.outbox_id)
            if isinstance(exc, RetryableSendError):
                self.failures_in_a_row += 1
                self.last_error_code = exc.code
            raise
        self.failures_in_a_row = 0
        self._metrics.sent(self.name, message.outbox_id)
        return provider_id
