"""Triage in the scripts issue 19 added (point 4): normalisation of how people type Arabic, Dari,
Vietnamese and Burmese, and Burmese typed in the Zawgyi encoding."""

from __future__ import annotations

import pytest

from bot.conversation import zawgyi
from bot.conversation.triage import TriageRulesError, assess, build_rules

# "သေချင်တယ်" (I want to die) as a Zawgyi keyboard types it: E vowel first, medial ya at
# U+103A, asat at U+1039.
ZAWGYI_WANT_TO_DIE = "\u1031\u101e\u1001\u103a\u1004\u1039\u1010\u101a\u1039"


def test_zawgyi_is_detected_and_converted_for_matching() -> None:
    assert zawgyi.looks_zawgyi(ZAWGYI_WANT_TO_DIE)
    assert zawgyi.to_unicode(ZAWGYI_WANT_TO_DIE) == "သေချင်တယ်"
    assert not zawgyi.looks_zawgyi("သေချင်တယ်")
    assert not zawgyi.looks_zawgyi("ကျေးဇူးတင်ပါတယ်")


def test_zawgyi_crisis_is_a_crisis_and_goes_to_a_human_too() -> None:
    result = assess(ZAWGYI_WANT_TO_DIE)
    assert result.tier == 2 and result.rule_id == "my_t2_thaychin"
    assert result.readable is False  # the conversion is partial: staff read it as well


def test_benign_zawgyi_text_is_needs_human_review() -> None:
    result = assess("\u1031\u1000\u103a\u1038\u1007\u1030\u1038")  # Zawgyi-ordered, not a crisis
    assert result.tier == 0 and result.readable is False


def test_unicode_burmese_is_read_without_spaces_and_is_readable() -> None:
    assert assess("ငါ သေ ချင် တယ်").tier == 2
    assert assess("ကျေးဇူးတင်ပါတယ်").readable is True


@pytest.mark.parametrize(
    "text",
    [
        "أُرِيدُ أَنْ أَمُوتَ",  # tashkeel
        "أريـــد أن أموت",  # tatweel
        "وأريد أن أموت",  # attached "and"
        "اريد ان اموت",  # hamza seats left out
        "انا تعبت من الحياه",  # ta marbuta typed as ha
        "مي خواهم بميرم",  # Dari on an Arabic keyboard (ي), with a space
        "می‌خواهم بمیرم",  # Dari with a zero-width non-joiner
        "اليوم الم ظهري 7 و اريد ان اموت",  # inside a longer message
    ],
)
def test_arabic_script_spellings_reach_a_crisis_tier(text: str) -> None:
    assert assess(text).tier in (1, 2), text


def test_vietnamese_tone_marks_tell_slowly_from_suicide() -> None:
    assert assess("đau giảm từ từ").tier == 0  # từ từ: slowly
    assert assess("tôi muốn tự tử").tier in (1, 2)
    assert assess("toi muon tu tu").tier in (1, 2)  # no marks: the crisis reading stands
    assert assess("tu tu").tier == 2


def test_rule_words_are_normalised_like_messages() -> None:
    files = {
        "meta.yaml": "version: v\nowner: o\n",
        "xx.yaml": "language: xx\n"
        "rules: [{id: xx_t1, tier: 1, phrases: ['mañana me voy', 'أموت']}]",
    }
    rules = build_rules(files)
    assert rules.languages[0].rules[0].phrases[0].slots[0].words[0].folded == "manana"
    assert rules.languages[0].rules[0].phrases[1].slots[0].words[0].folded == "اموت"


def test_an_unspaced_language_takes_pattern_rules_only() -> None:
    files = {
        "meta.yaml": "version: v\nowner: o\n",
        "xx.yaml": "language: xx\nunspaced: true\nrules: [{id: xx_t1, tier: 1, phrases: [x]}]",
    }
    with pytest.raises(TriageRulesError, match="unspaced"):
        build_rules(files)
