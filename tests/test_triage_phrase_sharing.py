"""The triage rules share their equal words, slots and anchor key sets (memory of every server).

The rules' ~2,500 phrases repeat the same ~2,600 words ~16,000 times; built one object per
occurrence, each with its own set of one-letter deletions, they weighed 20.5 MB (7.3 MB
shared), the largest piece of an idle server's memory. What they match is unchanged: that is
what the corpus and equivalence tests (test_triage_*.py) check, run on the shared rules.
"""

from __future__ import annotations

import random
import string
import tracemalloc

from bot.conversation import triage_phrases
from bot.conversation.triage import build_rules, load_rules
from bot.conversation.triage_phrases import Words, compile_phrases, find, spelling

EN = spelling(suffixes=["ing", "in", "ed", "d", "es", "s", "e"])


def test_equal_words_in_different_phrases_are_one_object() -> None:
    first = compile_phrases("want|wanna [to] kill myself", EN)[0]
    second = compile_phrases("(hurt|cut) myself", EN)
    myself = first.slots[-1].words[0]
    assert myself.folded == "myself"
    for phrase in second:
        assert phrase.slots[-1].words[0] is myself
        assert phrase.slots[-1] is first.slots[-1]  # the whole slot is shared too


def test_a_one_word_anchor_uses_its_words_keys() -> None:
    phrase = compile_phrases("kill myself", EN)[0]
    assert phrase.anchor == 0
    assert phrase.anchor_keys is phrase.slots[0].words[0].keys
    assert "kil" in phrase.anchor_keys and "kll" in phrase.anchor_keys  # stem and a deletion


def test_shared_words_still_tell_exact_from_tolerant() -> None:
    # "=kill" (exact) and "kill" (typos allowed) are different words and must stay so.
    exact = compile_phrases("=kill myself", EN)[0]
    tolerant = compile_phrases("kill myself", EN)[0]
    assert exact.slots[0].words[0] is not tolerant.slots[0].words[0]
    typo = Words.of([["kull", "myself"]], EN)
    assert find(exact, typo) is None
    assert find(tolerant, typo) == (0, 2)


def test_every_equal_word_of_the_shipped_rules_is_one_object() -> None:
    words = [
        word
        for language in load_rules().languages
        for phrase in language.phrases
        for slot in phrase.slots
        for word in slot.words
    ]
    assert len(words) > 10_000  # the rules as shipped; a smaller count means this test is stale
    assert len({id(w) for w in words}) == len(set(words))


def test_loading_rules_leaves_the_message_deletion_cache_empty() -> None:
    texts = {
        "meta.yaml": "version: v\nowner: o\n",
        "xx.yaml": "language: xx\nrules: [{id: a, tier: 1, phrases: ['kill|hurt myself']}]",
    }
    triage_phrases._deletions.cache_clear()
    build_rules(texts)
    assert triage_phrases._deletions.cache_info().currsize == 0


def test_the_shipped_rules_weigh_under_ten_megabytes() -> None:
    # 20.5 MB before the words were shared, 7.3 MB after (tracemalloc, Python 3.11).
    load_rules.cache_clear()
    triage_phrases._word.cache_clear()
    triage_phrases._word_slot.cache_clear()
    triage_phrases._anchor_keys.cache_clear()
    tracemalloc.start()
    try:
        rules = load_rules()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rules.languages
    assert held < 10 * 2**20, f"{held / 2**20:.1f} MB"


def test_novel_words_in_messages_do_not_grow_the_server_without_bound() -> None:
    # Free text and hostile traffic bring words never seen before, and every message's words
    # have their deletions computed (cached: each message is read in every language). 12,000
    # novel words held 16.5 MB with 65,536 cached; the cache keeps 4,096 (5 MB), whatever
    # the count.
    rnd = random.Random(16)
    messages = [
        [["".join(rnd.choices(string.ascii_lowercase, k=8)) for _ in range(50)]] for _ in range(240)
    ]
    triage_phrases._deletions.cache_clear()
    tracemalloc.start()
    try:
        for clauses in messages:
            Words.of(clauses, EN)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 7 * 2**20, f"{held / 2**20:.1f} MB"
