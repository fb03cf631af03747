"""Crisis triage in every language the bot speaks (issue 19 point 4): each language's core
phrases reach their tier, and its ordinary replies and DVPRS texts do not raise a crisis."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.conversation import language_status
from bot.conversation.triage import assess
from surveys.loader import load_instrument

CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "cases" / "triage_languages.yaml").read_text(encoding="utf-8")
)


def test_every_language_the_bot_speaks_has_triage_rules() -> None:
    """Each language's own rules fire on its phrases (rule ids carry the language)."""
    assert set(CASES) == set(language_status.codes()) - {"en", "es", "fr"}
    for code, cases in CASES.items():
        prefix = code.replace("-", "_").lower() + "_t"
        fired = {assess(case["text"]).rule_id or "" for case in cases["crisis"]}
        assert any(rule.startswith(prefix) for rule in fired), (code, fired)


@pytest.mark.parametrize("code", sorted(CASES))
def test_core_crisis_phrases_reach_their_tier(code: str) -> None:
    for case in CASES[code]["crisis"]:
        result = assess(case["text"])
        assert result.tier != 0 and result.tier <= case["tier"], (code, case, result)
        assert result.rule_id is not None


@pytest.mark.parametrize("code", sorted(CASES))
def test_ordinary_replies_and_survey_texts_raise_no_crisis(code: str) -> None:
    dvprs = load_instrument("dvprs")
    texts = list(CASES[code]["benign"])
    texts += [dvprs.title[code], dvprs.instructions[code]]
    for item in dvprs.items:
        texts.append(item.text[code])
        texts += [o.label[code] for o in item.options]
    for text in texts:
        assert assess(text).tier in (0, 3), (code, text, assess(text))


# English msgids of the replies that speak about a crisis (distress and crisis replies, the
# safety handout): their translations may use the very words triage looks for.
_CRISIS_TALK = re.compile(r"\b(hurt\w*|harm\w*|kill\w*|suicid\w*|die|dying|your life)\b", re.I)


def _catalog(code: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = Path(__file__).parent.parent / "locales" / code.replace("-", "_") / "LC_MESSAGES"
    with (path / "messages.po").open("rb") as f:
        catalog = read_po(f)
    out = {}
    for message in catalog:
        if isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            out[message.id] = message.string
    return out


@pytest.mark.parametrize("code", sorted(set(language_status.codes()) - {"en"}))
def test_the_bots_own_words_raise_no_crisis(code: str) -> None:
    """A patient who sends back a reminder or HELP text is not put on hold: only the messages
    that are about a crisis in English (the distress and crisis replies) may read as one."""
    about_a_crisis = {msgid for msgid in _catalog(code) if _CRISIS_TALK.search(msgid)}
    for msgid, text in _catalog(code).items():
        if msgid not in about_a_crisis:
            assert assess(text).tier not in (1, 2), (code, msgid, text, assess(text))
