"""The fast paths of the shared check helpers (checks.common) and of the normaliser (letter) give exactly
what the plain versions give.

Each plain version is written out here as the code was before its fast path, so that an edit of the fast
path cannot quietly change what it returns. They are compared on every text the repository holds (the
letters of samples/ and evals/*/letters/, their normalised texts, explanations and summaries, their
sentences and item blocks, quotes cut from them) and on the shared letters when they are there, and on
generated text: digits of other scripts, accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens,
mixed case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import common, reference_record
from imrassist.explain import explain, summarize
from imrassist.extract.items import find_blocks
from imrassist.letter import read_letter
from imrassist.parse import singular

from tests.test_checks_helpers import HAVE_LETTERS, SHARED

REPO = Path(__file__).resolve().parents[1]

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that make the fast paths take or leave their ASCII branch: digits of other scripts, superscripts,
#: accents (composed and combining), "ſ" and the Kelvin sign (which lower-case or fold to ASCII letters), "İ"
#: (lower-casing changes the length), typographic quotes and dashes, exotic spaces.
ODD = "٣٤५３²³¹¼éíñÁÉüßµªº×–—’“ſKİΣ\u0301\u00a0\u2009\ufeff"
PUNCT = " \n\t\f\r.,;:-/%'\"()_#>*+`"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD


def _letter_paths() -> list[Path]:
    paths = sorted((REPO / "samples").glob("*.txt"))
    for d in sorted((REPO / "evals").glob("*/letters")):
        paths += sorted(p for p in d.glob("*") if p.suffix in (".txt", ".pdf"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _letters() -> tuple:
    return tuple(read_letter(p) for p in _letter_paths())


@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    """Whole texts: each letter's original and normalised text, our explanations and summary of it."""
    out: list[str] = []
    for lt in _letters():
        rec = reference_record(lt)
        out += [lt.original, lt.text, explain(rec, lang="en").text, explain(rec, lang="es").text, summarize(rec)]
    return tuple(out)


@lru_cache(maxsize=1)
def _pieces() -> tuple[str, ...]:
    """What the helpers are called with: sentences of the texts and the item blocks of the letters."""
    out: list[str] = []
    for text in _texts():
        out += [text[s:e] for s, e in common.sentences(text)]
    for lt in _letters():
        out += [lt.text[b.header[0]:max(b.end, b.header[1])] for b in find_blocks(lt)]
    return tuple(dict.fromkeys(out))


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 40) -> st.SearchStrategy[str]:
    """Words of ``vocab`` (in any case) glued to or separated by a few characters of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


def test_the_corpus_is_there():
    assert len(_letters()) >= 5 and len(_pieces()) > 500
    if not HAVE_LETTERS:
        pytest.skip(f"shared letters not found at {SHARED / 'letters'}: tested on the repository's letters only")


# ------------------------------------------------------------------------------------------------- words

_PLAIN_WORD_RE = re.compile(r"[a-z0-9%]+(?:[-/][a-z0-9]+)*")


def _plain_fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def _plain_words(text: str) -> list[str]:
    return _PLAIN_WORD_RE.findall(_plain_fold(text))


def _plain_word_set(text: str) -> frozenset[str]:
    toks = set(_plain_words(text))
    out = set(toks)
    out.update([singular(w) for w in toks if w[-1] == "s" and len(w) > 3])
    for w in [w for w in toks if "-" in w or "/" in w]:
        out.update([p for p in re.split(r"[-/]", w) if p])
    return frozenset(out)


def _assert_words(text: str) -> None:
    assert common.words(text) == _plain_words(text), text
    assert common.word_set.__wrapped__(text) == _plain_word_set(text), text


WORD_VOCAB = ["e-stim", "emg/ncv", "x-rays", "5%-10%", "l4-5", "l5-s1", "a-b-c", "--", "//", "-x", "x-", "%", "%/",
              "follow-up", "therapies", "studies", "classes", "glasses", "its", "bus", "médico", "sesiónes", "ſs",
              "K-wave", "İnjections", "３０", "1/2", "s-s", "ss"]


@FAST
@given(_texts_of(WORD_VOCAB) | st.text(alphabet=CHARS, max_size=60) | st.text(max_size=30))
def test_words_equal_the_pattern(text):
    _assert_words(text)


def test_words_equal_the_pattern_on_the_corpus():
    for text in _texts() + _pieces():
        _assert_words(text)
