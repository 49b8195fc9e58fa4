"""Letter checks (kind ``consistency``): self-contradicting variants of sample letters are flagged."""

from __future__ import annotations

import re

import pytest

from imrassist.checks import check
from imrassist.letter import letter_from_text

from tests.test_checks_helpers import SEED, SHARED, describe, letter, letter_names, needs_letters


def _variant(text: str, pattern: str, repl: str, count: int = 1, last: bool = False) -> str:
    """``text`` with ``pattern`` (a regex; white space may be any PDF line break) replaced once."""
    rx = re.compile(pattern.replace(" ", r"\s+"))
    hits = list(rx.finditer(text))
    assert hits, f"pattern {pattern!r} not in the letter"
    m = hits[-1] if last else hits[0]
    return text[:m.start()] + m.expand(repl) + text[m.end():]


def _consistency(text: str, source: str = "variant.txt"):
    report = check(letter_from_text(text, source))
    return [f for f in report.findings if f.kind == "consistency"], report


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text()


def test_seed_letter_is_consistent(seed_text):
    found, report = _consistency(seed_text)
    assert not found, describe(report)


@needs_letters
@pytest.mark.parametrize("name", letter_names())
def test_sample_letters_have_no_consistency_error(name):
    report = check(letter(name))
    assert not [f for f in report.findings if f.kind == "consistency" and f.severity == "error"], describe(report)


# ------------------------------------------------------------------------------------------- conclusion


def test_overturned_item_whose_rationale_says_not_necessary(seed_text):
    text = _variant(seed_text, r"the request is considered medically necessary",
                    "the request is considered not medically necessary")
    found, report = _consistency(text)
    f = next(f for f in found if f.code == "LETTER_CONCLUSION_CONTRADICTS_DECISION")
    assert f.severity == "error" and f.expected == "medically necessary"
    assert "medically" in text[f.span[0]:f.span[1]]


@needs_letters
def test_upheld_item_whose_rationale_says_necessary():
    text = (SHARED / "letters" / "CM17-0006287.txt").read_text()
    text = _variant(text, r"is not medically necessary\.", "is medically necessary.", last=True)
    found, report = _consistency(text)
    assert [f.code for f in found if f.severity == "error"] == ["LETTER_CONCLUSION_CONTRADICTS_DECISION"], describe(report)


@needs_letters
def test_multi_item_letter_flags_only_the_contradicting_item():
    text = (SHARED / "letters" / "CM17-0010021.txt").read_text()
    # The E-stim item (the second one) now concludes "medically necessary" but stays Upheld.
    text = _variant(text, r"E-stim \(DOS 12/29/16\) is determined to not be medically necessary",
                    "E-stim (DOS 12/29/16) is determined to be medically necessary")
    found, report = _consistency(text)
    errs = [f for f in found if f.severity == "error"]
    assert len(errs) == 1 and errs[0].field == "items[1].decision", describe(report)


# ---------------------------------------------------------------------------------------------- limits


def test_request_over_the_quoted_limit_approved_without_reason(seed_text):
    text = _variant(seed_text, r"6 SESSION OF PUSH THERAPY", "12 SESSION OF PUSH THERAPY")
    found, report = _consistency(text)
    f = next(f for f in found if f.code == "LETTER_LIMIT_EXCEEDED_WITHOUT_REASON")
    assert (f.severity, f.found, f.expected) == ("error", "12", "<= 6")
    assert text[f.span[0]:f.span[1]].startswith("12")


def test_request_over_the_limit_with_a_stated_reason_is_consistent(seed_text):
    text = _variant(seed_text, r"6 SESSION OF PUSH THERAPY", "12 SESSION OF PUSH THERAPY")
    text = _variant(text, r"Based on documentation provided,",
                    "Exceptional factors are documented, with documented functional improvement. Based on documentation provided,")
    found, report = _consistency(text)
    assert not [f for f in found if f.code.startswith("LETTER_LIMIT")], describe(report)


def test_upheld_request_over_the_limit_is_consistent(seed_text):
    text = _variant(seed_text, r"6 SESSION OF PUSH THERAPY:  Overturned", "12 SESSION OF PUSH THERAPY:  Upheld")
    text = _variant(text, r"the request is considered medically necessary", "the request is not medically necessary")
    found, report = _consistency(text)
    assert not found, describe(report)


@needs_letters
def test_request_within_the_largest_quoted_limit_is_consistent():
    """CM17-0010885 approves 8 acupuncture visits; the rationale quotes a 3-4 visit trial AND up to 8-12."""
    found, report = _consistency((SHARED / "letters" / "CM17-0010885.txt").read_text())
    assert not [f for f in found if f.code.startswith("LETTER_LIMIT")], describe(report)


# ------------------------------------------------------------------------------------------ page & topic


def test_page_that_does_not_hold_the_topic_in_the_printed_edition(seed_text):
    text = _variant(seed_text, r"Treatment Guidelines (\s*)MASSAGE THERAPY Page\(s\): 60",
                    r"Treatment Guidelines 2009\1MASSAGE THERAPY Page(s): 80")
    found, report = _consistency(text)
    f = next(f for f in found if f.code == "LETTER_PAGE_TOPIC_OUTSIDE_RANGE")
    assert (f.severity, f.found, f.expected) == ("error", "80", "p. 60")
    assert "mtus-cpmtg-2009-massage-therapy" in f.message


def test_page_outside_topic_without_a_printed_year_is_only_a_warning(seed_text):
    text = _variant(seed_text, r"MASSAGE THERAPY Page\(s\): 60", "MASSAGE THERAPY Page(s): 80")
    found, report = _consistency(text)
    assert [(f.code, f.severity) for f in found] == [("LETTER_PAGE_TOPIC_OUTSIDE_RANGE", "warning")]


def test_unverified_topic_never_gives_an_error(seed_text):
    text = _variant(seed_text, r"Treatment Guidelines (\s*)MASSAGE THERAPY Page\(s\): 60",
                    r"Treatment Guidelines 2009\1Epidural steroid injections (ESIs) Page(s): 99")
    found, report = _consistency(text)
    page = [f for f in found if f.code == "LETTER_PAGE_TOPIC_OUTSIDE_RANGE"]
    assert page and all(f.severity == "info" for f in page)
    assert "unverified" in page[0].message


def test_page_inside_the_range_is_consistent(seed_text):
    text = _variant(seed_text, r"Treatment Guidelines (\s*)MASSAGE THERAPY", r"Treatment Guidelines 2009\1MASSAGE THERAPY")
    found, report = _consistency(text)
    assert not found, describe(report)


# ------------------------------------------------------------------------------------------------ dates


def test_two_injury_dates(seed_text):
    text = _variant(seed_text, r"A previous progress note", "The date of injury was October 21, 2012. A previous progress note")
    found, report = _consistency(text)
    f = next(f for f in found if f.code == "LETTER_DATES_CONFLICTING_INJURY")
    assert f.severity == "warning" and f.found == "2012-10-19, 2012-10-21"


def test_two_ur_dates(seed_text):
    text = _variant(seed_text, r"The reviewer non certified", "A utilization review dated January 3, 2014 agreed. The reviewer non certified")
    found, report = _consistency(text)
    assert [f.code for f in found] == ["LETTER_DATES_CONFLICTING_UR"]


@needs_letters
def test_real_letters_with_two_dates_are_warned():
    """CM17-0003917 gives the injury as 11/30/2016 and 12/1/16; CM17-0020243 the UR as 01/24 and 01-23-2017."""
    for name, code in (("CM17-0003917", "LETTER_DATES_CONFLICTING_INJURY"), ("CM17-0020243", "LETTER_DATES_CONFLICTING_UR")):
        report = check(letter(name))
        assert [(f.code, f.severity) for f in report.findings if f.kind == "consistency"] == [(code, "warning")]
