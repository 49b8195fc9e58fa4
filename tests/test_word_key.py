"""A word a case-insensitive pattern matched is looked up in a table of lower-case ASCII words by
``parse.word_key``: its plain lower case is no key when the match took "ſ" for "s" or "ı"/"İ" for "i"
("maſculino" once stopped extraction with a KeyError)."""

from __future__ import annotations

import re
import string

import pytest

from imrassist.explain import plain
from imrassist import parse
from imrassist.letter import letter_from_text
from imrassist.extract import extract

from tests.test_checks_helpers import SEED


def _odd_letters() -> dict[str, list[str]]:
    """For each ASCII letter, the characters other than ASCII a case-insensitive pattern takes for it."""
    out: dict[str, list[str]] = {}
    for a in string.ascii_lowercase:
        rx = re.compile(a, re.IGNORECASE)
        out[a] = [chr(cp) for cp in range(0x80, 0x110000) if rx.fullmatch(chr(cp))]
    return out


ODD = _odd_letters()


def test_word_key_folds_every_letter_a_pattern_takes_for_an_ascii_one():
    assert any(ODD.values())  # (ſ, ı, İ, the Kelvin sign at least)
    for a, odd in ODD.items():
        for c in odd:
            assert parse.word_key(c) == a, (a, c)


TABLES = [
    ("sex words", parse.SEX_RE, 1, parse._SEX_WORDS, parse.parse_sex),
    ("units of measure", parse._MEASURE_RE, "u", parse._UNIT_MAP, lambda t: parse.find_quantity(f"take 5 {t}")),
    ("number words", plain._WORD_NUMBER_RE, 1, plain.WORD_NUMBERS, lambda t: list(plain._text_numbers(f"x {t} y"))),
]


def _spellings(word: str):
    for i, c in enumerate(word):
        for o in ODD.get(c.lower(), []):
            yield word[:i] + o + word[i + 1:]


@pytest.mark.parametrize("name,rx,group,table,read", TABLES, ids=[t[0] for t in TABLES])
def test_every_odd_spelling_of_a_table_word_is_looked_up_as_the_word(name, rx, group, table, read):
    n = 0
    for word in table:
        for odd in _spellings(word):
            m = rx.search(f"5 {odd} ")
            if m is None:
                continue
            n += 1
            assert table[parse.word_key(m.group(group))] == table[word], (word, odd)
            read(odd)  # (raised KeyError before word_key)
    assert n >= 5


def test_odd_spellings_read_as_the_words():
    assert parse.parse_sex("a maſculino worker") == "male"
    assert parse.parse_sex("the gİrl") == parse.parse_sex("the gırl") == "female"
    assert parse.find_quantity("5 mılliliters").unit == "ml"
    assert list(plain._text_numbers("ſix visits")) == [6.0]


def test_a_letter_spelling_its_sex_word_with_a_long_s_is_read():
    text = SEED.read_text()
    assert re.search(r"\bmale\b", text)
    letter = letter_from_text(re.sub(r"\bmale\b", "maſculino", text, count=1), source="long-s.txt")
    assert extract(letter).worker.sex.value == "male"
