"""The checks' fast paths give exactly what the plain versions give, and the known hot spots stay cold.

Whole-text regexes that start with ``\\b`` or a lookbehind make the regex engine try every position of a
text (about 60 ns a character); the checks instead find candidate places (a character class, ``str.find``
of the words a pattern can start with) and try the pattern there only. Each such rewrite is compared here
with the plain ``finditer`` on every text the repository holds (synthetic letters, their explanations,
our explanations and summaries of them) and on the shared letters when they are there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from imrassist import knowledge
from imrassist.checks import check, clear_caches, common, reference_record
from imrassist.checks.explanation import _sex_words
from imrassist.checks.facts import _CUE_RE, _CUE_STEMS, _LABEL_RE, _LABEL_STEMS
from imrassist.explain import explain, summarize
from imrassist.letter import normalize_fragment, read_letter
from imrassist.parse import SEX_RE, find_dates

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "evals" / "synthetic"


@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    paths = sorted((SYNTHETIC / "letters").glob("*")) + [SEED]
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    out: list[str] = []
    for p in paths:
        lt = read_letter(p)
        rec = reference_record(lt)
        out += [lt.original, lt.text, explain(rec, lang="en").text, explain(rec, lang="es").text, summarize(rec)]
    out += [p.read_text() for p in sorted((SYNTHETIC / "explanations").glob("*.md"))]
    out += ["* item\n  * sub **b** _i_ `c` x*y*z __u__ a * b\n> q\n1. one\n## h\n***x*** ``code`` [a](b)",
            "Really?! Yes. (Done.) \"Quoted.\" Next\n\nlower. Next",
            "Twice weekly for six weeks, 2X4, 3x/week x 4 weeks; dos veces por semana durante seis semanas",
            "A man, a Woman. female-male gentleman's boy girls lady mujer hombre Masculino; UpDate of Injury"]
    return tuple(out)


def _plain_sentences(text: str) -> list[tuple[int, int]]:
    rx = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡ÁÉÍÓÚÑ*_#-])|\n+")
    out, pos = [], 0
    for m in rx.finditer(text):
        s, e = common._trim(text, pos, m.start())
        if e > s:
            out.append((s, e))
        pos = m.end()
    s, e = common._trim(text, pos, len(text))
    if e > s:
        out.append((s, e))
    return out


def _plain_markdown(text: str) -> str:
    chars = list(text)

    def blank(s: int, e: int) -> None:
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = " "

    for m in common._MD_LINK.finditer(text):
        blank(m.start(), m.start() + 1)
        blank(m.end(1), m.end())
    for m in common._MD_MARKS.finditer(text):
        blank(m.start(), m.end())
    return "".join(chars)


def _plain_count_spans(text: str, lang: str) -> list[tuple[int, int]]:
    rx, firsts, out, pos = common._count_re(lang), common._first_number_words(lang), [], 0
    for t in common._TOKEN.finditer(text):
        if t.start() < pos or not (t.group(0)[0].isdigit() or t.group(0).lower() in firsts):
            continue
        m = rx.match(text, t.start())
        if m:
            out.append((m.start(), m.end()))
            pos = m.end()
    return out


def _spans(ms) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in ms]


def test_fast_paths_equal_the_plain_scans():
    for text in _texts():
        assert common.sentences(text) == _plain_sentences(text)
        assert common.strip_markdown(text) == _plain_markdown(text)
        for dmy in (False, True):
            assert [(d.start, d.end, d.date) for d in common.dates_in(text, dmy=dmy)] == \
                   [(d.start, d.end, d.date) for d in find_dates(text, dmy=dmy)]
        for lang in ("en", "es"):
            assert [(m.start(), m.end()) for m in common._count_matches(text, lang)] == _plain_count_spans(text, lang)
            phrase, nxm = common._freq_res(lang)
            starts = common._token_starts(text, common._freq_firsts(lang))
            assert _spans(common.matches_at(phrase, text, starts)) == _spans(phrase.finditer(text))
            digits = [m.start() for m in common._DIGIT_RUN.finditer(text)]
            assert _spans(common.matches_at(nxm, text, digits)) == _spans(nxm.finditer(text))
        assert _spans(common.StemScan(_LABEL_RE, _LABEL_STEMS, text).finditer()) == _spans(_LABEL_RE.finditer(text))
        cues = common.StemScan(_CUE_RE, _CUE_STEMS, text)
        for s, e in common.sentences(text)[:200]:
            assert _spans(cues.finditer(s, e)) == _spans(_CUE_RE.finditer(text, s, e))
        assert _sex_words(text, text.lower()) == [(m.start(), m.end()) for m in SEX_RE.finditer(text)]
        has_pages = bool(common.find_pages(text) or common._ES_PAGES_RE.search(text))
        assert bool(common.page_refs(text)) == has_pages


def test_quote_fast_path_equals_the_normaliser():
    common.fragment.cache_clear()
    for text in _texts()[:60:5]:  # letters' original texts: every 60th-character window
        for i in range(0, max(1, len(text) - 300), 60):
            q = text[i:i + 300]
            assert common.fragment(q) == normalize_fragment(q), q


def test_the_page_topic_index_is_built_once_per_knowledge_load(monkeypatch):
    """``letter._rows_for`` used to recompute a title key for every knowledge row of every citation (~430
    per check); now the rows are indexed once per load of the knowledge file."""
    lt = read_letter(SEED)
    check(lt, record=reference_record(lt))  # index built, caches warm
    calls = []
    real = knowledge.title_key
    monkeypatch.setattr(knowledge, "title_key", lambda t: calls.append(t) or real(t))
    check(lt, record=reference_record(lt))
    assert len(calls) < 10, len(calls)


def test_clear_caches_forgets_and_changes_nothing():
    lt = read_letter(SEED)
    rec = reference_record(lt)
    text = explain(rec, lang="en").text
    before = check(lt, record=rec, explanation=text)
    clear_caches()
    assert common.word_set.cache_info().currsize == 0
    assert check(lt, record=rec, explanation=text) == before


def test_benchmark_script_runs():
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "check_bench.py"), str(SEED), "--repeat", "2",
                          "--cold-repeat", "1"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert re.search(r"median over 1 letters \(CPU ms\): warm [\d.]+, cold [\d.]+, cold\+ref [\d.]+, pipeline", out.stdout)
