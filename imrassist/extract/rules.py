"""The deterministic extractor: Letter -> CaseRecord, offline, no model.

It reads what the layouts share: labelled header fields, credential lines, the first "<age>-year-old
<sex>" phrase, dates tied to their role by the words around them (injured, utilization review ...), and
the item blocks (see :mod:`imrassist.extract.items`). When a value is not stated, it stays None.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left

from .. import __version__, knowledge
from ..letter import Letter
from ..models import (
    CaseRecord,
    ClinicalSummary,
    DatedEvent,
    Dates,
    Extracted,
    ExtractedDate,
    ExtractedInt,
    ExtractedPriority,
    ExtractedSex,
    ExtractedStr,
    ExtractedURStatus,
    LetterInfo,
    Reviewer,
    RunMeta,
    UROutcome,
    Worker,
)
from ..parse import (
    SEX_RE,
    find_age,
    find_dates,
    finditer_from_stems,
    matches_at,
    parse_number,
    parse_sex,
    search_from_stems,
    specialty_value,
    stem_positions,
)
from .items import extract_items

# ------------------------------------------------------------------------------------------------- header

_HEADER_FIELDS = {
    "assigned": r"Date\s+Assigned|(?:Case\s+)?Assigned\s+to\s+(?:the\s+)?Reviewer|Assignment\s+Date",
    "injury": r"Date\s+of\s+Injury|DOI",
    "determination": r"(?<!UR\s)(?<!Review\s)(?:Final\s+)?(?:Decision|Determination)\s+(?:Date|Issued)|Date\s+of\s+(?:Final\s+)?(?:Decision|Determination)",
    "ur_decision": r"UR\s+(?:Denial\s+|Decision\s+|Determination\s+)?Date|Utilization\s+Review\s+(?:Denial\s+)?Date",
    "application_received": r"Application\s+Received(?:\s+Date)?|Date\s+Application\s+Received|IMR\s+Application\s+Received",
}
_HEADER_RES = {k: re.compile(rf"\b(?:{v})\s*:?\s*", re.IGNORECASE) for k, v in _HEADER_FIELDS.items()}
#: The words every match of a _HEADER_RES pattern starts with (see _header_labels).
_HEADER_STEMS = {
    "assigned": ("date", "case", "assign"),
    "injury": ("date", "doi"),
    "determination": ("final", "decision", "determination", "date"),
    "ur_decision": ("ur", "utilization"),
    "application_received": ("application", "date", "imr"),
}
_CASE_RE = re.compile(r"\b(?:IMR\s+)?Case\s+(?:Number|No\.?|#)\s*:?\s*(?P<v>[A-Z]{1,4}\d{2}-\d{4,8})\b", re.IGNORECASE)
_CASE_BARE_RE = re.compile(r"\b(?:CM|IMR)\d{2}-\d{5,8}\b")
_PRIORITY_RE = re.compile(r"\b(?:Priority|Review\s+Type|Type\s+of\s+Review)\s*:?\s*(?P<v>Standard|Expedited|Regular|Urgent)\b", re.IGNORECASE)
#: The words every match of _CASE_RE / _PRIORITY_RE starts with: both start with ``\b`` and an alternation,
#: which the engine tries at every position of the first 2,000 characters (see parse.search_from_stems).
_CASE_STEMS = ("imr", "case")
_PRIORITY_STEMS = ("priority", "review", "type")
#: "Dated: <date>" near the top (case-sensitive: looked for where "dated" stands in the lower-cased text).
_DATED_RE = re.compile(r"\bDated\s*:?\s*")
_AGE_LABEL_RE = re.compile(r"\bAge\s*:\s*(?P<v>\d{1,3})\b", re.IGNORECASE)
_SEX_LABEL_RE = re.compile(r"\b(?:Sex|Gender)\s*:\s*(?P<v>Male|Female|M|F)\b", re.IGNORECASE)


def _header_region(letter: Letter) -> tuple[int, int]:
    sec = letter.section("header")
    if sec and sec.end > sec.start:
        return sec.start, sec.end
    return 0, min(len(letter.text), 1500)


def _header_labels(letter: Letter, key: str, region: tuple[int, int]) -> list[re.Match[str]]:
    """``_HEADER_RES[key].finditer(text, *region)``, the pattern tried only where one of its first words
    stands (in ASCII text): five case-insensitive alternations tried at every position of a header of a
    thousand-odd characters cost more than the rest of reading the header dates."""
    text, low = letter.text, letter.lowered()
    if low is None:
        return list(_HEADER_RES[key].finditer(text, *region))
    s, e = region
    return matches_at(_HEADER_RES[key], text, stem_positions(_HEADER_STEMS[key], low, start=s, end=e), e)


_NEXT_HEADER_LABEL_RE = re.compile(r"[A-Za-z]+\s*(?:[A-Za-z]+\s*)?:")


def _labelled_date(letter: Letter, key: str, region: tuple[int, int]) -> Extracted[dt.date] | None:
    text = letter.text
    for m in _header_labels(letter, key, region):
        window = text[m.end(): min(m.end() + 40, len(text))]
        # The value must come before the next label ("Priority: Standard Application Received: 01/09/2017").
        nxt = _NEXT_HEADER_LABEL_RE.search(window)
        limit = nxt.start() if nxt else len(window)
        ds = [d for d in find_dates(window) if d.start <= limit]
        if ds:
            d = ds[0]
            return ExtractedDate(value=d.date, evidence=letter.evidence(m.end() + d.start, m.end() + d.end))
    return None


_ANY_LABEL_DATE_RE = re.compile(r"(?P<label>(?:[A-Za-z/().']+\s+){0,5}[A-Za-z/().']+)\s*:\s*")
_LABEL_WORD_RE = re.compile(r"[A-Za-z/().']+")


def _any_labels(text: str, start: int, end: int) -> list[re.Match[str]]:
    """``_ANY_LABEL_DATE_RE.finditer(text, start, end)``, the pattern tried only where a label can start:
    at one of the last six words before a colon. The leftmost match never starts inside a word: it would
    also match one character earlier, and a previous match ends after a colon or a space. A label is one
    to six words with only blanks between them and then the colon, so its first word is one of the six
    that start last before that colon; at any other word the engine would read up to six words and back
    off again before failing (a header has a few hundred words, a few dozen colons)."""
    words = [w.start() for w in _LABEL_WORD_RE.finditer(text, start, end)]
    starts: set[int] = set()
    colon = text.find(":", start, end)
    while colon >= 0:
        k = bisect_left(words, colon)
        starts.update(words[max(0, k - 6):k])
        colon = text.find(":", colon + 1, end)
    return matches_at(_ANY_LABEL_DATE_RE, text, sorted(starts), end)


_LOWER_WORD_RE = re.compile(r"[a-z]+")


def _label_role(label: str) -> str | None:
    """The header date a label names, by its words ("Date of UR Decision" -> "ur_decision"), or None."""
    words = set(_LOWER_WORD_RE.findall(label.lower()))
    if {"injury", "doi"} & words:
        return "injury"
    if ({"ur", "utilization"} & words) or "denial" in words:
        return "ur_decision"
    if "application" in words or "received" in words or "filed" in words:
        return "application_received"
    if {"assigned", "assignment"} & words:
        return "assigned"
    if {"decision", "determination", "issued", "dated", "mailed"} & words:
        return "determination"
    return None


def _classified_header_dates(letter: Letter, region: tuple[int, int],
                             known: frozenset[str] | set[str] = frozenset()) -> dict[str, Extracted[dt.date]]:
    """Header dates under labels we have not seen verbatim ("Date of UR Decision:", "IMR Assignment
    Date:"): classify each "<label>: <date>" pair by the words of its label. ``known``: roles the caller
    has already (from the verbatim labels); they are left out of the result.

    A label is classified before its date is read: the date of a label that names no role, a role the
    caller knows or one found at an earlier label is never used, and reading it (a date parse of a window
    of the header, never seen before on a new letter) was most of this function's time."""
    text = letter.text
    out: dict[str, Extracted[dt.date]] = {}
    for m in _any_labels(text, region[0], region[1]):
        role = _label_role(m.group("label"))
        if role is None or role in out or role in known:
            continue
        ds = find_dates(text[m.end(): m.end() + 25])
        if not ds or ds[0].start != 0:
            continue
        d = ds[0]
        out[role] = ExtractedDate(value=d.date, evidence=letter.evidence(m.end() + d.start, m.end() + d.end))
    return out


# ------------------------------------------------------------------------------------------------ dates

_INJURY_CUE = re.compile(
    r"(?:date\s+of\s+(?:the\s+)?injury|injury\s+date|industrial(?:[-\s]\w+)?\s+injury|injured|occupational\s+(?:claim|injury)"
    r"|work[-\s]related\s+injury|hurt|injury\s+(?:on|of)|\bDOI\b|claim\s+from|sustained\s+an?\s+(?:\w+[-\s]?){0,3}injury)",
    re.IGNORECASE,
)
_UR_CUE = re.compile(
    r"utilization\s+review|\bUR\b|prior\s+(?:determination|review)|the\s+request(?:ed\s+treatment)?\s+was\s+(?:denied|non-?certified|modified)"
    r"|requested\s+treatment\s+was\s+denied|was\s+(?:denied|non-?certified)\s+on",
    re.IGNORECASE,
)
_APPLICATION_CUE = re.compile(r"application\s+for\s+(?:Independent\s+Medical\s+Review|IMR)\s+was\s+(?:filed|received)", re.IGNORECASE)
#: The words every match of _INJURY_CUE / _UR_CUE starts with (see parse.search_from_stems).
_INJURY_STEMS = ("date", "injur", "industrial", "occupational", "work", "hurt", "doi", "claim", "sustained")
_UR_STEMS = ("utilization", "ur", "prior", "the", "requested", "was")


# A sentence ends at the blanks after ".", "?" or "!" before a capital, a quote or a bracket, or at a line end.
# Written to start with one character class: the pattern's first test is then a quick scan for those four
# characters (as ``(?<=[.?!])\s+(?=...)|\n`` it was tried at every position, three times slower). The break
# is group 1 after punctuation, else the line end itself: the same breaks as that pattern.
_SENTENCE_BREAK_RE = re.compile(r"[.?!\n](?:(?<=[.?!])(\s+)(?=[A-Z(\"'])|(?<=\n))")


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for m in _SENTENCE_BREAK_RE.finditer(text[start:end]):
        b_start, b_end = m.span(1) if m.group(1) is not None else m.span()
        s_end = start + b_start
        if s_end > pos:
            out.append((pos, s_end))
        pos = start + b_end
    if pos < end:
        out.append((pos, end))
    return out


def _region_sentences(letter: Letter, start: int, end: int) -> list[tuple[int, int]]:
    """:func:`_sentences` of a region of the letter, split once per letter (the summary region is read for
    its events and for two cues, the whole text for up to two cues). Read-only."""
    return letter.derived(f"rules.sentences:{start}:{end}", lambda: _sentences(letter.text, start, end))


def _dated_sentences(letter: Letter, start: int, end: int) -> list[tuple[int, int, str, str | None]]:
    """The sentences of a region that hold a digit (every date pattern has one; most sentences hold none):
    ``(start, end, sentence, its lower case or None when the letter is not ASCII)``. Made once per letter
    and region: the injury, UR and application cues are looked for in the same sentences (the whole
    letter's up to twice). Read-only."""
    def make() -> list[tuple[int, int, str, str | None]]:
        text = letter.text
        plain = text.isascii()
        out = []
        for ss, se in _region_sentences(letter, start, end):
            if _DIGIT_RE.search(text, ss, se):
                sent = text[ss:se]
                out.append((ss, se, sent, sent.lower() if plain else None))
        return out

    return letter.derived(f"rules.dated_sentences:{start}:{end}", make)


def _summary_region(letter: Letter) -> tuple[int, int]:
    sec = letter.section("summary")
    if sec:
        return sec.start, sec.end
    dec = letter.section("decisions")
    return 0, dec.start if dec else len(letter.text)


_DIGIT_RE = re.compile(r"\d")


def _cue_date(letter: Letter, region: tuple[int, int], cue: re.Pattern[str], stems: tuple[str, ...], *,
              max_gap: int = 120, after_only: bool = False) -> Extracted[dt.date] | None:
    """The date closest to a ``cue`` in the first sentence of ``region`` that has both. ``stems``: the words
    every match of ``cue`` starts with (lower case), so that in ASCII text the pattern is tried only where
    one of them stands (a sentence without any is passed over without running the pattern)."""
    for ss, se, sent, low in _dated_sentences(letter, *region):
        cues = finditer_from_stems(cue, stems, sent, low=low)
        if not cues:
            continue
        dates = find_dates(sent)
        if not dates:
            continue
        best = None
        for c in cues:
            for d in dates:
                if after_only and d.start < c.start():
                    continue
                gap = d.start - c.end() if d.start >= c.end() else c.start() - d.end
                if gap < 0:
                    gap = 0
                if gap <= max_gap and (best is None or gap < best[0]):
                    best = (gap, d)
        if best:
            d = best[1]
            return ExtractedDate(value=d.date, evidence=letter.evidence(ss + d.start, ss + d.end))
    return None


# ----------------------------------------------------------------------------------------------- people


def _worker(letter: Letter) -> Worker:
    text = letter.text
    low = letter.lowered()
    am = search_from_stems(_AGE_LABEL_RE, ("age",), text, low=low)
    if am:
        # A "Sex:" label counts only beside an "Age:" label (most letters have neither): looked for then.
        sm = search_from_stems(_SEX_LABEL_RE, ("sex", "gender"), text, low=low)
        age = ExtractedInt(value=int(am.group("v")), evidence=letter.evidence(am.start("v"), am.end("v")))
        sex = None
        if sm:
            word = sm.group("v").lower()
            sex = ExtractedSex(value="male" if word.startswith("m") else "female", evidence=letter.evidence(sm.start("v"), sm.end("v")))
        if sex is None:
            sex = _worker_free_text(letter).sex
        return Worker(age=age, sex=sex)
    return _worker_free_text(letter)


def _worker_free_text(letter: Letter) -> Worker:
    text = letter.text
    regions = [_summary_region(letter), (0, len(text))]
    for rs, re_ in regions:
        hit = find_age(text[rs:re_])
        if not hit:
            continue
        age, a_s, a_e = hit
        age_ev = letter.evidence(rs + a_s, rs + a_e)
        sex = None
        m = SEX_RE.search(text, rs + a_e, min(rs + a_e + 60, re_))
        if m:
            sex = ExtractedSex(value=parse_sex(m.group(0)), evidence=letter.evidence(m.start(), m.end()))
        else:
            for ss, se in _region_sentences(letter, rs, re_):
                if re.search(r"injured\s+worker|patient|applicant|claimant|employee", text[ss:se], re.IGNORECASE):
                    m = SEX_RE.search(text, ss, se)
                    if m:
                        sex = ExtractedSex(value=parse_sex(m.group(0)), evidence=letter.evidence(m.start(), m.end()))
                        break
        if sex is None:
            sex = _sex_from_pronouns(letter, rs, re_)
        return Worker(age=ExtractedInt(value=age, evidence=age_ev), sex=sex)
    return Worker(sex=_sex_from_pronouns(letter, *_summary_region(letter)))


def _sex_from_pronouns(letter: Letter, start: int, end: int) -> Extracted[str] | None:
    """When no word names the worker's sex, the summary's pronouns usually do ("She slipped ...").
    Only an unambiguous majority counts; the form text "He/she" is not a pronoun of the worker."""
    text = letter.text[start:end]
    cleaned = re.sub(r"\b(?:he|she|his|her)\s*/\s*(?:he|she|his|her)\b", " ", text, flags=re.IGNORECASE)
    fem = list(re.finditer(r"\b(?:she|her|herself)\b", cleaned, re.IGNORECASE))
    mas = list(re.finditer(r"\b(?:he|him|his|himself)\b", cleaned, re.IGNORECASE))
    if len(fem) >= 2 and not mas:
        m, value = fem[0], "female"
    elif len(mas) >= 2 and not fem:
        m, value = mas[0], "male"
    else:
        return None
    return ExtractedSex(value=value, evidence=letter.evidence(start + m.start(), start + m.end()))


_LICENSE_LABEL = re.compile(r"State\(?s?\)?\s+of\s+Licen[sc]ure\s*:\s*", re.IGNORECASE)
_SPECIALTY_LABEL = re.compile(r"(?:Certification\(?s?\)?\s*/\s*Specialty|Specialty|Board\s+Certification\(?s?\)?)\s*:\s*", re.IGNORECASE)
_BOARD_RE = re.compile(
    r"(?:Board[-\s]+Certified|(?:holds|has|with)\s+(?:a\s+)?(?:board\s+)?certification)\s+in\s+(?P<v>.+?)(?=,?\s+(?:and\s+)?(?:is|holds|has|who|was|with)\b|,?\s+and\s+licensed|[.;]|$)"
    r"(?:,?\s+(?:with|and\s+has|has)\s+(?:an?\s+)?(?:(?:added|sub-?specialty|additional)\s+(?:certification|qualification)s?"
    r"|sub-?specialty(?:\s+certification)?)\s+in\s+(?P<v2>.+?)"
    r"(?=,?\s+(?:and\s+)?(?:is|holds|has|who|was)\b|,?\s+and\s+licensed|[.;,]|$))?",
    re.IGNORECASE,
)
_LICENSED_RE = re.compile(
    r"licen[sc](?:ed|es?)\s+(?:to\s+practice\s+(?:medicine\s+)?)?in\s+(?:the\s+states?\s+of\s+)?(?P<v>[^.;\n]+?)"
    r"(?=,\s+(?:and\s+)?(?:is|has|who|with)\b|,?\s+with\b|[.;\n]|$)",
    re.IGNORECASE,
)
_YEARS_RE = re.compile(rf"(?:more\s+than|over|at\s+least|a\s+minimum\s+of)\s+(?P<n>\w+(?:-\w+)?)\s+years", re.IGNORECASE)
_HOURS_RE = re.compile(r"at\s+least\s+(?P<n>\w+(?:-\w+)?)\s+hours\s+(?:a|per|each)\s+week", re.IGNORECASE)
#: _YEARS_RE and _HOURS_RE for lower-cased ASCII text: the same patterns (their letters are all lower case)
#: without IGNORECASE. On ASCII text case-insensitive matching is comparing lower cases (``\s`` and ``\w``
#: do not depend on case), so they match at the same places with the same groups' spans; they are quicker
#: because a case-sensitive pattern whose every alternative starts with a letter is tried only where one of
#: those letters stands (the engine scans for them in C), where the case-insensitive one is tried at every
#: position of the letter (~30 us for a whole letter, the region searched when a section lacks them).
_YEARS_LOW_RE = re.compile(_YEARS_RE.pattern)
_HOURS_LOW_RE = re.compile(_HOURS_RE.pattern)


def _search_low(rx: re.Pattern[str], low_rx: re.Pattern[str], text: str, low: str | None,
                start: int, end: int) -> re.Match[str] | None:
    """``rx.search(text, start, end)``'s span and groups' spans: ``low_rx`` (``rx`` lower-cased, see
    _YEARS_LOW_RE) searched in ``low`` (the lower-cased ASCII text) when there is one. Read the groups'
    text from ``text`` by their spans (the match's own text is lower case)."""
    return rx.search(text, start, end) if low is None else low_rx.search(low, start, end)


_NEXT_LABEL = re.compile(r"\s(?:State\(?s?\)?\s+of\s+Licen|Certification\(?s?\)?\s*/|Specialty\s*:)", re.IGNORECASE)
#: The words every match of the label and credential patterns starts with: they are tried only where one
#: stands (see parse.search_from_stems). When a section lacks a credential, the whole letter is searched,
#: and _BOARD_RE tried at every position of a letter costs ~0.25 ms. (_YEARS_RE and _HOURS_RE start with
#: words as common as "a" and "at": they are searched lower-cased instead, see _YEARS_LOW_RE.)
_SPECIALTY_STEMS = ("certification", "specialty", "board")
_BOARD_STEMS = ("board", "holds", "has", "with")
_LICENSE_STEMS = ("state",)
_LICENSED_STEMS = ("licen",)


# Patterns compiled once (``re.search(pattern, ...)`` looks the pattern up in the module's cache on every
# call, with its flags: ~1 us each time).
_STATE_SPLIT_RE = re.compile(r"(\s*(?:,|;|/|&|\band\b)\s*)")
_STATE_SEP_RE = re.compile(r"\s*(?:,|;|/|&|\band\b)\s*")
_PRACTICE_RE = re.compile(r"practice", re.IGNORECASE)
_LIST_AND_RE = re.compile(r"^(?:and|&)\s+")
_UR_REASON_RE = re.compile(
    r"\b(?:due\s+to|secondary\s+to|because|as\s+there\s+was|citing|for\s+lack\s+of|noting)\b(?P<v>[^.]+)", re.IGNORECASE)


def _states_in(letter: Letter, start: int, end: int) -> list[Extracted[str]]:
    table = knowledge.states()
    text = letter.text
    out: list[Extracted[str]] = []
    # Split on commas, "and", "&" and slashes; each part should name a state ("New York and Texas").
    pos = start
    for part in _STATE_SPLIT_RE.split(text[start:end]):
        name = part.strip(" .")
        if name and not _STATE_SEP_RE.fullmatch(part):
            canon = table.get(name.lower()) if table else (name if name[:1].isupper() else None)
            if canon:
                s = pos + (len(part) - len(part.lstrip()))
                out.append(ExtractedStr(value=canon, evidence=letter.evidence(s, s + len(name))))
        pos += len(part)
    return out


def _reviewer(letter: Letter) -> Reviewer:
    text = letter.text
    sec = letter.section("how_made") or letter.section("qualifications")
    regions = [(sec.start, sec.end)] if sec else []
    q = letter.section("qualifications")
    if q and (not sec or q.name != sec.name):
        regions.append((q.start, q.end))
    regions.append((0, len(text)))
    specialty = None
    states: list[Extracted[str]] = []
    years = hours = None
    low = letter.lowered()
    for rs, re_ in regions:
        if specialty is None:
            m = search_from_stems(_SPECIALTY_LABEL, _SPECIALTY_STEMS, text, rs, re_, low=low)
            if m:
                vs = m.end()
                nl = text.find("\n", vs, re_)
                ve = re_ if nl == -1 else nl
                nxt = _NEXT_LABEL.search(text, vs, ve)
                ve = nxt.start() if nxt else ve
                value = text[vs:ve].strip(" .;")
                if value:
                    specialty = ExtractedStr(value=" ".join(value.split()), evidence=letter.evidence(vs, vs + len(text[vs:ve].rstrip(" .;"))))
            else:
                m = search_from_stems(_BOARD_RE, _BOARD_STEMS, text, rs, re_, low=low)
                if m:
                    end_ = m.end("v2") if m.group("v2") else m.end("v")
                    specialty = ExtractedStr(value=specialty_value(text[m.start("v"):end_]),
                                               evidence=letter.evidence(m.start("v"), end_))
        if not states:
            m = search_from_stems(_LICENSE_LABEL, _LICENSE_STEMS, text, rs, re_, low=low)
            if m:
                vs = m.end()
                nl = text.find("\n", vs, re_)
                ve = re_ if nl == -1 else nl
                nxt = _NEXT_LABEL.search(text, vs, ve)
                states = _states_in(letter, vs, nxt.start() if nxt else ve)
            else:
                m = search_from_stems(_LICENSED_RE, _LICENSED_STEMS, text, rs, re_, low=low)
                if m:
                    states = _states_in(letter, m.start("v"), m.end("v"))
        if years is None:
            m = _search_low(_YEARS_RE, _YEARS_LOW_RE, text, low, rs, re_)
            if m and _PRACTICE_RE.search(text[m.end(): m.end() + 40] + text[max(rs, m.start() - 60): m.start()]):
                n = parse_number(text[m.start("n"):m.end("n")])
                if n is not None:
                    years = ExtractedInt(value=int(n), evidence=letter.evidence(m.start(), m.end()))
        if hours is None:
            m = _search_low(_HOURS_RE, _HOURS_LOW_RE, text, low, rs, re_)
            if m:
                n = parse_number(text[m.start("n"):m.end("n")])
                if n is not None:
                    hours = ExtractedInt(value=int(n), evidence=letter.evidence(m.start(), m.end()))
    return Reviewer(specialty=specialty, licensed_in=states, years_in_practice=years, hours_per_week=hours)


# ---------------------------------------------------------------------------------------------- summary

#: (kind, pattern, the words every match of the pattern starts with: see parse.search_from_stems)
_EVENT_KINDS = [
    ("utilization_review", re.compile(r"utilization\s+review|\bUR\b|prior\s+determination|non-?certif", re.IGNORECASE),
     ("utilization", "ur", "prior", "non")),
    ("request", re.compile(r"request\s+for\s+authorization|\bRFA\b|requested|request\s+was", re.IGNORECASE),
     ("request", "rfa")),
    ("imaging", re.compile(r"\bMRI\b|x-?rays?|radiograph|\bCT\b|imaging|ultrasound|bone\s+scan", re.IGNORECASE),
     ("mri", "x", "radiograph", "ct", "imaging", "ultrasound", "bone")),
    ("test", re.compile(r"electrodiagnostic|\bEMG\b|\bNCV\b|\bNCS\b|drug\s+screen|urine|lab", re.IGNORECASE),
     ("electrodiagnostic", "emg", "ncv", "ncs", "drug", "urine", "lab")),
    ("procedure", re.compile(r"surgery|arthroscop|injection|procedure|operat", re.IGNORECASE),
     ("surgery", "arthroscop", "injection", "procedure", "operat")),
    ("exam", re.compile(r"exam|evaluat|progress\s+(?:report|note)|office\s+visit|presented|complain|documentation\s+of|follow-?up", re.IGNORECASE),
     ("exam", "evaluat", "progress", "office", "presented", "complain", "documentation", "follow")),
]
_DIAG_RE = re.compile(
    r"diagnos(?:es|is|ed)\s+(?:are|is|were|was|include[sd]?|included|documented\s+as|as|of|with)?\s*(?:documented\s+as|listed\s+as|noted\s+as|including)?\s*:?\s*(?P<v>[^.]+)",
    re.IGNORECASE,
)
_UNDERGOING_RE = re.compile(r"undergoing\s+treatment\s+for\s+(?P<v>[^.]+)", re.IGNORECASE)
_REQUESTED_RE = re.compile(r"\brequest(?:ed)?\s+(?:was\s+made\s+)?for\s+(?P<v>[^.;]+)", re.IGNORECASE)
_UR_OUTCOME_RE = re.compile(r"non[-\s]?certif\w*|denied|modified|partially\s+(?:approved|certified)", re.IGNORECASE)
#: Every match of _UR_OUTCOME_RE in ASCII text holds one of these, lower-cased.
_UR_OUTCOME_WORDS = ("non", "denied", "modified", "partially")


def _holds(rx: re.Pattern[str], stems: tuple[str, ...], text: str, low: str | None) -> bool:
    """``bool(search_from_stems(rx, stems, text, low=low))``: whether ``rx`` matches somewhere in ``text``.

    With ``low`` (``text.lower()`` of ASCII text) the pattern is tried where each stem stands, one stem
    after the other: every match starts at a stem, so some stem's place starts one exactly when the text
    holds a match. The leftmost match that search_from_stems finds (walking all stems' places in text
    order) is not needed for a yes or no, and this walk is about twice as quick on a summary sentence."""
    if low is None:
        return search_from_stems(rx, stems, text) is not None
    match = rx.match
    find = low.find
    for st in stems:
        i = find(st)
        while i >= 0:
            if match(text, i):
                return True
            i = find(st, i + 1)
    return False


def _split_list(letter: Letter, start: int, end: int) -> list[Extracted[str]]:
    text = letter.text
    chunk = text[start:end]
    sep = ";" if ";" in chunk else ","
    out = []
    pos = 0
    for part in chunk.split(sep):
        s = start + pos + (len(part) - len(part.lstrip()))
        pos += len(part) + 1
        value = part.strip()
        value = _LIST_AND_RE.sub("", value).strip()
        if len(value) < 3:
            continue
        e = s + len(part.strip())
        out.append(ExtractedStr(value=value, evidence=letter.evidence(s, e)))
    return out


def _summary_dates(sent: str, start: int, dated: set[int]) -> tuple:
    """``find_dates(sent)`` of the summary sentence that starts at ``start``, read only when the sentence
    is one of those that hold a digit (``dated``: their starts). Every date has a digit, and find_dates
    finds none without; the sentences are the ones the date cues are looked for in, listed once per
    letter, and on a letter never seen each find_dates of a sentence is a cache miss."""
    return find_dates(sent) if start in dated else ()


def _summary(letter: Letter, ur_date: Extracted[dt.date] | None) -> ClinicalSummary:
    text = letter.text
    rs, re_ = _summary_region(letter)
    diagnoses: list[Extracted[str]] = []
    events: list[DatedEvent] = []
    requested: list[Extracted[str]] = []
    ur_outcome = ur_reason = None
    plain = text.isascii()  # then a pattern that starts with a word can only match where the word stands
    dated = {ds for ds, _, _, _ in _dated_sentences(letter, rs, re_)}
    for ss, se in _region_sentences(letter, rs, re_):
        sent = text[ss:se]
        low = sent.lower()
        if not diagnoses:
            m = ((not plain or "diagnos" in low) and _DIAG_RE.search(sent)
                 or (not plain or "undergoing" in low) and _UNDERGOING_RE.search(sent))
            if m and len(m.group("v")) > 3:
                diagnoses = _split_list(letter, ss + m.start("v"), ss + m.end("v"))
        # The stem searches below share the sentence's lower case (they would each lower-case it again).
        slow = low if plain else None
        dates = _summary_dates(sent, ss, dated)
        if dates:
            # what the sentence is about, the same for each of its dates
            # (the patterns tried only where their words stand: a sentence is a few hundred positions)
            kind = next((k for k, rx, stems in _EVENT_KINDS if _holds(rx, stems, sent, slow)), "other")
            injury = _holds(_INJURY_CUE, _INJURY_STEMS, sent, slow)
            if not (injury and kind in ("other", "exam")):  # else the injury itself is in dates.injury
                said = " ".join(sent.split())
                for d in dates:
                    events.append(DatedEvent(date=ExtractedDate(value=d.date, evidence=letter.evidence(ss + d.start, ss + d.end)),
                                             kind=kind, text=ExtractedStr(value=said, evidence=letter.evidence(ss, se))))
        m = _REQUESTED_RE.search(sent) if not plain or "request" in low else None
        wants_request = m and len(requested) < 10
        # The UR cue decides only a request to keep and the first UR outcome, and an outcome needs one of
        # its words in the sentence: in most sentences neither can happen, and the cue (whose first words
        # "the", "was", "ur" stand everywhere) is not looked for.
        could_be_outcome = ur_outcome is None and (not plain or any(w in low for w in _UR_OUTCOME_WORDS))
        ur_cue = (_holds(_UR_CUE, _UR_STEMS, sent, slow)
                  if wants_request or could_be_outcome else False)
        if wants_request and not ur_cue:
            requested.append(ExtractedStr(value=" ".join(m.group("v").split()), evidence=letter.evidence(ss + m.start("v"), ss + m.end("v"))))
        if ur_cue and ur_outcome is None:
            om = _UR_OUTCOME_RE.search(sent)
            if om:
                word = om.group(0).lower()
                value = ("non-certified" if "cert" in word and "partial" not in word else
                         "partially approved" if "partial" in word else "modified" if "modif" in word else "denied")
                ur_outcome = ExtractedURStatus(value=value, evidence=letter.evidence(ss + om.start(), ss + om.end()))
                rm = _UR_REASON_RE.search(sent)
                if rm:
                    ur_reason = ExtractedStr(value=" ".join(rm.group(0).split()), evidence=letter.evidence(ss + rm.start(), ss + rm.end()))
    ur = UROutcome(date=ur_date, outcome=ur_outcome, reason=ur_reason) if (ur_date or ur_outcome) else None
    return ClinicalSummary(diagnoses=diagnoses[:20], events=events[:60], requested=requested, utilization_review=ur)


# ------------------------------------------------------------------------------------------------ record


def extract_rules(letter: Letter) -> CaseRecord:
    """Read a CaseRecord from a Letter with the deterministic rules."""
    text = letter.text
    region = _header_region(letter)
    case = None
    low = letter.lowered()
    head_end = min(len(text), max(region[1], 2000))
    m = search_from_stems(_CASE_RE, _CASE_STEMS, text, 0, head_end, low=low)
    if not m:
        m2 = _CASE_BARE_RE.search(text, 0, min(len(text), 3000))
        if m2:
            case = ExtractedStr(value=m2.group(0), evidence=letter.evidence(m2.start(), m2.end()))
    else:
        case = ExtractedStr(value=m.group("v").upper(), evidence=letter.evidence(m.start("v"), m.end("v")))
    priority = None
    pm = search_from_stems(_PRIORITY_RE, _PRIORITY_STEMS, text, 0, head_end, low=low)
    if pm:
        word = pm.group("v").lower()
        value = "expedited" if word in ("expedited", "urgent") else "standard"
        priority = ExtractedPriority(value=value, evidence=letter.evidence(pm.start("v"), pm.end("v")))

    dates = {k: _labelled_date(letter, k, region) for k in _HEADER_FIELDS}
    known = {role for role, value in dates.items() if value is not None}
    for role, value in _classified_header_dates(letter, region, known).items():
        if dates.get(role) is None:
            dates[role] = value
    summary_region = _summary_region(letter)
    if dates["injury"] is None:
        dates["injury"] = (_cue_date(letter, summary_region, _INJURY_CUE, _INJURY_STEMS)
                           or _cue_date(letter, (0, len(text)), _INJURY_CUE, _INJURY_STEMS))
    ur_summary = _cue_date(letter, summary_region, _UR_CUE, _UR_STEMS)
    if dates["ur_decision"] is None:
        dates["ur_decision"] = ur_summary
    if dates["application_received"] is None:
        dates["application_received"] = _cue_date(letter, (0, len(text)), _APPLICATION_CUE, ("application",),
                                                  max_gap=40, after_only=True)
    if dates["determination"] is None:
        m = search_from_stems(_DATED_RE, ("dated",), text, 0, 600, low=low)
        if m:
            ds = find_dates(text[m.end(): m.end() + 30])
            if ds and ds[0].start == 0:
                d = ds[0]
                dates["determination"] = ExtractedDate(value=d.date, evidence=letter.evidence(m.end() + d.start, m.end() + d.end))

    record = CaseRecord(
        letter=LetterInfo(source=letter.source, sha256=letter.sha256, layout=letter.layout, case_number=case, priority=priority),
        worker=_worker(letter),
        dates=Dates(**dates),
        reviewer=_reviewer(letter),
        summary=_summary(letter, ur_summary or dates["ur_decision"]),
        items=extract_items(letter),
        meta=RunMeta(imrassist_version=__version__, backend="rules"),
    )
    return record
