"""Small parsers shared by the extractor and the checks: dates, numbers, quantities, ages, pages, limits.

The same function that reads a value out of a letter is the one the grounding check uses to re-read the
value from its evidence quote, so "the value re-parsed from the quote equals the value" is a real test
of the extraction rather than of two parsers agreeing by luck. Everything here is pure and tolerant: a
parser returns None rather than raising on text it does not understand.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, insort
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

# ------------------------------------------------------------------------------------------------ search


def stem_positions(stems: tuple[str, ...], low: str, offset: int = 0, start: int = 0, end: int | None = None) -> list[int]:
    """Where any of ``stems`` (lower case) starts in ``low``, a lower-cased text, in order, plus ``offset``
    (where ``low`` starts in the text the positions are for). The caller makes sure lower-casing kept the
    text's length (ASCII text), or the positions would not be the text's. With ``start``/``end``, only the
    stems that stand wholly inside ``low[start:end]`` (no slice of a long text is copied for a region)."""
    if end is None:
        end = len(low)
    if len(stems) == 1:  # (one stem's places come in order, each once: no set to build and sort)
        st = stems[0]
        out = []
        i = low.find(st, start, end)
        while i >= 0:
            out.append(offset + i)
            i = low.find(st, i + 1, end)
        return out
    if len(stems) >= 15:
        rx = _stems_at(stems)
        if rx is not None:
            return [m.start() + offset for m in rx.finditer(low, start, end)]
    found: set[int] = set()
    for st in stems:
        i = low.find(st, start, end)
        while i >= 0:
            found.add(offset + i)
            i = low.find(st, i + 1, end)
    return sorted(found)


@lru_cache(maxsize=64)
def _stems_at(stems: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern that matches, one character wide, where any of ``stems`` starts: ``a(?=bc|de)|x(?=yz)`` for
    "abc", "ade", "xyz". Its matches are every such place, once, in order, each stem wholly inside the
    scanned range (a lookahead sees no further than ``endpos``), as the ``str.find`` of every stem gives
    them; its leading letters let the regex engine scan for them in C, where one ``find`` per stem costs
    more once a caller has a few dozen stems. (None for an empty stem.)"""
    if not all(stems):
        return None
    rests: dict[str, set[str]] = {}
    for st in stems:
        rests.setdefault(st[0], set()).add(st[1:])
    return re.compile("|".join(
        re.escape(c) + ("" if "" in r else "(?=" + "|".join(map(re.escape, sorted(r))) + ")")
        for c, r in sorted(rests.items())))


def matches_at(rx: re.Pattern[str], text: str, starts: list[int], endpos: int | None = None) -> list[re.Match[str]]:
    """What ``rx.finditer(text, ..., endpos)`` gives for a pattern that can only match at ``starts``
    (sorted): the pattern is tried there only, not at every position of a long text (a long alternation,
    or a pattern that starts with ``\b``, is slow to try everywhere). A match hides the starts inside it,
    as ``finditer`` does."""
    if not starts:  # (a third of the calls: no place to try)
        return []
    out = []
    pos = 0
    end = len(text) if endpos is None else endpos
    for i in starts:
        if i < pos:
            continue
        if i >= end:
            break
        m = rx.match(text, i, end)
        if m:
            out.append(m)
            pos = m.end() if m.end() > m.start() else m.end() + 1
    return out


def search_from_stems(rx: re.Pattern[str], stems: tuple[str, ...], text: str, pos: int = 0, endpos: int | None = None,
                      *, low: str | None = None) -> re.Match[str] | None:
    """``rx.search(text, pos, endpos)`` for a case-insensitive pattern every match of which starts with one of
    ``stems`` (lower case): the pattern is tried only where a stem stands, in text order, so the first match
    found is the leftmost one. A whole text is not scanned with a pattern that cannot match elsewhere (one
    that starts with ``\b`` or an alternation is tried at every position). In ASCII text only: elsewhere
    case-insensitive matching is more than lower-casing ("ſ" matches "s"), and the scan is whole.

    ``low``: ``text.lower()`` of an ASCII ``text`` (or, for a case-sensitive pattern on lower-case text,
    ``text`` itself: then any text), when the caller holds it already (a letter's lower-cased
    text is made once, see :meth:`imrassist.letter.Letter.lowered`): lower-casing a whole letter for each
    search costs more than the search."""
    end = len(text) if endpos is None else min(endpos, len(text))
    if low is None:
        if not text.isascii():
            return rx.search(text, pos, end)
        low = text.lower()
    # The stems' places are found as they are tried, left to right (each stem's next place, the leftmost
    # first): the first match is often early in a long text (a letter's guideline names, an explanation's
    # "what happens next"), and the rest of the text is not searched for stems.
    match = rx.match
    if len(stems) >= 6 and end - pos > 300:
        # Six stems or more in a long text: their places come from one lazy scan (:func:`_stems_at`, every
        # place where a stem stands wholly inside the range, in order, once each: the places the finds below
        # try), so a stem that does not occur does not cost a scan of the whole text. (In a sentence the
        # finds cost less than the scan.)
        srx = _stems_at(stems)
        if srx is not None:
            for s in srx.finditer(low, pos, end):
                m = match(text, s.start(), end)
                if m:
                    return m
            return None
    find = low.find
    heads: list[tuple[int, str]] = []
    if len(stems) == 1:  # (no list of heads to build)
        st = stems[0]
        i = find(st, pos, end)
    else:
        heads = [(i, st) for st in stems if (i := find(st, pos, end)) >= 0]
        if len(heads) == 1:  # (most often: one of several stems in a sentence)
            i, st = heads[0]
    if len(stems) == 1 or len(heads) == 1:  # one stem's places, in order
        while i >= 0:
            m = match(text, i, end)
            if m:
                return m
            i = find(st, i + 1, end)
        return None
    heads.sort()
    tried = -1
    while heads:
        i, st = heads.pop(0)
        if i != tried:  # (two stems at one place: tried once)
            m = match(text, i, end)
            if m:
                return m
            tried = i
        j = find(st, i + 1, end)
        if j >= 0:
            insort(heads, (j, st))
    return None


def finditer_from_stems(rx: re.Pattern[str], stems: tuple[str, ...], text: str, *, low: str | None = None) -> list[re.Match[str]]:
    """``list(rx.finditer(text))`` for a case-insensitive pattern that never matches empty text and every
    match of which starts with one of ``stems`` (lower case): as :func:`search_from_stems`, the pattern is
    tried only where a stem stands. In ASCII text only (see there; ``low`` too)."""
    if low is None:
        if not text.isascii():
            return list(rx.finditer(text))
        low = text.lower()
    return matches_at(rx, text, stem_positions(stems, low))


# ------------------------------------------------------------------------------------------------ numbers

_UNITS_EN = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a dozen": 12, "dozen": 12,
    "single": 1, "a single": 1, "once": 1, "twice": 2, "thrice": 3,
}
_TENS_EN = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_UNITS_ES = {
    "cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veinte": 20, "veintiuno": 21, "veintiún": 21, "veintidós": 22, "veintidos": 22, "veintitrés": 23,
    "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
_TENS_ES = {"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80,
            "noventa": 90}


def _build_number_words(lang: str) -> dict[str, int]:
    words: dict[str, int] = {}
    if lang == "en":
        words.update(_UNITS_EN)
        for t, tv in _TENS_EN.items():
            words[t] = tv
            for u, uv in list(_UNITS_EN.items())[1:10]:
                words[f"{t}-{u}"] = tv + uv
                words[f"{t} {u}"] = tv + uv
        words["one hundred"] = 100
        words["a hundred"] = 100
    else:
        words.update(_UNITS_ES)
        units = {"uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
                 "ocho": 8, "nueve": 9}
        for t, tv in _TENS_ES.items():
            words[t] = tv
            for u, uv in units.items():
                words[f"{t} y {u}"] = tv + uv
        words["cien"] = 100
    return words


NUMBER_WORDS_EN: dict[str, int] = _build_number_words("en")
NUMBER_WORDS_ES: dict[str, int] = _build_number_words("es")
NUMBER_WORDS: dict[str, int] = {**NUMBER_WORDS_ES, **NUMBER_WORDS_EN}  # English wins ("once" = 1)


def word_alternation(words: Iterable[str], separator: str | None = None) -> str:
    """A regex for "any of ``words``, longer words first" (``w1|w2|...`` sorted longest first, so that
    "twenty-four" wins over "twenty"), written as a trie: ``t(?:en|w(?:elve|enty(?:-(?:one|...))?))``.

    Why a trie: the regex engine tries the branches of an alternation one by one, so a list of 200
    number words costs 200 attempts at every position where none matches (and it is slow to compile); a
    trie costs one attempt per letter. It matches the same strings in the same order of preference: at
    any position the words that match are prefixes of one another, the list tries them longest first,
    and so does the trie (a word that ends inside the trie is an optional continuation, tried after the
    longer words). With ``separator`` (a regex such as ``[\s-]+``), the runs of spaces and hyphens inside
    a word match it instead of themselves.
    """
    end, sep = "", "\x00"  # trie keys: a character, or "" for "a word ends here", or "\x00" for a separator
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for part_index, part in enumerate(re.split(r"[\s-]+", w) if separator is not None else [w]):
            if part_index:
                node = node.setdefault(sep, {})
            for ch in part:
                node = node.setdefault(ch, {})
        node[end] = {}

    def render(node: dict[str, dict]) -> str:
        branches = [(separator if ch == sep else re.escape(ch)) + render(child)
                    for ch, child in sorted(node.items()) if ch != end]
        if end not in node:
            return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + "|".join(branches) + ")?" if branches else ""

    return render(trie)


def _alt(words: dict[str, int]) -> str:
    # Whole words only ("un" is not in "Unknown"): the caller puts \b around it.
    return word_alternation(words)


NUMBER_TOKEN = rf"(?:\d+(?:\.\d+)?|\b(?:{_alt(NUMBER_WORDS_EN)})\b)"
NUMBER_TOKEN_ES = rf"(?:\d+(?:\.\d+)?|\b(?:{_alt(NUMBER_WORDS_ES)})\b)"


#: The words every English number word is made of (split at blanks and hyphens: "a dozen" holds "dozen").
_NUMBER_WORD_PARTS = frozenset(p for w in NUMBER_WORDS_EN for p in re.split(r"[\s-]+", w)) - {"a"}
_ASCII_LOWER_RUN = re.compile(r"[a-z]+")
_ANY_DIGIT = re.compile(r"\d")


def _no_number_word(low: str) -> bool:
    """Whether the lower-cased ASCII text ``low`` holds no English number word of ``NUMBER_TOKEN``: a number
    word stands between word boundaries and is letters split by blanks or hyphens, so each of its parts is
    a whole run of letters of the text; none of them is a part of a number word here. (ASCII only:
    elsewhere case-insensitive matching is more than lower-casing, "ſix" is "six".)"""
    return _NUMBER_WORD_PARTS.isdisjoint(_ASCII_LOWER_RUN.findall(low))


_DIGITS_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACES = re.compile(r"\s+")


def parse_number(token: str, lang: str | None = None) -> float | None:
    """``"6"`` -> 6, ``"six"`` -> 6, ``"twenty-four"`` -> 24, ``"veinte"`` -> 20, else None.

    Without ``lang`` English words are tried before Spanish ones ("once" is 1, not 11).
    """
    t = token.strip().lower().replace("\u2011", "-")
    if not t:
        return None
    # (the patterns are compiled once: the checks read the number of every count and frequency of a letter)
    if _DIGITS_NUMBER.fullmatch(t):
        v = float(t)
        return int(v) if v.is_integer() else v
    t = _SPACES.sub(" ", t)
    tables = {"en": (NUMBER_WORDS_EN,), "es": (NUMBER_WORDS_ES,)}.get(lang or "", (NUMBER_WORDS_EN, NUMBER_WORDS_ES))
    for table in tables:
        if t in table:
            return table[t]
    return None


# number_to_words' tables, made once (it is asked for every limit the extractor weighs)
_WORD_OF_UNIT = {v: k for k, v in _UNITS_EN.items() if " " not in k and k not in ("single", "once", "twice", "thrice", "dozen")}
_WORD_OF_TENS = {v: k for k, v in _TENS_EN.items() if k != "fourty"}


def number_to_words(n: int) -> str:
    """English words for 0-100, used to match ``6`` with ``six`` in either direction."""
    inv = _WORD_OF_UNIT
    if n in inv:
        return inv[n]
    if 20 <= n < 100:
        tens = _WORD_OF_TENS
        t, u = divmod(n, 10)
        return tens[t * 10] if u == 0 else f"{tens[t * 10]}-{inv[u]}"
    if n == 100:
        return "one hundred"
    return str(n)


# -------------------------------------------------------------------------------------------------- dates

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
# As a trie (see :func:`word_alternation`): the same month at any position, but one attempt per letter
# rather than one per month name, at every position of every window the date patterns read.
_MONTH_ALT = word_alternation(MONTHS)

_DATE_RES = [
    # October 19, 2012 / Oct. 19 2012 / October 19th, 2012
    ("mdy_name", re.compile(
        rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b",
        re.IGNORECASE)),
    # 19 October 2012 / 27 de diciembre de 2013 / 19th of October, 2012
    ("dmy_name", re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|º|°)?\s+(?:de\s+|of\s+)?(?P<mon>{_MONTH_ALT})\.?,?\s+(?:de\s+|del\s+)?(?P<year>(?:19|20)\d\d)\b",
        re.IGNORECASE)),
    # 2012-10-19 (ISO)
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>\d{1,2})-(?P<day>\d{1,2})\b")),
    # 10/19/2012, 10-19-2012, 10/19/12, 1-12-17, 10.19.2012
    ("mdy_num", re.compile(
        r"(?<![\d/.\-])(?P<mon>\d{1,2})(?P<sep>[/\-.])(?P<day>\d{1,2})(?P=sep)(?P<year>(?:19|20)?\d\d)(?![\d/]|-\d|\.\d)")),
]
# The patterns find_dates runs: the same matches as ``_DATE_RES`` (kept as the plain reference, see
# tests/test_parse_speed.py), written to start with a character class, which the regex engine scans for
# in C instead of trying the whole pattern at every position. ``\b`` before a digit is "no word character
# before it": the lookbehind after the first digit (``(?<!\w\d)``) says the same. Only the part with letters
# is case-insensitive (a case-insensitive pattern gets no fast scan). Month-first names start with a letter
# in either case, so they are tried only where a month's first three letters stand (:data:`_MONTH_AT`).
_MDY_NAME_RE = _DATE_RES[0][1]
_DMY_NAME_RE = re.compile(
    rf"(?P<day>\d(?<!\w\d)\d?)(?i:(?:st|nd|rd|th|º|°)?\s+(?:de\s+|of\s+)?(?P<mon>{_MONTH_ALT})\.?,?\s+(?:de\s+|del\s+)?)"
    rf"(?P<year>(?:19|20)\d\d)\b")
_ISO_RE = re.compile(r"(?P<year>[12](?<!\w[12])[09]\d\d)(?<=(?:19|20)\d\d)-(?P<mon>\d{1,2})-(?P<day>\d{1,2})\b")
_MDY_NUM_RE = re.compile(
    r"(?P<mon>\d(?<![\d/.\-]\d)\d?)(?P<sep>[/\-.])(?P<day>\d{1,2})(?P=sep)(?P<year>(?:19|20)?\d\d)(?![\d/]|-\d|\.\d)")


_YEAR_RE = re.compile(r"(?:19|20)\d\d")  # in every match of the named and ISO patterns
_NUMERIC_RE = re.compile(r"\d[/\-.]\d")  # in every match of "mdy_num"
_MONTH_STEMS = tuple(sorted({m[:3] for m in MONTHS}))  # every month name is 3+ letters
#: A month's first three letters at a word start, in lower-cased ASCII text: where every month name of a
#: named date starts (after ``\b`` in "mdy_name", after a space in "dmy_name"). The stems are three letters,
#: so "no word character before the stem" is "not four word characters up to its end"; written after the
#: stems, the pattern starts with their first letters (a fast scan). ("dic" is in "medical": the word start
#: matters for the gate.)
_MONTH_AT = re.compile(rf"(?:{word_alternation(_MONTH_STEMS)})(?<!\w\w\w\w)")


@dataclass(frozen=True, slots=True)
class DateMatch:
    start: int
    end: int
    date: dt.date
    text: str
    style: str


#: DateMatch's slots, written directly: what its generated ``__init__`` does (one ``object.__setattr__``
#: per field, as a frozen dataclass must), in about half the time (a letter's windows and sentences yield a
#: few dozen dates). Same object: same fields, equality, hash and repr (tests/test_parse_speed3.py).
_DATE_MATCH_SETS = tuple(DateMatch.__dict__[f].__set__ for f in ("start", "end", "date", "text", "style"))


def _date_match(start: int, end: int, date: dt.date, text: str, style: str,
                _new=object.__new__, _sets=_DATE_MATCH_SETS) -> DateMatch:
    d = _new(DateMatch)
    s0, s1, s2, s3, s4 = _sets
    s0(d, start)
    s1(d, end)
    s2(d, date)
    s3(d, text)
    s4(d, style)
    return d


def _year(y: str) -> int:
    v = int(y)
    if len(y) == 2:
        v += 2000 if v < 70 else 1900
    return v


def _named_date(m: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(_year(m.group("year")), MONTHS[m.group("mon").lower().rstrip(".")], int(m.group("day")))
    except (ValueError, KeyError):
        return None


#: (text of a numeric date match, day first) -> its date or None. A numeric date's text fixes its groups
#: (the digits around its two separators; a text cannot match both "iso", four digits first, and
#: "mdy_num", one or two), so the date is read once per text: a letter's dates stand in many of the
#: windows and sentences find_dates reads. Kept small: emptied when full.
_NUMERIC_DATE_CACHE: dict[tuple[str, bool], dt.date | None] = {}


def _numeric_date(m: re.Match[str], swap: bool) -> dt.date | None:
    key = (m.group(0), swap)
    try:
        return _NUMERIC_DATE_CACHE[key]
    except KeyError:
        pass
    g = m.groupdict()
    y = _year(g["year"])
    a, b = int(g["mon"]), int(g["day"])
    if swap:
        a, b = b, a
    try:
        d: dt.date | None = dt.date(y, a, b)
    except ValueError:
        try:
            d = dt.date(y, b, a)
        except ValueError:
            d = None
    if len(_NUMERIC_DATE_CACHE) >= 4096:
        _NUMERIC_DATE_CACHE.clear()
    _NUMERIC_DATE_CACHE[key] = d
    return d


@lru_cache(maxsize=8192)
def find_dates(text: str, *, dmy: bool = False) -> tuple[DateMatch, ...]:
    """All dates in ``text`` in the formats these letters and explanations use, in order.

    Numeric dates are month-first (US letters) unless ``dmy`` is set (Spanish explanations write
    ``27/12/2013``); an impossible month-first reading falls back to day-first.
    """
    # A pattern is run only on text that holds what each of its matches holds: a year 19xx/20xx (named
    # and ISO dates), a month name's first three letters at a word start (named dates; ASCII text only,
    # elsewhere case-insensitive matching is more than lower-casing), a "-" (ISO), a digit, separator,
    # digit (numeric dates). A third of the windows and sentences looked at have neither a year nor a
    # numeric date, and most that do are numeric dates, without a month name.
    has_numeric = _NUMERIC_RE.search(text) is not None
    if _YEAR_RE.search(text) is None:
        if not has_numeric:
            return ()
        named: list[re.Match[str]] | None = None
        dmy_names = iso = ()
    else:
        if text.isascii():
            # In ASCII text case-insensitive matching is lower-casing, and lower-casing keeps the offsets.
            # (Most such texts hold a numeric date only: one search says so without building a list.)
            low = text.lower()
            first = _MONTH_AT.search(low)
            stems = [m.start() for m in _MONTH_AT.finditer(low, first.start())] if first else []
            named = matches_at(_MDY_NAME_RE, text, stems) if stems else None
            dmy_names = _DMY_NAME_RE.finditer(text) if stems else ()
        else:
            named = list(_MDY_NAME_RE.finditer(text))
            dmy_names = _DMY_NAME_RE.finditer(text)
        iso = _ISO_RE.finditer(text) if "-" in text else ()
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []  # the spans of the styles before: a later style's overlapping match is dropped
    if named:
        for m in named:
            d = _named_date(m)
            if d is not None:
                found.append(_date_match(m.start(), m.end(), d, m.group(0), "mdy_name"))
                taken.append(m.span())
    for style, matches in (("dmy_name", dmy_names), ("iso", iso)):
        for m in matches:
            s, e = m.span()
            if taken and any(a < e and s < b for a, b in taken):
                continue
            d = _named_date(m) if style == "dmy_name" else _numeric_date(m, False)
            if d is not None:
                found.append(_date_match(s, e, d, m.group(0), style))
                taken.append((s, e))
    if has_numeric:
        for m in _MDY_NUM_RE.finditer(text):
            s, e = m.span()
            if taken and any(a < e and s < b for a, b in taken):
                continue
            d = _numeric_date(m, dmy)
            if d is not None:
                found.append(_date_match(s, e, d, m.group(0), "mdy_num"))
    if taken:  # (one style alone is in text order)
        found.sort(key=_start)
    return tuple(found)


def _start(d: DateMatch) -> int:
    return d.start


def parse_date(text: str) -> dt.date | None:
    """The single date a quote states (the first one if several)."""
    ds = find_dates(text)
    return ds[0].date if ds else None


# ---------------------------------------------------------------------------------------------- age & sex

# Anchored on the age word, then the number is read just before/after it: scanning a long text with a
# number-word alternation at every position is what made age finding slow.
# These run on lower-cased text (case-insensitive scanning of a whole letter is several times slower).
#: ``(?:years?|yrs?)[- ]*(?:old|of\s+age)\b|\by/o\b|(?<=\d)\s*yo\b`` (kept as _AGE_UNIT_PLAIN for the tests),
#: written to start with a character class, which the regex engine scans for in C: the last alternative
#: starts with a lookbehind, so the plain pattern is tried at every position of a clinical summary. Every
#: match starts with a "y" or, after a digit, a blank: the class takes that first character and each
#: alternative checks it (and what stands before it) by a lookbehind, in the same order of preference.
_AGE_UNIT_PLAIN = r"(?:years?|yrs?)[- ]*(?:old|of\s+age)\b|\by/o\b|(?<=\d)\s*yo\b"
_AGE_UNIT_RE = re.compile(r"[\sy](?:(?<=y)(?:ears?|rs?)[- ]*(?:old|of\s+age)\b|(?<=\by)/o\b|(?<=\dy)o\b|(?<=\d\s)\s*yo\b)")
_NUM_BEFORE_RE = re.compile(rf"(?P<n>{NUMBER_TOKEN})\s*[- ]?\s*$", re.IGNORECASE)
_AGED_RE = re.compile(rf"\bage(?:d|\s+of)\s+(?P<n>{NUMBER_TOKEN})\b")
_ANOS_RE = re.compile(r"\ba[ñn]os\b")
_NUM_ES_BEFORE_RE = re.compile(rf"(?P<n>{NUMBER_TOKEN_ES})\s*$", re.IGNORECASE)


def find_age(text: str) -> tuple[int, int, int] | None:
    """(age, start, end) of the first "<n>-year-old" style phrase ("aged 52", "54 años"), or None."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: keep offsets exact
        low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    text = low
    cands: list[tuple[int, int, int]] = []
    for m in _AGE_UNIT_RE.finditer(text):
        w0 = max(0, m.start() - 30)
        nm = _NUM_BEFORE_RE.search(text, w0, m.start())
        if nm:
            n = parse_number(nm.group("n"), "en")
            if n is not None and 0 < n < 120 and int(n) == n:
                cands.append((int(n), nm.start("n"), m.end()))
                break
    # "aged 52" / "años": tried only where their words stand. The text is lower-cased and these patterns
    # are case-sensitive, so every match starts where the word itself is found (any text, not only ASCII);
    # each scan of a whole clinical summary cost more than the rest of finding the age.
    m2 = search_from_stems(_AGED_RE, ("age",), text, low=text)
    if m2:
        n = parse_number(m2.group("n"), "en")
        if n is not None and 0 < n < 120 and int(n) == n:
            cands.append((int(n), m2.start(), m2.end()))
    for m in matches_at(_ANOS_RE, text, stem_positions(("año", "ano"), text)):
        nm = _NUM_ES_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
        if nm:
            n = parse_number(nm.group("n"), "es")
            if n is not None and 0 < n < 120 and int(n) == n:
                end = m.end()
                tail = re.match(r"\s+de\s+edad\b", text[end:end + 12], re.IGNORECASE)
                cands.append((int(n), nm.start("n"), end + (tail.end() if tail else 0)))
                break
    return min(cands, key=lambda c: c[1]) if cands else None


def parse_age(text: str) -> int | None:
    hit = find_age(text)
    return hit[0] if hit else None


#: The letters other than ASCII that a case-insensitive pattern takes for an ASCII letter ("ſ" for "s", "ı"
#: and "İ" for "i"; the Kelvin sign's lower case is "k" already). A word such a pattern matched is looked up
#: in a table of ASCII words by :func:`word_key`: its plain lower case ("maſculino", "mİlliliters") is no key.
_CASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def word_key(word: str) -> str:
    """The key of a word a case-insensitive pattern matched, in a table of lower-case ASCII words."""
    return word.lower() if word.isascii() else word.translate(_CASE_FOLD).lower()


_SEX_WORDS = {
    "male": "male", "man": "male", "gentleman": "male", "boy": "male", "hombre": "male", "masculino": "male",
    "female": "female", "woman": "female", "lady": "female", "girl": "female", "mujer": "female",
    "femenino": "female",
}
SEX_RE = re.compile(r"\b(" + "|".join(sorted(_SEX_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def parse_sex(text: str) -> str | None:
    m = SEX_RE.search(text)
    return _SEX_WORDS[word_key(m.group(1))] if m else None


# ------------------------------------------------------------------------------------------------- pages

_PAGES_RE = re.compile(
    r"\b(?:Page\(s\)|Pages?|pp?\.|pgs?\.?)\s*:?\s*(?P<list>\d{1,3}(?:\s*(?:-|to|–|,|and|&)\s*\d{1,3})*)",
    re.IGNORECASE,
)


#: Where a match of ``_PAGES_RE`` can start in lower-cased ASCII text: a "p" at a word start, followed by
#: the rest of the pattern's head up to the first digit of its page list (zero-width after the "p", so that
#: no start is passed over). Its one leading letter lets the regex engine scan for it in C.
_PAGES_START = re.compile(r"p(?<!\wp)(?=(?:age\(s\)|ages?|p?\.|gs?\.?)\s*:?\s*\d)")


def _page_matches(text: str) -> list[re.Match[str]]:
    """``_PAGES_RE.finditer(text)``, tried only where :data:`_PAGES_START` finds a "p" that can start a
    match (a pattern that starts with ``\b`` and an alternation is otherwise tried at every position). In
    ASCII text only: elsewhere case-insensitive matching is more than lower-casing ("Pageſ" is "Pages")."""
    if not text.isascii():
        return list(_PAGES_RE.finditer(text))
    low = text.lower()
    first = _PAGES_START.search(low)  # (half the texts asked about have none: no iterator or list to build)
    if first is None:
        return []
    return matches_at(_PAGES_RE, text, [m.start() for m in _PAGES_START.finditer(low, first.start())])


_PAGE_NUMBER = re.compile(r"\d{1,3}")  # (compiled once: not looked up in re's cache per page reference)


def find_pages(text: str) -> list[tuple[list[int], int, int]]:
    """Every page reference: (pages, start, end). ``Page(s): 98-99`` -> [98, 99]."""
    out = []
    for m in _page_matches(text):
        nums = [int(x) for x in _PAGE_NUMBER.findall(m.group("list"))]
        if nums:
            out.append((nums, m.start(), m.end()))
    return out


def parse_pages(text: str) -> list[int]:
    hits = find_pages(text)
    pages: list[int] = []
    for nums, _, _ in hits:
        for n in nums:
            if n not in pages:
                pages.append(n)
    return pages


# -------------------------------------------------------------------------------------------- quantities

#: Nouns that count a treatment (singular form). Anything else after a number is taken as written.
COUNT_NOUNS = {
    "session", "visit", "treatment", "injection", "x-ray", "xray", "month", "day", "week", "tablet", "capsule",
    "pill", "patch", "refill", "unit", "gram", "ml", "bottle", "tube", "box", "class", "lesson", "hour",
    "level", "block", "wrap", "pair", "dose", "vial", "syringe", "pad", "strip", "test",
    "screen", "kit", "container", "jar", "ounce", "oz", "liter", "film", "lozenge", "spray", "pack",
    "packet", "application", "appointment", "consultation", "evaluation", "procedure", "study", "scan",
    "trigger point", "shot", "round", "course", "cycle", "night", "period",
}
#: Units of time, dose or service: modifiers before them name the treatment, not the unit
#: ("12 physical therapy sessions" -> session). Other count nouns are things and keep their modifier.
GENERIC_UNITS = {
    "session", "visit", "treatment", "injection", "x-ray", "xray", "month", "day", "week", "tablet", "capsule",
    "pill", "refill", "unit", "gram", "ml", "hour", "dose", "ounce", "oz", "liter", "class", "lesson",
    "application", "appointment", "consultation", "evaluation", "procedure", "study", "scan", "level", "test",
    "shot", "round", "course", "cycle", "night", "period", "screen",
}
_PLURALS = {"x-rays": "x-ray", "xrays": "xray", "patches": "patch", "boxes": "box", "classes": "class",
            "studies": "study", "grams": "gram", "mls": "ml", "ozs": "oz", "days": "day"}


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """The singular of ``word``, lower case ("Studies" -> "study"). Cached: it is asked for every plural
    word of the sentences the checks compare (a few hundred per letter), and a letter's words are mostly
    the same few thousand as every other letter's."""
    w = word.lower()
    if w in _PLURALS:
        return _PLURALS[w]
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 2:
        return w[:-1]
    return w


@dataclass(frozen=True, slots=True)
class Quantity:
    amount: float
    unit: str
    start: int
    end: int


_NUM = NUMBER_TOKEN
_RANGE = rf"(?P<a>{_NUM})(?:\s*(?:-|to|or|–)\s*(?P<b>{_NUM}))?"


@lru_cache(maxsize=1)
def _quantity_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """find_quantity's leading "<n> <noun> of" and its "<n>[-<n>]" patterns, compiled once, on first use (the
    number patterns are kilobytes long: an f-string per call rebuilt and re-hashed them every time; compiled
    at import they would slow every start)."""
    lead = re.compile(rf"\s*(?P<n>{_NUM})\s+(?P<noun>[A-Za-z][A-Za-z\-]*)\s+of\b", re.IGNORECASE)
    counted = re.compile(rf"(?<![\w.\-/#]){_RANGE}(?![\w.%/])", re.IGNORECASE)
    return lead, counted


_FREQ_RE = re.compile(
    rf"\b(?P<fa>{_NUM})(?:\s*(?:-|to|or)\s*(?P<fb>{_NUM}))?\s*(?:x|times|time|visits?|sessions?)?\s*"
    rf"(?:a|per|/|each|every)?\s*(?:week|wk|weekly)\s*(?:,\s*)?(?:for|x|times|over|×)\s*"
    rf"(?P<da>{_NUM})(?:\s*(?:-|to|or)\s*(?P<db>{_NUM}))?\s*(?:weeks?|wks?)\b",
    re.IGNORECASE,
)
_FREQ_WEEKLY_RE = re.compile(
    rf"\b(?P<fa>{_NUM})(?:\s*(?:-|to|or)\s*(?P<fb>{_NUM}))?\s*times\s+weekly\s*(?:,\s*)?(?:for|x|over)\s*"
    rf"(?P<da>{_NUM})(?:\s*(?:-|to|or)\s*(?P<db>{_NUM}))?\s*(?:weeks?|wks?)\b",
    re.IGNORECASE,
)
_FREQ_MONTH_RE = re.compile(
    rf"\b(?P<fa>{_NUM})(?:\s*(?:-|to|or)\s*(?P<fb>{_NUM}))?\s*(?:x|times)\s*(?:a|per|/)\s*month\s*(?:for|x)\s*"
    rf"(?P<da>{_NUM})(?:\s*(?:-|to|or)\s*(?P<db>{_NUM}))?\s*months?\b",
    re.IGNORECASE,
)
_NXM_RE = re.compile(r"(?<![\w.])(?P<fa>\d{1,2})\s*[x×]\s*(?P<da>\d{1,2})(?![\w.%])", re.IGNORECASE)
_HASH_RE = re.compile(r"(?:#|No\.\s?|qty:?\s*|quantity:?\s*)(?P<n>\d+)\b", re.IGNORECASE)
_TIMES_N_RE = re.compile(r"(?:(?<=\s)|^)[x×]\s*(?P<n>\d{1,3})\b(?!\s*(?:mg|ml|%|weeks?|wks?|days?))", re.IGNORECASE)
_MEASURE_RE = re.compile(
    r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s*(?P<u>grams?|gm|g|ml|mls|milliliters?|oz|ounces?)\b(?!\s*/)", re.IGNORECASE
)
_STRENGTH_TAIL = re.compile(r"^\s*(?:mg|mcg|%|percent|mEq|iu|units?/|mg/)", re.IGNORECASE)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z\-]*")
_STOP_AFTER_NUMBER = {"of", "for", "to", "and", "or", "with", "at", "in", "per", "a", "the", "x", "times", "time",
                      "mg", "mcg", "percent", "year", "years", "old"}
_ADJ_BEFORE_NOUN = {"additional", "more", "physical", "therapy", "chiropractic", "acupuncture", "massage",
                    "follow-up", "followup", "office", "initial", "post-op", "postoperative", "post-operative",
                    "occupational", "aquatic", "psychotherapy", "cognitive", "behavioral", "pt", "chiro",
                    "supervised", "home", "trigger", "point", "epidural", "facet", "steroid", "pool", "land",
                    "based", "massage", "myofascial", "release", "push", "biofeedback", "sessions", "of"}

_UNIT_MAP = {"g": "gram", "gm": "gram", "gram": "gram", "grams": "gram", "ml": "ml", "mls": "ml",
             "milliliter": "ml", "milliliters": "ml", "oz": "ounce", "ounce": "ounce", "ounces": "ounce"}


def _num(s: str | None) -> float | None:
    return parse_number(s) if s else None


def _freq_total(m: re.Match[str]) -> float | None:
    f = _num(m.group("fb")) or _num(m.group("fa"))
    d = _num(m.group("db")) or _num(m.group("da"))
    if f is None or d is None:
        return None
    return f * d


def _is_strength(text: str, end: int) -> bool:
    return bool(_STRENGTH_TAIL.match(text[end:end + 8]))


def _context_unit(text: str) -> str:
    """The unit an "x N" counts when no noun follows it: a count noun named elsewhere in the item
    ("Synvisc injection to the knee x 1" -> injection), else visits of a therapy. (Read only for an item
    with an "x N": most items have none, and the word-by-word reading was a quarter of find_quantity.)"""
    for w in re.findall(r"[A-Za-z][A-Za-z\-]*", text):
        sw = singular(w)
        if sw in GENERIC_UNITS and sw not in ("day", "week", "month", "hour", "night", "period", "unit", "course", "level"):
            return sw
    return "visit"


def find_quantity(text: str) -> Quantity | None:
    """The total requested amount an item states, by GOLD_FORMAT's rules.

    Precedence follows how a reader resolves a request: a leading count of the disputed thing ("Three
    refills of ...") first, then frequency x duration ("2 times a week for 6 weeks" -> 12 visits), a
    dispensed count ``#60`` (which beats a package size), ``x 12``, a counted noun ("6 sessions", "14 days
    rental", "7-10 days" -> 10), then a measure ("240 grams", "250ml"). Strengths ("550mg", "3%") never count.
    """
    t = text
    low = t.lower()
    # Every step reads a number: steps 3, 4 and 6 a digit (``\d``), the others a digit or a number word. An
    # item with neither (a sixth of those asked about: "Right knee arthroscopy", "Pre-operative labs") has
    # no quantity, and one without a digit is not searched with the digit patterns (half of them).
    has_digit = _ANY_DIGIT.search(t) is not None
    if not has_digit and t.isascii() and _no_number_word(low):
        return None
    # 1. A leading "<number> <noun> of ..." names what is counted ("Three refills of Voltaren 75mg #60").
    lead_re, counted_re = _quantity_res()
    lead = lead_re.match(t)
    if lead:
        n = parse_number(lead.group("n"))
        noun = singular(lead.group("noun"))
        if n is not None and noun in COUNT_NOUNS:
            return Quantity(n, noun, lead.start("n"), lead.end("noun"))

    # 2. Frequency x duration. Each pattern names its period: one whose word is not in the item cannot
    # match, and is not searched for (three long patterns, tried at every position of the item).
    for rx, unit, period in ((_FREQ_RE, "visit", ("week", "wk")), (_FREQ_WEEKLY_RE, "visit", ("week",)),
                             (_FREQ_MONTH_RE, "visit", ("month",))):
        if not any(w in low for w in period):
            continue
        m = rx.search(t)
        if m:
            total = _freq_total(m)
            if total:
                return Quantity(total, unit, m.start(), m.end())

    # 3. Dispensed count.
    m = _HASH_RE.search(t) if has_digit else None
    if m:
        return Quantity(float(m.group("n")) if "." in m.group("n") else int(m.group("n")), "count", m.start(), m.end())

    # 4. "2x6" (times per week x weeks) and "x 12".
    m = _NXM_RE.search(t) if has_digit else None
    if m and not _is_strength(t, m.end()):
        fa, da = int(m.group("fa")), int(m.group("da"))
        if 1 <= fa <= 7 and 1 <= da <= 52:
            return Quantity(fa * da, "visit", m.start(), m.end())
    m = _TIMES_N_RE.search(t) if has_digit else None
    if m:
        # "Trigger point injections x 4": the counted noun is the one before the "x".
        prev = re.search(r"([A-Za-z][A-Za-z\-]*)\s*$", t[: m.start()])
        unit = _context_unit(t)
        start = m.start()
        if prev and singular(prev.group(1)) in COUNT_NOUNS and prev.group(1).lower().endswith("s"):
            unit, start = singular(prev.group(1)), prev.start(1)
        return Quantity(int(m.group("n")), unit, start, m.end())

    # 5. A counted noun after a number or range ("6 sessions", "12-18 sessions", "14 days rental").
    for m in counted_re.finditer(t):
        a_end = m.end()
        if _is_strength(t, a_end):
            continue
        if re.match(r"\s*[-/]\s*\d", t[a_end:a_end + 3]):  # part of a date or a spinal level
            continue
        before = t[max(0, m.start() - 3):m.start()]
        if re.search(r"[A-Za-z]$", before.rstrip()) and before.endswith(("L", "C", "T", "S")):
            continue
        words = list(_WORD_RE.finditer(t, a_end))
        noun_words: list[re.Match[str]] = []
        for w in words[:4]:
            gap = t[(noun_words[-1].end() if noun_words else a_end):w.start()]
            if gap.strip(" ") not in ("",):
                break
            noun_words.append(w)
        if not noun_words:
            continue
        lowered = [w.group(0).lower() for w in noun_words]
        if lowered[0] in _STOP_AFTER_NUMBER:
            continue
        unit = None
        end = a_end
        for i, w in enumerate(lowered):
            s = singular(w)
            if s in COUNT_NOUNS:
                unit, end = s, noun_words[i].end()
                if s not in GENERIC_UNITS and i >= 1 and lowered[i - 1] not in _ADJ_BEFORE_NOUN:
                    # A thing, not a unit: its modifier is part of its name ("2 leg wraps" -> "leg wrap").
                    unit = f"{lowered[i - 1]} {s}"
                break
            if w not in _ADJ_BEFORE_NOUN and i >= 1:
                break
        if unit is None:
            # Not a known count noun: take the counted phrase as written ("2 leg wraps" -> "leg wrap").
            phrase = []
            for w in noun_words[:2]:
                if w.group(0).lower() in _STOP_AFTER_NUMBER:
                    break
                phrase.append(w)
            if not phrase or len(phrase[-1].group(0)) < 2:
                continue
            if phrase[0].group(0)[0].isupper() and not lowered[0].endswith("s"):
                continue  # "4 Pain Management" style: a name, not a count
            n_here = _num(m.group("b")) or _num(m.group("a")) or 0
            if n_here > 1 and not phrase[-1].group(0).lower().endswith("s"):
                continue  # counted things are plural: "Three phase bone scan" counts no phases
            unit = " ".join(w.group(0).lower() for w in phrase[:-1]) + (" " if len(phrase) > 1 else "") + singular(phrase[-1].group(0))
            end = phrase[-1].end()
        b = _num(m.group("b"))
        a = _num(m.group("a"))
        amount = b if b is not None else a
        if amount is None or amount <= 0:
            continue
        return Quantity(amount, unit, m.start(), end)

    # 6. A measure ("240 grams", "250ml").
    m = _MEASURE_RE.search(t) if has_digit else None
    if m:
        return Quantity(float(m.group("n")) if "." in m.group("n") else int(m.group("n")),
                        _UNIT_MAP[word_key(m.group("u"))], m.start(), m.end())
    return None


def parse_quantity(text: str) -> tuple[float, str] | None:
    q = find_quantity(text)
    return (q.amount, q.unit) if q else None


# ------------------------------------------------------------------------------------------------ limits

_LIMIT_NOUNS = r"(?:visits?|sessions?|treatments?|injections?|appointments?)"
_LIMIT_FILLER = r"(?:(?!(?:weeks?|days?|months?|years?|hours?|times?|per|of|over|a|the|and|or|to)\b)[a-z][a-z\-]*\s+)"
_LIMIT_RE = re.compile(
    rf"(?:(?P<upto>up to|a maximum of|maximum of|max(?:imum)?\.?|no more than|(?:should\s+)?(?:generally\s+)?not\s+(?:to\s+)?exceed|limited to)\s+)?"
    rf"(?:a total of\s+|total of\s+)?"
    rf"(?P<a>{_NUM})(?:\s*(?:-|to|–)\s*(?P<b>{_NUM}))?[-\s]*{_LIMIT_FILLER}{{0,2}}(?P<noun>{_LIMIT_NOUNS})\b"
    rf"(?P<per>\s*(?:per|a|/|each)\s*(?:week|wk|day|month))?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LimitMatch:
    min: int | None
    max: int | None
    unit: str
    start: int
    end: int
    per_period: bool
    bounded: bool = False  # stated as a bound: "up to", "no more than", "not exceed", "limited to"


_LIMIT_NOUN_RE = re.compile(rf"\b{_LIMIT_NOUNS}\b", re.IGNORECASE)
_LIMIT_NOUN_STEMS = ("visit", "session", "treatment", "injection", "appointment")
#: What a match of ``_LIMIT_RE`` starts with, lower case: a digit, the first three letters of a number
#: word, or of a bound or total phrase (these may start inside a word: "setup to 12 visits").
_LIMIT_START_STEMS = tuple(sorted(
    set("0123456789")
    | {w[:3] for w in NUMBER_WORDS_EN}
    | {w[:3] for w in ("up to", "a maximum of", "maximum of", "max", "no more than", "should", "generally", "not",
                       "limited to", "a total of", "total of")}))
_LIMIT_START_STEM_LEN = max(map(len, _LIMIT_START_STEMS))


#: The ASCII characters a match of ``_LIMIT_RE`` holds after its last number: ``[-\s]*`` and filler words
#: (``[a-z]`` case-insensitive, in ASCII text: the ASCII letters).
_LIMIT_TAIL_CHARS = "".join(c for c in map(chr, range(128)) if re.match(r"[-\sa-zA-Z]", c))


def _limit_noun_can_match(text: str, w0: int, noun_start: int) -> bool:
    """Whether a match of ``_LIMIT_RE`` that starts at ``w0`` or later can end with the noun at ``noun_start``
    (ASCII text). The match's last number stands inside ``text[w0:noun_start]`` and only hyphens, blanks and
    letters follow it up to the noun (:data:`_LIMIT_TAIL_CHARS`). So either the last other character before
    the noun is a digit inside the window (the end of a digit number), or a number word stands after it: a
    number word is letters, blanks and hyphens between word boundaries, so each of its parts is a whole
    blank- or hyphen-separated word of that stretch. A noun that fails both is not the noun of any match
    (more than half the nouns of a rationale, "the requested sessions", are not counted), and its window
    is not searched."""
    before = text[w0:noun_start]
    head = before.rstrip(_LIMIT_TAIL_CHARS)  # up to the last character that is not a hyphen, blank or letter
    if head and "0" <= head[-1] <= "9":
        return True
    tail = before[len(head):].lower().replace("-", " ").split()
    return not _NUMBER_WORD_PARTS.isdisjoint(tail)


def _limit_matches(text: str) -> list[re.Match[str]]:
    """The matches of ``_LIMIT_RE`` in ``text``, found from the nouns back (a scan of the whole text with
    the number-word alternation at every position is ~10x slower); same matches as a plain finditer.

    In ASCII text the nouns are looked for only where their words stand, a noun no match can end with is
    passed over (:func:`_limit_noun_can_match`), and in the window before a noun the pattern is tried
    only where a match can start (:data:`_LIMIT_START_STEMS`, found once for each stretch of overlapping
    windows), not at each of its ~150 positions: the same matches as ``finditer`` from the window's start
    (a third of the texts asked about have no noun)."""
    found: dict[int, re.Match[str]] = {}
    low = text.lower() if text.isascii() else None
    nouns = finditer_from_stems(_LIMIT_NOUN_RE, _LIMIT_NOUN_STEMS, text, low=low)
    if not nouns:
        return []
    n = len(text)
    starts = None
    if low is not None:
        nouns = [nm for nm in nouns if _limit_noun_can_match(text, max(0, nm.start() - 120), nm.start())]
        # The starts inside each stretch of overlapping windows, in order (one sorted list). Only the starts
        # up to a window's noun are tried (see below), and every stem lies wholly inside the match it starts:
        # a window's stems stand between its start and its noun's start plus the longest stem.
        starts = []
        s0 = e0 = -1
        for nm in nouns:
            w0, end = max(0, nm.start() - 120), min(n, nm.start() + _LIMIT_START_STEM_LEN)
            if w0 > e0:
                if e0 >= 0:
                    starts += stem_positions(_LIMIT_START_STEMS, low, start=s0, end=e0)
                s0 = w0
            e0 = end
        if e0 >= 0:
            starts += stem_positions(_LIMIT_START_STEMS, low, start=s0, end=e0)
    if starts is None:
        for nm in nouns:
            w0 = max(0, nm.start() - 120)
            for m in _LIMIT_RE.finditer(text, w0, min(n, nm.end() + 30)):
                if m.start("noun") == nm.start() and (m.start() > w0 or w0 == 0):
                    found.setdefault(m.start("noun"), m)
                    break
        return [found[k] for k in sorted(found)]
    match = _LIMIT_RE.match
    for nm in nouns:
        ns = nm.start()
        w0 = max(0, ns - 120)
        end = min(n, nm.end() + 30)
        # What ``matches_at`` gives, read only up to the match that ends with this noun: a match starts
        # before its noun, so none that starts after the noun (or after a match that ended past it) does.
        pos = w0
        for j in range(bisect_left(starts, w0), len(starts)):
            i = starts[j]
            if i > ns:
                break
            if i < pos:
                continue
            m = match(text, i, end)
            if m:
                if m.start("noun") == ns:
                    if i > w0 or w0 == 0:
                        found.setdefault(ns, m)
                    break
                pos = m.end()
    return [found[k] for k in sorted(found)]


_PAGE_BEFORE_LIMIT = re.compile(r"(?:Page\(?s?\)?|pp?\.|#)\s*:?\s*$", re.IGNORECASE)  # (compiled once)


@lru_cache(maxsize=256)
def find_limits(text: str) -> tuple[LimitMatch, ...]:
    """Every "<n>[-<m>] visits/sessions/treatments" phrase; ``per_period`` marks frequencies."""
    out = []
    for m in _limit_matches(text):
        if m.group("a").lower() in ("once", "twice", "thrice", "single", "a single"):
            continue  # adverbs of frequency, not counts ("once less invasive treatment has failed")
        a = _num(m.group("a"))
        b = _num(m.group("b"))
        if a is None:
            continue
        unit = singular(m.group("noun"))
        top = b if b is not None else a
        if top > 100 or (top > 1 and not m.group("noun").lower().endswith("s")):
            continue  # a year, a page or a drug count, not a number of visits
        if _PAGE_BEFORE_LIMIT.search(text[max(0, m.start() - 10):m.start()]):
            continue
        if b is not None:
            lo, hi = int(a), int(b)
        elif m.group("upto"):
            lo, hi = None, int(a)
        else:
            lo, hi = None, int(a)
        out.append(LimitMatch(lo, hi, unit, m.start(), m.end(), bool(m.group("per")), bool(m.group("upto"))))
    return tuple(out)


def parse_limit(text: str) -> tuple[int | None, int | None, str] | None:
    for lm in find_limits(text):
        if not lm.per_period:
            return (lm.min, lm.max, lm.unit)
    return None


# ------------------------------------------------------------------------------------------- text helpers


_NORM_WORD = re.compile(r"[a-z0-9]+")  # (compiled once: not looked up in re's cache per call)


@lru_cache(maxsize=4096)
def norm_words(text: str) -> str:
    """Case-folded words only: the comparison key for names and topics."""
    return " ".join(_NORM_WORD.findall(text.lower()))


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    """Letters and digits only, lower case: equality that ignores spacing, punctuation and hyphenation
    (a PDF line break can turn "electromyography" into "electro-myography")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


_SPECIALTY_PLUS = re.compile(
    r",?\s+(?:with|and\s+has|has)\s+(?:an?\s+)?(?:(?:added|sub-?specialty|additional)\s+(?:certification|qualification)s?"
    r"|sub-?specialty(?:\s+certification)?)\s+in\s+",
    re.IGNORECASE,
)


def specialty_value(text: str) -> str:
    """"Anesthesiology with added qualification in Pain Medicine" -> "Anesthesiology, Pain Medicine"."""
    return ", ".join(" ".join(p.split()) for p in _SPECIALTY_PLUS.split(text.strip(" .;,")) if p.strip())
