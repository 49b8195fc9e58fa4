"""The second round of fast paths of the shared check helpers (checks.common) give exactly what the plain
versions give: word_set (compounds found by str.find, no plural step for a text without a run ending in
"s"), mapped_words (the mapped words found by a set intersection), treatment_vocab (classes by
isdisjoint).

Each plain version is written out here as the code was before its fast path. They are compared on every
text the repository holds (and the shared letters when they are there: see tests/test_common_speed.py,
whose corpus this file reads) and on generated text: digits of other scripts, accents, "ſ", the Kelvin
sign, "İ", superscripts, glued tokens, exotic white space, mixed case.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from imrassist.checks import common
from imrassist.parse import singular

from tests.test_common_speed import CHARS, FAST, WORD_VOCAB, _pieces, _texts, _texts_of

# ------------------------------------------------------------------------------------------------- words

_PLAIN_WORD_RE = re.compile(r"[a-z0-9%]+(?:[-/][a-z0-9]+)*")


def _plain_word_set(text: str) -> frozenset[str]:
    toks = set(_PLAIN_WORD_RE.findall(common.fold(text)))
    out = set(toks)
    out.update([singular(w) for w in toks if w[-1] == "s" and len(w) > 3])
    for w in [w for w in toks if "-" in w or "/" in w]:
        out.update([p for p in re.split(r"[-/]", w) if p])
    return frozenset(out)


def _plain_mapped_words(text: str) -> frozenset[str]:
    ws = _plain_word_set(text)
    return ws | {common._WORD_MAP[w] for w in ws if w in common._WORD_MAP}


def _plain_treatment_vocab(name: str) -> frozenset[str]:
    vocab = set(_plain_mapped_words(name))
    low = " " + " ".join(common.words(name)) + " "
    for keys, adds in common._glossary_keys():
        if any(k in low for k in keys):
            vocab |= adds
    for cls, members in common._CLASSES.items():
        if vocab & members:
            vocab.add(cls)
    return frozenset(vocab)


def test_every_mapped_word():
    for w in common._WORD_MAP:
        for text in (w, f"a {w} b", f"{w}-x", f"{w}s", w.upper()):
            _assert_words(text)


def _assert_words(text: str) -> None:
    runs = common._word_runs(text)
    assert common._compound_runs(runs) == {r for r in runs.split() if "-" in r or "/" in r}, text
    assert common.word_set.__wrapped__(text) == _plain_word_set(text), text
    assert common.mapped_words.__wrapped__(text) == _plain_mapped_words(text), text


#: Plurals glued to a separator that no token takes ("abs-", "glasses/", "tests--x"), Spanish and plain
#: words the map knows, class members.
PLURAL_VOCAB = WORD_VOCAB + ["glasses-", "abs/", "tests--", "/pills", "rays-/", "ss", "s", "shots", "rides", "x-rays",
                             "inyecciones", "cirugía", "masajes", "Tens", "e-stim", "block", "films", "sss"]


@FAST
@given(_texts_of(PLURAL_VOCAB) | st.text(alphabet=CHARS, max_size=60) | st.text(max_size=30))
def test_word_sets_equal_the_plain_reading(text):
    _assert_words(text)


def test_word_sets_equal_the_plain_reading_on_the_corpus():
    for text in _texts() + _pieces():
        _assert_words(text)


TREATMENT_VOCAB = ["lumbar", "epidural", "steroid", "injection", "injections", "tens", "unit", "x-rays", "films", "mri",
                   "of the", "knee", "urine", "drug", "screen", "consult", "cirugía", "rodilla", "physical", "therapy",
                   "h-wave", "bone", "scan", "ESI", "Block", "surgery", "arthroscopic"]


@FAST
@given(_texts_of(TREATMENT_VOCAB, " -/,()", 8))
def test_treatment_vocab_equals_the_plain_lookup(name):
    assert common.treatment_vocab.__wrapped__(name) == _plain_treatment_vocab(name), name


def test_treatment_vocab_equals_the_plain_lookup_on_the_corpus():
    from imrassist.checks import reference_record
    from tests.test_common_speed import _letters

    names = {it.treatment.value for lt in _letters() for it in reference_record(lt).items}
    names |= {p for p in _pieces() if len(p) < 120}
    assert len(names) > 100
    for name in names:
        assert common.treatment_vocab.__wrapped__(name) == _plain_treatment_vocab(name), name
