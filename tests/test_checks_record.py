"""Record checks: grounding, dates in role and order, counts, the worker, decisions, treatments, citations."""

from __future__ import annotations

import datetime as dt

import pytest

from imrassist.checks import check, reference_record
from imrassist.letter import letter_from_text, read_letter
from imrassist.models import Citation, Evidence, Extracted

from tests.test_checks_helpers import (
    SEED, describe, error_kinds, errors, gold, letter, letter_names, needs_letters, record_from_gold, reference,
)


@pytest.fixture(scope="module")
def seed():
    lt = read_letter(SEED)
    return lt, reference_record(lt)


def _codes(report):
    return {f.code for f in report.findings}


# ------------------------------------------------------------------------------------------ clean input


def test_seed_record_is_clean(seed):
    lt, rec = seed
    report = check(lt, record=rec, strict=True)
    assert report.summary.error == 0, describe(report)


@needs_letters
@pytest.mark.parametrize("name", letter_names())
def test_extracted_record_has_no_error(name):
    report = check(letter(name), record=reference(name), strict=True)
    assert not errors(report), describe(report)


@needs_letters
@pytest.mark.parametrize("name", [n for n in letter_names() if gold(n)])
def test_a_persons_record_without_evidence_has_no_error(name):
    """The gold answer typed as a record (no quotes, canonical spellings) contradicts nothing."""
    report = check(letter(name), record=record_from_gold(gold(name)), strict=True)
    assert not errors(report), describe(report)
    assert "RECORD_GROUNDING_NO_EVIDENCE" in _codes(report)


# ------------------------------------------------------------------------------------------- grounding


def test_quote_not_at_its_offsets(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    ev = bad.dates.injury.evidence
    ev.start, ev.end = ev.start + 5, ev.end + 5
    report = check(lt, record=bad)
    hit = [f for f in report.findings if f.code == "RECORD_GROUNDING_QUOTE_MISMATCH"]
    assert hit and hit[0].field == "dates.injury" and hit[0].span == (ev.start, ev.end)
    assert "occurs at" in hit[0].message


def test_quote_outside_the_letter_and_unaligned(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.worker.age.evidence = Evidence(quote="33-year-old", start=len(lt.original) + 10, end=len(lt.original) + 21)
    bad.worker.sex.evidence = Evidence(quote="male", alignment="unaligned")
    report = check(lt, record=bad)
    by_code = {f.code: f for f in report.findings}
    assert by_code["RECORD_GROUNDING_OUT_OF_RANGE"].severity == "error"
    assert by_code["RECORD_GROUNDING_UNALIGNED"].severity == "warning"


def test_value_that_its_quote_does_not_say(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.items[0].quantity.value = 8  # the quote reads "6 SESSION OF"
    report = check(lt, record=bad)
    kinds = error_kinds(report)
    assert {"grounding", "count"} <= kinds
    f = next(f for f in report.findings if f.code == "RECORD_COUNT_QUANTITY_MISMATCH")
    assert (f.found, f.expected) == ("8", "6")
    assert lt.original[f.span[0]:f.span[1]].startswith("6 SESSION")


def test_quote_with_line_breaks_is_reread(seed):
    """The UR evidence of the seed letter spans a PDF line break; it still re-reads to its value."""
    lt, rec = seed
    report = check(lt, record=rec)
    assert not [f for f in report.findings if f.kind == "grounding"]


# ------------------------------------------------------------------------------------------------ dates


@needs_letters
def test_injury_date_given_the_ur_date_is_a_wrong_role():
    name = "CM17-0006287"
    bad = reference(name).model_copy(deep=True)
    bad.dates.injury.value = bad.dates.ur_decision.value
    report = check(letter(name), record=bad)
    f = next(f for f in report.findings if f.code == "RECORD_DATE_WRONG_ROLE")
    assert f.field == "dates.injury" and f.expected == "2016-10-18"
    assert letter(name).original[f.span[0]:f.span[1]] == "10/18/2016"
    bad = reference(name).model_copy(deep=True)
    bad.dates.determination.value = bad.dates.ur_decision.value  # before the IMR was even assigned
    report = check(letter(name), record=bad)
    assert {"RECORD_DATE_ORDER", "RECORD_DATE_WRONG_ROLE"} <= _codes(report)


@needs_letters
def test_day_month_swap_is_not_in_the_letter():
    name = "CM17-0006287"
    bad = reference(name).model_copy(deep=True)
    bad.dates.assigned.value = dt.date(2017, 12, 1)  # 01/12/2017 read day-first
    report = check(letter(name), record=bad)
    assert "RECORD_DATE_NOT_IN_LETTER" in _codes(report)


def test_a_date_the_letter_states_without_that_role_is_a_warning(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.dates.determination = Extracted(value=dt.date(2013, 12, 27))  # the UR date; no decision date stated
    report = check(lt, record=bad)
    f = next(f for f in report.findings if f.field == "dates.determination")
    assert (f.code, f.severity) == ("RECORD_DATE_ROLE_UNVERIFIED", "warning")


# ----------------------------------------------------------------------------------- counts and worker


@needs_letters
def test_number_written_in_words():
    name = "CM17-0011517"  # "Eight physical therapy sessions"
    bad = reference(name).model_copy(deep=True)
    bad.items[0].quantity.value = 6
    report = check(letter(name), record=bad)
    assert "count" in error_kinds(report)
    bad = reference(name).model_copy(deep=True)
    bad.reviewer.years_in_practice.value = 3  # "more than five years"
    report = check(letter(name), record=bad)
    assert "RECORD_COUNT_REVIEWER_MISMATCH" in _codes(report)


@needs_letters
def test_original_request_amount_is_another_reading_not_an_error():
    name = "CM17-0007857"  # 8 requested, 6 authorized, 2 remaining in dispute
    rec = reference(name).model_copy(deep=True)
    rec.items[0].quantity.value = 8
    report = check(letter(name), record=rec)
    assert "count" not in error_kinds(report)
    assert "RECORD_COUNT_QUANTITY_OTHER_READING" in _codes(report)


def test_limit_not_in_rationale(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.items[0].limit.value.max = 12
    report = check(lt, record=bad)
    f = next(f for f in report.findings if f.code == "RECORD_COUNT_LIMIT_MISMATCH")
    assert f.expected == "4-6 visit"


def test_age_and_sex(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.worker.age.value = 45
    bad.worker.sex.value = "female"
    report = check(lt, record=bad)
    codes = _codes(report)
    assert {"RECORD_DEMOGRAPHIC_AGE_MISMATCH", "RECORD_DEMOGRAPHIC_SEX_MISMATCH"} <= codes
    assert "demographic" in error_kinds(report)


# ------------------------------------------------------------------------------ decisions and treatments


def test_decision_flip(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.items[0].decision.value = "upheld"
    report = check(lt, record=bad)
    f = next(f for f in report.findings if f.code == "RECORD_DECISION_MISMATCH")
    assert lt.original[f.span[0]:f.span[1]] == "Overturned"


def test_item_not_in_the_letter(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    bad.items[0].treatment.value = "Lumbar epidural steroid injection"  # mentioned in the summary, not disputed
    report = check(lt, record=bad)
    f = next(f for f in report.findings if f.code == "RECORD_TREATMENT_NOT_DISPUTED")
    assert "6 SESSION OF PUSH THERAPY" in f.message
    assert "RECORD_MISSING_ITEM" in _codes(report)


# ------------------------------------------------------------------------------------------- citations


def test_citation_page_topic_and_source(seed):
    lt, rec = seed
    bad = rec.model_copy(deep=True)
    c = bad.items[0].guidelines[0]
    c.pages = [58]
    report = check(lt, record=bad)
    assert "RECORD_PAGE_PAGE_NOT_CITED" in _codes(report)
    bad = rec.model_copy(deep=True)
    bad.items[0].guidelines[0].topic = "Acupuncture"
    bad.items[0].ca_guidelines[0].source = "ODG"
    report = check(lt, record=bad)
    assert {"RECORD_GUIDELINE_TOPIC_MISMATCH", "RECORD_GUIDELINE_SOURCE_MISMATCH"} <= _codes(report)


@needs_letters
def test_page_cited_elsewhere_is_a_warning():
    name = "CM17-0006287"  # "Page 81" is in the rationale, not on the MAXIMUS guideline line
    rec = reference(name).model_copy(deep=True)
    rec.items[0].guidelines[0].pages = [81]
    report = check(letter(name), record=rec)
    f = next(f for f in report.findings if f.kind == "page")
    assert (f.code, f.severity) == ("RECORD_PAGE_PAGE_ELSEWHERE", "warning")


def test_citation_without_evidence_is_checked_against_the_line(seed):
    lt, rec = seed
    person = rec.model_copy(deep=True)
    person.items[0].guidelines = [Citation(source="MTUS", document="Chronic Pain Treatment Guidelines",
                                           topic="Massage Therapy", pages=[60])]
    assert not errors(check(lt, record=person))
    person.items[0].guidelines = [Citation(source="MTUS", topic="Massage Therapy", pages=[61])]
    assert "page" in error_kinds(check(lt, record=person))


def test_edited_letter_text_changes_the_verdict():
    """Records are checked against the letter text given, not a cache keyed by file name."""
    text = SEED.read_text()
    lt = letter_from_text(text.replace("October 19, 2012", "October 21, 2012"), "edited.txt")
    rec = reference_record(read_letter(SEED))
    report = check(lt, record=rec)
    assert "date" in error_kinds(report) and "grounding" in error_kinds(report)


def test_record_of_another_text_is_warned(seed):
    lt, rec = seed
    other = rec.model_copy(deep=True)
    other.letter.sha256 = "0" * 64
    f = next(f for f in check(lt, record=other).findings if f.code == "RECORD_GROUNDING_OTHER_LETTER")
    assert f.severity == "warning"


def _pdf_names() -> list[str]:
    from tests.test_checks_helpers import SHARED

    folder = SHARED / "pdfs"
    return sorted(p.stem for p in folder.glob("*.pdf")) if folder.is_dir() else []


@pytest.mark.skipif(not _pdf_names(), reason="shared PDFs not found (set IMRASSIST_SHARED)")
@pytest.mark.parametrize("name", _pdf_names())
def test_letters_read_from_pdf_check_clean(name):
    """PDF text (page joins, running headers, hyphenation) keeps quotes re-readable and facts in place."""
    from tests.test_checks_helpers import SHARED, faithful_explanation

    lt = read_letter(SHARED / "pdfs" / f"{name}.pdf")
    rec = reference_record(lt)
    report = check(lt, record=rec, explanation=faithful_explanation(rec, "en"))
    assert not errors(report), describe(report)
