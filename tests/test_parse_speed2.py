"""The second round of parse/extractor fast paths gives exactly what the plain versions give.

Each fast path below skips work that cannot change the answer (a noun no limit phrase can end with, ...).
Each is compared with the plain version, written out here, on every text the repository holds (sample
letters, evaluation letters, and the shared letters when they are there), on the pieces of them the
extractor and the checks ask about (lines, rationale paragraphs, windows around digits), and on generated
texts (other scripts' digits, accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens, mixed case).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist import parse
from imrassist.letter import read_letter

from tests.test_checks_helpers import HAVE_LETTERS, SHARED, repo_letter_paths


FAST = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters where lower-casing and case-insensitive matching part ways, or where ``\d``/``\w``/``\s`` are
#: more than ASCII: other scripts' digits, superscripts, accents, "ſ" (case-insensitive "s"), the Kelvin
#: sign (case-insensitive "k"), "İ" (lower-casing makes it two characters), a no-break space, an en dash.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº°×–’ſKİΣ\u0301\xa0\x1f"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"



def _pieces(text: str) -> list[str]:
    """The text, its lines and paragraphs (a rationale is a paragraph or a few), and windows around each run
    of digits (40 characters before, 30 after)."""
    out = [text]
    out += [ln for ln in text.splitlines() if ln.strip()]
    out += [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    for m in re.finditer(r"\d+", text):
        out.append(text[max(0, m.start() - 40):m.end() + 30])
    return out


def _letter_texts(paths) -> tuple[str, ...]:
    """The :func:`_pieces` of each letter's original and normalised text."""
    out: list[str] = []
    for p in paths:
        lt = read_letter(p)
        out += _pieces(lt.original) + _pieces(lt.text)
    return tuple(out)


@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    return _letter_texts(repo_letter_paths(shared=False))


@lru_cache(maxsize=1)
def _shared_texts() -> tuple[str, ...]:
    return _letter_texts(sorted((SHARED / "letters").glob("*.txt")))


needs_shared = pytest.mark.skipif(not HAVE_LETTERS, reason=f"shared letters not found at {SHARED / 'letters'}")


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str.lower, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str, size: int = 30) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=3)
    return st.lists(piece, max_size=size).map("".join)


# ----------------------------------------------------------------------------------------------------- limits


def _plain_limit_matches(text: str) -> list[re.Match[str]]:
    """_limit_matches as a plain scan: every noun found by its pattern, the limit pattern run with
    ``finditer`` over the whole window before and after it; the first match that ends with that noun
    (and starts inside the window, or the window starts the text)."""
    found: dict[int, re.Match[str]] = {}
    for nm in parse._LIMIT_NOUN_RE.finditer(text):
        w0 = max(0, nm.start() - 120)
        for m in parse._LIMIT_RE.finditer(text, w0, min(len(text), nm.end() + 30)):
            if m.start("noun") == nm.start() and (m.start() > w0 or w0 == 0):
                found.setdefault(m.start("noun"), m)
                break
    return [found[k] for k in sorted(found)]


def _check_limits(text: str) -> None:
    got = [(m.span(), m.groupdict()) for m in parse._limit_matches(text)]
    want = [(m.span(), m.groupdict()) for m in _plain_limit_matches(text)]
    assert got == want, text


def test_limits_equal_the_plain_scan_on_the_repository_letters():
    for text in _texts():
        _check_limits(text)


@needs_shared
def test_limits_equal_the_plain_scan_on_the_shared_letters():
    for text in _shared_texts():
        _check_limits(text)


LIMIT_VOCAB = [
    "visits", "visit", "sessions", "Session", "treatments", "injections", "appointments", "6", "12", "1.5", "0",
    "six", "twenty-four", "twenty four", "a dozen", "one hundred", "once", "a single", "single", "twelve", "ten",
    "often", "none", "up to", "a maximum of", "max.", "no more than", "should not exceed", "not to exceed",
    "limited to", "a total of", "total of", "to", "-", "–", " - ", "per week", "a month", "/day", "of", "the",
    "physical", "therapy", "follow-up", "weeks", "over", "and", "additional", "pt", " ", "  ", "\n", ".", ",",
    ";", ":", "(", ")", "#", "Page", "pp.", "x", "_", "5six", "sixvisits", "ſ", "ſessions", "viſits", "K",
    "İ", "é", "٣", "３",
]


@FAST
@given(_texts_of(LIMIT_VOCAB, "abstovix0123456789" + PUNCT + ODD, size=40))
def test_limits_equal_the_plain_scan(text):
    """Nouns passed over when no number can be the last one of a match ending with them, starts found per
    stretch of overlapping windows: the plain scan's matches."""
    _check_limits(text)


def test_limits_known_cases():
    for text in ["up to 3 visits per week; 9-10 visits over 8 weeks; limited to 4-6 visits; up to 10 visits",
                 "the requested sessions. 6 physical therapy visits, twenty-four sessions; six-visit trial",
                 "a total of twelve additional home visits, 5six visits, sixvisits, _6 visits, 6_ visits",
                 "x" * 130 + " 6 visits " + "y" * 200 + " visits and 3 more visits",
                 "6 \x1f visits, 6\xa0visits, six – eight sessions, 3 viſits, ſix visits, İ 6 visits",
                 "visits 6", "6", "visits", ""]:
        _check_limits(text)
    # (the gate passes over a noun no number precedes, and keeps one that a number word or digit does)
    assert not parse._limit_noun_can_match("the requested visits", 0, 14)
    assert parse._limit_noun_can_match("six physical therapy visits", 0, 21)
    assert parse._limit_noun_can_match("6 physical therapy visits", 0, 19)


# ------------------------------------------------------------------------------------------------- quantities


def _plain_find_quantity(text: str):
    """find_quantity with its gates open: every step's patterns searched whether or not the item holds a
    digit or a number word (the digit pattern matches everywhere, no text is said to lack a number word)."""
    saved = parse._ANY_DIGIT, parse._no_number_word
    parse._ANY_DIGIT, parse._no_number_word = re.compile(""), (lambda low: False)
    try:
        return parse.find_quantity(text)
    finally:
        parse._ANY_DIGIT, parse._no_number_word = saved


def _check_quantity(text: str) -> None:
    assert parse.find_quantity(text) == _plain_find_quantity(text), text


def test_quantities_equal_the_plain_reading_on_the_repository_letters():
    for text in _texts():
        if len(text) < 2000:  # (items, lines, windows: what find_quantity is asked about)
            _check_quantity(text)


@needs_shared
def test_quantities_equal_the_plain_reading_on_the_shared_letters():
    for text in _shared_texts():
        if len(text) < 2000:
            _check_quantity(text)


QUANTITY_VOCAB = [
    "Three", "refills", "of", "six", "twenty-one", "a dozen", "once", "twice", "sessions", "visits", "x", "×",
    "times", "a week", "per week", "weekly", "for", "weeks", "month", "months", "#", "No. ", "qty:", "quantity",
    "#60", "2x6", "x 12", "12", "6", "1.5", "240", "grams", "ml", "oz", "mg", "%", "days", "rental", "Physical",
    "therapy", "Right knee arthroscopy", "Pre-operative labs", "-", " to ", " or ", "–", " ", "  ", "\n", ",",
    ".", "/", "(", ")", "ſix", "ſessions", "K", "İ", "é", "٣", "３", "²", "sixty", "onesie", "nine_", "_one",
]


@FAST
@given(_texts_of(QUANTITY_VOCAB, "aeinostwx0123456789" + PUNCT + ODD, size=20))
def test_quantities_equal_the_plain_reading(text):
    """An item with neither a digit nor (in ASCII text) a number word read as having no quantity, one
    without a digit not searched with the digit patterns: what the plain reading finds."""
    _check_quantity(text)


def test_quantities_known_cases():
    for text in ["Right knee arthroscopy", "Six additional visits", "ſix sessions", "twice weekly for six weeks",
                 "٣ sessions", "x ٣", "#٣", "Twenty-one sessions", "onesie sessions", "a dozen wraps", "", "x"]:
        _check_quantity(text)
    assert parse.find_quantity("Right knee arthroscopy") is None
    assert parse.find_quantity("Six additional visits") is not None
