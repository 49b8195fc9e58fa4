"""The explanation reading's second round of fast paths give exactly what the plain versions give.

* :func:`~imrassist.checks.explanation._best_item` ranks the items a treatment phrase may name and gives the
  best only (the only one ever asked for): it scores the spelling similarity of a candidate only where that
  can change which is best, and finds the words' families once for all items;
* the "group", "all" and "plural" tests of a sentence (:func:`~imrassist.checks.common.holds_match`) and the
  people taken out of a treatment phrase (:func:`~imrassist.checks.explanation.treatment_words`) are made only
  in an ASCII text that holds one of the words every match holds;
* the clause a "decided" phrase starts in is found from the end of the text before the outcome.

Each is compared here with the plain version (written out below) on every explanation the repository holds
(ours of every letter in English and Spanish, the reviewer summary, the synthetic and shared explanations:
their sentences, item lines and treatment phrases, and the items' names) and on generated text (item words,
other scripts' digits, accents, "ſ", the Kelvin sign, "İ", glued tokens, mixed case), and so is the whole
reading with all of them in place of the plain versions.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from imrassist.checks import explanation as X
from imrassist.checks import reference_record
from imrassist.checks.common import core_of, distinctive, mapped_words
from imrassist.checks.facts import ItemFact, build_facts
from imrassist.letter import read_letter
from imrassist.parse import norm_words

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED
from tests.test_explanation_speed import ODD, PUNCT, VOCAB, _case, _cases, _texts_of

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------ plain versions


def _plain_best_items(phrase: str, items: list[ItemFact]) -> list[int]:
    """The items a treatment phrase names, best first, as first written: every candidate scored (spelling
    ratio included) and the list sorted."""
    phrase = X.treatment_words(phrase)
    core = core_of(phrase)
    dist = distinctive(phrase)
    ws = mapped_words(phrase)
    norm = norm_words(phrase)
    scored: list[tuple[float, int]] = []
    for f in items:
        if core and not all(w in f.vocab or w in f.block_words or X._in_family(w, f) for w in core):
            continue
        overlap = len(dist & (f.keys | f.vocab))
        weak = bool(f.weak_keys & ws)
        if not core and overlap == 0 and not weak:
            continue
        ratio = fuzz.token_set_ratio(norm, norm_words(f.name))
        strong = bool(core) and all(w in f.vocab or X._in_family(w, f) for w in core)
        scored.append((strong * 1000 + overlap * 100 + weak * 50 + ratio, f.index))
    scored.sort(reverse=True)
    return [i for _, i in scored]


def _check_best(phrase: str, items: list[ItemFact]) -> None:
    plain = _plain_best_items(phrase, items)
    assert X._best_item(phrase, items) == (plain[0] if plain else None), (phrase, [f.name for f in items], plain)
    for f in items:
        core = core_of(X.treatment_words(phrase))
        plain_covers = all(w in f.vocab or w in f.block_words or X._in_family(w, f) for w in core)
        assert X._item_covers(core, f) == plain_covers == X._item_covers(core, f, {}), (phrase, f.name)


# ------------------------------------------------------------------------------------------------- corpus


def _phrases(raw: str, lang: str, facts, kind: str) -> set[str]:
    """Every sentence, item line, treatment phrase and piece between commas of an explanation."""
    r = X.read_explanation(raw, lang, facts, kind)
    out = {r.text[sn.start:sn.end] for sn in r.sents} | {t.text for t in r.treatments}
    for s in list(out):
        out.update(p for p in s.replace(";", ",").replace(":", ",").split(",") if p.strip())
    return out


def test_best_item_equals_the_plain_ranking_on_the_corpus():
    cases = _cases()
    assert len(cases) > 150
    several = 0  # (phrases with more than one candidate: where the ranking is made)
    for raw, lang, facts, kind in cases:
        items = facts.items
        for phrase in _phrases(raw, lang, facts, kind) | {f.name for f in items}:
            _check_best(phrase, items)
            several += len(_plain_best_items(phrase, items)) > 1
    assert several > 100


# -------------------------------------------------------------------------------------------- generated


def _letters() -> list[Path]:
    paths = [SEED, *sorted((REPO / "evals" / "synthetic" / "letters").glob("*.txt"))]
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _facts() -> tuple:
    """The facts of the seed letter (one item) and of the letters with the most items (that is where the
    items share words and a phrase leaves several candidates)."""
    all_facts = []
    for p in _letters():
        lt = read_letter(p)
        all_facts.append(build_facts(lt, reference_record(lt)))
    return (all_facts[0], *sorted(all_facts[1:], key=lambda f: -len(f.items))[:4])


@lru_cache(maxsize=1)
def _item_words() -> tuple[str, ...]:
    """Words of the items' names and vocabularies (sorted: the same draws every run)."""
    words: set[str] = set()
    for facts in _facts():
        for f in facts.items:
            words.update(f.name.split())
            words.update(sorted(f.vocab)[:40])
            words.update(sorted(f.keys))
    return tuple(sorted(words))


SMALL = ["the", "your", "doctor's", "and", "of", "for", "request", "6", "visits", "therapy", "injection", "left",
         "right", "lumbar", "cervical", "knee", "(", ")", ",", "-", "/", "ſ", "K", "İ", "é", "٣", "²"]


@FAST
@given(st.data(), st.integers(0, 4))
def test_best_item_equals_the_plain_ranking(data, which):
    facts = _facts()[which % len(_facts())]
    names = [f.name for f in facts.items]
    piece = _case(st.sampled_from(_item_words() + tuple(SMALL))) | st.sampled_from(names) \
        | st.text(alphabet="abeiknostxyzAOSX0123456789 -/" + ODD, max_size=4)
    parts = data.draw(st.lists(piece, max_size=8))
    phrase = data.draw(st.sampled_from(["", " ", " ", "-"])).join(parts)
    _check_best(phrase, facts.items)


@FAST
@given(st.data())
def test_best_item_breaks_ties_as_the_plain_ranking(data):
    """Items that differ only in their index or name (equal scores but for the spelling ratio, or equal
    scores): the best is the one the sorted list puts first."""
    facts = _facts()[1]
    pool = list(facts.items)
    items = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    # (fresh indices, so that copies of one item are distinct candidates with equal scores)
    items = [replace(f, index=i) for i, f in enumerate(items)]
    words = sorted({w for f in items for w in f.name.split()})
    phrase = " ".join(data.draw(st.lists(st.sampled_from(words + SMALL), max_size=6)))
    _check_best(phrase, items)


# ------------------------------------------------------------------------- gates of the reading's tests

#: (pattern, the words every match holds, lower case) of each test made only where its words stand.
GATES = [(X._GROUP_RE, X._GROUP_STEMS), (X._ALL_RE, X._ALL_STEMS), (X._PLURAL_RE, X._PLURAL_STEMS),
         ({"*": X._POSSESSIVE}, {"*": X._POSSESSIVE_STEMS})]

#: Words of those patterns (and near misses), in both languages.
GATE_VOCAB = ["both", "both knees", "all", "all of them", "all the requests", "all 3", "they were all", "are all", "each",
              "each one", "every item", "everything", "these", "those", "them", "denials", "items", "requests",
              "treatments", "approved items", "still-denied services", "still denied things", "upheld ones",
              "items that were denied", "parts that have been still overturned", "requests that are approved",
              "ambos", "ambas rodillas", "todos los tratamientos", "todas ellas", "fueron todos", "cada uno", "todo",
              "estos", "ellos", "negaciones", "solicitudes", "tratamientos que fueron aprobados", "puntos negados",
              "servicio rechazado", "your doctor", "the surgeon", "their own physician", "my provider", "his therapist",
              "the médico", "su medico", "su cirujano", "su doctor", "doctor's", "surgeon’s", "Dr. Lee's", "x-ray's",
              "it's", "'s", "’", "call", "small", "one", "part", "thing", "request", "the", "her", "other", "therapy"]


def _check_gates(text: str) -> None:
    if not text.isascii():
        return  # (the gates are used on ASCII text only)
    low = text.lower()
    for rxs, stems in GATES:
        for lang, rx in rxs.items():
            for m in rx.finditer(text):
                assert any(k in low[m.start():m.end()] for k in stems[lang]), (text, lang, m.group(0))


def test_every_gated_match_holds_its_words_on_the_corpus():
    for raw, _, facts, _ in _cases():
        _check_gates(raw)
        for f in facts.items:
            _check_gates(f.name)
    # (every alternative of each pattern, once)
    _check_gates("Both requests, all of the treatments, all of them, all two, all requested, them all, each one, every "
                 "request, everything; these, those, them, each, denials, items, requests, treatments. Approved items, "
                 "denied ones, still-denied services, still denied treatments, overturned requests, upheld parts, "
                 "things that were approved, items that have been still denied, ones that are now upheld. Ambos, "
                 "todas las solicitudes, todos ellos, todas tres, fueron todos, cada uno, todo; estos, estas, ellos, "
                 "negaciones, solicitudes, tratamientos; tratamientos que fueron aprobados, puntos negados, servicio "
                 "denegado, partes que siguen rechazadas, solicitud aprobada. The doctor's plan, your own doctor, my "
                 "surgeon, his physician, her provider, their therapist, the medico, the cirujano, su medico, su "
                 "cirujano, su doctor.")


@FAST
@given(_texts_of(GATE_VOCAB, "abeiknostwxyzAOSWX0123456789" + PUNCT))
def test_every_gated_match_holds_its_words(text):
    _check_gates(text)


def _plain_treatment_words(phrase: str) -> str:
    return X._POSSESSIVE.sub(" ", phrase)


@FAST
@given(_texts_of(GATE_VOCAB, size=12))
def test_treatment_words_equal_the_plain_substitution(phrase):
    assert X.treatment_words(phrase) == _plain_treatment_words(phrase)


def _plain_clause_start(text: str, s: int, a: int) -> int:
    start = s
    for m in X._DECIDED_CLAUSE_START.finditer(text, s, a):
        start = m.end()
    return start


def _fast_clause_start(text: str, s: int, a: int) -> int:
    m = X._DECIDED_CLAUSE_LAST.match(text, s, a)
    return m.end() if m else s


@FAST
@given(_texts_of([",", ";", ":", "(", ")", "and", "but", "so", "that", "because", "which", "while", "when", "if",
                  "AND", "So", "band", "thats", "ifs", "x", "y", " ", "\n", "é", "ſ", "K", "İ"], size=20), st.data())
def test_decided_clause_start_equals_the_last_match(text, data):
    s = data.draw(st.integers(0, len(text)))
    a = data.draw(st.integers(s, len(text)))
    assert _fast_clause_start(text, s, a) == _plain_clause_start(text, s, a), (text, s, a)


# ------------------------------------------------------------------------------------ the whole reading


def _plain_reading(raw: str, lang: str, facts, kind: str) -> X.Reading:
    """The reading with every fast path of this file's round replaced by its plain version."""
    class ClauseLast:  # (the last clause start found by finditer)
        @staticmethod
        def match(text: str, s: int, a: int):
            start = _plain_clause_start(text, s, a)
            return _Ended(start) if start != s else None

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(X, "holds_match", lambda rx, stems, s, low=None: rx.search(s) is not None)
        mp.setattr(X, "treatment_words", _plain_treatment_words)
        mp.setattr(X, "_best_item", lambda phrase, items: (_plain_best_items(phrase, items) or [None])[0])
        mp.setattr(X, "_DECIDED_CLAUSE_LAST", ClauseLast)
        return X.read_explanation(raw, lang, facts, kind)


class _Ended:
    def __init__(self, end: int) -> None:
        self._end = end

    def end(self) -> int:
        return self._end


def _check_reading(raw: str, lang: str, facts, kind: str) -> None:
    fast = X.read_explanation(raw, lang, facts, kind)
    assert repr(fast) == repr(_plain_reading(raw, lang, facts, kind)), (raw, lang, kind)


def test_reading_equals_the_plain_reading_on_the_corpus():
    for raw, lang, facts, kind in _cases():
        _check_reading(raw, lang, facts, kind)


@FAST
@given(st.data(), st.sampled_from(["en", "es"]), st.sampled_from(["worker", "summary"]), st.integers(0, 4))
def test_reading_equals_the_plain_reading(data, lang, kind, which):
    facts = _facts()[which % len(_facts())]
    names = [f.name for f in facts.items]
    vocab = VOCAB + GATE_VOCAB + list(_item_words()[:200]) + [f"{n}: approved." for n in names] + [f"{n}: denied." for n in names]
    text = data.draw(_texts_of(vocab))
    _check_reading(text, lang, facts, kind)
