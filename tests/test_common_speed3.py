"""The third round of fast paths of the shared check helpers (checks.common) give exactly what the plain
versions give: holds_match looks for its words with a loop that stops at the first one found (not any()
over a generator).

The plain version is written out here as the code was before; both are compared with the search itself
on every sentence and item block the repository holds (and the shared letters when they are there: see
tests/test_common_speed.py, whose corpus this file reads) and on generated text: digits of other
scripts, accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens, exotic white space, mixed case.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from imrassist.checks import common

from tests.test_common_speed import CHARS, FAST, _pieces, _texts_of

# ------------------------------------------------------------------------------------------ holds_match

#: Case-insensitive patterns every match of which holds one of their words (lower case), as the callers'
#: are: a word alternation, a word at the start of a longer one, a phrase, a word that "ſ" or "K" (Kelvin)
#: spells outside ASCII.
_PATTERNS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\b(?:appeal\w*|wcab|independent\s+medical\s+review)\b", re.I), ("appeal", "wcab", "independent")),
    (re.compile(r"\b(?:all|both|each|every)\s+(?:of\s+)?(?:the\s+)?(?:items?|requests?|treatments?)\b", re.I),
     ("all", "both", "each", "every")),
    (re.compile(r"\bsessions?\b|\bvisits?\b", re.I), ("session", "visit")),
    (re.compile(r"\bknee\b|\bkinesio\w*", re.I), ("knee", "kinesio")),
    (re.compile(r"retro(?:spective|active)?", re.I), ("retro",)),
    (re.compile(r"\bsurg\w*|\boperat\w*", re.I), ("surg", "operat")),
    (re.compile(r"x", re.I), ()),  # (no words: an ASCII text is never searched)
]


def _plain_holds_match(rx: re.Pattern[str], words: tuple[str, ...], text: str, low: str | None = None) -> bool:
    if low is None and text.isascii():
        low = text.lower()
    if low is not None and not any(w in low for w in words):
        return False
    return rx.search(text) is not None


def _assert_holds_match(text: str) -> None:
    lows = (None, text.lower()) if text.isascii() else (None,)
    for rx, words in _PATTERNS:
        for low in lows:
            got = common.holds_match(rx, words, text, low)
            assert got == _plain_holds_match(rx, words, text, low), (rx.pattern, text)
            if words:  # (the words are the patterns' own: the gate never hides a match)
                assert got == (rx.search(text) is not None), (rx.pattern, text)


def test_holds_match_on_the_corpus():
    for text in _pieces():
        _assert_holds_match(text)


HOLDS_VOCAB = ["appeal", "APPEALS", "wcab", "independent medical review", "all the items", "both of the requests",
               "every treatment", "session", "ſession", "viſit", "visits", "knee", "Knee", "kinesiotape", "retro",
               "Retrospective", "surgery", "operative", "ſurg", "İ", "x", "×"]


@FAST
@given(_texts_of(HOLDS_VOCAB) | st.text(alphabet=CHARS, max_size=60) | st.text(max_size=30))
def test_holds_match_equals_the_plain_search(text):
    _assert_holds_match(text)
