"""The quote re-reading's fast paths (record.grounding) give exactly what the plain versions give.

Second round (see tests/test_facts_speed.py for the first): the numbers of a quote read without
parse_number's general clean-up per token, a quote that reads ``MM/DD/YYYY`` taken as its date without
parsing, a path's last field name and a quote's quantity looked up once. Each is compared with the plain
version it replaced, kept below: on the quotes of every record of the repository's letters (samples/,
evals/*/letters/, the shared letters when they are there) and of records planted with errors, and on
hypothesis-generated text with other scripts' digits, accents, "ſ", the Kelvin sign, "İ", superscripts,
glued tokens and mixed case.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from imrassist.checks import record as R
from imrassist.checks.common import find_counts, fragment
from imrassist.models import Citation
from imrassist.parse import find_quantity, parse_date, parse_number

from tests.test_facts_speed import CHARS, FAST, NAME_VOCAB, _records, _texts_of

# ------------------------------------------------------------------------------------------ the quotes


def _reread_args() -> list[tuple[str, object, str]]:
    """(path, value, fragment of the quote) of every evidence-carrying value of every record."""
    out = []
    for _, rec, _ in _records():
        for path, node in R.walk(rec):
            if node.evidence is not None and not isinstance(node, Citation):
                out.append((path, node.value, fragment(node.evidence.quote)))
    return out


# -------------------------------------------------------------------------------------------- numbers


def _plain_numbers_in(text: str) -> list[float]:
    out = []
    for c in find_counts(text, "en"):
        out.extend(float(v) for v in c.values)
    for m in re.finditer(r"\d+(?:\.\d+)?|[A-Za-z]+(?:-[A-Za-z]+)?", text):
        v = parse_number(m.group(0))
        if v is not None:
            out.append(float(v))
    return out


def _check_numbers(text: str) -> None:
    got, want = R._numbers_in(text), _plain_numbers_in(text)
    assert got == want, text
    assert [type(x) for x in got] == [type(x) for x in want]


def test_numbers_equal_the_parsed_tokens_on_the_corpus():
    for _, _, frag in _reread_args():
        _check_numbers(frag)
    for lt, _, facts in _records()[:60]:
        for f in facts.items:
            _check_numbers(f.header)
            _check_numbers(facts.rationale_text(f))


NUMBER_VOCAB = NAME_VOCAB + [
    "one", "Two", "TWELVE", "twenty-four", "twenty four", "Twenty-Four", "fourty", "a dozen", "dozen", "once",
    "twice", "veinte", "veinticuatro", "dieciséis", "treinta y dos", "uno", "un", "cero", "zero", "hundred",
    "one hundred", "1.5", "2.", ".5", "007", "99999999999999999999999", "9" * 400, "١٢", "٣.٤", "３０", "²",
    " years", " hours a week", "-", "--", "x", "X4", "2X4",
]


@settings(FAST)
@given(_texts_of(NUMBER_VOCAB, chars=CHARS + "\u2011", size=14))
def test_numbers_equal_the_parsed_tokens(text):
    _check_numbers(text)


# ---------------------------------------------------------------------------------------------- dates


def _plain_date_reread(value: dt.date, frag: str) -> tuple[bool, object]:
    got = parse_date(frag)
    return got == value, got


def test_dates_reread_as_parsed_on_the_corpus():
    n = 0
    for path, value, frag in _reread_args():
        if isinstance(value, dt.date):
            assert R._reread_uncached(path, value, frag) == _plain_date_reread(value, frag), (path, value, frag)
            n += frag == R._us_date(value)
    assert n > 0  # (the fast path is taken)


@settings(FAST)
@given(st.dates(), st.sampled_from(["", " ", ".", "0", "/", "-", "x"]), st.booleans())
def test_dates_reread_as_parsed(value, extra, before):
    us = f"{value.month:02d}/{value.day:02d}/{value.year}"
    if R._us_date(value) is not None:
        assert parse_date(R._us_date(value)) == value  # the claim the fast path rests on
    for frag in (us, f"{value.month}/{value.day}/{value.year}", value.isoformat(),
                 (extra + us) if before else (us + extra)):
        assert R._reread_uncached("dates.injury", value, frag) == _plain_date_reread(value, frag), frag
    # a datetime is not read as a date (parse_date's date is never equal to it)
    stamp = dt.datetime(value.year, value.month, value.day)
    assert R._reread_uncached("dates.injury", stamp, us) == _plain_date_reread(stamp, us)


# ----------------------------------------------------------------------------------- leaves, quantities


def _plain_leaf(path: str) -> str:
    return R._LAST_INDEX.sub("", path).rsplit(".", 1)[-1]


@settings(FAST)
@given(_texts_of(["items", "[", "]", "[0]", "[12]", ".", "quantity", "unit", "licensed_in", "reviewer", "٣", "²"], size=10))
def test_leaves_equal_the_plain_substitution(path):
    assert R._leaf(path) == _plain_leaf(path)
    assert R._leaf(path) == _plain_leaf(path)  # (the second time from the table)


def test_leaves_and_quantities_equal_the_plain_readings_on_the_corpus():
    for path, _, frag in _reread_args():
        assert R._leaf(path) == _plain_leaf(path)
        if path.endswith(("quantity", "unit")):
            assert R._quantity_in(frag) == find_quantity(frag)
