"""More of the explanation's fast paths give exactly what the plain versions give.

* ``plain.numbers_in`` reads an ASCII text's numbers from its runs of digits and points (``str.translate`` and
  ``str.split``) instead of searching a pattern along it;
* ``plain._text_numbers`` (the self-check's record numbers) uses ``numbers_in`` and, in ASCII, looks for
  number words only when the text lower-cased holds one;
* ``plain.clean_name`` tries ``_DOS`` and ``_PLURAL`` on an ASCII name only when it holds "dos" / one of the
  units, the colon rewrite only with a colon, ``_DISPENSE`` only with a "#";
* ``readability.plain_text`` tries ``_MD_LINE`` only on a line whose first character a mark can start with;
  ``readability.measure`` hands back the result of the same text measured a moment ago.

Each is compared with the plain version (kept here) on every text of the repository's letters (and the shared
letters when they are there) and on hypothesis-generated text.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import reference_record
from imrassist.explain import plain, readability
from imrassist.explain.plain import Name, WORD_NUMBERS
from imrassist.letter import read_letter
from imrassist.parse import word_key

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Digits of other scripts, superscripts, accents, "ſ" and the Kelvin sign (case-insensitive "s"/"k"), "İ"
#: (lower-casing changes the length), other spaces and line breaks.
ODD = "٣٤٠५３０²³¹¼éíñÁÉüßµªº×–’ſKİΣ\u0301\u00a0\u2003\u2028\x0c\x1c\u0085"
PUNCT = " \n\t.,;:-/'\"()_#*+>`[]"
CHARS = "abdegiklmnostuvwxyzADOSVX0123456789" + PUNCT + ODD


def _paths() -> list[Path]:
    paths = [SEED] + sorted((REPO / "evals").glob("*/letters/*.txt"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(names: every item's treatment and authorized text and the case numbers; texts: letters, quotes,
    rationales; explanations: English and Spanish)."""
    from imrassist.explain import explain

    names: list[str] = []
    texts: list[str] = []
    expl: list[str] = []
    for p in _paths():
        lt = read_letter(p)
        rec = reference_record(lt)
        texts += [lt.original, lt.text]
        if rec.letter.case_number is not None:
            names.append(rec.letter.case_number.value)
        for it in rec.items:
            names.append(it.treatment.value)
            if it.authorized is not None:
                names.append(str(it.authorized.value))
            for e in (it.rationale, it.medically_necessary, it.treatment, it.quantity):
                if e is not None and e.evidence is not None:
                    texts.append(e.evidence.quote)
            if it.rationale is not None:
                texts.append(it.rationale.value)
        expl += [explain(rec, lang="en").text, explain(rec, lang="es").text]
    return tuple(names), tuple(texts), tuple(expl)


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], size: int = 30) -> st.SearchStrategy[str]:
    """Texts glued from ``vocab`` (in any case) and short runs of odd characters."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=CHARS, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


# ------------------------------------------------------------------------------------------ numbers

_NUM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d])")


def _plain_numbers_in(text: str) -> list[str]:
    """plain.numbers_in as ``_NUM`` finds them (a lookbehind tried at every character)."""
    return [m.group(1) for m in _NUM.finditer(text)]


def _plain_text_numbers(text: str) -> list[float]:
    """plain._text_numbers as it was: ``_NUM`` then every number word, each text searched whole (each word
    looked up by :func:`imrassist.parse.word_key`, see tests/test_word_key.py)."""
    out = [float(m.group(1)) for m in _NUM.finditer(text)]
    out += [float(WORD_NUMBERS[word_key(w)]) for w in plain._WORD_NUMBER_RE.findall(text)]
    return out


def test_numbers_on_every_text() -> None:
    names, texts, expl = _corpus()
    n = words = 0
    for t in names + texts + expl:
        assert plain.numbers_in(t) == _plain_numbers_in(t)
        got, want = list(plain._text_numbers(t)), _plain_text_numbers(t)
        assert got == want
        n += len(want)
        words += len(want) - len(_plain_numbers_in(t))
    assert n > 1000 and words > 10


NUMBER_VOCAB = ["12", "0", "1.5", ".", "..", "1.2.3", "12/29/16", "x", " ", "٣", "٤٠", "५", "３", "０", "²", "¼", "-", "e",
                "a1b", "v2.0", ".5", "5.", "1,000", "12..5", "1.", "one", "two", "twelve", "sixty", "ten", "tens",
                "often", "ſix", "Kelvin", "İ", "_one", "one_", "2one", "one2", "\u00a0"]


def _outcome(fn, text: str):  # type: ignore[no-untyped-def]
    """What ``fn(text)`` gives, or the exception it raises (neither should raise)."""
    try:
        return list(fn(text))
    except Exception as exc:  # noqa: BLE001
        return type(exc)


@settings(FAST)
@given(_texts_of(NUMBER_VOCAB, 30) | st.text(alphabet=CHARS, max_size=60)
       | st.text(alphabet="0123456789. aeinotwx", max_size=40))
def test_numbers_hypothesis(text: str) -> None:
    assert plain.numbers_in(text) == _plain_numbers_in(text)
    assert _outcome(plain._text_numbers, text) == _outcome(_plain_text_numbers, text)


def test_a_record_naming_a_number_word_in_odd_letters_is_explained() -> None:
    """'ſix' (long s) matches the number-word pattern; reading it used to raise KeyError from explain."""
    from imrassist.explain import explain

    rec = reference_record(read_letter(SEED)).model_copy(deep=True)
    rec.items[0].treatment.value = "ſix sessions of push therapy"
    assert 6.0 in plain.usual_record_numbers(rec)
    assert explain(rec).text


def test_every_number_word() -> None:
    for w in WORD_NUMBERS:
        for form in (w, w.upper(), w.title()):
            for text in (form, f"x {form} 3", f"{form}s", f"a{form}", f"({form})", f"{form}\u00e9"):
                assert list(plain._text_numbers(text)) == _plain_text_numbers(text)


# ------------------------------------------------------------------------------------------ names


def _plain_dispense(name: str, lang: str) -> str:
    m = plain._DISPENSE.search(name)
    if not m:
        return name
    n = int(m.group(1))
    form = ""
    for rx, f in plain.DISPENSE_FORMS:
        if re.search(rx, name, re.IGNORECASE):
            form = f
            break
    if not form:
        return name
    return name[: m.start()] + f", {n} {plain.unit_words(form, n, lang)}" + name[m.end():]


def _plain_clean_name(raw: str, lang: str = "en") -> Name:
    """plain.clean_name as it was: every pattern tried on every name."""
    text = " ".join(raw.split())
    n = Name(text)
    if plain._ASSOC.match(text):
        n.associated = True
        text = plain._ASSOC.sub("", text, count=1)
    if plain._RETRO.match(text):
        n.retro = True
        text = plain._RETRO.sub("", text, count=1)
    m = plain._DOS.search(text)
    if m:
        d = plain._parse_dos(m)
        if d is not None:
            n.service_date = d
            text = (text[: m.start()] + text[m.end():]).strip()
    text = plain._fix_caps(text)
    text = re.sub(r"\s*:\s+", " - ", text)
    text = plain._MG.sub(lambda mm: f"{mm.group(1)} {mm.group(2).lower()}", text)
    text = re.sub(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
                  r"(session|visit|treatment|refill|tablet|injection|day|week|month)\b(?!s)",
                  lambda mm: f"{mm.group(1)} {mm.group(2)}s", text, flags=re.IGNORECASE)
    text = _plain_dispense(text, lang)
    text = text.strip(" ,;:-")
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    n.text = text
    return n


def test_clean_name_on_every_name() -> None:
    names, _, _ = _corpus()
    changed = 0
    for t in names:
        for lang in ("en", "es"):
            got, want = plain.clean_name(t, lang), _plain_clean_name(t, lang)
            assert got == want, t
            changed += got.text != " ".join(t.split())
    assert len(names) > 100 and changed > 20


NAME_VOCAB = ["DOS 12/29/16", "(DOS: 1/2/2017)", "dos", "DoS", "ſ", "DOſ 1/2/16", "6", "twelve", "six", " ", ": ",
              ":", "#", "# 30", "#60", "tablets", "session", "sessions", "visit", "VISITS", "day", "week", "month",
              "refill", "Injection", "treatment", "mg", "10mg", "5ML", "tab", "capsule", "cream", "patch",
              "Retrospective", "Retro:", "Associated surgical services:", "PUSH THERAPY", "of", "K", "İ", "-",
              "sеssion", "\u00a0", "Ꮪession"]


def test_clean_name_every_unit() -> None:
    for count in ("6", "twelve", "Two", "10"):
        for unit in plain._PLURAL_UNITS:
            for form in (unit, unit.upper(), unit.title(), unit + "s"):
                for text in (f"{count} {form}", f"PT {count}  {form} of therapy", f"{count}-{form}"):
                    assert plain.clean_name(text) == _plain_clean_name(text), text


@settings(FAST)
@given(_texts_of(NAME_VOCAB, 14), st.sampled_from(["en", "es"]))
def test_clean_name_hypothesis(text: str, lang: str) -> None:
    assert plain.clean_name(text, lang) == _plain_clean_name(text, lang)


# ------------------------------------------------------------------------------------------ readability


def _plain_plain_text(markdown: str) -> str:
    """readability.plain_text as it was: ``_MD_LINE`` tried on every line."""
    out = []
    for line in markdown.splitlines():
        s = readability._MD_LINE.sub("", line)
        s = s.replace("**", "").replace("__", "").replace("`", "").strip()
        if not s:
            continue
        if s[-1] not in ".!?:;":
            s += "."
        out.append(s)
    return "\n".join(out)


def test_plain_text_on_every_text() -> None:
    _, texts, expl = _corpus()
    for t in expl + texts:
        assert readability.plain_text(t) == _plain_plain_text(t)


MD_VOCAB = ["# ", "## Title", "###### ", "####### ", "- ", "* ", "+ ", "-x", "1. ", "12) ", "٣. ", "３) ", "² ", "> ",
            ">", "**bold**", "__u__", "`c`", "\n", "\n\n", "\r\n", "\u2028", "\x0c", "\x1c", "\u0085", " ", "\t",
            "\u00a0", "\u2003", "Why:", "text.", "Approved", "é", "İ"]


@settings(FAST)
@given(_texts_of(MD_VOCAB, 30) | st.text(alphabet=CHARS, max_size=80))
def test_plain_text_hypothesis(text: str) -> None:
    assert readability.plain_text(text) == _plain_plain_text(text)


def test_measure_memo_gives_the_fresh_result() -> None:
    _, _, expl = _corpus()
    for t in expl[:12]:
        for lang in ("en", "es"):
            readability.measure.cache_clear()
            fresh = readability.measure.__wrapped__(t, lang)
            first = readability.measure(t, lang)
            again = readability.measure(t, lang)  # read back from the memo
            assert first == fresh and again == fresh and again is first
            assert readability.measure(t, lang, markdown=False) == readability.measure.__wrapped__(t, lang, markdown=False)
    size = readability.measure.cache_info().maxsize
    assert size is not None
    for i in range(3 * size):  # the memo stays small
        readability.measure(f"Short text number {i}.", "en")
        assert readability.measure.cache_info().currsize <= size


def test_dates_unchanged() -> None:
    assert plain.clean_name("PT (DOS 12/29/16) 6 SESSION").service_date == _dt.date(2016, 12, 29)


# ------------------------------------------------------------------------------------------ glosses


def _plain_find_glosses(name: str, lang: str, used: set[str], limit: int = plain.MAX_GLOSSES_PER_ITEM,
                        avoid: frozenset[str] = frozenset()) -> tuple[str, list[tuple[str, str]]]:
    """plain.find_glosses at its plainest: every glossary pattern run on the name."""
    taken: list[tuple[int, int]] = []
    found = []
    for g in plain.gloss_terms():
        for m in g.pattern.finditer(name):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append((a, b, g))
    longest: dict[str, int] = {}
    for a, b, g in found:
        longest[g.term] = max(longest.get(g.term, 0), b - a)
    found = [(a, b, g) for a, b, g in found if b - a == longest[g.term]]
    found.sort(key=lambda t: (t[2].secondary, t[0]))
    chosen = []
    terms_here: set[str] = set()
    for a, b, g in found:
        if len(chosen) >= limit:
            break
        if g.term in used or g.term in terms_here:
            continue
        if avoid and set(plain.word_keys(g.en)) & avoid:
            continue
        if g.secondary and any(not c[2].secondary for c in chosen) and len(chosen) >= 1:
            continue
        chosen.append((a, b, g))
        terms_here.add(g.term)
    if not chosen:
        return name, []
    used.update(terms_here)
    out = name
    pairs: list[tuple[str, str]] = []
    for a, b, g in sorted(chosen, key=lambda t: -t[0]):
        tail = plain._TRAILING_NOUN.match(out, b)
        end = tail.end() if tail else b
        gloss = g.en if lang == "en" else g.es
        pairs.insert(0, (out[a:b], gloss))
        out = out[:end] + f" ({gloss})" + out[end:]
    return out, pairs


def _both_glosses(name: str, lang: str, used: set[str]) -> None:
    u1, u2 = set(used), set(used)
    assert plain.find_glosses(name, lang, u1) == _plain_find_glosses(name, lang, u2)
    assert u1 == u2


def test_find_glosses_on_every_name() -> None:
    names, _, _ = _corpus()
    glossed = 0
    for t in names:
        for name in (t, plain.clean_name(t).text):
            for lang in ("en", "es"):
                _both_glosses(name, lang, set())
            glossed += plain.find_glosses(name, "en", set())[1] != []
    assert glossed > 30


def test_find_glosses_every_spelling() -> None:
    """Each glossary spelling alone, glued, after a word character, "/" or "-", and in a sentence."""
    for g in plain.gloss_terms():
        w = g.pattern.pattern[len("(?<![\\w/-])"):-len("(?![\\w/-])")].replace("\\", "")
        for name in (w, w.upper(), f"x{w}", f"/{w}", f"-{w}", f" {w}", f"({w})", f"Rx: {w} x 6", f"{w}s", f"a.{w}"):
            _both_glosses(name, "en", set())


GLOSS_VOCAB = ["TENS unit", "MRI", "EMG/NCV", "epidural steroid injection", "ESI", "physical therapy", "PT", "x", "-",
               "/", " ", "(", ")", ":", "lumbar", "cervical", "L4-5", "ſ", "K", "İ", "é", "Norco", "10 mg", "#60",
               "acupuncture", "aquatic therapy", "home", "exercise", "kit", "bone scan", "facet", "block", "RFA",
               "chiropractic", "CT", "x-ray", "X-RAY", "s", "_", "1"]


@settings(FAST)
@given(_texts_of(GLOSS_VOCAB, 12), st.sampled_from(["en", "es"]))
def test_find_glosses_hypothesis(text: str, lang: str) -> None:
    _both_glosses(text, lang, set())
