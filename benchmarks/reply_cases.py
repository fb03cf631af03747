"""Run the reply case file (tests/cases/replies/) and print accuracy, wrong stores and re-prompts.

    python -m benchmarks.reply_cases            # the figures, and every wrong store / re-prompt
    python -m benchmarks.reply_cases --json     # the same as one JSON object

Each case is sent, as a typed reply, to the conversation engine with that item open, and the
scored value it records (AnswerRecorded) is compared with the case's expected value. The engine is
the part that decides what is stored, so this measures what a patient's reply would leave in the
database, whatever the parser's internals. Crisis triage and commands run before the engine in
the pipeline; a case they would catch is still judged by the engine (its outcome is what the
parser would do with it) and is listed separately, so the file can be kept free of them.

Every case that misses is either a wrong store or an unnecessary re-prompt.
Exit status: 0 when there is no wrong store and unnecessary re-prompts are under 5% of the cases
that expect a value (issue 13's targets), else 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conversation import keywords, triage
from bot.conversation.engine import ConversationEngine, ProgramInfo
from bot.conversation.events import AnswerRecorded
from bot.conversation.i18n import translator
from bot.conversation.state import ConversationState, SurveyProgress
from surveys.loader import load_instrument
from surveys.model import Instrument

CASES_DIR = Path(__file__).resolve().parent.parent / "tests" / "cases" / "replies"
REPROMPT = "reprompt"
UNNECESSARY_REPROMPT_TARGET = 0.05  # share of the cases that expect a value

# The kinds of reply the file covers (issue 13's classes and the ordinary ones).
CLASSES: dict[str, str] = {
    "bare": "a bare number or code",
    "reverse_keyed": "a bare code on an item whose printed value differs from the code",
    "label": "an option's words, exactly (case, accents, punctuation aside)",
    "near_label": "an option's words with a typo",
    "partial_label": "part of an option's words that no other option has",
    "synonym": "other words for one option",
    "number_word": "a number in words",
    "pronoun_one": "'one'/'uno' as the number, or as a pronoun ('no one')",
    "phrase": "a short phrase whose only number (or option) is plainly the answer",
    "out_of": "'7/10', '3 out of 5': the scale's own maximum",
    "wrong_scale": "'3/10' on a 1-5 item",
    "native_digits": "digits of other scripts, full-width digits",
    "emoji_digits": "keycap emoji",
    "letters_for_digits": "letters typed for digits: 'l0', '1O', 'O'",
    "negation": "'not a 10', 'no es un 10'",
    "comparison": "'less than 5', 'almost 7', 'más de 7'",
    "range": "'3-4', 'between 3 and 4'",
    "several_numbers": "two numbers or two options",
    "time": "a clock time",
    "duration": "hours, days, weeks",
    "ordinal": "'2nd', 'the first one', 'segundo'",
    "dose": "milligrams, pills, tablets",
    "count": "a count of times or things",
    "large_number": "'nine hundred', '100', parts of larger numbers",
    "out_of_range": "a whole number outside the item's options",
    "open_top": "a number beyond an open top option ('4 or more')",
    "half_point": "half points in every form: 6.5, 6,5, 6½, 6 and a half, seis y medio",
    "not_an_answer": "words that are no option and no number",
}

_CASE_KEYS = {"item", "lang", "text", "expect", "class", "why"}


@dataclass(frozen=True)
class ReplyCase:
    file: str
    instrument: str
    item: str
    lang: str
    text: str
    expect: int | None  # the scored value to store; None = re-prompt, store nothing
    kind: str  # one of CLASSES
    why: str


@dataclass(frozen=True)
class Outcome:
    case: ReplyCase
    stored: int | None  # the scored value the engine recorded, None when it asked again
    # "crisis tier N" / "keyword X": the pipeline would stop before the parser
    intercepted_by: str | None

    @property
    def correct(self) -> bool:
        return self.stored == self.case.expect

    @property
    def wrong_store(self) -> bool:
        return self.stored is not None and self.stored != self.case.expect

    @property
    def unnecessary_reprompt(self) -> bool:
        return self.stored is None and self.case.expect is not None


class CaseFileError(ValueError):
    pass


def load_cases(directory: Path = CASES_DIR) -> list[ReplyCase]:
    """Every case of every file, checked against the instrument files; errors name the case."""
    cases: list[ReplyCase] = []
    seen: set[tuple[str, str, str]] = set()
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or set(data) != {"instrument", "cases"}:
            raise CaseFileError(f"{path.name}: expected the keys 'instrument' and 'cases'")
        instrument = load_instrument(str(data["instrument"]))
        for n, raw in enumerate(data["cases"], start=1):
            case = _case(path.name, n, instrument, raw)
            key = (case.item, case.lang, case.text)
            if key in seen:
                raise CaseFileError(f"{path.name} case {n}: duplicate {key}")
            seen.add(key)
            cases.append(case)
    return cases


def _case(file: str, n: int, instrument: Instrument, raw: Any) -> ReplyCase:
    where = f"{file} case {n}"
    if not isinstance(raw, dict) or set(raw) != _CASE_KEYS:
        raise CaseFileError(f"{where}: keys must be exactly {sorted(_CASE_KEYS)}: {raw!r}")
    item_id, lang, text = str(raw["item"]), str(raw["lang"]), raw["text"]
    if item_id not in instrument.item_ids:
        raise CaseFileError(f"{where}: {instrument.id} has no item {item_id!r}")
    if instrument.usable_language(lang) is None:
        raise CaseFileError(f"{where}: {instrument.id} is not given in {lang!r}")
    if not isinstance(text, str):
        raise CaseFileError(f"{where}: text must be a quoted string, got {text!r}")
    expect = raw["expect"]
    values = {o.value for o in instrument.item(item_id).options}
    if expect == REPROMPT:
        expected: int | None = None
    elif type(expect) is int and expect in values:
        expected = expect
    else:
        raise CaseFileError(f"{where}: expect must be {REPROMPT!r} or one of {sorted(values)}")
    if raw["class"] not in CLASSES:
        raise CaseFileError(f"{where}: unknown class {raw['class']!r}")
    if not str(raw["why"]).strip():
        raise CaseFileError(f"{where}: 'why' is empty")
    return ReplyCase(
        file, instrument.id, item_id, lang, text, expected, str(raw["class"]), str(raw["why"])
    )


def make_engine() -> ConversationEngine:
    return ConversationEngine(
        instruments=lambda instrument_id, version: load_instrument(instrument_id, version),
        translators=translator,
        program=ProgramInfo(name="Pain program", help_phone="802-555-0100", help_hours="9-5"),
    )


def run_case(engine: ConversationEngine, case: ReplyCase) -> Outcome:
    """Send `case.text` as a typed reply to its item and return what was stored."""
    instrument = load_instrument(case.instrument)
    state = ConversationState(
        locale=case.lang,
        survey=SurveyProgress(
            assignment_id=1,
            instrument_id=instrument.id,
            version=instrument.version,
            language=case.lang,
            position=instrument.item_ids.index(case.item),
        ),
    )
    step = engine.on_text(state, case.text)
    stored = [
        e.value
        for e in step.events
        if isinstance(e, AnswerRecorded) and e.item_id == case.item and e.status == "answered"
    ]
    return Outcome(case, stored[-1] if stored else None, _intercepted_by(case.text))


def _intercepted_by(text: str) -> str | None:
    assessment = triage.assess(text)
    if assessment.tier in (1, 2):
        return f"crisis tier {assessment.tier}"
    keyword = keywords.classify(text)
    return f"keyword {keyword.command.value}" if keyword is not None else None


def run_all(cases: Iterable[ReplyCase]) -> list[Outcome]:
    engine = make_engine()
    return [run_case(engine, case) for case in cases]


@dataclass(frozen=True)
class Figures:
    cases: int
    correct: int
    accuracy: float
    wrong_stores: int
    expecting_value: int
    unnecessary_reprompts: int
    unnecessary_reprompt_rate: float

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures:
        n = len(outcomes)
        correct = sum(o.correct for o in outcomes)
        expecting = sum(o.case.expect is not None for o in outcomes)
        unnecessary = sum(o.unnecessary_reprompt for o in outcomes)
        return cls(
            cases=n,
            correct=correct,
            accuracy=correct / n if n else 0.0,
            wrong_stores=sum(o.wrong_store for o in outcomes),
            expecting_value=expecting,
            unnecessary_reprompts=unnecessary,
            unnecessary_reprompt_rate=unnecessary / expecting if expecting else 0.0,
        )

    def meets_targets(self) -> bool:
        return (
            self.wrong_stores == 0 and self.unnecessary_reprompt_rate < UNNECESSARY_REPROMPT_TARGET
        )


def _group(outcomes: Sequence[Outcome], key: str) -> dict[str, Figures]:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(str(getattr(o.case, key)), []).append(o)
    return {name: Figures.of(group) for name, group in sorted(groups.items())}


def report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    def listing(selected: Iterable[Outcome]) -> list[dict[str, Any]]:
        return [
            {
                "instrument": o.case.instrument,
                "item": o.case.item,
                "lang": o.case.lang,
                "text": o.case.text,
                "expect": REPROMPT if o.case.expect is None else o.case.expect,
                "stored": o.stored,
                "class": o.case.kind,
                "why": o.case.why,
            }
            for o in selected
        ]

    total = Figures.of(outcomes)
    return {
        "total": asdict(total),
        "meets_targets": total.meets_targets(),
        "by_language": {k: asdict(v) for k, v in _group(outcomes, "lang").items()},
        "by_instrument": {k: asdict(v) for k, v in _group(outcomes, "instrument").items()},
        "by_class": {k: asdict(v) for k, v in _group(outcomes, "kind").items()},
        "wrong_stores": listing(o for o in outcomes if o.wrong_store),
        "unnecessary_reprompts": listing(o for o in outcomes if o.unnecessary_reprompt),
        "intercepted_before_parser": [
            {"text": o.case.text, "item": o.case.item, "by": o.intercepted_by}
            for o in outcomes
            if o.intercepted_by is not None
        ],
    }


def _line(name: str, f: Figures) -> str:
    return (
        f"{name:<20} {f.cases:>5} {f.accuracy:>8.1%} {f.wrong_stores:>6} "
        f"{f.unnecessary_reprompts:>5} {f.unnecessary_reprompt_rate:>7.1%}"
    )


def print_report(data: dict[str, Any]) -> None:
    header = f"{'':<20} {'cases':>5} {'accuracy':>8} {'wrong':>6} {'re-p':>5} {'re-p %':>7}"
    print("Reply case file (tests/cases/replies/): wrong = stored a value that is not the")
    print("expected one; re-p = asked again although a clinician would accept the reply")
    print("(re-p % of the cases that expect a value).\n")
    for title, key in (
        ("language", "by_language"),
        ("instrument", "by_instrument"),
        ("class", "by_class"),
    ):
        print(f"by {title}")
        print(header)
        for name, fig in data[key].items():
            print(_line(name, Figures(**fig)))
        print()
    print(header)
    print(_line("TOTAL", Figures(**data["total"])))
    print()
    for title, key in (
        ("WRONG STORES", "wrong_stores"),
        ("UNNECESSARY RE-PROMPTS", "unnecessary_reprompts"),
    ):
        rows = data[key]
        print(f"{title} ({len(rows)})")
        for r in rows:
            print(
                f"  {r['item']:<14} {r['lang']} {r['text']!r:<40} expected {r['expect']!s:<8} "
                f"stored {r['stored']!s:<4} [{r['class']}] {r['why']}"
            )
        print()
    if data["intercepted_before_parser"]:
        print("Caught by crisis triage or commands before the parser (judged anyway):")
        for r in data["intercepted_before_parser"]:
            print(f"  {r['item']:<14} {r['text']!r} -> {r['by']}")
        print()
    print(
        "targets (0 wrong stores, re-prompts < 5%):", "met" if data["meets_targets"] else "NOT met"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cases", type=Path, default=CASES_DIR, help="case file directory")
    args = parser.parse_args(argv)
    outcomes = run_all(load_cases(args.cases))
    data = report(outcomes)
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_report(data)
    return 0 if data["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
