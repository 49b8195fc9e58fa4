"""How a letter's lines are shown: soft line breaks (a paragraph wrapped by the PDF) reflow, everything
else keeps its line, and the text itself is never changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imrassist.letter import read_letter
from imrassist.report.layout import is_double_spaced, soft_breaks
from tests.shared_data import REPO, SHARED

LONG = "The reviewer found that the requested treatment was not supported by the guideline and"


def _joined(text: str) -> str:
    """The text as a page shows it: every soft break read as one space."""
    out, pos = [], 0
    for a, b in soft_breaks(text):
        out += [text[pos:a], " "]
        pos = b
    return "".join(out + [text[pos:]])


def test_a_wrapped_paragraph_reads_as_one_and_structure_keeps_its_lines() -> None:
    text = (
        "Case Number: CM99-0000001 Date Assigned: 01/02/2017\n"
        "HOW THE DECISION WAS MADE\n"
        f"{LONG}\n"
        "therefore the request is not medically necessary for this worker at this time, as written\n"
        "Independent Medical Review determinations follow the same guideline and the same reasoning.\n"
        "The next sentence starts on a new line after a full stop and keeps its own line here.\n"
        "The list that follows below keeps its numbering as it stood in the original text of it\n"
        "1. Physical therapy is not medically necessary.\n"
        "In this letter a word is cut by a hyphen at the end of this particular line of it, medi-\n"
        "cally speaking, and stays as it was.\n"
    )
    shown = _joined(text)
    assert "and therefore the request" in shown  # next line in lower case
    assert "as written Independent Medical" in shown  # the line stopped mid-sentence
    assert "reasoning.\nThe next sentence" in shown  # a new sentence after a full stop
    assert "HOW THE DECISION WAS MADE\n" in shown and "Case Number: CM99-0000001 Date Assigned: 01/02/2017\n" in shown
    assert "text of it\n1. Physical" in shown  # a numbered item
    assert "medi-\ncally" in shown  # a hyphenated line end is the extractor's business, not the page's


def test_short_lines_and_page_breaks_never_join() -> None:
    text = (f"{LONG}\n" * 6) + "Received:\nsoon\n" + f"{LONG}\f\nand so on past a page break, as letters do\n"
    spans = soft_breaks(text)
    assert all("\f" not in text[a:b] for a, b in spans)
    assert "Received:\nsoon" in _joined(text)


def test_double_spaced_letters_join_across_the_blank_line_only_there() -> None:
    lines = [f"{i:02d} {LONG}" if i % 2 else f"and {i:02d} {LONG[4:]}" for i in range(12)]
    double = "\n\n".join(lines) + "\n"
    assert is_double_spaced(double)
    assert len(soft_breaks(double)) == 11
    single = "\n\n".join(lines[:2])  # not double-spaced: a blank line is a paragraph break
    assert not is_double_spaced(single) and soft_breaks(single) == []


def _letters() -> list[Path]:
    files = sorted((REPO / "samples").glob("*.txt")) + sorted((REPO / "evals" / "synthetic" / "letters").glob("*.txt"))
    return files + (sorted((SHARED / "letters").glob("*.txt")) if (SHARED / "letters").is_dir() else [])


@pytest.mark.parametrize("path", _letters(), ids=lambda p: p.stem)
def test_soft_breaks_of_real_layouts_are_whitespace_inside_paragraphs(path: Path) -> None:
    text = read_letter(path).original
    spans = soft_breaks(text)
    assert spans == sorted(spans)
    assert all(x[1] <= y[0] for x, y in zip(spans, spans[1:])), "overlapping spans"
    for a, b in spans:
        gap = text[a:b]
        assert gap.strip() == "" and "\f" not in gap and 1 <= gap.count("\n") <= 2, repr(gap)
        assert not re.fullmatch(r"[ \t\r]*\n[ \t\r]*\n[ \t\r]*", gap) or is_double_spaced(text)
