"""Text helpers shared by the checks: sentences, Markdown, language, counted numbers, treatment words.

Everything here is deterministic and works on plain strings with offsets, so that a finding can point at
the exact place in a letter or an explanation. Dates, ages, pages, quantities and number words are read
with :mod:`imrassist.parse` (the same functions the extractor uses); this module only decides *which*
number in a sentence is a count of *what*.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .. import knowledge
from ..letter import _FOOTER_RE, normalize_fragment  # (imported by .registry before this module in any case)
from ..parse import (
    NUMBER_TOKEN, NUMBER_TOKEN_ES, NUMBER_WORDS, find_pages, matches_at, parse_number, singular, stem_positions,
    word_alternation,
)
from .registry import per_call

# ------------------------------------------------------------------------------------------- sentences

# A sentence ends at a mark followed by white space and a capital, or at newlines: in effect
#     [.!?](?P<sp>["')\]]*\s+(?=["'(\[]?[A-Z0-9¿¡ÁÉÍÓÚÑ*_#-]))|\n+
# but written to start with one character class, not a branch: the regex engine then skips ahead, in C,
# to the candidate characters instead of trying the pattern at every position (three times faster on a
# letter; the lookbehinds only ask which character the class took). A sentence ends where group "sp"
# starts, after the mark.
_SENT_END = re.compile(r"[.!?\n](?:(?<=[.!?])(?P<sp>[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡ÁÉÍÓÚÑ*_#-]))|(?<=\n)\n*)")
_SP = _SENT_END.groupindex["sp"]


def spans_holding(low: str, spans: list[tuple[int, int]], words: tuple[str, ...],
                  within: list[tuple[int, int]] | None = None) -> set[int]:
    """The indices of the ``spans`` (in text order, disjoint) of ``low``, a lower-cased text, that hold one
    of ``words`` whole: found from where the words occur (a text has dozens or hundreds of sentences, a few
    of which hold one) rather than by testing every span for every word. ``within``: the ``[start, end)``
    stretches of the text to look in (all of it by default), each covering whole spans."""
    starts = [s for s, _ in spans]
    holding: set[int] = set()
    for a, b in within if within is not None else ((0, len(low)),):
        for w in words:
            i = low.find(w, a, b)
            while i >= 0:
                k = bisect_right(starts, i) - 1  # the span starting last at or before the word
                if k >= 0 and i + len(w) <= spans[k][1]:
                    holding.add(k)
                i = low.find(w, i + 1, b)
    return holding


def holds_match(rx: re.Pattern[str], words: tuple[str, ...], text: str, low: str | None = None) -> bool:
    """``rx.search(text) is not None`` for a case-insensitive pattern every match of which holds one of
    ``words`` (lower case): an ASCII text that holds none of them is not searched (an alternation is tried
    at every position, and most sentences and names hold none). ``low``: ``text.lower()`` of an ASCII
    ``text``, when the caller holds it. Other text is always searched: there case-insensitive matching is
    more than lower-casing ("ſ" matches "s")."""
    if low is None and text.isascii():
        low = text.lower()
    if low is not None:
        # (a loop that stops at the first word found: any() over a generator costs a frame and a step
        # per word for the same answer, on the 50-odd sentences and names a letter asks this of)
        for w in words:
            if w in low:
                break
        else:
            return False
    return rx.search(text) is not None


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text[start:end]`` (a newline always ends one)."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    # A sentence that ends at a mark ends with it (no white space to strip at its end), and the next one
    # starts where the mark's gap ends, at the character the lookahead saw (no white space either): such
    # a sentence is its span as it stands, without copying it to strip it.
    clean = False  # (whether pos is such a start)
    for m in _SENT_END.finditer(text, start, end):
        stop = m.start(_SP)  # (-1 when the sentence ends at a newline)
        if stop >= 0:
            if clean:
                out.append((pos, stop))
            else:
                out.append((stop - len(text[pos:stop].lstrip()), stop))
            clean = True
        else:
            stop = m.start()
            # The sentence without the white space around it (str.strip's white space is str.isspace's).
            body = text[pos:stop].lstrip()
            if body:
                s = stop - len(body)
                out.append((s, s + len(body.rstrip())))
            clean = False
        pos = m.end()
    body = text[pos:end].lstrip()
    if body:
        s = end - len(body)
        out.append((s, s + len(body.rstrip())))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Blocks separated by blank lines (Markdown paragraphs), as spans."""
    out = []
    pos = 0
    for m in re.finditer(r"\n[ \t]*\n+", text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


# -------------------------------------------------------------------------------------------- markdown

_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\n]*)\)")
_MD_MARKS = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,2}[.)][ \t]+)|\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`+")


_MD_LINE = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,2}[.)][ \t]+)")
_MD_LINE_HINT = re.compile(r"\n(?=[ \t]*[#>*+\-\d])")
_MD_INLINE = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`+")
_MD_CHARS = re.compile(r"[*_`]")


def _md_spans(text: str) -> list[tuple[int, int]]:
    """The spans :data:`_MD_MARKS` finds, found faster: its line-start part tried at line starts only, its
    inline part only where one of its characters stands (same matches, same order)."""
    spans: list[tuple[int, int]] = []
    # (a line's mark starts with one of "#>-*+" or a digit, after blanks: only such lines are tried)
    for ls in [0] + [m.start() + 1 for m in _MD_LINE_HINT.finditer(text)]:
        m = _MD_LINE.match(text, ls)
        if m and m.end() > m.start():
            spans.append((m.start(), m.end()))
    if "*" in text or "_" in text or "`" in text:
        taken = {s: e for s, e in spans}
        pos = 0
        for c in _MD_CHARS.finditer(text):
            i = c.start()
            if i < pos:
                continue
            if i in taken:
                pos = taken[i]
                continue
            m = _MD_INLINE.match(text, i)
            if m:
                spans.append((m.start(), m.end()))
                pos = m.end()
        spans.sort()
    return spans


def strip_markdown(text: str) -> str:
    """The text with Markdown syntax blanked out, character for character (offsets are unchanged)."""
    spans: list[tuple[int, int]] = []
    if "[" in text:
        for m in _MD_LINK.finditer(text):
            spans.append((m.start(), m.start() + 1))
            spans.append((m.end(1), m.end()))
    spans += _md_spans(text)
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for s, e in spans:
        s = max(s, pos)
        if e <= s:
            continue
        out.append(text[pos:s])
        piece = text[s:e]
        out.append(" " * len(piece) if "\n" not in piece else re.sub(r"[^\n]", " ", piece))
        pos = e
    out.append(text[pos:])
    return "".join(out)


_HEADING_LINE = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+.*$")


def heading_lines(text: str) -> list[tuple[int, int]]:
    """Spans of Markdown heading lines (``# ...``): what ``_HEADING_LINE.finditer(text)`` gives, with the
    pattern tried only at the start of each line that holds a "#" (a match is one line, from its start;
    a pattern that starts with ``^`` is otherwise tried at every position of the text)."""
    out = []
    i = text.find("#")
    while i >= 0:
        m = _HEADING_LINE.match(text, text.rfind("\n", 0, i) + 1)
        if m:
            out.append(m.span())
        nl = text.find("\n", i)
        if nl < 0:
            break
        i = text.find("#", nl + 1)
    return out


# -------------------------------------------------------------------------------------------- language

_ES_WORDS = frozenset(
    "el la los las de del que y en por para usted su sus es fue se una un con no lo al como pero más este esta "
    "dijo pidió médico decisión revisión tratamiento días trabajo".split()
)
_EN_WORDS = frozenset(
    "the and of to you your is was for that with on in it this be are as by an have from not doctor decision "
    "review treatment days work asked".split()
)


def detect_lang(text: str) -> str:
    """``"es"`` when Spanish function words outnumber English ones, else ``"en"``."""
    words = re.findall(r"[a-záéíóúñü]+", text.lower())
    es = sum(1 for w in words if w in _ES_WORDS)
    en = sum(1 for w in words if w in _EN_WORDS)
    return "es" if es > en else "en"


def fold(text: str) -> str:
    """Lower case without accents (``Médico`` -> ``medico``), same length for Latin text."""
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


# ----------------------------------------------------------------------------------------------- dates

#: Every date the date patterns read holds a 4-digit year or a numeric d/d/d (10/19/12, 1-12-17).
_DIGIT_RUN = re.compile(r"\d+")
_NUMERIC_DATE = re.compile(r"\d[/.\-]\d{1,2}[/.\-]\d")
_NON_SPACE = re.compile(r"\S*")


def _digit_runs(text: str) -> list[tuple[int, int]]:
    """The spans of the runs of digits of ``text``, found once per check run: the dates, the counts and the
    frequencies of a text all start from them (a letter has hundreds). Read-only."""
    return per_call(("common.digit_runs", text), lambda: _find_digit_runs(text))


#: Every byte to a space, but the digits to "0" (see :func:`_find_digit_runs`).
_DIGIT_MASK = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))


def _find_digit_runs(text: str) -> list[tuple[int, int]]:
    """The spans ``_DIGIT_RUN.finditer(text)`` gives. The regex engine tests each character of a letter
    for a digit (``\\d`` is a Unicode test), which is most of the time it takes; a text of Latin-1
    characters, whose only digits are 0-9, is instead mapped to digits and spaces by one byte table, and
    its runs are found with ``bytes.find`` (a run's end is the next space). Other texts may hold digits
    of other scripts, which ``\\d`` finds: the pattern reads those."""
    try:
        mask = text.encode("latin-1").translate(_DIGIT_MASK)
    except UnicodeEncodeError:
        return [m.span() for m in _DIGIT_RUN.finditer(text)]
    out = []
    find = mask.find
    s = find(b"0")
    while s >= 0:
        e = find(b" ", s)
        if e < 0:
            out.append((s, len(mask)))
            break
        out.append((s, e))
        s = find(b"0", e)
    return out


def _digit_starts(text: str) -> list[int]:
    """The starts of :func:`_digit_runs` (once per check run, like them). Read-only."""
    return per_call(("common.digit_starts", text), lambda: [s for s, _ in _digit_runs(text)])


def dates_in(text: str, *, dmy: bool = False) -> list:
    """:func:`imrassist.parse.find_dates` run only around the years and numeric dates of ``text`` (every
    date has one): the same dates, without scanning long stretches of prose with the month-name patterns."""
    from ..parse import DateMatch, find_dates

    out = []
    for a, b in _date_windows(text):
        for d in find_dates(text[a:b], dmy=dmy):
            out.append(DateMatch(d.start + a, d.end + a, d.date, d.text, d.style) if a else d)
    return out


def _date_windows(text: str) -> list[list[int]]:
    """The stretches of ``text`` :func:`dates_in` reads: from 40 characters before each year or numeric
    date (moved back to a word start) to 14 after it (moved on to white space or the end), joined where
    they meet."""
    windows: list[list[int]] = []
    n = len(text)
    for s0, e0 in _digit_runs(text):
        # (a numeric date goes on from the run's last digit with one of "/.-": only then is it tried)
        if not (e0 - s0 == 4 and text[s0:s0 + 2] in ("19", "20")
                or e0 < n and text[e0] in "/.-" and _NUMERIC_DATE.match(text, e0 - 1)):
            continue
        b = _NON_SPACE.match(text, min(n, e0 + 14)).end()  # (\S is what str.isspace is not)
        a = s0 - 40
        # The last window ends at white space (or at the end of the text). A window that starts at or
        # before that end joins it, wherever its word starts; one that starts after it, moved back to
        # its word's start, still starts after it: the start is only looked for then.
        if windows and a <= windows[-1][1]:
            if b > windows[-1][1]:
                windows[-1][1] = b
            continue
        if a <= 0:
            a = 0
        while a > 0 and not text[a - 1].isspace():  # start at a word boundary ("Amar 19" is not "mar 19")
            a -= 1
        windows.append([a, b])
    return windows


# ----------------------------------------------------------------------------------------------- pages

_ES_PAGES_RE = re.compile(r"\b(?:p[áa]ginas?|p[áa]gs?\.)\s*:?\s*(?P<list>\d{1,3}(?:\s*(?:-|a|,|y)\s*\d{1,3})*)", re.IGNORECASE)


_ES_PAGE_WORD = re.compile(r"pag(?:ina|s?\.)")


def page_refs(text: str) -> list[tuple[list[int], int, int]]:
    """Page references in English (:func:`imrassist.parse.find_pages`) and Spanish (``página 60``)."""
    low = text.lower()
    if "p." not in low and "pp" not in low and "page" not in low and "pg" not in low and "pág" not in low and "pag" not in low:
        return []  # every page reference has one of these
    hits = list(find_pages(text))
    taken = [(s, e) for _, s, e in hits]
    # (every Spanish reference has one of these: an English text is not scanned with the Spanish pattern;
    # "pagina", "pag." and "pags." are looked for in one scan, where "pag" stands)
    spanish = "pág" in low or _ES_PAGE_WORD.search(low) is not None
    for m in _ES_PAGES_RE.finditer(text) if spanish else ():
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        nums = [int(x) for x in re.findall(r"\d{1,3}", m.group("list"))]
        if nums:
            hits.append((nums, m.start(), m.end()))
    hits.sort(key=lambda h: h[1])
    return hits


# ------------------------------------------------------------------------------------------ counts

#: Counted nouns -> comparison key. Session, visit, treatment and appointment count the same thing.
_NOUN_KEYS_EN = {
    "session": "visit", "visit": "visit", "treatment": "visit", "appointment": "visit",
    "day": "day", "week": "week", "month": "month", "year": "year", "hour": "hour", "minute": "minute",
    "mm": "mm", "millimeter": "mm", "millimetre": "mm", "cm": "cm", "centimeter": "cm",
    "mg": "mg", "milligram": "mg", "mcg": "mcg", "ml": "ml", "gram": "gram", "g": "gram",
    "%": "%", "percent": "%", "degree": "degree", "time": "time", "refill": "refill", "tablet": "tablet",
    "capsule": "capsule", "pill": "tablet", "patch": "patch", "injection": "injection", "shot": "injection",
    "x-ray": "x-ray", "level": "level", "item": "item", "request": "item", "pound": "pound", "lb": "pound",
    "lbs": "pound", "report": "report", "area": "area", "body part": "area", "phase": "phase",
}
_NOUN_KEYS_ES = {
    "sesion": "visit", "sesiones": "visit", "visita": "visit", "visitas": "visit", "tratamiento": "visit",
    "tratamientos": "visit", "cita": "visit", "citas": "visit", "dia": "day", "dias": "day",
    "semana": "week", "semanas": "week", "mes": "month", "meses": "month", "ano": "year", "anos": "year",
    "hora": "hour", "horas": "hour", "minuto": "minute", "minutos": "minute", "mm": "mm", "milimetros": "mm",
    "milimetro": "mm", "cm": "cm", "mg": "mg", "ml": "ml", "gramo": "gram", "gramos": "gram", "%": "%",
    "grado": "degree", "grados": "degree", "vez": "time", "veces": "time", "inyeccion": "injection",
    "inyecciones": "injection", "nivel": "level", "niveles": "level", "punto": "item", "puntos": "item",
    "solicitud": "item", "solicitudes": "item", "libra": "pound", "libras": "pound", "informe": "report",
    "informes": "report", "repeticion": "refill", "repeticiones": "refill", "resurtido": "refill",
    "resurtidos": "refill", "tableta": "tablet", "tabletas": "tablet", "parche": "patch", "parches": "patch",
}
#: Words that may stand between a number and its noun ("6 physical therapy visits", "30-day home trial").
_BETWEEN_EN = frozenset(
    "more additional physical therapy chiropractic acupuncture massage follow-up followup office initial "
    "post-op postoperative post-operative occupational aquatic psychotherapy supervised home prior previous "
    "total separate push myofascial release trigger point epidural facet steroid pool land-based disc "
    "consecutive working business calendar weekly monthly daily individual chiro pt outpatient in-person "
    "electrodiagnostic medical rehab rehabilitation completed attended authorized approved requested".split()
)
_BETWEEN_ES = frozenset(
    "mas adicionales adicional de terapia fisica quiropractica acupuntura masaje iniciales inicial previas "
    "previos total habiles calendario".split()
)
_TIME_NOUNS = {"day", "week", "month", "year"}


def _number_words(lang: str) -> list[str]:
    en_parts = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty", "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "a",
                "dozen", "single"}
    out = []
    for w in NUMBER_WORDS:
        is_en = all(p in en_parts for p in re.split(r"[\s-]+", w))
        if lang == "en" and is_en and w not in ("a dozen", "dozen", "single", "a single", "a hundred"):
            out.append(w)
        elif lang == "es" and not is_en:
            out.append(w)
    return sorted(out, key=len, reverse=True)


@lru_cache(maxsize=4)
def _count_re(lang: str) -> re.Pattern[str]:
    words = word_alternation(_number_words(lang), separator=r"[\s-]+")  # (a trie: see its docstring)
    num = rf"(?:\d+(?:\.\d+)?|(?:{words}))"
    link = r"(?:-|–|to|or|and)" if lang == "en" else r"(?:-|–|a|o|y)"
    return re.compile(
        rf"(?<![\w./#$%-])(?P<a>{num})(?:\s*{link}\s*(?P<b>{num}))?(?P<glued>mm|cm|mg|mcg|ml|g|%)?(?![\w]|\.\d)",
        re.IGNORECASE,
    )


@lru_cache(maxsize=4)
def _first_number_words(lang: str) -> frozenset[str]:
    return frozenset(re.split(r"[\s-]+", w)[0] for w in _number_words(lang))


_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def _count_matches(text: str, lang: str) -> list[re.Match[str]]:
    """The number phrases of :func:`_count_re`, tried only where a digit or a number word starts (the
    pattern's alternation of number words is slow to scan a whole text with)."""
    return matches_at(_count_re(lang), text, _number_starts(text, lang))


_LETTER = re.compile(r"[^\W\d_]")


def _number_starts(text: str, lang: str) -> list[int]:
    """Where a token (a run of digits or of letters) that is a digit run or a number word starts, in order:
    digit runs by one scan, number words by looking up only the words that occur at all."""
    return _token_starts(text, _first_number_words(lang))


def _token_starts(text: str, firsts: frozenset[str]) -> list[int]:
    """Where a token (a run of digits, or of letters) starts that is a digit run or one of ``firsts``."""
    # (ASCII lower-cases character for character: only another text is lower-cased to see whether it does)
    if not text.isascii() and len(text.lower()) != len(text):  # a character that changes length: token by token
        return [t.start() for t in _TOKEN.finditer(text) if t.group(0)[0].isdigit() or t.group(0).lower() in firsts]
    # The counts and the frequencies of one text look for nearly the same words: within a check run the
    # text is scanned once for all of a language's (_FIRSTS_BY_LANG) and each caller keeps its own.
    group = _firsts_group(firsts)
    if group is None:
        digits, words = _number_tokens(text, firsts)
    else:
        digits, words = per_call(("common.token_starts", group, text), lambda: _number_tokens(text, group))
    starts = digits + [i for i, w in words if w in firsts]
    starts.sort()
    return starts


@lru_cache(maxsize=16)
def _firsts_group(firsts: frozenset[str]) -> frozenset[str] | None:
    """The word set of :data:`_FIRSTS_BY_LANG` that holds ``firsts`` (a language's), or None."""
    return next((g for g in _FIRSTS_BY_LANG if firsts <= g), None)


@lru_cache(maxsize=8)
def _word_run_re(words: frozenset[str]) -> re.Pattern[str]:
    """Any of ``words`` (lower case) that ends where its run of letters ends. Written as a trie that starts
    with a letter, so that the regex engine skips, in C, every position no word starts with (instead of
    a Python step per word of the text)."""
    return re.compile(rf"(?:{word_alternation(words)})(?![^\W\d_])")


#: Every byte to a space, but the letters (``[^\W\d_]``, in Latin-1) to themselves (see _number_tokens).
_LETTER_MASK = bytes(b if _LETTER.match(chr(b)) else 0x20 for b in range(256))


@lru_cache(maxsize=8)
def _masked_word_re(words: frozenset[str]) -> re.Pattern[bytes] | None:
    """:func:`_word_run_re` for a text whose bytes are masked by :data:`_LETTER_MASK` and padded with a
    space: a space, one of ``words``, a space (not consumed). None if a word is not Latin-1."""
    try:
        return re.compile(b" (?:" + word_alternation(words).encode("latin-1") + b")(?= )")
    except UnicodeEncodeError:
        return None


def _number_tokens(text: str, words: frozenset[str]) -> tuple[list[int], list[tuple[int, str]]]:
    """The starts of the digit runs of ``text``, and of its runs of letters that are one of ``words``
    (lower case), with the word. (The caller has made sure that lower-casing keeps every offset.)

    In a Latin-1 text, every character but the letters is first masked to a space (one byte table): a
    word that is a whole run of letters is then a space, the word and a space, a pattern that starts with
    one character, which the regex engine looks for in C. (The trie of :func:`_word_run_re` starts with
    any of a dozen common letters: it is tried at nearly every other character of a letter.)"""
    digits = _digit_starts(text)
    found = []
    if words:
        low = text.lower()
        rx = _masked_word_re(words)
        if rx is not None:
            try:
                masked = b" " + low.encode("latin-1").translate(_LETTER_MASK) + b" "
            except UnicodeEncodeError:
                rx = None
        if rx is not None:
            # (the padding space stands before the text: a match's start is its word's offset in the text)
            return digits, [(m.start(), m.group()[1:].decode("latin-1")) for m in rx.finditer(masked)]
        for m in _word_run_re(words).finditer(low):
            # The pattern also finds a word at the end of a longer one ("ten" of "often"): keep whole runs.
            # (Such a match ends where its run ends, so it never hides the start of the next run.)
            if m.start() == 0 or not _LETTER.match(low, m.start() - 1):
                found.append((m.start(), m.group()))
    return digits, found


@dataclass(frozen=True, slots=True)
class Count:
    """A counted amount in a text: ``values`` (one, or both ends of a range) of ``noun`` (a key)."""

    values: tuple[float, ...]
    noun: str
    start: int  # the number
    end: int  # the end of the noun
    num_start: int
    num_end: int
    text: str
    word: str  # the noun as written


@lru_cache(maxsize=4096)  # (the words after the numbers of every letter: a short list that comes back)
def _noun_key(word: str, lang: str) -> str | None:
    w = fold(word)
    if lang == "es":
        if w in _NOUN_KEYS_ES:
            return _NOUN_KEYS_ES[w]
        return _NOUN_KEYS_EN.get(w) if w in ("mm", "cm", "mg", "ml", "%") else None
    if w in _NOUN_KEYS_EN:
        return _NOUN_KEYS_EN[w]
    s = singular(w)
    return _NOUN_KEYS_EN.get(s)


@lru_cache(maxsize=4096)  # (number tokens: "6", "six", "twenty-four"; the same ones come back)
def _number(token: str, lang: str) -> float | None:
    # parse.NUMBER_WORDS maps "once" to 1 (English); in Spanish it is eleven.
    if lang == "es" and token.strip().lower() == "once":
        return 11
    return parse_number(token)


_ES_AGE_BEFORE = re.compile(r"(?:hombre|mujer|persona|trabajador|trabajadora|paciente|tiene|tenia|edad)\s+(?:de\s+)?$")


def spanish_age(text: str, start: int, end: int) -> bool:
    """Whether "<n> años" at ``text[start:end]`` is an age ("un hombre de 33 años", "33 años de edad") and not
    a length of time ("más de cinco años de práctica")."""
    return bool(_ES_AGE_BEFORE.search(fold(text[max(0, start - 30):start]))
                or re.match(r"\s*de\s+edad", fold(text[end:end + 12])))


class _Spans:
    """Spans that a position range may overlap, looked up by bisection rather than one by one."""

    def __init__(self, spans: list[tuple[int, int]]):
        ordered = sorted(spans)
        self.starts = [s for s, _ in ordered]
        self.max_end: list[int] = []  # the largest end among the spans up to each one (they may overlap)
        top = -1
        for _, e in ordered:
            top = max(top, e)
            self.max_end.append(top)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span (s, e) has s < end and start < e."""
        k = bisect_left(self.starts, end)  # the spans that start before ``end``
        return k > 0 and self.max_end[k - 1] > start


_WORD_AFTER = re.compile(r"[\s-]*([A-Za-zÀ-ÿ%][A-Za-zÀ-ÿ'/-]*)")
#: Just before a number: a letter (part of a word, "x12") or a spinal level ("L4-5", "C 5"). (Compiled once:
#: find_counts tries it at every number of a letter.)
_GLUED_BEFORE = re.compile(r"[A-Za-z]$|[LCTS]\s?$")
_AGE_TAIL = re.compile(r"[\s-]*(?:old|of age)\b")


def find_counts(text: str, lang: str = "en", *, skip: list[tuple[int, int]] | None = None) -> list[Count]:
    """Every "<number>[-<number>] <counted noun>" in ``text`` (digits or words, English or Spanish).

    Numbers inside ``skip`` spans (dates, pages, case numbers) are ignored, as are ages ("33-year-old"),
    spinal levels ("L4-5") and numbers that are not followed (within three modifier words) by a noun that
    counts something (:data:`_NOUN_KEYS_EN`).
    """
    skipped = _Spans(skip) if skip else None
    between = _BETWEEN_EN if lang == "en" else _BETWEEN_ES
    out: list[Count] = []
    for m in _count_matches(text, lang):
        start, stop = m.span()
        if skipped is not None and skipped.overlaps(start, stop):
            continue
        if start and _glued_before(text, start):
            continue
        # (The noun first: most numbers of a letter count nothing, and need not be read.)
        noun = word = None
        end = stop
        glued = m.group("glued")
        if glued:
            noun, word = _noun_key(glued, "en"), glued
        else:
            pos = stop
            for _ in range(4):
                wm = _WORD_AFTER.match(text, pos)
                if not wm:
                    break
                w = wm.group(1).rstrip("'/-")
                key = _noun_key(w, lang)
                if key:
                    noun, word, end = key, w, wm.start(1) + len(w)
                    break
                if fold(w) not in between:
                    break
                pos = wm.end()
        if noun is None:
            continue
        first, second = m.group("a", "b")
        a = _number(first, lang)
        if a is None:
            continue
        b = _number(second, lang) if second else None
        values = (a,) if b is None else (a, b)
        if noun == "year" and _AGE_TAIL.match(text[end:end + 12].lower()):
            continue  # an age: checked as a demographic
        if lang == "es" and noun == "year" and spanish_age(text, start, end):
            continue  # "un hombre de 33 años": an age
        if fold(first) in ("un", "una") and noun not in _TIME_NOUNS:
            continue  # Spanish article, not a number
        out.append(Count(values, noun, start, end, start, stop, text[start:end], word or ""))
    return out


_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _glued_before(text: str, start: int) -> bool:
    """``_GLUED_BEFORE.search(text[start - 2:start])`` (``start`` > 0), by looking at the two characters:
    the pattern ends at the end of the slice, or before a newline that ends it ("$"), with an ASCII
    letter, or with L, C, T or S and one white space character (``\s`` is ``str.isspace``)."""
    c = text[start - 1]
    if c in _ASCII_LETTERS:
        return True
    if start < 2 or not c.isspace():
        return False
    p = text[start - 2]
    return p in "LCTS" or c == "\n" and p in _ASCII_LETTERS


# ------------------------------------------------------------------------------------------ frequency


@dataclass(frozen=True)
class Frequency:
    """A "frequency x duration" phrase: ``per`` times per ``period`` for ``duration`` ``unit``s
    ("2 times a week for 6 weeks", "twice weekly for six weeks", "2X4", "3 veces por semana durante 4 semanas")."""

    per: tuple[float, ...]
    period: str  # "week" or "month"
    duration: tuple[float, ...]
    unit: str  # "week" or "month"
    start: int
    end: int

    @property
    def totals(self) -> tuple[float, ...]:
        """The visit totals it asks for (both ends of a range: "2-3 times a week for 4 weeks" -> 8, 12)."""
        lo = min(self.per) * min(self.duration)
        hi = max(self.per) * max(self.duration)
        return (lo,) if lo == hi else (lo, hi)


_RANGE_LINK = {"en": r"(?:-|–|to|or)", "es": r"(?:-|–|a|o)"}


@lru_cache(maxsize=2)
def _freq_res(lang: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The frequency phrase pattern and the "2X4" pattern of a language."""
    head, tail = _freq_parts(lang)
    phrase = re.compile(head + tail, re.IGNORECASE)
    nxm = re.compile(r"(?<![\w./-])(?P<fa>[1-7])\s*[x×]\s*(?P<da>\d{1,2})(?![\w.%/-]|\s*(?:mg|mcg|ml|cm|mm)\b)", re.IGNORECASE)
    return phrase, nxm


@lru_cache(maxsize=2)
def _freq_tail(lang: str) -> re.Pattern[str]:
    """The frequency phrase from its period word on ("week for 6 weeks"; see :func:`frequencies`)."""
    return re.compile(_freq_parts(lang)[1], re.IGNORECASE)


def _freq_parts(lang: str) -> tuple[str, str]:
    """The frequency phrase pattern of a language as two parts: up to its period word, and from there."""
    n = NUMBER_TOKEN if lang == "en" else NUMBER_TOKEN_ES
    link = _RANGE_LINK[lang]
    num = rf"(?P<fa>{n})(?:\s*{link}\s*(?P<fb>{n}))?"
    dur = rf"(?P<da>{n})(?:\s*{link}\s*(?P<db>{n}))?"
    if lang == "en":
        head = rf"(?<![\w.]){num}\s*(?:x|times?|visits?|sessions?|treatments?)?\s*(?:/|an?|per|each|every)?\s*"
        tail = (rf"(?P<period>week|wk|month)(?:ly)?\s*,?\s*(?:for|x|×|over|during|times)\s*(?:a\s+(?:total|period)\s+of\s+|the\s+next\s+)?"
                rf"{dur}\s*(?P<unit>weeks?|wks?|months?)\b")
    else:
        head = rf"(?<![\w.]){num}\s*(?:veces|vez|sesiones|visitas|tratamientos)?\s*(?:a\s+la|al|por|cada|por\s+la)?\s*"
        tail = (rf"(?P<period>semana(?:l(?:es)?)?|mes|mensual(?:es)?)\s*,?\s*(?:durante|por|x|×|en)\s*(?:un\s+total\s+de\s+|las\s+pr[oó]ximas\s+)?"
                rf"{dur}\s*(?P<unit>semanas?|meses|mes)\b")
    return head, tail


#: The words a period of :func:`_freq_res` starts with (lower case).
_PERIOD_STEMS = {"en": ("week", "wk", "month"), "es": ("semana", "mes", "mensual")}


@lru_cache(maxsize=2)
def _freq_firsts(lang: str) -> frozenset[str]:
    """First words of the number words a frequency may start with ("twice", "three", "a" of "a dozen")."""
    from ..parse import NUMBER_WORDS_EN, NUMBER_WORDS_ES

    words = NUMBER_WORDS_EN if lang == "en" else NUMBER_WORDS_ES
    return frozenset(re.split(r"[\s-]+", w)[0] for w in words)


#: Per language, every first word of a number phrase the counts or the frequencies look for.
_FIRSTS_BY_LANG = (_first_number_words("en") | _freq_firsts("en"), _first_number_words("es") | _freq_firsts("es"))


class StemScan:
    """``rx.finditer`` for a pattern every match of which starts with one of ``stems`` (lower case; the
    pattern is case-insensitive): the stems are found with ``str.find`` and the pattern is tried there
    only, which is many times faster than letting the regex engine try every position of a long text."""

    def __init__(self, rx: re.Pattern[str], stems: tuple[str, ...], text: str, start: int = 0, end: int | None = None):
        """With ``start`` and ``end``, only the matches inside ``text[start:end]`` are wanted: the stems are
        looked for there only (a caller that needs a few sentences of a long text does not pay for all of
        it). A match lies inside the region, so its stem does too."""
        self.rx = rx
        self.text = text
        end = len(text) if end is None else end
        low = text[start:end].lower() if start or end < len(text) else text.lower()
        self.starts = list(range(start, end)) if len(low) != end - start else stem_positions(stems, low, start)

    def finditer(self, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
        return matches_at(self.rx, self.text, self.starts[bisect_left(self.starts, start):], end)


def frequencies(text: str, lang: str = "en") -> list[Frequency]:
    """Every frequency x duration phrase of ``text`` (digits or words; "2X4" is 2 a week for 4 weeks)."""
    lang = "es" if lang == "es" else "en"
    phrase, nxm = _freq_res(lang)
    out: list[Frequency] = []
    low = text.lower()
    # Every phrase names its period and duration (week, wk, month; semana, mes), and a phrase can start
    # with "a" only as "a dozen", "a single" or "a hundred".
    if ("week" in low or "wk" in low or "month" in low) if lang == "en" else ("semana" in low or "mes" in low):
        firsts = _freq_firsts(lang)
        if lang == "en" and not ("dozen" in low or "single" in low or "hundred" in low):
            firsts = firsts - {"a"}
        if text.isascii():
            # A phrase goes on from its period as ``tail`` does ("week for 6 weeks"): it starts before a period
            # word where ``tail`` matches. A letter names weeks and months often, a frequency rarely: the long
            # pattern is not tried at each of its numbers (``tail`` is, at each period word). (In ASCII text
            # only: elsewhere a case-insensitive "s" is also "ſ", which lower-casing leaves as it is.)
            tail = _freq_tail(lang)
            last = max((p for p in stem_positions(_PERIOD_STEMS[lang], low) if tail.match(text, p)), default=-1)
            starts = _token_starts(text, firsts) if last >= 0 else []
            starts = starts[:bisect_left(starts, last)]
        else:
            starts = _token_starts(text, firsts)
    else:
        starts = []
    for m in matches_at(phrase, text, starts):
        per = tuple(v for v in (_number(m.group("fa"), lang), _number(m.group("fb"), lang) if m.group("fb") else None) if v is not None)
        dur = tuple(v for v in (_number(m.group("da"), lang), _number(m.group("db"), lang) if m.group("db") else None) if v is not None)
        if not per or not dur:
            continue
        period = "month" if fold(m.group("period")).startswith(("mo", "mes", "mens")) else "week"
        unit = "month" if fold(m.group("unit")).startswith(("mo", "mes")) else "week"
        out.append(Frequency(per, period, dur, unit, m.start(), m.end()))
    # "2X4" starts with a run of one digit, 1-7 (not after a word character, and before "x"): it is tried
    # there only, among the text's digit runs (found once per check run; a scan of the text for a digit
    # and an x would take longer than that), in a text that holds an "x" or "×" at all (the pattern's
    # "[x×]" takes no other character, in any case).
    if "x" in low or "×" in text:
        single = [s for s, e in _digit_runs(text) if e - s == 1 and text[s] in "1234567"]
    else:
        single = []
    for m in matches_at(nxm, text, single):
        if any(f.start <= m.start() < f.end for f in out):
            continue
        da = int(m.group("da"))
        if 1 <= da <= 52:
            out.append(Frequency((float(m.group("fa")),), "week", (float(da),), "week", m.start(), m.end()))
    out.sort(key=lambda f: f.start)
    return out


# -------------------------------------------------------------------------------------------- body parts

#: Where a treatment is given. A phrase's regions contradict an item's when the two sets do not meet.
_REGION_WORDS: list[tuple[str, frozenset[str]]] = [
    (r"low(?:er)?\s+back|lumbo-?sacral|lumbar|espalda\s+baja|parte\s+baja\s+de\s+la\s+espalda|zona\s+lumbar|sacro|sacral", frozenset({"lumbar"})),
    (r"upper\s+back|parte\s+alta\s+de\s+la\s+espalda", frozenset({"thoracic", "cervical"})),
    (r"mid(?:dle)?[-\s]back|thoracic|dorsal|tor[aá]cic[oa]", frozenset({"thoracic"})),
    (r"neck|cervical|cuello", frozenset({"cervical"})),
    (r"back|espalda", frozenset({"lumbar", "thoracic"})),
    (r"spine|spinal|columna|vertebral", frozenset({"lumbar", "thoracic", "cervical"})),
    (r"shoulders?|hombros?|rotator\s+cuff|manguito\s+rotador", frozenset({"shoulder"})),
    (r"knees?|rodillas?|menisc\w*|patell\w*|r[oó]tula", frozenset({"knee"})),
    (r"hips?|caderas?", frozenset({"hip"})),
    (r"elbows?|codos?", frozenset({"elbow"})),
    (r"wrists?|mu[nñ]ecas?|carpal", frozenset({"wrist", "hand"})),
    (r"hands?|manos?|fingers?|dedos?|thumbs?|pulgar", frozenset({"hand", "wrist"})),
    (r"ankles?|tobillos?", frozenset({"ankle", "foot"})),
    (r"feet|foot|pies?|heels?|tal[oó]n|plantar", frozenset({"foot", "ankle"})),
]
_REGION_RE = re.compile(r"\b(?:" + "|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(_REGION_WORDS)) + r")\b", re.IGNORECASE)
_LEVEL_RE = re.compile(r"\b(?P<c>C[1-8])(?:\s*[-/]\s*(?:C?[1-8]|T1))?\b|\b(?P<l>L[1-5])(?:\s*[-/]\s*(?:L?[1-5]|S1))?\b"
                       r"|\b(?P<t>T(?:1[0-2]|[1-9]))\s*[-/]\s*(?:T?(?:1[0-2]|[1-9])|L1)\b")
_VAGUE_RE = re.compile(r"spine|spinal|columna|vertebral|back|espalda", re.IGNORECASE)
_SPINE = frozenset({"lumbar", "thoracic", "cervical"})
_SIDE_RE = re.compile(r"\b(?P<left>left|izquierd[oa]s?)\b|\b(?P<right>right|derech[oa]s?)\b|\b(?P<both>bilateral(?:ly|es)?|both\s+(?:sides|knees|shoulders|hips|wrists|hands|ankles|feet|elbows)|ambos\s+lados|ambas)\b", re.IGNORECASE)


#: What every match of :data:`_REGION_RE` and of :data:`_SIDE_RE` starts with, in lower case (the literal
#: start of each of their words; "rotula" and "muneca" of "r[oó]tula" and "mu[nñ]eca" in ASCII text).
_REGION_STEMS = (
    "low", "lumb", "espalda", "parte", "zona", "sacr", "upper", "mid", "thoracic", "dorsal", "tor", "neck", "cervical",
    "cuello", "back", "spin", "columna", "vertebral", "shoulder", "hombro", "rotator", "manguito", "knee", "rodilla",
    "menisc", "patell", "rotula", "hip", "cadera", "elbow", "codo", "wrist", "muneca", "carpal", "hand", "mano",
    "finger", "dedo", "thumb", "pulgar", "ankle", "tobillo", "feet", "foot", "pie", "heel", "talon", "plantar",
)
_SIDE_STEMS = ("left", "izquierd", "right", "derech", "bilateral", "both", "amb")
_REGION_START = re.compile(word_alternation(sorted(set(_REGION_STEMS))))
_SIDE_START = re.compile(word_alternation(sorted(set(_SIDE_STEMS))))
#: Where a match of :data:`_LEVEL_RE` may start: C, L or T before a digit 1-9 (case-sensitive).
_LEVEL_START = re.compile(r"[CLT](?=[1-9])")


def _stem_matches(rx: re.Pattern[str], start: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """``rx.finditer(text)`` for a case-insensitive pattern that starts with ``\b`` and one of the words
    ``start`` finds (lower case): in ASCII text, the pattern is tried only where ``start`` finds one in the
    lower-cased text (one scan of a trie, where the pattern's long alternation is tried at every
    position). A word ``start`` skips, inside the one it found, follows a letter: no match starts there."""
    if not text.isascii():
        return list(rx.finditer(text))
    return matches_at(rx, text, [m.start() for m in start.finditer(text.lower())])


@lru_cache(maxsize=4096)  # item names and headers: the same treatments come back
def body_regions(text: str) -> frozenset[str]:
    """The body regions a phrase names ("low back" -> lumbar, "C5-C6" -> cervical, "rodilla" -> knee). A
    specific spinal region wins over the vague "back"/"spine" it is part of ("lumbar spine")."""
    exact: set[str] = set()
    vague: set[str] = set()
    for m in _stem_matches(_REGION_RE, _REGION_START, text):
        for i, (_, regions) in enumerate(_REGION_WORDS):
            if m.group(f"r{i}"):
                (vague if _VAGUE_RE.fullmatch(m.group(0)) else exact).update(regions)
                break
    for m in _LEVEL_RE.finditer(text) if _LEVEL_START.search(text) else ():
        exact.add("cervical" if m.group("c") else "lumbar" if m.group("l") else "thoracic")
    if exact & _SPINE:
        return frozenset(exact)
    return frozenset(exact | vague)


@lru_cache(maxsize=4096)
def body_sides(text: str) -> frozenset[str]:
    """"left", "right" (both for bilateral) named in a phrase."""
    out: set[str] = set()
    for m in _stem_matches(_SIDE_RE, _SIDE_START, text):
        if m.group("both"):
            out |= {"left", "right"}
        elif m.group("left"):
            out.add("left")
        else:
            out.add("right")
    return frozenset(out)


# ------------------------------------------------------------------------------------------- treatments

_STOP = frozenset(
    "a an the of for to and or with at in on by from as per x under over via into your you his her their its "
    "this that these those any all both each some is was be been are were it de la el los las del y o en con "
    "para por un una su sus al que se".split()
)
#: Body parts, sides and positions: where a treatment is given, not what it is.
ANATOMY = frozenset(
    "back low lower upper neck spine spinal lumbar lumbosacral cervical thoracic hip hips knee knees leg legs "
    "arm arms shoulder shoulders wrist wrists hand hands elbow elbows foot feet ankle ankles left right "
    "bilateral both side sides body extremity extremities chest head face joint? joints area areas region "
    "l1 l2 l3 l4 l5 s1 c3 c4 c5 c6 c7 t12 l4-5 l5-s1 l3-4 c5-6 c6-7 c4-5 sacral coccyx pelvis abdomen "
    "espalda baja cuello columna cadera rodilla pierna brazo hombro muneca mano codo pie tobillo izquierda "
    "izquierdo derecha derecho ambos lados parte".replace("?", "").split()
)
#: Words that say "a treatment" without saying which.
GENERIC = frozenset(
    "therapy therapies treatment treatments unit units service services test tests testing study studies "
    "program session sessions visit visits request requests item items care medical surgical associated "
    "retrospective retro purchase rental rent buy buying bought days day week weeks month months additional "
    "initial follow-up evaluation and trial home outpatient procedure procedures medication medications "
    "medicine medicines pills cream shot shots machine device equipment exam imaging scan picture pictures "
    "dos date service qty quantity pre-operative preoperative pre-op post-operative postoperative post-op "
    "postop preop times time per doctor specialist with without contrast done guided using through small "
    "mild electric pulses pain your kind type new more one two three four five six seven eight nine ten "
    "twelve unspecified unknown all both labs lab of in for to".split()
)
#: Treatments and services that letters dispute, beyond the glossary: naming one of these for an item
#: that is something else is a treatment error.
_EXTRA_CORE = frozenset(
    "brace braces facet mri mris ct x-ray x-rays xray radiograph arthroscopy surgery injection injections block "
    "blocks ablation rhizotomy fusion laminectomy discectomy arthroplasty replacement decompression "
    "acupuncture chiropractic chiro massage tens e-stim emg ncv ncs ultrasound biofeedback psychotherapy "
    "transportation cane walker wheelchair crutches orthotic orthotics insoles pillow sling mattress "
    "traction gym membership pool aquatic cryotherapy shockwave manipulation epidural steroid opioid opioids "
    "hydrocodone oxycodone norco tramadol gabapentin lyrica pregabalin cyclobenzaprine flexeril naproxen "
    "ibuprofen omeprazole prilosec lidoderm lidocaine voltaren diclofenac ketoprofen flurbiprofen baclofen "
    "capsaicin menthol tizanidine soma carisoprodol ambien zolpidem xanax alprazolam valium diazepam "
    "cortisone prp platelet botox stimulator interferential h-wave hwave bone ekg ecg cbc bmp ptt urinalysis "
    "urine drug consult consultation referral psychiatric psychological cognitive behavioral ssep hearing "
    "dental podiatry podiatrist orthopedic neurosurgery neurosurgical pain-management nerve conduction "
    "arthrogram myelogram discogram vascutherm ultrasling knee-brace collar splint tape kinesio "
    "acupuncturist chiropractor massage".split()
)
_NON_TREATMENT_TERMS = frozenset(
    "radiculopathy|utilization review|independent medical review|claims administrator|workers' compensation "
    "appeals board|information & assistance officer|medically necessary|not medically necessary|upheld|"
    "overturned|mtus|acoem|odg|date of injury|crps|carpal tunnel syndrome|sprain or strain|myalgia|neuritis|"
    "lumbar|cervical|functional improvement|spasm|range of motion|conservative care|peer to peer|rotator cuff|"
    "request for authorization|modalities".split("|")
)
#: Words of glossary spellings that only mean something inside their phrase ("complete blood count").
_WEAK = frozenset(
    "anterior posterior superior base basic blood chronic complete count current open plain pre non partial "
    "total point phase panel muscle nerve drug screen release functional restoration exercise physical pt pa "
    "ray rays wave flow lesion lesions cuff potential potentials magnetic resonance velocity conduction distal "
    "triple evoked compound compounded numbing relaxant relaxants steroidal inflammatory anti continuous "
    "electrical stimulation manual arc time metabolic chemistry studie".split()
)
#: Plain or Spanish words -> the English word a letter would use (so "cirugía" can match "arthroscopy").
_WORD_MAP = {
    "inyeccion": "injection", "inyecciones": "injection", "resonancia": "mri", "magnetica": "mri",
    "acupuntura": "acupuncture", "quiropractica": "chiropractic", "quiropractico": "chiropractic",
    "masaje": "massage", "masajes": "massage", "fisioterapia": "physical", "fisica": "physical",
    "cabestrillo": "sling", "faja": "brace", "ortopedico": "brace", "ortesis": "brace", "ferula": "splint",
    "faceta": "facet", "facetas": "facet", "radiografia": "x-ray", "radiografias": "x-ray", "rayos": "x-ray",
    "cirugia": "surgery", "operacion": "surgery", "artroscopia": "arthroscopy", "transporte": "transportation",
    "gammagrafia": "bone", "orina": "urine", "electroestimulacion": "e-stim", "estimulacion": "stimulation",
    "electrica": "electrical", "electromiografia": "emg", "consulta": "consult", "epidural": "epidural",
    "bastón": "cane", "baston": "cane", "muletas": "crutches", "almohada": "pillow",
    "operation": "surgery", "shots": "injection", "shot": "injection", "x-rays": "x-ray", "rides": "transportation",
    "ride": "transportation",
    # Spanish plain words for kinds of treatment (the weak keys of facts._KINDS)
    "terapia": "therapy", "terapias": "therapy", "aparato": "machine", "aparatos": "machine", "maquina": "machine",
    "dispositivo": "device", "equipo": "equipment", "medicamento": "medication", "medicamentos": "medication",
    "medicina": "medicine", "medicinas": "medicine", "pastilla": "pill", "pastillas": "pill", "prueba": "test",
    "pruebas": "test", "analisis": "test", "imagenes": "imaging", "hospitalizacion": "hospitalization",
}
_WORD_MAP_KEYS = frozenset(_WORD_MAP)
#: A word of the left set stands for any word of the right set ("surgery" for an arthroscopy).
_CLASSES = {
    "surgery": {"arthroscopy", "arthroscopic", "repair", "decompression", "acromioplasty", "arthroplasty", "fusion",
                "laminectomy", "discectomy", "replacement", "surgical", "operative", "surgery", "mumford",
                "debridement", "excision", "release", "reconstruction"},
    "injection": {"injection", "injections", "esi", "esis", "block", "blocks", "epidural", "shot"},
    "stimulation": {"tens", "e-stim", "ems", "stimulation", "stimulator", "interferential", "h-wave", "nmes"},
    "electrical": {"tens", "e-stim", "ems", "electrical", "electric", "interferential"},
    "x-ray": {"x-ray", "x-rays", "xray", "radiograph", "radiographs", "films"},
    "bone": {"bone", "scan"},
    "urine": {"urine", "drug", "uds", "udt", "ua", "urinalysis"},
    "consult": {"consult", "consultation", "referral", "specialist", "evaluation"},
}

_WORD_RE = re.compile(r"[a-z0-9%]+(?:[-/][a-z0-9]+)*")
#: Every byte to a space, but the characters a word token holds (``[a-z0-9%/-]``) to themselves and A-Z
#: to a-z (see :func:`_word_runs`).
_WORD_MASK = bytes(
    b + 32 if 0x41 <= b <= 0x5A else b if (0x61 <= b <= 0x7A or 0x30 <= b <= 0x39 or b in b"%-/") else 0x20
    for b in range(256)
)


def _word_runs(text: str) -> str:
    """:func:`fold` of ``text`` with every character that no word token holds (all but ``[a-z0-9%/-]``)
    made a space, in one byte table. A token of :data:`_WORD_RE` never holds such a character, so the
    tokens of the text are those of the space-separated runs: a run without "-" or "/" is one token
    (``[a-z0-9%]+`` takes all of it), and only the others need the pattern. (Characters that fold leaves
    outside ASCII are in no token either: they become "?", then a space.)"""
    if text.isascii():
        return text.encode("ascii").translate(_WORD_MASK).decode("ascii")
    return fold(text).encode("ascii", "replace").translate(_WORD_MASK).decode("ascii")


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens; hyphen/slash compounds kept whole (``e-stim``, ``emg/ncv``).
    (``_WORD_RE.findall(fold(text))``, read from :func:`_word_runs`: a text without "-" and "/" is its
    runs.)"""
    runs = _word_runs(text)
    if "-" not in runs and "/" not in runs:
        return runs.split()
    out: list[str] = []
    for r in runs.split():
        if "-" in r or "/" in r:
            out += _WORD_RE.findall(r)
        else:
            out.append(r)
    return out


def _compound_runs(runs: str) -> set[str]:
    """The runs of ``runs`` (see :func:`_word_runs`) that hold "-" or "/": found from each separator by
    ``str.find`` (a block of hundreds of words holds a few), not by testing every run for both."""
    out = set()
    find, rfind = runs.find, runs.rfind
    for sep in "-/":
        i = find(sep)
        while i >= 0:
            e = find(" ", i)
            if e < 0:
                e = len(runs)
            out.add(runs[rfind(" ", 0, i) + 1:e])
            i = find(sep, e)  # (the next run: this one is taken whole)
    return out


@lru_cache(maxsize=16384)
def word_set(text: str) -> frozenset[str]:
    """:func:`words` of ``text`` with the parts of compounds and the singular of plurals (cached: the
    same sentences come back, e.g. an explanation's boilerplate)."""
    # (Each distinct word once: an item block of hundreds of words, which no other letter has, is read
    # once per letter, and most of its words come back several times. The tokens are the set of the
    # runs of _word_runs, with each run that holds "-" or "/" replaced by its tokens; the compounds among
    # those are split as they come. The singulars are of the tokens only, not of the parts: they are
    # made before the parts join the set.)
    runs = _word_runs(text)
    if "-" not in runs and "/" not in runs:
        # (Every token is a run: it ends with "s" only before a space or at the end of the text. A text
        # that has neither has no plural to look for: its set is its runs'.)
        ws = frozenset(runs.split())
        if "s " not in runs and not runs.endswith("s"):
            return ws
        plural = [singular(w) for w in ws if w[-1] == "s" and len(w) > 3]
        return ws.union(plural) if plural else ws
    toks = set(runs.split())
    parts: list[str] = []
    for r in _compound_runs(runs):
        if _PLAIN_COMPOUND.fullmatch(r):
            # (letters and digits joined by single separators, "e-stim", "emg/ncv": the run is one token,
            # and its parts are its pieces)
            parts += r.replace("/", "-").split("-")
            continue
        toks.discard(r)
        for w in _WORD_RE.findall(r):
            toks.add(w)
            if "-" in w or "/" in w:
                parts += [p for p in _COMPOUND_SPLIT.split(w) if p]
    toks.update([singular(w) for w in toks if w[-1] == "s" and len(w) > 3])
    toks.update(parts)
    return frozenset(toks)


_COMPOUND_SPLIT = re.compile(r"[-/]")
#: A run of :func:`_word_runs` that :data:`_WORD_RE` reads as one compound token.
_PLAIN_COMPOUND = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)+")


@lru_cache(maxsize=1)
def _glossary_terms() -> list[tuple[str, list[str], str, str]]:
    """(term, match strings, en gloss, es gloss) of the glossary's treatment terms."""
    out = []
    for row in knowledge.glossary():
        term = str(row.get("term", ""))
        if term.lower() in _NON_TREATMENT_TERMS:
            continue
        matches = [str(m) for m in row.get("match", []) if m]
        out.append((term, matches, str(row.get("en", "")), str(row.get("es", ""))))
    return out


@lru_cache(maxsize=1)
def _glossary_keys() -> tuple[tuple[tuple[str, ...], frozenset[str]], ...]:
    """Per glossary treatment term: the " word word " keys of its spellings, and the words a name that
    contains one of them may be called by (the term, its spellings, its glosses in both languages)."""
    out = []
    for term, matches, en, es in _glossary_terms():
        keys = tuple(f" {k} " for k in (" ".join(words(m)) for m in [term, *matches]) if k)
        adds = set(word_set(term)) | word_set(en) | mapped_words(es)
        for mm in matches:
            adds |= word_set(mm)
        out.append((keys, frozenset(adds)))
    return tuple(out)


@lru_cache(maxsize=1)
def _glossary_index() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """:func:`_glossary_keys` by the first word of each key: a name looks up the keys its own words start
    (a few) instead of testing every key of the glossary."""
    index: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for keys, adds in _glossary_keys():
        for key in keys:
            index.setdefault(key.split()[0], []).append((key, adds))
    return index


@lru_cache(maxsize=1)
def core_words() -> frozenset[str]:
    """Words that name a specific treatment (glossary treatment terms plus a built-in list)."""
    core = set(_EXTRA_CORE)
    for term, matches, _, _ in _glossary_terms():
        for m in [term, *matches]:
            for w in word_set(m):
                core.add(w)
    return frozenset(w for w in core if w not in GENERIC and w not in ANATOMY and w not in _STOP and w not in _WEAK
                     and len(w) > 1)


@lru_cache(maxsize=16384)
def mapped_words(text: str) -> frozenset[str]:
    """Word set with Spanish/plain words mapped to the English a letter uses (cached, read-only)."""
    ws = word_set(text)
    # (The words to map are found by intersecting with the map's keys, in C, not by looking up every
    # word of the set; most texts have none, and keep their word set.)
    hits = ws & _WORD_MAP_KEYS
    return ws.union([_WORD_MAP[w] for w in hits]) if hits else ws


@lru_cache(maxsize=8192)
def core_of(text: str) -> frozenset[str]:
    """The specific treatment words a phrase names (cached, read-only)."""
    return mapped_words(text) & core_words()


@lru_cache(maxsize=2048)
def treatment_vocab(name: str) -> frozenset[str]:
    """Every word that may name the treatment ``name``: its words, the glossary terms it contains (their
    spellings and plain-language glosses in both languages) and the classes its words belong to."""
    vocab = set(mapped_words(name))
    toks = words(name)
    low = " " + " ".join(toks) + " "
    index = _glossary_index()
    for w in set(toks):  # (a key " w1 w2 " stands in low only if w1 is one of the name's words)
        for key, adds in index.get(w, ()):
            if key in low:
                vocab |= adds
    for cls, members in _CLASSES.items():
        if not vocab.isdisjoint(members):  # (whether they meet, without making their intersection)
            vocab.add(cls)
    return frozenset(vocab)


_SUFFIX = re.compile(r"(?:ations?|ators?|ions?|ors?|ers?|ing|ed|ies|es|s)$")


@lru_cache(maxsize=16384)  # the same words come back in every letter (an item block has hundreds)
def stem(word: str) -> str:
    """A crude stem that puts a word with its family ("stimulator", "stimulation" -> "stimul"); words that
    would be cut below four letters stay as they are ("fusion")."""
    s = _SUFFIX.sub("", word)
    return s if len(s) >= 4 else word


#: The endings :data:`_SUFFIX` cuts, one by one.
_SUFFIXES = ("ation", "ations", "ator", "ators", "ion", "ions", "or", "ors", "er", "ers", "ing", "ed", "ies", "es", "s")


@lru_cache(maxsize=16384)  # (treatment words: a short list that comes back)
def stem_family(word: str) -> frozenset[str]:
    """Every word whose :func:`stem` is ``word``'s: ``stem(x) == stem(word)`` exactly when ``x`` is one of
    these. (A word keeps its stem, or has one ending of :data:`_SUFFIXES` cut off it: it is the stem, or
    the stem with one of those endings; each candidate is kept only if its own stem is that stem.) So
    whether ``w`` is of the same family as one of ``words`` is ``not stem_family(w).isdisjoint(words)``: a
    few set lookups, where the stems of a block's hundreds of words would have to be made first."""
    s = stem(word)
    return frozenset(c for c in (s, *(s + x for x in _SUFFIXES)) if stem(c) == s)


@lru_cache(maxsize=8192)
def distinctive(text: str) -> frozenset[str]:
    """Words of a phrase that are neither generic, anatomical nor function words (cached, read-only)."""
    return frozenset(w for w in mapped_words(text) if w not in GENERIC and w not in ANATOMY and w not in _STOP
                     and not w.isdigit() and len(w) > 1)


# ------------------------------------------------------------------------------------------- memoised
# Checks run many times over the same letter (a mutation suite, a service); these wrap the shared
# parsers with small caches keyed by the text they read.


_PAGE_LINE = re.compile(r"\s*(?:Page\s+\d+.*|\d+\s*/\s*\d+|-\s*\d+\s*-)\s*", re.I)


@lru_cache(maxsize=8192)
def fragment(quote: str) -> str:
    """:func:`imrassist.letter.normalize_fragment` of a quote. An ASCII quote without footer lines or
    line-end hyphens only needs its white space collapsed, which is what the full normaliser does to it
    (wrapped lines are joined with a space, paragraphs too). A quote of several lines may hold one page
    break (a quote that runs over a page end, a tenth of them): the normaliser drops a page's first line
    only when it is a footer line or the first line of another page too (a running header), which takes
    two page breaks. (``str.split`` also splits at the separators "\\x1c"-"\\x1f", which the normaliser keeps
    inside a word: a quote holding one goes to the normaliser.)"""
    # (the separators looked for one by one, with str's "in", faster than a scan with a pattern)
    if quote.isascii() and (quote.isprintable() or not ("\x1c" in quote or "\x1d" in quote or "\x1e" in quote
                                                        or "\x1f" in quote)):
        if "\n" not in quote:
            if "\f" not in quote and not _PAGE_LINE.fullmatch(quote):
                return " ".join(quote.split())
        elif quote.count("\f") < 2:
            # (A footer line ends with a digit, or with "-", then white space: only such lines are tried.)
            for ln in quote.split("\n"):
                r = ln.rstrip()
                if r.endswith("-") or r[-1:].isdigit() and _FOOTER_RE.match(ln):
                    break
            else:
                return " ".join(quote.split())
    return normalize_fragment(quote)


@lru_cache(maxsize=2048)
def limits(text: str) -> tuple[tuple[int | None, int | None, str, int, int], ...]:
    """(min, max, unit, start, end) of every non-frequency limit phrase (:func:`imrassist.parse.find_limits`)."""
    from ..parse import find_limits

    return tuple((lm.min, lm.max, lm.unit, lm.start, lm.end) for lm in find_limits(text) if not lm.per_period)


@lru_cache(maxsize=2048)
def pages_in(text: str) -> tuple[int, ...]:
    from ..parse import parse_pages

    return tuple(parse_pages(text))


@lru_cache(maxsize=4096)
def guideline_citations(text: str) -> tuple:
    """Citations :func:`imrassist.extract.citations.parse_guideline_text` reads in ``text``."""
    from ..extract.citations import parse_guideline_text

    parsed, _ = parse_guideline_text(text)
    return tuple(p.citation for p in parsed)
