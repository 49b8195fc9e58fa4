"""The explanation reading's third round of fast paths give exactly what the plain versions give.

* In ASCII text, a sentence is asked which items it names (:func:`~imrassist.checks.explanation._item_hits`,
  which makes its word set) only where its lower-cased text holds one of the "producers" of the items' keys
  and weak keys (:func:`~imrassist.checks.explanation._key_producers`): every other sentence names none;
* outside a summary, only a sentence holding ":" is asked whether it is an "X: outcome" item line.

Checked here: that every word of the mapped word set of an ASCII text is produced by a string the text
holds (the property the gate rests on: compounds' parts, plurals' singulars, "-ies" -> "-y", the Spanish word
map), on every explanation the repository holds and its items' names, and on generated text (item words,
map words, plurals, glued tokens, mixed case; other scripts' digits, accents, "ſ", the Kelvin sign and "İ",
where the gate is not used); and that the whole reading equals the reading with the gates open.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imrassist.checks import explanation as X
from imrassist.checks.common import _WORD_MAP, mapped_words

from tests.test_explanation_speed import ODD, PUNCT, VOCAB, _cases, _texts_of
from tests.test_explanation_speed2 import FAST, _facts, _item_words


def _check_produced(text: str) -> None:
    """Each word of ``mapped_words(text)`` (an ASCII text) has a producer in the lower-cased text, so a key
    set holding it has one too (the plain test: the word set meets the keys)."""
    if not text.isascii():
        return  # (the gate is used on ASCII text only)
    low = text.lower()
    for w in mapped_words(text):
        prods = X._key_producers(frozenset({w}))
        assert prods is None or any(p in low for p in prods), (text, w, prods)


def _check_gate(text: str, items) -> None:
    """The gate's answer against the plain one: a text without a producer names no item."""
    if not text.isascii():
        return
    keys = X._all_keys.__wrapped__(items) if hasattr(X._all_keys, "__wrapped__") else None
    keys = keys or (frozenset().union(*(f.keys for f in items)), frozenset().union(*(f.weak_keys for f in items)))
    prods = X._key_producers(keys[0] | keys[1])
    ws = mapped_words(text)
    plain = not ws.isdisjoint(keys[0]) or not ws.isdisjoint(keys[1])
    if prods is not None and not any(p in text.lower() for p in prods):
        assert not plain, (text, prods)
        assert X._item_hits(text, items, keys) == {}


def _plain_reading(raw: str, lang: str, facts, kind: str) -> X.Reading:
    """The reading with the gates open: every sentence asked which items it names, and whether it is an
    item line."""
    holding = X.spans_holding

    def spans_holding(low, spans, words):
        # (read_explanation's own gates open: every sentence; _sentences_holding's, of earlier rounds, kept)
        return set(range(len(spans))) if sys._getframe(1).f_code.co_name == "read_explanation" else holding(low, spans, words)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(X, "_key_producers", lambda keys: None)
        mp.setattr(X, "spans_holding", spans_holding)
        return X.read_explanation(raw, lang, facts, kind)


def _check_reading(raw: str, lang: str, facts, kind: str) -> None:
    fast = X.read_explanation(raw, lang, facts, kind)
    assert repr(fast) == repr(_plain_reading(raw, lang, facts, kind)), (raw, lang, kind)


# ------------------------------------------------------------------------------------------------- corpus


def test_every_word_is_produced_on_the_corpus():
    cases = _cases()
    assert len(cases) > 150
    gated = 0
    for raw, _, facts, _ in cases:
        r = X.read_explanation(raw, "en", facts)
        for sn in r.sents:
            _check_produced(r.text[sn.start:sn.end])
            _check_gate(r.text[sn.start:sn.end], facts.items)
        for f in facts.items:
            _check_produced(f.name)
        gated += raw.isascii()
    assert gated > 50


def test_reading_equals_the_plain_reading_on_the_corpus():
    for raw, lang, facts, kind in _cases():
        _check_reading(raw, lang, facts, kind)


def test_producers():
    # (a word ending in "y" is produced by all but its "y": "studies" holds "stud", not "study")
    assert X._key_producers(frozenset({"study"})) == ("stud",)
    assert X._key_producers(frozenset({"studies", "study"})) in {("stud", "studies"), ("studies", "stud")}
    assert set(X._key_producers(frozenset({"x-ray", "therapy"}))) == {"x-ra", "therap", "radiografia", "radiografias", "rayos", "terapia", "terapias", "x-rays"}
    assert X._key_producers(frozenset({"y"})) is None
    assert X._key_producers(frozenset({"a b"})) is None


# -------------------------------------------------------------------------------------------- generated

#: Words that make keys by their singular, their parts or the word map.
WORDS = ["studies", "study", "therapies", "therapy", "x-rays", "X-RAYS", "xrays", "patches", "boxes", "classes",
         "injections", "inyecciones", "rayos", "radiografias", "terapias", "Shots", "rides", "emg/ncv", "e-stim",
         "pre-op", "post-operative", "non-steroidal", "anti-inflammatory", "mls", "ozs", "days", "ies", "ys",
         "dress", "bus", "axis", "s", "y", "%", "6-12", "-", "/", "--", "//"]
ASCII = "abeiknostwxyzAOSWX0123456789" + PUNCT


@FAST
@given(st.data(), st.booleans())
def test_every_word_is_produced(data, ascii_only):
    vocab = WORDS + list(_WORD_MAP) + list(_WORD_MAP.values()) + list(_item_words()[:300])
    text = data.draw(_texts_of(vocab, ASCII if ascii_only else ASCII + ODD, size=12))
    _check_produced(text)
    for facts in _facts():
        _check_gate(text, facts.items)


@FAST
@given(st.data(), st.sampled_from(["en", "es"]), st.sampled_from(["worker", "summary"]), st.integers(0, 4),
       st.booleans())
def test_reading_equals_the_plain_reading(data, lang, kind, which, ascii_only):
    facts = _facts()[which % len(_facts())]
    names = [f.name for f in facts.items]
    vocab = VOCAB + WORDS + list(_item_words()[:200]) + [f"{n}: approved." for n in names] + [f"{n}: denied." for n in names]
    if ascii_only:
        vocab = [v for v in vocab if v.isascii()]
    text = data.draw(_texts_of(vocab, ASCII if ascii_only else ASCII + ODD))
    _check_reading(text, lang, facts, kind)
