"""The rules extractor's fast paths give exactly what the plain versions give.

A case-insensitive pattern that starts with ``\\b`` or an alternation is tried at every position of the text
it searches; the extractor instead tries it only where its first words stand (``parse.search_from_stems``),
or only in a text that holds a word every match holds, or reads a date only where it can be used. Each such
rewrite is compared here with the plain search it replaces (written out in this file), on every letter the
repository holds (samples/, evals/*/letters/, and the shared letters when they are there) and on generated
texts: other scripts' digits, accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"), "İ" (lower-casing
changes the length), superscripts, glued tokens, any case.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.extract import citations, items, rules
from imrassist.letter import Letter, letter_from_text, read_letter
from imrassist.parse import find_dates

from tests.test_checks_helpers import HAVE_LETTERS, SHARED, repo_letter_paths


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that make the fast paths take or leave their ASCII branch: digits of other scripts, superscripts
#: and fractions, accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"), "İ" (case-insensitive "i").
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()&#"
CHARS = "abcdeiknorstwxyzACDOS0123456789" + PUNCT + ODD


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str.lower])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 30) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)



@lru_cache(maxsize=1)
def _letter_texts() -> tuple[tuple[str, str], ...]:
    """(source, original text) of every repository letter (read once; each test makes fresh Letters)."""
    return tuple((str(p), read_letter(p).original) for p in repo_letter_paths())


def _letters() -> list[Letter]:
    return [letter_from_text(orig, src, require_imr=False) for src, orig in _letter_texts()]


def _letter(text: str) -> Letter:
    """A Letter of a generated text (a first line so that it is never blank)."""
    return letter_from_text("Letter\n" + text, require_imr=False)


def _span(m: re.Match[str] | None):
    return None if m is None else (m.span(), m.group(0), m.groupdict())


def _dump(value) -> object:
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value.model_dump() if hasattr(value, "model_dump") else value


def test_the_corpus_is_there():
    paths = repo_letter_paths()
    assert len(paths) >= 20 and any(p.suffix == ".pdf" for p in paths)
    if not HAVE_LETTERS:
        pytest.skip(f"shared letters not found at {SHARED / 'letters'}: only the repository's letters were compared")


# ------------------------------------------------------------------------------------------ rules: the header

def _plain_classified(letter: Letter, region: tuple[int, int]) -> dict:
    """``_classified_header_dates`` as it was: the date of every label read, then the label classified."""
    text = letter.text
    out: dict = {}
    for m in rules._ANY_LABEL_DATE_RE.finditer(text, region[0], region[1]):
        ds = find_dates(text[m.end(): m.end() + 25])
        if not ds or ds[0].start != 0:
            continue
        words = set(re.findall(r"[a-z]+", m.group("label").lower()))
        if {"injury", "doi"} & words:
            role = "injury"
        elif ({"ur", "utilization"} & words) or "denial" in words:
            role = "ur_decision"
        elif "application" in words or "received" in words or "filed" in words:
            role = "application_received"
        elif {"assigned", "assignment"} & words:
            role = "assigned"
        elif {"decision", "determination", "issued", "dated", "mailed"} & words:
            role = "determination"
        else:
            continue
        if role not in out:
            d = ds[0]
            out[role] = rules.ExtractedDate(value=d.date, evidence=letter.evidence(m.end() + d.start, m.end() + d.end))
    return out


ROLES = ("injury", "ur_decision", "application_received", "assigned", "determination")


def _check_classified(letter: Letter, known: frozenset[str]) -> None:
    region = rules._header_region(letter)
    plain = {r: v for r, v in _plain_classified(letter, region).items() if r not in known}
    assert _dump(rules._classified_header_dates(letter, region, known)) == _dump(plain)


def test_classified_header_dates_equal_the_plain_reading_on_the_corpus():
    for letter in _letters():
        labelled = {k: rules._labelled_date(letter, k, rules._header_region(letter)) for k in rules._HEADER_FIELDS}
        for known in (frozenset(), frozenset(r for r, v in labelled.items() if v is not None), frozenset(ROLES[:2])):
            _check_classified(letter, known)


HEADER_VOCAB = ["Date of Injury", "DOI", "UR Denial Date", "Date of UR Decision", "Utilization Review",
                "Application Received", "IMR Application Filed", "Date Assigned", "Assignment", "Decision Date",
                "Date Mailed", "Dated", "Issued", "Priority", "Name", ": ", ":", "\n", " ", "01/02/2013",
                "1-5-14", "January 5, 2014", "5 de enero de 2014", "2014-01-05", "13/45/2012", "2012",
                "Date of ĪNJURY", "ſ", "K", "İ", "٣/٤/٢٠١٣"]


HEADER_LABELS = [v for v in HEADER_VOCAB if v[:1].isalpha()]
HEADER_DATES = [v for v in HEADER_VOCAB if not v[:1].isalpha()]
#: Header lines "<label>: <date>" (several of one role, dates not at the label's end, noise between).
_HEADER_LINES = st.lists(
    st.tuples(_case(st.sampled_from(HEADER_LABELS)), st.sampled_from([": ", ":", " : ", ":\n", " "]),
              st.sampled_from(HEADER_DATES) | _texts_of(HEADER_VOCAB, CHARS, 3),
              st.sampled_from(["\n", " ", "  ", "; "])).map("".join),
    max_size=8).map("".join)


@FAST
@given(_texts_of(HEADER_VOCAB, CHARS, 25) | _HEADER_LINES, st.sets(st.sampled_from(ROLES)))
def test_classified_header_dates_equal_the_plain_reading(text, known):
    _check_classified(_letter(text), frozenset(known))


def _plain_header_searches(text: str) -> list:
    end = min(len(text), 2000)
    return [_span(rules._CASE_RE.search(text, 0, end)), _span(rules._PRIORITY_RE.search(text, 0, end)),
            _span(re.search(r"\bDated\s*:?\s*", text[:600]))]


def _fast_header_searches(text: str, low: str | None) -> list:
    end = min(len(text), 2000)
    return [_span(rules.search_from_stems(rules._CASE_RE, rules._CASE_STEMS, text, 0, end, low=low)),
            _span(rules.search_from_stems(rules._PRIORITY_RE, rules._PRIORITY_STEMS, text, 0, end, low=low)),
            _span(rules.search_from_stems(rules._DATED_RE, ("dated",), text, 0, 600, low=low))]


def test_header_searches_equal_the_plain_search_on_the_corpus():
    for letter in _letters():
        for text in (letter.text, letter.original):
            low = text.lower() if text.isascii() else None
            assert _fast_header_searches(text, low) == _plain_header_searches(text)
        assert _fast_header_searches(letter.text, letter.lowered()) == _plain_header_searches(letter.text)


CASE_VOCAB = ["IMR", "Case", "Number", "No.", "No", "#", ":", " ", "\n", "CM13-0012345", "ADJ12-1234567",
              "Priority", "Review Type", "Type of Review", "Standard", "Expedited", "Urgent", "Regular",
              "Dated", "dated", "DATED", "Dated:", "xDated", "_Dated", "01/02/2013", "ſtandard", "Kase", "İMR"]


@FAST
@given(_texts_of(CASE_VOCAB, CHARS, 40))
def test_header_searches_equal_the_plain_search(text):
    low = text.lower() if text.isascii() else None
    assert _fast_header_searches(text, low) == _plain_header_searches(text)
    long = "x" * 590 + text  # "Dated" across the 600th character, labels past the 2,000th
    assert _fast_header_searches(long, long.lower() if long.isascii() else None) == _plain_header_searches(long)


# ----------------------------------------------------------------------------------------- rules: the summary

def _plain_summary(letter: Letter, monkeypatch) -> dict:
    """``_summary`` reading the dates of every sentence (as it did)."""
    with monkeypatch.context() as mp:
        mp.setattr(rules, "_summary_dates", lambda sent, start, dated: find_dates(sent))
        return rules._summary(letter, None).model_dump()


def test_summary_equals_the_plain_reading_on_the_corpus(monkeypatch):
    for letter in _letters():
        assert rules._summary(letter, None).model_dump() == _plain_summary(letter_from_text(letter.original, require_imr=False), monkeypatch)


SUMMARY_VOCAB = ["Summary", "\n", ". ", "The patient", "She", "was injured on", "01/02/2013", "1.5.14", "on 2014",
                 "January 5, 2014", "utilization review", "UR", "denied", "modified", "request for", "MRI",
                 "diagnoses include", "lumbar strain", "exam", "٣/٤/٢٠١٣", "２０１３", "¹²/³", "Ja", "nuary", " 5"]


@FAST
@given(_texts_of(SUMMARY_VOCAB, CHARS, 30))
def test_summary_equals_the_plain_reading(text):
    mp = pytest.MonkeyPatch()
    try:
        assert rules._summary(_letter(text), None).model_dump() == _plain_summary(_letter(text), mp)
    finally:
        mp.undo()


@FAST
@given(st.text(alphabet=CHARS, max_size=60) | _texts_of(SUMMARY_VOCAB, CHARS, 20) | st.text(max_size=40))
def test_a_text_without_a_digit_has_no_date(text):
    """What the summary's skip rests on: every date find_dates reads holds a ``\\d``."""
    if not re.search(r"\d", text):
        assert find_dates(text) == ()


# ------------------------------------------------------------------------------------ citations: guideline lines

def _plain_other_cut(seg: str):
    return citations._OTHER_MARK_RE.search(seg) or citations._OTHER_SOURCE_RE.search(seg)


def _plain_strip_list_tail(chunk: str) -> str:
    return citations._CHUNK_TAIL_RE.sub("", chunk)


PLAIN = {
    "_says_none_cited": lambda text: bool(citations._NONE_CITED_RE.search(text)),
    "_other_cut": _plain_other_cut,
    "_acoem_mark": lambda text: citations._ACOEM_MARK_RE.search(text),
    "_acoem_lead": lambda clause: citations._ACOEM_LEAD_RE.match(clause),
    "_edition": lambda work: citations._EDITION_RE.search(work),
    "_strip_list_tail": _plain_strip_list_tail,
}


def _check_pieces(text: str) -> None:
    for name, plain in PLAIN.items():
        fast = getattr(citations, name)
        for t in (text, text.strip(), text + " and", text + ",\n"):
            got, want = fast(t), plain(t)
            if isinstance(want, re.Match) or want is None:
                got, want = _span(got), _span(want)
            assert got == want, (name, t)


def _plain_parse(text: str):
    """``parse_guideline_text`` with every fast piece replaced by its plain search."""
    mp = pytest.MonkeyPatch()
    try:
        for name, plain in PLAIN.items():
            mp.setattr(citations, name, plain)
        return _parsed(citations.parse_guideline_text(text))
    finally:
        mp.undo()


def _parsed(result):
    cits, none_cited = result
    return [(pc.fields, pc.start, pc.end) for pc in cits], none_cited


def _guideline_chunks() -> list[str]:
    chunks: list[str] = []
    for letter in _letters():
        for b in items.find_blocks(letter):
            for spans in b.fields.values():
                chunks.append(letter.text[spans[0][0]:spans[-1][1]].replace("\n", " "))
    return chunks


def test_guideline_pieces_equal_the_plain_search_on_the_corpus():
    chunks = _guideline_chunks()
    assert len(chunks) > 100
    for chunk in chunks:
        _check_pieces(chunk)
        assert _parsed(citations.parse_guideline_text(chunk)) == _plain_parse(chunk)


GUIDELINE_VOCAB = ["Decision based on ", "MTUS ", "Non-MTUS Citation ", "ACOEM", "acoem", "(ACOEM)",
                   "Official Disability Guidelines", "(ODG)", "ODG", " and ", "and", "AND", " & ", "&", ", ", ",",
                   "; ", ". ", " ", "\n", "Other Medical Treatment Guidelines: ", "Section(s): ", "Page(s): 60",
                   "pp. 12-13", "2nd Edition", "3rd edition, (2011)", "Edition", "(2004)", "2009", "Knee & Leg Chapter",
                   "Low Back Chapter", "Pain Chapter", "Chapter 7", "Physical therapy (PT) (updated 07/10/15)",
                   "Knee brace", "Chronic Pain Medical Treatment", "Low Back Complaints", "did not cite any medical evidence",
                   "None.", "cited no evidence", "not cite guidelines", "Aetna Clinical Policy Bulletin",
                   "www.aetna.com/cpb/0181.html", "Guidelines", "Treatment Guidelines", "ſection", "Knee", "İ", "Edİtion",
                   "ACOEM\u017f", "cİte", "Cite", "Citation"]


@FAST
@given(_texts_of(GUIDELINE_VOCAB, CHARS, 25))
def test_guideline_pieces_equal_the_plain_search(text):
    _check_pieces(text)
    assert _parsed(citations.parse_guideline_text(text)) == _plain_parse(text)
