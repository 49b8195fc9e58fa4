"""Ingestion: normalisation of PDF artefacts, the offset map back to the original, layout and sections."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imrassist.errors import InputError, NotAnIMRLetter
from imrassist.letter import (
    MAX_INPUT_BYTES,
    letter_from_bytes,
    letter_from_text,
    normalize,
    read_letter,
)
from tests.shared_data import SAMPLE, needs_shared, shared_letter, shared_names, shared_pdf

MINI = (
    "Case Number: CM16-0000001\nDate Assigned: 01/02/2016 Date of Injury: 03/04/2015\n"
    "HOW THE IMR FINAL DETERMINATION WAS MADE\nSomething about the reviewer.\n"
    "CLINICAL CASE SUMMARY\nThe injured worker is a 40-year-old male.\n"
    "IMR ISSUES, DECISIONS AND RATIONALES\nMassage therapy x 6: Upheld\n"
    "Claims Administrator guideline: Decision based on MTUS Chronic Pain.\n"
    "MAXIMUS guideline: Decision based on MTUS Chronic Pain.\n"
    "Decision rationale: Not medically necessary.\n"
)


def _check_map(original: str, text: str, omap) -> None:
    assert len(omap) == len(text)
    prev = -1
    for i, ch in enumerate(text):
        o = omap[i]
        assert 0 <= o < len(original)
        assert o >= prev, "the map must be monotonic"
        prev = o
        if ch in " \n":
            continue  # joins and paragraph breaks map to the whitespace they replace
        src = original[o]
        assert src == ch or src in "\u2018\u2019\u201c\u201d\u2013\u2014\u2011\u2010\u2212\u201a\u201e\u2032\u2033\u2012", (ch, src)


def test_pdf_artefacts_are_normalised_and_mapped() -> None:
    original = (
        " \nHOW THE IMR FINAL DETERMINATION WAS MADE \n\nThe reviewer is licensed \n\nin California. \n\n \n\n"
        "CLINICAL CASE SUMMARY \n\nThe patient had physical ther-\n\napy and a documen-\n\ntation gap; evidence-\n\nbased care.\n\n"
        "Page 2 of 4\n\nIMR ISSUES, DECISIONS AND RATIONALES \n\nSix sessions of massage:  Overturned \n\n \n\n"
        "Decision rationale: It is medically necessary. \n\n"
    )
    text, omap = normalize(original)
    _check_map(original, text, omap)
    lines = text.split("\n")
    assert "The reviewer is licensed in California." in lines
    assert "Page 2 of 4" not in text
    assert "documentation gap" in text  # suffix rule removes the hyphen
    assert "evidence-based care" in text  # a real compound keeps it
    assert "Six sessions of massage: Overturned" in lines


def test_form_feed_page_break_joins_a_sentence() -> None:
    original = "CLINICAL CASE SUMMARY \nThe strength was 4/5 in \n\n\fabduction and rotation. \n \nNext paragraph. \n \n"
    text, omap = normalize(original)
    _check_map(original, text, omap)
    assert "The strength was 4/5 in abduction and rotation." in text.split("\n")
    assert "Next paragraph." in text.split("\n")


def test_plain_text_with_blank_lines_and_crlf() -> None:
    original = MINI.replace("\n", "\r\n\r\n")
    letter = letter_from_text(original)
    assert letter.layout == "format1"
    _check_map(original, letter.text, letter._map)
    assert "Massage therapy x 6: Upheld" in letter.text.split("\n")


def test_evidence_quotes_the_original() -> None:
    original = "CLINICAL CASE SUMMARY \nThe injured worker is a 33-year-old \n\nmale who was injured on October \n\n19, 2012.\n"
    letter = letter_from_text(original, require_imr=False)
    i = letter.text.index("October 19, 2012")
    ev = letter.evidence(i, i + len("October 19, 2012"))
    assert letter.original[ev.start : ev.end] == ev.quote
    assert ev.quote.split() == ["October", "19,", "2012"]


@given(st.lists(st.sampled_from(["word", "Word-", "x", "  ", "\n", " \n", "\n\n", "\f", "Page 1 of 2", "\u2019", "a-\nb", ":"]), max_size=60))
@settings(max_examples=300, deadline=None)
def test_offset_map_property(parts: list[str]) -> None:
    original = "".join(parts)
    text, omap = normalize(original)
    if text:
        _check_map(original, text, omap)


def test_layouts_and_sections() -> None:
    letter = read_letter(SAMPLE)
    assert letter.layout == "format1"
    names = [s.name for s in letter.sections]
    assert names[:3] == ["how_made", "summary", "decisions"]
    assert letter.section_text("decisions").startswith("The Final Determination")
    f2 = letter_from_text("MAXIMUS FEDERAL SERVICES, INC.\nIndependent Medical Review\nIMR DECISION(S) AND RATIONALE(S)\nX: Upheld\n")
    assert f2.layout == "format2"
    f3 = letter_from_text("MEDICAL PROFESSIONAL REVIEW\nISSUE AT DISPUTE:\nX: Upheld\nCASE SUMMARY:\nfoo\n")
    assert f3.layout == "format3"
    other = letter_from_text("Independent Medical Review decision\nThe request for X: Upheld\n")
    assert other.layout == "other"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x00\x01\x02binary\x00junk" * 10, "binary"),
        (b"Patient seen for knee pain. Plan: ice and rest. Follow up in 2 weeks.", "not_imr"),
        (b"UTILIZATION REVIEW DETERMINATION\nThe request for physical therapy is non-certified.", "not_imr"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF", "corrupt_pdf"),
    ],
)
def test_bad_input_is_a_one_line_input_error(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as exc:
        letter_from_bytes(data, source="in.txt")
    assert exc.value.reason == reason
    line = exc.value.one_line()
    assert line.startswith("in.txt: ") and "\n" not in line


def test_not_imr_is_specific_error() -> None:
    with pytest.raises(NotAnIMRLetter):
        letter_from_text("Dear patient, your appointment is on Monday.")


def test_windows_1252_smart_quotes() -> None:
    data = MINI.replace("Something about the reviewer.", "The reviewer\u2019s \u201copinion\u201d \u2013 final.").encode("cp1252")
    assert b"\x92" in data  # a Windows-1252 file, not UTF-8
    letter = letter_from_bytes(data, source="w.txt")
    assert "The reviewer's \"opinion\" - final." in letter.text
    i = letter.text.index("reviewer's")
    ev = letter.evidence(i, i + len("reviewer's"))
    assert ev.quote == "reviewer\u2019s"


def test_size_limit_refused_before_reading(tmp_path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.seek(MAX_INPUT_BYTES + 10)
        fh.write(b"x")
    with pytest.raises(InputError) as exc:
        read_letter(big)
    assert exc.value.reason == "too_large"


def test_missing_and_directory(tmp_path) -> None:
    with pytest.raises(InputError) as exc:
        read_letter(tmp_path / "nope.txt")
    assert exc.value.reason == "missing"
    with pytest.raises(InputError) as exc:
        read_letter(tmp_path)
    assert exc.value.reason == "directory"


@needs_shared
@pytest.mark.parametrize("name", [n for n in shared_names() if shared_pdf(n) is not None])  # the 2013 seed has none
def test_pdf_and_text_agree(name: str) -> None:
    pdf = shared_pdf(name)
    assert pdf is not None
    from_pdf = read_letter(pdf)
    from_txt = read_letter(shared_letter(name))
    assert from_pdf.original == from_txt.original
    assert from_pdf.layout == from_txt.layout
