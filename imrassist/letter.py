"""Ingest: bytes or text -> :class:`Letter` (normalised text, offset map, layout, sections).

PDF text extraction leaves artefacts that make patterns brittle: every line wrapped mid-phrase, a line
holding one space between paragraphs, form feeds at page starts, footers such as ``Page 2 of 4``, a blank
line after every line in some years, hyphenated line ends, trailing spaces. We normalise all of that into
one logical paragraph per line, and keep a map from every normalised character back to the original, so
that anything found in the normalised text can be quoted from the original exactly. Extractors and checks
work on ``Letter.text`` and report offsets through :meth:`Letter.evidence`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, TypeVar

from .errors import InputError, NotAnIMRLetter
from .models import Evidence, Layout
from .parse import matches_at

T = TypeVar("T")

#: Inputs larger than this are refused before being read (letters are 3-100 KB; PDFs rarely reach 1 MB).
MAX_INPUT_BYTES = int(os.environ.get("IMRASSIST_MAX_BYTES", 10 * 1024 * 1024))
#: Text longer than this (after decoding or PDF extraction) is refused before it is normalised: the
#: longest letters run to ~100,000 characters, and a 10 MB text would take a minute and ~500 MB to read.
MAX_TEXT_CHARS = int(os.environ.get("IMRASSIST_MAX_CHARS", 500_000))

# One-to-one character substitutions (so the offset map is untouched): typographic quotes and dashes,
# non-breaking and other exotic spaces.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u200b": " ", "\ufeff": " ",
        "\t": " ", "\r": " ", "\v": " ",
        # Typesetting forms a PDF's text layer often keeps: ligatures ("Ofﬁcial": the words would not be
        # found) and the ellipsis, spelled out; the full-width forms of ASCII (U+FF01-U+FF5E), as ASCII.
        "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
        "\ufb06": "st", "\u2026": "...",
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
    }
)

_FOOTER_RE = re.compile(
    r"^\s*(?:(?:[A-Z]{1,4}\d{2}-\d{4,8}|Case\s+(?:Number|No\.?)\s*:?\s*\S+|IMR\s+Case\s*\S*)?\s*"
    r"(?:Page\s+\d+\s*(?:of\s*\d+)?|-\s*\d+\s*-|\d+\s*/\s*\d+))\s*$",
    re.IGNORECASE,
)
# Lines that always begin a new logical paragraph, whatever the blank-line conventions of the file.
_PARA_START_RE = re.compile(
    r"^(?:Claims\s+Administrator\s+guidelines?\s*:|MAXIMUS\s+guidelines?\s*:|Decision\s+rationale\s*:"
    r"|(?:Medical\s+(?:Treatment\s+)?)?Guidelines?(?:\(s\))?\s+(?:cited|used|relied\s+(?:up)?on|applied)\s+by\b"
    r"|(?:Explanation|Why|Finding|Rationale)\s*:"
    r"|(?:(?:Requested|Disputed)\s+)?(?:Service|Item|Issue)s?\s*#?\s*\d{1,2}\s*[:.)]"
    r"|State\(s\)\s+of\s+Licensure\s*:|Certification\(s\)\s*/\s*Specialty\s*:"
    r"|The\s+Expert\s+Reviewer\s+has\s+the\s+following\s+credentials)",
    re.IGNORECASE,
)
_DECISION_WORD = r"(?:Upheld|Overturned)\s*$"
_DECISION_WORD_RE = re.compile(_DECISION_WORD, re.IGNORECASE)  # (a line of it alone)
_DECISION_END_RE = re.compile(r":\s*" + _DECISION_WORD, re.IGNORECASE)
_HYPHEN_SUFFIXES = (
    "tion", "sion", "ment", "ness", "ity", "ities", "ing", "ings", "ly", "ive", "ous", "ance", "ence",
    "able", "ible", "ology", "ary", "ory", "ure", "lines", "ical", "ation", "ations", "tions", "ments",
    "ist", "ism", "ular", "ally", "ician", "icians",
)


# --------------------------------------------------------------------------------------------- sections


@dataclass(frozen=True, slots=True)
class Section:
    """A named part of the letter, in normalised coordinates (``text[start:end]``)."""

    name: str
    start: int
    end: int
    heading: str = ""


# (section name, heading pattern). Order does not matter; positions do.
_HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pat, re.MULTILINE))
    for name, pat in [
        ("how_made", r"^HOW THE IMR FINAL DETERMINATION WAS MADE\b"),
        ("summary", r"^CLINICAL CASE SUMMARY\b"),
        ("decisions", r"^IMR ISSUES,? DECISIONS,? AND RATIONALES?\b"),
        ("decisions", r"^IMR DECISION\(?S?\)? AND RATIONALE\(?S?\)?"),
        ("documents", r"^DOCUMENTS REVIEWED(?! FOR DETERMINATION)\b:?"),
        ("issues", r"^ISSUES? AT DISPUTE\s*:?"),
        ("summary", r"^CASE SUMMARY\s*:?"),
        ("documents", r"^DOCUMENTS REVIEWED FOR DETERMINATION\s*:?"),
        ("guidelines", r"^MEDICAL TREATMENT GUIDELINE\(?S?\)? RELIED UPON[^:\n]*:?"),
        ("rationale", r"^RATIONALE FOR WHY THE REQUESTED[^:\n]*:?"),
        ("qualifications", r"^MEDICAL REVIEWER QUALIFICATIONS\s*:?"),
    ]
]



#: The first two characters of every heading of :data:`_HEADINGS` and of the format marks (each pattern
#: starts with them, case-sensitively; the marks' ``\s*`` takes nothing at an upper-case character).
_HEADING_HEADS = frozenset({"HO", "CL", "IM", "DO", "IS", "CA", "ME", "RA", "MA"})


def _heading_match(line: str) -> re.Match[str] | None:
    """A known section heading at the start of a physical line (headings always start a paragraph). Only
    a line that starts as one of them does is tried with the patterns (most lines start otherwise)."""
    if line[:2] not in _HEADING_HEADS:
        return None
    for _, rx in _HEADINGS:
        m = rx.match(line)
        if m:
            return m
    return _FORMAT2_MARK.match(line) or _FORMAT3_MARK.match(line)


_FORMAT2_MARK = re.compile(r"^\s*MAXIMUS FEDERAL SERVICES,? INC\.?", re.MULTILINE)
_FORMAT3_MARK = re.compile(r"^\s*MEDICAL PROFESSIONAL REVIEW\b", re.MULTILINE)
_IMR_MENTION = re.compile(r"Independent\s+Medical\s+Review|\bIMR\b|MAXIMUS", re.IGNORECASE)
_DECISION_WORD = re.compile(r"\b(?:Upheld|Overturned)\b", re.IGNORECASE)


@dataclass(slots=True)
class Letter:
    """A letter ready for extraction: the original text, its normalised form, and the map between them."""

    source: str
    original: str
    text: str
    _map: array = field(repr=False)
    layout: Layout = "other"
    sections: list[Section] = field(default_factory=list)
    sha256: str = ""
    page_count: int = 1
    #: Readings of this letter that several stages need (see :meth:`derived`); they go with the letter.
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: str, make: "Callable[[], T]") -> "T":
        """``make()``, computed once per letter: a reading of the letter's text that both the extractor
        and the checks need (the item blocks). The value must not point back at the letter (it would make
        a reference cycle that only the garbage collector frees) and must be treated as read-only."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = make()
            return value

    def lowered(self) -> str | None:
        """``text.lower()`` when the text is ASCII, else None; made once per letter. Patterns tried only
        where their first words stand (:func:`imrassist.parse.search_from_stems`) look for those words in
        the lower-cased text, and a letter is searched that way a dozen times (lower-casing it for each
        search would cost more than the search). None for other text: there lower-casing can move offsets,
        and case-insensitive matching is more than lower-casing."""
        return self.derived("text.lowered", lambda: self.text.lower() if self.text.isascii() else None)

    # -- offsets --------------------------------------------------------------------------------------

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised ``[start, end)`` span to the original text (``end`` exclusive)."""
        if end <= start:
            pos = self._map[start] if start < len(self._map) else len(self.original)
            return pos, pos
        return self._map[start], self._map[end - 1] + 1

    def evidence(self, start: int, end: int) -> Evidence:
        """Evidence for ``text[start:end]``, trimmed of surrounding blanks, quoted from the original."""
        while start < end and self.text[start] in " \n":
            start += 1
        while end > start and self.text[end - 1] in " \n":
            end -= 1
        ostart, oend = self.to_original(start, end)
        return Evidence(quote=self.original[ostart:oend], start=ostart, end=oend)

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def section_text(self, name: str) -> str:
        s = self.section(name)
        return self.text[s.start : s.end] if s else ""


# ------------------------------------------------------------------------------------------ normalising


@dataclass(slots=True)
class _Line:
    start: int  # offset of the content (after any form feeds / indentation) in the original
    content: str  # without trailing whitespace, without leading form feeds
    page_break: bool
    kind: Literal["text", "space", "empty", "footer"]


def _may_be_footer(last: str) -> bool:
    """Whether a line that ends with ``last`` may be a footer: :data:`_FOOTER_RE` ends with a digit or a
    "-", then white space (``\d`` is ``str.isdecimal``, ``\s`` is ``str.isspace``). Most lines end
    otherwise, and are not tried with the pattern."""
    return last.isdigit() or last == "-" or last.isspace()


#: The first letters of the branches of :data:`_PARA_START_RE` (lower case).
_PARA_FIRSTS = frozenset("cdefgimrstw")


def _may_start_para(first: str) -> bool:
    """Whether a line that starts with ``first`` may match :data:`_PARA_START_RE`: an ASCII character that
    starts none of its branches, in either case, cannot. (Case-insensitive matching also takes a few
    characters outside ASCII for ASCII letters, "ſ" for "s", "İ" for "i": those are tried.)"""
    return not first.isascii() or first.lower() in _PARA_FIRSTS


def _split_lines(original: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for raw in original.split("\n"):
        body = raw.lstrip("\f")
        lead = len(raw) - len(body)
        content = body.rstrip(" \t\r\f\v\u00a0")
        # (a form feed in mid-line: treat as a break before the line too)
        page_break = lead > 0 or "\f" in content
        if not content:  # (stripped at its end of these blanks, a line is empty or holds other characters)
            kind = "empty" if body == "" or body.strip("\r") == "" else "space"
            content = ""
        elif _may_be_footer(content[-1]) and _FOOTER_RE.match(content):
            kind = "footer"
        else:
            kind = "text"
        lines.append(_Line(pos + lead, content, page_break, kind))
        pos += len(raw) + 1
    return lines


def _drop_running_headers(lines: list[_Line]) -> None:
    """Lines repeated at the top of two or more pages are running headers; treat them like footers."""
    firsts: list[int] = []
    for i, ln in enumerate(lines):
        if ln.page_break:
            j = i
            while j < len(lines) and lines[j].kind != "text":
                j += 1
            # (a page with no text of its own, a blank page or one holding only its footer, leads to the
            # next page's first line: one line, counted once, is no header repeated on two pages)
            if j < len(lines) and (not firsts or firsts[-1] != j):
                firsts.append(j)
    counts = Counter(lines[j].content.strip() for j in firsts)
    for j in firsts:
        text = lines[j].content.strip()
        if counts[text] >= 2 and len(text) <= 80:
            lines[j].kind = "footer"


def _blank_is_break(lines: list[_Line]) -> dict[str, bool]:
    """Decide which blank lines separate paragraphs in this file.

    PDF text of these letters marks paragraphs with a line holding one space, and leaves empty lines as
    artefacts (page joins, or a blank after every line in double-spaced years). Text typed by people uses
    empty lines. We look at the file to tell which convention it follows.
    """
    n_space = sum(1 for ln in lines if ln.kind == "space")
    n_empty = sum(1 for ln in lines if ln.kind == "empty")
    text_idx = [i for i, ln in enumerate(lines) if ln.kind == "text"]
    separated = [i for i in text_idx if i + 2 < len(lines) and lines[i + 1].kind == "empty" and lines[i + 2].kind == "text"]
    # Double spacing puts a blank after every line, so many blanks fall mid-sentence ("He/she has no" /
    # "affiliation ..."). Paragraphs typed one per line never do: each ends a sentence.
    continued = sum(
        1 for i in separated
        if not lines[i].content.rstrip().endswith((".", ":", "?", "!", '"'))
        and not lines[i + 2].content.lstrip()[:1].isupper()
    )
    followed_by_empty = sum(1 for i in text_idx if i + 1 < len(lines) and lines[i + 1].kind == "empty")
    double_spaced = (
        bool(text_idx) and followed_by_empty / len(text_idx) >= 0.6 and continued >= max(1, len(separated) // 5)
    )
    # Text with (next to) no blank lines at all (some PDF libraries write none): paragraphs are found from
    # the lines' own shape only, see _normalize.
    unbroken = n_space + n_empty <= 2 and len(text_idx) > 10
    if n_space >= 2 and (double_spaced or n_empty <= max(2, n_space // 3)):
        return {"empty": False, "double_empty": False, "unbroken": unbroken}
    # No space-only lines: empty lines separate paragraphs, except in double-spaced text, where one empty
    # line is line spacing and a run of two or more separates paragraphs.
    return {"empty": True, "double_empty": double_spaced, "unbroken": unbroken}


_HYPHEN_LEFT = re.compile(r"([A-Za-z]+)-$")
_HYPHEN_RIGHT = re.compile(r"([A-Za-z]+)")


def _keep_hyphen(left: str, right: str, has_word: Callable[[str], bool]) -> bool:
    """Whether the hyphen that ends ``left`` stays when the line ``right`` starts is joined to it:
    ``has_word`` tells whether the letter writes a word (:func:`_lexicon_has`)."""
    lw = _HYPHEN_LEFT.search(left)
    rw = _HYPHEN_RIGHT.match(right)
    if not lw or not rw:
        return True
    a, b = lw.group(1).lower(), rw.group(1).lower()
    if has_word(f"{a}-{b}"):
        return True
    if has_word(a + b):
        return False
    return not b.endswith(_HYPHEN_SUFFIXES)


#: The words of a letter whose spellings decide a line-end hyphen: the lower case of its tokens of
#: ``[A-Za-z]+(?:-[A-Za-z]+)*``, those without a hyphen and those with one.
_LEXICON_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _lexicon_has(low: str, word: str) -> bool:
    """Whether ``word`` (lower-case ASCII letters, with at most one hyphen between letters) is the lower
    case of a token of :data:`_LEXICON_RE` in a text whose characters outside ASCII are made "?" and
    which is then lower-cased (``low``: same length, and it splits into the same tokens, as those
    characters are in none). The token is looked for where the word stands rather than by listing every
    token of the letter (a letter asks about a few words at most, at its hyphenated line ends): the
    pattern starts a token at a letter that follows neither a letter nor a hyphen after a letter (which
    the token before would have taken), and ends it at the first character that is neither a letter nor
    a hyphen before one; ``word`` is a token where it starts and ends so."""
    n = len(low)
    k = len(word)
    i = low.find(word)
    while i >= 0:
        j = i + k
        if not (i and (low[i - 1].isalpha() or low[i - 1] == "-" and i > 1 and low[i - 2].isalpha())) \
                and not (j < n and (low[j].isalpha() or low[j] == "-" and j + 1 < n and low[j + 1].isalpha())):
            return True
        i = low.find(word, i + 1)
    return False


#: ``_INDEX[i] == i``: the offsets of a run of copied characters are a slice of it (a copy in C), where
#: ``range`` would make each one a Python int. Grown on demand, kept up to ``_INDEX_KEEP`` items.
_INDEX = array("l")
_INDEX_KEEP = 1 << 18


def _index(n: int) -> array:
    """An array of at least ``n`` items whose items are their indices."""
    global _INDEX
    idx = _INDEX
    if len(idx) < n:
        idx = array("l", range(max(n, min(2 * len(idx), _INDEX_KEEP))))
        if n <= _INDEX_KEEP:
            _INDEX = idx
    return idx


_WS = " \t\r\f\v\u00a0\u2007\u2009\u202f\u200b\ufeff"
# Runs of words separated by single plain spaces: copied in one piece (the common case), so the builder
# works per run rather than per word; any other whitespace collapses to one synthetic space.
_CHUNK_RE = re.compile(rf"[^{_WS}]+(?: [^{_WS}]+)*")


_LETTER_HYPHEN_END = re.compile(r"[A-Za-z]-$")
_ALNUM_HYPHEN_END = re.compile(r"[A-Za-z0-9]-$")


def normalize(original: str) -> tuple[str, array]:
    """Return the normalised text and, per normalised character, its offset in ``original``."""
    text, omap = _normalize(original, track=True)
    assert omap is not None
    return text, omap


def _normalize(original: str, *, track: bool) -> tuple[str, array | None]:
    """:func:`normalize`; the offset map only with ``track`` (a quote normalised to be re-read needs none,
    and copying an offset per character is an eighth of the work)."""
    lines = _split_lines(original)
    _drop_running_headers(lines)
    policy = _blank_is_break(lines)
    unbroken = policy["unbroken"]
    # The letter's own words decide whether a hyphen at a line end is kept ("follow-" "up": a compound the
    # letter writes elsewhere) or dropped ("treat-" "ment"); read only when a line ends in a hyphen.
    lowered: list[str] = []

    def has_word(word: str) -> bool:
        if not lowered:
            ascii_text = original if original.isascii() else original.encode("ascii", "replace").decode("ascii")
            lowered.append(ascii_text.lower())
        return _lexicon_has(lowered[0], word)

    # Group lines into paragraphs.
    paragraphs: list[list[_Line]] = []
    current: list[_Line] = []
    empties = 0

    def flush() -> None:
        nonlocal current
        if current:
            paragraphs.append(current)
            current = []

    for ln in lines:
        if ln.kind == "footer":
            continue
        if ln.kind in ("space", "empty"):
            if ln.kind == "empty" and not policy["empty"]:
                continue
            if ln.kind == "empty" and policy["double_empty"]:
                empties += 1
                if empties < 2:
                    continue
            flush()
            continue
        empties = 0
        text = ln.content
        # (a line's shape is read as its words will be: "Certiﬁcation(s)/Specialty:" starts a paragraph)
        stripped = (text if text.isascii() else text.translate(_TRANSLATE)).strip()
        heading = _heading_match(stripped)
        ends_item = ":" in stripped and _DECISION_END_RE.search(stripped) is not None
        word_alone = False
        if current and (heading or _may_start_para(stripped[:1]) and _PARA_START_RE.match(stripped)):
            flush()
        elif current and unbroken:
            # In text without blank lines an item's decision line starts its own paragraph after a finished
            # sentence ("... set forth below:" / "MRI of the left shoulder: Upheld"), with the lines of its
            # name wrapped before it ("Consult with a hip" / "specialist: Overturned"), or with its decision
            # word wrapped onto a line of its own ("... arthroplasty:" / "Overturned"). (Where blank lines
            # part paragraphs, a header of several sentences stays whole: "X was the original request.")
            word_alone = (not ends_item and _DECISION_WORD_RE.match(stripped) is not None
                          and current[-1].content.rstrip().endswith(":"))
            if ends_item or word_alone:
                top = len(current) - (2 if word_alone else 1)  # (the name's last line ends with ":" itself)
                for k in range(top, max(-1, top - 3), -1):
                    if current[k].content.rstrip().endswith((".", ":")):
                        paragraphs.append(current[:k + 1])
                        current = current[k + 1:]
                        break
        current.append(ln)
        if ends_item or word_alone or (heading and heading.end() >= len(stripped.rstrip(" :"))):
            flush()
    flush()

    # The text in parts, and (track) the original offset of each of its characters. (Written out here
    # rather than as a builder object's methods: a method call per run of words is a tenth of the work.)
    parts: list[str] = []
    add = parts.append
    omap = array("l") if track else None
    index = _index(len(original)) if track else None
    length = 0
    for p_index, para in enumerate(paragraphs):
        if p_index:
            add("\n")
            length += 1
            if omap is not None:
                omap.append(max(0, para[0].start - 1 if para[0].start > 0 else 0))
        for l_index, ln in enumerate(para):
            content = ln.content
            # A line of printable ASCII that neither starts with a space nor holds two in a row is one
            # run of words with single spaces (its end is stripped): its one chunk. No character of it
            # is one _TRANSLATE changes (those are not ASCII, or are white space other than " ").
            if content and content.isascii() and content.isprintable() and content[0] != " " and "  " not in content:
                chunks = None
                first = content
            else:
                chunks = list(_CHUNK_RE.finditer(content))
                if not chunks:
                    continue
                first = chunks[0].group(0)
            if l_index and length and parts[-1][-1] != "\n":
                prev_text = para[l_index - 1].content.rstrip()
                if prev_text.endswith("-"):
                    first_tok = first.split(" ", 1)[0]
                    if (
                        _LETTER_HYPHEN_END.search(prev_text)
                        and first_tok[:1].islower()
                        and not _keep_hyphen(prev_text, first_tok, has_word)
                    ):
                        # Drop the hyphen we already copied: rewind one character.
                        parts[-1] = parts[-1][:-1]
                        if omap is not None:
                            omap.pop()
                        length -= 1
                    elif not _ALNUM_HYPHEN_END.search(prev_text):
                        add(" ")
                        length += 1
                        if omap is not None:
                            omap.append(ln.start - 1)
                    # (else a real hyphenated compound split at the line end: joined without a space)
                else:
                    add(" ")
                    length += 1
                    if omap is not None:
                        omap.append(ln.start - 1)
            start = ln.start
            if chunks is None:
                add(content)
                length += len(content)
                if omap is not None:
                    omap += index[start:start + len(content)]  # (= range(start, start + len(content)))
                continue
            for t_index, tok in enumerate(chunks):
                if t_index:
                    add(" ")
                    length += 1
                    if omap is not None:
                        omap.append(start + chunks[t_index - 1].end())
                word = tok.group(0)
                piece = word.translate(_TRANSLATE)
                add(piece)
                length += len(piece)
                if omap is not None:
                    s = start + tok.start()
                    if len(piece) == len(word):
                        omap += index[s:s + len(piece)]
                    else:  # a ligature spelled out: each of its letters stands for it in the original
                        for k, ch in enumerate(word):
                            omap.extend([s + k] * len(ch.translate(_TRANSLATE)))
    return "".join(parts), omap


def normalize_fragment(fragment: str) -> str:
    """Normalise a quote the same way as a whole letter (used to re-parse evidence)."""
    return _normalize(fragment, track=False)[0].replace("\n", " ").strip()


# ---------------------------------------------------------------------------------------------- layout


def _find_sections(text: str) -> list[Section]:
    hits: list[tuple[int, int, str, str]] = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for name, rx in _HEADINGS:
        for m in matches_at(rx, text, line_starts):  # anchored with ^: only line starts can match
            hits.append((m.start(), m.end(), name, m.group(0)))
    hits.sort()
    # Drop overlapping matches (e.g. "DOCUMENTS REVIEWED FOR DETERMINATION" also begins like a shorter one).
    cleaned: list[tuple[int, int, str, str]] = []
    for h in hits:
        if cleaned and h[0] < cleaned[-1][1]:
            if h[1] - h[0] > cleaned[-1][1] - cleaned[-1][0]:
                cleaned[-1] = h
            continue
        cleaned.append(h)
    sections: list[Section] = []
    if cleaned and cleaned[0][0] > 0:
        sections.append(Section("header", 0, cleaned[0][0]))
    elif not cleaned:
        sections.append(Section("header", 0, 0))
    for i, (s, e, name, heading) in enumerate(cleaned):
        end = cleaned[i + 1][0] if i + 1 < len(cleaned) else len(text)
        body_start = e
        while body_start < end and text[body_start] in " :\n":
            body_start += 1
        # Keep the first occurrence of a name; a repeated heading extends nothing (rare, defensive).
        if any(x.name == name for x in sections):
            name = f"{name}_{i}"
        sections.append(Section(name, body_start, end, heading.strip()))
    return sections


def detect_layout(text: str, sections: list[Section]) -> Layout:
    names = {s.name for s in sections}
    head = text[:400]
    if _FORMAT3_MARK.search(head) or {"issues", "rationale"} <= names or (
        "issues" in names and "qualifications" in names
    ):
        return "format3"
    if _FORMAT2_MARK.search(head) or re.search(r"^IMR DECISION\(?S?\)? AND RATIONALE", text, re.MULTILINE):
        return "format2"
    if re.search(r"^IMR ISSUES,? DECISIONS", text, re.MULTILINE) or {"how_made", "summary"} <= names:
        return "format1"
    return "other"


# ------------------------------------------------------------------------------------------------ ingest


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # control characters other than \t \n \f \r


def _decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise InputError("empty file (no text)", source=source, reason="empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark ("Unicode" in Notepad)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("text starts like UTF-16 but does not decode as UTF-16", source=source,
                             reason="encoding") from None
    sample = data[:8192]
    if b"\x00" in sample:
        raise InputError("binary file: not text or PDF", source=source, reason="binary")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    controls = len(_CONTROL_RE.findall(text, 0, 8192))
    if controls > max(8, len(text[:8192]) // 50):
        raise InputError("binary file: not text or PDF", source=source, reason="binary")
    return text


def _pdf_text(data: bytes, source: str) -> str:
    import logging

    try:
        import pypdf
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise InputError(f"PDF support is not installed ({exc})", source=source, reason="pdf") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                ok = 0
            if not ok:
                raise InputError("encrypted PDF: cannot read it without the password", source=source, reason="encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except MemoryError as exc:
        raise InputError("PDF too large to read (out of memory)", source=source, reason="too_large") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise InputError(f"corrupt or unreadable PDF ({type(exc).__name__})", source=source, reason="corrupt_pdf") from exc
    except Exception as exc:  # noqa: BLE001 - a broken PDF can raise nearly anything inside pypdf
        if type(exc).__name__ == "LimitReachedError":  # pypdf's guard against decompression bombs
            raise InputError("PDF content expands beyond pypdf's safety limit (a decompression bomb?)",
                             source=source, reason="too_large") from exc
        raise InputError(f"corrupt or unreadable PDF ({type(exc).__name__})", source=source, reason="corrupt_pdf") from exc
    if not pages:
        raise InputError("PDF has no pages", source=source, reason="corrupt_pdf")
    text = "\n\f".join(pages)
    if len(text.strip()) < 20:
        raise InputError(
            f"PDF has no text layer ({len(pages)} page(s), scanned image?): run OCR first", source=source, reason="needs_ocr"
        )
    return text


def letter_from_text(original: str, source: str = "<text>", *, require_imr: bool = True) -> Letter:
    """Build a Letter from already-decoded text (the ``original`` that evidence offsets refer to)."""
    if not original.strip():
        raise InputError("empty file (no text)", source=source, reason="empty")
    if len(original) > MAX_TEXT_CHARS:
        raise InputError(f"text too long for a determination letter ({len(original)} characters; the limit is "
                         f"{MAX_TEXT_CHARS})", source=source, reason="too_large")
    text, omap = normalize(original)
    sections = _find_sections(text)
    layout = detect_layout(text, sections)
    letter = Letter(
        source=source,
        original=original,
        text=text,
        _map=omap,
        layout=layout,
        sections=sections,
        sha256=hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest(),
        page_count=original.count("\f") + 1,
    )
    if require_imr and not is_imr_letter(letter):
        raise NotAnIMRLetter(
            "not an IMR determination letter (no IMR determination headings or Upheld/Overturned decisions found)",
            source=source,
        )
    return letter


def is_imr_letter(letter: Letter) -> bool:
    if letter.layout != "other":
        return True
    return bool(_IMR_MENTION.search(letter.text) and _DECISION_WORD.search(letter.text))


def letter_from_bytes(data: bytes, source: str = "<bytes>", *, require_imr: bool = True) -> Letter:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"file too large ({len(data)} bytes; the limit is {MAX_INPUT_BYTES} bytes)", source=source, reason="too_large"
        )
    if data[:1024].lstrip().startswith(b"%PDF-"):
        original = _pdf_text(data, source)
    else:
        original = _decode(data, source)
    return letter_from_text(original, source, require_imr=require_imr)


def read_input_bytes(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """Read a file (or ``-`` for stdin) with the size limit enforced before reading it whole."""
    limit = MAX_INPUT_BYTES if limit is None else limit
    name = str(path)
    if name == "-":
        import sys

        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"input too large (more than {limit} bytes)", source="-", reason="too_large")
        return data
    p = Path(name)
    if not p.exists():
        raise InputError("no such file", source=name, reason="missing")
    if p.is_dir():
        raise InputError("is a directory, not a letter file", source=name, reason="directory")
    try:
        size = p.stat().st_size
        if size > limit:
            raise InputError(f"file too large ({size} bytes; the limit is {limit} bytes)", source=name, reason="too_large")
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except PermissionError as exc:
        raise InputError("permission denied", source=name, reason="unreadable") from exc
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or type(exc).__name__})", source=name, reason="unreadable") from exc
    if len(data) > limit:
        raise InputError(f"file too large (more than {limit} bytes)", source=name, reason="too_large")
    return data


def read_letter(path: str | os.PathLike[str], *, require_imr: bool = True) -> Letter:
    """Read a letter from a ``.txt`` or ``.pdf`` file (by content, not by extension), or ``-`` for stdin."""
    name = str(path)
    return letter_from_bytes(read_input_bytes(name), source=name, require_imr=require_imr)
