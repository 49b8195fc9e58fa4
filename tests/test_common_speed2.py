"""The second round of fast paths of the shared check helpers (checks.common) give exactly what the plain
versions give: word_set (compounds found by str.find, no plural step for a text without a run ending in
"s"), mapped_words (the mapped words found by a set intersection), treatment_vocab (classes by
isdisjoint), fragment (separators looked for with "in"), dates_in (windows joined before they are moved
to a word start, "\\S*" for the end) and the token starts (no lower-casing of an ASCII text).

Each plain version is written out here as the code was before its fast path. They are compared on every
text the repository holds (and the shared letters when they are there: see tests/test_common_speed.py,
whose corpus this file reads) and on generated text: digits of other scripts, accents, "ſ", the Kelvin
sign, "İ", superscripts, glued tokens, exotic white space, mixed case.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from imrassist.checks import common
from imrassist.letter import normalize_fragment
from imrassist.parse import DateMatch, find_dates, singular

from tests.test_common_speed import CHARS, FAST, NORM_CHARS, NORM_VOCAB, ODD, WORD_VOCAB, _pieces, _texts, _texts_of

# ------------------------------------------------------------------------------------------------- words

_PLAIN_WORD_RE = re.compile(r"[a-z0-9%]+(?:[-/][a-z0-9]+)*")


def _plain_word_set(text: str) -> frozenset[str]:
    toks = set(_PLAIN_WORD_RE.findall(common.fold(text)))
    out = set(toks)
    out.update([singular(w) for w in toks if w[-1] == "s" and len(w) > 3])
    for w in [w for w in toks if "-" in w or "/" in w]:
        out.update([p for p in re.split(r"[-/]", w) if p])
    return frozenset(out)


def _plain_mapped_words(text: str) -> frozenset[str]:
    ws = _plain_word_set(text)
    return ws | {common._WORD_MAP[w] for w in ws if w in common._WORD_MAP}


def _plain_treatment_vocab(name: str) -> frozenset[str]:
    vocab = set(_plain_mapped_words(name))
    low = " " + " ".join(common.words(name)) + " "
    for keys, adds in common._glossary_keys():
        if any(k in low for k in keys):
            vocab |= adds
    for cls, members in common._CLASSES.items():
        if vocab & members:
            vocab.add(cls)
    return frozenset(vocab)


def test_every_mapped_word():
    for w in common._WORD_MAP:
        for text in (w, f"a {w} b", f"{w}-x", f"{w}s", w.upper()):
            _assert_words(text)


def _assert_words(text: str) -> None:
    runs = common._word_runs(text)
    assert common._compound_runs(runs) == {r for r in runs.split() if "-" in r or "/" in r}, text
    assert common.word_set.__wrapped__(text) == _plain_word_set(text), text
    assert common.mapped_words.__wrapped__(text) == _plain_mapped_words(text), text


#: Plurals glued to a separator that no token takes ("abs-", "glasses/", "tests--x"), Spanish and plain
#: words the map knows, class members.
PLURAL_VOCAB = WORD_VOCAB + ["glasses-", "abs/", "tests--", "/pills", "rays-/", "ss", "s", "shots", "rides", "x-rays",
                             "inyecciones", "cirugía", "masajes", "Tens", "e-stim", "block", "films", "sss"]


@FAST
@given(_texts_of(PLURAL_VOCAB) | st.text(alphabet=CHARS, max_size=60) | st.text(max_size=30))
def test_word_sets_equal_the_plain_reading(text):
    _assert_words(text)


def test_word_sets_equal_the_plain_reading_on_the_corpus():
    for text in _texts() + _pieces():
        _assert_words(text)


TREATMENT_VOCAB = ["lumbar", "epidural", "steroid", "injection", "injections", "tens", "unit", "x-rays", "films", "mri",
                   "of the", "knee", "urine", "drug", "screen", "consult", "cirugía", "rodilla", "physical", "therapy",
                   "h-wave", "bone", "scan", "ESI", "Block", "surgery", "arthroscopic"]


@FAST
@given(_texts_of(TREATMENT_VOCAB, " -/,()", 8))
def test_treatment_vocab_equals_the_plain_lookup(name):
    assert common.treatment_vocab.__wrapped__(name) == _plain_treatment_vocab(name), name


def test_treatment_vocab_equals_the_plain_lookup_on_the_corpus():
    from imrassist.checks import reference_record
    from tests.test_common_speed import _letters

    names = {it.treatment.value for lt in _letters() for it in reference_record(lt).items}
    names |= {p for p in _pieces() if len(p) < 120}
    assert len(names) > 100
    for name in names:
        assert common.treatment_vocab.__wrapped__(name) == _plain_treatment_vocab(name), name


# ------------------------------------------------------------------------------------------------ quotes


def _assert_fragment(quote: str) -> None:
    assert common.fragment.__wrapped__(quote) == normalize_fragment(quote), quote


@FAST
@given(_texts_of(NORM_VOCAB + ["\x1c", "\x1d", "\x1e", "\x1f", "a\x1fb", "\n\x1e\n"], NORM_CHARS + "\x1c\x1f", 30))
def test_quotes_equal_the_normaliser(quote):
    _assert_fragment(quote)


def test_quotes_equal_the_normaliser_on_the_corpus():
    for text in _texts():
        for i in range(0, max(1, len(text) - 300), 53):
            for n in (30, 200):
                _assert_fragment(text[i:i + n])


# ------------------------------------------------------------------------------------------------- dates


def _plain_date_windows(text: str) -> list[list[int]]:
    windows: list[list[int]] = []
    for m in re.finditer(r"\d+", text):
        s0, e0 = m.span()
        if not (e0 - s0 == 4 and text[s0:s0 + 2] in ("19", "20") or common._NUMERIC_DATE.match(text, e0 - 1)):
            continue
        a, b = max(0, s0 - 40), min(len(text), e0 + 14)
        while a > 0 and not text[a - 1].isspace():
            a -= 1
        while b < len(text) and not text[b].isspace():
            b += 1
        if windows and a <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], b)
        else:
            windows.append([a, b])
    return windows


def _plain_dates_in(text: str, *, dmy: bool = False) -> list:
    out = []
    for a, b in _plain_date_windows(text):
        for d in find_dates(text[a:b], dmy=dmy):
            out.append(DateMatch(d.start + a, d.end + a, d.date, d.text, d.style) if a else d)
    return out


def _assert_dates(text: str) -> None:
    assert common._date_windows(text) == _plain_date_windows(text), text
    for dmy in (False, True):
        assert common.dates_in(text, dmy=dmy) == _plain_dates_in(text, dmy=dmy), text


def test_date_windows_that_nearly_meet():
    """Two dates at every distance around where their windows meet, after words of every length and
    after each kind of white space."""
    for gap in range(30, 60):
        for word in ("", "x", "abcdefghij", "x" * 45):
            for sp in (" ", "\n", "\t", "\x1f", "\xa0", "\u2009"):
                for tail in ("", " ", "x" * 20 + " "):
                    text = f"on 3/4/2019{tail}" + "y" * gap + sp + word + "2020 and 12-5-19" + sp + "z"
                    _assert_dates(text)


#: Dates and near-dates, with every kind of white space (str.isspace's, which \s follows) and no white space.
DATE_VOCAB = ["2019", "1999", "19", "20", "2105", "12/3/2019", "1-2-17", "10.19.12", "3/4", "1/2/", "January", "Jan.",
              "March 3, 2020", "on", "dated", "Amar", "12-5-19", "2019-01-02", "x" * 30, "٢٠١٩", "１９", "20١9"]
SPACES = " \n\t\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2009\u2028\u3000\ufeff\u200b"


@FAST
@given(_texts_of(DATE_VOCAB, SPACES + "/.-,:" + ODD + "abc0123456789", 40))
def test_dates_equal_the_plain_windows(text):
    _assert_dates(text)


def test_dates_equal_the_plain_windows_on_the_corpus():
    for text in _texts():
        _assert_dates(text)
    for text in _pieces():
        _assert_dates(text)


# ---------------------------------------------------------------------------------------- token starts


def _plain_token_starts(text: str, firsts: frozenset[str]) -> list[int]:
    low = text.lower()
    if len(low) != len(text):
        return [t.start() for t in common._TOKEN.finditer(text) if t.group(0)[0].isdigit() or t.group(0).lower() in firsts]
    group = common._firsts_group(firsts)
    digits, words = common._number_tokens(text, firsts if group is None else group)
    return sorted(digits + [i for i, w in words if w in firsts])


FIRSTS = [common._first_number_words("en"), common._freq_firsts("en"), common._first_number_words("es"),
          common._freq_firsts("es")]
NUMBER_VOCAB = ["six", "Six", "SIX", "twice", "a", "A", "dozen", "once", "seis", "veintiún", "diez", "12", "٣", "İ", "ſix",
                "Kelvin", "often", "tenet"]


@FAST
@given(_texts_of(NUMBER_VOCAB, CHARS, 30))
def test_token_starts_equal_the_plain_scan(text):
    for firsts in FIRSTS:
        assert common._token_starts(text, firsts) == _plain_token_starts(text, firsts), text


def test_token_starts_equal_the_plain_scan_on_the_corpus():
    for text in _texts() + _pieces():
        for firsts in FIRSTS:
            assert common._token_starts(text, firsts) == _plain_token_starts(text, firsts), text


# --------------------------------------------------------------------------------------------- sentences


def _plain_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    out = []
    pos = start
    for m in common._SENT_END.finditer(text, start, end):
        stop = m.start("sp")
        if stop < 0:
            stop = m.start()
        body = text[pos:stop].lstrip()
        if body:
            s = stop - len(body)
            out.append((s, s + len(body.rstrip())))
        pos = m.end()
    body = text[pos:end].lstrip()
    if body:
        s = end - len(body)
        out.append((s, s + len(body.rstrip())))
    return out


def _assert_sentences(text: str) -> None:
    assert common.sentences(text) == _plain_sentences(text), text
    n = len(text)
    for a, b in ((1, n), (0, n - 1), (n // 3, 2 * n // 3), (n // 2, n)):
        assert common.sentences(text, a, b) == _plain_sentences(text, a, b), (text, a, b)


SENTENCE_VOCAB = ["Dr. Smith", "e.g. the", "The end.", "Yes!", "Why?", "\n", "\n\n", " \n ", ".\n", ". ", ".  ", '." ', ".) ",
                  '"A', "(B", "¿Qué", "Ñ", "1.5", "A. B. C.", "x", "...", "\u2009", "\xa0", "\x1f", "\u3000", "* item", "# Head"]


@FAST
@given(_texts_of(SENTENCE_VOCAB, " \n\t.!?'\")(Aa1" + ODD, 40))
def test_sentences_equal_the_plain_scan(text):
    _assert_sentences(text)


def test_sentences_equal_the_plain_scan_on_the_corpus():
    for text in _texts():
        _assert_sentences(text)


# ------------------------------------------------------------------------------------------- frequencies


def _plain_frequencies(text: str, lang: str = "en") -> list:
    from bisect import bisect_left

    from imrassist.parse import matches_at, stem_positions

    lang = "es" if lang == "es" else "en"
    phrase, nxm = common._freq_res(lang)
    out = []
    low = text.lower()
    if any(w in low for w in (("week", "wk", "month") if lang == "en" else ("semana", "mes"))):
        firsts = common._freq_firsts(lang)
        if lang == "en" and not any(w in low for w in ("dozen", "single", "hundred")):
            firsts = firsts - {"a"}
        if text.isascii():
            tail = common._freq_tail(lang)
            last = max((p for p in stem_positions(common._PERIOD_STEMS[lang], low) if tail.match(text, p)), default=-1)
            starts = common._token_starts(text, firsts) if last >= 0 else []
            starts = starts[:bisect_left(starts, last)]
        else:
            starts = common._token_starts(text, firsts)
    else:
        starts = []
    for m in matches_at(phrase, text, starts):
        num = common._number
        per = tuple(v for v in (num(m.group("fa"), lang), num(m.group("fb"), lang) if m.group("fb") else None) if v is not None)
        dur = tuple(v for v in (num(m.group("da"), lang), num(m.group("db"), lang) if m.group("db") else None) if v is not None)
        if not per or not dur:
            continue
        period = "month" if common.fold(m.group("period")).startswith(("mo", "mes", "mens")) else "week"
        unit = "month" if common.fold(m.group("unit")).startswith(("mo", "mes")) else "week"
        out.append(common.Frequency(per, period, dur, unit, m.start(), m.end()))
    single = [s for s, e in common._digit_runs(text) if e - s == 1 and text[s] in "1234567"]
    for m in matches_at(nxm, text, single):
        if any(f.start <= m.start() < f.end for f in out):
            continue
        da = int(m.group("da"))
        if 1 <= da <= 52:
            out.append(common.Frequency((float(m.group("fa")),), "week", (float(da),), "week", m.start(), m.end()))
    out.sort(key=lambda f: f.start)
    return out


def test_only_x_and_the_times_sign_are_the_2x4_patterns_x():
    """The "2X4" gate looks for "x" in the lower-cased text and for "×": every character the pattern's
    case-insensitive "[x×]" takes is one of those."""
    rx = re.compile("[x×]", re.IGNORECASE)
    takes = [chr(c) for c in range(0x110000) if rx.match(chr(c))]
    assert all(c.lower() == "x" or c == "×" for c in takes), takes


FREQ_VOCAB = ["2", "3", "7", "8", "x", "X", "×", "4", "12", "2x4", "3X6", " x ", "times a week", "week", "weeks", "wk", "month",
              "for", "twice", "a dozen", "single", "veces por semana", "semanas", "mes", "durante", "mg", "ml", "1.", "a"]


def _assert_frequencies(text: str) -> None:
    for lang in ("en", "es"):
        assert common.frequencies(text, lang) == _plain_frequencies(text, lang), text


def test_frequencies_named_each_way():
    """A phrase for each word the gates look for, alone in its text."""
    for text in ["2×4", "2X4", "3x6 weeks", "PT 2 times per wk for 6 wks", "2 times a month for 3 months",
                 "a hundred times a week for 2 weeks", "a dozen times a week for 2 weeks", "a single visit a week for 4 weeks",
                 "once a week for 4 weeks", "3 veces por semana durante 4 semanas", "2 veces al mes durante 3 meses"]:
        assert common.frequencies(text, "es" if "veces" in text else "en"), text
        _assert_frequencies(text)


@FAST
@given(_texts_of(FREQ_VOCAB, " -/.,\n" + ODD, 30))
def test_frequencies_equal_the_plain_scan(text):
    _assert_frequencies(text)


def test_frequencies_equal_the_plain_scan_on_the_corpus():
    for text in _texts() + _pieces():
        _assert_frequencies(text)
