"""Fuzzing the reader and the extractor with real letters knocked about the way PDFs, scanners and
editors knock them about: lines dropped, duplicated and reordered, form feeds and page footers injected,
case changed, and Unicode inserted (smart quotes, NBSP, emoji, combining marks, RTL marks, zero-width
characters). Properties: nothing but :class:`InputError` is ever raised, and every evidence span of a
record still points at its quote in the letter's original text.

The corpus is the committed sample letter, the synthetic letters in ``evals/synthetic/letters`` and, when
present, the real letters in ``../shared/letters``. Example counts are bounded so CI stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.errors import InputError
from imrassist.extract import extract
from imrassist.letter import letter_from_text
from tests.shared_data import HAVE_SHARED, SAMPLE, SHARED, SYNTHETIC


def _read(p: Path) -> str:
    return p.read_bytes().decode("utf-8")


COMMITTED = [SAMPLE, *sorted((SYNTHETIC / "letters").glob("*.txt"))]
SHARED_LETTERS = sorted((SHARED / "letters").glob("*.txt")) if HAVE_SHARED else []
CORPUS = {p.name: _read(p) for p in COMMITTED}
SHARED_CORPUS = {p.name: _read(p) for p in SHARED_LETTERS}

# Bounded for CI; IMRASSIST_FUZZ_EXAMPLES=2000 (say) for a deep run.
_N = int(os.environ.get("IMRASSIST_FUZZ_EXAMPLES", "150"))
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
FUZZ = settings(max_examples=_N, deadline=None, suppress_health_check=_SLOW_OK)
FUZZ_PIPELINE = settings(max_examples=max(10, _N // 4), deadline=None, suppress_health_check=_SLOW_OK)

UNICODE = [
    "\u2018", "\u2019", "\u201c", "\u201d",  # smart quotes
    "\u00a0", "\u202f", "\u2009",  # NBSP, narrow NBSP, thin space
    "\U0001f600", "\U0001f9d1\u200d\u2695\ufe0f",  # emoji, a ZWJ sequence
    "\u0301", "e\u0301", "\u0327",  # combining marks
    "\u200f", "\u200e", "\u202e", "\u202c",  # RTL / LTR marks and overrides
    "\u200b", "\u200d", "\ufeff",  # zero-width space / joiner, BOM
    "\u2013", "\u2014", "\u2212",  # dashes, minus
    "\u2028", "\u0085",  # line / next-line separators that are not \n
    "\uff11", "\u00bd", "\ufb01",  # full-width digit, vulgar fraction, ligature
    "\t", "\r", "\x0b",
]
FOOTERS = ["Page 2 of 4", "  Page 3 of 3  ", "CM17-0012345    Page 2 of 5", "- 2 -", "2/4", "Page 1",
           "Case Number: CM16-0241231 Page 4 of 6"]


@st.composite
def mutated(draw: Any, corpus: dict[str, str]) -> str:
    text = corpus[draw(st.sampled_from(sorted(corpus)))]
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        if not lines:
            lines = [""]
        op = draw(st.sampled_from(["drop", "dup", "swap", "move", "formfeed", "footer", "case", "unicode",
                                   "split", "join"]))
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[i]
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "move":  # a block of lines moves elsewhere (pages out of order)
            n = draw(st.integers(min_value=1, max_value=30))
            block, rest = lines[i:i + n], lines[:i] + lines[i + n:]
            j = draw(st.integers(min_value=0, max_value=len(rest)))
            lines = rest[:j] + block + rest[j:]
        elif op == "formfeed":
            lines[i] = "\f" * draw(st.integers(min_value=1, max_value=2)) + line
        elif op == "footer":
            lines[i:i] = ["", draw(st.sampled_from(FOOTERS)), "\f"]
        elif op == "case":
            how = draw(st.sampled_from(["upper", "lower", "title", "swapcase"]))
            lines[i] = getattr(line, how)()
        elif op == "unicode":
            for _ in range(draw(st.integers(min_value=1, max_value=4))):
                pos = draw(st.integers(min_value=0, max_value=len(lines[i])))
                lines[i] = lines[i][:pos] + draw(st.sampled_from(UNICODE)) + lines[i][pos:]
        elif op == "split" and len(line) > 2:
            pos = draw(st.integers(min_value=1, max_value=len(line) - 1))
            lines[i:i + 1] = [line[:pos], line[pos:]]
        elif op == "join" and i + 1 < len(lines):
            lines[i:i + 2] = [line + " " + lines[i + 1]]
    out = "\n".join(lines)
    if draw(st.booleans()) and draw(st.booleans()):
        out = out.replace("\n", "\r\n")
    return out


def _evidence(obj: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    if isinstance(obj, dict):
        if {"quote", "start", "end"} <= obj.keys():
            yield path, obj
        for k, v in obj.items():
            yield from _evidence(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _evidence(v, f"{path}.{i}")


def assert_extract_is_sound(text: str) -> None:
    try:
        letter = letter_from_text(text, "fuzzed.txt")
        record = extract(letter)
    except InputError as exc:  # the only acceptable failure: one line, names the file
        assert exc.one_line().startswith("fuzzed.txt: ") and "\n" not in exc.one_line()
        return
    assert letter.original == text
    n = 0
    for where, ev in _evidence(record.model_dump(mode="python")):
        n += 1
        assert 0 <= ev["start"] <= ev["end"] <= len(text), (where, ev)
        assert text[ev["start"]: ev["end"]] == ev["quote"], (where, ev)
    assert n > 0 and record.items


@FUZZ
@given(mutated(CORPUS))
def test_extractor_survives_mutated_letters(text: str) -> None:
    assert_extract_is_sound(text)


@pytest.mark.skipif(not HAVE_SHARED, reason=f"real sample letters not found at {SHARED} (set IMRASSIST_SHARED)")
@FUZZ
@given(mutated(SHARED_CORPUS or {"none": ""}))
def test_extractor_survives_mutated_real_letters(text: str) -> None:
    assert_extract_is_sound(text)


@FUZZ
@given(st.sampled_from(sorted(CORPUS)), st.data())
def test_any_prefix_or_suffix_is_an_input_error_at_worst(name: str, data: Any) -> None:
    """Letters cut anywhere (a download that stopped, a page torn off the front)."""
    text = CORPUS[name]
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert_extract_is_sound(text[:cut] if data.draw(st.booleans()) else text[cut:])


TOKENS = ["IMR ISSUES, DECISIONS AND RATIONALES", "CLINICAL CASE SUMMARY", "HOW THE IMR FINAL DETERMINATION WAS MADE",
          "ISSUES AT DISPUTE", "MAXIMUS FEDERAL SERVICES", "Independent Medical Review", "Upheld", "Overturned",
          "6 sessions of physical therapy", "Page(s): 98-99", "MTUS", "ACOEM", "ODG", "medically necessary",
          "October 19, 2012", "10/19/2012", "33-year-old male", "#60", ":", " ", "\n", "\n \n", "\f", "."]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS + UNICODE), max_size=200).map("".join))
def test_letter_shaped_noise(text: str) -> None:
    assert_extract_is_sound(text)


def test_every_unicode_insertion_keeps_spans_exact() -> None:
    """Deterministic companion: each odd character, at the start of every line of the sample."""
    base = CORPUS[SAMPLE.name]
    for ch in UNICODE:
        assert_extract_is_sound("\n".join(ch + line for line in base.split("\n")))


@FUZZ_PIPELINE
@given(mutated(CORPUS))
def test_whole_pipeline_never_fails_internally(text: str) -> None:
    """extract -> explain -> summarize -> check on a mutated letter: a result or an input error, never an
    internal error (``analyze_text`` turns any other exception into ``reason: internal``)."""
    import imrassist.pipeline as pipeline

    try:
        letter = letter_from_text(text, "fuzzed.txt")
        analysis = pipeline.analyze_letter(letter)
    except InputError:
        return
    broken = [f.message for f in analysis.findings.findings if f.code.startswith("CHECKS_")]
    assert not broken, broken  # a check that raised is reported as CHECKS_CHECK_FAILED and skipped
