"""The explanation reading's second round of fast paths give exactly what the plain versions give.

:func:`~imrassist.checks.explanation._best_item` ranks the items a treatment phrase may name and gives the
best only (the only one ever asked for): it scores the spelling similarity of a candidate only where that can
change which is best, and finds the words' families once for all items. It is compared here with the plain
ranking (every candidate scored, the list sorted; written out below) on every phrase of every explanation the
repository holds (ours of every letter in English and Spanish, the reviewer summary, the synthetic and shared
explanations: their sentences, item lines and treatment phrases, and the items' names) and on generated
phrases (item words, other scripts' digits, accents, "ſ", the Kelvin sign, "İ", glued tokens, mixed case).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

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
from tests.test_explanation_speed import ODD, _cases, _case

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
