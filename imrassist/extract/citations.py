"""Parse a guideline line ("Decision based on MTUS Low Back Complaints 2004, Section(s): ...") into citations.

Letters cite guidelines in a loose grammar: clauses start with "Decision based on"; an MTUS clause names
one or more documents (each optionally with a year, ``Section(s):`` and ``Page(s):``); a "Non-MTUS
Citation" names ODG chapters and topics, ACOEM, or another source. Document and chapter names are
recognised from the knowledge files (any of their spellings), never from a particular letter's wording;
section lists are split on commas except where a known title itself contains a comma or the next part
continues in lower case ("TENS, chronic pain (...)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

from .. import knowledge
from ..models import Citation, Evidence
from ..parse import finditer_from_stems, matches_at, parse_pages, search_from_stems

_NONE_CITED_RE = re.compile(
    r"did\s+not\s+cite\s+any\s+(?:medical\s+)?evidence|no\s+(?:medical\s+)?evidence\s+(?:was\s+)?cited"
    r"|cited\s+no\s+(?:medical\s+)?evidence|not\s+cite\s+(?:any\s+)?(?:guidelines?|evidence)"
    r"|^\s*(?:None|No\s+guidelines?)(?:\s+(?:cited|provided|stated))?\s*\.?\s*$",
    re.IGNORECASE,
)
#: The words every match of _NONE_CITED_RE starts with, but for its "^\s*None" alternative ("not" starts
#: with "no"). See _says_none_cited.
_NONE_CITED_STEMS = ("did", "no", "cited")


def _says_none_cited(text: str) -> bool:
    """``bool(_NONE_CITED_RE.search(text))``: tried at the start (the "None." alternative) and then only where
    one of its words stands. A guideline line is a hundred-odd characters, and the case-insensitive
    alternation tried at every one of them was a tenth of the time spent parsing guideline lines."""
    if _NONE_CITED_RE.match(text):
        return True
    if text.isascii():
        low = text.lower()
        # (each alternative but the one at the start holds "cite": most lines hold none, only "Citation")
        return "cite" in low and bool(search_from_stems(_NONE_CITED_RE, _NONE_CITED_STEMS, text, low=low))
    return bool(search_from_stems(_NONE_CITED_RE, _NONE_CITED_STEMS, text))


_PREAMBLE_RE = re.compile(
    r"(?:The\s+)?(?:Claims\s+Administrator|Expert\s+Reviewer|Reviewer|IMR\s+reviewer)\s+based\s+(?:their|its|his/her|the)\s+"
    r"decision\s+on\s+recommendation\(?s?\)?\s+outside\s+(?:of\s+)?the\s+MTUS(?:\s+Guidelines?)?\.?",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r"\bDecision\s+based\s+on\b\s*", re.IGNORECASE)
_YEAR_RE = re.compile(r"\b(?:19[89]\d|20[0-4]\d)\b")
_SECTION_LABEL_RE = re.compile(r"^\s*[,;:]?\s*(?:Section\(?s?\)?|Sections?|Chapter\(?s?\)?)\s*:\s*", re.IGNORECASE)
_PAGES_LABEL_RE = re.compile(
    r"\b(?:Page\(s\)|Pages?|pp?\.)\s*:?\s*\d{1,4}(?:\s*(?:-|–|to|,|and|&)\s*\d{1,4}\b)*", re.IGNORECASE
)
_ODG_MARK_RE = re.compile(
    r"Official\s+Disability\s+Guidelines?(?:\s*\(ODG\))?(?:\s+Guidelines?)?|\bODG\b(?:\s+Guidelines?)?",
)
_OTHER_MARK_RE = re.compile(r"(?:\band\s+)?Other\s+Medical\s+Treatment\s+Guidelines?\b\s*:?", re.IGNORECASE)
# "..., and Aetna Clinical Policy Bulletin: ...": a second, non-ODG source joined to an ODG citation.
_OTHER_SOURCE_RE = re.compile(
    r",?\s+and\s+(?=(?:the\s+)?[A-Z][^,;]{0,80}?\b(?:Policy|Bulletin|Coverage\s+Determination|Fee\s+Schedule|Manual"
    r"|Society|Association|College|Academy|Institute)\b)"
)
_ACOEM_MARK_RE = re.compile(r"\bACOEM\b", re.IGNORECASE)
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_UPDATED_RE = re.compile(r"\(\s*(?:updated|update|last updated|rev(?:ised)?\.?)\s*:?\s*(?P<date>[^)]*)\)", re.IGNORECASE)
_EDITION_RE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\s+Edition\b,?\s*(?:\(?(?P<year>(?:19|20)\d\d)\)?)?,?", re.IGNORECASE)
_ACUTE_CHRONIC = r"(?:\s*\(\s*(?:Acute\s*(?:&|and)\s*Chronic|Chronic|Acute)\s*\))?"
# Patterns of the clause and topic parsers, compiled once (a letter's guideline lines run them dozens of times).
_LEADING_AND_RE = re.compile(r"^(?:and|&)\s+", re.IGNORECASE)
_NON_MTUS_LEAD_RE = re.compile(r"Non[-\s]?MTUS\s+Citations?\s*:?\s*", re.IGNORECASE)
_MTUS_LEAD_RE = re.compile(r"(?:the\s+)?(?:CA\s+)?MTUS(?:\s*\([^)]*\))?\s*(?:Guidelines?\s*[,:]?\s*(?=[A-Z]))?")
_ACOEM_LEAD_RE = re.compile(r"ACOEM", re.IGNORECASE)
_YEAR_NEXT_RE = re.compile(r"\s*,?\s*\(?(?:19|20)\d\d\b")
_DOC_YEAR_RE = re.compile(r"\s*,?\s*\(?(?P<y>(?:19|20)\d\d)\)?")
_LIST_BOUNDARY_END_RE = re.compile(r"(?:,|\band|;)\s*$")
_CHUNK_LEAD_RE = re.compile(r"^\s*[,;]?\s*(?:\band\b|&)?\s*")
_CHUNK_TAIL_RE = re.compile(r",?\s*(?:\band|&)?\s*$")
_CHUNK_GUIDELINES_RE = re.compile(r"^\s*(?:Guidelines?)\b\s*")
_GENERIC_CHAPTER_RE = re.compile(
    r"(?P<name>[A-Z][A-Za-z&/'\-]*(?:[ ,]+(?:&|and|for|of|the|[A-Z][A-Za-z&/'\-]*)){0,6})(?P<word>\s+(?:Chapter|chapter|Section|section))(?![A-Za-z])"
)
_PROSE_RE = re.compile(r"^(?:The|This|These|It|Its|No|Not|There|That|MTUS|ACOEM)\b(?:\s+\S+){4,}", re.IGNORECASE)
_CHAPTER_WORD = r"(?:\s+(?:chapters?|Chapters?|sections?|Sections?))?"


@dataclass(frozen=True, slots=True)
class ParsedCitation:
    """A citation found in a guideline line, with its span relative to the parsed text.

    Kept as the fields the parser read (the keyword arguments of :class:`Citation`), not as a model: the
    extractor makes each record's own copy with its evidence (:func:`placed`), so a model made here would be
    validated and thrown away; :attr:`citation` makes one for the callers that want it."""

    fields: dict
    start: int
    end: int

    @property
    def citation(self) -> Citation:
        """The citation, without evidence: a new model on every access."""
        return Citation(**self.fields)

    def placed(self, evidence: Evidence) -> Citation:
        """The citation with its ``evidence``: a new model (with its own ``pages`` list) each time, whose
        set fields are the ones the parser read and ``evidence``, as the placed copy of :attr:`citation`."""
        return Citation(**self.fields, evidence=evidence)


# ----------------------------------------------------------------------------------------- knowledge regexes


def _alias_pattern(alias: str) -> str:
    """A tolerant regex for a name: ``&``/``and``, commas, hyphens and spacing vary between letters."""
    words = re.findall(r"[A-Za-z0-9]+|&", alias)
    parts = []
    for w in words:
        if w.lower() in ("and", "&"):
            parts.append(r"(?:&|and)")
        else:
            parts.append(re.escape(w))
    return r"[\s,\-–/]*".join(parts)


@lru_cache(maxsize=1)
def _document_index() -> tuple[re.Pattern[str] | None, dict[str, tuple[str, str]]]:
    """Regex of every document alias (longest first) and alias key -> (source, canonical)."""
    lookup: dict[str, tuple[str, str]] = {}
    aliases: list[str] = []
    for row in knowledge.documents():
        canonical = row.get("canonical")
        if not canonical:
            continue
        source = row.get("source", "MTUS")
        for alias in [canonical, *row.get("aliases", [])]:
            key = knowledge.title_key(alias)
            if key and key not in lookup:
                lookup[key] = (source, canonical)
                aliases.append(alias)
    if not aliases:
        return None, lookup
    aliases.sort(key=len, reverse=True)
    rx = re.compile(r"(?<![A-Za-z])(?:" + "|".join(f"(?:{_alias_pattern(a)})" for a in aliases) + r")(?![A-Za-z])", re.IGNORECASE)
    return rx, lookup


@lru_cache(maxsize=1)
def _document_stems() -> tuple[str, ...]:
    """The lower-cased first words of the document aliases: every match of the document regex starts with
    one (see parse.finditer_from_stems). A name that starts with "and"/"&" may be written either way."""
    stems: set[str] = set()
    for row in knowledge.documents():
        if not row.get("canonical"):
            continue
        for alias in [row["canonical"], *row.get("aliases", [])]:
            words = re.findall(r"[A-Za-z0-9]+|&", alias)
            if words:
                first = words[0].lower()
                stems.update(("&", "and") if first in ("and", "&") else (first,))
    return tuple(sorted(stems))


@lru_cache(maxsize=1)
def _document_starts() -> re.Pattern[str]:
    """Where the document regex can match in a lower-cased ASCII text: where one of its names' first words
    (:func:`_document_stems`) stands, not after a letter. An empty match at each such place (the stems
    overlap: "opioid", "opioids"), found in one scan rather than one search per stem (there are dozens)."""
    return re.compile(r"(?<![a-z])(?=" + "|".join(map(re.escape, _document_stems())) + ")")


def _document_hits(segment: str) -> list[re.Match[str]]:
    """``list(rx.finditer(segment))`` for the document regex, tried only where it can match (see
    :func:`_document_starts`): it starts with ``(?<![A-Za-z])`` and one of its names' first words, which in
    ASCII text is where :func:`_document_starts` finds one in the lower-cased text."""
    rx, _ = _document_index()
    if rx is None:
        return []
    if not segment.isascii():
        return list(rx.finditer(segment))
    return matches_at(rx, segment, [m.start() for m in _document_starts().finditer(segment.lower())])


@lru_cache(maxsize=1)
def _chapter_regex() -> re.Pattern[str] | None:
    aliases: list[str] = []
    for row in knowledge.odg_chapters():
        for alias in [row.get("canonical", ""), *row.get("aliases", [])]:
            if alias:
                aliases.append(re.sub(r"\s*\(\s*(?:Acute\s*(?:&|and)\s*Chronic|Chronic|Acute)\s*\)", "", alias, flags=re.IGNORECASE))
    if not aliases:
        return None
    aliases = sorted(set(aliases), key=len, reverse=True)
    alt = "|".join(f"(?:{_alias_pattern(a)})" for a in aliases)
    return re.compile(rf"(?:the\s+)?(?P<name>(?:{alt}){_ACUTE_CHRONIC}){_CHAPTER_WORD}(?![A-Za-z])", re.IGNORECASE)


def canonical_document(name: str) -> tuple[str | None, str]:
    """(source, canonical name) of a document as a letter names it; unknown names come back tidied."""
    rx, lookup = _document_index()
    key = knowledge.title_key(name)
    if key in lookup:
        return lookup[key]
    return None, " ".join(name.split()).strip(" ,.;:")


# ------------------------------------------------------------------------------------------------- topics


def split_topics(text: str) -> list[str]:
    """Split "Diagnostic Criteria, Special Studies, Summary" into titles, keeping titles with commas whole."""
    text = text.strip().strip(".;,").strip()
    if not text:
        return []
    pieces: list[str] = []
    if any(b in text for b in "()[]"):  # commas inside brackets do not split: walk the text
        depth = 0
        buf = ""
        for ch in text:
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth = max(0, depth - 1)
            if ch == "," and depth == 0:
                pieces.append(buf)
                buf = ""
            else:
                buf += ch
        pieces.append(buf)
    else:  # (most titles: every comma splits, no character-by-character walk)
        pieces = text.split(",")
    pieces = [p.strip() for p in pieces if p.strip()]
    titles = knowledge.mtus_titles()
    heads = _title_heads()
    merged: list[str] = []
    for p in pieces:
        if merged:
            bare = _LEADING_AND_RE.sub("", p)
            joined = f"{merged[-1]}, {p}"
            jkey = knowledge.title_key(joined)
            prev_key = knowledge.title_key(merged[-1])
            next_key = knowledge.title_key(bare)
            family = prev_key in heads and next_key not in heads and next_key not in titles
            if bare[:1].islower() or family or jkey in titles or jkey in _longer_title_starts():
                merged[-1] = joined
                continue
        merged.append(p)
    # "..., and Summary": a list's last connector belongs to the list, not to the title.
    return [_LEADING_AND_RE.sub("", m).strip() for m in merged]


@lru_cache(maxsize=1)
def _longer_title_starts() -> frozenset[str]:
    """Every start of a known title's key that ends before one of its spaces: ``key in`` this set says
    some title starts with ``key + " "`` (the joined parts begin a longer title), without reading every
    title for each pair of parts."""
    return frozenset(t[:i] for t in knowledge.mtus_titles() for i, ch in enumerate(t) if ch == " ")


@lru_cache(maxsize=1)
def _title_heads() -> frozenset[str]:
    """Words that head families of titles with a comma ("Opioids, ...", "NSAIDs, ...", "CRPS, ...")."""
    data = knowledge.load("mtus_topics.json")
    heads = set()
    for t in data.get("comma_titles", []) if isinstance(data, dict) else []:
        head = t.split(",", 1)[0]
        if len(head.split()) == 1:
            heads.add(knowledge.title_key(head))
    return frozenset(heads)


# -------------------------------------------------------------------------------------------------- parse


def parse_guideline_text(text: str) -> tuple[list[ParsedCitation], bool]:
    """Citations in the text that follows "Claims Administrator guideline:" / "MAXIMUS guideline:".

    Returns the citations (spans relative to ``text``) and whether the text says no evidence was cited.
    """
    none_cited = _says_none_cited(text)
    out: list[ParsedCitation] = []
    clauses = _clauses(text)
    for start, end in clauses:
        # Each citation's evidence is its whole clause ("MTUS Low Back Complaints 2004, Section(s): ..."),
        # so that the quote alone re-parses to the same citations (the grounding contract).
        cs, ce = _trim(text, start, end)
        out.extend(ParsedCitation(pc.fields, cs, ce) for pc in _parse_clause(text, start, end))
    return out, none_cited and not out


# A new citation clause can also begin, without "Decision based on", where a sentence starts with a source:
# the blanks (group 1) after a "." or ";". The pattern starts with the punctuation rather than looking
# behind for it, so that it is tried only where a "." or ";" stands (a pattern that starts with a
# look-behind is tried at every position of the line). Only a break at a clause's first character would
# have its punctuation outside the clause, and there is none: clauses start on a character that is not blank.
_SOURCE_START_RE = re.compile(
    r"[.;](\s+)(?=(?:MTUS|Official\s+Disability\s+Guidelines|ODG|ACOEM|Non[-\s]?MTUS)\b)"
)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for s, e in _decision_clauses(text):
        cur = s
        for m in _SOURCE_START_RE.finditer(text, s, e):
            if m.start(1) > cur:
                spans.append((cur, m.start(1)))
            cur = m.end(1)
        spans.append((cur, e))
    return [(s, e) for s, e in spans if text[s:e].strip(" ,.;:")]


def _decision_clauses(text: str) -> list[tuple[int, int]]:
    # (tried only where "decision" stands: the pattern starts with \b, which is tried at every position)
    found = finditer_from_stems(_CLAUSE_RE, ("decision",), text)
    marks = [m.end() for m in found]
    starts = [m.start() for m in found]
    if not marks:
        body = _PREAMBLE_RE.sub(lambda m: " " * len(m.group(0)), text)
        if _says_none_cited(body) or not body.strip():
            return []
        s = len(body) - len(body.lstrip())
        return [(s, len(text))]
    spans = []
    for i, m_end in enumerate(marks):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        spans.append((m_end, end))
    return spans


def _parse_clause(text: str, start: int, end: int) -> list[ParsedCitation]:
    clause = text[start:end]
    stripped = clause.lstrip()
    offset = start + (len(clause) - len(stripped))
    m = _NON_MTUS_LEAD_RE.match(stripped)
    if m:
        return _parse_non_mtus(text, offset + m.end(), end)
    m = _MTUS_LEAD_RE.match(stripped)
    if m:
        return _parse_mtus(text, offset + m.end(), end, source="MTUS")
    if _acoem_lead(stripped):
        return _parse_acoem(text, offset, end)
    if _ODG_MARK_RE.match(stripped):
        return _parse_non_mtus(text, offset, end)
    return _parse_non_mtus(text, offset, end)


def _trim(text: str, start: int, end: int, chars: str = " ,.;:") -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def _parse_mtus(text: str, start: int, end: int, *, source: str) -> list[ParsedCitation]:
    rx, lookup = _document_index()
    segment = text[start:end]
    hits = _document_hits(segment)
    docs: list[tuple[int, int, str, str]] = []  # (start, end, source, canonical) relative to text
    for h in hits:
        # A document is named at the start of the clause, or later right after a list boundary and
        # followed by its year ("..., and Knee Complaints 2004"); anywhere else the words belong to a
        # section title ("TENS, chronic pain (...)", "Opioids for Chronic Pain and ...").
        before = segment[: h.start()]
        at_start = not before.strip(" ,;:")
        # A boundary ends ``before`` but for blanks: tried only where it can start, not at every position.
        after_boundary = bool(_LIST_BOUNDARY_END_RE.search(before, max(0, len(before.rstrip()) - 3)))
        followed_by_year = bool(_YEAR_NEXT_RE.match(segment, h.end()))
        if not at_start and not (after_boundary and followed_by_year):
            continue
        key = knowledge.title_key(h.group(0))
        src, canon = lookup.get(key, (source, " ".join(h.group(0).split())))
        docs.append((start + h.start(), start + h.end(), src, canon))
    if not docs:
        # Unknown document: its name runs up to the year, "Section(s):" or "Page(s):".
        m = re.match(
            r"\s*(?P<doc>[^:]+?)(?=\s*(?:(?:19|20)\d\d\b|,?\s*Sections?\(?s?\)?\s*:|\s*Page\(?s?\)?\s*:|$))", segment
        )
        if not m or not m.group("doc").strip(" ,."):
            return []
        docs.append((start + m.start("doc"), start + m.end("doc"), source, canonical_document(m.group("doc"))[1]))
    out: list[ParsedCitation] = []
    for i, (ds, de, src, canon) in enumerate(docs):
        seg_end = docs[i + 1][0] if i + 1 < len(docs) else end
        rest_start = de
        year = None
        ym = _DOC_YEAR_RE.match(text[rest_start:seg_end])
        if ym:
            year = int(ym.group("y"))
            rest_start += ym.end()
        rest = text[rest_start:seg_end]
        c_start, c_end = _trim(text, ds, seg_end)
        src_final = src if src in ("MTUS", "ACOEM", "ODG", "OTHER") else source
        for topic, pages in _topic_groups(rest):
            out.append(ParsedCitation(dict(source=src_final, document=canon, year=year, topic=topic, pages=pages),
                                      c_start, c_end))
    return out


#: The characters a match of _CHUNK_TAIL_RE is made of, but for blanks (``\s`` is what str.isspace() calls blank).
_TAIL_CHARS = frozenset(",&and")


def _strip_list_tail(chunk: str) -> str:
    """``_CHUNK_TAIL_RE.sub("", chunk)``: the pattern tried only from where the text's tail of list
    punctuation, "and" letters and blanks starts. Every match reads to the end of the text (its last
    ``\s*`` takes a final newline too), so it lies in that tail and the substitution cuts the text at the
    leftmost one; tried at every position, the all-optional pattern cost more than the rest of a group."""
    j = len(chunk)
    while j and (chunk[j - 1] in _TAIL_CHARS or chunk[j - 1].isspace()):
        j -= 1
    m = _CHUNK_TAIL_RE.search(chunk, j)  # (never None: the pattern matches the empty text at the end)
    return chunk[:m.start()]


def _topic_groups(rest: str) -> list[tuple[str | None, list[int]]]:
    """Section titles with the pages cited for them: each ``Page(s):`` belongs to the titles before it
    ("Anti-inflammatory medications, Page(s): 22, and NSAIDs (...), Page(s): 67-68")."""
    groups: list[tuple[str, list[int]]] = []
    pos = 0
    for pm in _PAGES_LABEL_RE.finditer(rest):
        groups.append((rest[pos:pm.start()], parse_pages(pm.group(0))))
        pos = pm.end()
    tail = rest[pos:]
    if tail.strip(" ,.;:") or not groups:
        groups.append((tail, []))
    out: list[tuple[str | None, list[int]]] = []
    for chunk, pages in groups:
        chunk = _SECTION_LABEL_RE.sub("", chunk, count=1)
        chunk = _CHUNK_LEAD_RE.sub("", chunk)
        chunk = _SECTION_LABEL_RE.sub("", chunk, count=1)
        chunk = _strip_list_tail(chunk.strip().rstrip(".;,").strip())
        chunk = _CHUNK_GUIDELINES_RE.sub("", chunk)
        topics = split_topics(chunk) if chunk.strip(" ,.;:") else []
        if not topics:
            if pages and out and out[-1][1] == []:
                out[-1] = (out[-1][0], pages)  # "Section(s): X. Page(s): 60": pages of the titles before
            else:
                out.append((None, pages))
            continue
        out.extend((t, pages) for t in topics)
    return out


_ACOEM_LEAD_RE = re.compile(
    r"^.*?\bACOEM\b\)?\s*(?:(?:Occupational\s+Medicine\s+)?Practice\s+Guidelines?)?", re.IGNORECASE
)


def _acoem_lead(clause: str) -> re.Match[str] | None:
    """``_ACOEM_LEAD_RE.match(clause)``, which reads up to the word "ACOEM": in ASCII text (where matching
    case-insensitively is lower-casing) a clause without the word is not read through."""
    if clause.isascii() and "acoem" not in clause.lower():
        return None
    return _ACOEM_LEAD_RE.match(clause)


def _acoem_mark(text: str) -> re.Match[str] | None:
    """``_ACOEM_MARK_RE.search(text)``, tried only where "acoem" stands (``\b`` first: tried everywhere)."""
    return search_from_stems(_ACOEM_MARK_RE, ("acoem",), text)


def _parse_acoem(text: str, start: int, end: int) -> list[ParsedCitation]:
    """ACOEM cited outside the MTUS: "ACOEM Practice Guidelines, 3rd Edition (2011), <chapter>, <section>".

    The chapter is the document; "Chapter 7" style numbers and the edition are locators, not names.
    """
    s, e = _trim(text, start, end)
    seg = text[s:e]
    lead = _ACOEM_LEAD_RE.match(seg)
    body = seg[lead.end():] if lead else seg
    year = None
    em = re.search(r"\(\s*((?:19|20)\d\d)\s*\)|\b((?:19|20)\d\d)\b", body)
    if em:
        year = int(em.group(1) or em.group(2))
    body = re.sub(r"\b\d{1,2}(?:st|nd|rd|th)\s+Edition\b", " ", body, flags=re.IGNORECASE)
    body = re.sub(r"\(\s*(?:19|20)\d\d\s*\)|\b(?:19|20)\d\d\b", " ", body)
    pages: list[int] = []
    pm = _PAGES_LABEL_RE.search(body)
    if pm:
        pages = parse_pages(pm.group(0))
        body = body[: pm.start()] + body[pm.end():]
    parts = [p.strip(" .;:") for p in split_topics(body)]
    parts = [p for p in parts if p and not re.fullmatch(r"(?:Chapter|Ch\.?)\s*\d+[A-Za-z]?", p, re.IGNORECASE)]
    document = parts[0] if parts else "Occupational Medicine Practice Guidelines"
    topics: list[str | None] = parts[1:] or [None]  # type: ignore[list-item]
    return [ParsedCitation(dict(source="ACOEM", document=document, year=year, topic=t, pages=pages), s, e) for t in topics]


def _other_cut(seg: str) -> re.Match[str] | None:
    """``_OTHER_MARK_RE.search(seg) or _OTHER_SOURCE_RE.search(seg)``, each tried only where it can match:
    the first where its first word ("and", "Other") stands, the second (case-sensitive) only in a segment
    that holds "and" at all. Both are tried at every position of the segment otherwise, and neither
    matches in most segments."""
    return (search_from_stems(_OTHER_MARK_RE, ("and", "other"), seg)
            or ("and" in seg and _OTHER_SOURCE_RE.search(seg) or None))


def _parse_non_mtus(text: str, start: int, end: int) -> list[ParsedCitation]:
    """ODG chapters/topics, ACOEM, and other sources (CMS fee schedules, insurer policy URLs ...)."""
    out: list[ParsedCitation] = []
    seg = text[start:end]
    # Cut off "and Other Medical Treatment Guidelines ..." parts first: they are separate citations.
    other_cut = _other_cut(seg)
    main_end = start + other_cut.start() if other_cut else end
    if other_cut:
        out.extend(_parse_other(text, start + other_cut.end(), end))
    main = text[start:main_end]
    if _acoem_mark(main) and not _ODG_MARK_RE.search(main):
        return _parse_acoem(text, start, main_end) + out
    marks = list(_ODG_MARK_RE.finditer(main))
    chapter_rx = _chapter_regex()
    pieces: list[tuple[int, int, bool]] = []  # (start, end, is_odg)
    if marks:
        first = marks[0].start()
        if main[:first].strip(" ,.;:"):
            lead_s, lead_e = _trim(text, start, start + first)
            is_odg = bool(chapter_rx and chapter_rx.match(text[lead_s:lead_e]))
            pieces.append((lead_s, lead_e, is_odg))
        for i, m in enumerate(marks):
            s = start + m.end()
            e = start + marks[i + 1].start() if i + 1 < len(marks) else main_end
            pieces.append((s, e, True))
    else:
        s, e = _trim(text, start, main_end)
        is_odg = bool(chapter_rx and chapter_rx.match(text[s:e]))
        pieces.append((s, e, is_odg))
    for s, e, is_odg in pieces:
        if is_odg:
            # ODG pieces list several chapters/topics, separated by semicolons or sentences.
            for ps, pe in _subsplit(text, s, e):
                out.extend(_parse_odg_piece(text, ps, pe))
        else:
            # Another source: what follows a semicolon locates within the same document.
            out.extend(_parse_other(text, s, e))
    out.sort(key=lambda pc: pc.start)
    return out


# Patterns of the ODG piece parser, compiled once (``re.match(pattern, ...)`` looks the pattern up in the
# module's cache on every call; a letter's guideline lines run them dozens of times).
_SUBSPLIT_RE = re.compile(r";|\.\s+(?=[A-Z])")
_LEADING_YEAR_RE = re.compile(r"\s*,?\s*\(?((?:19|20)\d\d)\)?\s*,?")
_REST_LEAD_RE = re.compile(r"^\s*(?:[,:/\-–]|\(|\s)+")


def _subsplit(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cur = start
    for m in _SUBSPLIT_RE.finditer(text[start:end]):
        spans.append((cur, start + m.start()))
        cur = start + m.end()
    spans.append((cur, end))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _edition(work: str) -> re.Match[str] | None:
    """``_EDITION_RE.search(work)``: every match holds the word "Edition", so in ASCII text (where matching
    case-insensitively is lower-casing) a piece without it is not scanned at every position."""
    if work.isascii() and "edition" not in work.lower():
        return None
    return _EDITION_RE.search(work)


def _take_edition_and_year(work: str, year: int | None) -> tuple[str, int | None]:
    """Remove an edition mention and a leading year from an ODG piece, noting the year.

    Called before and after the "Guidelines"/"Treatment Guidelines" word is stripped,
    because letters put the edition and year on either side of it; a later year wins.
    """
    em = _edition(work)
    if em:
        if em.group("year"):
            year = int(em.group("year"))
        work = work[: em.start()] + work[em.end():]
    ym = _LEADING_YEAR_RE.match(work)
    if ym:
        year = int(ym.group(1))
        work = work[ym.end():]
    return work, year


_ODG_GUIDELINES_WORD_RE = re.compile(
    r"^\s*,?\s*(?:Guidelines?|Treatment\s+Guidelines?|Treatment\s+in\s+Workers'?\s*Comp(?:ensation)?)\b\s*,?")
_CHAPTER_SEP_RE = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)(?=[A-Z])")
_CHAPTER_END_RE = re.compile(r"\s*(?:$|[,:;/(\-–]|and\b|&|chapters?\b)", re.IGNORECASE)


def _parse_odg_piece(text: str, start: int, end: int) -> list[ParsedCitation]:
    piece = text[start:end]
    year: int | None = None
    work = piece
    um = _UPDATED_RE.search(work)
    if um:
        y = re.search(r"(?:19|20)?(\d\d)\s*$", um.group("date").strip()) or re.search(r"((?:19|20)\d\d)", um.group("date"))
        if y:
            yy = y.group(1)
            year = int(yy) if len(yy) == 4 else 2000 + int(yy)
        work = work[: um.start()] + work[um.end():]
    work, year = _take_edition_and_year(work, year)
    work = _ODG_GUIDELINES_WORD_RE.sub("", work)
    work, year = _take_edition_and_year(work, year)
    work = work.strip(" ,.;:-–")
    if not work:
        return [ParsedCitation(dict(source="ODG", document="Official Disability Guidelines", year=year), start, end)]
    chapter_rx = _chapter_regex()
    # The known chapter at the start of the piece, matched once (the prose test, the unknown-chapter test
    # and the first chapter ask for it; the names' alternation is long); each later chapter is matched
    # once too, as the one that follows (``nxt``) and then as the current one.
    m = chapter_rx.match(work) if chapter_rx is not None else None
    if _PROSE_RE.match(work) and not m:
        return []  # a sentence of commentary inside the guideline line, not a citation
    chapters: list[str] = []
    pos = 0
    plural = False
    gm = _GENERIC_CHAPTER_RE.match(work)
    if gm and not m:
        # A chapter we do not know by name, recognisable by the word "Chapter"/"section" after it.
        chapters.append(gm.group("name") + gm.group("word"))
        pos = gm.end()
        chapter_rx = None
    while chapter_rx is not None:
        if not m:
            break
        name = m.group("name")
        word = m.group(0)[m.end("name") - m.start():].strip()
        if word.lower().endswith("s") and word.lower() in ("chapters", "sections"):
            plural = True
        chapters.append(name + (f" {word}" if word and not plural else ""))
        pos = m.end()
        sep = _CHAPTER_SEP_RE.match(work[pos:])
        nxt = chapter_rx.match(work, pos + sep.end()) if sep else None
        # Another chapter follows only if it ends like one (a separator, "chapter", a qualifier), not
        # when the chapter's name starts a topic ("Knee & Leg Chapter, Knee brace").
        if nxt and not _CHAPTER_END_RE.match(work[nxt.end():]):
            nxt = None
        if sep and nxt:
            pos += sep.end()
            m = nxt
            continue
        break
    if plural:
        chapters = [re.sub(r"\s+(?:chapters?|sections?)$", "", c, flags=re.IGNORECASE) for c in chapters]
    rest = work[pos:] if chapters else work
    rest = _REST_LEAD_RE.sub("", rest)
    rest = rest.strip().rstrip(".;,").strip()
    if rest.endswith(")") and rest.count(")") > rest.count("("):
        rest = rest[:-1].strip()
    topics = split_topics(rest) if rest else []
    out = []
    if chapters:
        for ch in chapters:
            ch_clean = " ".join(ch.split())
            if topics:
                for t in topics:
                    out.append(ParsedCitation(dict(source="ODG", document="Official Disability Guidelines",
                                                       year=year, topic=f"{ch_clean}, {t}"), start, end))
            else:
                out.append(ParsedCitation(dict(source="ODG", document="Official Disability Guidelines",
                                                   year=year, topic=ch_clean), start, end))
    else:
        for t in topics or [None]:
            out.append(ParsedCitation(dict(source="ODG", document="Official Disability Guidelines", year=year,
                                               topic=t), start, end))
    return out


def _parse_other(text: str, start: int, end: int) -> list[ParsedCitation]:
    s, e = _trim(text, start, end)
    piece = text[s:e]
    if not piece:
        return []
    url = _URL_RE.search(piece)
    year_m = _YEAR_RE.search(piece)
    if url:
        doc = _title_from_url(url.group(0).rstrip(".,;)"))
        head = piece[: url.start()].strip(" ,.;:")
        head = re.sub(r"^(?:and\s+)?Other\s+Medical\s+Treatment\s+Guidelines?\s*:?", "", head, flags=re.IGNORECASE).strip()
        if head:
            doc = f"{head} ({doc})"
    else:
        doc = piece.split(";")[0].strip(" ,.;:")
        doc = re.sub(r"\s*\((?:updated|rev)[^)]*\)", "", doc, flags=re.IGNORECASE)
    year = int(year_m.group(0)) if year_m and not url else None
    return [ParsedCitation(dict(source="OTHER", document=doc or None, year=year), s, e)]


def _title_from_url(url: str) -> str:
    """A short readable title for a cited web page: ``aetna.com/cpb/.../0181.html`` -> ``Aetna CPB 0181``."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    host = parsed.netloc.lower().removeprefix("www.")
    org = host.split(".")[-2] if host.count(".") >= 1 else host
    org = org.upper() if len(org) <= 4 else org.capitalize()
    path_parts = [p for p in parsed.path.split("/") if p]
    label = []
    if any(p.lower() == "cpb" for p in path_parts):
        label.append("CPB")
    if path_parts:
        stem = re.sub(r"\.\w+$", "", path_parts[-1])
        if stem:
            label.append(stem)
    return " ".join([org, *label])
