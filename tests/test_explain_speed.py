"""The template explanation's fast paths give exactly what the plain versions give.

* ``template._rule_ids`` looks for a rule's ``needs`` words in a sentence only when the whole rationale holds
  them (instead of ``any(w in low for w in needs)`` for every rule and sentence), and splits sentences
  (``_split``) with a pattern that starts at the mark instead of a lookbehind;
* ``plain.amount_in_rationale`` uses one pattern per unit stem, with the number as a group, tried where the
  number's text stands, instead of compiling a pattern per number.

Each is compared with the plain version (kept here) on every rationale and quote of the repository's letters
(and the shared letters when they are there) and on hypothesis-generated text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import reference_record
from imrassist.explain import plain, template
from imrassist.explain.phrases import MAX_REASONS, REASONS
from imrassist.letter import read_letter
from imrassist.models import Extracted, Item

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Digits of other scripts, superscripts, accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"), "İ"
#: (lower-casing changes the length), other spaces.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301\u00a0\u2003"
PUNCT = " \n\t.,;:-/'\"()_#"
CHARS = "abeiknostuvxyzAOSVX0123456789" + PUNCT + ODD


@lru_cache(maxsize=1)
def _items() -> tuple[Item, ...]:
    paths = [SEED] + sorted((REPO / "evals").glob("*/letters/*.txt"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    out: list[Item] = []
    for p in paths:
        out += reference_record(read_letter(p)).items
    return tuple(out)


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], size: int = 30) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of odd characters."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=CHARS, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


def _with_rationale(item: Item, text: str) -> Item:
    return item.model_copy(update={"rationale": Extracted[str](value=text)})


# ------------------------------------------------------------------------------------------ rule needs


NEEDS = sorted({w for r in REASONS for w in r["needs"]})


def test_split_on_every_text() -> None:
    n = 0
    for it in _items():
        for e in (it.rationale, it.medically_necessary, it.treatment, it.authorized):
            if e is None:
                continue
            for t in [str(e.value)] + ([e.evidence.quote] if e.evidence else []):
                for x in (t, " ".join(t.split())):
                    assert template._split(x) == template._SENT_SPLIT.split(x)
                    n += 1
    assert n > 100


SPLIT_VOCAB = [".", "!", "?", "..", ". ", "! ", "? ", ".\" ", ".) ", ".') ", ".] ", " ", "\n", "A", "The", "(", "\"",
               "a", "e.g.", "Dr. Smith", "?!", " ", " ", "É", "İ", "1. "]


@settings(FAST)
@given(_texts_of(SPLIT_VOCAB, 40))
def test_split_hypothesis(text: str) -> None:
    for x in (text, " ".join(text.split())):
        assert template._split(x) == template._SENT_SPLIT.split(x)


def _plain_rule_ids(item: Item, conclusion: bool) -> list[str]:
    """template._rule_ids as it was: ``any(w in low for w in rule["needs"])`` per rule and sentence."""
    if item.rationale is None:
        return []
    sentences = template._sentences(item.rationale.value)
    lowered = [s.lower() if s.isascii() else None for s in sentences]
    fired: list[str] = []
    groups: set[str] = set()
    for rule, rx in template._COMPILED:
        if rule["when"] is not conclusion or len(fired) >= MAX_REASONS:
            continue
        for s, low in zip(sentences, lowered):
            if low is not None and not any(w in low for w in rule["needs"]):
                continue
            m = rx.search(s)
            if not m:
                continue
            if rule.get("negated") and not template._RECORDS_LACK.search(s[: m.end() + 40]):
                continue
            if rule.get("records") and not conclusion and not template._RECORDS_LACK.search(s):
                continue
            if conclusion and re.search(r"\b(?:not|no|lack)\b", s, re.IGNORECASE) and rule["id"] == "records_support":
                continue
            fired.append(rule["id"])
            if rule.get("group"):
                groups.add(rule["group"])
            break
        if "ancillary" in groups:
            break
    return fired


def test_rule_ids_for_every_need_in_every_sentence_place() -> None:
    """Each need alone, spread over sentences, broken by a line or a space, next to a non-ASCII sentence."""
    items = _items()
    for w in NEEDS:
        for text in (f"The {w} was not met. Surgery is not necessary.", f"Surgery is planned. It is {w} to it.",
                     f"Surgery is not necessary. The {w.replace(' ', chr(10))} care is not necessary since surgery",
                     f"The İ {w} part. Surgery was not necessary, so the {w} item is not necessary because surgery",
                     f"{w.upper()} and not necessary since surgery. {w}"):
            for it in items[:3]:
                for conclusion in (False, True):
                    it2 = _with_rationale(it, text)
                    assert template._rule_ids(it2, conclusion) == _plain_rule_ids(it2, conclusion), text


def test_rule_ids_on_every_item() -> None:
    items = _items()
    assert len(items) > 20
    for it in items:
        for conclusion in (False, True):
            assert template._rule_ids(it, conclusion) == _plain_rule_ids(it, conclusion)


TOPIC_VOCAB = NEEDS + [w.upper() for w in NEEDS] + [
    " ", ". ", ". The ", " not ", " no ", " lack of ", " surgery ", " procedure ", " was ", " has been ", " for ",
    " to undergo ", " necessary ", " because ", " indicated ", " guidelines ", " red flag", "s", "ed", "ing",
    " medical records ", " documentation ", " functional improvement ", " physical exam ", "ſurg", "İ",
]


@settings(FAST)
@given(_texts_of(TOPIC_VOCAB, 40), st.booleans(), st.integers(min_value=0, max_value=10_000))
def test_rule_ids_hypothesis(text: str, conclusion: bool, pick: int) -> None:
    items = _items()
    it = _with_rationale(items[pick % len(items)], text)
    assert template._rule_ids(it, conclusion) == _plain_rule_ids(it, conclusion)


# ------------------------------------------------------------------------------------------ amounts


def _plain_amount_in_rationale(item: Item, n: float) -> bool:
    """plain.amount_in_rationale as it was: a pattern compiled per number."""
    unit = (item.unit.value if item.unit else "") or ""
    stem = re.escape(unit.rstrip("s")) if unit else r"\w+"
    texts = [e.evidence.quote for e in (item.rationale, item.medically_necessary, item.treatment)
             if isinstance(e, Extracted) and e.evidence]
    rx = re.compile(rf"\b{re.escape(plain.num(n))}\s+(?:[A-Za-z-]+\s+){{0,3}}?(?:{stem}|visit|session|treatment)s?\b",
                    re.IGNORECASE)
    return any(rx.search(" ".join(t.split())) for t in texts)


UNITS = ["", "session", "sessions", "visit", "injection", "tablet", "day", "s", "mg/day", "a.b", "ſession", "K"]
NUMBERS = [0.0, 1.0, 2.0, 3.0, 6.0, 12.0, 0.5, 1.5, 12.25, 100.0, 1e-05, 1e20, -3.0, float("inf")]


def test_amount_in_rationale_on_every_item() -> None:
    n_true = 0
    for it in _items():
        numbers = set(NUMBERS)
        for e in (it.rationale, it.medically_necessary, it.treatment):
            if isinstance(e, Extracted) and e.evidence:
                numbers.update(float(x) for x in plain.numbers_in(e.evidence.quote))
        if it.quantity is not None:
            numbers.add(float(it.quantity.value))
        for unit in [None] + UNITS:
            u = it if unit is None else it.model_copy(update={"unit": Extracted[str](value=unit)})
            for x in numbers:
                got = plain.amount_in_rationale(u, x)
                assert got == _plain_amount_in_rationale(u, x), (u.unit, x)
                n_true += got
    assert n_true > 10


AMOUNT_VOCAB = ["12", "6", "0.5", "1.5", "12.5", "112", "1", "2", " ", "  ", "\n", ".", "-", " more ", " supervised ",
                " physical therapy ", " visits", " visit", " sessions", " session", " treatments", " injections",
                "SESSIONS", " x ", "ſessions", " Kelvin ", " a-b ", "_", "visitor", " mg/day", "٣", "１２"]


@settings(FAST)
@given(st.lists(_texts_of(AMOUNT_VOCAB), min_size=1, max_size=3), st.sampled_from(UNITS),
       st.sampled_from(NUMBERS + [12.5, 112.0, 2.0]))
def test_amount_in_rationale_hypothesis(quotes: list[str], unit: str, x: float) -> None:
    base = _items()[0]
    fields = dict(zip(("rationale", "medically_necessary", "treatment"), quotes))
    update = {k: Extracted[str](value=q, evidence=base.treatment.evidence.model_copy(update={"quote": q}))
              for k, q in fields.items()}
    update["unit"] = Extracted[str](value=unit)
    it = base.model_copy(update=update)
    assert plain.amount_in_rationale(it, x) == _plain_amount_in_rationale(it, x)


# ------------------------------------------------------------------------------------------ glossary


def _plain_candidate_terms(low: str | None) -> list[plain.GlossTerm]:
    """plain._candidate_terms as it was: a lookup per three-character piece of the name."""
    terms = plain.gloss_terms()
    if low is None:
        return list(terms)
    by_head, always = plain._gloss_heads()
    picked = set(always)
    for i in range(len(low) - 2):
        picked.update(by_head.get(low[i:i + 3], ()))
    return [terms[i] for i in sorted(picked)]


def test_candidate_terms_on_every_name() -> None:
    n = 0
    for it in _items():
        for e in (it.treatment, it.authorized, it.original_request, it.rationale):
            if e is None:
                continue
            for name in (e.value, plain.clean_name(e.value).text):
                low = name.lower() if name.isascii() else None
                assert list(plain._candidate_terms(low)) == _plain_candidate_terms(low)
                n += 1
    for g in plain.gloss_terms():  # every spelling, alone and glued
        for low in (g.key, g.key + g.key, "x" + g.key[1:], g.key[:2]):
            assert list(plain._candidate_terms(low)) == _plain_candidate_terms(low)
    assert n > 50


GLOSS_VOCAB = [g.key for g in plain.gloss_terms() if g.key][:80] + [" ", "-", "/", "x", "ur", "ua", "tens"]


@settings(FAST)
@given(_texts_of(GLOSS_VOCAB, 12))
def test_candidate_terms_hypothesis(text: str) -> None:
    for low in (text, text.lower(), None):
        assert list(plain._candidate_terms(low)) == _plain_candidate_terms(low)


# ------------------------------------------------------------------------------------------ numbers


def _plain_numbers_in(text: str) -> list[str]:
    """plain.numbers_in as it was: ``_NUM`` (a lookbehind tried at every character)."""
    return [m.group(1) for m in re.finditer(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d])", text)]


@lru_cache(maxsize=1)
def _explanations() -> tuple[str, ...]:
    from imrassist.explain import explain, summarize

    out: list[str] = []
    paths = [SEED] + sorted((REPO / "evals").glob("*/letters/*.txt"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    for p in paths:
        lt = read_letter(p)
        rec = reference_record(lt)
        out += [lt.original, lt.text, explain(rec, lang="en").text, explain(rec, lang="es").text, summarize(rec)]
    return tuple(out)


def test_numbers_in_on_every_text() -> None:
    n = 0
    for t in _explanations():
        assert plain.numbers_in(t) == _plain_numbers_in(t)
        n += len(_plain_numbers_in(t))
    assert n > 1000


NUMBER_VOCAB = ["12", "0", "1.5", ".", "..", "1.2.3", "12/29/16", "x", " ", "٣", "٤٠", "५", "３", "０", "²", "¼", "-", "e",
                "a1b", "v2.0", ".5", "5.", "1,000"]


@settings(FAST)
@given(_texts_of(NUMBER_VOCAB, 30) | st.text(alphabet=CHARS, max_size=60))
def test_numbers_in_hypothesis(text: str) -> None:
    assert plain.numbers_in(text) == _plain_numbers_in(text)


# ------------------------------------------------------------------------------------------ names


def _plain_fix_caps(text: str) -> str:
    """plain._fix_caps as it was: every letter read, then the all-caps rewrite."""
    letters = [c for c in text if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        return w.lower() if w.lower() in plain.COMMON_WORDS else w

    return re.sub(r"[A-Za-z]+", word, text)


def test_fix_caps_on_every_name() -> None:
    n = 0
    for it in _items():
        for e in (it.treatment, it.authorized, it.original_request):
            if e is None:
                continue
            for t in (e.value, e.value.upper(), e.value.lower(), " ".join(e.value.split())):
                assert plain._fix_caps(t) == _plain_fix_caps(t)
                n += 1
    assert n > 50


CAPS_VOCAB = ["OF", "AND", "PUSH", "THERAPY", "of", "x", "12", " ", "-", "#", "/", "ſ", "K", "İ", "ª", "ⅰ", "ⓐ", "É", "é",
              "ß", "Σ", "ǅ", "_"]


@settings(FAST)
@given(_texts_of(CAPS_VOCAB, 20) | st.text(alphabet=CHARS, max_size=30))
def test_fix_caps_hypothesis(text: str) -> None:
    assert plain._fix_caps(text) == _plain_fix_caps(text)
