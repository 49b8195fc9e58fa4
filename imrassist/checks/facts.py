"""What a letter states, read once and shared by every check: dates with their roles, cited pages, counted
amounts, the worker, the disputed items and their blocks.

The facts come from the letter text itself (role cue words, citation lines, item blocks) united with the
reference record (the rules extractor's reading of the same letter). Checks compare a record or an
explanation against these facts, never against the record under check. Positions are kept in the
letter's normalised coordinates and mapped to the ORIGINAL text for findings.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from ..extract.items import find_blocks
from ..letter import Letter
from ..models import CaseRecord, Item
from ..parse import find_age, find_dates, matches_at, search_from_stems, singular, stem_positions
from .common import (
    Count, StemScan, _noun_key, holds_match, body_regions, body_sides, core_of, core_words, dates_in, distinctive, find_counts, fold, frequencies,
    limits,
    mapped_words, page_refs, sentences, spans_holding, treatment_vocab, word_set,
)

ROLES = ("injury", "ur_decision", "application_received", "assigned", "determination")

# Header labels -> role (the header block of format1 letters and labelled lines anywhere).
_LABELS = [
    ("assigned", r"Date\s+Assigned"),
    ("injury", r"Date\s+of\s+Injury|\bDOI\b"),
    ("ur_decision", r"UR\s+(?:Denial\s+|Decision\s+|Determination\s+)?Date|Utilization\s+Review\s+(?:Denial\s+)?Date"),
    ("determination", r"(?<!UR\s)(?<!Review\s)(?<!Denial\s)(?:Final\s+)?(?:Decision|Determination)\s+Date|Date\s+of\s+(?:Final\s+)?(?:Decision|Determination)"),
    ("application_received", r"(?:IMR\s+)?Application\s+Received(?:\s+Date)?|Date\s+Application\s+Received"),
]
_LABEL_RE = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _LABELS), re.IGNORECASE)

# Cue words that give a date its role inside a sentence. "injured worker" names the patient, not the injury.
_CUES = [
    ("injury", r"date\s+of\s+(?:the\s+)?injury|injury\s+date|industrial(?:[-\s]\w+)?\s+injury|injured(?!\s+(?:worker|employee|party))"
               r"|injury\s+(?:on|of)|occupational\s+(?:claim|injury)|\bDOI\b|sustained|reported\s+(?:an?\s+)?(?:\w+\s+)?injury"
               r"|work[-\s]related\s+injury|claim\s+from|date\s+of\s+loss"),
    ("ur_decision", r"utilization\s+review|\bUR\b|prior\s+(?:determination|review)|non-?certif\w*|(?:was|were)\s+denied"
                    r"|denied\s+on|(?:was|were)\s+modified|claims\s+administrator\s+(?:denied|modified|partially)"),
    ("service", r"\bDOS\b|date\s+of\s+service|service\s+date"),
    ("request", r"request\s+for\s+authorization|\bRFA\b|requested|request(?:\s+\w+)?\s+(?:was\s+)?(?:dated|signed|received|made)"),
    ("exam", r"exam\w*|evaluat\w*|progress\s+(?:report|note)s?|presented|office\s+visit|visit|findings|documentation"
             r"|report(?:ed)?|seen|complain\w*|follow[-\s]?up|assessment|notes?\b"),
    ("imaging", r"\bMRI\b|x-?rays?|radiograph\w*|\bCT\b|imaging|ultrasound|scan|electrodiagnostic|\bEMG\b|study"),
    ("application_received", r"application\s+for\s+(?:independent\s+medical\s+review|IMR)|IMR\s+application"),
]
_CUE_RE = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _CUES), re.IGNORECASE)
_MAX_CUE_GAP = 80
#: The words every match of _LABEL_RE / _CUE_RE starts with (see common.StemScan).
_LABEL_STEMS = ("date", "doi", "ur", "utilization", "final", "decision", "determination", "imr", "application")
_CUE_STEMS = ("date", "injury", "industrial", "injured", "occupational", "doi", "sustained", "reported", "work",
              "claim", "utilization", "ur", "prior", "non", "was", "were", "denied", "dos", "service", "request",
              "rfa", "exam", "evaluat", "progress", "presented", "office", "visit", "finding", "documentation",
              "report", "seen", "complain", "follow", "assessment", "note", "mri", "x", "radiograph", "ct", "imaging",
              "ultrasound", "scan", "electrodiagnostic", "emg", "study", "application", "imr")


@dataclass(slots=True)
class DateFact:
    date: dt.date
    start: int  # normalised text
    end: int
    span: tuple[int, int]  # original text
    roles: set[str] = field(default_factory=set)


@dataclass(slots=True)
class ItemFact:
    index: int
    name: str
    decision: str
    item: Item | None
    name_span: tuple[int, int] | None  # original
    decision_span: tuple[int, int] | None  # original
    block: tuple[int, int]  # normalised [start, end) of the whole block
    header: str
    guideline_text: str  # MAXIMUS guideline line(s), normalised
    ca_text: str  # Claims Administrator guideline line(s)
    rationale: tuple[int, int] | None  # normalised span of the rationale
    vocab: frozenset[str]
    keys: set[str]  # words that point at this item in free text
    block_words: set[str]
    retrospective: bool
    #: Amounts the letter states as asked for (the amount under review, the original request, the request
    #: for authorization), per counted noun.
    requested: dict[str, set[float]] = field(default_factory=dict)
    #: Amounts the claims administrator (UR) already approved of a modified request, per counted noun.
    ur_approved: dict[str, set[float]] = field(default_factory=dict)
    #: UR approved part of the request (the IMR decided the rest, or the original request).
    modified: bool = False
    regions: frozenset[str] = frozenset()  # body regions the item's name states
    sides: frozenset[str] = frozenset()  # left / right
    #: Generic words of the name that no other item shares ("therapy" when one item is a therapy): they
    #: point at this item in a sentence that names no item by its specific words.
    weak_keys: set[str] = field(default_factory=set)


@dataclass
class LetterFacts:
    letter: Letter
    reference: CaseRecord
    dates: list[DateFact]
    role_dates: dict[str, set[dt.date]]
    pages: dict[int, tuple[int, int] | None]
    items: list[ItemFact]
    age: int | None
    age_span: tuple[int, int] | None
    sex: str | None
    sex_span: tuple[int, int] | None
    sources: set[str]
    page_spans: list[tuple[int, int]] = field(default_factory=list, repr=False)  # normalised, of ``pages``

    @cached_property
    def counts(self) -> dict[str, dict[float, tuple[int, int] | None]]:
        """Counted noun -> every number the letter states of it -> where (original text). Read on first
        use: only the explanation's count check needs it, and not for every explanation."""
        return _counts(self.letter, self.reference, self.dates, self.page_spans)

    @cached_property
    def record_counts(self) -> dict[str, dict[float, tuple[int, int] | None]]:
        """The part of :attr:`counts` that the reference reading holds (each item's quantity and limit,
        the number of items): known without reading the letter's text again. A number found here is
        one the letter states, so a check can stop there; only a number missing here needs :attr:`counts`
        (whole-letter reading, most of the cost of the count check)."""
        counts: dict[str, dict[float, tuple[int, int] | None]] = {}
        _add_record_counts(self.reference, counts)
        return counts

    # -- lookups ---------------------------------------------------------------------------------------

    def date_values(self) -> set[dt.date]:
        return {d.date for d in self.dates}

    def first_span(self, value: dt.date, role: str | None = None) -> tuple[int, int] | None:
        for d in self.dates:
            if d.date == value and (role is None or role in d.roles):
                return d.span
        return None

    def role_span(self, role: str) -> tuple[int, int] | None:
        ev = getattr(self.reference.dates, role, None) if role in ROLES else None
        if ev is not None and ev.evidence is not None and ev.evidence.span:
            return ev.evidence.span
        for d in self.dates:
            if role in d.roles:
                return d.span
        return None

    def orig(self, start: int, end: int) -> tuple[int, int]:
        return self.letter.to_original(start, end)

    def block_text(self, item: ItemFact) -> str:
        return self.letter.text[item.block[0]:item.block[1]]

    def rationale_text(self, item: ItemFact) -> str:
        return self.letter.text[item.rationale[0]:item.rationale[1]] if item.rationale else ""

    @cached_property
    def squashed(self) -> str:
        """The letter's letters and digits only, lower case (to find a quote whatever its line breaks,
        hyphenation or spacing)."""
        text = squash_text(self.letter.text)
        orig = squash_text(self.letter.original) if self.letter.original else ""
        return text if orig == text else f"{text}\n{orig}"  # a quote may keep a page footer it spans


def squash_text(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(text))


# ----------------------------------------------------------------------------------------------- build


_DIGIT = re.compile(r"\d")
_DISPENSED = re.compile(r"#\s?(\d{1,4})\b")
_RETRO = re.compile(r"\bretro(?:spective|active)?\b|\bDOS\b|date\s+of\s+service", re.I)


#: Ends just after the last character of a stretch that no label holds (a label is letters and spaces).
_LAST_BARRIER = re.compile(r"(?s).*[^A-Za-z\s]")
#: One of these stands (lower case) in every match of _LABEL_RE (tests/test_facts_speed3.py checks each alternative).
_LABEL_KEYS = ("date", "doi", "application")


def _label_before(text: str, low: str, p: int) -> re.Match[str] | None:
    """The last match of ``finditer_from_stems(_LABEL_RE, _LABEL_STEMS, text, low=low)`` that ends at or before
    ``p``, if it may end 40 characters or less before ``p`` (else it or None: the caller drops both), for an
    ASCII ``text`` (``low`` lower-cased). A label holds only letters and whitespace, so none holds the last
    other character ``b`` before ``p - 40``: the whole-text scan's matches after ``b`` are those of a scan
    from ``b + 1``, and one that ends at ``p - 40`` or later starts after ``b``. Only the stretch from there
    to ``p`` is read, not the whole letter for every stem ("ur" stands in many words)."""
    hi = p - 40
    start = 0
    span = 80
    while hi > 0:
        lo = hi - span if hi > span else 0
        b = _LAST_BARRIER.match(text, lo, hi)
        if b is not None:
            start = b.end()
            break
        hi = lo
        span *= 4
    if low.find("date", start, p) < 0 and low.find("doi", start, p) < 0 and low.find("application", start, p) < 0:
        return None
    last = None
    pos = start
    for i in stem_positions(_LABEL_STEMS, low, start=start, end=p):
        if i < pos:
            continue
        m = _LABEL_RE.match(text, i)
        if m:
            if m.end() > p:
                break
            last = m
            pos = m.end()
    return last


def _date_roles(letter: Letter, sents: list[tuple[int, int]] | None = None) -> list[DateFact]:
    """Dates of the letter with their roles (``sents``: the letter's sentences, if already split)."""
    text = letter.text
    facts: list[DateFact] = []
    found = dates_in(text)
    header = letter.section("header")
    header_end = header.end if header and header.end > header.start else 0
    # (An ASCII letter's lower-cased text is made once, and the extractor has usually made it already.)
    low = letter.lowered()
    # (In an ASCII letter the label before each date is looked for near it, see _label_before.)
    labels = [] if not found or low is not None else StemScan(_LABEL_RE, _LABEL_STEMS, text).finditer()
    # The cue words are looked for only in the sentences of the dates that need them (a letter's dates
    # stand in a few of its sentences), each sentence scanned once.
    cue_scans: dict[tuple[int, int], list[re.Match[str]]] = {}
    label_ends = [m.end() for m in labels]  # (in order: the labels do not overlap)
    sent_spans = (sents if sents is not None else sentences(text)) if found else []
    si = 0
    for d in found:
        roles: set[str] = set()
        # A label directly before the date ("Date of Injury: 10/18/2016"): the last one ending before it.
        lab = None
        if low is not None:
            m = _label_before(text, low, d.start)
        else:
            k = bisect_right(label_ends, d.start) - 1
            m = labels[k] if k >= 0 else None
        if m is not None and d.start - m.end() <= 40 and not _DIGIT.search(text, m.end(), d.start):
            lab = m
        if lab is not None:
            roles.add(lab.lastgroup or "")
        elif d.start >= header_end:
            while si < len(sent_spans) and sent_spans[si][1] <= d.start:
                si += 1
            ss, se = sent_spans[si] if si < len(sent_spans) else (0, len(text))
            best: tuple[int, set[str]] | None = None
            cues = cue_scans.get((ss, se))
            if cues is None:
                cues = cue_scans[(ss, se)] = (
                    matches_at(_CUE_RE, text, stem_positions(_CUE_STEMS, low, start=ss, end=se), se) if low is not None
                    else StemScan(_CUE_RE, _CUE_STEMS, text, ss, se).finditer(ss, se))
            for c in cues:
                gap = d.start - c.end() if d.start >= c.end() else c.start() - d.end
                gap = max(gap, 0)
                if gap > _MAX_CUE_GAP:
                    continue
                role = c.lastgroup or ""
                if best is None or gap < best[0]:
                    best = (gap, {role})
                elif gap == best[0]:
                    best[1].add(role)
            if best:
                roles |= best[1]
        facts.append(DateFact(d.date, d.start, d.end, letter.to_original(d.start, d.end), roles))
    return facts


#: The guideline sources a letter cites, and the words each match starts with.
_SOURCE_RES = [
    ("MTUS", re.compile(r"\bMTUS\b|Medical\s+Treatment\s+Utilization\s+Schedule|Chronic\s+Pain\s+(?:Medical\s+)?Treatment", re.I),
     ("mtus", "medical", "chronic")),
    ("ACOEM", re.compile(r"\bACOEM\b|American\s+College\s+of\s+Occupational", re.I), ("acoem", "american")),
    ("ODG", re.compile(r"\bODG\b|Official\s+Disability\s+Guidelines", re.I), ("odg", "official")),
]


def _noun_of_unit(unit: str | None) -> str | None:
    if not unit:
        return None
    return _noun_key(singular(unit.split()[-1]), "en")


def build_facts(letter: Letter, reference: CaseRecord) -> LetterFacts:
    text = letter.text
    sents = sentences(text)  # read for the dates' roles and for the requests of the letter's story
    dates = _date_roles(letter, sents)
    role_dates: dict[str, set[dt.date]] = {}
    for d in dates:
        for r in d.roles:
            role_dates.setdefault(r, set()).add(d.date)
    for role in ROLES:
        ev = getattr(reference.dates, role)
        if ev is not None:
            role_dates.setdefault(role, set()).add(ev.value)
            for d in dates:
                if d.date == ev.value and ev.evidence and ev.evidence.start is not None and d.span[0] <= ev.evidence.start < d.span[1] + 1:
                    d.roles.add(role)

    pages: dict[int, tuple[int, int] | None] = {}
    page_spans: list[tuple[int, int]] = []
    for nums, s, e in page_refs(text):
        page_spans.append((s, e))
        for n in nums:
            pages.setdefault(n, letter.to_original(s, e))
    for it in reference.items:
        for c in [*it.guidelines, *it.ca_guidelines]:
            for p in c.pages:
                pages.setdefault(p, c.evidence.span if c.evidence and c.evidence.span else None)

    age = reference.worker.age.value if reference.worker.age else None
    age_span = reference.worker.age.evidence.span if reference.worker.age and reference.worker.age.evidence else None
    if age is None:
        hit = find_age(text)
        if hit:
            age, age_span = hit[0], letter.to_original(hit[1], hit[2])
    sex = reference.worker.sex.value if reference.worker.sex else None
    sex_span = reference.worker.sex.evidence.span if reference.worker.sex and reference.worker.sex.evidence else None

    low = letter.lowered()  # (None for other than ASCII text: then each search is a plain one, as before)
    cited = {c.source for it in reference.items for c in [*it.guidelines, *it.ca_guidelines]}
    # (A source the reference reading cites is one of the letter's whatever its text says: only the others
    # are looked for; and of those only whether the letter names them, not where first.)
    sources = {name for name, rx, stems in _SOURCE_RES if name in cited or search_from_stems(rx, stems, text, low=low) is not None}
    for it in reference.items:
        for c in [*it.guidelines, *it.ca_guidelines]:
            sources.add(c.source)

    items = _items(letter, reference, sents)
    return LetterFacts(letter, reference, dates, role_dates, pages, items, age, age_span, sex, sex_span, sources,
                       page_spans)


def _counts(letter: Letter, reference: CaseRecord, dates: list[DateFact],
            page_spans: list[tuple[int, int]]) -> dict[str, dict[float, tuple[int, int] | None]]:
    """See :attr:`LetterFacts.counts`: the letter's counted amounts (not the numbers of its dates and page
    references), its frequencies, the record's quantities and limits, the number of items."""
    text = letter.text
    skip = [(d.start, d.end) for d in dates] + page_spans
    counts: dict[str, dict[float, tuple[int, int] | None]] = {}

    def add(noun: str | None, value: float | None, span: tuple[int, int] | None) -> None:
        if noun is None or value is None:
            return
        counts.setdefault(noun, {}).setdefault(float(value), span)

    for c in find_counts(text, "en", skip=skip):
        for v in c.values:
            add(c.noun, v, letter.to_original(c.start, c.end))
    for fq in frequencies(text, "en"):  # "2 times a week for 6 weeks", "2X4": 2 times, 6 weeks, 12 visits
        sp = letter.to_original(fq.start, fq.end)
        for v in fq.per:
            add("time", v, sp)
        for v in fq.duration:
            add(fq.unit, v, sp)
        for v in fq.totals:
            add("visit", v, sp)
    _add_record_counts(reference, counts)
    for m in _DISPENSED.finditer(text):  # a dispensed count: "#60" pills, tablets, patches
        for noun in ("tablet", "capsule", "patch"):
            add(noun, float(m.group(1)), letter.to_original(m.start(), m.end()))
    return counts


def _add_record_counts(reference: CaseRecord, counts: dict[str, dict[float, tuple[int, int] | None]]) -> None:
    """Add to ``counts`` what the reference reading counts: each item's quantity and limit, the number of
    items ("both", "the other four requests", "2 of the 5 items"). (A value already there keeps its span.)"""

    def add(noun: str | None, value: float | None, span: tuple[int, int] | None) -> None:
        if noun is None or value is None:
            return
        counts.setdefault(noun, {}).setdefault(float(value), span)

    for it in reference.items:
        if it.quantity is not None:
            sp = it.quantity.evidence.span if it.quantity.evidence else None
            add(_noun_of_unit(it.unit.value if it.unit else None) or "visit", it.quantity.value, sp)
        if it.limit is not None:
            sp = it.limit.evidence.span if it.limit.evidence else None
            noun = _noun_of_unit(it.limit.value.unit) or "visit"
            add(noun, it.limit.value.min, sp)
            add(noun, it.limit.value.max, sp)
    for n in range(1, len(reference.items) + 1):
        add("item", n, None)


def _item_keys(name: str) -> set[str]:
    """Words that point at an item in free text: its specific words, without numbers and fragments."""
    core = core_words()
    # (A word of letters only holds no digit: no character is both; the test is then one C call.)
    return {w for w in distinctive(name) | core_of(name)
            if (w.isalpha() or not any(ch.isdigit() for ch in w)) and (len(w) >= 3 or w in core)}


#: Generic words that still say what kind of treatment an item is; when only one item is of that kind,
#: the word points at it ("the other 6 therapy visits", "Why (therapy):").
_WEAK_KEY_WORDS = frozenset(
    "therapy test testing scan imaging medication medicine cream program procedure study surgery surgical stay "
    "rental consult consultation evaluation exam lab labs machine device pill tablet patch unit".split()
)
#: The claims administrator (UR) approved part of a request.
_UR_PART_RE = re.compile(
    r"authori[sz]ed\s+by\s+the\s+claims\s+administrator|claims\s+administrator\s+(?:\w+\s+){0,2}?(?:authori[sz]ed|certified|approved|allowed|modified)"
    r"|modified\s+(?:\w+\s+){0,5}?to\b|partial(?:ly)?\s+(?:certified|approved|authori[sz]ed|certification)|remaining\s+IMR\s+eligible"
    r"|leaving\s+the\s+original\s+request", re.IGNORECASE)
_UR_AMOUNT_RE = re.compile(r"authori[sz]ed|certified|approved|allowed|modified", re.IGNORECASE)
#: A sentence that states what was asked for ("X was the original request", "The remaining IMR eligible
#: portion of the original request, X is").
_ASKED_SENT_RE = re.compile(r"was\s+the\s+original\s+request|remaining\s+(?:IMR\s+)?eligible|original\s+request\s*,|"
                            r"^\s*the\s+original\s+request\b", re.IGNORECASE)
#: Just before a number: it is the amount asked for ("partially approved a request for 9 sessions as 6").
_ASKED_BEFORE_RE = re.compile(r"(?:request(?:ed|s)?|asked|ordered|sought)\s+(?:for\s+)?(?:an?\s+|the\s+)?(?:additional\s+)?(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
_REQUEST_SENT_RE = re.compile(r"request\s+for\b|request(?:ed|ing)\b|asked\s+for|\bRFA\b|\bordered\b|\bsought\b|prescrib|"
                              r"original\s+request", re.IGNORECASE)


def _amounts(text: str, into: dict[str, set[float]], ur: dict[str, set[float]] | None = None) -> None:
    """Counted amounts of ``text`` (a frequency x duration phrase as its parts and its visit total). With
    ``ur``, ``text`` is a UR sentence: an amount right after "a request for" goes to ``into``, the rest to ``ur``."""

    def dest(start: int) -> dict[str, set[float]]:
        if ur is None or _ASKED_BEFORE_RE.search(text[max(0, start - 40):start]):
            return into
        return ur

    freqs = frequencies(text, "en")
    for fq in freqs:
        d = dest(fq.start)
        d.setdefault("time", set()).update(float(v) for v in fq.per)
        d.setdefault(fq.unit, set()).update(float(v) for v in fq.duration)
        d.setdefault("visit", set()).update(float(v) for v in fq.totals)
    for c in find_counts(text, "en"):
        if any(fq.start <= c.start < fq.end for fq in freqs):
            continue
        dest(c.start).setdefault(c.noun, set()).update(float(v) for v in c.values)
    for m in _DISPENSED.finditer(text):
        d = dest(m.start())
        for noun in ("tablet", "capsule", "patch"):
            d.setdefault(noun, set()).add(float(m.group(1)))


def _is_ur_sentence(sent: str) -> bool:
    return bool(_UR_PART_RE.search(sent) and _UR_AMOUNT_RE.search(sent) and not _ASKED_SENT_RE.search(sent))


_SURGERY_NAME_RE = re.compile(
    r"(?<![-\w])(?:surgery|surgical|arthroscop\w*|arthroplasty|fusion|laminectomy|discectomy|decompression|replacement|repair"
    r"|reconstruction|debridement|acromioplasty|excision|(?<!myofascial\s)release|-?ectomy|-?otomy|-?plasty)\b", re.IGNORECASE)


#: Kinds of treatment and the plain words that say "the one of that kind" ("the machine" for a CPM device,
#: "the pills" for the one medication): a name of the kind (left) gets the words (right) as weak keys.
_KINDS: list[tuple[re.Pattern[str], frozenset[str]]] = [
    (re.compile(r"\b(?:device|unit|machine|stimulator|tens|cpm|continuous\s+passive\s+motion|interferential|h-?wave|e-?stim"
                r"|pump|cryotherapy|cold\s+therapy|vasocompression|traction|nmes|ems)\b", re.I),
     frozenset({"machine", "device", "unit", "equipment"})),
    (re.compile(r"\b(?:\d+\s*mg|mcg|#\s?\d+|tablets?|capsules?|cream|gel|ointment|lotion|patch(?:es)?|refills?)\b|#\s?\d+", re.I),
     frozenset({"medication", "medicine", "pill", "drug", "prescription"})),
    (re.compile(r"\b(?:tests?|testing|screens?|panel|labs?|cbc|bmp|urinalysis|uds|udt|ekg|ecg|emg|ncv|ncs)\b", re.I),
     frozenset({"test", "testing", "lab", "labs", "screen"})),
    (re.compile(r"\b(?:mri|x-?rays?|ct|scan|imaging|radiographs?|ultrasound|arthrogram|myelogram)\b", re.I),
     frozenset({"scan", "imaging", "picture", "image"})),
    (re.compile(r"\b(?:consult(?:ation)?|referral|evaluation)\b", re.I), frozenset({"consult", "consultation", "specialist"})),
    (re.compile(r"\b(?:stay|inpatient|hospital(?:ization)?)\b", re.I), frozenset({"stay", "hospital", "hospitalization"})),
]


#: Per pattern of :data:`_KINDS` (and of :data:`_SURGERY_NAME_RE`, :data:`_RETRO`), words one of which every
#: match holds, in lower case: a name (ASCII) that holds none is not searched with the pattern (most names
#: say one kind of treatment, or none; a pattern starting with a lookbehind or ``\b`` is tried at every
#: position of the name).
_KIND_HINTS: list[tuple[str, ...]] = [
    ("device", "unit", "machine", "stimulator", "tens", "cpm", "continuous", "interferential", "wave", "stim", "pump",
     "cryotherapy", "cold", "vasocompression", "traction", "nmes", "ems"),
    ("mg", "mcg", "#", "tablet", "capsule", "cream", "gel", "ointment", "lotion", "patch", "refill"),
    ("test", "screen", "panel", "lab", "cbc", "bmp", "urinalysis", "uds", "udt", "ekg", "ecg", "emg", "ncv", "ncs"),
    ("mri", "ray", "ct", "scan", "imaging", "radiograph", "ultrasound", "arthrogram", "myelogram"),
    ("consult", "referral", "evaluation"),
    ("stay", "inpatient", "hospital"),
]
_SURGERY_HINTS = ("surg", "arthro", "fusion", "ectomy", "decompression", "replacement", "repair", "reconstruction",
                  "debridement", "plasty", "excision", "release", "otomy")
_RETRO_HINTS = ("retro", "dos", "date")


@lru_cache(maxsize=4096)  # (names of treatments recur across letters; cleared by checks.clear_caches)
def _weak_words_of(name: str) -> frozenset[str]:
    """The generic words of a treatment name that say its kind, and the plain words of that kind (read-only)."""
    ws = word_set(name)
    low = name.lower() if name.isascii() else None  # (asked of several patterns)
    extra = {"surgery", "operation"} if holds_match(_SURGERY_NAME_RE, _SURGERY_HINTS, name, low) else set()
    for (rx, kind_words), hints in zip(_KINDS, _KIND_HINTS):
        if holds_match(rx, hints, name, low):
            extra |= kind_words
    return frozenset({w for w in ws if w in _WEAK_KEY_WORDS} | extra)


def _weak_keys(names: list[str]) -> list[set[str]]:
    """Per name, its weak words (:func:`_weak_words_of`) that no other name has, as a weak or a plain word.

    Each name's words are gathered once and counted (a word of a name's weak words is another name's too
    when two names hold it), instead of uniting all the other names' words for each name (n x n unions:
    a letter with 21 items made 420). The result is the same set difference, made the same way: a set
    of fewer than four words minus any set is built by adding, in its own order, the words the other set
    lacks (CPython's ``set - set``), so only whether each of its words is in the other set matters; a
    larger one (rare) is still taken from the union of the others."""
    cands = [set(_weak_words_of(name)) for name in names]
    if len(names) <= 1:
        return [c - set() for c in cands]
    held = [c | word_set(name) for c, name in zip(cands, names)]
    count: dict[str, int] = {}
    for ws in held:
        for w in ws:
            count[w] = count.get(w, 0) + 1
    out = []
    for i, c in enumerate(cands):
        if len(c) < 4:
            out.append(c - {w for w in c if count[w] > 1})
        else:
            out.append(c - set().union(*(held[j] for j in range(len(names)) if j != i)))
    return out


#: A sentence before an item's header that says what was asked for or what UR authorised.
_PRE_HEADER_RE = re.compile(r"original\s+request|authori[sz]ed\s+by", re.I)


def _may_hold_pre_header(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` may hold a :data:`_PRE_HEADER_RE` sentence: in ASCII text, only if it
    holds one of the pattern's first words (most stretches before a header hold neither, and are then not
    split into sentences at all)."""
    window = text[start:end]
    if not window.isascii():
        return True
    low = window.lower()
    return "original" in low or "authori" in low


def _items(letter: Letter, reference: CaseRecord, sents: list[tuple[int, int]] | None = None) -> list[ItemFact]:
    text = letter.text
    blocks = find_blocks(letter)
    out: list[ItemFact] = []
    use_blocks = len(blocks) == len(reference.items) and blocks
    names = [it.treatment.value for it in reference.items]
    weak = _weak_keys(names)
    prev_end = 0
    for i, it in enumerate(reference.items):
        name = it.treatment.value
        pre = ""
        if use_blocks:
            b = blocks[i]
            start, end = b.header[0], max(b.end, b.header[1])
            gl = " ".join(text[s:e] for s, e in b.fields.get("maximus", []))
            ca = " ".join(text[s:e] for s, e in b.fields.get("ca", []))
            rat = b.fields.get("rationale")
            rationale = (rat[0][0], rat[-1][1]) if rat else None
            header = text[b.header[0]:b.header[1]]
            # "X was the original request." on a line (or page) of its own before the header.
            lo = max(prev_end, start - 800)
            pre = " ".join(text[s:e] for s, e in sentences(text, lo, start)
                           if _PRE_HEADER_RE.search(text, s, e)) if _may_hold_pre_header(text, lo, start) else ""
            prev_end = end
        else:
            start, end = 0, len(text)
            gl = ca = ""
            rationale = None
            header = name
        block_text = text[start:end]
        requested: dict[str, set[float]] = {}
        ur: dict[str, set[float]] = {}
        if it.quantity is not None:
            unit = it.unit.value if it.unit else None
            noun = _noun_key(singular(unit.split()[-1]), "en") if unit else "visit"
            if noun:
                requested.setdefault(noun, set()).add(float(it.quantity.value))
        head_text = f"{pre} {header}"
        for s, e in sentences(head_text):
            # "X was authorized by the Claims Administrator" (UR's part) vs "X was the original request" and
            # "The remaining IMR eligible portion of the original request, X is" (what was asked for).
            sent = head_text[s:e]
            _amounts(sent, requested, ur if _is_ur_sentence(sent) else None)
        modified = bool(_UR_PART_RE.search(head_text))
        regions = body_regions(name) or body_regions(header)
        out.append(
            ItemFact(
                index=i,
                name=name,
                decision=it.decision.value,
                item=it,
                name_span=it.treatment.evidence.span if it.treatment.evidence else None,
                decision_span=it.decision.evidence.span if it.decision.evidence else None,
                block=(start, end),
                header=header,
                guideline_text=gl,
                ca_text=ca,
                rationale=rationale,
                vocab=treatment_vocab(name),
                keys=_item_keys(name),
                block_words=word_set(block_text),
                retrospective=holds_match(_RETRO, _RETRO_HINTS, name),
                requested=requested,
                ur_approved=ur,
                modified=modified,
                regions=regions,
                sides=body_sides(name) or body_sides(header),
                weak_keys=weak[i],
            )
        )
    _summary_requests(letter, out, sents)
    return out


_REQUEST_OR_UR_STEMS = ("request", "asked", "rfa", "ordered", "sought", "prescrib", "authori", "modified", "partial",
                        "remaining", "leaving")


def _summary_requests(letter: Letter, items: list[ItemFact], sents: list[tuple[int, int]] | None = None) -> None:
    """Amounts the letter's story says were asked for ("The request for authorization dated 09/21/2015
    asked for physical therapy twice weekly for six weeks") or that UR approved of a modified request
    ("the claims administrator modified the therapy request to 6 visits"), credited to the items the
    sentence (or its clause) names."""
    if not items:
        return
    text = letter.text
    blocks = [f.block for f in items if f.block != (0, len(text))]
    low = letter.lowered() or text.lower()
    if len(low) != len(text):
        low = text
    # (every match of the two patterns below holds one of the stems)
    spans = sents if sents is not None else sentences(text)
    for s, e in (spans[k] for k in _holding_outside(low, spans, _REQUEST_OR_UR_STEMS, blocks)):
        if not _REQUEST_SENT_RE.search(text, s, e) and not _UR_PART_RE.search(text, s, e):
            continue
        sent = text[s:e]
        named = _named(sent, items)
        if not named and len(items) == 1:
            named = items
        clauses = re.split(r",|;|\band\b", sent) if len(named) > 1 else [sent]
        for f in named:
            part = next((c for c in clauses if f in _named(c, items)), sent)
            if _is_ur_sentence(part) and f.modified:
                _amounts(part, f.requested, f.ur_approved)
            elif _REQUEST_SENT_RE.search(part) or _REQUEST_SENT_RE.search(sent) and len(named) == 1:
                _amounts(part, f.requested)


def _holding_outside(low: str, spans: list[tuple[int, int]], words: tuple[str, ...],
                     blocks: list[tuple[int, int]]) -> list[int]:
    """``sorted(spans_holding(low, spans, words))`` without the spans that start inside one of ``blocks``
    (``[start, end)``). The words are looked for only in the stretches of text that the other spans cover
    (item blocks are most of a letter): a word wholly inside a span is inside its stretch, and a word found
    in a stretch stands after the start of the stretch's first span and before the end of its last one, so
    the span it falls in (if any) is one of the stretch's."""
    cut: list[list[int]] = []
    for bs, be in sorted(blocks):
        if bs >= be:
            continue
        if cut and bs <= cut[-1][1]:
            cut[-1][1] = max(cut[-1][1], be)
        else:
            cut.append([bs, be])
    cut_starts = [bs for bs, _ in cut]
    stretches: list[list[int]] = []  # [first span, last span] of each run of spans that start outside the blocks
    for k, (s, _) in enumerate(spans):
        j = bisect_right(cut_starts, s) - 1
        if j >= 0 and s < cut[j][1]:
            continue
        if stretches and stretches[-1][1] == k - 1:
            stretches[-1][1] = k
        else:
            stretches.append([k, k])
    return sorted(spans_holding(low, spans, words, [(spans[k0][0], spans[k1][1]) for k0, k1 in stretches]))


def _named(text: str, items: list[ItemFact]) -> list[ItemFact]:
    ws = mapped_words(text)
    return [f for f in items if f.keys & ws] or [f for f in items if f.weak_keys & ws]


# ----------------------------------------------------------------------------------------------- reuse


def facts_for(letter: Letter, reference: CaseRecord) -> LetterFacts:
    """Facts of ``letter`` read with ``reference``.

    When ``reference`` is the letter's cached reference reading (:func:`imrassist.checks.reference_record`),
    the facts are kept with that reading, so that checking many records or explanations against one letter
    (a mutation suite, the service) reads the letter once. Otherwise they are built for the caller, whose
    CheckContext keeps them for one check run: nothing outlives the run, so a batch holds no letter it has
    finished with."""
    from . import _cached_reference

    entry = _cached_reference(letter, reference)
    if entry is None:
        return build_facts(letter, reference)
    if entry.facts is None:
        entry.facts = build_facts(letter, reference)  # two threads may both build it: equal facts
    return entry.facts


def limits_in(text: str) -> list[tuple[int | None, int | None, str, int, int]]:
    """(min, max, unit, start, end) of every non-frequency limit phrase in ``text``."""
    return list(limits(text))


__all__ = ["LetterFacts", "ItemFact", "DateFact", "build_facts", "facts_for", "ROLES", "Count", "limits_in"]
