"""The record check's reading of a citation's own quote: it decides when the quote cites what the
item's guideline line does not (a record, from a model or a person, may quote the rationale)."""

from __future__ import annotations

from imrassist.checks import check, reference_record
from imrassist.letter import letter_from_text
from imrassist.models import Evidence

from tests.test_checks_helpers import SEED

_PAGE = "The MTUS Chronic Pain Medical Treatment Guidelines, page 99, limit such care to 6 visits."
_SOURCE = "The ODG Low Back chapter agrees."
_PAGE_QUOTE = "MTUS Chronic Pain Medical Treatment Guidelines, page 99"  # the citation within the sentence
_SOURCE_QUOTE = "ODG Low Back chapter"


def _letter_and_record():
    text = SEED.read_text()
    anchor = "Based on documentation provided"
    assert anchor in text
    text = text.replace(anchor, f"{_PAGE} {_SOURCE} {anchor}", 1)
    lt = letter_from_text(text, source="quote-cites.txt")
    return lt, reference_record(lt)


def _quoting(lt, rec, quote: str, *, pages: list[int], source: str):
    bad = rec.model_copy(deep=True)
    c = bad.items[0].guidelines[0]
    s = lt.original.index(quote)
    c.evidence = Evidence(quote=quote, start=s, end=s + len(quote))
    c.pages = pages
    c.source = source
    c.topic = None
    c.document = None
    return bad


def _page_and_source(report):
    return {(f.code, f.severity) for f in report.findings if f.kind in ("page", "guideline")}


def test_a_page_the_quote_cites_is_grounded():
    lt, rec = _letter_and_record()
    report = check(lt, record=_quoting(lt, rec, _PAGE_QUOTE, pages=[99], source="MTUS"))
    assert _page_and_source(report) == set(), report.findings


def test_a_source_the_quote_cites_is_grounded():
    lt, rec = _letter_and_record()
    report = check(lt, record=_quoting(lt, rec, _SOURCE_QUOTE, pages=[], source="ODG"))
    assert _page_and_source(report) == set(), report.findings


def test_the_same_page_and_source_quoting_the_line_are_flagged():
    """The control: the line (MTUS, page 60) cites neither, so the quote's reading is what decided above."""
    lt, rec = _letter_and_record()
    line_quote = rec.items[0].guidelines[0].evidence.quote
    assert "99" not in line_quote and "ODG" not in line_quote
    found = _page_and_source(check(lt, record=_quoting(lt, rec, line_quote, pages=[99], source="MTUS")))
    assert found == {("RECORD_PAGE_PAGE_ELSEWHERE", "warning")}
    found = _page_and_source(check(lt, record=_quoting(lt, rec, line_quote, pages=[], source="ODG")))
    assert found == {("RECORD_GUIDELINE_SOURCE_MISMATCH", "error")}


def test_a_quote_citing_another_page_does_not_ground_this_one():
    lt, rec = _letter_and_record()
    found = _page_and_source(check(lt, record=_quoting(lt, rec, _PAGE_QUOTE, pages=[98], source="MTUS")))
    assert found == {("RECORD_PAGE_PAGE_NOT_CITED", "error")}
