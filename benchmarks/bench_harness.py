"""The load harness's robot against `pathbot run` (polling) and against the peer bot, in one run.

The harness (`../shared/harness/telegram_load/`, or PATHBOT_HARNESS_DIR) hosts a fake Bot API
over real HTTP and plays N patients who each ask for the pain check (`/pain`) and answer its
five questions the moment each arrives (closed loop, zero think time). The peer is its plain
python-telegram-bot ConversationHandler bot (pickle persistence), the bot a developer would write.
pathbot runs as deployed: `pathbot run`, long polling, every answer stored durably, with
Telegram's limits on (30 messages/s overall, 1/s per chat: its defaults) or off (capacity).

Settings are interleaved (every setting once, then again), and each figure is the median of the
runs with the range beside it. After each pathbot run the database is checked: every answer
stored exactly once, every survey complete. Ratios printed against issue 16's targets:

* limits off, N = 200: pathbot answers/s >= 3x the peer's, p99 wait <= 1/5 of the peer's,
  CPU per answer <= the peer's;
* limits on, N = 200: answers/s >= 90% of the limit-bound ceiling (30 messages/s at two calls
  per answer = 15 answers/s), p99 wait < 15 s.

The patients' wait is `next_question_ms`: from an answer to the next question the patient can
answer. Environment: PATHBOT_HARNESS_RUNS (repeats, default 1), PATHBOT_HARNESS_N ("50,200"),
PATHBOT_HARNESS_RTT_MS ("0,50": the emulated Bot API round trip), PATHBOT_HARNESS_LIMITS ("off,on":
Telegram's limits; "on" alone runs only the limit-bound settings, and no peer, which has none),
PATHBOT_HARNESS_KEEP (a folder: each run's full robot result is kept there), PATHBOT_HARNESS_PROFILE
(a folder: py-spy's samples of each pathbot run, for `python -m benchmarks.profile_summary`) and
PATHBOT_HARNESS_PROFILE_GIL=1 (sample only the thread that holds the GIL).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.common import (
    NOW,
    Row,
    backend_name,
    bench_app,
    postgres_database,
    sqlite_database,
)
from benchmarks.seed import seed_patients
from bot.db.database import normalize_database_url
from tests.child_processes import spawn, stop

HARNESS_ENV = "PATHBOT_HARNESS_DIR"
HARNESS_PATH = "harness/telegram_load"
CHAT_BASE = 6_000_000_000  # the robot's patient i has chat id CHAT_BASE + i
ITEMS = 5  # the DVPRS and the peer's pain check both ask five questions
TOKEN = "123456:PATHBOT-LOADTEST"  # noqa: S105 - the harness's fake Bot API only
LIMIT_CEILING = 15.0  # answers/s: 30 messages/s at two Bot API calls per answer
TARGET_SPEEDUP = 3.0
TARGET_WAIT_SHARE = 0.2
TARGET_LIMIT_SHARE = 0.9
TARGET_LIMITED_P99_S = 15.0
RUN_SECONDS = 600  # one run's cap


@dataclass(frozen=True)
class Setting:
    bot: str  # "peer" | "pathbot"
    database: str  # "SQLite" | "PostgreSQL" | "-" (the peer keeps a pickle)
    patients: int
    rtt_ms: int
    limits: bool

    @property
    def label(self) -> str:
        limits = "limits on" if self.limits else "limits off"
        where = "" if self.bot == "peer" else f" {self.database}"
        return f"{self.bot}{where} N={self.patients} rtt={self.rtt_ms}ms {limits}"


@dataclass(frozen=True)
class Result:
    answers_per_s: float
    p50_s: float
    p99_s: float
    cpu_ms_per_answer: float
    errors: int
    stored_ok: bool | None  # pathbot: every answer stored once, every survey complete
    note: str = ""


def harness_dir() -> Path | None:
    given = os.environ.get(HARNESS_ENV)
    candidates = [Path(given)] if given else []
    repo = Path(__file__).resolve().parents[1]
    candidates += [
        repo.parent / "shared/harness/telegram_load",
        Path("/work/shared/harness/telegram_load"),
    ]
    return next((p for p in candidates if (p / "patient_robot.py").exists()), None)


def _ints(name: str, default: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, default).split(",") if x.strip()]


# ---- one run ------------------------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes] | None, seconds: float) -> None:
    """SIGTERM, wait, then SIGKILL: only the processes this benchmark started (their groups)."""
    stop(process, grace=seconds)


@contextlib.contextmanager
def _robot(
    harness: Path, work: Path, setting: Setting, *, settle: float, reply_timeout: float
) -> Iterator[subprocess.Popen[bytes]]:
    args = [
        sys.executable, str(harness / "patient_robot.py"),
        "--patients", str(setting.patients), "--script", '["/pain"]',
        "--port-file", str(work / "port"), "--bot-pid-file", str(work / "bot.pid"),
        "--out", str(work / "result.json"), "--wait-bot", "60",
        "--max-duration", str(RUN_SECONDS), "--reply-timeout", str(reply_timeout),
        "--settle", str(settle), "--linger-s", "30", "--chat-id-base", str(CHAT_BASE),
        "--api-latency-ms", str(setting.rtt_ms), "--label", setting.label,
    ]  # fmt: skip
    with open(work / "robot.log", "wb") as log:
        robot = spawn(args, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while not (work / "port").exists() or not (work / "port").read_text().strip():
            if robot.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the harness robot did not start (see its log)")
            time.sleep(0.05)
        yield robot
    finally:
        _stop(robot, 10)


def _result(
    work: Path, robot: subprocess.Popen[bytes], bot: subprocess.Popen[bytes]
) -> dict[str, object]:
    deadline = time.monotonic() + RUN_SECONDS + 60
    out = work / "result.json"
    while not (out.exists() and out.read_text().strip()):
        if robot.poll() is not None and not out.exists():
            raise RuntimeError("the robot stopped without a result")
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited during the run (code {bot.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError("no result in time")
        time.sleep(0.2)
    time.sleep(0.2)
    return dict(json.loads(out.read_text().splitlines()[0]))


def _summary(raw: dict[str, object], stored_ok: bool | None, note: str = "") -> Result:
    def get(*path: str) -> float:
        node: object = raw
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return float(node) if isinstance(node, int | float) else 0.0

    wait = "next_question_ms" if isinstance(raw.get("next_question_ms"), dict) else "latency_ms"
    errors = raw.get("errors", {})
    return Result(
        answers_per_s=get("answers_per_s"),
        p50_s=get(wait, "p50") / 1000,
        p99_s=get(wait, "p99") / 1000,
        cpu_ms_per_answer=get("cpu_in_window", "bot_cpu_ms_per_answer"),
        errors=int(errors.get("total", 0)) if isinstance(errors, dict) else 0,
        stored_ok=stored_ok,
        note=note,
    )


def run_peer(harness: Path, setting: Setting) -> Result:
    with tempfile.TemporaryDirectory(prefix="pathbot-harness-") as folder:
        work = Path(folder)
        with _robot(harness, work, setting, settle=1.0, reply_timeout=20.0) as robot:
            port = (work / "port").read_text().strip()
            env = {
                **os.environ,
                "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
                "PEER_PERSIST_FILE": str(work / "peer.pickle"),
                "NO_PROXY": "127.0.0.1,localhost",
            }
            with open(work / "bot.log", "wb") as log:
                bot = spawn(
                    [sys.executable, str(harness / "peer_bot.py")], env=env, stdout=log, stderr=log
                )
            (work / "bot.pid").write_text(str(bot.pid))
            try:
                raw = _result(work, robot, bot)
            finally:
                _stop(bot, 20)
        return _summary(raw, None)


def _stored(url: str, patients: int) -> tuple[bool, str]:
    """Every answer stored exactly once and every survey complete (what the run must leave)."""
    engine = create_engine(normalize_database_url(url))
    with engine.connect() as conn:

        def one(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        answers = one("SELECT count(*) FROM itemresponse WHERE superseded_at IS NULL")
        dupes = one(
            "SELECT count(*) FROM (SELECT assignment_id, item_id FROM itemresponse "
            "WHERE superseded_at IS NULL GROUP BY assignment_id, item_id HAVING count(*) > 1) d"
        )
        complete = one("SELECT count(*) FROM surveyassignment WHERE state = 'completed'")
        unsent = one("SELECT count(*) FROM outboxmessage WHERE status IN ('pending', 'sending')")
    engine.dispose()
    ok = answers == patients * ITEMS and dupes == 0 and complete == patients and unsent == 0
    return ok, f"stored {answers}/{patients * ITEMS} answers, {dupes} twice, {complete} complete"


def _all_done(url: str, patients: int) -> bool:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            complete = conn.execute(
                text("SELECT count(*) FROM surveyassignment WHERE state = 'completed'")
            ).scalar_one()
            unsent = conn.execute(
                text("SELECT count(*) FROM outboxmessage WHERE status IN ('pending', 'sending')")
            ).scalar_one()
        return int(complete) >= patients and int(unsent) == 0
    finally:
        engine.dispose()


def run_pathbot(harness: Path, setting: Setting, url: str) -> Result:
    app = bench_app(url)  # migrates
    seed_patients(
        app.db, setting.patients, channel="telegram", address_of=lambda n: CHAT_BASE + n,
        now=NOW, prefix="load",
    )  # fmt: skip
    app.db.dispose()
    with tempfile.TemporaryDirectory(prefix="pathbot-harness-") as folder:
        work = Path(folder)
        # pathbot's next question can wait in its queue (limits on): the robot must not give up
        # on a patient before it comes; the run ends when the database shows every survey done.
        with _robot(harness, work, setting, settle=RUN_SECONDS, reply_timeout=RUN_SECONDS) as robot:
            port = (work / "port").read_text().strip()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "PATHBOT_ENV": "development",
                "PATHBOT_TELEGRAM_BOT_TOKEN": TOKEN,
                "PATHBOT_TELEGRAM_BOT_USERNAME": "pathbot_load_bot",
                "PATHBOT_TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}",
                "PATHBOT_TELEGRAM_OVERALL_PER_SECOND": "30" if setting.limits else "0",
                "PATHBOT_TELEGRAM_PER_CHAT_INTERVAL": "1.0" if setting.limits else "0",
                "NO_PROXY": "127.0.0.1,localhost",
            }
            pathbot = Path(sys.executable).with_name("pathbot")
            with open(work / "bot.log", "wb") as log:
                bot = spawn(
                    [str(pathbot), "run", "--host", "127.0.0.1", "--port", "0",
                     "--log-level", "WARNING"],
                    env=env, stdout=log, stderr=log, cwd=work,
                )  # fmt: skip
            (work / "bot.pid").write_text(str(bot.pid))
            spy = _profiler(bot.pid, setting)
            try:
                deadline = time.monotonic() + RUN_SECONDS
                while not _all_done(url, setting.patients):
                    if bot.poll() is not None:
                        raise RuntimeError(f"pathbot exited during the run (code {bot.returncode})")
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                time.sleep(1.0)
                robot.send_signal(signal.SIGTERM)  # it prints its result over the answer window
                raw = _result(work, robot, bot)
                _keep(work, setting)
            finally:
                try:
                    if spy is not None:
                        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                        spy.wait(60)
                finally:  # a profiler that would not stop must not leave the bot running
                    _stop(spy, 5)
                    _stop(bot, 30)
    ok, note = _stored(url, setting.patients)
    return _summary(raw, ok, note)


def _keep(work: Path, setting: Setting) -> None:
    """The robot's whole result (per-method calls, the window, every percentile) is kept in
    PATHBOT_HARNESS_KEEP=<folder> when set; the table shows only its headline figures."""
    folder = os.environ.get("PATHBOT_HARNESS_KEEP")
    if folder:
        out = Path(folder) / f"{setting.label.replace(' ', '_')}-{int(time.time())}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text((work / "result.json").read_text())


def _profiler(pid: int, setting: Setting) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the bot (PATHBOT_HARNESS_PROFILE=<folder>; `pip install py-spy`)."""
    folder = os.environ.get("PATHBOT_HARNESS_PROFILE")
    spy = Path(sys.executable).with_name("py-spy")
    if not folder or not spy.exists():
        return None
    gil = os.environ.get("PATHBOT_HARNESS_PROFILE_GIL", "") not in ("", "0")
    name = setting.label.replace(" ", "_").replace("=", "") + ("-gil" if gil else "")
    out = Path(folder) / f"{name}-{int(time.time())}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return spawn(
        profiler_command(spy, pid, out, gil=gil),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def profiler_command(spy: Path, pid: int, out: Path, *, gil: bool) -> list[str]:
    """py-spy's command line. Without `gil`, every thread that is not waiting counts, a thread
    waiting for the GIL included (so a busy database thread inflates the event loop's share);
    with it (PATHBOT_HARNESS_PROFILE_GIL=1) only the thread holding the GIL is sampled: the
    Python CPU per answer, though C work done without the GIL (SQLite, zlib) drops out."""
    command = [str(spy), "record", "--pid", str(pid), "--rate", "200", "--threads",
               "--nonblocking", "--format", "raw", "-o", str(out)]  # fmt: skip
    return command + ["--gil"] if gil else command


# ---- the matrix ---------------------------------------------------------------------------


def settings(databases: list[str]) -> list[Setting]:
    out: list[Setting] = []
    wanted = os.environ.get("PATHBOT_HARNESS_LIMITS", "off,on").split(",")
    limit_settings = [limits for limits in (False, True) if ("on" if limits else "off") in wanted]
    for n in _ints("PATHBOT_HARNESS_N", "50,200"):
        for rtt in _ints("PATHBOT_HARNESS_RTT_MS", "0,50"):
            if False in limit_settings:  # the peer is compared only with limits off
                out.append(Setting("peer", "-", n, rtt, False))
            for database in databases:
                for limits in limit_settings:
                    out.append(Setting("pathbot", database, n, rtt, limits))
    return out


def run_matrix(postgres: str | None, *, sqlite: bool = True, quick: bool = False) -> list[Row]:
    """Every setting on SQLite (if `sqlite`) and on PostgreSQL (if `postgres`), interleaved."""
    harness = harness_dir()
    if harness is None:
        why = f"skipped: no harness (set {HARNESS_ENV})"
        return [Row("harness", "-", "not run", "-", None, why)]
    runs = 1 if quick else int(os.environ.get("PATHBOT_HARNESS_RUNS", "1"))
    databases = (["SQLite"] if sqlite else []) + (["PostgreSQL"] if postgres else [])
    matrix = settings(databases)
    if quick:
        matrix = [Setting("peer", "-", 5, 0, False)]
        matrix += [Setting("pathbot", database, 5, 0, False) for database in databases]
    results: dict[Setting, list[Result]] = {s: [] for s in matrix}
    for round_ in range(runs):
        for setting in matrix:
            print(f"... harness {round_ + 1}/{runs}: {setting.label}", file=sys.stderr, flush=True)
            try:
                results[setting].append(_one(harness, setting, postgres))
            except Exception as exc:  # noqa: BLE001 - reported in the table
                results[setting].append(Result(0, 0, 0, 0, 1, False, f"failed: {exc}"))
    return _rows(results, load=os.getloadavg())


def _one(harness: Path, setting: Setting, postgres: str | None) -> Result:
    if setting.bot == "peer":
        return run_peer(harness, setting)
    if setting.database == "SQLite":
        with sqlite_database() as url:
            return run_pathbot(harness, setting, url)
    assert postgres is not None
    with postgres_database(postgres) as url:
        return run_pathbot(harness, setting, url)


def _spread(values: list[float], fmt: str) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return format(median, fmt)
    return f"{format(median, fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def _ratio(ours: list[float], theirs: list[float]) -> float:
    return statistics.median(ours) / max(statistics.median(theirs), 1e-9)


def _rows(results: dict[Setting, list[Result]], *, load: tuple[float, float, float]) -> list[Row]:
    rows: list[Row] = []
    peers = {(s.patients, s.rtt_ms): r for s, r in results.items() if s.bot == "peer"}
    for setting, runs in results.items():
        rates = [r.answers_per_s for r in runs]
        p50 = [r.p50_s for r in runs]
        p99 = [r.p99_s for r in runs]
        cpu = [r.cpu_ms_per_answer for r in runs]
        figure = (
            f"{_spread(rates, '.1f')} answers/s, wait p50 {_spread(p50, '.2f')} s "
            f"p99 {_spread(p99, '.2f')} s, CPU {_spread(cpu, '.1f')} ms/answer, {len(runs)} run(s)"
        )
        notes = [r.note for r in runs if r.note]
        stored = [r.stored_ok for r in runs if r.stored_ok is not None]
        ok: bool | None = None
        target = "-"
        peer = peers.get((setting.patients, setting.rtt_ms))
        if setting.bot == "pathbot" and not setting.limits and peer:
            speedup = _ratio(rates, [r.answers_per_s for r in peer])
            wait_share = _ratio(p99, [r.p99_s for r in peer])
            cpu_share = _ratio(cpu, [r.cpu_ms_per_answer for r in peer])
            figure += (
                f"; vs peer: {speedup:.2f}x answers/s, p99 {wait_share:.2f}x, CPU {cpu_share:.2f}x"
            )
            if setting.patients == 200:
                target = f">= {TARGET_SPEEDUP:.0f}x, p99 <= {TARGET_WAIT_SHARE}x, CPU <= 1x"
                ok = speedup >= TARGET_SPEEDUP and wait_share <= TARGET_WAIT_SHARE
                ok = ok and cpu_share <= 1
        if setting.bot == "pathbot" and setting.limits:
            share = statistics.median(rates) / LIMIT_CEILING
            figure += f"; {share:.2f}x of the {LIMIT_CEILING:.0f}/s ceiling"
            if setting.patients == 200:
                target = f">= {TARGET_LIMIT_SHARE}x ceiling, p99 < {TARGET_LIMITED_P99_S:.0f} s"
                ok = share >= TARGET_LIMIT_SHARE and statistics.median(p99) < TARGET_LIMITED_P99_S
        if stored:
            notes.append("database: " + ("every answer once" if all(stored) else "LOST OR TWICE"))
            ok = all(stored) if ok is None else ok and all(stored)
        rows.append(
            Row(f"harness {setting.label}", setting.database, figure, target, ok, "; ".join(notes))
        )
    rows.append(Row("harness load average", "-", " ".join(f"{x:.1f}" for x in load), "-", None))
    return rows


def run(url: str, *, quick: bool = False) -> list[Row]:
    """On one database (`python -m benchmarks` calls `run_matrix` once for both, interleaved)."""
    if backend_name(url) == "SQLite":
        return run_matrix(None, quick=quick)
    return run_matrix(url, sqlite=False, quick=quick)
