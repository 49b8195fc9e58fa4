"""Typesetting forms a PDF's text layer keeps (ligatures, the ellipsis, full-width ASCII) are read as the
letters they stand for, and every quote still stands at its offsets in the original."""

from __future__ import annotations

import pytest

from imrassist.checks import check
from imrassist.extract import extract
from imrassist.gold import to_gold_view
from imrassist.letter import letter_from_text, normalize

from tests.test_checks_helpers import SEED, describe, errors, letter_names, needs_letters, SHARED

LIGATURES = {"ffi": "\ufb03", "ffl": "\ufb04", "ff": "\ufb00", "fi": "\ufb01", "fl": "\ufb02"}


def ligatured(text: str) -> str:
    for plain, lig in LIGATURES.items():  # (longest first)
        text = text.replace(plain, lig)
    return text


def full_width(text: str) -> str:
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F) if chr(c).isdigit() or chr(c) in "/:-"})


def test_normalised_text_spells_forms_out_and_maps_each_letter_to_its_form():
    original = "The O\ufb03ce of the Chief; see page \uff16\uff10\u2026 done"
    text, omap = normalize(original)
    assert text == "The Office of the Chief; see page 60... done"
    assert len(omap) == len(text)
    i = text.index("ffi")
    assert [original[omap[i + k]] for k in range(3)] == ["\ufb03"] * 3  # ("ﬃ" is one character)
    assert original[omap[text.index("60")]] == "\uff16"
    assert list(omap) == sorted(omap)


@pytest.mark.parametrize("form", [ligatured, full_width], ids=["ligatures", "full-width"])
def test_a_letter_in_typeset_forms_reads_as_the_plain_letter(form):
    plain_text = SEED.read_text()
    typeset = form(plain_text)
    assert typeset != plain_text
    want = to_gold_view(extract(letter_from_text(plain_text, source="plain.txt")))
    letter = letter_from_text(typeset, source="typeset.txt")
    record = extract(letter)
    assert to_gold_view(record) == want
    report = check(letter, record=record, strict=True)
    assert not errors(report), describe(report)
    for ev in (record.dates.injury.evidence, record.items[0].treatment.evidence):
        assert typeset[ev.start:ev.end] == ev.quote


@needs_letters
@pytest.mark.parametrize("name", letter_names()[:8])
def test_real_letters_with_ligatures_read_as_without(name):
    text = (SHARED / "letters" / f"{name}.txt").read_text()
    want = to_gold_view(extract(letter_from_text(text, source=name)))
    letter = letter_from_text(ligatured(text), source=name)
    record = extract(letter)
    assert to_gold_view(record) == want
    assert not errors(check(letter, record=record, strict=True))
