"""Score crisis triage against the case corpus in tests/cases/triage_corpus/ (issue 12 point 3).

    python -m tests.triage_report                      # the triage pathbot runs
    python -m tests.triage_report --assessor MODULE:FUNCTION
    python -m tests.triage_report --check              # exit 1 when a target is missed
    python -m tests.triage_report --corpus tests/cases/triage_holdout   # the held-out cases

Prints, per language: crisis recall (tier 1-2 cases that reach tier 1-2), the false crisis alarm
rate (tier 0/3 cases that reach tier 1-2), a row per expected tier, and every case whose tier
differs from the expected one, worst first. Targets (issue 12): recall >= 98 %, false crisis
alarms <= 3 %, and no benign idiom at a crisis tier.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

CORPUS_DIR = Path(__file__).parent / "cases" / "triage_corpus"
CRISIS = (1, 2)
TIERS = (1, 2, 3, 0)
RECALL_TARGET = 0.98
FALSE_ALARM_TARGET = 0.03
CASE_KEYS = {"tier", "text", "why", "src", "tags"}


class _Assessment(Protocol):
    @property
    def tier(self) -> int: ...


Assessor = Callable[[str], _Assessment]


@dataclass(frozen=True)
class Case:
    language: str
    tier: int
    text: str
    why: str
    sources: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    tier: int  # what triage said
    rule: str | None

    @property
    def missed_crisis(self) -> bool:
        return self.case.tier in CRISIS and self.tier not in CRISIS

    @property
    def false_alarm(self) -> bool:
        return self.case.tier not in CRISIS and self.tier in CRISIS

    @property
    def exact(self) -> bool:
        return self.case.tier == self.tier


@dataclass
class LanguageReport:
    language: str
    outcomes: list[Outcome] = field(default_factory=list)

    def _of(self, tiers: Iterable[int]) -> list[Outcome]:
        wanted = set(tiers)
        return [o for o in self.outcomes if o.case.tier in wanted]

    @property
    def crisis_cases(self) -> list[Outcome]:
        return self._of(CRISIS)

    @property
    def benign_cases(self) -> list[Outcome]:
        return self._of((0, 3))

    @property
    def recall(self) -> float:
        cases = self.crisis_cases
        return sum(not o.missed_crisis for o in cases) / len(cases) if cases else 1.0

    @property
    def false_alarm_rate(self) -> float:
        cases = self.benign_cases
        return sum(o.false_alarm for o in cases) / len(cases) if cases else 0.0

    @property
    def idioms_at_crisis(self) -> list[Outcome]:
        return [o for o in self.benign_cases if o.false_alarm and "idiom" in o.case.tags]

    def meets_targets(self) -> bool:
        return (
            self.recall >= RECALL_TARGET
            and self.false_alarm_rate <= FALSE_ALARM_TARGET
            and not self.idioms_at_crisis
        )


class CorpusError(ValueError):
    pass


def load_corpus(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every case of every language file, checked: known tier, sources that the file lists."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "cases" not in data:
            continue  # not a language corpus (e.g. the unreadable-text cases)
        language = path.stem
        sources = data.get("sources")
        if not isinstance(sources, dict) or not sources:
            raise CorpusError(f"{path.name}: sources: missing")
        for i, raw in enumerate(data["cases"]):
            cases.append(_case(raw, language, set(sources), f"{path.name}: cases[{i}]"))
    return cases


def _case(raw: Any, language: str, sources: set[str], where: str) -> Case:
    if not isinstance(raw, dict) or set(raw) != CASE_KEYS:
        raise CorpusError(f"{where}: expected exactly the keys {sorted(CASE_KEYS)}")
    if raw["tier"] not in TIERS:
        raise CorpusError(f"{where}: tier must be one of {TIERS}")
    if not isinstance(raw["text"], str) or not isinstance(raw["why"], str) or not raw["why"]:
        raise CorpusError(f"{where}: text and why must be strings")
    unknown = [s for s in raw["src"] if s not in sources]
    if not raw["src"] or unknown:
        raise CorpusError(f"{where}: src {unknown or 'missing'} not among the file's sources")
    return Case(
        language, raw["tier"], raw["text"], raw["why"], tuple(raw["src"]), tuple(raw["tags"])
    )


def evaluate(assess: Assessor, cases: Sequence[Case]) -> dict[str, LanguageReport]:
    reports: dict[str, LanguageReport] = {}
    for case in cases:
        result = assess(case.text)
        rule = getattr(result, "rule_id", None)
        report = reports.setdefault(case.language, LanguageReport(case.language))
        report.outcomes.append(Outcome(case, result.tier, rule if isinstance(rule, str) else None))
    return reports


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100.0 * part / whole:.1f} %" if whole else "0/0"


def format_report(report: LanguageReport) -> list[str]:
    crisis, benign = report.crisis_cases, report.benign_cases
    lines = [
        f"== {report.language}: {len(crisis)} crisis cases, {len(benign)} benign cases",
        f"crisis recall (tier 1-2 reaching tier 1-2): "
        f"{_pct(sum(not o.missed_crisis for o in crisis), len(crisis))}"
        f"  [target >= {RECALL_TARGET:.0%}]",
        f"false crisis alarms (tier 0/3 reaching tier 1-2): "
        f"{_pct(sum(o.false_alarm for o in benign), len(benign))}"
        f"  [target <= {FALSE_ALARM_TARGET:.0%}]",
        f"benign idioms at a crisis tier: {len(report.idioms_at_crisis)}  [target 0]",
        "expected  cases  -> got t1   t2   t3   t0   exact   crisis-tier",
    ]
    for tier in TIERS:
        rows = [o for o in report.outcomes if o.case.tier == tier]
        if not rows:
            continue
        got = [sum(o.tier == t for o in rows) for t in TIERS]
        at_crisis = sum(o.tier in CRISIS for o in rows)
        lines.append(
            f"tier {tier}    {len(rows):5d}        "
            + " ".join(f"{n:4d}" for n in got)
            + f"   {100.0 * sum(o.exact for o in rows) / len(rows):5.1f} %"
            + f"   {100.0 * at_crisis / len(rows):5.1f} %"
        )
    wrong = [o for o in report.outcomes if not o.exact]
    wrong.sort(key=lambda o: (not o.missed_crisis, not o.false_alarm, o.case.tier, o.tier))
    lines.append(f"cases at another tier ({len(wrong)}):")
    for o in wrong:
        kind = (
            "MISSED CRISIS" if o.missed_crisis else "FALSE ALARM" if o.false_alarm else "other tier"
        )
        lines.append(
            f"  {kind:13s} want {o.case.tier} got {o.tier}  {o.case.text!r}"
            f"  [{', '.join(o.case.tags)}] rule={o.rule or '-'}"
        )
    return lines


def _load_assessor(spec: str) -> Assessor:
    module_name, _, attr = spec.partition(":")
    fn = getattr(importlib.import_module(module_name), attr or "assess")
    if not callable(fn):
        raise SystemExit(f"{spec} is not callable")
    return fn  # type: ignore[no-any-return]  # a user-named function; checked callable above


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessor", default="bot.conversation.triage:assess")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS_DIR, help="directory of per-language case files"
    )
    args = parser.parse_args(argv)
    assess = _load_assessor(args.assessor)
    reports = evaluate(assess, load_corpus(args.corpus))
    module = importlib.import_module(args.assessor.partition(":")[0])
    version = getattr(module, "rules_version", None)
    rules = f", rules {version()}" if callable(version) else ""
    print(f"triage corpus report: {args.corpus.name}, assessor {args.assessor}{rules}")
    for report in reports.values():
        print("\n".join(format_report(report)))
    ok = all(r.meets_targets() for r in reports.values())
    print("targets met" if ok else "targets NOT met")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
