"""Deterministic checks: a CaseRecord and/or an explanation against the letter, and the letter itself.

No model is ever called here (and nothing here imports ``imrassist.llm``, ``openai`` or ``instructor``).
The one entry point::

    report = check(letter, record=rec, explanation=text)   # -> FindingsReport (DESIGN.md JSON)

* ``record``: a CaseRecord to check (ours, another model's, a person's). Its values are checked against
  the letter text, not against another record.
* ``explanation``: plain text or Markdown, English or Spanish (``lang="auto"`` detects which). It is
  checked against what the LETTER says: the ``reference`` record, i.e. the rules extractor's reading of the
  same letter. When ``reference`` is None it is extracted here (and cached per letter), never taken from a
  possibly wrong ``record``.
* ``explanation_kind``: ``"worker"`` (the default: the plain-language explanation for the injured worker)
  or ``"summary"`` (the reviewer summary, ``imrassist.explain.summarize``: terse Markdown with item
  headings ``## 1. X — OVERTURNED``, tallies and quotes; checked for dates, counts, pages, decisions,
  treatments and guidelines, but not for the worker-only elements: appeal right, next steps, reading
  grade). ``"auto"`` takes a text shaped like the reviewer summary as one.
* With neither record nor explanation: the letter itself and the record extracted from it are checked.
  When a record is given, the letter's own consistency is checked too; an explanation alone is checked
  only as an explanation.

Findings are deduplicated and sorted by severity (error, warning, info), then by position. The checks
live in a registry (:mod:`imrassist.checks.registry`) that third parties extend through the entry-point
group ``imrassist.checks``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

from ..letter import Letter
from ..models import CaseRecord, Finding, FindingsReport
from .registry import REGISTRY, Check, CheckContext, Registry, add_check, register

_BUILTINS_LOADED = False
_LOCK = threading.Lock()


@dataclass
class _Reference:
    """A cached reference reading of a letter (by its text), and the letter facts read with it once a
    check has needed them (:func:`imrassist.checks.facts.facts_for`)."""

    text: str
    record: CaseRecord
    facts: Any = None


_REF_CACHE: OrderedDict[str, _Reference] = OrderedDict()
_REF_CACHE_SIZE = 64
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    with _LOCK:
        if not _BUILTINS_LOADED:
            from . import explanation, letter, record  # noqa: F401 - importing registers the checks

            _BUILTINS_LOADED = True


def reference_record(letter: Letter) -> CaseRecord:
    """The rules extractor's record of ``letter`` (cached per letter text)."""
    from ..extract.rules import extract_rules

    key = letter.sha256 or str(hash(letter.original))
    with _LOCK:
        hit = _REF_CACHE.get(key)
        if hit is not None and hit.text == letter.text:
            _REF_CACHE.move_to_end(key)
            return hit.record
    rec = extract_rules(letter)
    with _LOCK:
        _REF_CACHE[key] = _Reference(letter.text, rec)
        while len(_REF_CACHE) > _REF_CACHE_SIZE:
            _REF_CACHE.popitem(last=False)
    return rec


def _cached_reference(letter: Letter, reference: CaseRecord) -> _Reference | None:
    """The cache entry of ``letter`` when ``reference`` is its cached reference reading, else None."""
    with _LOCK:
        hit = _REF_CACHE.get(letter.sha256 or str(hash(letter.original)))
    if hit is not None and hit.record is reference and hit.text == letter.text:
        return hit
    return None


def clear_caches() -> None:
    """Forget everything the checks remember about texts they have read (reference records, letter facts,
    memoised readings of sentences, quotes and names); what they know from the knowledge files stays. The
    next check of a letter costs what the first one did (benchmarks; long-running services that want the
    memory back)."""
    _load_builtins()
    from . import common, explanation, facts, letter, record

    with _LOCK:
        _REF_CACHE.clear()  # (and the letter facts kept with each reading)
    record._REREAD_MEMO.clear()
    for fn in (common.word_set, common.mapped_words, common.core_of, common.distinctive, common.treatment_vocab,
               common.fragment, common.limits, common.pages_in, common.guideline_citations, record._name_quantity,
               record._quantity_in,
               record._source_in, record._nw, letter._title_key, explanation._sentence_outcomes, facts._weak_words_of):
        fn.cache_clear()


def _sort_key(f: Finding) -> tuple:
    span = f.span if f.span is not None else (1 << 62, 1 << 62)
    espan = f.explanation_span if f.explanation_span is not None else (1 << 62, 1 << 62)
    return (_SEVERITY_ORDER.get(f.severity, 3), span, espan, f.kind, f.code, f.field, f.message)


def finalize(findings: Iterable[Finding]) -> list[Finding]:
    """Deduplicate (same code, field, spans, found, expected) and sort (severity, then span)."""
    seen: set[tuple] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.code, f.kind, f.severity, f.field, f.span, f.explanation_span, f.found, f.expected)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    out.sort(key=_sort_key)
    return out


def check(
    letter: Letter,
    *,
    record: CaseRecord | None = None,
    explanation: str | None = None,
    reference: CaseRecord | None = None,
    lang: str = "auto",
    targets: Iterable[str] | None = None,
    registry: Registry | None = None,
    strict: bool = False,
    explanation_kind: str = "worker",
) -> FindingsReport:
    """Check ``record`` and/or ``explanation`` against ``letter`` (see the module docstring).

    ``targets`` narrows which checks run (``"record"``, ``"letter"``, ``"explanation"``); by default they
    follow from what is given. ``strict`` re-raises a check's exception instead of reporting it.
    """
    _load_builtins()
    reg = registry or REGISTRY
    if reference is None:
        reference = reference_record(letter)
    if record is None and explanation is None:
        record = reference
    if targets is None:
        wanted: set[str] = set()
        if record is not None:
            wanted |= {"record", "letter"}
        if explanation is not None:
            wanted.add("explanation")
    else:
        wanted = set(targets)
    if explanation is not None and lang in (None, "", "auto"):
        from .common import detect_lang

        lang = detect_lang(explanation)
    kind = explanation_kind or "worker"
    if kind not in EXPLANATION_KINDS:
        raise ValueError(f"explanation_kind must be one of {', '.join(EXPLANATION_KINDS)}, not {explanation_kind!r}")
    if kind == "auto":
        kind = "summary" if explanation is not None and looks_like_summary(explanation) else "worker"
    ctx = CheckContext(letter=letter, reference=reference, record=record, explanation=explanation,
                       lang=lang if lang in ("en", "es") else "en", explanation_kind=kind)
    findings = reg.run(ctx, wanted, strict=strict)
    return FindingsReport.build(letter.source, finalize(findings))


EXPLANATION_KINDS = ("worker", "summary", "auto")
_SUMMARY_SHAPE = (r"(?m)^#\s+IMR\s+summary\b", r"(?m)^\s*#{1,6}\s+\d{1,3}\.\s+.+\s[—–-]\s+(?:OVERTURNED|UPHELD)\s*$",
                  r"\*\*(?:DOI|UR|IMR|Items):\*\*")


def looks_like_summary(text: str) -> bool:
    """Whether ``text`` is shaped like the reviewer summary (its title, item headings ending in
    OVERTURNED/UPHELD, or its labelled header lines): at least two of the three."""
    import re

    return sum(1 for p in _SUMMARY_SHAPE if re.search(p, text)) >= 2


def list_checks() -> list[Check]:
    """Every registered check (built-in and plugins)."""
    _load_builtins()
    return REGISTRY.checks()


__all__ = ["check", "clear_caches", "list_checks", "looks_like_summary", "EXPLANATION_KINDS", "reference_record", "finalize", "register", "add_check", "Check", "CheckContext",
           "Registry", "REGISTRY"]
