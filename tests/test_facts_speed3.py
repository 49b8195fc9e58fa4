"""The letter facts' label look-up (checks.facts._label_before) gives exactly what the plain scan gives.

A date's header label ("Date of Injury: 10/18/2016") is the last label of the whole-text scan that ends
before the date, taken when it ends 40 characters or less before it with no digit between. The fast path
reads only the stretch before each date from the last character no label can hold (labels are letters
and whitespace). It is compared with the plain scan, kept below, on every text of the repository's
letters (samples/, evals/*/letters/, the shared letters when they are there) at every date and at every
position, and on hypothesis-generated text.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from imrassist.checks import facts as F
from imrassist.checks.common import dates_in

from tests.test_checks_speed import _texts
from tests.test_facts_speed import CHARS, FAST, _case, _letters

_DIGIT = re.compile(r"\d")


def _plain_labels(text: str, p: int, labels: list[re.Match[str]] | None = None) -> tuple[int, int, str | None] | None:
    """The label a date at ``p`` takes, by the whole-text scan (``labels``: its matches, if made already)."""
    if labels is None:
        labels = list(F._LABEL_RE.finditer(text))
    k = bisect_right([m.end() for m in labels], p) - 1
    if k >= 0:
        m = labels[k]
        if p - m.end() <= 40 and not _DIGIT.search(text, m.end(), p):
            return m.start(), m.end(), m.lastgroup
    return None


def _fast_labels(text: str, p: int) -> tuple[int, int, str | None] | None:
    m = F._label_before(text, text.lower(), p)
    if m is not None and p - m.end() <= 40 and not _DIGIT.search(text, m.end(), p):
        return m.start(), m.end(), m.lastgroup
    return None


def _check(text: str, positions) -> None:
    if not text.isascii():
        return  # (the fast path is taken in ASCII letters only)
    labels = list(F._LABEL_RE.finditer(text))
    for p in positions:
        assert _fast_labels(text, p) == _plain_labels(text, p, labels), (text, p)


def _split_top(pattern: str) -> list[str]:
    """The alternatives of ``pattern`` at its top level."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            cur += pattern[i:i + 2]
            i += 2
            continue
        depth += c == "("
        depth -= c == ")"
        if c == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return out + [cur]


def test_every_label_alternative_holds_a_key_word():
    n = 0
    for _, pattern in F._LABELS:
        for alt in _split_top(pattern):
            # what every match of the alternative holds: not an optional group nor a lookbehind
            kept = re.sub(r"\(\?<![^()]*\)|\(\?:[^()]*\)\?", "", alt)
            kept = re.sub(r"\\s\+|\\b", " ", kept).lower()
            assert any(k in kept for k in F._LABEL_KEYS), alt
            n += 1
    assert n == 9  # (every alternative was read)


def test_a_label_is_letters_and_whitespace():
    # (a label holds no character of _LAST_BARRIER's class, which is what the look-up rests on)
    for text in _texts():
        for m in F._LABEL_RE.finditer(text):
            if text.isascii():
                assert re.fullmatch(r"[A-Za-z\s]+", m.group()), m.group()


def test_labels_equal_the_plain_scan_on_the_corpus():
    n = 0
    for lt, _ in _letters():
        text = lt.text
        starts = [d.start for d in dates_in(text)]
        _check(text, starts)
        _check(text, range(0, len(text), 7))
        n += sum(_plain_labels(text, p) is not None for p in starts)
    assert n > 0  # (labels are found)
    for text in _texts()[:200]:
        _check(text, range(0, len(text) + 1, 5))


LABEL_VOCAB = [
    " ", "  ", "\n", " \t ", ": ", "-", ".", "1", "10/18/2016", "January 5, 2020", "2016", "date", "Date", "DATE",
    "dated", "Update", "of", "Injury", "DOI", "DOIs", "UR", "procedure", "amateur", "Utilization", "Review",
    "Denial", "Decision", "Determination", "Final", "Assigned", "IMR", "Application", "Received", "appl",
    "x" * 30, "word " * 20, "abc" * 40, "ſ", "K", "İ", "é", "٣", "²",
]


@settings(FAST)
@given(st.lists(_case(st.sampled_from(LABEL_VOCAB)) | st.text(alphabet=CHARS, max_size=4), max_size=30).map("".join),
       st.lists(st.integers(0, 400), max_size=6))
def test_labels_equal_the_plain_scan(text, positions):
    _check(text, [p for p in positions if p <= len(text)] + [len(text)])
