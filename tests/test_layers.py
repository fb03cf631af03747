"""The house rules: each room of bot/ imports only the rooms its row allows, and nothing cycles.

    surveys/ <- conversation/ <- db/ <- schedule/, clinic/ <- channels/ (through the port only)
    <- service/ <- web/ <- cli/ (`pathbot run` mounts the console)

Read from the source with `ast` (TYPE_CHECKING and function-level imports count too), so a
forbidden import fails here before it can fail anywhere else.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# room -> rooms it may import (itself always)
ALLOWED: dict[str, frozenset[str]] = {
    "surveys": frozenset(),
    "conversation": frozenset({"surveys"}),
    "db": frozenset({"conversation", "surveys"}),
    "schedule": frozenset({"db", "conversation", "surveys"}),
    "clinic": frozenset({"db", "conversation", "surveys"}),
    "channels": frozenset({"conversation"}),
    "service": frozenset({"channels", "clinic", "schedule", "db", "conversation", "surveys"}),
    # cli's `run` composes the service with the staff console (web); web never imports cli
    "cli": frozenset(
        {"web", "service", "channels", "clinic", "schedule", "db", "conversation", "surveys"}
    ),
    "web": frozenset({"service", "clinic", "schedule", "db", "conversation", "surveys"}),
}
ROOMS_OF_BOT = {room for room in ALLOWED if room != "surveys"}
# Within channels/, only these modules of conversation/ (types and pure helpers) may be used.
CHANNEL_CONVERSATION_MODULES = frozenset(
    {
        "bot.conversation.messages",
        "bot.conversation.i18n",
        "bot.conversation.render",
        "bot.conversation.segments",
        "bot.conversation.phone",
        "bot.conversation.keywords",
        "bot.conversation.bidi",
        "bot.conversation.language_status",
    }
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    files = list((ROOT / "bot").rglob("*.py")) + list((ROOT / "surveys").rglob("*.py"))
    return {module_name(p): p for p in files if "migrations" not in p.relative_to(ROOT).parts}


def imports_of(path: Path, name: str) -> set[str]:
    """Every bot/surveys module `path` imports, resolved to a module name where possible."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from bot.db import store` imports the module bot.db.store
            found.update(f"{target}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in ("bot", "surveys")}


def room_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "surveys":
        return "surveys"
    if len(parts) > 1 and parts[1] in ROOMS_OF_BOT:
        return parts[1]
    return None


def violations(modules: Mapping[str, Path], known: Iterable[str]) -> list[tuple[str, str, str]]:
    """(module, imported module, why) for every import the house forbids."""
    known_modules = set(known)
    found: list[tuple[str, str, str]] = []
    for name, path in sorted(modules.items()):
        room = room_of(name)
        for target in sorted(imports_of(path, name)):
            if target not in known_modules and target.rpartition(".")[0] in known_modules:
                continue  # `from bot.db import store` also yields bot.db.store: fine
            if target in ("bot",):
                found.append((name, target, "import from the bot package root"))
                continue
            target_room = room_of(target)
            if room is None:
                if name != "bot":
                    found.append((name, target, "module outside every room"))
                continue
            if target_room is None or target_room == room:
                continue
            if target_room not in ALLOWED[room]:
                found.append((name, target, f"{room} may not import {target_room}"))
            elif room == "channels" and target_room == "conversation":
                if target not in CHANNEL_CONVERSATION_MODULES:
                    found.append((name, target, "channels use conversation types only"))
    return found


def test_every_module_lives_in_a_room() -> None:
    loose = [n for n in source_modules() if n != "bot" and room_of(n) is None]
    assert loose == [], f"modules outside the rooms of bot/: {loose}"


def test_each_room_imports_only_what_its_row_allows() -> None:
    modules = source_modules()
    assert violations(modules, modules) == []


def test_channels_reach_the_rest_only_through_the_port() -> None:
    """No channel module imports bot.db, bot.service or the app (they are behind the port)."""
    modules = source_modules()
    for name, path in modules.items():
        if room_of(name) != "channels":
            continue
        for target in imports_of(path, name):
            assert room_of(target) in ("channels", "conversation"), (name, target)


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in imports_of(path, name):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                # a package's __init__ is imported on the way to its modules: only count real
                # dependencies, not "bot.db.store imports bot.db" as it sits inside the package
                targets.add(target)
        graph[name] = targets
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    visiting: list[str] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        visiting.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return visiting[visiting.index(nxt) :] + [nxt]
            if state.get(nxt) is None:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        visiting.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycles() -> None:
    assert find_cycle(import_graph(source_modules())) is None


# ---- the test of the test: it must catch what it is there to catch ----------------------


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        ("bot.channels.sms.adapter", "from bot.db import store\n", "channels may not import db"),
        ("bot.channels.telegram.adapter", "import bot.service.app\n", "channels"),
        ("bot.db.store", "from bot.clinic.alerts.flags import flag_scores\n", "db may not"),
        ("bot.conversation.engine", "from bot.db.models import Patient\n", "conversation"),
        ("surveys.scoring", "from bot.conversation import i18n\n", "surveys may not"),
        ("bot.schedule.due", "from bot.service.app import App\n", "schedule may not"),
        ("bot.clinic.trend", "from bot.schedule import plan\n", "clinic may not"),
        ("bot.channels.sms.adapter", "from bot.conversation import engine\n", "types only"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, module: str, source: str, why: str) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    modules = source_modules()
    found = violations({module: path}, modules)
    assert found and why in found[0][2], found


def test_a_cycle_is_caught() -> None:
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.c"}, "bot.c": {"bot.a"}, "bot.d": set()}
    assert find_cycle(graph) == ["bot.a", "bot.b", "bot.c", "bot.a"]
