"""Reading level of an explanation, English and Spanish, through ``textstat`` (pinned 0.7.8, offline).

* English: Flesch-Kincaid grade; target <= 6.
* Spanish: Fernandez-Huerta reading ease (0-100, higher is easier). Its published scale calls 70-80
  "bastante fácil" and places it at a 6th-grade reader, 80-90 at 5th, 90-100 at 4th, so we report the
  grade equivalent ``13 - score / 10`` (score 70 -> grade 6) and the target is grade <= 6 (score >= 70).

The text is measured as a reader sees it: Markdown marks (``#``, ``**``, ``- ``) are removed first, and a
heading or list line without end punctuation is ended with a period so it is not glued onto the next
sentence. ``textstat`` is imported lazily (its first call costs about a second) and its global language
setting is restored after every call, under a lock.
"""

from __future__ import annotations

import re
import threading
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


def plain_text(markdown: str) -> str:
    """Markdown -> the prose a reader reads (one sentence-ending mark per heading/list line)."""
    out = []
    for line in markdown.splitlines():
        s = _MD_LINE.sub("", line)
        s = s.replace("**", "").replace("__", "").replace("`", "").strip()
        if not s:
            continue
        if s[-1] not in ".!?:;":
            s += "."
        out.append(s)
    return "\n".join(out)


def _with_lang(lang: str, fn):  # type: ignore[no-untyped-def]
    import textstat

    inst = getattr(textstat, "textstat", None)
    attr = "_textstatistics__lang"
    with _LOCK:
        previous = getattr(inst, attr, "en_US") if inst is not None else "en_US"
        textstat.set_lang(_TEXTSTAT_LANG.get(lang, lang))
        try:
            return fn(textstat)
        finally:
            textstat.set_lang(previous)


def measure(text: str, lang: str = "en", *, markdown: bool = True) -> Readability:
    """The reading grade of ``text`` (Markdown unless ``markdown=False``)."""
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
