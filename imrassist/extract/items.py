"""Find the disputed items of a letter and read each one: treatment, amount, decision, citations, limit.

An item is recognised by the structure every layout shares, not by its wording: a decision marker
(``...: Upheld`` / ``...: Overturned``, or "has determined the request for X is (not) medically
necessary"), followed by labelled blocks (``Claims Administrator guideline:``, ``MAXIMUS guideline:``,
``Decision rationale:``). Work is in normalised coordinates; evidence is mapped back by the Letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..letter import Letter
from ..models import Citation, Evidence, Extracted, ExtractedBool, ExtractedDecision, ExtractedFloat, ExtractedLimit, ExtractedStr, Item, Limit, Span
from ..parse import NUMBER_TOKEN, find_limits, find_quantity, finditer_from_stems, number_to_words, parse_number, parse_quantity
from .citations import parse_guideline_text

# Labels of the per-item blocks, in any layout: who relied on which guideline, and the rationale.
# The CA/reviewer labels are recognised by their parts ("guideline" + who), not by one fixed wording.
_LABEL_RE = re.compile(
    r"^(?P<label>"
    r"(?:(?:Medical\s+(?:Treatment\s+)?)?Guidelines?(?:\(s\))?\s+(?:cited|used|relied\s+(?:up)?on|applied)\s+by\s+the\s+)?"
    r"(?:Claims\s+Administrator|MAXIMUS|Expert\s+Reviewer|Professional\s+Reviewer|IMR\s+Reviewer|Reviewer|IMR)"
    r"(?:'s)?(?:\s+(?:guidelines?(?:\(s\))?|citations?))?"
    r"|Decision\s+rationale|Rationale(?:\s+for\s+(?:the\s+)?decision)?|Explanation|Reasons?\s+for\s+(?:the\s+)?decision"
    r"|Basis\s+for\s+(?:the\s+)?decision|Why)\s*:\s*",
    re.IGNORECASE,
)
_DECISION_LINE_RE = re.compile(r"^(?P<head>.*\S)\s*:\s*(?P<dec>Upheld|Overturned)\s*\.?\s*$", re.IGNORECASE)


def _decision_line(line: str) -> re.Match[str] | None:
    """``_DECISION_LINE_RE.match(line)``, run only on a line that ends like a decision ("...: Upheld",
    "...: Overturned."). The pattern reads to the end of the line and then backs up one character at a
    time, so on the long rationale paragraphs (most lines of the decisions part) it costs far more than
    looking at the line's last word. ``\s`` is what ``str.rstrip()`` strips, and no other character
    matches those two words case-insensitively than what lower-cases to them."""
    tail = line.rstrip()
    if tail.endswith("."):
        tail = tail[:-1].rstrip()
    if tail[-6:].lower() != "upheld" and tail[-10:].lower() != "overturned":
        return None
    return _DECISION_LINE_RE.match(line)
# "Finding: Upheld" on its own line, deciding the item named on the line before.
_FINDING_LINE_RE = re.compile(
    r"^(?:IMR\s+)?(?:Finding|Decision|Determination|Outcome|Result|Final\s+Determination)\s*:\s*(?P<dec>Upheld|Overturned)\b",
    re.IGNORECASE,
)
# "Requested Service 1: X", "Issue 2. X", "Item 3 - X": the enumerating prefix of an item header.
_ITEM_PREFIX_RE = re.compile(
    r"^(?:(?:Requested|Disputed|Treatment)\s+)?(?:Service|Item|Issue|Request|Treatment)s?\s*(?:#\s*)?(?P<n>\d{1,2})\s*[:.)\-]\s*",
    re.IGNORECASE,
)
_DETERMINED_RE = re.compile(
    r"(?:has\s+)?determined\s+(?:that\s+)?the\s+request\s+for\s+(?P<t>.+?)\s+(?:is|was)\s+(?P<neg>not\s*)?"
    r"medically\s+necessary(?:\s+and\s+appropriate)?",
    re.IGNORECASE,
)
_FINAL_CLAUSE_RE = re.compile(
    r"(?:^|[.;]\s+)(?:The\s+)?(?:remaining\s+)?(?:IMR[-\s]+eligible\s+portion\s+of\s+the\s+)?(?:original\s+)?"
    r"request(?:\s+for)?,?\s+(?P<t>.+?)\s+(?:is|was)\s*$",
    re.IGNORECASE,
)
_ORIGINAL_RE = re.compile(r"^(?P<t>.+?)\s+(?:was|is)\s+the\s+original\s+request\b", re.IGNORECASE)
_AUTH_RES = [
    re.compile(r"(?:The\s+)?Claims\s+Administrator\s+(?:authorized|approved|certified)\s+(?P<t>.+?)(?=,\s*leaving\b|\.\s|\.$|;)", re.IGNORECASE),
    re.compile(r"(?:^|\.\s+)(?P<t>[^.]+?)\s+(?:was|were)\s+(?:authorized|approved|certified)\s+by\s+the\s+Claims\s+Administrator", re.IGNORECASE),
]
_INTRO_RE = re.compile(r"^The\s+Final\s+Determination\s+was\s+based\s+on\s+(?:the\s+)?decisions", re.IGNORECASE)
# An introductory sentence glued to the first item when the letter has no paragraph break after it.
_INTRO_PREFIX_RE = re.compile(
    r"^[^:]{0,200}?\b(?:decisions?|determinations?)\b[^:]{0,200}?\b(?:below|follows|following|listed|set\s+forth)\b[^:]{0,40}:\s*",
    re.IGNORECASE,
)
_ENUM_RE = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[a-z][.)]|[-*\u2022])\s+")
_MN_RE = re.compile(r"medically\s+(?:necessary|appropriate|indicated)|medical\s+necessity", re.IGNORECASE)
_NEG_BEFORE_RE = re.compile(
    r"\b(?:not|no|non|never|cannot|neither|nor|without|lacks?|un)\b|n't\b|to\s+not\s+be", re.IGNORECASE
)
_NEG_AFTER_RE = re.compile(
    r"^\s*(?:(?:has|had|have|was|is|were)\s+)?(?:not|never)\b|^\s*(?:is|was)\s+not\s+(?:established|supported|met)"
    r"|^\s*(?:has|had)\s+not\s+been\s+(?:established|demonstrated|shown)",
    re.IGNORECASE,
)
_POS_AFTER_RE = re.compile(r"^\s*(?:(?:is|was|has\s+been|had\s+been)\s+)?(?:established|supported|demonstrated)", re.IGNORECASE)


@dataclass
class _Block:
    header: tuple[int, int]
    decision: str
    decision_span: tuple[int, int]
    fields: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    last: str | None = None
    end: int = 0


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        if stop > pos:
            out.append((pos, stop))
        pos = stop + 1
    return out


def _label_kind(label: str) -> str:
    low = " ".join(label.lower().split())
    if "claims administrator" in low:
        return "ca"
    if low == "why":
        return "why"
    if any(w in low for w in ("rationale", "explanation", "reason", "basis")):
        return "rationale"
    return "maximus"


def _decision_region(letter: Letter) -> tuple[int, int]:
    """Where items are decided: the decisions section, else the list of issues (whose discussion, in
    later sections, is attached per issue), else the whole letter."""
    for name in ("decisions", "issues"):
        sec = letter.section(name)
        if sec:
            return sec.start, sec.end
    return 0, len(letter.text)


def find_blocks(letter: Letter) -> list[_Block]:
    """Item blocks: a decided header followed by its labelled parts, in letter order. Read once per letter
    (the extractor and the checks' letter facts both need them): do not change them."""
    return letter.derived("items.blocks", lambda: _find_blocks(letter))


def _find_blocks(letter: Letter) -> list[_Block]:
    text = letter.text
    start, end = _decision_region(letter)
    blocks: list[_Block] = []
    pending: list[tuple[int, int]] = []  # lines not yet attributed (a header that precedes its decision)
    for ls, le in _lines(text, start, end):
        line = text[ls:le]
        lm = _LABEL_RE.match(line)
        if lm and len(lm.group("label")) <= 80 and not _decision_line(line[lm.end():]):
            if blocks:
                kind = _label_kind(lm.group("label"))
                blocks[-1].fields.setdefault(kind, []).append((ls + lm.end(), le))
                blocks[-1].last = kind
                blocks[-1].end = le
            pending = []
            continue
        fm = _FINDING_LINE_RE.match(line)
        if fm and pending:
            hs, he = pending[-1]
            blocks.append(_Block((hs, he), fm.group("dec").lower(), (ls + fm.start("dec"), ls + fm.end("dec")), end=le))
            pending = []
            continue
        dm = _decision_line(line)
        if dm and len(dm.group("head")) <= 600 and not _FINDING_LINE_RE.match(line):
            head_start = ls
            # A header whose first sentences sat on earlier paragraphs ("X was the original request.").
            if blocks and blocks[-1].last == "rationale":
                rat = blocks[-1].fields["rationale"]
                while len(rat) > 1 and _ORIGINAL_RE.search(text[rat[-1][0]:rat[-1][1]]):
                    head_start = rat.pop()[0]
            pending = []
            blocks.append(_Block((head_start, ls + dm.end("head")), dm.group("dec").lower(),
                                 (ls + dm.start("dec"), ls + dm.end("dec")), end=le))
            continue
        if _INTRO_RE.match(line):
            continue
        if blocks and blocks[-1].last and blocks[-1].last != "why" and not _ITEM_PREFIX_RE.match(line):
            blocks[-1].fields[blocks[-1].last].append((ls, le))
            blocks[-1].end = le
        else:
            pending.append((ls, le))
    _attach_issue_sections(letter, blocks)
    return blocks


def _attach_issue_sections(letter: Letter, blocks: list[_Block]) -> None:
    """Layouts that list the decisions first and discuss each issue later, section by section
    ("Issue 1. ..." under the guidelines and rationale headings): give each block its parts."""
    if not blocks or all(b.fields.get("rationale") for b in blocks):
        return
    text = letter.text
    for sec_name, default_kind in (("guidelines", "maximus"), ("rationale", "rationale")):
        sec = letter.section(sec_name)
        if not sec:
            continue
        segments = _issue_segments(text, sec.start, sec.end, len(blocks))
        for idx, (ss, se) in segments.items():
            if idx >= len(blocks):
                continue
            b = blocks[idx]
            current = default_kind if sec_name == "rationale" else None
            for ls, le in _lines(text, ss, se):
                lm = _LABEL_RE.match(text[ls:le])
                if lm:
                    current = _label_kind(lm.group("label"))
                    if current != "why":
                        b.fields.setdefault(current, []).append((ls + lm.end(), le))
                    continue
                if current and current != "why":
                    b.fields.setdefault(current, []).append((ls, le))
            b.end = max(b.end, se)


def _issue_segments(text: str, start: int, end: int, n_blocks: int) -> dict[int, tuple[int, int]]:
    marks: list[tuple[int, int, int]] = []  # (issue index, marker start, content start)
    for ls, le in _lines(text, start, end):
        m = _ITEM_PREFIX_RE.match(text[ls:le]) or re.match(r"^(?P<n>\d{1,2})[.)]\s+", text[ls:le])
        if m:
            n = int(m.group("n")) - 1
            if 0 <= n < n_blocks:
                marks.append((n, ls, ls + m.end()))
    if not marks and n_blocks == 1:
        return {0: (start, end)}
    out: dict[int, tuple[int, int]] = {}
    for i, (n, ms, cs) in enumerate(marks):
        seg_end = marks[i + 1][1] if i + 1 < len(marks) else end
        # A marker line that only names the issue ("Issue 1. Physical therapy ...") is not content.
        nl = text.find("\n", cs, seg_end)
        first_line = text[cs:nl if nl != -1 else seg_end]
        content_start = cs if _LABEL_RE.search(first_line) or len(first_line) > 160 else (nl + 1 if nl != -1 else seg_end)
        if n not in out:
            out[n] = (content_start, seg_end)
    return out


def _span_text(text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not spans:
        return None
    return spans[0][0], spans[-1][1]


def _treatment_from_header(text: str, hs: int, he: int) -> tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int] | None]:
    """(treatment span, original-request span, authorized span) within a header."""
    header = text[hs:he]
    intro = _INTRO_PREFIX_RE.match(header)
    if intro and intro.end() < len(header):
        hs += intro.end()
        header = text[hs:he]
    enum = _ITEM_PREFIX_RE.match(header) or _ENUM_RE.match(header)
    if enum and enum.end() < len(header):
        hs += enum.end()
        header = text[hs:he]
    original = authorized = None
    om = _ORIGINAL_RE.search(header)
    if om:
        original = (hs + om.start("t"), hs + om.end("t"))
    for rx in _AUTH_RES:
        am = rx.search(header)
        if am:
            authorized = (hs + am.start("t"), hs + am.end("t"))
            break
    fm = _FINAL_CLAUSE_RE.search(header)
    if fm and (om or authorized or re.search(r"original\s+request|IMR[-\s]+eligible", header, re.IGNORECASE)):
        return (hs + fm.start("t"), hs + fm.end("t")), original, authorized
    if om and not fm:
        return original, original, authorized
    return (hs, he), original, authorized


def _ev(letter: Letter, span: tuple[int, int]) -> Evidence:
    return letter.evidence(*span)


def _citations(letter: Letter, spans: list[tuple[int, int]] | None) -> tuple[list[Citation], Extracted[bool] | None]:
    if not spans:
        return [], None
    s, e = spans[0][0], spans[-1][1]
    chunk = letter.text[s:e].replace("\n", " ")
    # Parsed once per letter and wording: a quarter of the guideline lines repeat one of the same letter
    # (the reviewer's and the claims administrator's, or the same guideline for several items).
    parsed, none_cited = letter.derived(f"items.guidelines:{chunk}", lambda: parse_guideline_text(chunk))
    # Each item gets its own citations (the parsed ones are shared by every line of the letter with the
    # same wording): made from the fields the parser read, with their evidence.
    cits = [pc.placed(letter.evidence(s + pc.start, s + pc.end)) for pc in parsed]
    flag = ExtractedBool(value=True, evidence=letter.evidence(s, e)) if none_cited else None
    return cits, flag


_LIMIT_CUE = re.compile(
    r"recommend|guideline|\bMTUS\b|\bODG\b|\bACOEM\b|limited\s+to|up\s+to|no\s+more\s+than|maximum|trial|allow"
    r"|=|should|support|indicat|time\s+to\s+produce|optimum|frequency|total\s+of|course\s+of|consist",
    re.IGNORECASE,
)
_LIMIT_NEG = re.compile(
    r"request|prior|previous|complet|authoriz|attended|had\s+(?:undergone|received|had|completed|attended)|underw[e]?nt"
    r"|received|additional|already|exceed|approved|certified|\bmore\b|documented|had\s+\d|has\s+had|status\s+post",
    re.IGNORECASE,
)
_SCHEDULE_AFTER = re.compile(
    rf"^\s*(?:over|within|in)\s+(?:a\s+)?(?:{NUMBER_TOKEN})(?:\s*(?:-|to)\s*(?:{NUMBER_TOKEN}))?\s*(?:weeks?|months?|days?)", re.IGNORECASE
)


# Words of a sentence that measures this request against an allowance ("still within the 18 visits allowed").
_APPLIED_RE = re.compile(r"\ballow|\btotal\b|maximum|\blimit|\bwithin\b|\bbeyond\b|exceed|\bcap\b", re.IGNORECASE)
_GENERIC_WORDS = {
    "visits", "visit", "weeks", "week", "sessions", "session", "treatment", "treatments", "therapy", "physical",
    "guidelines", "guideline", "recommend", "recommends", "recommended", "suggest", "suggests", "allow", "allows",
    "initial", "trial", "total", "evidence", "objective", "functional", "improvement", "chronic", "patient",
    "worker", "employee", "applicant", "request", "requested", "medically", "necessary", "documented", "there",
    "these", "their", "which", "would", "should", "after", "before", "about", "other", "within", "beyond",
}


# Patterns of the limit and verdict readers, compiled once (``re.search(pattern, ...)`` looks the pattern
# up in the module's cache on every call, with its flags: ~1 us, a few dozen times per letter).
_PAST_AFTER_RE = re.compile(r"^\s*(?:of\s+)?(?:prior|previous|completed|authorized|attended|to date|so far)", re.IGNORECASE)
_LONG_WORD_RE = re.compile(r"[a-z]{5,}")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.;])\s+")
_WORKER_SENTENCE_RE = re.compile(r"\b(?:this|the)\s+(?:worker|patient|employee|applicant|claimant|injured)|diagnos", re.IGNORECASE)
_QUESTION_BEFORE_RE = re.compile(r"\bwhether\b|\bif\b|\bdetermine\b", re.IGNORECASE)


def _limit_candidates(text: str) -> list:
    out = []
    for lm in find_limits(text):
        if lm.per_period:
            continue
        sent_start = max(text.rfind(". ", 0, lm.start), text.rfind("; ", 0, lm.start), text.rfind(": ", 0, lm.start) - 200)
        sent_start = 0 if sent_start < 0 else sent_start + 1
        before = text[sent_start:lm.start]
        clause_start = max(before.rfind(", "), before.rfind("("), before.rfind(";"))
        near = before[clause_start + 1:] if clause_start >= 0 else before
        after = text[lm.end:lm.end + 40]
        schedule = bool(_SCHEDULE_AFTER.match(after))
        if _LIMIT_NEG.search(near[-80:]):
            continue
        if _PAST_AFTER_RE.search(after):
            continue
        if schedule or lm.bounded or _LIMIT_CUE.search(before[-160:]):
            out.append(lm)
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in _LONG_WORD_RE.findall(text.lower()) if w not in _GENERIC_WORDS}


def select_limit(text: str) -> tuple[Limit, tuple[int, int]] | None:
    """The guideline limit a rationale quotes, per GOLD_FORMAT: the one it applies to this worker, else the first.

    Candidates are counts of visits/sessions/treatments that read as a guideline's allowance (cue words
    before, or "over N weeks" after), not as the request or past care. A candidate is the applied one when
    the rationale comes back to its number in a sentence about allowances ("within the 18 visits allowed"),
    or when the condition it is quoted for is the one the rationale says this worker has.
    """
    cands = _limit_candidates(text)
    if not cands:
        return None
    chosen = cands[0]
    if len(cands) > 1:
        positions = {(c.start, c.end) for c in find_limits(text)}
        applied = []
        for c in cands:
            n = c.max
            words = [str(n), number_to_words(n)] if n is not None else []
            rx = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, words))})[-\s]+(?:\w+[-\s]+)?{c.unit}s?\b", re.IGNORECASE)
            for m in rx.finditer(text, c.end):
                if any(s <= m.start() < e for s, e in positions if (s, e) != (c.start, c.end) and s >= c.end and s <= m.start() < e
                       and _is_candidate_at(cands, s)):
                    continue
                sent_s = text.rfind(". ", 0, m.start()) + 1
                sent_e = text.find(". ", m.end())
                sentence = text[sent_s: len(text) if sent_e == -1 else sent_e]
                if _APPLIED_RE.search(sentence) and not _is_candidate_at(cands, m.start()):
                    applied.append(c)
                    break
        if len(applied) == 1:
            chosen = applied[0]
        else:
            # The condition named before each candidate vs what the rationale says about this worker.
            worker = " ".join(
                sent for sent in _SENTENCE_SPLIT_RE.split(text)
                if _WORKER_SENTENCE_RE.search(sent)
                and not any(c.start >= text.find(sent) and c.end <= text.find(sent) + len(sent) for c in cands)
            )
            wwords = _content_words(worker)
            matches = []
            prev_end = 0
            for c in cands:
                cond = text[max(prev_end, text.rfind(". ", 0, c.start) + 1):c.start]
                if _content_words(cond) & wwords:
                    matches.append(c)
                prev_end = c.end
            if len(matches) == 1:
                chosen = matches[0]
    return Limit(min=chosen.min, max=chosen.max, unit=chosen.unit), (chosen.start, chosen.end)


def _is_candidate_at(cands: list, pos: int) -> bool:
    return any(c.start <= pos < c.end for c in cands)


def conclusion(text: str) -> tuple[bool, tuple[int, int]] | None:
    """Whether the rationale concludes the item is medically necessary, from its last verdict phrase."""
    hits = finditer_from_stems(_MN_RE, ("medical",), text)  # (every verdict phrase starts with "medical")
    for m in reversed(hits):
        sent_start = max(text.rfind(". ", 0, m.start()), text.rfind("? ", 0, m.start()))
        sent_start = 0 if sent_start < 0 else sent_start + 2
        sent_end = text.find(". ", m.end())
        sent_end = len(text) if sent_end == -1 else sent_end + 1
        before = text[max(sent_start, m.start() - 60):m.start()]
        after = text[m.end():m.end() + 40]
        if _QUESTION_BEFORE_RE.search(before[-25:]):
            continue
        neg = bool(_NEG_BEFORE_RE.search(before[-35:])) or bool(_NEG_AFTER_RE.match(after))
        if m.group(0).lower().startswith("medical necessity") and not neg and not _POS_AFTER_RE.match(after):
            # "medical necessity of X" without a verb we understand: keep looking further back.
            continue
        return (not neg), (sent_start, sent_end)
    return None


def extract_items(letter: Letter) -> list[Item]:
    text = letter.text
    blocks = find_blocks(letter)
    items: list[Item] = []
    for b in blocks:
        hs, he = b.header
        t_span, o_span, a_span = _treatment_from_header(text, hs, he)
        t_span = _strip_span(text, t_span)
        treatment_text = " ".join(text[t_span[0]:t_span[1]].split())
        quantity, unit = _quantity(letter, text, t_span, treatment_text)
        rationale_spans = b.fields.get("rationale")
        rat = _span_text(text, rationale_spans) if rationale_spans else None
        limit = mn = rationale = None
        if rat:
            rtext = text[rat[0]:rat[1]]
            sel = select_limit(rtext)
            if sel:
                lim, (ls_, le_) = sel
                limit = ExtractedLimit(value=lim, evidence=letter.evidence(rat[0] + ls_, rat[0] + le_))
            con = conclusion(rtext)
            if con:
                val, (cs, ce) = con
                mn = ExtractedBool(value=val, evidence=letter.evidence(rat[0] + cs, rat[0] + ce))
            rationale = ExtractedStr(value=" ".join(rtext.split()), evidence=letter.evidence(*rat))
        guidelines, g_none = _citations(letter, b.fields.get("maximus"))
        ca_guidelines, ca_none = _citations(letter, b.fields.get("ca"))
        block_start, block_end = letter.to_original(hs, max(b.end, he))
        items.append(
            Item(
                treatment=ExtractedStr(value=treatment_text, evidence=letter.evidence(*t_span)),
                original_request=_opt(letter, text, o_span),
                authorized=_opt(letter, text, a_span),
                quantity=quantity,
                unit=unit,
                decision=ExtractedDecision(value=b.decision, evidence=letter.evidence(*b.decision_span)),
                guidelines=guidelines,
                guidelines_none_cited=g_none,
                ca_guidelines=ca_guidelines,
                ca_guidelines_none_cited=ca_none,
                limit=limit,
                medically_necessary=mn,
                rationale=rationale,
                span=Span(start=block_start, end=block_end),
            )
        )
    if not items:
        items = _determined_items(letter)
    return items


def _determined_items(letter: Letter) -> list[Item]:
    """Items stated as "... has determined the request for X is (not) medically necessary"."""
    text = letter.text
    items: list[Item] = []
    seen: set[str] = set()
    for m in _DETERMINED_RE.finditer(text):
        t_span = _strip_span(text, (m.start("t"), m.end("t")))
        name = " ".join(text[t_span[0]:t_span[1]].split())
        key = name.lower()
        if key in seen:
            continue
        seen.add(key)
        decision = "upheld" if m.group("neg") else "overturned"
        quantity, unit = _quantity(letter, text, t_span, name)
        items.append(
            Item(
                treatment=ExtractedStr(value=name, evidence=letter.evidence(*t_span)),
                quantity=quantity,
                unit=unit,
                decision=ExtractedDecision(value=decision, evidence=letter.evidence(m.start(), m.end())),
                medically_necessary=ExtractedBool(value=decision == "overturned", evidence=letter.evidence(m.start(), m.end())),
            )
        )
    return items


def _quantity(letter: Letter, text: str, t_span: tuple[int, int], treatment_text: str):
    """Quantity and unit with evidence: the amount's own words, or the whole treatment when the unit
    comes from elsewhere in it ("Massage x 8 sessions" -> the quote must show "sessions" too)."""
    q = find_quantity(treatment_text)
    if not q:
        return None, None
    qs, qe = _map_collapsed(text, t_span, q.start, q.end)
    ev = letter.evidence(qs, qe)
    if parse_quantity(text[qs:qe]) != (q.amount, q.unit):
        ev = letter.evidence(*t_span)
    return ExtractedFloat(value=q.amount, evidence=ev), ExtractedStr(value=q.unit, evidence=ev)


def _opt(letter: Letter, text: str, span: tuple[int, int] | None) -> Extracted[str] | None:
    if not span:
        return None
    span = _strip_span(text, span)
    return ExtractedStr(value=" ".join(text[span[0]:span[1]].split()), evidence=letter.evidence(*span))


def _strip_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    s, e = span
    while s < e and text[s] in " \n,;:":
        s += 1
    while e > s and text[e - 1] in " \n,;:":
        e -= 1
    return s, e


_WORD_RUN_RE = re.compile(r"\S+")  # (``\s`` is what str.split() and str.isspace() call blank)


def _map_collapsed(text: str, span: tuple[int, int], cs: int, ce: int) -> tuple[int, int]:
    """Offsets in ``" ".join(text[span].split())`` -> offsets in ``text``."""
    s, e = span
    # Where each character of the joined text stands: the characters of each word, and the first blank
    # after it (the joined text's space; one after the last word too, when the span ends in blanks).
    positions: list[int] = []
    word_end = -1
    for w in _WORD_RUN_RE.finditer(text, s, e):
        if positions:
            positions.append(word_end)
        positions.extend(range(w.start(), w.end()))
        word_end = w.end()
    if positions and word_end < e:
        positions.append(word_end)
    if not positions:
        return s, s
    cs = min(cs, len(positions) - 1)
    ce = min(max(ce, cs + 1), len(positions))
    return positions[cs], positions[ce - 1] + 1


def number_in(text: str) -> float | None:  # re-exported for checks
    return parse_number(text)
