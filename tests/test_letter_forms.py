"""Typesetting forms a PDF's text layer keeps (ligatures, the ellipsis, full-width ASCII) are read as the
letters they stand for, and every quote still stands at its offsets in the original."""

from __future__ import annotations

import re

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


# ------------------------------------------------------------------------ text without blank lines

def unbroken(text: str) -> str:
    """The letter as PDF libraries that write no blank lines give it (paragraphs run on line after line)."""
    return re.sub(r"\n\s*\n", "\n", text)


def _repo_and_shared_letters() -> list:
    from tests.test_checks_helpers import repo_letter_paths

    return [p for p in repo_letter_paths() if p.suffix == ".txt"]


@pytest.mark.parametrize("path", _repo_and_shared_letters(), ids=lambda p: p.stem[:30])
def test_a_letter_without_blank_lines_reads_as_with_them(path):
    """Items are found by their decision lines ("MRI of the left shoulder: Upheld", its name wrapped over
    lines or its decision word on a line of its own) after the sentence before them ends."""
    text = path.read_text(encoding="utf-8", errors="replace")
    flat = unbroken(text)
    assert "\n\n" not in flat
    want = to_gold_view(extract(letter_from_text(text, source=path.name)))
    letter = letter_from_text(flat, source=path.name)
    record = extract(letter)
    assert to_gold_view(record) == want
    assert not errors(check(letter, record=record, strict=True))


def test_blank_lines_still_part_a_header_of_several_sentences_as_one_paragraph():
    """Where blank lines part paragraphs, an item header of several sentences is not cut at a sentence end."""
    head = ("Physical therapy 2 times a week for 6 weeks was the original request.\n"
            "Physical therapy 2 times a week for 3 weeks was authorized by the Claims Administrator.\n"
            "The remaining portion of the original request, physical therapy 2 times a week for 3 weeks, is: Upheld\n")
    text, _ = normalize("Intro line one.\n\n" + head + "\nDecision rationale: none.\n")
    assert "original request. Physical therapy 2 times a week for 3 weeks was authorized" in text


# ------------------------------------------------------------------------ pages without text of their own

def test_a_page_holding_only_its_footer_does_not_make_the_next_pages_first_line_a_header():
    """Both page breaks lead to the same first line of text; counted twice it looked like a running header
    repeated on two pages and was dropped (here: a whole item)."""
    text = SEED.read_text()
    name_line = next(ln for ln in text.split("\n") if ln.rstrip().endswith("Overturned"))
    cut = text.index(name_line)
    paged = text[:cut] + "Page 2 of 4\n\f\n \nPage 3 of 4\n\f\n" + text[cut:]
    letter = letter_from_text(paged, source="blank-page.txt")
    assert name_line.split(":")[0].strip() in letter.text
    assert to_gold_view(extract(letter)) == to_gold_view(extract(letter_from_text(text, source="seed.txt")))
