"""The fourth round of parse fast paths gives exactly what the plain versions give.

Each fast path below does the same work with less bookkeeping (one stem's places without a set to sort, a
stem search's places from one lazy scan, a DateMatch's slots written directly, an age unit pattern that
starts with a character class). Each is compared with the plain version, written out here, on every text
the repository holds (sample letters, evaluation letters, and the shared letters when they are there), on
pieces of them (lines, paragraphs, windows around digits), and on generated texts (other scripts' digits,
accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens, mixed case).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist import parse
from imrassist.parse import DateMatch

from tests.test_checks_helpers import SHARED, repo_letter_paths
from tests.test_parse_speed import _plain_stem_positions
from tests.test_parse_speed2 import _letter_texts, _texts_of as _texts_of_pieces, needs_shared


FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters where lower-casing and case-insensitive matching part ways, or where ``\d``/``\w``/``\s`` are
#: more than ASCII: other scripts' digits, superscripts, accents, "ſ" (case-insensitive "s"), the Kelvin
#: sign (case-insensitive "k"), "İ" (lower-casing makes it two characters), a no-break space, an en dash.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº°×–’ſKİΣ\u0301\xa0\x1f\u2003"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"


@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    return _letter_texts(repo_letter_paths(shared=False))


@lru_cache(maxsize=1)
def _shared_texts() -> tuple[str, ...]:
    return _letter_texts(sorted((SHARED / "letters").glob("*.txt")))


def _texts_of(vocab: list[str], chars: str, size: int = 40) -> st.SearchStrategy[str]:
    """test_parse_speed2's texts glued from ``vocab`` and short runs of ``chars``, 40 pieces by default."""
    return _texts_of_pieces(vocab, chars, size)


# ---------------------------------------------------------------------------------------- one stem's places


ONE_STEMS = ["date", "ur", "a", "año", "y/o", "..", "ſ", "i̇", "a b", "\\d", "medical"]


def _check_stem_positions(low: str) -> None:
    n = len(low)
    for stem in ONE_STEMS:
        for offset, start, end in ((0, 0, None), (7, 0, None), (0, n // 3, 2 * n // 3), (0, 1, n - 1), (0, n, n)):
            assert parse.stem_positions((stem,), low, offset, start, end) == \
                   _plain_stem_positions((stem,), low, offset, start, end), (stem, offset, start, end, low)


def test_one_stems_places_equal_the_finds_on_the_repository_letters():
    for text in _texts()[::3]:
        _check_stem_positions(text.lower())


@FAST
@given(_texts_of(ONE_STEMS + ["dates", "aa", "añoaño", "y/o/", "...", "your", "İ", "medically"], "adeury/o." + ODD))
def test_one_stems_places_equal_the_finds(text):
    _check_stem_positions(text)
    _check_stem_positions(text.lower())


# ---------------------------------------------------------------------------------- stem searches, many stems


def _plain_stem_search(rx: re.Pattern[str], stems: tuple[str, ...], text: str, pos: int = 0,
                       endpos: int | None = None, low: str | None = None) -> re.Match[str] | None:
    """search_from_stems written plainly: every place of every stem found first (by ``str.find``), then
    tried in order; the whole text searched when it is not ASCII and no lower-cased text is given."""
    end = len(text) if endpos is None else min(endpos, len(text))
    if low is None:
        if not text.isascii():
            return rx.search(text, pos, end)
        low = text.lower()
    for i in _plain_stem_positions(stems, low, start=pos, end=end):
        m = rx.match(text, i, end)
        if m:
            return m
    return None


#: (pattern, the words each of its matches starts with): six stems or more (the lazy one-pattern scan in a
#: long text), stems that are prefixes of one another, a one-letter stem, a stem inside a word.
MANY_STEM_SEARCHES = [
    (re.compile(r"(?:what\s+happens\s+next|next\s+steps?|must\s+\w+|will\s+\w+\s+now|has\s+\d+|have\s+to|denial"
                r"|may\s+ask|can\s+ask|ask\s+for|new\s+request|talk\s+to|you\s+(?:may|can)\s+appeal)\b", re.I),
     ("what", "next", "must", "will", "has", "have", "denial", "may", "can", "ask", "new", "talk", "you")),
    (re.compile(r"(?:date\s+of\s+(?:the\s+)?injury|injury\s+on|injured\s+on|industrial\s+\w+|doi\b|sustained)"
                r"\s*:?\s*\d+", re.I),
     ("date", "injury", "injured", "industrial", "doi", "sustained", "injur")),
    (re.compile(r"(?:a\s+\d+|an?\s+age|x\s*\d|ur\b|utilization\s+review|u\.r\.)", re.I),
     ("a", "an", "x", "ur", "utilization", "u.r.")),
]


def _check_many_stem_search(text: str, pos: int = 0, endpos: int | None = None) -> None:
    for rx, stems in MANY_STEM_SEARCHES:
        assert len(stems) >= 6
        got = parse.search_from_stems(rx, stems, text, pos, endpos)
        want = _plain_stem_search(rx, stems, text, pos, endpos)
        assert (got and (got.span(), got.group())) == (want and (want.span(), want.group())), (rx.pattern, text)
        # A case-sensitive reading on a lower-cased text (``low`` is the text itself): any text.
        low = text.lower()
        if len(low) == len(text):
            got = parse.search_from_stems(rx, stems, text, pos, endpos, low=low)
            want = _plain_stem_search(rx, stems, text, pos, endpos, low=low)
            assert (got and got.span()) == (want and want.span()), (rx.pattern, text)


def test_many_stem_searches_equal_the_plain_search_on_the_repository_letters():
    for text in _texts()[::3]:
        _check_many_stem_search(text)
        _check_many_stem_search(text, len(text) // 3, 2 * len(text) // 3)


@needs_shared
def test_many_stem_searches_equal_the_plain_search_on_the_shared_letters():
    for text in _shared_texts()[::9]:
        _check_many_stem_search(text)


MANY_VOCAB = ["what happens next", "next step", "must", "will ", "has 3", "have to", "denial", "may ask", "can ask",
              "you may appeal", "talk to", "new request", "date of injury: 12", "injured on 3", "doi 4", "injur",
              "industrial x", "sustained 5", "a 12", "an age", "x3", "ur ", "UR", "u.r.", "utilization review",
              "your", "12", " ", "\n", "  ", ".", "_", "ſ", "K", "İ", "é"]


@FAST
@given(_texts_of(MANY_VOCAB, "aenrstux0123 .\n" + ODD, size=60), st.integers(0, 40),
       st.one_of(st.none(), st.integers(0, 900)))
def test_many_stem_searches_equal_the_plain_search(text, pos, endpos):
    """(Also on the text padded past the length from which the stems' places come from one scan.)"""
    for t in (text, text + " " * 301 + text, " " * 301 + text):
        _check_many_stem_search(t, pos, endpos)
        if t.isascii():
            for rx, stems in MANY_STEM_SEARCHES:
                got = parse.search_from_stems(rx, stems, t, pos, endpos)
                want = rx.search(t, pos, len(t) if endpos is None else min(endpos, len(t)))
                assert (got and got.span()) == (want and want.span())


# ----------------------------------------------------------------------------------------------- DateMatch


def test_date_match_is_the_dataclass_instance():
    """The directly written DateMatch: same type, fields, equality, hash and repr as the constructor's; still
    frozen."""
    for args in ((0, 10, dt.date(2012, 10, 19), "10/19/2012", "mdy_num"),
                 (5, 21, dt.date(2013, 12, 27), "27 de diciembre de 2013", "dmy_name")):
        fast, plain = parse._date_match(*args), DateMatch(*args)
        assert type(fast) is DateMatch
        assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
        assert (fast.start, fast.end, fast.date, fast.text, fast.style) == args
        with pytest.raises(AttributeError):
            fast.start = 1  # type: ignore[misc]


def _plain_find_dates(text: str, dmy: bool = False) -> tuple[DateMatch, ...]:
    """find_dates with every month stem listed by ``finditer`` (no search first) and DateMatch's constructor."""
    from imrassist.parse import (_DMY_NAME_RE, _ISO_RE, _MDY_NAME_RE, _MDY_NUM_RE, _MONTH_AT, _NUMERIC_RE, _YEAR_RE,
                                 _named_date, _numeric_date, matches_at)
    has_numeric = _NUMERIC_RE.search(text) is not None
    if _YEAR_RE.search(text) is None:
        if not has_numeric:
            return ()
        named, dmy_names, iso = None, (), ()
    else:
        if text.isascii():
            stems = [m.start() for m in _MONTH_AT.finditer(text.lower())]
            named = matches_at(_MDY_NAME_RE, text, stems) if stems else None
            dmy_names = _DMY_NAME_RE.finditer(text) if stems else ()
        else:
            named = list(_MDY_NAME_RE.finditer(text))
            dmy_names = _DMY_NAME_RE.finditer(text)
        iso = _ISO_RE.finditer(text) if "-" in text else ()
    found, taken = [], []
    for m in named or ():
        d = _named_date(m)
        if d is not None:
            found.append(DateMatch(m.start(), m.end(), d, m.group(0), "mdy_name"))
            taken.append(m.span())
    for style, matches in (("dmy_name", dmy_names), ("iso", iso)):
        for m in matches:
            s, e = m.span()
            if any(a < e and s < b for a, b in taken):
                continue
            d = _named_date(m) if style == "dmy_name" else _numeric_date(m, False)
            if d is not None:
                found.append(DateMatch(s, e, d, m.group(0), style))
                taken.append((s, e))
    if has_numeric:
        for m in _MDY_NUM_RE.finditer(text):
            s, e = m.span()
            if any(a < e and s < b for a, b in taken):
                continue
            d = _numeric_date(m, dmy)
            if d is not None:
                found.append(DateMatch(s, e, d, m.group(0), "mdy_num"))
    found.sort(key=lambda x: x.start)
    return tuple(found)


def _check_dates(text: str) -> None:
    for dmy in (False, True):
        got = parse.find_dates.__wrapped__(text, dmy=dmy)
        want = _plain_find_dates(text, dmy)
        assert got == want and list(map(repr, got)) == list(map(repr, want)), (text, dmy)


def test_dates_equal_the_plain_reading_on_the_repository_letters():
    for text in _texts():
        _check_dates(text)


DATE_VOCAB = ["October 19, 2012", "Oct. 19 2012", "19 October 2012", "27 de diciembre de 2013", "4th of MAY, 1999",
              "2012-10-19", "10/19/2012", "1-12-17", "10.19.12", "Dec", "dec", "medical", "jan", "Mayo", "2012",
              "1999", "19", "of", "de", " ", "\n", ",", "."]


@FAST
@given(_texts_of(DATE_VOCAB, "abdejmnorsty0123456789 ,./-" + ODD))
def test_dates_equal_the_plain_reading(text):
    _check_dates(text)


# --------------------------------------------------------------------------------------------- age units


_PLAIN_AGE_UNIT = re.compile(parse._AGE_UNIT_PLAIN)


def _check_age_units(text: str) -> None:
    assert [m.span() for m in parse._AGE_UNIT_RE.finditer(text)] == \
           [m.span() for m in _PLAIN_AGE_UNIT.finditer(text)], text
    for pos in (1, len(text) // 2):
        got, want = parse._AGE_UNIT_RE.search(text, pos), _PLAIN_AGE_UNIT.search(text, pos)
        assert (got and got.span()) == (want and want.span()), (text, pos)


def test_age_units_equal_the_plain_pattern_on_the_repository_letters():
    for text in _texts():
        _check_age_units(text)
        _check_age_units(text.lower())


@needs_shared
def test_age_units_equal_the_plain_pattern_on_the_shared_letters():
    for text in _shared_texts()[::5]:
        _check_age_units(text.lower())


AGE_VOCAB = ["52-year-old", "52 year old", "years old", "yrs old", "yr-old", "year  of age", "years of\nage", "y/o",
             "52 y/o", "52yo", "52 yo", "52\tyo", "52\xa0yo", "٣yo", "٣ yo", "yo", "yoy", "y/oz", "xy/o", "_y/o",
             "old", "age", "aged 52", "años", "y", "yy", "o", "/", "-", "  "]


@FAST
@given(_texts_of(AGE_VOCAB, "yo/ 5-\n\tersadl" + ODD))
def test_age_units_equal_the_plain_pattern(text):
    """Every match starts with a "y" or a blank after a digit, the alternatives in the same order: the same
    matches as the plain pattern (and the same first age)."""
    _check_age_units(text)
    _check_age_units(text.lower())


# ------------------------------------------------------------------------------------------------ norm_words


@FAST
@given(_texts_of(["Pain Management", "ODG", "Ｔｗｏ", "İstanbul", "ſtraße", "K", "x-ray", "12th"], PUNCT + ODD + "aZ9"))
def test_norm_words_is_the_findall(text):
    assert parse.norm_words.__wrapped__(text) == " ".join(re.findall(r"[a-z0-9]+", text.lower()))


# ----------------------------------------------------------------------------------------------------- pages


def _plain_find_pages(text: str) -> list[tuple[list[int], int, int]]:
    out = []
    for m in parse._PAGES_RE.finditer(text):
        nums = [int(x) for x in re.findall(r"\d{1,3}", m.group("list"))]
        if nums:
            out.append((nums, m.start(), m.end()))
    return out


def test_pages_equal_the_plain_reading_on_the_repository_letters():
    """(_page_matches returns at once when no page word stands: the rest is pinned in test_parse_speed.py.)"""
    for text in _texts():
        assert parse.find_pages(text) == _plain_find_pages(text), text


@FAST
@given(_texts_of(["Page(s): 98-99", "pages 3, 4", "pp. 12", "p. 3", "pg 4", "PGS. 5 and 6", "page", "p", "up.",
                  "12 to 13", "&", "٣"], "pPg.:( )s0123-" + ODD))
def test_pages_equal_the_plain_reading(text):
    assert parse.find_pages(text) == _plain_find_pages(text)


def _plain_number_to_words(n: int) -> str:
    """parse.number_to_words as it was: its two inverse tables made on every call."""
    inv = {v: k for k, v in parse._UNITS_EN.items() if " " not in k and k not in ("single", "once", "twice", "thrice", "dozen")}
    if n in inv:
        return inv[n]
    if 20 <= n < 100:
        tens = {v: k for k, v in parse._TENS_EN.items() if k != "fourty"}
        t, u = divmod(n, 10)
        return tens[t * 10] if u == 0 else f"{tens[t * 10]}-{inv[u]}"
    if n == 100:
        return "one hundred"
    return str(n)


def test_number_to_words_tables_made_once_equal_the_plain_version() -> None:
    for n in range(-5, 1001):
        assert parse.number_to_words(n) == _plain_number_to_words(n)
