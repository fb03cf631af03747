"""/metrics and /healthz: counters from real SMS traffic, the text format, loop liveness."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from bot.channels.base import FinalSendError, OutboundEnvelope
from bot.channels.console import ConsoleChannel
from bot.conversation.messages import HandleResult
from bot.service.app import build_app
from bot.service.metrics import METRICS, MeteredChannel, Metrics
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_the_exposition_format() -> None:
    ticks = iter([10.0, 10.3])
    metrics = Metrics(clock=lambda: next(ticks))
    metrics.inbound_handled("sms", HandleResult("processed", (5,)), metrics.inbound_started())
    metrics.inbound_handled("sms", HandleResult("duplicate"), 0.0)
    metrics.sent("sms", 5)
    metrics.send_failed("telegram", "403", 6)
    metrics.webhook_rejected("sms", "signature")
    text = metrics.render(queue_depth={"sms": 3})
    assert _sample(text, "pathbot_messages_in_total", channel="sms", status="processed") == 1
    assert _sample(text, "pathbot_inbound_duplicates_total", channel="sms") == 1
    assert _sample(text, "pathbot_messages_out_total", channel="sms") == 1
    assert _sample(text, "pathbot_send_failures_total", channel="telegram", code="403") == 1
    assert _sample(text, "pathbot_webhook_rejections_total", channel="sms", reason="signature") == 1
    assert _sample(text, "pathbot_queue_depth", channel="sms") == 3
    assert 'pathbot_reply_latency_seconds_bucket{le="0.25"} 0' in text
    assert 'pathbot_reply_latency_seconds_bucket{le="0.5"} 1' in text
    assert "pathbot_reply_latency_seconds_count 1" in text
    for line in text.splitlines():  # every line is a comment or `name{labels} number`
        assert line.startswith("# ") or re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line)


async def test_a_failed_send_is_counted_by_its_code() -> None:
    class Refusing:
        name = "sms"

        async def send(self, message: OutboundEnvelope) -> str:
            raise FinalSendError("no", code="21211")

    metrics = Metrics()
    channel = MeteredChannel(Refusing(), metrics)
    try:
        await channel.send(OutboundEnvelope(1, "+1", "reply", "x", "", ()))
    except FinalSendError:
        pass
    assert metrics.value("pathbot_send_failures_total", channel="sms", code="21211") == 1


async def test_sms_traffic_shows_in_the_metrics(sqlite_url: str, clock: FakeClock) -> None:
    METRICS.reset()
    async with sms_world(sqlite_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        for reply in ("7", "three", "2", "SKIP", "5"):
            await w.text(PHONE, reply)
        duplicate = "SM" + "d" * 32
        await w.text(PHONE, "HELP", message_sid=duplicate)
        await w.text(PHONE, "HELP", message_sid=duplicate)  # Twilio's retry
        await w.text(PHONE, "1", signature="forged")
        await w.text(PHONE, "1", signature="missing")
        w.app.pipeline.start_survey(pid, "brs")  # queued, not dispatched: the queue depth
        pending = len([m for m in w.outbox() if m.status == "pending"])
        async with httpx.AsyncClient() as client:
            response = await client.get(w.local_base + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert _sample(text, "pathbot_messages_in_total", channel="sms", status="processed") == 7
    assert _sample(text, "pathbot_inbound_duplicates_total", channel="sms") == 1
    sent = len(w.fake.messages)
    assert _sample(text, "pathbot_messages_out_total", channel="sms") == sent
    assert _sample(text, "pathbot_webhook_rejections_total", channel="sms", reason="signature") == 2
    assert pending >= 1 and _sample(text, "pathbot_queue_depth", channel="sms") == pending
    assert _sample(text, "pathbot_reply_latency_seconds_count") >= 7  # every reply was timed
    assert PHONE not in text and "three" not in text


def test_health_reports_scheduler_dispatcher_and_channels(tmp_path: Path) -> None:
    app = build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        clock=FakeClock(),
    )
    runtime = Runtime(app, [ConsoleChannel(io.StringIO())])
    with TestClient(build_asgi(runtime)) as client:
        body = client.get("/healthz").json()
        assert body["database"] == "ok" and body["scheduler"] == "alive"
        assert body["dispatcher"] in ("starting", "alive")
        assert body["channels"] == ["console"] and body["channels_configured"] is True
    # after shutdown the loops are gone: the same route says so, with a 503
    late = TestClient(build_asgi(runtime)).get("/healthz")  # no lifespan: the stopped runtime
    assert late.status_code == 503 and late.json()["scheduler"] == "dead"
    bare = TestClient(build_asgi(Runtime(app, []))).get("/healthz")
    assert bare.status_code == 200 and bare.json()["channels_configured"] is False
    assert bare.json()["scheduler"] == "starting"
    app.db.dispose()
