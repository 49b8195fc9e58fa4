"""The explanation reading's fast paths give exactly what the plain reading gives.

:func:`~imrassist.checks.explanation.read_explanation` skips work where it cannot find anything: a sentence
without an outcome stem is not read for outcome statements, and (ASCII text) a sentence that holds none of
the words a per-sentence test's matches start with or hold is not searched with it. The reading of one
sentence (:func:`~imrassist.checks.explanation._sentence_outcomes`) finds the clause around an outcome from the
end of the text before it and asks the slow tests only where they can match. Each is compared here with the
plain version (written out below, or the reading with every gate open) on every explanation the repository
holds (ours of every letter in English and Spanish, the reviewer summary, the synthetic and shared
explanations) and on generated text (other scripts' digits, accents, "ſ", the Kelvin sign, "İ", glued
tokens, mixed case).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrassist.checks import explanation as X
from imrassist.checks import reference_record
from imrassist.checks.facts import build_facts
from imrassist.explain import explain, summarize
from imrassist.letter import read_letter

from tests.test_checks_helpers import HAVE_LETTERS, SEED, SHARED

REPO = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------ plain versions


def _plain_clause_around(sent: str, a: int, b: int) -> tuple[str, str]:
    before = X._CLAUSE_BREAK.split(sent[:a])[-1] if a else ""
    after = X._CLAUSE_BREAK.split(sent[b:])[0]
    return before, after


def _plain_sentence_outcomes(sent: str, lang: str) -> tuple[tuple[bool, int, int, int, bool, str | None], ...]:
    """:func:`X._sentence_outcomes` as it was first written: every test made on every match."""
    low = sent.lower()
    present = {k for k in X._OUTCOME_STEMS[lang] if k in low}
    if not present:
        return ()
    pats = [p for p, keys in zip(X._OUTCOME_RES[lang], X._OUTCOME_KEYS[lang]) if not present.isdisjoint(keys)]
    ur = bool(X._UR_SENT_RE[lang].search(sent))
    taken: list[tuple[int, int]] = []
    hits = []
    for rx, pol, strength in pats:
        for m in rx.finditer(sent):
            a, b, mtext = m.start(), m.end(), m.group(0)
            if any(x < b and a < y for x, y in taken):
                continue
            taken.append((a, b))
            if ur and strength < 3 and not X._UR_KEEP.search(mtext):
                continue
            before = sent[:a]
            if X._DEFINITION_AFTER.match(sent, b) or X._GENERIC_BEFORE[lang].search(before):
                continue
            if lang == "en" and re.search(r"\bto\s+(?:\w+\s+)?$", before) and strength < 3:
                continue
            if lang == "es" and re.search(r"\b(?:para|pidi[oó]|solicit[oó])\s+$", before) and strength < 3:
                continue
            clause, after = _plain_clause_around(sent, a, b)
            if strength < 3 and X._COND_RE[lang].search(clause):
                continue
            if strength == 0 and (X._COND_RE[lang].search(sent) or X._LATER_RE.search(sent)):
                continue
            approved = pol
            negs = X._NEG_RE[lang].findall(clause[-45:])
            if lang == "es" and pol is False and strength == 3 and mtext.lower().startswith("no "):
                negs.append("no")
            if len(negs) % 2 == 1:
                approved = not approved
            earlier = strength < 3 and bool(X._EARLIER_RE[lang].search(clause) or X._EARLIER_RE[lang].search(after))
            ur_clause = f"{clause}{mtext}{after}" if strength < 3 and not earlier else None
            hits.append((approved, a, b, strength, earlier, ur_clause))
    hits.sort(key=lambda h: h[1])
    return tuple(hits)


def _plain_reading(monkeypatch: pytest.MonkeyPatch, raw: str, lang: str, facts, kind: str) -> X.Reading:
    """The reading with every gate open: each sentence read for outcomes and searched with each test (no
    sentence set is known), each sentence's outcomes read the plain way."""
    with monkeypatch.context() as mp:
        mp.setattr(X, "_sentences_holding", lambda *a: None)
        mp.setattr(X, "_sentence_outcomes", _plain_sentence_outcomes)
        return X.read_explanation(raw, lang, facts, kind)


def _check_reading(monkeypatch: pytest.MonkeyPatch, raw: str, lang: str, facts, kind: str) -> None:
    X._sentence_outcomes.cache_clear()
    fast = X.read_explanation(raw, lang, facts, kind)
    plain = _plain_reading(monkeypatch, raw, lang, facts, kind)
    plain.asking = fast.asking  # (the sentences holding a request word: None, "not known", with the gates open)
    assert repr(fast) == repr(plain), (raw, lang, kind)
    for sn in fast.sents:  # (and each sentence's own reading)
        sent = fast.text[sn.start:sn.end]
        assert X._sentence_outcomes.__wrapped__(sent, lang) == _plain_sentence_outcomes(sent, lang), (sent, lang)


# ------------------------------------------------------------------------------------------------- corpus


def _letters() -> list[Path]:
    paths = [SEED] + sorted((REPO / "evals").glob("*/letters/*.txt"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


@lru_cache(maxsize=1)
def _cases() -> tuple[tuple[str, str, object, str], ...]:
    """(explanation, lang, the letter's facts, kind) of every explanation the repository holds."""
    out = []
    facts_of = {}
    for p in _letters():
        lt = read_letter(p)
        rec = reference_record(lt)
        facts = facts_of[p.stem] = build_facts(lt, rec)
        out += [(explain(rec, lang="en").text, "en", facts, "worker"), (explain(rec, lang="es").text, "es", facts, "worker"),
                (summarize(rec), "en", facts, "summary")]
    written = sorted((REPO / "evals").glob("*/explanations/*.md"))
    if HAVE_LETTERS:
        written += sorted((SHARED / "explanations").glob("*.md"))
    for p in written:
        facts = facts_of.get(p.name.split(".")[0])
        if facts is not None:
            text = p.read_text()
            out.append((text, "es" if re.search(r"\b(?:usted|decisión|solicitud)\b", text) else "en", facts, "worker"))
    return tuple(out)


def test_reading_equals_the_plain_reading_on_the_corpus(monkeypatch):
    cases = _cases()
    assert len(cases) > 150
    for raw, lang, facts, kind in cases:
        _check_reading(monkeypatch, raw, lang, facts, kind)


@pytest.mark.skipif(not HAVE_LETTERS, reason=f"shared sample letters not found at {SHARED / 'letters'}")
def test_the_corpus_holds_the_shared_letters():
    assert len(_letters()) > 40


# -------------------------------------------------------------------------------------------- generated

ODD = "٣٤३３²¼éíñÁÉüßµªº–’ſKİΣ\u0301"
PUNCT = " \n\t.,;:-/'\"()_#>*+`!?"
CHARS = "abeiknostwxyzAOSWX0123456789" + PUNCT + ODD

#: Outcome words, their context (negation, condition, UR, "earlier", requests, groups, clause breaks,
#: "but not") and item words, in both languages.
VOCAB = ["approved", "Approved", "approve", "denied", "still denied", "denial", "the denial stands", "upheld",
         "overturned", "medically necessary", "said yes", "said no", "authorized", "covered", "turned down",
         "you can get", "you cannot get", "You can now get ", "agreed with the denial", "disagrees with the denial",
         "not", "no", "never", "n't", "if", "when", "later", "again", "new request", "already", "before",
         "at first", "partly", "utilization review", "UR", "claims administrator", "claims administrator said",
         "first review", "asked for", "requested", "asked the insurer to", "to", "What was approved:",
         "items that were", "everything", "both", "all of them", "the approved items", "things", "one",
         "means", "but", "but not", " but not ", "and so", "so", "then", "as", "así que", "pero no", ", ", ": ",
         "; ", "(", ")", "appeal", "Appeals Board", "WCAB", "aprobado", "negado", "sigue negado", "dijo que sí",
         "la negación se mantiene", "no estuvo de acuerdo con la negación", "pidió", "para", "solicitó",
         "lo que", "autorizar", "anulada", "PUSH therapy", "physical therapy", "6 visits", "MRI", "naproxen",
         "the lumbar spine", "knee brace", "stay", "X: approved.", "**Crutches: still denied.**", ". ", "\n",
         "\n\n", "# ", "## ", "- ", "* ", "ſ", "K", "İ", "Σ", "é"]


def _case(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(words, st.sampled_from([str, str.upper, str.title, str])).map(lambda p: p[1](p[0]))


def _texts_of(vocab: list[str], chars: str = CHARS, size: int = 30) -> st.SearchStrategy[str]:
    """Texts of ``vocab`` (in any case) and short runs of ``chars``, glued or spaced."""
    piece = _case(st.sampled_from(vocab)) | st.text(alphabet=chars, max_size=4)
    return st.tuples(st.lists(piece, max_size=size), st.sampled_from(["", " ", " ", "\n"])).map(lambda p: p[1].join(p[0]))


@lru_cache(maxsize=1)
def _facts() -> tuple:
    """The facts of the seed letter (one item) and of a letter with several (and a modified request)."""
    out = []
    for p in [SEED, *sorted((REPO / "evals" / "synthetic" / "letters").glob("syn-0[12]-*.txt"))]:
        lt = read_letter(p)
        out.append(build_facts(lt, reference_record(lt)))
    return tuple(out)


@FAST
@given(_texts_of(VOCAB), st.sampled_from(["en", "es"]), st.sampled_from(["worker", "summary"]), st.integers(0, 2))
def test_reading_equals_the_plain_reading(text, lang, kind, which):
    facts = _facts()[which % len(_facts())]
    with pytest.MonkeyPatch.context() as mp:
        _check_reading(mp, text, lang, facts, kind)


@FAST
@given(_texts_of(VOCAB, size=12), st.sampled_from(["en", "es"]))
def test_sentence_outcomes_equal_the_plain_reading(sent, lang):
    assert X._sentence_outcomes.__wrapped__(sent, lang) == _plain_sentence_outcomes(sent, lang)


@FAST
@given(_texts_of([", ", ";", ":", "(", ")", "but", "but", "pero", "and so", "and", "so", "then", "luego", "así que",
                  "asi que", "as", "BUT", "So", "x", "y", "1", " ", "\n", "é", "ſ", "K"], size=20), st.data())
def test_clause_around_equals_the_plain_split(sent, data):
    a = data.draw(st.integers(0, len(sent)))
    b = data.draw(st.integers(a, len(sent)))
    assert X._clause_around(sent, a, b) == _plain_clause_around(sent, a, b)


#: (pattern, the words every match starts with or holds) of each gate of the reading, per language.
GATES = [(X._UR_SENT_RE, X._UR_STARTS), (X._APPEAL_RE, X._APPEAL_STEMS), (X._BUT_NOT, X._BUT_STEMS),
         (X._GENERIC_BEFORE, X._GENERIC_BEFORE_STEMS), ({"*": X._MAIL_RE}, {"*": X._MAIL_STEMS}),
         ({"*": X._IMPL_RE}, {"*": X._IMPL_STEMS})]


def _check_gates(text: str) -> None:
    if not text.isascii():
        return  # (the gates are used on ASCII text only)
    low = text.lower()
    for rxs, stems in GATES:
        for lang, rx in rxs.items():
            for m in rx.finditer(text):
                assert any(k in low[m.start():m.end()] for k in stems[lang]), (text, lang, m.group(0))
    for lang in ("en", "es"):
        for m in X._UR_SENT_RE[lang].finditer(text):
            assert any(low.startswith(k, m.start()) for k in X._UR_STARTS[lang]), (text, lang, m.group(0))


@FAST
@given(_texts_of(VOCAB + ["claims administrator partly approved", "revisión de utilización", "administrador de reclamos negó",
                          "primera revisión", "Junta de Apelaciones", "tratamientos que fueron aprobados", "still-denied items",
                          "items that have been still overturned", "things that", "lo que", "todo lo que", "las que",
                          "mailed", "correo", "envio", "enviado", "authorize", "authorise", "implement", "pay", "paid",
                          "reimburse", "autorizar", "pagar", "pague", "reembolso", "cumplir"],
                 "abeiknostwxyzAOSWX0123456789" + PUNCT))
def test_every_gated_match_holds_its_words(text):
    """Each per-sentence test is made only in a sentence that holds one of its words: every match holds one
    (and every match of the UR pattern starts with one, where it is searched from them)."""
    _check_gates(text)


@FAST
@given(_texts_of(VOCAB + ["appeal", "mailed", "correo", "envió", "enviado", "authorize", "paid", "reimburse", "autoriza",
                          "pagar", "cumplir", "within", "5 working days", "30 days", "20 days", "dentro de 30 días",
                          "must", "has to", "plazo de"]), st.sampled_from(["en", "es"]))
def test_deadline_context_equals_the_plain_reading(text, lang):
    """_deadline_context, each of its tests searched only in a text holding one of the pattern's words, gives
    what searching every text gives (every count of the text, its sentence and the one before)."""
    def plain(text: str, c, stext: str, prev: str, lang: str):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(X, "holds_match", lambda rx, stems, s, low=None: rx.search(s) is not None)
            return X._deadline_context(text, c, stext, prev, lang)

    sents = X._sentences(text, text)
    for c in X.find_counts(text, lang):
        si = X._sent_at(sents, c.start)
        stext = text[sents[si].start:sents[si].end] if si >= 0 else ""
        for prev in ("", text[sents[si - 1].start:sents[si - 1].end] if si > 0 else "", text[:40]):
            assert X._deadline_context(text, c, stext, prev, lang) == plain(text, c, stext, prev, lang), (text, c)


def test_every_gated_match_holds_its_words_on_the_corpus():
    for raw, _, _, _ in _cases():
        _check_gates(raw)
    # (every alternative of each pattern, once)
    _check_gates("utilization review, UR, claims administrator's review, turned down, first review, insurer's review, "
                 "claims administrator partly approved; revision de utilizacion, revision del administrador, primera "
                 "revision, administrador de reclamos nego. Appeal to the Appeals Board (WCAB); apelar a la Junta de "
                 "Apelaciones. Approved items, still-denied services, treatments that were upheld; tratamientos que "
                 "fueron aprobados, puntos negados. Approved, but not denied; aprobado, pero no negado. So what the "
                 "doctor asked for , things that he wanted , lo que pidio , las que siguen . Mailed by correo, envio, "
                 "enviada; authorise, authorize, implement, pay, reimburse, autorizar, pagar, pague, reembolsar, cumplir.")


@FAST
@given(_texts_of(["to", "To", "para", "pidió", "pidio", "solicitó", "solicito", "approve", "x", " ", "  ", "\n", "ſ", "é"], size=10))
def test_request_before_words_hold_every_match(text):
    for lang, (words, rx) in X._REQUEST_BEFORE.items():
        if rx.search(text):
            assert any(k in text for k in words) and text[-1:].isspace(), (text, lang)
