"""The fast paths of the shared check helpers (checks.common) and of the normaliser (letter) give exactly
what the plain versions give.

Each plain version is written out here as the code was before its fast path, so that an edit of the fast
path cannot quietly change what it returns. They are compared on every text the repository holds (the
letters of samples/ and evals/*/letters/, their normalised texts, explanations and summaries, their
sentences and item blocks, quotes cut from them) and on the shared letters when they are there, and on
generated text: digits of other scripts, accents, "ſ", the Kelvin sign, "İ", superscripts, glued tokens,
mixed case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import common, reference_record
from imrassist.explain import explain, summarize
from imrassist.extract.items import find_blocks
from imrassist.letter import read_letter
from imrassist.parse import singular

from tests.test_checks_helpers import HAVE_LETTERS, SHARED, repo_letter_paths


FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that make the fast paths take or leave their ASCII branch: digits of other scripts, superscripts,
#: accents (composed and combining), "ſ" and the Kelvin sign (which lower-case or fold to ASCII letters), "İ"
#: (lower-casing changes the length), typographic quotes and dashes, exotic spaces.
ODD = "٣٤५３²³¹¼éíñÁÉüßµªº×–—’“ſKİΣ\u0301\u00a0\u2009\ufeff"
PUNCT = " \n\t\f\r.,;:-/%'\"()_#>*+`"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD



@lru_cache(maxsize=1)
def _letters() -> tuple:
    return tuple(read_letter(p) for p in repo_letter_paths())


@lru_cache(maxsize=1)
def _texts() -> tuple[str, ...]:
    """Whole texts: each letter's original and normalised text, our explanations and summary of it."""
    out: list[str] = []
    for lt in _letters():
        rec = reference_record(lt)
        out += [lt.original, lt.text, explain(rec, lang="en").text, explain(rec, lang="es").text, summarize(rec)]
    return tuple(out)


@lru_cache(maxsize=1)
def _pieces() -> tuple[str, ...]:
    """What the helpers are called with: sentences of the texts and the item blocks of the letters."""
    out: list[str] = []
    for text in _texts():
        out += [text[s:e] for s, e in common.sentences(text)]
    for lt in _letters():
        out += [lt.text[b.header[0]:max(b.end, b.header[1])] for b in find_blocks(lt)]
    return tuple(dict.fromkeys(out))


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 40) -> st.SearchStrategy[str]:
    """Words of ``vocab`` (in any case) glued to or separated by a few characters of ``chars``."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.lists(piece, max_size=size).map("".join)


def test_the_corpus_is_there():
    assert len(_letters()) >= 5 and len(_pieces()) > 500
    if not HAVE_LETTERS:
        pytest.skip(f"shared letters not found at {SHARED / 'letters'}: tested on the repository's letters only")


# ------------------------------------------------------------------------------------------------- words

_PLAIN_WORD_RE = re.compile(r"[a-z0-9%]+(?:[-/][a-z0-9]+)*")


def _plain_fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def _plain_words(text: str) -> list[str]:
    return _PLAIN_WORD_RE.findall(_plain_fold(text))


def _plain_word_set(text: str) -> frozenset[str]:
    toks = set(_plain_words(text))
    out = set(toks)
    out.update([singular(w) for w in toks if w[-1] == "s" and len(w) > 3])
    for w in [w for w in toks if "-" in w or "/" in w]:
        out.update([p for p in re.split(r"[-/]", w) if p])
    return frozenset(out)


def _assert_words(text: str) -> None:
    assert common.words(text) == _plain_words(text), text
    assert common.word_set.__wrapped__(text) == _plain_word_set(text), text


WORD_VOCAB = ["e-stim", "emg/ncv", "x-rays", "5%-10%", "l4-5", "l5-s1", "a-b-c", "--", "//", "-x", "x-", "%", "%/",
              "follow-up", "therapies", "studies", "classes", "glasses", "its", "bus", "médico", "sesiónes", "ſs",
              "K-wave", "İnjections", "３０", "1/2", "s-s", "ss"]


@FAST
@given(_texts_of(WORD_VOCAB) | st.text(alphabet=CHARS, max_size=60) | st.text(max_size=30))
def test_words_equal_the_pattern(text):
    _assert_words(text)


def test_words_equal_the_pattern_on_the_corpus():
    for text in _texts() + _pieces():
        _assert_words(text)


# ---------------------------------------------------------------------------------------------- normalise
# letter._normalize as it was before its fast paths (the heading patterns tried at every line that starts
# with a capital, the letter's whole vocabulary listed for its first hyphenated line end, each run of
# words found by _CHUNK_RE and translated, an offset per character made by ``range``).

from array import array  # noqa: E402

from imrassist import letter as L  # noqa: E402


def _plain_heading_match(line: str):
    if not line[:1].isupper():
        return None
    for _, rx in L._HEADINGS:
        m = rx.match(line)
        if m:
            return m
    return L._FORMAT2_MARK.match(line) or L._FORMAT3_MARK.match(line)


def _plain_split_lines(original: str) -> list:
    lines = []
    pos = 0
    for raw in original.split("\n"):
        page_break = False
        lead = 0
        while lead < len(raw) and raw[lead] == "\f":
            page_break = True
            lead += 1
        body = raw[lead:]
        content = body.rstrip(" \t\r\f\v\u00a0")
        if "\f" in content:
            page_break = True
        if content.strip(" \t\r\f\v\u00a0") == "":
            kind = "empty" if body == "" or body.strip("\r") == "" else "space"
            content = ""
        elif L._FOOTER_RE.match(content):
            kind = "footer"
        else:
            kind = "text"
        lines.append(L._Line(pos + lead, content, page_break, kind))
        pos += len(raw) + 1
    return lines


def _plain_lexicon(original: str) -> tuple[set[str], set[str]]:
    words = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", original)
    return {w.lower() for w in words if "-" not in w}, {w.lower() for w in words if w.count("-") == 1}


def _plain_keep_hyphen(left: str, right: str, vocab: set[str], compounds: set[str]) -> bool:
    lw = re.search(r"([A-Za-z]+)-$", left)
    rw = re.match(r"([A-Za-z]+)", right)
    if not lw or not rw:
        return True
    a, b = lw.group(1).lower(), rw.group(1).lower()
    if f"{a}-{b}" in compounds:
        return True
    if a + b in vocab:
        return False
    return not b.endswith(L._HYPHEN_SUFFIXES)


def _plain_normalize(original: str) -> tuple[str, list[int]]:
    lines = _plain_split_lines(original)
    L._drop_running_headers(lines)
    policy = L._blank_is_break(lines)
    paragraphs: list[list] = []
    current: list = []
    empties = 0
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
            if current:
                paragraphs.append(current)
                current = []
            continue
        empties = 0
        stripped = ln.content.translate(L._TRANSLATE).strip()
        heading = _plain_heading_match(stripped)
        alone = False
        if current and (heading or L._PARA_START_RE.match(stripped)):
            paragraphs.append(current)
            current = []
        elif current and policy["unbroken"]:
            ends = L._DECISION_END_RE.search(stripped) is not None
            alone = not ends and re.fullmatch(r"(?i)(?:upheld|overturned)\s*", stripped) is not None \
                and current[-1].content.rstrip()[-1:] == ":"
            if ends or alone:
                name_end = len(current) - 2 if alone else len(current) - 1
                for k in (name_end, name_end - 1, name_end - 2):
                    if k >= 0 and current[k].content.rstrip()[-1:] in (".", ":"):
                        paragraphs.append(current[:k + 1])
                        current = current[k + 1:]
                        break
        current.append(ln)
        if alone or L._DECISION_END_RE.search(stripped) or (heading and heading.end() >= len(stripped.rstrip(" :"))):
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    chars: list[str] = []
    omap: list[int] = []
    for p_index, para in enumerate(paragraphs):
        if p_index:
            chars.append("\n")
            omap.append(max(0, para[0].start - 1 if para[0].start > 0 else 0))
        for l_index, ln in enumerate(para):
            tokens = list(L._CHUNK_RE.finditer(ln.content))
            if not tokens:
                continue
            if l_index and chars and chars[-1] != "\n":
                prev_text = para[l_index - 1].content.rstrip()
                first_tok = tokens[0].group(0).split(" ", 1)[0]
                if (prev_text.endswith("-") and re.search(r"[A-Za-z]-$", prev_text) and first_tok[:1].islower()
                        and not _plain_keep_hyphen(prev_text, first_tok, *_plain_lexicon(original))):
                    chars.pop()
                    omap.pop()
                elif prev_text.endswith("-") and re.search(r"[A-Za-z0-9]-$", prev_text):
                    pass
                else:
                    chars.append(" ")
                    omap.append(ln.start - 1)
            for t_index, tok in enumerate(tokens):
                if t_index:
                    chars.append(" ")
                    omap.append(ln.start + tokens[t_index - 1].end())
                for k, ch in enumerate(tok.group(0)):
                    spelled = ch.translate(L._TRANSLATE)  # (a ligature: each of its letters maps to it)
                    chars += spelled
                    omap += [ln.start + tok.start() + k] * len(spelled)
    return "".join(chars), omap


def _assert_normalize(original: str) -> None:
    text, omap = L.normalize(original)
    plain_text, plain_map = _plain_normalize(original)
    assert text == plain_text, original
    assert isinstance(omap, array) and omap.typecode == "l" and omap.tolist() == plain_map, original
    assert L._normalize(original, track=False) == (text, None)


def _assert_lines(original: str) -> None:
    assert L._split_lines(original) == _plain_split_lines(original), original
    for line in original.split("\n"):
        for s in (line, line.strip()):
            m, p = L._heading_match(s), _plain_heading_match(s)
            assert (m and (m.re, m.span())) == (p and (p.re, p.span())), s


#: Line ends and page joins of PDF text: hyphenated words split over two lines, compounds the letter also
#: writes whole, footers, running headers, blank lines of each kind, headings.
NORM_VOCAB = ["treat-\n", "ment", "follow-\n", "up", "follow-up", "Follow-Up", "sub-\n", "mitted", "submitted",
              "re-\nquest", "x-\nray", "x-ray", "ab-\nc", "abc", "a-b", "ab-c-d", "l4-\n5", "--\n", "-\n", "é-\nx",
              "\n \n", "\n\n", "\n\n\n", "\n\x0c", "\x0c", " \x0c ", "\nPage 2 of 3\n", "\n- 4 -\n", "\n3 / 7\n",
              "\nCM14-0130817 Page 2\n", "\nPage 2 of 3\u2009\n", "\n- 4 -\x1c\n", "\nPage ٣\n", "\nHeader Line\n", "\nIMR ISSUES, DECISIONS AND RATIONALES\n",
              "\nCASE SUMMARY:\n", "\nMAXIMUS FEDERAL SERVICES, INC.\n", "\nMEDICAL PROFESSIONAL REVIEW\n",
              "\nItem 2: ", "\nİtem 2: ", "\nſervice 3)", "\nService #4.", "Decision rationale: ", "\nWhy:",
              "\nThe Expert Reviewer has the following credentials", "\nState(s) of Licensure:", ": Upheld\n", ": overturned \n", "\nIS", "\nMA", "ME",
              "The request", "  ", "\t", "\r\n", "\u00a0", "\u2019", "\u2014", "\x7f", "\x1c", "İ", "ſ", "K", "ß",
              "\nUpheld\n", "\nOverturned \n", "arthroplasty:\n", "necessary.\n", "below:\n", "\ufb01", "\ufb03",
              "\uff16", "\u2026"]
NORM_CHARS = "abeikmnostABEKMS0123456789 \n\t\f.,:-/'\"()"


@FAST
@given(_texts_of(NORM_VOCAB, NORM_CHARS + ODD, 60) | st.text(alphabet=NORM_CHARS, max_size=80))
def test_normalize_equals_the_plain_normaliser(text):
    _assert_normalize(text)
    _assert_lines(text)


def test_normalize_equals_the_plain_normaliser_on_the_corpus():
    for lt in _letters():
        _assert_normalize(lt.original)
        _assert_lines(lt.original)
        o = lt.original
        for i in range(0, max(1, len(o) - 600), 97):  # quotes cut from the letter, as normalize_fragment reads them
            _assert_normalize(o[i:i + 600])
        # as other PDF libraries write it: no blank lines at all; "fi"/"ffi" as ligatures
        _assert_normalize(re.sub(r"\n[ \t]*\n", "\n", o))
        _assert_normalize(o.replace("ffi", "\ufb03").replace("fi", "\ufb01"))


@FAST
@given(_texts_of(NORM_VOCAB + WORD_VOCAB, NORM_CHARS + ODD, 40), st.text(alphabet="abcmnrtux-", min_size=1, max_size=6))
def test_lexicon_lookup_equals_the_word_lists(text, word):
    _assert_lexicon(text, [word, word.strip("-")])


def _assert_lexicon(original: str, asked: list[str]) -> None:
    vocab, compounds = _plain_lexicon(original)
    low = original.encode("ascii", "replace").decode("ascii").lower()
    for w in asked:
        if not re.fullmatch(r"[a-z]+(?:-[a-z]+)?", w):
            continue  # (the normaliser asks about letters, or letters, a hyphen and letters)
        assert L._lexicon_has(low, w) == (w in (compounds if "-" in w else vocab)), (original, w)


def test_lexicon_lookup_equals_the_word_lists_on_the_corpus():
    for lt in _letters():
        words = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", lt.original)
        asked = [w.lower() for w in words[::7]] + [w.lower()[1:] for w in words[::11]] + \
                [w.lower() + "s" for w in words[::13]] + [a.lower() + b.lower() for a, b in zip(words[::17], words[1::17])]
        _assert_lexicon(lt.original, asked)


def test_the_heading_heads_are_the_patterns_own():
    for _, rx in L._HEADINGS:
        assert rx.pattern.startswith("^") and rx.pattern[1:3] in L._HEADING_HEADS and rx.pattern[1:3].isalpha()
    for rx in (L._FORMAT2_MARK, L._FORMAT3_MARK):
        assert rx.pattern.startswith(r"^\s*") and rx.pattern[4:6] in L._HEADING_HEADS


def test_the_offset_index():
    for n in (0, 1, 5, 1000, L._INDEX_KEEP + 3):
        idx = L._index(n)
        assert len(idx) >= n and idx[:n].tolist() == list(range(n))


def test_the_line_gates_pass_every_line_the_patterns_match():
    """A line that ends otherwise than a footer can, or starts otherwise than a new paragraph can, is not
    tried with the pattern: every character the gate turns away is one the pattern cannot take there."""
    starts = ["Claims Administrator guideline:", "MAXIMUS guidelines:", "Decision rationale:", "Why:", "Finding:",
              "Medical Treatment Guidelines cited by", "Guideline used by", "Explanation:", "Rationale:",
              "Requested Service 2:", "Disputed Items 3.", "Item 1)", "Issue 2:", "State(s) of Licensure:",
              "Certification(s)/Specialty:", "The Expert Reviewer has the following credentials"]
    for line in starts:
        assert L._PARA_START_RE.match(line) and L._may_start_para(line[0]), line
        for c in map(chr, range(0x2500)):
            if L._PARA_START_RE.match(c + line[1:]):
                assert L._may_start_para(c), (c, line)
    for line in ["Page 2 of 3", "CM14-0130817 Page 2", "- 4 -", "3 / 7", "IMR Case 12 Page 3 of 4"]:
        for tail in ["", "\u2009", "\x1c", "\u3000"]:
            for d in "0123456789٣३３":
                text = (line + tail).replace("3", d)
                if L._FOOTER_RE.match(text):
                    assert L._may_be_footer(text[-1]), text
    for c in map(chr, range(0x3100)):
        if L._FOOTER_RE.match("Page 2" + c):
            assert L._may_be_footer(c), c


# ------------------------------------------------------------------------------------------- body parts


def _plain_body_regions(text: str) -> frozenset[str]:
    exact: set[str] = set()
    vague: set[str] = set()
    for m in common._REGION_RE.finditer(text):
        for i, (_, regions) in enumerate(common._REGION_WORDS):
            if m.group(f"r{i}"):
                (vague if common._VAGUE_RE.fullmatch(m.group(0)) else exact).update(regions)
                break
    for m in common._LEVEL_RE.finditer(text):
        exact.add("cervical" if m.group("c") else "lumbar" if m.group("l") else "thoracic")
    if exact & common._SPINE:
        return frozenset(exact)
    return frozenset(exact | vague)


def _plain_body_sides(text: str) -> frozenset[str]:
    out: set[str] = set()
    for m in common._SIDE_RE.finditer(text):
        if m.group("both"):
            out |= {"left", "right"}
        elif m.group("left"):
            out.add("left")
        else:
            out.add("right")
    return frozenset(out)


def _assert_body(text: str) -> None:
    assert common.body_regions.__wrapped__(text) == _plain_body_regions(text), text
    assert common.body_sides.__wrapped__(text) == _plain_body_sides(text), text
    for m in common._LEVEL_RE.finditer(text):
        assert common._LEVEL_START.match(text, m.start()), text
    for rx, start in ((common._REGION_RE, common._REGION_START), (common._SIDE_RE, common._SIDE_START)):
        got = [(m.start(), m.end(), m.lastgroup) for m in common._stem_matches(rx, start, text)]
        assert got == [(m.start(), m.end(), m.lastgroup) for m in rx.finditer(text)], text


BODY_VOCAB = ["low back", "Lower  back", "lumbosacral", "lumbo-sacral", "lumbar", "espalda baja", "parte baja de la espalda",
              "zona lumbar", "sacro", "sacral", "upper back", "parte alta de la espalda", "mid-back", "middle back",
              "thoracic", "dorsal", "torácica", "toracico", "neck", "cervical", "cuello", "back", "espalda", "spine",
              "spinal", "columna", "vertebral", "shoulders", "hombros", "rotator cuff", "manguito rotador", "knees",
              "rodillas", "meniscus", "patellar", "rótula", "rotula", "hips", "caderas", "elbows", "codos", "wrists",
              "muñecas", "munecas", "carpal", "hands", "manos", "fingers", "dedos", "thumbs", "pulgar", "ankles",
              "tobillos", "feet", "foot", "pies", "heels", "talón", "talon", "plantar", "C5-C6", "L4-5", "L5/S1",
              "T12-L1", "T4", "T4-T5", "T11/12", "T9-10", "C8-T1", "C2", "L3 - 4", "left", "izquierdas", "right", "derecho", "bilaterally", "bilaterales",
              "both knees", "ambos lados", "ambas", "rotatorcuff", "backs", "ſpine", "KNEE", "hİp", "sackrotator",
              "torso", "pied", "handle", "midback", "zonal", "ſacral", "Bilateral"]


@FAST
@given(_texts_of(BODY_VOCAB, CHARS, 12))
def test_body_parts_equal_the_plain_scan(text):
    _assert_body(text)


def test_body_parts_equal_the_plain_scan_on_the_corpus():
    for a in BODY_VOCAB:
        for b in BODY_VOCAB[::5]:
            _assert_body(f"{a} {b}")
            _assert_body(f"({a}){b.upper()}")
    for text in _pieces():
        _assert_body(text)
    for text in _texts()[::7]:
        _assert_body(text)


def _top_branches(pattern: str) -> list[str]:
    """The alternatives of ``pattern`` at its top level (not inside a group)."""
    out, depth, cur, escaped = [], 0, "", False
    for c in pattern:
        if escaped:
            cur, escaped = cur + c, False
            continue
        if c == "\\":
            escaped = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += c
    return out + [cur]


def test_the_region_stems_start_every_branch():
    """Each branch of the region and side patterns starts with one of the stems (its literal start, lower case,
    the first of each bracketed set of letters)."""
    branches = [b for p, _ in common._REGION_WORDS for b in _top_branches(p)]
    for side in _top_branches(common._SIDE_RE.pattern):
        body = re.fullmatch(r"\\b\(\?P<\w+>(.*)\)\\b", side).group(1)
        branches += _top_branches(body)
    assert len(branches) > 60
    for b in branches:
        literal = re.match(r"[a-z]*", re.sub(r"\[(\w)\w*\]", r"\1", b)).group(0)
        assert len(literal) >= 3 and any(literal.startswith(st) for st in common._REGION_STEMS + common._SIDE_STEMS), b


# ---------------------------------------------------------------------------------------------- quotes


def _assert_fragment(quote: str) -> None:
    plain = _plain_normalize(quote)[0].replace("\n", " ").strip()
    assert L.normalize_fragment(quote) == plain, quote
    assert common.fragment.__wrapped__(quote) == plain, quote


@FAST
@given(_texts_of(NORM_VOCAB, NORM_CHARS, 30))
def test_quotes_equal_the_plain_normaliser(quote):
    _assert_fragment(quote)


def test_quotes_equal_the_plain_normaliser_on_the_corpus():
    for lt in _letters():
        o = lt.original
        for i in range(0, max(1, len(o) - 300), 41):
            for n in (40, 300):
                _assert_fragment(o[i:i + n])
    for q in ["treat-\nment", "a\nPage 2 of 3", "a\n12", "a\n12 \nb", "a\n- 4 -  \nb", "a\n3 / 7\u2009\nb", "x \n\x0cPage 2\ny",
              "x\n\x0cIMR Case 12 Page 2 of 3\ny", "follow-\nup", "a-\n", "a -\nb"]:
        _assert_fragment(q)


# ----------------------------------------------------------------------------------------------- counts


def _plain_find_counts(text: str, lang: str = "en", *, skip=None) -> list:
    skipped = common._Spans(skip) if skip else None
    between = common._BETWEEN_EN if lang == "en" else common._BETWEEN_ES
    out = []
    for m in common._count_matches(text, lang):
        if skipped is not None and skipped.overlaps(m.start(), m.end()):
            continue
        if re.search(r"[A-Za-z]$|[LCTS]\s?$", text[max(0, m.start() - 2):m.start()]):
            continue
        noun = word = None
        end = m.end()
        if m.group("glued"):
            noun, word = common._noun_key(m.group("glued"), "en"), m.group("glued")
        else:
            pos = m.end()
            for _ in range(4):
                wm = common._WORD_AFTER.match(text, pos)
                if not wm:
                    break
                w = wm.group(1).rstrip("'/-")
                key = common._noun_key(w, lang)
                if key:
                    noun, word, end = key, w, wm.start(1) + len(w)
                    break
                if common.fold(w) not in between:
                    break
                pos = wm.end()
        if noun is None:
            continue
        a = common._number(m.group("a"), lang)
        if a is None:
            continue
        b = common._number(m.group("b"), lang) if m.group("b") else None
        values = (a,) if b is None else (a, b)
        tail = text[end:end + 12].lower()
        if noun == "year" and common._AGE_TAIL.match(tail):
            continue
        if lang == "es" and noun == "year" and common.spanish_age(text, m.start(), end):
            continue
        if common.fold(m.group("a")) in ("un", "una") and noun not in common._TIME_NOUNS:
            continue
        out.append(common.Count(values, noun, m.start(), end, m.start(), m.end(), text[m.start():end], word or ""))
    return out


def _assert_counts(text: str) -> None:
    for i in range(1, len(text) + 1):
        assert common._glued_before(text, i) == bool(common._GLUED_BEFORE.search(text[max(0, i - 2):i])), (text, i)
    for lang in ("en", "es"):
        assert common.find_counts(text, lang) == _plain_find_counts(text, lang), text
        skip = [(m.start(), m.end()) for m in re.finditer(r"\d+/\d+", text)]
        assert common.find_counts(text, lang, skip=skip) == _plain_find_counts(text, lang, skip=skip), text


COUNT_VOCAB = ["6", "12", "six", "seis", "twenty-four", "un", "una", "once", " visits", " sessions", " días", " years old",
               "-year-old", " años", " de edad", "mm", "mg", "%", "L", "C", "T", "S", "x", "L4-5", "C 5", "S\n", "a\n",
               " physical therapy ", " additional ", "-", " to ", " or ", " y ", "\n", "\t", "\u2009", "K", "ſ"]


@FAST
@given(_texts_of(COUNT_VOCAB, CHARS, 30))
def test_counts_equal_the_plain_scan(text):
    _assert_counts(text)


def test_counts_equal_the_plain_scan_on_the_corpus():
    for text in _pieces():
        _assert_counts(text)


# ------------------------------------------------------------------------------------------------ pages


def _plain_page_refs(text: str) -> list:
    low = text.lower()
    if "p." not in low and "pp" not in low and "page" not in low and "pg" not in low and "pág" not in low and "pag" not in low:
        return []
    hits = list(common.find_pages(text))
    taken = [(s, e) for _, s, e in hits]
    spanish = any(k in low for k in ("pág", "pagina", "pag.", "pags."))
    for m in common._ES_PAGES_RE.finditer(text) if spanish else ():
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        nums = [int(x) for x in re.findall(r"\d{1,3}", m.group("list"))]
        if nums:
            hits.append((nums, m.start(), m.end()))
    hits.sort(key=lambda h: h[1])
    return hits


PAGE_VOCAB = ["page 4", "pages 3-5", "p. 12", "pp. 4, 7", "pg 3", "página 60", "paginas 3 a 5", "pág. 7", "pags. 2 y 3",
              "PAG. 9", "Págs 1", "pagina", "pag", "page", " ", "\n", ":", "12", "ſ", "İ"]


@FAST
@given(_texts_of(PAGE_VOCAB, CHARS, 20))
def test_page_refs_equal_the_plain_scan(text):
    assert common.page_refs(text) == _plain_page_refs(text), text


def test_page_refs_equal_the_plain_scan_on_the_corpus():
    for text in _texts() + _pieces()[::3]:
        assert common.page_refs(text) == _plain_page_refs(text), text
