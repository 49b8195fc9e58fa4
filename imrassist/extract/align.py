"""Find a model's quote in the letter: the model copies text, our code finds where it stands.

The model never gives offsets. For every quote we look, in order:

1. ``exact``      -- the quote occurs verbatim in the ORIGINAL text (``letter.original``).
2. ``normalized`` -- the quote occurs in the normalised text (``letter.text``: PDF line wraps joined, page
   footers dropped, hyphenated line ends re-joined, typographic quotes/dashes folded) once both sides are
   case-folded and their white space collapsed; the span is mapped back to the original through the
   Letter's offset map. A quote copied from the normalised text we send the model lands here whenever it
   spans a line break of the original.
3. ``fuzzy``      -- :func:`rapidfuzz.fuzz.partial_ratio_alignment` of the normalised quote over the normalised
   letter (first in the window the caller hints at, then everywhere) scores at least ``FUZZY_THRESHOLD``
   (0-100), and the quote is at least ``FUZZY_MIN_CHARS`` long (a short quote such as "34-year-old" must not
   snap to "33-year-old"). The span is widened to word boundaries.
4. ``unaligned``  -- nothing matched: the Evidence keeps the model's quote with null offsets, and the
   grounding checks flag it.

For every aligned quote the Evidence's ``quote`` is the original text at ``[start, end)`` (DESIGN.md: quote ==
original[start:end]), not the model's wording. ``hint`` is a ``(start, end)`` window in original offsets
(an item's block): occurrences inside it win over earlier ones elsewhere, so "Upheld" in item 7 is found in
item 7. Redaction placeholders (``[CASE-NUMBER]`` ...) in a quote match any identifier-like run of text
(see :func:`placeholder_pattern`), so quotes still align when the model saw a redacted letter.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from ..letter import Letter, normalize_fragment
from ..models import Evidence

FUZZY_THRESHOLD = 88.0
FUZZY_MIN_CHARS = 12
_MAX_HITS = 64

# Placeholders written by imrassist.llm.redact.
_PLACEHOLDER_RE = re.compile(r"\[(?:CASE-NUMBER|CLAIM-NUMBER|ADJ-NUMBER|POLICY-NUMBER|ID|MRN|REFERENCE-NUMBER|SSN|DOB|PHONE)\]")


def _fold(text: str) -> str:
    """Lower-case without changing the length (a few characters lower-case to two; those stay as they are)."""
    out = text.lower()
    if len(out) == len(text):
        return out
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def placeholder_pattern(quote: str) -> re.Pattern[str] | None:
    """A white-space- and case-insensitive pattern for a quote holding redaction placeholders, else None."""
    if not _PLACEHOLDER_RE.search(quote):
        return None
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER_RE.finditer(quote):
        parts.append(_flex(quote[pos:m.start()]))
        parts.append(r"[A-Za-z0-9][A-Za-z0-9\-/.#]*(?:\s[0-9][0-9\-/.]*)*")
        pos = m.end()
    parts.append(_flex(quote[pos:]))
    return re.compile("".join(parts).strip(), re.IGNORECASE)


def _flex(text: str) -> str:
    words = text.split()
    if not words:
        return r"\s*" if text else ""
    lead = r"\s*" if text[:1].isspace() else ""
    tail = r"\s*" if text[-1:].isspace() else ""
    return lead + r"\s+".join(re.escape(w) for w in words) + tail


def to_normalized(letter: Letter, orig_offset: int) -> int:
    """The first normalised position at or after an original offset (the Letter's map is non-decreasing)."""
    return bisect_left(letter._map, orig_offset)


@dataclass
class Aligned:
    evidence: Evidence
    score: float  # 100 for exact/normalized, the fuzzy score, 0 when unaligned


class Aligner:
    """Aligns many quotes against one letter (the folded texts are computed once)."""

    def __init__(self, letter: Letter, *, fuzzy_threshold: float = FUZZY_THRESHOLD,
                 fuzzy_min_chars: int = FUZZY_MIN_CHARS):
        self.letter = letter
        self.fuzzy_threshold = fuzzy_threshold
        self.fuzzy_min_chars = fuzzy_min_chars
        self._orig = letter.original
        # normalised text, folded, paragraph breaks as spaces: same length as letter.text
        self._norm = _fold(letter.text.replace("\n", " "))
        self.counts: dict[str, int] = {"exact": 0, "normalized": 0, "fuzzy": 0, "unaligned": 0}

    # ------------------------------------------------------------------------------------ coordinates

    def to_normalized(self, orig_offset: int) -> int:
        return to_normalized(self.letter, orig_offset)

    def _norm_window(self, hint: tuple[int, int] | None) -> tuple[int, int] | None:
        if hint is None:
            return None
        return self.to_normalized(hint[0]), self.to_normalized(hint[1])

    @staticmethod
    def _pick(hits: list[int], window: tuple[int, int] | None) -> int:
        if window is not None:
            for h in hits:
                if window[0] <= h < window[1]:
                    return h
            after = [h for h in hits if h >= window[0]]
            if after:
                return after[0]
        return hits[0]

    # ------------------------------------------------------------------------------------ the steps

    def _exact(self, quote: str, hint: tuple[int, int] | None) -> tuple[int, int] | None:
        if not quote.strip():
            return None
        hits: list[int] = []
        pos = self._orig.find(quote)
        while pos != -1 and len(hits) < _MAX_HITS:
            hits.append(pos)
            pos = self._orig.find(quote, pos + 1)
        if not hits:
            return None
        s = self._pick(hits, hint)
        return s, s + len(quote)

    def _normalized(self, needle: str, window: tuple[int, int] | None) -> tuple[int, int] | None:
        if not needle:
            return None
        hits: list[int] = []
        pos = self._norm.find(needle)
        while pos != -1 and len(hits) < _MAX_HITS:
            hits.append(pos)
            pos = self._norm.find(needle, pos + 1)
        if not hits:
            return None
        s = self._pick(hits, window)
        return s, s + len(needle)

    def _pattern(self, rx: re.Pattern[str], hint: tuple[int, int] | None,
                 window: tuple[int, int] | None) -> tuple[str, tuple[int, int]] | None:
        hits = [m.span() for m in rx.finditer(self._orig)][:_MAX_HITS]
        if hits:
            starts = [h[0] for h in hits]
            s = self._pick(starts, hint)
            return "exact", hits[starts.index(s)]
        hits = [m.span() for m in rx.finditer(self.letter.text.replace("\n", " "))][:_MAX_HITS]
        if hits:
            starts = [h[0] for h in hits]
            s = self._pick(starts, window)
            return "normalized", hits[starts.index(s)]
        return None

    def _fuzzy(self, needle: str, window: tuple[int, int] | None) -> tuple[int, int, float] | None:
        if len(needle) < self.fuzzy_min_chars:
            return None
        from rapidfuzz import fuzz

        n = len(self._norm)
        regions: list[tuple[int, int]] = []
        if window is not None:
            pad = len(needle)
            regions.append((max(0, window[0] - pad), min(n, window[1] + pad)))
        regions.append((0, n))
        for rs, re_ in regions:
            hay = self._norm[rs:re_]
            if len(hay) < len(needle):
                continue
            r = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=self.fuzzy_threshold)
            if r is None or r.score < self.fuzzy_threshold:
                continue
            s, e = rs + r.dest_start, rs + r.dest_end
            s, e = self._widen(s, e)
            if e > s:
                return s, e, float(r.score)
        return None

    def _widen(self, s: int, e: int) -> tuple[int, int]:
        t = self._norm
        while s > 0 and t[s - 1].isalnum() and t[s].isalnum():
            s -= 1
        while e < len(t) and t[e - 1].isalnum() and t[e].isalnum():
            e += 1
        while s < e and t[s] == " ":
            s += 1
        while e > s and t[e - 1] == " ":
            e -= 1
        return s, e

    # ------------------------------------------------------------------------------------ public

    def align(self, quote: str | None, hint: tuple[int, int] | None = None) -> Aligned:
        """Evidence for a quote; ``hint`` is a preferred ``(start, end)`` window in original offsets."""
        quote = (quote or "").strip()
        if not quote:
            self.counts["unaligned"] += 1
            return Aligned(Evidence(quote="", alignment="unaligned"), 0.0)
        window = self._norm_window(hint)
        hit = self._exact(quote, hint)
        if hit is not None:
            self.counts["exact"] += 1
            return Aligned(Evidence(quote=quote, start=hit[0], end=hit[1], alignment="exact"), 100.0)
        rx = placeholder_pattern(quote)
        if rx is not None:
            found = self._pattern(rx, hint, window)
            if found is not None:
                kind, (s, e) = found
                self.counts["normalized"] += 1
                if kind == "exact":
                    return Aligned(Evidence(quote=self._orig[s:e], start=s, end=e, alignment="normalized"), 100.0)
                ev = self.letter.evidence(s, e)
                return Aligned(ev.model_copy(update={"alignment": "normalized"}), 100.0)
        needle = _fold(_collapse(normalize_fragment(quote)))
        if not needle:
            needle = _fold(_collapse(quote))
        hit = self._normalized(needle, window)
        if hit is not None:
            self.counts["normalized"] += 1
            ev = self.letter.evidence(*hit)
            return Aligned(ev.model_copy(update={"alignment": "normalized"}), 100.0)
        fz = self._fuzzy(needle, window)
        if fz is not None:
            self.counts["fuzzy"] += 1
            ev = self.letter.evidence(fz[0], fz[1])
            return Aligned(ev.model_copy(update={"alignment": "fuzzy"}), fz[2])
        self.counts["unaligned"] += 1
        return Aligned(Evidence(quote=quote, alignment="unaligned"), 0.0)


def align_quote(letter: Letter, quote: str | None, hint: tuple[int, int] | None = None) -> Evidence:
    """One-off alignment (use :class:`Aligner` for many quotes of one letter)."""
    return Aligner(letter).align(quote, hint).evidence


__all__ = ["Aligner", "Aligned", "align_quote", "to_normalized", "placeholder_pattern", "FUZZY_THRESHOLD", "FUZZY_MIN_CHARS"]
