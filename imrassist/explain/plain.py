"""Small plain-language helpers shared by the explanation and the report: dates in words, numbers,
treatment names a worker can read, glossary glosses, and the numbers a record can vouch for."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Iterator

from pydantic import BaseModel

from ..models import CaseRecord, Evidence, Extracted, Item
from ..parse import word_key
from .phrases import COMMON_WORDS, DISPENSE_FORMS, MAX_GLOSSES_PER_ITEM, PHRASES, SECONDARY_TERMS

# ------------------------------------------------------------------------------------------- numbers


def num(x: float | int) -> str:
    """6.0 -> "6", 0.5 -> "0.5"."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def date_words(d: _dt.date, lang: str = "en") -> str:
    """``December 27, 2013`` / ``27 de diciembre de 2013``."""
    p = PHRASES[lang]
    return p["date"].format(month=p["months"][d.month - 1], day=d.day, year=d.year)


def join_words(parts: list[str], lang: str = "en") -> str:
    conj = PHRASES[lang]["and"]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conj} " + parts[-1]


def unit_words(unit: str | None, n: float | None, lang: str = "en") -> str:
    """Plural-aware unit name; an unknown unit is returned as the letter wrote it."""
    if not unit:
        return ""
    key = unit.strip().lower().rstrip("s") if unit.strip().lower() not in ("days",) else "day"
    table = PHRASES[lang]["units"]
    if key in table:
        sg, pl = table[key]
        return sg if n is not None and float(n) == 1 else pl
    return unit


# ------------------------------------------------------------------------------------------- glossary


@dataclass(frozen=True)
class GlossTerm:
    term: str
    pattern: re.Pattern[str]
    length: int
    en: str
    es: str
    secondary: bool
    #: The spelling lower-cased when it is ASCII ("" otherwise): an ASCII name can hold a match only if it
    #: holds this (a cheap test before the pattern; see find_glosses).
    key: str = ""
    #: :func:`word_keys` of ``en``, read once with the glossary (find_glosses asks it of every candidate).
    en_keys: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def gloss_terms() -> tuple[GlossTerm, ...]:
    """Glossary spellings, longest first (knowledge/glossary.json)."""
    try:
        from ..knowledge import glossary
    except Exception:  # noqa: BLE001 - an explanation without glosses is still an explanation
        return ()
    out: list[GlossTerm] = []
    for row in glossary():
        en, es = row.get("en"), row.get("es")
        if not en or not es:
            continue
        for spelling in row.get("match") or [row.get("term", "")]:
            if not spelling:
                continue
            rx = re.compile(r"(?<![\w/-])" + re.escape(spelling) + r"(?![\w/-])", re.IGNORECASE)
            out.append(GlossTerm(row.get("term", spelling), rx, len(spelling), en, es,
                                 row.get("term", spelling) in SECONDARY_TERMS,
                                 spelling.lower() if spelling.isascii() else "", frozenset(word_keys(en))))
    out.sort(key=lambda g: -g.length)
    return tuple(out)


@lru_cache(maxsize=1)
def _gloss_heads() -> tuple[dict[str, list[int]], list[int]]:
    """The indices (in :func:`gloss_terms`) of the terms whose ASCII key is three characters or longer, by
    its first three; and those of the others (a short key, or no ASCII spelling), which are always tried."""
    by_head: dict[str, list[int]] = {}
    always: list[int] = []
    for i, g in enumerate(gloss_terms()):
        if len(g.key) >= 3:
            by_head.setdefault(g.key[:3], []).append(i)
        else:
            always.append(i)
    return by_head, always


#: The three characters at each place of a text where a glossary pattern can start: not after a word
#: character, "/" or "-" (the patterns' own lookbehind).
_GLOSS_STARTS = re.compile(r"(?<![\w/-])(?=([\s\S]{3}))")


def _candidate_terms(low: str | None, at_starts: bool = False) -> Iterator[GlossTerm]:
    """The glossary terms (in :func:`gloss_terms` order) that may occur in a name, lower-cased ``low`` (None:
    not ASCII, every term). A key can be in ``low`` only if its first three characters are, so the name's
    three-character pieces pick the candidates instead of testing every key of the glossary against it.

    ``at_starts``: only the pieces where a pattern can start (``_GLOSS_STARTS``), fewer candidates; every
    term that matches the name is still among them (in ASCII a character is a word character whatever its
    case, so the lower-cased name has the same starts)."""
    terms = gloss_terms()
    if low is None:
        yield from terms
        return
    by_head, always = _gloss_heads()
    picked = set(always)
    # (the name's distinct pieces met with the glossary's heads in one set operation: the same heads as
    # a lookup per piece)
    pieces = set(_GLOSS_STARTS.findall(low)) if at_starts else {low[i:i + 3] for i in range(len(low) - 2)}
    for head in pieces & by_head.keys():
        picked.update(by_head[head])
    for i in sorted(picked):
        yield terms[i]


# Words after a matched term that belong to it ("TENS unit", "bone scan"): the gloss goes after them.
_TRAILING_NOUN = re.compile(r"(?:(?:s\b)?\s+(?:units?|scans?|stud(?:y|ies)|tests?|testing|treatments?|"
                            r"therapy|sessions?|visits?|injections?|machines?|programs?)\b)*(?:s\b)?",
                            re.IGNORECASE)


_GENERIC = frozenset("""that with your from into they them this what when will have does done used using give
    more part help after before small mild near body""".split())


def word_keys(text: str) -> set[str]:
    """Content words of ``text``, lower-cased and singular, for "does this gloss name another item?"."""
    out = set()
    for w in re.findall(r"[a-záéíóúñü]+", text.lower()):
        if len(w) < 4 or w in _GENERIC:
            continue
        if w.endswith("ies") and len(w) > 5:
            w = w[:-3] + "y"
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 4:
            w = w[:-1]
        out.add(w)
    return out


def add_glosses(name: str, lang: str, used: set[str], limit: int = MAX_GLOSSES_PER_ITEM) -> str:
    """Insert "(gloss)" after up to ``limit`` glossary terms in ``name``; each term once per text (``used``)."""
    out, _ = find_glosses(name, lang, used, limit)
    return out


def find_glosses(name: str, lang: str, used: set[str], limit: int = MAX_GLOSSES_PER_ITEM,
                 avoid: set[str] | frozenset[str] = frozenset()) -> tuple[str, list[tuple[str, str]]]:
    """``name`` with "(gloss)" inserted, and the ``(term as written, gloss)`` pairs chosen.

    A gloss whose words name something in ``avoid`` (the other items' words) is left out: "exercises done in
    a warm pool" beside a "Home exercise kit" would read as a statement about the kit."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, GlossTerm]] = []
    # Case-insensitive matching of ASCII against ASCII is plain lower-casing, so an ASCII spelling that is
    # not a substring of an ASCII name cannot match it (non-ASCII text may match through Unicode case
    # rules, e.g. the Kelvin sign: there every pattern runs).
    low = name.lower() if name.isascii() else None
    for g in _candidate_terms(low, True):  # longest spellings first, so a term's jargon form wins over its plain one
        if low is not None and g.key and g.key not in low:
            continue
        for m in g.pattern.finditer(name):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append((a, b, g))
    longest: dict[str, int] = {}
    for a, b, g in found:
        longest[g.term] = max(longest.get(g.term, 0), b - a)
    found = [(a, b, g) for a, b, g in found if b - a == longest[g.term]]
    # primary terms first, then context terms; within each, by position
    found.sort(key=lambda t: (t[2].secondary, t[0]))
    chosen: list[tuple[int, int, GlossTerm]] = []
    terms_here: set[str] = set()
    for a, b, g in found:
        if len(chosen) >= limit:
            break
        if g.term in used or g.term in terms_here:
            continue
        if avoid and g.en_keys & avoid:
            continue
        if g.secondary and any(not c[2].secondary for c in chosen) and len(chosen) >= 1:
            continue  # one thing glossed is enough when it is the treatment itself
        chosen.append((a, b, g))
        terms_here.add(g.term)
    if not chosen:
        return name, []
    used.update(terms_here)
    out = name
    pairs: list[tuple[str, str]] = []
    for a, b, g in sorted(chosen, key=lambda t: -t[0]):
        tail = _TRAILING_NOUN.match(out, b)
        end = tail.end() if tail else b
        gloss = g.en if lang == "en" else g.es
        pairs.insert(0, (out[a:b], gloss))
        out = out[:end] + f" ({gloss})" + out[end:]
    return out, pairs


def term_as_subject(term: str) -> str:
    """"Epidural Injection" -> "Epidural injection"; acronyms ("EKG", "PT/PTT") stay as written."""
    words = term.split(" ")
    fixed = [w if (sum(c.isupper() for c in w) > 1 or not w[:1].isalpha()) else w.lower() for w in words]
    out = " ".join(fixed)
    return out[:1].upper() + out[1:]


# --------------------------------------------------------------------------------------- treatment names

_ASSOC = re.compile(r"^\s*associated\s+surgical\s+services?\s*:\s*", re.IGNORECASE)
_RETRO = re.compile(r"^\s*retro(?:spective)?(?:\s+request\s+for)?\s*[:\-]?\s*", re.IGNORECASE)
_DOS = re.compile(r"\s*[\(\[]?\s*\bDOS\b\s*:?\s*(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})\s*[\)\]]?", re.IGNORECASE)
_MG = re.compile(r"(\d)(mg|mcg|ml|g)\b", re.IGNORECASE)
_DISPENSE = re.compile(r"\s*#\s*(\d+)\b")
#: ``_PLURAL``'s units: in ASCII, a case-insensitive match holds one of them in the text lower-cased.
_PLURAL_UNITS = ("session", "visit", "treatment", "refill", "tablet", "injection", "day", "week", "month")
_PLURAL = re.compile(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
                     r"(" + "|".join(_PLURAL_UNITS) + r")\b(?!s)", re.IGNORECASE)


def _holds_plural_unit(low: str) -> bool:
    """Can ``_PLURAL`` match the ASCII text lowered to ``low``? (False: it cannot; a cheap test before it.)"""
    for u in _PLURAL_UNITS:
        if u in low:
            return True
    return False


@dataclass
class Name:
    """A treatment name made readable, and what was peeled off it."""

    text: str
    associated: bool = False
    retro: bool = False
    service_date: _dt.date | None = None
    notes: list[str] = field(default_factory=list)


def _fix_caps(text: str) -> str:
    if text.isascii() and not text.isupper():
        # (in ASCII the cased characters are the letters: "a letter and none in lower case" is isupper)
        return text
    letters = [c for c in text if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        return w.lower() if w.lower() in COMMON_WORDS else w

    return re.sub(r"[A-Za-z]+", word, text)


def _dispense(name: str, lang: str) -> str:
    m = _DISPENSE.search(name) if "#" in name else None  # (the pattern holds a "#")
    if not m:
        return name
    n = int(m.group(1))
    form = ""
    for rx, f in DISPENSE_FORMS:
        if re.search(rx, name, re.IGNORECASE):
            form = f
            break
    if not form:
        return name
    return name[: m.start()] + f", {n} {unit_words(form, n, lang)}" + name[m.end():]


def _parse_dos(m: re.Match[str]) -> _dt.date | None:
    mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y < 100:
        y += 2000
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def clean_name(raw: str, lang: str = "en") -> Name:
    """"6 SESSION OF PUSH THERAPY" -> "6 sessions of PUSH therapy"; peels "Associated surgical service:",
    "Retrospective" and "(DOS 12/29/16)" off so that they can be said in words."""
    text = " ".join(raw.split())
    n = Name(text)
    if _ASSOC.match(text):
        n.associated = True
        text = _ASSOC.sub("", text, count=1)
    if _RETRO.match(text):
        n.retro = True
        text = _RETRO.sub("", text, count=1)
    # (in ASCII a case-insensitive "DOS" is in the text lower-cased; the pattern is tried along the whole text)
    m = _DOS.search(text) if not text.isascii() or "dos" in text.lower() else None
    if m:
        d = _parse_dos(m)
        if d is not None:
            n.service_date = d
            text = (text[: m.start()] + text[m.end():]).strip()
    text = _fix_caps(text)
    if ":" in text:
        text = re.sub(r"\s*:\s+", " - ", text)  # "Pre-operative labs: BMP": one colon per line, before the outcome
    text = _MG.sub(lambda mm: f"{mm.group(1)} {mm.group(2).lower()}", text)
    if not text.isascii() or _holds_plural_unit(text.lower()):
        text = _PLURAL.sub(lambda mm: f"{mm.group(1)} {mm.group(2)}s", text)  # the name stays English
    text = _dispense(text, lang)
    text = text.strip(" ,;:-")
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    n.text = text
    return n


def mid_sentence(text: str) -> str:
    """Lower-case the first letter for use inside a sentence, unless the first word is an acronym."""
    first = text.split(" ", 1)[0]
    if first.lower() in COMMON_WORDS or first.lower() in WORD_NUMBERS:
        return text[0].lower() + text[1:]
    return text


# ------------------------------------------------------------------------------------ grounded numbers

_NUM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d])")
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60,
}


_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(WORD_NUMBERS) + r")\b", re.IGNORECASE)


def _strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


_NOT_FACTS = frozenset({"start", "end", "alignment", "span"})  # offsets into the letter are not facts in it
#: The parts of a record that hold facts besides ``letter`` (``meta`` and ``schema_version`` are not facts;
#: neither are the letter's hash, file name and layout).
_FACT_PARTS = ("worker", "dates", "items", "reviewer", "summary")
_NOT_LETTER_FACTS = frozenset({"sha256", "source", "layout"})


_SHORT_TEXT = 120  # characters: a name or a short quote, not a rationale


def iter_record_numbers(record: CaseRecord) -> Iterator[float]:
    """Every number the record can vouch for, one at a time (repeats included): in its values, its
    evidence quotes, its dates. The record's models are walked in place once (no ``model_dump`` copy; a
    model's ``__dict__`` holds its fields in order); its numbers and dates come first, then the numbers
    written in its short text values (treatment names, the case number), in its long ones (rationales),
    in its short evidence quotes and in its long ones. That is about the order in which an explanation
    states them, and long texts come last, so a caller checking a few numbers (``template.self_check``)
    usually stops before reading them."""
    values: list[float] = []
    texts: dict[tuple[bool, bool], list[str]] = {(q, long): [] for q in (False, True) for long in (False, True)}

    def walk(o: Any, in_quote: bool) -> None:
        if isinstance(o, str):
            texts[(in_quote, len(o) > _SHORT_TEXT)].append(o)
        elif isinstance(o, bool):
            return
        elif isinstance(o, (int, float)):
            values.append(float(o))
        elif isinstance(o, _dt.date):
            values.extend((float(o.day), float(o.month), float(o.year), float(o.year % 100)))
        elif isinstance(o, (BaseModel, dict)):
            fields = o.__dict__ if isinstance(o, BaseModel) else o
            in_quote = in_quote or isinstance(o, Evidence)
            for k, v in fields.items():
                if k not in _NOT_FACTS:
                    walk(v, in_quote)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v, in_quote)

    walk({k: v for k, v in record.letter.__dict__.items() if k not in _NOT_LETTER_FACTS}, False)
    for part in _FACT_PARTS:
        walk(getattr(record, part), False)
    yield from values
    for key in ((False, False), (False, True), (True, False), (True, True)):  # (in a quote, long)
        for o in texts[key]:
            yield from _text_numbers(o)


def _text_numbers(text: str) -> Iterator[float]:
    # (numbers_in finds _NUM's matches, faster; in ASCII text a number word matches only where the text
    # lower-cased holds it, so a text holding none is not searched for them)
    for n in numbers_in(text):
        yield float(n)
    if text.isascii():
        low = text.lower()
        if not any(w in low for w in WORD_NUMBERS):
            return
    for w in _WORD_NUMBER_RE.findall(text):
        yield float(WORD_NUMBERS[word_key(w)])  # ("ſix": see word_key)


def usual_record_numbers(record: CaseRecord) -> set[float]:
    """The numbers an explanation usually states, read straight from where the record keeps them: its
    dates, each item's quantity, limit, guideline pages and years and the numbers in its name, the worker's
    age, the case number. Every one is also among :func:`iter_record_numbers` (the same fields, read the
    same way), so a number found here needs no walk of the whole record: a few dozen lookups instead of
    a few hundred nodes."""
    out: set[float] = set()
    for ev in record.dates.__dict__.values():
        if isinstance(ev, Extracted) and type(ev.value) is _dt.date:
            d = ev.value
            out.update((float(d.day), float(d.month), float(d.year), float(d.year % 100)))
    if record.worker.age is not None and type(record.worker.age.value) is int:
        out.add(float(record.worker.age.value))
    if record.letter.case_number is not None:
        out.update(_text_numbers(record.letter.case_number.value))
    for it in record.items:
        out.update(_text_numbers(it.treatment.value))
        if it.quantity is not None and type(it.quantity.value) in (int, float):
            out.add(float(it.quantity.value))
        if it.limit is not None:
            out.update(float(v) for v in (it.limit.value.min, it.limit.value.max) if type(v) is int)
        for c in (*it.guidelines, *it.ca_guidelines):
            out.update(float(p) for p in c.pages if type(p) is int)
            if type(c.year) is int:
                out.add(float(c.year))
    return out


def record_numbers(record: CaseRecord) -> set[float]:
    """Every number the record can vouch for: in its values, its evidence quotes, its dates."""
    return set(iter_record_numbers(record))


#: ``_NUM`` without its lookarounds (a pattern that starts with a digit is searched by jumping to the digits;
#: one that starts with a lookbehind tries it at every character), and the characters its lookbehind refuses.
#: (An ASCII text takes :func:`_ascii_numbers`.) ``_NUM_RUN_ASCII``: a plain ASCII number.
_NUM_RUN = re.compile(r"\d+(?:\.\d+)?")
_NUM_BEFORE = re.compile(r"[\d.]")
_NUM_RUN_ASCII = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def numbers_in(text: str) -> list[str]:
    """Digit numbers in a text (dates split into their parts: "12/29/16" -> 12, 29, 16).

    The matches of ``_NUM`` (kept for :func:`_text_numbers`): ``_NUM_RUN``'s matches not preceded by a digit or a
    point. The same: a ``_NUM`` match can start at every digit not so preceded, and it is then the greedy
    ``_NUM_RUN`` match there (never followed by a digit); no such digit lies inside another ``_NUM_RUN`` match
    (its characters are digits and a point), and none inside a rejected one, where ``_NUM`` finds nothing."""
    if text.isascii():
        return _ascii_numbers(text)
    return [m.group() for m in _NUM_RUN.finditer(text) if not (m.start() and _NUM_BEFORE.match(text, m.start() - 1))]


#: Every ASCII character but the digits and the point, to a space (:func:`_ascii_numbers`).
_NOT_NUMBER_ASCII = str.maketrans({chr(i): " " for i in range(128) if chr(i) not in "0123456789."})


def _ascii_numbers(text: str) -> list[str]:
    """:func:`numbers_in` of an ASCII text, from its runs of digits and points (``str.translate`` and
    ``str.split`` cross a text several times faster than a pattern is searched along it). A ``_NUM`` match
    starts only at the first character of a run, when it is a digit (any other digit follows a digit or a
    point), and is then the run's leading ``[0-9]+(?:\.[0-9]+)?``: its digits up to the first point, and
    the point with the digits after it when there are any."""
    out = []
    for run in text.translate(_NOT_NUMBER_ASCII).split():
        if run[0] != ".":
            whole, point, rest = run.partition(".")
            if point:
                frac = rest.partition(".")[0]
                if frac:
                    whole += "." + frac
            out.append(whole)
    return out


@lru_cache(maxsize=64)
def _amount_pattern(stem: str) -> re.Pattern[str]:
    """:func:`amount_in_rationale`'s pattern for a unit ``stem`` (a regex), with the number as group 1."""
    return re.compile(rf"\b([0-9]+(?:\.[0-9]+)?)\s+(?:[A-Za-z-]+\s+){{0,3}}?(?:{stem}|visit|session|treatment)s?\b",
                      re.IGNORECASE)


def amount_in_rationale(item: Item, n: float) -> bool:
    """Does the letter itself state this total ("12 sessions", "12 more supervised therapy visits")?

    The plain test is ``\\b{num(n)}\\s+...`` searched in each quote (a pattern compiled per number). One pattern
    per unit stem, with the number as a group, is tried instead where the number's text stands, and the group
    must equal it: it is exact for a number of ASCII digits and at most one point (no other character matches
    those, case-insensitively): the group's greedy first try takes exactly that number when a space follows it,
    and a shorter try is followed by a digit or a point, never by a space; a group longer than the number
    means a space does not follow it, so the plain pattern fails there too. Any other number ("1e-05")
    takes the plain pattern."""
    unit = (item.unit.value if item.unit else "") or ""
    stem = re.escape(unit.rstrip("s")) if unit else r"\w+"
    texts = [e.evidence.quote for e in (item.rationale, item.medically_necessary, item.treatment)
             if isinstance(e, Extracted) and e.evidence]
    number = num(n)
    if not _NUM_RUN_ASCII.fullmatch(number):
        rx = re.compile(rf"\b{re.escape(number)}\s+(?:[A-Za-z-]+\s+){{0,3}}?(?:{stem}|visit|session|treatment)s?\b",
                        re.IGNORECASE)
        return any(rx.search(" ".join(t.split())) for t in texts)
    rx = _amount_pattern(stem)
    for t in texts:
        if number not in t:
            continue  # (joining the words changes only the spaces)
        text = " ".join(t.split())
        i = text.find(number)
        while i >= 0:
            m = rx.match(text, i)
            if m and m.group(1) == number:
                return True
            i = text.find(number, i + 1)
    return False
