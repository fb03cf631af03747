"""`pathbot staff add|list|disable|enable|reset-mfa|password|unlock|demo`: console accounts.

The first administrator is made here (`pathbot staff add NAME --role administrator`); the rest
can be made in the console by an administrator. Passwords are typed at a hidden prompt (twice),
or read from the first line of standard input when it is not a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sqlmodel import Session

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.clinic.staff import accounts, mfa, signin
from bot.clinic.staff.passwords import WeakPassword
from bot.clinic.staff.roles import ROLES
from bot.db.database import session_scope


def register(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff console accounts (users, roles, MFA)")
    ssub = staff.add_subparsers(title="staff commands")

    add = ssub.add_parser("add", help="add a staff user (the first one: --role administrator)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", default="", help="the person's name, shown in the console")
    add.add_argument(
        "--must-change-password", action="store_true", help="ask for a new one at first sign-in"
    )
    _common(add)
    add.set_defaults(run=run_add)

    lst = ssub.add_parser("list", help="list staff users, roles, MFA and lock-out")
    lst.add_argument("--db", help="database URL (default: DATABASE_URL)")
    lst.set_defaults(run=run_list)

    for name, help_text, func in (
        ("disable", "disable a user and end their sessions", run_disable),
        ("enable", "enable a disabled user", run_enable),
        ("reset-mfa", "forget a user's second factor (they enrol again)", run_reset_mfa),
        ("unlock", "end a lock-out after failed sign-ins", run_unlock),
    ):
        cmd = ssub.add_parser(name, help=help_text)
        cmd.add_argument("username")
        _common(cmd)
        cmd.set_defaults(run=func)

    demo = ssub.add_parser(
        "demo", help="serve the console on a demo clinic (a fresh SQLite file, rebuilt each time)"
    )
    demo.add_argument("--db", default="pathbot-console-demo.db", help="the demo's SQLite file")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--weeks", type=int, default=5, help="how far into the cohort (1-12)")
    demo.set_defaults(run=run_demo)

    password = ssub.add_parser("password", help="set a user's password (ends their sessions)")
    password.add_argument("username")
    password.add_argument("--must-change-password", action="store_true")
    _common(password)
    password.set_defaults(run=run_password)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: DATABASE_URL)")
    parser.add_argument("--actor", help="who does it, for the audit log (default: OS user)")


def run_add(ns: argparse.Namespace) -> int:
    password = read_new_password()
    with command_app(ns) as app, session_scope(app.db) as session:
        try:
            user = accounts.add_user(
                session,
                username=ns.username,
                role=ns.role,
                password=password,
                display_name=ns.name,
                must_change_password=ns.must_change_password,
                actor=audit.current_actor(ns.actor),
                now=app.pipeline.now(),
            )
        except (accounts.StaffError, WeakPassword) as exc:
            raise CommandError(str(exc)) from None
        mfa_note = "required" if app.settings.staff_mfa_required else "optional here"
    print(f"added {user.username} ({user.role}); second factor ({mfa_note}) is set up at the")
    print("first sign-in to the console at /staff")
    return 0


def run_list(ns: argparse.Namespace) -> int:
    with command_app(ns) as app, Session(app.db) as session:
        now = app.pipeline.now()
        policy = signin.ThrottlePolicy()
        print("username\trole\tactive\tmfa\trecovery_codes\tlast_sign_in\tlocked_until")
        for user in accounts.list_users(session):
            locked = signin.locked_until(session, username=user.username, now=now, policy=policy)
            codes = mfa.recovery_codes_left(session, user.id or 0) if user.mfa_secret else 0
            print(
                f"{user.username}\t{user.role}\t{'yes' if user.active else 'no'}\t"
                f"{'yes' if user.mfa_secret else 'no'}\t{codes}\t"
                f"{_iso(user.last_sign_in_at)}\t{_iso(locked)}"
            )
    return 0


def run_disable(ns: argparse.Namespace) -> int:
    def disable(s: Session, actor: str, now: Any) -> object:
        return accounts.set_active(s, username=ns.username, active=False, actor=actor, now=now)

    return _change(ns, disable, "disabled {}; their sessions were ended")


def run_enable(ns: argparse.Namespace) -> int:
    def enable(s: Session, actor: str, now: Any) -> object:
        return accounts.set_active(s, username=ns.username, active=True, actor=actor, now=now)

    return _change(ns, enable, "enabled {}")


def run_reset_mfa(ns: argparse.Namespace) -> int:
    return _change(
        ns,
        lambda s, actor, now: accounts.reset_mfa(s, username=ns.username, actor=actor, now=now),
        "second factor of {} reset; they set it up again at their next sign-in",
    )


def run_unlock(ns: argparse.Namespace) -> int:
    def unlock(s: Session, actor: str, now: Any) -> object:
        user = accounts.get_user(s, ns.username)
        signin.unlock(s, username=user.username, actor=actor, now=now)
        return user

    return _change(ns, unlock, "unlocked {}")


def run_password(ns: argparse.Namespace) -> int:
    password = read_new_password()

    def change(s: Session, actor: str, now: Any) -> object:
        user = accounts.get_user(s, ns.username)
        accounts.set_password(
            s, user=user, password=password, must_change=ns.must_change_password, actor=actor,
            now=now,
        )  # fmt: skip
        return user

    return _change(ns, change, "new password set for {}; their sessions were ended")


def _change(ns: argparse.Namespace, change: Any, done: str) -> int:
    with command_app(ns) as app, session_scope(app.db) as session:
        try:
            change(session, audit.current_actor(ns.actor), app.pipeline.now())
        except (accounts.StaffError, WeakPassword) as exc:
            raise CommandError(str(exc)) from None
    print(done.format(signin.normalise_username(ns.username)))
    return 0


def read_new_password() -> str:
    """Twice at a hidden prompt, or the first line of standard input when piped."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CommandError("no password on standard input")
        return line
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Same password again: "):
        raise CommandError("the two passwords differ; nothing was changed")
    return first


def _iso(value: Any) -> str:
    return value.isoformat(timespec="minutes") if value is not None else "-"


def run_demo(ns: argparse.Namespace) -> int:
    """Build the demo clinic by replaying the cohort so far, then serve it with the console."""
    from datetime import UTC, datetime
    from pathlib import Path

    import uvicorn

    from bot.cli.demo_clinic import (
        DEMO_PASSWORD,
        DEMO_STAFF,
        SteppedClock,
        add_demo_staff,
        build_demo_clinic,
    )
    from bot.cli.run import runtime_health
    from bot.service.app import build_app
    from bot.service.runtime import Runtime
    from bot.service.server import build_asgi
    from bot.service.settings import get_settings
    from bot.web.app import staff_mount

    if not 1 <= ns.weeks <= 12:
        raise CommandError("--weeks: 1 to 12")
    path = Path(ns.db)
    if path.suffix != ".db":
        raise CommandError("--db: a .db file name (it is deleted and rebuilt)")
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    settings = get_settings()
    if not settings.telegram_bot_username:  # so invitations show a QR code in the demo
        settings = settings.model_copy(update={"telegram_bot_username": "pathbot_demo_bot"})
    now = datetime.now(UTC)
    clock = SteppedClock(now)
    print(f"building the demo clinic in {path} (about half a minute) ...", flush=True)
    replay = build_app(settings, database_url=url, clock=clock)
    build_demo_clinic(replay, clock, end=now, weeks_in=ns.weeks)
    add_demo_staff(replay, now=now)
    replay.db.dispose()
    app = build_app(settings, database_url=url)
    runtime = Runtime(app, [])
    asgi = build_asgi(
        runtime, extra_routes=[staff_mount(app, health=lambda: runtime_health(runtime))]
    )
    print(f"\nstaff console: http://{ns.host}:{ns.port}/staff/")
    print(f"sign in as any of these, password {DEMO_PASSWORD!r} (demo only):")
    for username, role, _ in DEMO_STAFF:
        print(f"  {username:12} {role}")
    print("Ctrl-C stops it.\n", flush=True)
    uvicorn.run(asgi, host=ns.host, port=ns.port, log_level="warning")
    return 0
