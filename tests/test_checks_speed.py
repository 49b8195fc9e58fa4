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


def test_sex_words_and_ages_where_lower_casing_is_not_case_folding():
    """Texts whose lower case is not what a case-insensitive pattern reads ("İ" lower-cases to two
    characters; "ſ" matches "s" and "ı" matches "i"): the fast paths give what the plain scans give."""
    for text in ("El paciente maſculino, 45 añoſ.", "İ1-YEAR-OLD", "İ1-Y/O", "A 45 year old MALE. İ", "a gırl",
                 "Tiene 45 añoſ. Es mujer.", "The FEMALE worker, 52 Y/O."):
        assert _sex_words(text, text.lower()) == [(m.start(), m.end()) for m in SEX_RE.finditer(text)], text
        _check_ages(text)


def test_quote_fast_path_equals_the_normaliser():
    common.fragment.cache_clear()
    for text in _texts()[:60:5]:  # letters' original texts: every 60th-character window
        for i in range(0, max(1, len(text) - 300), 60):
            q = text[i:i + 300]
            assert common.fragment(q) == normalize_fragment(q), q
    # Quotes over a page end (one page break: the fast path), with a footer or a running header (not).
    for q in ["The Claims Administrator did not cite any medical evidence for its \n\n\x0cdecision.",
              "The injections \n \nPage 5 of 6 \n\n\x0care not medically necessary.",
              "knee stepping off a ladder on \n\n\x0cIMR Case Number CM14-0130817   Page 2 of 2 \n06/02/2013.",
              "one page \n\x0cHeader line\nbody text \n\x0cHeader line\nmore text.",
              "a page \n\x0cHeader line\nbody text\x0c goes on\nand on.", "mid \x0c line\nnext line",
              "\x0cPage 3\nfirst words", "follow-\n\x0cup visits", "Page 2 of 3\x0c"]:
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


# ------------------------------------------------------------------------------------------------------------
# The fast paths of the byte-table / gated scans (checks.common, checks.explanation), each pinned to the plain
# scan it replaces, on every repository text and on generated texts (other scripts' digits, superscripts,
# accents, "ſ", the Kelvin sign, "İ", glued tokens, upper case). The plain versions are written out here, from
# the patterns themselves, so that an edit of the fast path cannot quietly change what it finds.

from bisect import bisect_left  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from imrassist.checks.explanation import (  # noqa: E402
    _AGE_HINT,
    _REQUEST_STEMS,
    _ages,
    _ages_in,
    _case_numbers,
    _sentences,
    _sentences_holding,
)
from imrassist.parse import word_alternation  # noqa: E402

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that make the fast paths take or leave their Latin-1 / ASCII branch: digits of other scripts
#: (Arabic-Indic, Devanagari, fullwidth), superscripts and fractions (not \d), accents, "ſ" and the Kelvin
#: sign (case-insensitive "s"/"k"), "İ" (lower-casing changes the length), "µ"/"ª" (Latin-1 letters).
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()_#>*+`"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD
LATIN1 = "abeiknostwxyzAOSWX0123456789" + PUNCT + "²³¹¼éíñÁÉüßµªº×"


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 40) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


def _plain_digit_runs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\d+", text)]


@settings(FAST)
@given(st.text(alphabet=LATIN1, max_size=80) | st.text(alphabet=CHARS, max_size=80)
       | st.text(max_size=40) | _texts_of(["12", "٣٤", "３", "x²", "7¼", "a1b", "0"]))
def test_digit_runs_equal_the_plain_scan(text):
    """The byte-table mask (Latin-1 text) and its fallback (other text: ``\\d`` of every script) find the
    spans of ``\\d+``; "²", "¼" are no digits, "٣", "३", "３" are."""
    assert common._find_digit_runs(text) == _plain_digit_runs(text)
    assert common._digit_runs(text) == _plain_digit_runs(text)
    assert common._digit_starts(text) == [s for s, _ in _plain_digit_runs(text)]


def test_digit_runs_equal_the_plain_scan_on_the_corpus():
    for text in _texts():
        assert common._find_digit_runs(text) == _plain_digit_runs(text)
    for text in ("١٢ and 12", "x² = 4", "ab12", "12", "", "３日 9", "1\u0661", "Page 1 of 2.", "5¹⁰"):
        assert common._find_digit_runs(text) == _plain_digit_runs(text), text


#: The word sets the number tokens are looked for with: each language's count and frequency first words,
#: and the union a check run scans once (common._FIRSTS_BY_LANG).
_WORD_SETS = (common._first_number_words("en"), common._first_number_words("es"), common._freq_firsts("en"),
              common._freq_firsts("es"), *common._FIRSTS_BY_LANG, frozenset({"dieciséis", "veintidós", "µa", "ten"}))
NUMBER_VOCAB = sorted(set().union(*_WORD_SETS)) + [
    "often", "tent", "dieciséis", "veintidós", "DIECISÉIS", "twenty-four", "a dozen", "seven's", "six6", "6six",
    "_one", "one_", "-two-", "ſix", "ſeis", "Kilo", "İki", "uno\u0301", "µone", "oneª", "x", "times", "week"]


def _plain_number_tokens(text: str, words: frozenset[str]) -> tuple[list[int], list[tuple[int, str]]]:
    """The number tokens as they were found before the masked byte copy: ``\\d+`` runs, and the trie of
    ``words`` run over the lower-cased text, keeping the matches that are a whole run of letters."""
    digits = [s for s, _ in _plain_digit_runs(text)]
    found = []
    if words:
        low = text.lower()
        for m in re.finditer(rf"(?:{word_alternation(words)})(?![^\W\d_])", low):
            if m.start() == 0 or not re.match(r"[^\W\d_]", low[m.start() - 1]):
                found.append((m.start(), m.group()))
    return digits, found


def _plain_token_starts(text: str, firsts: frozenset[str]) -> list[int]:
    return [t.start() for t in re.finditer(r"\d+|[^\W\d_]+", text)
            if t.group()[0].isdecimal() or t.group().lower() in firsts]  # (isdecimal: \d, not "²")


def _check_number_tokens(text: str) -> None:
    if len(text.lower()) != len(text):  # ("İ": _token_starts reads such a text token by token, as before)
        return
    for words in _WORD_SETS:
        assert common._number_tokens(text, words) == _plain_number_tokens(text, words), (text, sorted(words)[:5])
        assert common._token_starts(text, words) == _plain_token_starts(text, words), text


@settings(FAST)
@given(_texts_of(NUMBER_VOCAB) | _texts_of(NUMBER_VOCAB, LATIN1))
def test_number_tokens_equal_the_trie_scan(text):
    """Number words found in the letter-masked Latin-1 byte copy are the whole letter runs the trie finds
    in the lower-cased text (accented words, glued to digits, "_", hyphens, apostrophes; "ſ", Kelvin sign
    and other non-Latin-1 text take the trie)."""
    _check_number_tokens(text)


def test_number_tokens_equal_the_trie_scan_on_the_corpus():
    for text in _texts():
        _check_number_tokens(text)
    for text in ("Dieciséis veces, VEINTIDÓS semanas; diecisé is", "ſix and six", "SIX ten often 6ten ten6 ten_",
                 "twenty-four o'clock, seven's", "µone ªone oneº one", "dieciseis\u0301 dos"):
        _check_number_tokens(text)


def _plain_frequencies(text: str, lang: str) -> list[common.Frequency]:
    """:func:`common.frequencies` with both patterns run over the whole text (``finditer``)."""
    phrase, nxm = common._freq_res(lang)
    out = []
    for m in phrase.finditer(text):
        per = tuple(v for v in (common._number(m.group("fa"), lang), common._number(m.group("fb"), lang) if m.group("fb") else None) if v is not None)
        dur = tuple(v for v in (common._number(m.group("da"), lang), common._number(m.group("db"), lang) if m.group("db") else None) if v is not None)
        if not per or not dur:
            continue
        period = "month" if common.fold(m.group("period")).startswith(("mo", "mes", "mens")) else "week"
        unit = "month" if common.fold(m.group("unit")).startswith(("mo", "mes")) else "week"
        out.append(common.Frequency(per, period, dur, unit, m.start(), m.end()))
    for m in nxm.finditer(text):
        if any(f.start <= m.start() < f.end for f in out):
            continue
        da = int(m.group("da"))
        if 1 <= da <= 52:
            out.append(common.Frequency((float(m.group("fa")),), "week", (float(da),), "week", m.start(), m.end()))
    out.sort(key=lambda f: f.start)
    return out


FREQ_VOCAB = [
    "twice", "three", "six", "a dozen", "a single", "a hundred", "one", "2", "3", "12", "1.5", "times", "x", "×",
    "visits", "sessions", "a", "an", "per", "each", "every", "/", "week", "weeks", "weekly", "wk", "wks", "month",
    "months", "for", "over", "during", "a total of", "the next", "to", "or", "-", "–", "dos", "seis", "dieciséis",
    "veces", "vez", "sesiones", "a la", "al", "por", "cada", "semana", "semanal", "semanas", "mes", "meses",
    "mensual", "durante", "en", "un total de", "las próximas", "2X4", "3x6", "8x4", "7x2", "1X1", "2week", "3/wk", "1 x 10", "4x2mg", "2x3.", "x12",
    ".", ",", " ", " ", " ", "\n", "_", "é", "K"]
#: (Not "ſ": see test_frequencies_equal_the_plain_scan.)
FREQ_CHARS = CHARS.replace("ſ", "")


@settings(FAST)
@given(_texts_of(FREQ_VOCAB, FREQ_CHARS, 30), st.sampled_from(["en", "es"]))
def test_frequencies_equal_the_plain_scan(text, lang):
    """The phrase tried only before the last period word its tail matches at, from the number tokens, and
    "2X4" only at one-digit runs: the frequencies of the whole-text ``finditer`` of both patterns.

    (Generated texts leave out "ſ": a case-insensitive pattern reads it as "s", the number-token starts
    and the 'week'/'semana' substring gate, as lower-casing, do not: "dos veces por ſemana durante seis
    meſes" has a frequency for ``finditer`` and none for :func:`common.frequencies`, as before the fast
    paths of this file were written.)"""
    assert common.frequencies(text, lang) == _plain_frequencies(text, lang), text


def test_frequencies_equal_the_plain_scan_on_the_corpus():
    for text in _texts():
        for lang in ("en", "es"):
            assert common.frequencies(text, lang) == _plain_frequencies(text, lang)
    for text, lang, n in [("Twice weekly for six weeks, 2X4, 3x/week x 4 weeks", "en", 3),
                          ("three times a week for 4 weeks then 2x4; six visits per month for 2 months", "en", 3),
                          ("a dozen times a month for 2 months", "en", 1), ("a week for 6 weeks", "en", 0),
                          ("dos veces por semana durante seis semanas; 2X4", "es", 2),
                          ("dieciséis sesiones al mes durante 3 meses", "es", 1),
                          ("2 x 4 mg, 12x4, 2x4.5, 7x60", "en", 0), ("é 3 times a week for 6 weeks", "en", 1),
                          ("2week for 6 weeks", "en", 1), ("1wk for 2 wks; 7x4, 7 X 2 and 1x1", "en", 4),
                          ("2 por semana por 3 semanas", "es", 1)]:
        got = common.frequencies(text, lang)
        assert got == _plain_frequencies(text, lang) and len(got) == n, (text, got)


_PLAIN_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+.*$")
MD_VOCAB = ["#", "##", "######", "#######", " ", "\t", "\n", "\n\n", "> ", ">", "- ", "* ", "+ ", "1. ", "12) ",
            "123. ", "٣. ", "**", "__", "*", "`", "``", "a*b", " *x* ", "_i_", "text", "x#y", "[a](b)", "\r"]


def _check_markdown(text: str) -> None:
    assert common.heading_lines(text) == [m.span() for m in _PLAIN_HEADING.finditer(text)], text
    assert common._md_spans(text) == [m.span() for m in common._MD_MARKS.finditer(text)], text
    assert common.strip_markdown(text) == _plain_markdown(text), text


@settings(FAST)
@given(_texts_of(MD_VOCAB, CHARS, 30))
def test_markdown_lines_equal_the_plain_scan(text):
    """Heading lines tried only at the lines holding "#", and the line marks only at the lines that start
    (after blanks) with one of their characters: the whole-text ``(?m)^`` scans."""
    _check_markdown(text)


def test_markdown_lines_equal_the_plain_scan_on_the_corpus():
    for text in _texts():
        _check_markdown(text)
    for text in ("# a\n## b\n  ### c\n####### no\n#no\nx # no", "a\n#\n# \n#\t#", "#", "\n\n   # x #", "x\n1. y\n> z"):
        _check_markdown(text)
    text = "# a\n## b\n  ### c\n####### no\n#no\nx # no\n#\t#"
    assert [text[s:e] for s, e in common.heading_lines(text)] == ["# a", "## b", "  ### c", "#\t#"]


_PLAIN_CASE_NO = re.compile(r"[A-Z]{1,4}\d{2}-\d{4,8}\b")
CASE_VOCAB = ["ADJ", "A", "AB", "ABCD", "ABCDE", "adj", "12", "123", "-", "1234", "12345678", "123456789", "x",
              " ", "_", "٣٤", "ADJ12-1234567", "ADJ1234-5678", "É", ".", "\n"]


@settings(FAST)
@given(_texts_of(CASE_VOCAB, CHARS, 30))
def test_case_numbers_equal_the_plain_scan(text):
    """Case numbers tried only up to four characters before a digit run that follows a capital."""
    assert [m.span() for m in _case_numbers(text)] == [m.span() for m in _PLAIN_CASE_NO.finditer(text)], text


def test_case_numbers_equal_the_plain_scan_on_the_corpus():
    for text in _texts():
        assert [m.span() for m in _case_numbers(text)] == [m.span() for m in _PLAIN_CASE_NO.finditer(text)]
    text = "ADJ12345678, ADJ12-1234567 and XADJ12-1234 and AB12-12345678 ADJ12-1234567X Z9 ABCDE12-1234"
    assert [m.group() for m in _case_numbers(text)] == ["ADJ12-1234567", "XADJ12-1234", "AB12-12345678", "BCDE12-1234"]


def _plain_ages(text: str, sents, lang: str) -> list[tuple[int, int, int]]:
    """:func:`_ages` searching every sentence for the hint (no marks)."""
    ages: list[tuple[int, int, int]] = []
    for sn in sents:
        if _AGE_HINT.search(text, sn.start, sn.end):
            ages.extend(_ages_in(text, sn.start, sn.end, lang))
    return ages


def _hinted(text: str, sents) -> list[int]:
    return [i for i, sn in enumerate(sents) if _AGE_HINT.search(text, sn.start, sn.end)]


AGE_VOCAB = ["old", "OLD", "year", "years", "-year-old", " year old", "45", "7", "yo", "y/o", "y/ o", "you", "your",
             "of", " of age", "age", "aged", "ages", "agent", "años", "anos", "edad", "He is ", "She was ", "a ", " ",
             ". ", "! ", "\n", "\n\n", "(", ")", "\"", "'", "_", "*", "#", "-", "/", "é", "bold", "yoyo", "toyo"]


def _check_ages(raw: str) -> None:
    text = common.strip_markdown(raw)
    sents = _sentences(text, raw)
    for lang in ("en", "es"):
        assert _ages(text, sents, lang) == _plain_ages(text, sents, lang), (raw, lang)
    if text.isascii():
        # The marks gate every sentence the hint is found in (a sentence with an age says nothing of that).
        marks = sorted(set(common.stem_positions(("old", "age", "y/o", "anos"), text.lower()))
                       | {m.start() for m in re.finditer(r"yo(?!\w)", text.lower())})
        for i in _hinted(text, sents):
            k = bisect_left(marks, sents[i].start)
            assert k < len(marks) and marks[k] < sents[i].end, (raw, sents[i])


@settings(FAST)
@given(_texts_of(AGE_VOCAB, CHARS, 30))
def test_age_hint_marks_equal_the_plain_search(text):
    """Sentences searched for an age only when they hold 'old', 'age', 'y/o', 'anos' or a word-final 'yo'
    (ASCII text): the ages of searching every sentence the hint pattern matches in."""
    _check_ages(text)


def test_age_hint_marks_equal_the_plain_search_on_the_corpus():
    hinted = 0
    for text in _texts():
        _check_ages(text)
        hinted += bool(_hinted(common.strip_markdown(text), _sentences(common.strip_markdown(text), text)))
    assert hinted > 20  # (the corpus does exercise the gate)
    for text in ("He is 45 yo. You are 45 yo\nAge 45. She was 45 y/o (yo)", "Tiene 45 anos. Tiene 45 años.", "Tiene 45 anos.",
                 "A 45-year-old man. Of age: 45. 45 YO", "Bold 45 yo_ x 45 yo"):
        _check_ages(text)
    text = "He is 45 yo. You are 45 yo. Tiene 46 anos. A man aged 47. A 48 y/o man. 49 years old"
    assert [a for a, _, _ in _ages(text, _sentences(text, text), "en")] == [45, 45, 46, 47, 48, 49]


def _plain_asking(text: str, sents, stems) -> set[int]:
    return {i for i, sn in enumerate(sents) if any(k in text[sn.start:sn.end].lower() for k in stems)}


REQUEST_VOCAB = ["asked for", "ASKED", "requested", "request", "Request", "want", "wanted you to get", "pidió",
                 "PIDIÓ", "solicitó", "solicit", "mask", "task", "re", "quest", "as", "k", " ", ". ", "\n", "\n\n",
                 "? ", "Yes. ", "# ", "\"", "İ", "ſ", "K", "é", "Σ"]


def _check_asking(raw: str) -> None:
    text = common.strip_markdown(raw)
    sents = _sentences(text, raw)
    low = text.lower()
    for stems in _REQUEST_STEMS.values():
        got = _sentences_holding(text, low, sents, stems)
        if len(low) != len(text):
            assert got is None
        else:
            assert got == _plain_asking(text, sents, stems), (raw, stems)


@settings(FAST)
@given(_texts_of(REQUEST_VOCAB, CHARS, 30))
def test_request_sentences_equal_the_plain_search(text):
    """The request words looked for once in the whole text select the sentences a per-sentence search of
    their lower-cased text selects (a word cut by a sentence end is in neither)."""
    _check_asking(text)


def test_request_sentences_equal_the_plain_search_on_the_corpus():
    for text in _texts():
        _check_asking(text)
    text = "The doctor asked for therapy. No. I want it\nWe req\nuest. Pidió terapia."
    sents = _sentences(text, text)
    assert _sentences_holding(text, text.lower(), sents, _REQUEST_STEMS["en"]) == {0, 2}
    assert _sentences_holding(text, text.lower(), sents, _REQUEST_STEMS["es"]) == {5}


_SUFFIXES = ("ation", "ations", "ator", "ators", "ion", "ions", "or", "ors", "er", "ers", "ing", "ed", "ies", "es", "s")


@lru_cache(maxsize=1)
def _corpus_words() -> frozenset[str]:
    out: set[str] = set()
    for text in _texts():
        out.update(common.words(text))
    return frozenset(out)


def _check_families(ws, xs) -> None:
    """``stem(x) == stem(w)`` exactly when ``x in stem_family(w)``, for every w of ``ws`` and x of ``xs``."""
    by_stem: dict[str, set[str]] = {}
    for x in xs:
        by_stem.setdefault(common.stem(x), set()).add(x)
    for w in ws:
        fam = common.stem_family(w)
        s = common.stem(w)
        assert w in fam and all(common.stem(c) == s for c in fam), (w, sorted(fam))
        assert by_stem.get(s, set()) == fam & xs, (w, sorted(by_stem.get(s, set()) ^ (fam & xs)))


def test_stem_family_is_the_words_of_the_same_stem_on_the_corpus():
    vocab = _corpus_words()
    ws = sorted(vocab)
    xs = set(vocab)
    for w in ws:
        s = common.stem(w)
        xs.update(s + x for x in _SUFFIXES)
        xs.update(w + x for x in _SUFFIXES)
        xs.update(s[:-1] + x for x in _SUFFIXES)
    _check_families(ws, frozenset(xs))
    # (families that are not just "the stem and its endings")
    assert common.stem_family("fusion") >= {"fusion", "fusioned"} and "fusions" not in common.stem_family("fusion")
    assert common.stem_family("stimulator") >= {"stimulation", "stimulators", "stimuls", "stimul"}
    assert "stimulat" not in common.stem_family("stimulator")


_WORD_PART = st.text(alphabet="abcdeginorstuáñ", min_size=0, max_size=7)


@settings(FAST)
@given(st.lists(st.tuples(_WORD_PART, st.sampled_from(("",) + _SUFFIXES), st.sampled_from(("",) + _SUFFIXES)),
                min_size=1, max_size=12))
def test_stem_family_is_the_words_of_the_same_stem(parts):
    """Generated words with zero, one or two endings: a word's family holds every word of its stem among
    them and the stem with each ending, and only words of its stem."""
    ws = {p + a + b for p, a, b in parts} - {""}
    xs = set(ws)
    for w in list(ws):
        s = common.stem(w)
        xs.update(s + x for x in _SUFFIXES)
        xs.update(s + x + y for x in _SUFFIXES for y in ("", "s", "es"))
    _check_families(sorted(ws), frozenset(xs))


def _plain_treatment_vocab(name: str) -> frozenset[str]:
    vocab = set(common.mapped_words(name))
    low = " " + " ".join(common.words(name)) + " "
    for keys, adds in common._glossary_keys():
        if any(k in low for k in keys):
            vocab |= adds
    for cls, members in common._CLASSES.items():
        if vocab & members:
            vocab.add(cls)
    return frozenset(vocab)


def test_treatment_vocab_index_equals_every_key_tested():
    # treatment_vocab looks up only the glossary keys a name's own words start; the plain version tests
    # every key: the same vocabulary for every glossary spelling, and for names made of corpus phrases
    names = [m for _, matches, _, _ in common._glossary_terms() for m in matches]
    names += [t for t, _, _, _ in common._glossary_terms()]
    names += ["Retrospective TENS unit rental x 30 days", "Lidoderm 5% patch #30", "H-wave home device",
              "physical therapy 2x6 lumbar", "MRI of the right knee without contrast", "acupuncture, 6 sessions"]
    for text in _texts()[:6]:
        names += [ln.strip() for ln in text.splitlines() if 3 < len(ln.strip()) < 80][:60]
    assert len(names) > 200
    for n in names:
        assert common.treatment_vocab.__wrapped__(n) == _plain_treatment_vocab(n), n
