"""The fast paths of imrassist.parse give exactly what the plain versions give.

A regex that starts with ``\\b``, a lookbehind or a case-insensitive letter makes the regex engine try the
whole pattern at every position of a text; parse's patterns instead start with a character class (scanned
for in C), or are tried only where the words they start with stand, and cache what a letter asks for many
times over. Each fast path is compared here with the plain version written out from the original patterns:
on every text the repository holds (sample letters, evaluation letters, and the shared letters when they
are there), on windows of them like the ones the checks and the extractor ask about, and on generated
texts (other scripts' digits, accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens, mixed case).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist import parse
from imrassist.letter import read_letter
from imrassist.parse import MONTHS, DateMatch, find_dates

from tests.test_checks_helpers import HAVE_LETTERS, SHARED, repo_letter_paths


FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters where lower-casing and case-insensitive matching part ways, or where ``\d``/``\w`` are more
#: than ASCII: other scripts' digits, superscripts, accents, "ſ" (case-insensitive "s"), the Kelvin sign
#: (case-insensitive "k"), "İ" (lower-casing makes it two characters), ordinal marks.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº°×–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"
CHARS = "abdejmnorstyADJMOS0123456789" + PUNCT + ODD



@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    out: list[str] = []
    for p in repo_letter_paths(shared=False):
        lt = read_letter(p)
        out += [lt.original, lt.text]
    return tuple(out)


@lru_cache(maxsize=1)
def _shared_texts() -> tuple[str, ...]:
    out: list[str] = []
    for p in sorted((SHARED / "letters").glob("*.txt")):
        lt = read_letter(p)
        out += [lt.original, lt.text]
    return tuple(out)


needs_shared = pytest.mark.skipif(not HAVE_LETTERS, reason=f"shared letters not found at {SHARED / 'letters'}")


def _windows(text: str) -> list[str]:
    """The kinds of text the parsers are asked about: lines, and windows around each run of digits (from
    the word start 40 characters before to the word end 14 after, as checks.common.dates_in cuts them)."""
    out = [ln for ln in text.splitlines() if ln.strip()]
    for m in re.finditer(r"\d+", text):
        a, b = max(0, m.start() - 40), min(len(text), m.end() + 14)
        while a > 0 and not text[a - 1].isspace():
            a -= 1
        while b < len(text) and not text[b].isspace():
            b += 1
        out.append(text[a:b])
    return out


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str.lower, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 30) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=3)
    return st.lists(piece, max_size=size).map("".join)


# ------------------------------------------------------------------------------------------------------ dates


def _plain_find_dates(text: str, dmy: bool = False) -> tuple[DateMatch, ...]:
    """find_dates as it was: every one of the original patterns (``parse._DATE_RES``) run with ``finditer``
    over the whole text, a later style's match dropped where it overlaps an earlier one."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for style, rx in parse._DATE_RES:
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            try:
                if style in ("mdy_name", "dmy_name"):
                    d = dt.date(parse._year(m.group("year")), MONTHS[m.group("mon").lower().rstrip(".")], int(m.group("day")))
                else:
                    a, b = int(m.group("mon")), int(m.group("day"))
                    if style == "mdy_num" and dmy:
                        a, b = b, a
                    try:
                        d = dt.date(parse._year(m.group("year")), a, b)
                    except ValueError:
                        d = dt.date(parse._year(m.group("year")), b, a)
            except (ValueError, KeyError):
                continue
            found.append(DateMatch(m.start(), m.end(), d, m.group(0), style))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda x: x.start)
    return tuple(found)


def _check_dates(text: str) -> None:
    for dmy in (False, True):
        assert find_dates.__wrapped__(text, dmy=dmy) == _plain_find_dates(text, dmy), (text, dmy)


def test_the_fast_date_patterns_are_the_plain_ones():
    """Each rewritten pattern, run over a text, finds what its original finds (they differ only in how the
    engine finds where to try them)."""
    originals = dict(parse._DATE_RES)
    pairs = [(parse._DMY_NAME_RE, originals["dmy_name"]), (parse._ISO_RE, originals["iso"]),
             (parse._MDY_NUM_RE, originals["mdy_num"])]
    for text in _texts() + ("1999-01-02 x2012-1-1 _2012-1-1 3012-1-1 2912-1-1 ٢٠١٢-1-1 2012-٣-1",
                            "4 Jan 2012, x4 Jan 2012, 4x Jan 2012 _4 Jan 2012 ٣ de enero de 2013 4th of MAY, 1999"):
        for fast, plain in pairs:
            assert [(m.span(), m.groupdict()) for m in fast.finditer(text)] == \
                   [(m.span(), m.groupdict()) for m in plain.finditer(text)]


def test_dates_equal_the_plain_scan_on_the_repository_letters():
    for text in _texts():
        _check_dates(text)
        for w in _windows(text):
            _check_dates(w)


@needs_shared
def test_dates_equal_the_plain_scan_on_the_shared_letters():
    for text in _shared_texts():
        _check_dates(text)
        for w in _windows(text):
            _check_dates(w)


DATE_VOCAB = [
    "January", "jan", "Jan.", "SEPT", "Sept.", "sep", "September", "May", "mayo", "diciembre", "Dic", "dec", "de",
    "del", "of", "medical", "Decision", "Amar", "Setup", "ago", "agosto", "Octubre", "19", "20", "2012", "2013",
    "1999", "2069", "2070", "1812", "12", "1", "31", "30", "29", "0", "02", "10/19/2012", "1-12-17", "13/12/13",
    "2012-10-19", "2012-13-40", "10.19.2012", "st", "nd", "th", "º", "°", ",", ".", "/", "-", " ", " ", "\n", "  ",
    "_", "ſ", "ſept", "K", "İ", "٢٠١٢", "١٩", "２０１２", "²", "é", "x"]


@FAST
@given(_texts_of(DATE_VOCAB))
def test_dates_equal_the_plain_scan(text):
    """Month names tried only at their stems in lower-cased ASCII text (elsewhere, where "ſept" is "sept"
    to a case-insensitive pattern, the whole text is scanned), the rewritten patterns, the cached numeric
    readings: the dates of the original patterns, in the same order, with the same styles."""
    _check_dates(text)


def test_dates_known_cases():
    """(Lower-casing "İ" makes two characters of it: the month stems of such a text are not where the
    month names stand, and the whole text is scanned.)"""
    for text in ["On 10/19/2012 and Oct. 19, 2012 and 19 de octubre de 2012 and 2012-10-19; 13/12/13",
                 "medical 12 2012", "19 ſept 2012", "ſept 19, 2012", "Setup 5 2012 Amar 19, 2012 dic 5, 2012",
                 "5 de  de enero de 2013", "2/30/2013 31/12/2013 13-13-13", "Decision Date: 11/20/2015 UR",
                 "İ Jan 5, 2012", "İİ 5 Jan 2012 and Feb 6, 2013", "ſ Jan 5, 2012", "Jan 5, 2012 K"]:
        _check_dates(text)
    parse._NUMERIC_DATE_CACHE.clear()
    assert [d.date for d in find_dates.__wrapped__("12/01/2013", dmy=True)] == [dt.date(2013, 1, 12)]
    assert [d.date for d in find_dates.__wrapped__("12/01/2013")] == [dt.date(2013, 12, 1)]


# ------------------------------------------------------------------------------------------------------ pages


def _check_pages(text: str) -> None:
    assert [(m.span(), m.group("list")) for m in parse._page_matches(text)] == \
           [(m.span(), m.group("list")) for m in parse._PAGES_RE.finditer(text)], text


def test_pages_equal_the_plain_scan_on_the_repository_letters():
    for text in _texts():
        _check_pages(text)
        for w in _windows(text):
            _check_pages(w)


@needs_shared
def test_pages_equal_the_plain_scan_on_the_shared_letters():
    for text in _shared_texts():
        _check_pages(text)


PAGE_VOCAB = ["page", "Pages", "Page(s)", "PAGE(S)", "pp.", "p.", "P.", "pg", "pgs.", "PG.", "pgs", "app.", "xp. 5",
              "_p. 4", "Pageſ", "pageſ 5", "pp", ":", " ", "  ", "\n", "12", "3-4", "1234", "to", "and", "&", "–", ",",
              "٣", "5", "ſ", "K", "İ", "é"]


@FAST
@given(_texts_of(PAGE_VOCAB))
def test_pages_equal_the_plain_scan(text):
    """The pattern tried only at a "p" that starts a word and is followed by a page word and a digit, in
    lower-cased ASCII text; elsewhere ("Pageſ 5" is "Pages 5" to the case-insensitive pattern) a whole scan."""
    _check_pages(text)


def test_pages_known_cases():
    for text in ["Pageſ 5 and pp. 3-4, Page(s): 98-99, app. 5, _p. 4, xp. 5, p.12, PGS. 1 & 2", "İ page 5", "p", "p 5"]:
        _check_pages(text)


# ----------------------------------------------------------------------------------------------- stem searches


def _plain_stem_search(rx: re.Pattern[str], stems: tuple[str, ...], text: str, pos: int = 0,
                       endpos: int | None = None) -> re.Match[str] | None:
    """search_from_stems as it was: every place of every stem found first, then tried in order."""
    end = len(text) if endpos is None else min(endpos, len(text))
    if not text.isascii():
        return rx.search(text, pos, end)
    for i in parse.stem_positions(stems, text.lower(), start=pos, end=end):
        m = rx.match(text, i, end)
        if m:
            return m
    return None


#: (pattern, the words each of its matches starts with): one stem, several, stems that are prefixes of one
#: another (two stems at one place), a stem inside a word.
STEM_SEARCHES = [
    (re.compile(r"\bage(?:d|\s+of)\s+\d+", re.I), ("age",)),
    (re.compile(r"\b(?:up\s+to|no\s+more\s+than|not\s+to\s+exceed)\s+\d+", re.I), ("up", "no")),
    (re.compile(r"(?:injury|injured|injur\w*\s+on)\s+\d+", re.I), ("injur", "injury", "injured")),
    (re.compile(r"(?:ur\b|utilization\s+review)\s*\w+", re.I), ("ur", "utilization")),
    (re.compile(r"(?:medical|mtus|chronic\s+pain)\b", re.I), ("mtus", "medical", "chronic")),
]


def _check_stem_search(text: str, pos: int = 0, endpos: int | None = None) -> None:
    for rx, stems in STEM_SEARCHES:
        got = parse.search_from_stems(rx, stems, text, pos, endpos)
        want = _plain_stem_search(rx, stems, text, pos, endpos)
        assert (got and (got.span(), got.group())) == (want and (want.span(), want.group())), (rx.pattern, text)
        if text.isascii():
            low = text.lower()
            got = parse.search_from_stems(rx, stems, text, pos, endpos, low=low)
            assert (got and got.span()) == (want and want.span()), (rx.pattern, text)


def test_stem_searches_equal_the_plain_search_on_the_repository_letters():
    for text in _texts():
        _check_stem_search(text)
        _check_stem_search(text, len(text) // 3, 2 * len(text) // 3)
        for w in _windows(text)[::7]:
            _check_stem_search(w)


STEM_VOCAB = ["age", "aged", "AGE OF", "of", "up to", "UP", "no more than", "not to exceed", "no", "injury", "injured",
              "injur", "Injuries on", "ur", "UR", "your", "utilization review", "medical", "MTUS", "chronic pain",
              "12", "3", " ", "\n", "  ", ".", "_", "ſ", "K", "İ", "é"]


@FAST
@given(_texts_of(STEM_VOCAB), st.integers(0, 40), st.one_of(st.none(), st.integers(0, 400)))
def test_stem_searches_equal_the_plain_search(text, pos, endpos):
    """Each stem's next place found as the places are tried, leftmost first: the first match of the
    search that found every place first (and, in ASCII text, of ``rx.search``)."""
    _check_stem_search(text, pos, endpos)
    if text.isascii():
        for rx, stems in STEM_SEARCHES:
            got = parse.search_from_stems(rx, stems, text, pos, endpos)
            want = rx.search(text, pos, len(text) if endpos is None else min(endpos, len(text)))
            assert (got and got.span()) == (want and want.span())


def _plain_stem_positions(stems, low, offset=0, start=0, end=None):
    """Every place of every stem wholly inside ``low[start:end]``, by ``str.find``, once each, in order."""
    end = len(low) if end is None else end
    found = set()
    for st in stems:
        i = low.find(st, start, end)
        while i >= 0:
            found.add(offset + i)
            i = low.find(st, i + 1, end)
    return sorted(found)


#: Stem sets of the size that takes the one-pattern scan: stems that are prefixes of one another, that
#: hold regex metacharacters, spaces, non-ASCII letters, a single character.
MANY_STEMS = [
    parse._LIMIT_START_STEMS,
    tuple(sorted({"date", "dat", "injury", "injur", "in", "y/o", "(s)", "p.", "a.m", "año", "ano", "ñ", "k", "s",
                  "ſ", "i̇", "12", "1", "..", "a b", "ur", "your", "utilization", "\\d"})),
]


def _check_stem_positions(low: str) -> None:
    n = len(low)
    for stems in MANY_STEMS:
        assert len(stems) >= 15
        for offset, start, end in ((0, 0, None), (7, 0, None), (0, n // 3, 2 * n // 3), (0, 1, n - 1), (0, n, n)):
            assert parse.stem_positions(stems, low, offset, start, end) == \
                   _plain_stem_positions(stems, low, offset, start, end), (stems[:3], offset, start, end, low)


def test_stem_positions_equal_the_finds_on_the_repository_letters():
    for text in _texts():
        _check_stem_positions(text.lower())
        _check_stem_positions(text)


@FAST
@given(_texts_of(["date", "dat", "injury", "injur", "y/o", "(s)", "p.", "a.m", "año", "ñ", "ſ", "İ", "12", "..",
                  "a b", "up to", "twenty-one", "a dozen", "your", "utilization", "\\d", "sevens", "no more"]))
def test_stem_positions_equal_the_finds(text):
    """Many stems found by one pattern (each one character wide, the rest of the stem in a lookahead):
    every place of every stem inside the range, once, in order, as the ``find`` of each gives them."""
    _check_stem_positions(text)
    _check_stem_positions(text.lower())
