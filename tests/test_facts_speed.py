"""The letter facts' and the record checks' fast paths give exactly what the plain versions give.

Each rewrite in :mod:`imrassist.checks.facts` and :mod:`imrassist.checks.record` that replaces a plain
computation (n x n set unions, a whole-letter word search, a record walk that spells every path, name
pairs read once per pair, a block's pages read before they are needed) is compared here with the plain
version it replaced, kept below: on every letter of the repository (samples/, evals/*/letters/, and the
shared letters when they are there), on records planted with errors (:mod:`imrassist.evals.mutate`), and
on hypothesis-generated text with other scripts' digits, accents, "ſ", the Kelvin sign, "İ", superscripts,
glued tokens and mixed case.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import facts as F
from imrassist.checks import reference_record
from imrassist.checks.common import sentences, spans_holding, word_set
from imrassist.evals.mutate import record_mutants
from imrassist.letter import Letter, read_letter
from imrassist.models import CaseRecord

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that change how text is read: digits of other scripts, superscripts and fractions (not
#: digits to ``\d``, digits to ``str.isdigit``), accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"),
#: "İ" (lower-casing changes the length), Latin-1 letters.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD


def _paths() -> list[Path]:
    paths = [SEED] + sorted(REPO.glob("evals/*/letters/*"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _letters() -> tuple[tuple[Letter, CaseRecord], ...]:
    out = []
    for p in _paths():
        lt = read_letter(p)
        out.append((lt, reference_record(lt)))
    return tuple(out)


@lru_cache(maxsize=1)
def _records() -> tuple[tuple[Letter, CaseRecord, F.LetterFacts], ...]:
    """Every letter with its reference record and with each record planted with an error."""
    out = []
    for lt, ref in _letters():
        facts = F.build_facts(lt, ref)
        out.append((lt, ref, facts))
        for m in record_mutants(ref, lt, seed=1):
            if m.record is not None:
                out.append((lt, m.record, facts))
    return tuple(out)


def test_the_corpus_is_there():
    assert len(_letters()) >= 30
    if not HAVE_LETTERS:
        pytest.skip(f"shared sample letters not found at {SHARED / 'letters'}: only the repository's letters were read")


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 12) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


NAME_VOCAB = [
    " ", " ", "-", "physical therapy", "therapy", "test", "testing", "scan", "MRI", "x-ray", "medication",
    "cream", "program", "surgery", "arthroscopy", "release", "myofascial release", "TENS unit", "machine",
    "device", "consult", "consultation", "evaluation", "lab", "labs", "stay", "hospital", "12", "#60",
    "60 mg", "x6", "6", "visits", "knee", "left", "lumbar", "retro", "DOS", "Gabapentin", "acupuncture",
    "h-wave", "cpm", "e-stim", "tablets", "patch", "²", "٣", "ſ", "K", "İ", "é",
]


# --------------------------------------------------------------------------------------------- facts


def _plain_weak_keys(names: list[str]) -> list[set[str]]:
    cands = [set(F._weak_words_of(name)) for name in names]
    out = []
    for i, c in enumerate(cands):
        others = set().union(*(cands[j] | word_set(names[j]) for j in range(len(names)) if j != i)) if len(names) > 1 else set()
        out.append(c - others)
    return out


def _check_weak_keys(names: list[str]) -> None:
    got, want = F._weak_keys(names), _plain_weak_keys(names)
    assert got == want, names
    assert [list(x) for x in got] == [list(x) for x in want], names  # the same sets, in the same order


def test_weak_keys_equal_the_unions_on_the_corpus():
    for _, ref in _letters():
        _check_weak_keys([it.treatment.value for it in ref.items])
    names = [it.treatment.value for _, ref in _letters() for it in ref.items]
    for k in range(0, len(names), 7):
        _check_weak_keys(names[k:k + 9])
    # four and more weak words in one name (the other way of making the difference)
    _check_weak_keys(["TENS unit, cream, lab test, MRI scan, hospital stay", "TENS unit", "physical therapy"])
    _check_weak_keys(["TENS unit, cream, lab test, MRI scan, hospital stay", "Consultation"])
    _check_weak_keys([])
    _check_weak_keys(["MRI scan"])


@settings(FAST)
@given(st.lists(_texts_of(NAME_VOCAB, size=8), max_size=7))
def test_weak_keys_equal_the_unions(names):
    _check_weak_keys(names)


def _plain_holding_outside(low: str, spans: list[tuple[int, int]], words: tuple[str, ...],
                           blocks: list[tuple[int, int]]) -> list[int]:
    return [k for k in sorted(spans_holding(low, spans, words))
            if not any(bs <= spans[k][0] < be for bs, be in blocks)]


def test_sentences_outside_the_blocks_equal_the_plain_search_on_the_corpus():
    for lt, ref in _letters():
        text = lt.text
        low = lt.lowered() or text.lower()
        if len(low) != len(text):
            low = text
        spans = sentences(text)
        facts = F.build_facts(lt, ref)
        blocks = [f.block for f in facts.items if f.block != (0, len(text))]
        edged = [(spans[k][0], spans[k + 2][0]) for k in range(0, len(spans) - 2, 5)]  # ending where a sentence starts
        for bl in (blocks, [], [(0, len(text))], blocks[:1], blocks[::-1] + [(5, 5), (40, 90), (60, 200)], edged,
                   [(s + 1, e + 1) for s, e in edged], [(s - 1, e - 1) for s, e in edged]):
            assert F._holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, bl) == \
                _plain_holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, bl), lt.source


REQUEST_VOCAB = [" ", ". ", ".\n", "\n", "request", "requested", "asked", "RFA", "ordered", "sought", "prescribed",
                 "authorized", "modified", "partially", "remaining", "leaving", "the", "Re", "quest", "ed"]


@settings(FAST)
@given(_texts_of(REQUEST_VOCAB, size=30), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=5),
       st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(-1, 1), st.integers(-1, 1)), max_size=4))
def test_sentences_outside_the_blocks_equal_the_plain_search(text, blocks, at_sentences):
    """Blocks anywhere, and blocks that start or end at (or next to) a sentence's start or end."""
    low = text.lower()
    if len(low) != len(text):
        low = text  # (as _summary_requests does)
    spans = sentences(text)
    if spans:
        edges = [x for s, e in spans for x in (s, e)]
        blocks = blocks + [(edges[a % len(edges)] + da, edges[b % len(edges)] + db) for a, b, da, db in at_sentences]
    assert F._holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, blocks) == \
        _plain_holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, blocks)


def test_sentences_outside_the_blocks_at_the_edges():
    text = "We requested it. It was modified.\nRFA sought, asked"
    spans = sentences(text)
    for blocks in ([(0, 17)], [(0, 16)], [(0, 18)], [(17, 17)], [(17, 34)], [(16, 40), (0, 3)], [(0, 17), (17, 34)]):
        assert F._holding_outside(text.lower(), spans, F._REQUEST_OR_UR_STEMS, blocks) == \
            _plain_holding_outside(text.lower(), spans, F._REQUEST_OR_UR_STEMS, blocks), blocks


def _plain_item_keys(name: str) -> set[str]:
    core = F.core_words()
    return {w for w in F.distinctive(name) | F.core_of(name)
            if not any(ch.isdigit() for ch in w) and (len(w) >= 3 or w in core)}


def test_item_keys_equal_the_digit_scan_on_the_corpus():
    for _, ref in _letters():
        for it in ref.items:
            assert F._item_keys(it.treatment.value) == _plain_item_keys(it.treatment.value)
    assert not any(chr(c).isalpha() and chr(c).isdigit() for c in range(0x110000))  # why the fast test holds


@settings(FAST)
@given(_texts_of(NAME_VOCAB + ["x²", "a³b", "١٢", "３", "ab1", "B12"], size=10))
def test_item_keys_equal_the_digit_scan(name):
    assert F._item_keys(name) == _plain_item_keys(name)
