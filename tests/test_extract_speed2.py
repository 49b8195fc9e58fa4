"""More of the rules extractor's fast paths, each compared with the plain search it replaces.

``rules._holds`` answers "does the pattern match somewhere?" by trying it where each of its first words
stands, one word after the other (the summary's event kinds and cues); ``rules._search_low`` searches the
lower-cased letter with a lower-cased, case-sensitive copy of a case-insensitive pattern (the reviewer's
years in practice and hours a week). Both are compared here with the plain ``rx.search`` on every letter the
repository holds (samples/, evals/*/letters/, and the shared letters when they are there) and on generated
texts: other scripts' digits, accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"), "İ" (lower-casing
changes the length), superscripts, glued tokens, any case. The whole summary and reviewer readings are
compared too, with the plain searches put in the fast paths' place.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.extract import rules
from imrassist.letter import letter_from_text

from tests.test_checks_helpers import HAVE_LETTERS, SHARED, repo_letter_paths
from tests.test_extract_speed import CHARS, _letter, _letters, _texts_of


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: (pattern, the words every match of it starts with) of each _holds call in rules._summary.
CUES = [(rx, stems) for _, rx, stems in rules._EVENT_KINDS] + [
    (rules._INJURY_CUE, rules._INJURY_STEMS), (rules._UR_CUE, rules._UR_STEMS)]
#: (plain pattern, its lower-case copy) of each _search_low call in rules._reviewer.
LOW_PAIRS = [(rules._YEARS_RE, rules._YEARS_LOW_RE), (rules._HOURS_RE, rules._HOURS_LOW_RE)]


def _plain_holds(rx: re.Pattern[str], stems, text: str, low: str | None) -> bool:
    return rx.search(text) is not None


def _plain_search_low(rx, low_rx, text, low, start, end):
    return rx.search(text, start, end)


def _groups(m: re.Match[str] | None, text: str):
    """A match as what the reviewer reads of it: its span and each group's span and text (from ``text``)."""
    if m is None:
        return None
    return m.span(), {k: (m.span(k), text[m.start(k):m.end(k)] if m.start(k) >= 0 else None) for k in m.groupdict()}


def _check_holds(text: str) -> None:
    low = text.lower() if text.isascii() else None
    for rx, stems in CUES:
        assert rules._holds(rx, stems, text, low) == _plain_holds(rx, stems, text, low), (rx.pattern, text)


def _check_search_low(text: str, start: int = 0, end: int | None = None) -> None:
    end = len(text) if end is None else end
    low = text.lower() if text.isascii() else None
    for rx, low_rx in LOW_PAIRS:
        got = rules._search_low(rx, low_rx, text, low, start, end)
        assert _groups(got, text) == _groups(rx.search(text, start, end), text), (rx.pattern, text[start:end])


def test_the_corpus_is_there():
    paths = repo_letter_paths()
    assert len(paths) >= 20
    if not HAVE_LETTERS:
        pytest.skip(f"shared letters not found at {SHARED / 'letters'}: only the repository's letters were compared")


def test_the_lower_case_copies_are_the_patterns_lower_cased():
    for rx, low_rx in LOW_PAIRS:
        assert rx.flags & re.IGNORECASE and not low_rx.flags & re.IGNORECASE
        assert low_rx.pattern == rx.pattern.lower().replace("(?p<", "(?P<")
        assert not re.search(r"\\[A-Z]", rx.pattern)  # (an upper-case escape would change meaning lower-cased)


def test_holds_equals_the_plain_search_on_the_corpus():
    n = 0
    for letter in _letters():
        text = letter.text
        for ss, se in rules._sentences(text, 0, len(text)):
            _check_holds(text[ss:se])
            n += 1
        _check_holds(text)
    assert n > 1000


def test_search_low_equals_the_plain_search_on_the_corpus():
    found = 0
    for letter in _letters():
        text = letter.text
        _check_search_low(text)
        for sec in letter.sections:
            _check_search_low(text, sec.start, sec.end)
        found += any(rx.search(text) for rx, _ in LOW_PAIRS)
    assert found > 10


def _plain_reading(letter, monkeypatch) -> tuple:
    with monkeypatch.context() as mp:
        mp.setattr(rules, "_holds", _plain_holds)
        mp.setattr(rules, "_search_low", _plain_search_low)
        return rules._summary(letter, None).model_dump(), rules._reviewer(letter).model_dump()


def test_summary_and_reviewer_equal_the_plain_reading_on_the_corpus(monkeypatch):
    for letter in _letters():
        got = rules._summary(letter, None).model_dump(), rules._reviewer(letter).model_dump()
        assert got == _plain_reading(letter_from_text(letter.original, require_imr=False), monkeypatch), letter.source


VOCAB = ["utilization review", "UR", "ur", "prior determination", "non-certified", "noncertif", "request for authorization",
         "RFA", "requested", "request was", "MRI", "x-ray", "xray", "radiograph", "CT", "imaging", "bone scan", "EMG",
         "NCV", "drug screen", "urine", "lab", "surgery", "injection", "operat", "exam", "evaluat", "progress note",
         "office visit", "presented", "complain", "follow-up", "followup", "date of injury", "injured", "industrial",
         "injury on", "DOI", "hurt", "claim from", "sustained an", "work-related injury", "the request was denied",
         "was denied on", "more than", "over", "at least", "a minimum of", "twenty-five", "20", "years", "hours",
         "per week", "a week", "practice", "ſ", "K", "İ", "\u017furgery", "E\u212aG", "ınjured", " ", "-", "\n", ". "]


@FAST
@given(_texts_of(VOCAB, CHARS, 30))
def test_holds_equals_the_plain_search(text):
    _check_holds(text)


@FAST
@given(_texts_of(VOCAB, CHARS, 30), st.integers(0, 40), st.integers(0, 40))
def test_search_low_equals_the_plain_search(text, a, b):
    _check_search_low(text)
    _check_search_low(text, min(a, len(text)), max(min(a, len(text)), len(text) - b))


@FAST
@given(_texts_of(VOCAB + ["Summary", "01/02/2013", "January 5, 2014", "She", "The patient", "diagnoses include"], CHARS, 30))
def test_summary_and_reviewer_equal_the_plain_reading(text):
    mp = pytest.MonkeyPatch()
    try:
        got = rules._summary(_letter(text), None).model_dump(), rules._reviewer(_letter(text)).model_dump()
        assert got == _plain_reading(_letter(text), mp)
    finally:
        mp.undo()
