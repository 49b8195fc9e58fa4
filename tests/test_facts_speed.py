"""The letter facts' and the record checks' fast paths give exactly what the plain versions give.

Each rewrite in :mod:`imrassist.checks.facts` and :mod:`imrassist.checks.record` that replaces a plain
computation (n x n set unions, a whole-letter word search, a record walk that spells every path, name
pairs read once per pair, a block's pages read before they are needed) is compared here with the plain
version it replaced, kept below: on every letter of the repository (samples/, evals/*/letters/, and the
shared letters when they are there), on records planted with errors (:mod:`imrassist.evals.mutate`), and
on hypothesis-generated text with other scripts' digits, accents, "ſ", the Kelvin sign, "İ", superscripts,
glued tokens and mixed case.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from rapidfuzz import fuzz

from imrassist.checks import facts as F
from imrassist.checks import record as R
from imrassist.checks import reference_record
from imrassist.checks.common import sentences, spans_holding, word_set
from imrassist.checks.registry import CheckContext
from imrassist.evals.mutate import record_mutants
from imrassist.letter import Letter, read_letter
from imrassist.models import CaseRecord, Citation, Extracted
from imrassist.parse import norm_words, search_from_stems

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that change how text is read: digits of other scripts, superscripts and fractions (not
#: digits to ``\d``, digits to ``str.isdigit``), accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"),
#: "İ" (lower-casing changes the length), Latin-1 letters.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD


def _paths() -> list[Path]:
    paths = [SEED] + sorted(REPO.glob("evals/*/letters/*"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _letters() -> tuple[tuple[Letter, CaseRecord], ...]:
    out = []
    for p in _paths():
        lt = read_letter(p)
        out.append((lt, reference_record(lt)))
    return tuple(out)


@lru_cache(maxsize=1)
def _records() -> tuple[tuple[Letter, CaseRecord, F.LetterFacts], ...]:
    """Every letter with its reference record and with each record planted with an error."""
    out = []
    for lt, ref in _letters():
        facts = F.build_facts(lt, ref)
        out.append((lt, ref, facts))
        for m in record_mutants(ref, lt, seed=1):
            if m.record is not None:
                out.append((lt, m.record, facts))
    return tuple(out)


def test_the_corpus_is_there():
    assert len(_letters()) >= 30
    if not HAVE_LETTERS:
        pytest.skip(f"shared sample letters not found at {SHARED / 'letters'}: only the repository's letters were read")


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 12) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


NAME_VOCAB = [
    " ", " ", "-", "physical therapy", "therapy", "test", "testing", "scan", "MRI", "x-ray", "medication",
    "cream", "program", "surgery", "arthroscopy", "release", "myofascial release", "TENS unit", "machine",
    "device", "consult", "consultation", "evaluation", "lab", "labs", "stay", "hospital", "12", "#60",
    "60 mg", "x6", "6", "visits", "knee", "left", "lumbar", "retro", "DOS", "Gabapentin", "acupuncture",
    "h-wave", "cpm", "e-stim", "tablets", "patch", "²", "٣", "ſ", "K", "İ", "é",
]


# --------------------------------------------------------------------------------------------- facts


def _plain_weak_keys(names: list[str]) -> list[set[str]]:
    cands = [set(F._weak_words_of(name)) for name in names]
    out = []
    for i, c in enumerate(cands):
        others = set().union(*(cands[j] | word_set(names[j]) for j in range(len(names)) if j != i)) if len(names) > 1 else set()
        out.append(c - others)
    return out


def _check_weak_keys(names: list[str]) -> None:
    got, want = F._weak_keys(names), _plain_weak_keys(names)
    assert got == want, names
    assert [list(x) for x in got] == [list(x) for x in want], names  # the same sets, in the same order


def test_weak_keys_equal_the_unions_on_the_corpus():
    for _, ref in _letters():
        _check_weak_keys([it.treatment.value for it in ref.items])
    names = [it.treatment.value for _, ref in _letters() for it in ref.items]
    for k in range(0, len(names), 7):
        _check_weak_keys(names[k:k + 9])
    # four and more weak words in one name (the other way of making the difference)
    _check_weak_keys(["TENS unit, cream, lab test, MRI scan, hospital stay", "TENS unit", "physical therapy"])
    _check_weak_keys(["TENS unit, cream, lab test, MRI scan, hospital stay", "Consultation"])
    _check_weak_keys([])
    _check_weak_keys(["MRI scan"])


@settings(FAST)
@given(st.lists(_texts_of(NAME_VOCAB, size=8), max_size=7))
def test_weak_keys_equal_the_unions(names):
    _check_weak_keys(names)


def _plain_holding_outside(low: str, spans: list[tuple[int, int]], words: tuple[str, ...],
                           blocks: list[tuple[int, int]]) -> list[int]:
    return [k for k in sorted(spans_holding(low, spans, words))
            if not any(bs <= spans[k][0] < be for bs, be in blocks)]


def test_sentences_outside_the_blocks_equal_the_plain_search_on_the_corpus():
    for lt, ref in _letters():
        text = lt.text
        low = lt.lowered() or text.lower()
        if len(low) != len(text):
            low = text
        spans = sentences(text)
        facts = F.build_facts(lt, ref)
        blocks = [f.block for f in facts.items if f.block != (0, len(text))]
        edged = [(spans[k][0], spans[k + 2][0]) for k in range(0, len(spans) - 2, 5)]  # ending where a sentence starts
        for bl in (blocks, [], [(0, len(text))], blocks[:1], blocks[::-1] + [(5, 5), (40, 90), (60, 200)], edged,
                   [(s + 1, e + 1) for s, e in edged], [(s - 1, e - 1) for s, e in edged]):
            assert F._holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, bl) == \
                _plain_holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, bl), lt.source


REQUEST_VOCAB = [" ", ". ", ".\n", "\n", "request", "requested", "asked", "RFA", "ordered", "sought", "prescribed",
                 "authorized", "modified", "partially", "remaining", "leaving", "the", "Re", "quest", "ed"]


@settings(FAST)
@given(_texts_of(REQUEST_VOCAB, size=30), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=5),
       st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(-1, 1), st.integers(-1, 1)), max_size=4))
def test_sentences_outside_the_blocks_equal_the_plain_search(text, blocks, at_sentences):
    """Blocks anywhere, and blocks that start or end at (or next to) a sentence's start or end."""
    low = text.lower()
    if len(low) != len(text):
        low = text  # (as _summary_requests does)
    spans = sentences(text)
    if spans:
        edges = [x for s, e in spans for x in (s, e)]
        blocks = blocks + [(edges[a % len(edges)] + da, edges[b % len(edges)] + db) for a, b, da, db in at_sentences]
    assert F._holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, blocks) == \
        _plain_holding_outside(low, spans, F._REQUEST_OR_UR_STEMS, blocks)


def test_sentences_outside_the_blocks_at_the_edges():
    text = "We requested it. It was modified.\nRFA sought, asked"
    spans = sentences(text)
    for blocks in ([(0, 17)], [(0, 16)], [(0, 18)], [(17, 17)], [(17, 34)], [(16, 40), (0, 3)], [(0, 17), (17, 34)]):
        assert F._holding_outside(text.lower(), spans, F._REQUEST_OR_UR_STEMS, blocks) == \
            _plain_holding_outside(text.lower(), spans, F._REQUEST_OR_UR_STEMS, blocks), blocks


def _plain_item_keys(name: str) -> set[str]:
    core = F.core_words()
    return {w for w in F.distinctive(name) | F.core_of(name)
            if not any(ch.isdigit() for ch in w) and (len(w) >= 3 or w in core)}


def test_item_keys_equal_the_digit_scan_on_the_corpus():
    for _, ref in _letters():
        for it in ref.items:
            assert F._item_keys(it.treatment.value) == _plain_item_keys(it.treatment.value)
    assert not any(chr(c).isalpha() and chr(c).isdigit() for c in range(0x110000))  # why the fast test holds


@settings(FAST)
@given(_texts_of(NAME_VOCAB + ["x²", "a³b", "١٢", "３", "ab1", "B12"], size=10))
def test_item_keys_equal_the_digit_scan(name):
    assert F._item_keys(name) == _plain_item_keys(name)


#: Every word the kind, surgery, retrospective and source patterns are made of, and near misses.
PATTERN_VOCAB = [
    " ", " ", "-", "device", "unit", "machine", "stimulator", "tens", "TENS", "cpm", "continuous passive motion",
    "continuous  passive\nmotion", "interferential", "h-wave", "hwave", "e-stim", "estim", "pump", "cryotherapy",
    "cold therapy", "vasocompression", "traction", "nmes", "ems", "60 mg", "60mg", "mcg", "#60", "# 60", "#", "tablet",
    "tablets", "capsules", "cream", "gel", "ointment", "lotion", "patches", "refills", "tests", "testing", "screens",
    "panel", "labs", "cbc", "bmp", "urinalysis", "uds", "udt", "ekg", "ecg", "emg", "ncv", "ncs", "mri", "x-rays",
    "xray", "ct", "scan", "imaging", "radiographs", "ultrasound", "arthrogram", "myelogram", "consultation",
    "referral", "evaluation", "stay", "inpatient", "hospitalization", "surgery", "surgical", "arthroscopic",
    "arthroplasty", "fusion", "laminectomy", "discectomy", "decompression", "replacement", "repair",
    "reconstruction", "debridement", "acromioplasty", "excision", "release", "myofascial release", "-ectomy",
    "otomy", "-plasty", "retro", "retrospective", "retroactive", "DOS", "date of service", "date  of\tservice",
    "MTUS", "Medical Treatment Utilization Schedule", "Chronic Pain Medical Treatment", "Chronic Pain Treatment",
    "ACOEM", "American College of Occupational", "ODG", "Official Disability Guidelines", "medical", "official",
    "american", "chronic", "x", "s", "k", "i", "ſ", "K", "İ", "ı", "é", "²", "٣", "_", "7",
]


def _check_hinted(text: str) -> None:
    low = text.lower() if text.isascii() else None
    for given in (low, None):  # (the caller's lower case, or made by holds_match)
        for (rx, _), hints in zip(F._KINDS, F._KIND_HINTS):
            assert F.holds_match(rx, hints, text, given) == (rx.search(text) is not None), (rx.pattern, text)
        assert F.holds_match(F._SURGERY_NAME_RE, F._SURGERY_HINTS, text, given) == (F._SURGERY_NAME_RE.search(text) is not None)
        assert F.holds_match(F._RETRO, F._RETRO_HINTS, text, given) == (F._RETRO.search(text) is not None)
    letter_low = text.lower() if text.isascii() else None  # (as Letter.lowered gives it)
    for _, rx, stems in F._SOURCE_RES:
        assert (search_from_stems(rx, stems, text, low=letter_low) is not None) == (rx.search(text) is not None)


def _plain_weak_words_of(name: str) -> frozenset[str]:
    ws = word_set(name)
    extra = {"surgery", "operation"} if F._SURGERY_NAME_RE.search(name) else set()
    for rx, kind_words in F._KINDS:
        if rx.search(name):
            extra |= kind_words
    return frozenset({w for w in ws if w in F._WEAK_KEY_WORDS} | extra)


def test_hinted_searches_equal_the_plain_searches_on_the_corpus():
    for lt, ref in _letters():
        for it in ref.items:
            _check_hinted(it.treatment.value)
            assert F._weak_words_of.__wrapped__(it.treatment.value) == _plain_weak_words_of(it.treatment.value)
        for _, rx, stems in F._SOURCE_RES:
            assert (search_from_stems(rx, stems, lt.text, low=lt.lowered()) is not None) == (rx.search(lt.text) is not None)
    for word in PATTERN_VOCAB:
        for text in (word, word.upper(), f"a {word}.", f"{word}s", f"x{word}"):
            _check_hinted(text)


@settings(FAST)
@given(_texts_of(PATTERN_VOCAB, size=8))
def test_hinted_searches_equal_the_plain_searches(text):
    _check_hinted(text)
    assert F._weak_words_of.__wrapped__(text) == _plain_weak_words_of(text)


# -------------------------------------------------------------------------------------------- record


def _plain_walk(obj: Any, path: str, out: list[tuple[str, Any]]) -> None:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return
    if isinstance(obj, (Extracted, Citation)):
        out.append((path, obj))
    elif isinstance(obj, BaseModel):
        for name in R._fields(type(obj)):
            _plain_walk(getattr(obj, name), f"{path}.{name}" if path else name, out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _plain_walk(v, f"{path}[{i}]", out)


def _check_walk(obj: Any, path: str = "") -> None:
    want: list[tuple[str, Any]] = []
    _plain_walk(obj, path, want)
    got = list(R.walk(obj, path))
    assert [p for p, _ in got] == [p for p, _ in want]
    assert all(a is b for (_, a), (_, b) in zip(got, want))


def test_walk_equals_the_plain_walk_on_the_corpus():
    for _, rec, _ in _records():
        _check_walk(rec)
        _check_walk(rec.items, "items")
        _check_walk(rec.items[0] if rec.items else None, "x")
    for obj in (None, 3, "text", [], (), {"a": 1}, [None, [[]], ()], True):
        _check_walk(obj)
    rec = _letters()[0][1]
    _check_walk((rec.items[0].treatment, [rec.dates, (rec.worker,)], {"x": rec.worker}, rec.items[0].guidelines))


def _plain_shape(path: str) -> str:
    shape = path if "licensed_in" not in path else "licensed_in"
    return R._INDEX_RE.sub("[]", shape) if "[" in shape else shape


@settings(FAST)
@given(_texts_of(["items", "[", "]", "[0]", "[12]", ".", "quantity", "licensed_in", "reviewer", "٣", "²"], size=10))
def test_path_shapes_equal_the_plain_substitution(path):
    assert R._shape(path) == _plain_shape(path)
    assert R._shape(path) == _plain_shape(path)  # (the second time from the table)


def test_path_shapes_equal_the_plain_substitution_on_the_corpus():
    for _, rec, _ in _records():
        for path, _ in R.walk(rec):
            assert R._shape(path) == _plain_shape(path)


def _plain_name_score(a: str, b: str) -> float:
    x, y = norm_words(a), norm_words(b)
    if not x or not y:
        return 0.0
    if x == y:
        return 100.0
    score = float(fuzz.token_set_ratio(x, y))
    if (x in y or y in x) and min(len(x), len(y)) >= 4:
        score = max(score, 90.0)
    return score


def _plain_pair_items(record: CaseRecord, facts: F.LetterFacts) -> list[F.ItemFact | None]:
    letter = facts.letter
    cands: list[tuple[float, int, int]] = []
    for i, it in enumerate(record.items):
        rspan = it.treatment.evidence.span if it.treatment.evidence else None
        for j, f in enumerate(facts.items):
            score = _plain_name_score(it.treatment.value, f.name)
            if f.item is not None and f.item.original_request is not None:
                score = max(score, _plain_name_score(it.treatment.value, f.item.original_request.value))
            if score < 80:
                continue
            block = letter.to_original(*f.block)
            bonus = 5.0 if R._overlap(rspan, block) else 0.0
            cands.append((score + bonus, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    out: list[F.ItemFact | None] = [None] * len(record.items)
    used: set[int] = set()
    for _, i, j in cands:
        if out[i] is None and j not in used:
            out[i] = facts.items[j]
            used.add(j)
    return out


def _check_pairs(record: CaseRecord, facts: F.LetterFacts) -> None:
    got, want = R.pair_items(record, facts), _plain_pair_items(record, facts)
    assert [id(f) for f in got] == [id(f) for f in want]


def test_pairs_equal_the_plain_pairing_on_the_corpus():
    asked = 0
    for _, rec, facts in _records():
        _check_pairs(rec, facts)
        # records that name items by the original request, where the letter has one
        names = [f.item.original_request.value for f in facts.items if f.item and f.item.original_request]
        if names and rec.items:
            asked += 1
            _check_pairs(_renamed(rec, names), facts)
            _check_pairs(_renamed(rec, [n + " x" for n in names] + [n[:-3] for n in names]), facts)
        assert all(R._name_score(it.treatment.value, f.name) == _plain_name_score(it.treatment.value, f.name)
                   for it in rec.items for f in facts.items)
    assert asked


def _renamed(rec: CaseRecord, names: list[str]) -> CaseRecord:
    items = [it.model_copy(update={"treatment": it.treatment.model_copy(update={"value": names[k % len(names)]})})
             for k, it in enumerate(rec.items)]
    return rec.model_copy(update={"items": items})


@settings(FAST)
@given(st.integers(0, 10_000), st.lists(_texts_of(NAME_VOCAB, size=6), min_size=1, max_size=5), st.booleans())
def test_pairs_equal_the_plain_pairing(k, names, keep_some):
    lt, ref, facts = _records()[k % len(_records())]
    if keep_some:
        names = names + [it.treatment.value for it in ref.items]
    _check_pairs(_renamed(ref, names), facts)
    for a in names:
        for b in names[:3]:
            assert R._name_score(a, b) == _plain_name_score(a, b)


def _plain_citation_problems(ctx: CheckContext) -> list[tuple[str, str, str, str, Any, Any, tuple[int, int] | None]]:
    """checks.record._citation_problems as it was: every paired item's block pages read first."""
    record = ctx.record
    out: list[tuple[str, str, str, str, Any, Any, tuple[int, int] | None]] = []
    if record is None:
        return out
    facts = ctx.facts
    for i, (it, f) in enumerate(zip(record.items, _plain_pair_items(record, facts))):
        if f is None:
            continue
        block_pages = set(R.pages_in(facts.block_text(f)))
        for which in ("guidelines", "ca_guidelines"):
            line, cands = R._cite_lines(ctx, f, which)
            for j, c in enumerate(getattr(it, which)):
                field = f"items[{i}].{which}[{j}]"
                span = c.evidence.span if c.evidence and c.evidence.span else None
                here = line
                if c.source != "OTHER":
                    if not any(x.source == c.source for x in cands) and not R._source_in(c.source, here) \
                            and not any(x.source == c.source for x in R._quote_citations(c)):
                        out.append(("guideline", "SOURCE_MISMATCH", "error",
                                    f"{field}: source {c.source} is not what the letter's citation line cites",
                                    c.source, ", ".join(sorted({x.source for x in cands})) or None, span))
                if c.topic and not R._topic_ok(c.topic, here, cands) and not R._topic_ok(c.topic, here, R._quote_citations(c)):
                    out.append(("guideline", "TOPIC_MISMATCH", "error",
                                f"{field}: topic {c.topic!r} is not cited in the letter's guideline line",
                                c.topic, "; ".join(x.topic for x in cands if x.topic) or None, span))
                if c.document and not R._doc_ok(c.document, here, cands) and not R._doc_ok(c.document, here, R._quote_citations(c)):
                    out.append(("guideline", "DOCUMENT_UNSUPPORTED", "warning",
                                f"{field}: document {c.document!r} is not named in the letter's guideline line",
                                c.document, "; ".join(x.document for x in cands if x.document) or None, span))
                if c.year is not None and not any(x.year == c.year for x in cands) and str(c.year) not in here \
                        and not any(x.year == c.year for x in R._quote_citations(c)):
                    out.append(("guideline", "YEAR_MISMATCH", "error",
                                f"{field}: year {c.year} is not printed with the letter's citation",
                                c.year, ", ".join(sorted({str(x.year) for x in cands if x.year})) or None, span))
                line_pages = set(R.pages_in(here)) | {p for x in cands for p in x.pages}
                for p in c.pages:
                    if p in line_pages:
                        continue
                    line_pages = line_pages | {q for x in R._quote_citations(c) for q in x.pages}
                    if p in line_pages:
                        continue
                    if p in block_pages or p in facts.pages:
                        out.append(("page", "PAGE_ELSEWHERE", "warning",
                                    f"{field}: page {p} is cited in the letter, but not on this citation line",
                                    p, ", ".join(str(x) for x in sorted(line_pages)) or None, facts.pages.get(p) or span))
                    else:
                        out.append(("page", "PAGE_NOT_CITED", "error",
                                    f"{field}: page {p} is not cited in the letter",
                                    p, ", ".join(str(x) for x in sorted(line_pages)) or None, span))
    return out


def _check_citations(lt: Letter, ref: CaseRecord, rec: CaseRecord, facts: F.LetterFacts) -> None:
    ctx = CheckContext(letter=lt, reference=ref, record=rec)
    ctx._memo["facts"] = facts
    assert R._citation_problems(ctx) == _plain_citation_problems(ctx)


def test_citation_problems_equal_the_plain_reading_on_the_corpus():
    refs = {id(lt): ref for lt, ref in _letters()}
    for lt, rec, facts in _records():
        _check_citations(lt, refs[id(lt)], rec, facts)


@settings(FAST)
@given(st.integers(0, 10_000), st.lists(st.integers(0, 400), max_size=6), st.integers(0, 50),
       _texts_of(["MTUS", "ODG", "Knee", "Chronic Pain", "page", "²", "ſ", " "], size=5), st.booleans())
def test_citation_problems_equal_the_plain_reading(k, pages, which, topic, no_pages):
    """Pages that the letter cites on the line, elsewhere in the item's block, elsewhere in the letter,
    or nowhere; topics and documents of generated text. (With ``no_pages`` the letter's page list is
    left empty, so that a page of the item's block is the only thing that tells "cited elsewhere".)"""
    lt, ref = _letters()[k % len(_letters())]
    facts = F.build_facts(lt, ref)
    if no_pages:
        facts = dataclasses.replace(facts, pages={})
    cites = [(i, w, j) for i, it in enumerate(ref.items) for w in ("guidelines", "ca_guidelines")
             for j in range(len(getattr(it, w)))]
    if not cites:
        return
    i, w, j = cites[which % len(cites)]
    block_pages = sorted(R.pages_in(facts.block_text(facts.items[i]))) if i < len(facts.items) else []
    c = getattr(ref.items[i], w)[j].model_copy(update={"pages": pages + block_pages[:8] + sorted(facts.pages)[:2],
                                                        "topic": topic or None, "document": topic or None})
    items = list(ref.items)
    lst = list(getattr(items[i], w))
    lst[j] = c
    items[i] = items[i].model_copy(update={w: lst})
    _check_citations(lt, ref, ref.model_copy(update={"items": items}), facts)


def _plain_key(path: str, value: Any, frag: str) -> tuple:
    return (_plain_shape(path), type(value).__name__, repr(value), frag)


class _Masked(str):
    """A text whose repr is not the text (a str subclass keeps its repr in the key)."""

    def __repr__(self) -> str:
        return "***"


def _check_keys(args: list[tuple[str, Any, str]]) -> None:
    """Two re-readings share the memo's entry exactly when they shared it with repr(value) in the key."""
    for a in args:
        for b in args:
            assert (R._reread_key(*a) == R._reread_key(*b)) == (_plain_key(*a) == _plain_key(*b)), (a, b)


def test_reread_memo_keys_equal_the_repr_keys_on_the_corpus():
    for _, rec, _ in _records()[:40]:
        args = [(p, n.value, n.evidence.quote) for p, n in R.walk(rec) if n.evidence is not None and not isinstance(n, Citation)]
        _check_keys(args[:25])


@settings(FAST)
@given(st.lists(st.one_of(_texts_of(NAME_VOCAB + ["'", '"', "\\", "1", "1.0", "True", "None"], size=4),
                          st.integers(-3, 3), st.floats(allow_nan=False), st.booleans(), st.none()), max_size=6))
def test_reread_memo_keys_equal_the_repr_keys(values):
    values = values + [repr(v) for v in values] + [str(v) for v in values] + [_Masked(str(v)) for v in values[:3]]
    _check_keys([("items[0].treatment", v, "q") for v in values] + [("items[1].treatment", v, "q") for v in values[:2]])


def _plain_header_words(text: str, block: tuple[int, int]) -> set[str]:
    header = R._collapsed(text[block[0]:block[1]].split("\n", 1)[0])
    return {R.singular(x) for x in re.findall(r"[a-z][a-z\-]*", header.lower())}


def test_header_words_equal_the_split_block_on_the_corpus():
    for lt, ref in _letters():
        facts = F.build_facts(lt, ref)
        blocks = [f.block for f in facts.items] + [(0, len(lt.text)), (0, 0), (5, 3), (len(lt.text) - 9, len(lt.text) + 5)]
        for b in blocks:
            assert R._header_words(lt.text, b) == _plain_header_words(lt.text, b)


@settings(FAST)
@given(_texts_of(NAME_VOCAB + ["\n", "\r\n", "\n\n", "Visits", "SESSIONS", "ﬁ"], size=12), st.integers(-3, 60), st.integers(-3, 80))
def test_header_words_equal_the_split_block(text, s, e):
    assert R._header_words(text, (max(s, 0), e)) == _plain_header_words(text, (max(s, 0), e))
