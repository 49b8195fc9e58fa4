"""Planted errors (and meaning-preserving paraphrases) for benchmarking the checks.

Each generator plants exactly one error into a CaseRecord or an explanation and records the finding
``kind`` a check must report for it; a paraphrase (``kind=None``) changes the wording but not the meaning
and must give no error at all. Everything is deterministic given ``seed``. Mutations are chosen to be
effective: a shifted date is not another date of the letter, a changed count is not a number the letter
states for that noun, a swapped treatment shares no treatment word with the letter's items.

Used by the test suite and by ``imrassist eval --checks``::

    for m in record_mutants(record, letter, seed=1):
        report = check(letter, record=m.record)
        caught = any(f.severity == "error" and f.kind == m.kind for f in report.findings)
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Literal

from ..checks import reference_record
from ..checks.common import _number_words, core_of, detect_lang, find_counts, page_refs, strip_markdown
from ..checks.facts import LetterFacts, facts_for
from ..checks.record import walk
from ..letter import Letter
from ..models import CaseRecord, Citation, Extracted
from ..parse import SEX_RE, find_age, number_to_words, parse_number

Target = Literal["record", "explanation"]


@dataclass(frozen=True)
class Mutant:
    """One planted error (``kind`` set) or one paraphrase (``kind`` None)."""

    target: Target
    op: str
    kind: str | None
    description: str
    record: CaseRecord | None = None
    explanation: str | None = None

    @property
    def is_paraphrase(self) -> bool:
        return self.kind is None


def _rng(seed: int, op: str, salt: str = "") -> random.Random:
    return random.Random((seed * 1_000_003) ^ zlib.crc32(f"{op}|{salt}".encode()))


#: Treatments for swaps; a swap uses one that shares no treatment word with any item of the letter.
TREATMENT_POOL = [
    "Lumbar facet joint injection", "Back brace", "MRI of the right knee", "Acupuncture, 6 sessions",
    "Chiropractic manipulation", "Knee arthroscopy", "Cervical fusion surgery", "Wheelchair",
    "Gabapentin 300 mg", "Hydrocodone 10/325 mg", "Transportation to appointments", "Hearing aids",
    "Psychological evaluation", "Home health aide", "Trigger point injections", "Lumbar x-rays",
]
TREATMENT_POOL_ES = [
    "Inyección en la faceta lumbar", "Faja para la espalda", "Resonancia magnética de la rodilla",
    "Acupuntura, 6 sesiones", "Manipulación quiropráctica", "Artroscopia de rodilla", "Silla de ruedas",
    "Radiografías de la espalda", "Transporte a las citas",
]


def _swap_treatment(facts: LetterFacts, rng: random.Random, pool: list[str]) -> str | None:
    vocab: set[str] = set()
    for f in facts.items:
        vocab |= f.vocab | f.block_words
    choices = [p for p in pool if core_of(p) and not (core_of(p) & vocab)]
    return rng.choice(choices) if choices else None


# ================================================================================================ records


def _copy(record: CaseRecord) -> CaseRecord:
    return record.model_copy(deep=True)


def _date_fields(record: CaseRecord) -> list[str]:
    return [k for k in ("injury", "ur_decision", "application_received", "assigned", "determination")
            if getattr(record.dates, k) is not None]


def _r_date_shift(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    fields = _date_fields(record)
    if not fields:
        return None
    name = rng.choice(fields)
    known = facts.date_values()
    old = getattr(record.dates, name).value
    for _ in range(50):
        delta = rng.choice([-1, 1]) * rng.randint(3, 400)
        new = old + dt.timedelta(days=delta)
        if new not in known:
            break
    else:
        return None
    rec = _copy(record)
    getattr(rec.dates, name).value = new
    return rec, f"dates.{name} {old} -> {new}"


def _r_day_month_swap(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    known = facts.date_values()
    cands = []
    for name in _date_fields(record):
        d = getattr(record.dates, name).value
        if d.day <= 12 and d.day != d.month:
            new = dt.date(d.year, d.day, d.month)
            if new not in known:
                cands.append((name, d, new))
    if not cands:
        return None
    name, old, new = rng.choice(cands)
    rec = _copy(record)
    getattr(rec.dates, name).value = new
    return rec, f"dates.{name} {old} -> {new} (day and month swapped)"


def _other_number(old: float, taken: set[float], rng: random.Random) -> float:
    """A whole number near ``old`` that is neither ``old`` nor in ``taken``."""
    base = max(1, round(old))
    for _ in range(100):
        new = base + rng.choice([-3, -2, -1, 1, 2, 3, 4, 6, 10])
        if new > 0 and new != old and float(new) not in taken:
            return float(new)
    return float(base + 97)


def _item_numbers(facts: LetterFacts, i: int | None) -> set[float]:
    out: set[float] = set()
    for noun, vals in facts.counts.items():
        out |= set(vals)
    if i is not None and i < len(facts.items):
        for c in find_counts(facts.items[i].header, "en"):
            out |= {float(v) for v in c.values}
    return out


def _r_count_change(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    cands = [i for i, it in enumerate(record.items) if it.quantity is not None]
    rec = _copy(record)
    if cands:
        i = rng.choice(cands)
        old = rec.items[i].quantity.value  # type: ignore[union-attr]
        new = _other_number(old, _item_numbers(facts, i), rng)
        rec.items[i].quantity.value = new  # type: ignore[union-attr]
        return rec, f"items[{i}].quantity {old:g} -> {new:g}"
    lims = [i for i, it in enumerate(record.items) if it.limit is not None and it.limit.value.max]
    if lims:
        i = rng.choice(lims)
        lim = rec.items[i].limit.value  # type: ignore[union-attr]
        old = lim.max
        new = int(_other_number(float(old), _item_numbers(facts, i), rng))
        lim.max = new
        return rec, f"items[{i}].limit.max {old} -> {new}"
    return None


def _has_number_word(quote: str) -> bool:
    return any(parse_number(w) is not None for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)?", quote)
               if w.lower() not in ("a", "single", "once"))


def _r_number_word_change(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    cands: list[tuple[str, Extracted[Any]]] = []
    for path, node in walk(record):
        if isinstance(node, Citation) or node.evidence is None or path.endswith("age"):
            continue
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and _has_number_word(node.evidence.quote):
            cands.append((path, node))
    if not cands:
        return None
    path, _ = rng.choice(cands)
    rec = _copy(record)
    node = dict(walk(rec))[path]
    old = node.value
    new = _other_number(float(old), _item_numbers(facts, None), rng)
    node.value = type(old)(new)
    return rec, f"{path} {old} -> {node.value} (the letter writes it in words)"


def _r_page_swap(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    rec = _copy(record)
    cited = set(facts.pages)
    with_pages = [(i, w, j) for i, it in enumerate(rec.items) for w in ("guidelines", "ca_guidelines")
                  for j, c in enumerate(getattr(it, w)) if c.pages]
    new = rng.choice([p for p in range(12, 330) if p not in cited and all(abs(p - c) > 2 for c in cited)])
    if with_pages:
        i, w, j = rng.choice(with_pages)
        c = getattr(rec.items[i], w)[j]
        k = rng.randrange(len(c.pages))
        old = c.pages[k]
        c.pages[k] = new
        return rec, f"items[{i}].{w}[{j}].pages {old} -> {new}"
    any_cite = [(i, w, j) for i, it in enumerate(rec.items) for w in ("guidelines", "ca_guidelines")
                for j, _ in enumerate(getattr(it, w))]
    if not any_cite:
        return None
    i, w, j = rng.choice(any_cite)
    getattr(rec.items[i], w)[j].pages.append(new)
    return rec, f"items[{i}].{w}[{j}].pages + {new} (a page the letter does not cite)"


def _r_decision_flip(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    if not record.items:
        return None
    rec = _copy(record)
    i = rng.randrange(len(rec.items))
    d = rec.items[i].decision
    old = d.value
    d.value = "overturned" if old == "upheld" else "upheld"
    return rec, f"items[{i}].decision {old} -> {d.value}"


def _r_treatment_swap(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    if not record.items:
        return None
    new = _swap_treatment(facts, rng, TREATMENT_POOL)
    if new is None:
        return None
    rec = _copy(record)
    i = rng.randrange(len(rec.items))
    old = rec.items[i].treatment.value
    rec.items[i].treatment.value = new
    return rec, f"items[{i}].treatment {old!r} -> {new!r}"


def _r_age_change(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    if record.worker.age is None:
        return None
    rec = _copy(record)
    old = rec.worker.age.value  # type: ignore[union-attr]
    new = old
    while new == old or new <= 15:
        new = old + rng.choice([-11, -9, -5, -2, -1, 1, 2, 5, 9, 11])
    rec.worker.age.value = new  # type: ignore[union-attr]
    return rec, f"worker.age {old} -> {new}"


def _r_sex_change(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    if record.worker.sex is None:
        return None
    rec = _copy(record)
    old = rec.worker.sex.value  # type: ignore[union-attr]
    rec.worker.sex.value = "female" if old == "male" else "male"  # type: ignore[union-attr]
    return rec, f"worker.sex {old} -> {rec.worker.sex.value}"  # type: ignore[union-attr]


def _r_quote_moved(record: CaseRecord, facts: LetterFacts, rng: random.Random) -> tuple[CaseRecord, str] | None:
    original = facts.letter.original
    cands = [(p, n) for p, n in walk(record) if n.evidence is not None and n.evidence.span is not None]
    if not cands:
        return None
    path, _ = rng.choice(cands)
    rec = _copy(record)
    ev = dict(walk(rec))[path].evidence
    for _ in range(20):
        k = rng.choice([-40, -17, -7, -3, 3, 7, 17, 40])
        s, e = ev.start + k, ev.end + k
        if s >= 0 and e <= len(original) and original[s:e] != ev.quote:
            ev.start, ev.end = s, e
            return rec, f"{path} evidence moved by {k:+d} characters"
    return None


RECORD_OPS: dict[str, tuple[str, Callable[..., Any]]] = {
    "date_shift": ("date", _r_date_shift),
    "day_month_swap": ("date", _r_day_month_swap),
    "count_change": ("count", _r_count_change),
    "number_word_change": ("count", _r_number_word_change),
    "page_swap": ("page", _r_page_swap),
    "decision_flip": ("decision", _r_decision_flip),
    "treatment_swap": ("treatment", _r_treatment_swap),
    "age_change": ("demographic", _r_age_change),
    "sex_change": ("demographic", _r_sex_change),
    "quote_moved": ("grounding", _r_quote_moved),
}


def record_mutants(record: CaseRecord, letter: Letter, *, seed: int = 0, ops: list[str] | None = None) -> list[Mutant]:
    """One mutant per applicable record operator (each plants one error of its ``kind``)."""
    facts = facts_for(letter, reference_record(letter))
    out = []
    for name in ops or list(RECORD_OPS):
        kind, fn = RECORD_OPS[name]
        res = fn(record, facts, _rng(seed, name, letter.sha256))
        if res is not None:
            rec, desc = res
            out.append(Mutant("record", name, kind, desc, record=rec))
    return out


# =========================================================================================== explanations

_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
_MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
              "noviembre", "diciembre"]


def format_date(d: dt.date, style: str, lang: str = "en") -> str:
    """A date written the way explanations write it (``words``, ``numeric``, ``short``, ``iso``)."""
    if style == "iso":
        return d.isoformat()
    if lang == "es":
        if style == "numeric":
            return f"{d.day}/{d.month}/{d.year}"
        return f"{d.day} de {_MONTHS_ES[d.month - 1]} de {d.year}"
    if style == "numeric":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "short":
        m = _MONTHS_EN[d.month - 1]
        return f"{m[:3]}. {d.day}, {d.year}" if len(m) > 4 else f"{m} {d.day}, {d.year}"
    return f"{_MONTHS_EN[d.month - 1]} {d.day}, {d.year}"


def _style_of(text: str) -> str:
    if re.match(r"\d{4}-\d", text):
        return "iso"
    if re.match(r"\d{1,2}[/.\-]\d", text):
        return "numeric"
    return "words"


def number_word(n: int, lang: str) -> str:
    """``6`` -> ``six`` / ``seis``."""
    if lang == "es":
        prefer = {1: "uno", 11: "once", 21: "veintiuno"}
        if n in prefer:
            return prefer[n]
        words = sorted({w for w in _number_words("es") if parse_number(w) == n}, key=lambda w: (len(w.split()), len(w)))
        return words[0] if words else str(n)
    return number_to_words(n)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


@dataclass
class _ExplCtx:
    text: str
    plain: str
    lang: str
    facts: LetterFacts
    _reading: Any = None
    kind: str = "worker"

    @property
    def reading(self) -> Any:
        """The checks' own reading of the text (its counts, deadlines, date roles), read once."""
        if self._reading is None:
            from ..checks.explanation import read_explanation

            self._reading = read_explanation(self.text, self.lang, self.facts, self.kind)
        return self._reading


def _e_dates(c: _ExplCtx) -> list[Any]:
    return c.reading.dates


def _e_date_shift(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    ds = _e_dates(c)
    if not ds:
        return None
    d = rng.choice(ds)
    known = c.facts.date_values()
    for _ in range(50):
        new = d.date + dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(2, 400))
        if new not in known:
            break
    else:
        return None
    txt = format_date(new, _style_of(d.text), c.lang)
    return _replace(c.text, d.start, d.end, txt), f"date {d.text!r} -> {txt!r}"


def _role_of(c: _ExplCtx, d: Any) -> str | None:
    from ..checks.explanation import _claimed_role

    return _claimed_role(c.reading, d.start, d.end)


def _e_date_swap(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    ds = _e_dates(c)
    roles = {}
    for d in ds:
        r = _role_of(c, d)
        if r in ("injury", "ur_decision", "service", "determination") and r not in roles:
            roles[r] = d
    pairs = [(a, b) for a in roles.values() for b in roles.values() if a.start < b.start and a.date != b.date]
    pairs = [(a, b) for a, b in pairs if {_role_of(c, a), _role_of(c, b)} & {"injury", "ur_decision"}]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    ta, tb = format_date(b.date, _style_of(a.text), c.lang), format_date(a.date, _style_of(b.text), c.lang)
    text = _replace(c.text, b.start, b.end, tb)
    text = _replace(text, a.start, a.end, ta)
    return text, f"dates swapped: {a.text!r} <-> {b.text!r}"


def _e_count_change(c: _ExplCtx, rng: random.Random, *, as_word: bool = False) -> tuple[str, str] | None:
    counts = [x for x in c.reading.counts if x.noun in c.facts.counts and x.noun != "item"]
    if as_word:
        counts = [x for x in counts if re.fullmatch(r"\d+", c.plain[x.num_start:x.num_end].split("-")[0].split(" ")[0] or "")]
    if not counts:
        return None
    x = rng.choice(counts)
    stated = set(c.facts.counts.get(x.noun, {}))
    val = x.values[0]
    new = int(_other_number(float(val), stated | {float(v) for v in x.values}, rng))
    m = re.match(r"\s*(\d+(?:\.\d+)?|[A-Za-zÀ-ÿ]+(?:[\s-][A-Za-zÀ-ÿ]+)?)", c.plain[x.num_start:x.num_end])
    if not m:
        return None
    tok = m.group(1)
    s = x.num_start + m.start(1)
    e = s + len(tok)
    if as_word or not tok[0].isdigit():
        rep = number_word(new, c.lang)
        if tok[:1].isupper():
            rep = rep[:1].upper() + rep[1:]
    else:
        rep = str(new)
    return _replace(c.text, s, e, rep), f"count {x.text!r}: {tok!r} -> {rep!r}"


def _e_page_swap(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    refs = page_refs(c.plain)
    if not refs:
        return None
    nums, s, e = rng.choice(refs)
    cited = set(c.facts.pages)
    seg = c.text[s:e]
    m = list(re.finditer(r"\d{1,3}", seg))
    if not m:
        return None
    mm = rng.choice(m)
    new = rng.choice([p for p in range(12, 330) if p not in cited and all(abs(p - q) > 1 for q in cited)])
    return _replace(c.text, s + mm.start(), s + mm.end(), str(new)), f"page {mm.group(0)} -> {new}"


_FLIPS = {
    "en": [(r"\bstill denied\b", "approved"), (r"\bnot approved\b", "approved"), (r"\bapproved\b", "still denied")],
    "es": [(r"\bsigue negad([oa])\b", r"aprobad\1"), (r"\bno aprobad([oa])\b", r"aprobad\1"), (r"\baprobad([oa])\b", r"sigue negad\1")],
}


#: The outcome right after an item line's colon ("X: approved", "X: still denied", "X: not approved.").
_LINE_OUTCOME = re.compile(r":[\s*_]*(?:(?:still|not|sigue|no)\s+)?(?:approved|denied|aprobad[oa]|negad[oa])\b", re.I)


def _outcome_lines(c: _ExplCtx) -> list[tuple[int, int]]:
    """Spans of "X: outcome" lines (where a flipped outcome is unambiguous): the outcome follows the colon
    ("Tramadol: approved."), not a sentence further on the line ("Your doctor asked for three things: ...
    The review was about what was still denied.")."""
    out = []
    for m in re.finditer(r"(?m)^.*\S:[ \t]*\S.*$", c.plain):
        line = m.group(0)
        if _LINE_OUTCOME.search(line) and not re.match(
                r"[\s*_-]*(?:Why|What|Por qu|Qu[eé] pasa|Case|N[uú]mero|Good news|Lo\s|Lo que|Todo lo)", line, re.I):
            out.append((m.start(), m.end()))
    return out


def _e_outcome_flip(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    lines = _outcome_lines(c)
    if not lines:
        return None
    ls, le = rng.choice(lines)
    hit = _LINE_OUTCOME.search(c.plain, ls, le)
    colon = hit.start() if hit else ls
    for pat, rep in _FLIPS[c.lang]:
        m = re.search(pat, c.text[colon:le], re.I)
        if m:
            s, e = colon + m.start(), colon + m.end()
            new = m.expand(rep)
            return _replace(c.text, s, e, new), f"outcome {m.group(0)!r} -> {new!r}"
    return None


_NEGATIONS = {
    "en": [(r"\bnot medically necessary\b", "medically necessary", "dropped"),
           (r"(?<!not )\bmedically necessary\b", "not medically necessary", "added"),
           (r"\bdid not agree with the denial\b", "agreed with the denial", "dropped"),
           (r"\bagreed with the denial\b", "did not agree with the denial", "added")],
    "es": [(r"\bno (son|es) médicamente necesari", r"\1 médicamente necesari", "dropped"),
           (r"(?<!no )\b(son|es) médicamente necesari", r"no \1 médicamente necesari", "added")],
}


def _e_negation(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    opts = []
    for pat, rep, how in _NEGATIONS[c.lang]:
        for m in re.finditer(pat, c.text, re.I):
            if re.search(r"\b(?:whether|if|si)\s+$", c.text[max(0, m.start() - 30):m.start()], re.I):
                continue
            opts.append((m, rep, how))
    if not opts:
        return None
    m, rep, how = rng.choice(opts)
    new = m.expand(rep).lower()
    if m.group(0)[:1].isupper():
        new = new[:1].upper() + new[1:]
    return _replace(c.text, m.start(), m.end(), new), f"negation {how}: {m.group(0)!r} -> {new!r}"


def _e_treatment_swap(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    lines = _outcome_lines(c)
    new = _swap_treatment(c.facts, rng, TREATMENT_POOL_ES if c.lang == "es" else TREATMENT_POOL)
    if not lines or new is None:
        return None
    ls, le = rng.choice(lines)
    hit = _LINE_OUTCOME.search(c.plain, ls, le)
    colon = hit.start() if hit else c.plain.index(":", ls)
    s = ls
    while s < colon and not c.plain[s].strip():
        s += 1
    old = c.text[s:colon]
    return _replace(c.text, s, colon, new), f"treatment {old.strip()!r} -> {new!r}"


def _e_deadline_change(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    ds = [d for d in c.reading.deadlines if d.context == "appeal"]
    if not ds:
        return None
    d = rng.choice(ds).count
    m = re.match(r"\s*(\d+|[A-Za-zÀ-ÿ]+(?:[\s-][A-Za-zÀ-ÿ]+)?)", c.plain[d.num_start:d.num_end])
    if not m:
        return None
    new = rng.choice([10, 14, 15, 20, 45, 60, 90])
    tok = m.group(1)
    rep = str(new) if tok[0].isdigit() else number_word(new, c.lang)
    s = d.num_start + m.start(1)
    return _replace(c.text, s, s + len(tok), rep), f"appeal deadline {tok!r} -> {rep!r} days"


def _e_age_change(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    hit = find_age(c.plain)
    if not hit:
        return None
    age, s, e = hit
    m = re.search(r"\d+", c.plain[s:e])
    if not m:
        return None
    new = age
    while new == age:
        new = age + rng.choice([-11, -9, -2, -1, 1, 2, 9, 11])
    if c.facts.age is not None and new == c.facts.age:
        new += 3
    return _replace(c.text, s + m.start(), s + m.end(), str(new)), f"age {age} -> {new}"


_SEX_SWAP = {"man": "woman", "woman": "man", "male": "female", "female": "male", "hombre": "mujer", "mujer": "hombre",
             "gentleman": "lady", "lady": "gentleman"}


def _e_sex_change(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    hits = [m for m in SEX_RE.finditer(c.plain) if m.group(0).lower() in _SEX_SWAP]
    if not hits:
        return None
    m = rng.choice(hits)
    word = m.group(0)
    rep = _SEX_SWAP[word.lower()]
    if word[:1].isupper():
        rep = rep.capitalize()
    text = _replace(c.text, m.start(), m.end(), rep)
    if c.lang == "es":  # "un hombre" / "una mujer": keep the article in agreement
        before = text[:m.start()]
        art = re.search(r"\b(un|una|el|la)\s+$", before, re.I)
        if art:
            swap = {"un": "una", "una": "un", "el": "la", "la": "el"}
            a = art.group(1)
            new_a = swap[a.lower()]
            if a[:1].isupper():
                new_a = new_a.capitalize()
            text = before[:art.start(1)] + new_a + before[art.end(1):] + text[m.start():]
    return text, f"sex word {word!r} -> {rep!r}"


def _e_appeal_removed(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    from ..checks.explanation import _APPEAL_RE, _MAIL_RE

    out = []
    removed = 0
    for line in c.text.split("\n"):
        parts = re.split(r"(?<=[.!?])\s+", line)
        keep = [p for p in parts if not (_APPEAL_RE[c.lang].search(p) or _MAIL_RE.search(p)
                                         or re.search(r"\b(?:do this|hacerlo)\b", p, re.I))]
        removed += len(parts) - len(keep)
        if re.match(r"\s*#+\s*(?:Your right to appeal|Su derecho a apelar)", line, re.I):
            removed += 1
            continue
        out.append(" ".join(keep) if keep or not line.strip() else "")
    if not removed:
        return None
    return "\n".join(out), "appeal-right sentences removed"


EXPLANATION_OPS: dict[str, tuple[str, Callable[..., Any]]] = {
    "date_shift": ("date", _e_date_shift),
    "date_swap": ("date", _e_date_swap),
    "count_change": ("count", _e_count_change),
    "number_word": ("count", lambda c, rng: _e_count_change(c, rng, as_word=True)),
    "page_swap": ("page", _e_page_swap),
    "outcome_flip": ("decision", _e_outcome_flip),
    "negation": ("decision", _e_negation),
    "treatment_swap": ("treatment", _e_treatment_swap),
    "deadline_change": ("deadline", _e_deadline_change),
    "age_change": ("demographic", _e_age_change),
    "sex_change": ("demographic", _e_sex_change),
    "appeal_removed": ("missing", _e_appeal_removed),
}


def _ctx(text: str, letter: Letter, reference: CaseRecord | None, lang: str) -> _ExplCtx:
    ref = reference or reference_record(letter)
    if lang in ("", "auto", None):
        lang = detect_lang(text)
    return _ExplCtx(text, strip_markdown(text), lang, facts_for(letter, ref))


def explanation_mutants(text: str, letter: Letter, *, reference: CaseRecord | None = None, seed: int = 0,
                        lang: str = "auto", ops: list[str] | None = None) -> list[Mutant]:
    """One mutant per applicable explanation operator (each plants one error of its ``kind``)."""
    c = _ctx(text, letter, reference, lang)
    out = []
    for name in ops or list(EXPLANATION_OPS):
        kind, fn = EXPLANATION_OPS[name]
        res = fn(c, _rng(seed, name, letter.sha256 + c.lang))
        if res is not None and res[0] != text:
            out.append(Mutant("explanation", name, kind, res[1], explanation=res[0]))
    return out


# ==================================================================================== reviewer summary
# The reviewer summary (``imrassist.explain.summarize``; checked with ``explanation_kind="summary"``):
# terse Markdown, "## 1. X — OVERTURNED" item headings, "(5 overturned, 4 upheld)", "Rationale (...)".

_SUMMARY_HEADING = re.compile(r"(?m)^(?P<lead>[ \t]*#{1,6}[ \t]+(?:\d{1,3}[.)][ \t]+)?)(?P<x>\S.*?)[ \t]+[—–-]{1,2}[ \t]+"
                              r"(?P<dec>OVERTURNED|UPHELD)[ \t]*$")


def _s_decision_flip(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    heads = list(_SUMMARY_HEADING.finditer(c.text))
    if not heads:
        return None
    m = rng.choice(heads)
    new = "UPHELD" if m.group("dec") == "OVERTURNED" else "OVERTURNED"
    return _replace(c.text, m.start("dec"), m.end("dec"), new), f"heading {m.group('dec')} -> {new}"


def _s_tally_change(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    tallies = list(re.finditer(r"\((?P<o>\d+) overturned, (?P<u>\d+) upheld\)", c.text))
    if not tallies:
        return None
    m = tallies[0]
    which = rng.choice(["o", "u"])
    old = int(m.group(which))
    new = old + 1 if old == 0 or rng.random() < 0.5 else old - 1
    return _replace(c.text, m.start(which), m.end(which), str(new)), f"tally {old} -> {new}"


def _s_conclusion_flip(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    hits = list(re.finditer(r"Rationale \((?P<neg>not )?medically necessary\)", c.text))
    if not hits:
        return None
    m = rng.choice(hits)
    new = "Rationale (medically necessary)" if m.group("neg") else "Rationale (not medically necessary)"
    return _replace(c.text, m.start(), m.end(), new), f"{m.group(0)!r} -> {new!r}"


def _s_treatment_swap(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    heads = list(_SUMMARY_HEADING.finditer(c.text))
    new = _swap_treatment(c.facts, rng, TREATMENT_POOL)
    if not heads or new is None:
        return None
    m = rng.choice(heads)
    return _replace(c.text, m.start("x"), m.end("x"), new), f"treatment {m.group('x')!r} -> {new!r}"


def _s_source_swap(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    cited = c.facts.sources
    hits = [m for m in re.finditer(r"\b(MTUS|ODG|ACOEM)\b", c.text)]
    others = [s for s in ("MTUS", "ODG", "ACOEM") if s not in cited]
    if not hits or not others:
        return None
    m = rng.choice(hits)
    new = rng.choice(others)
    return _replace(c.text, m.start(), m.end(), new), f"source {m.group(0)} -> {new}"


SUMMARY_OPS: dict[str, tuple[str, Callable[..., Any]]] = {
    "date_shift": ("date", _e_date_shift),
    "count_change": ("count", _e_count_change),
    "page_swap": ("page", _e_page_swap),
    "decision_flip": ("decision", _s_decision_flip),
    "tally_change": ("decision", _s_tally_change),
    "conclusion_flip": ("decision", _s_conclusion_flip),
    "treatment_swap": ("treatment", _s_treatment_swap),
    "source_swap": ("guideline", _s_source_swap),
    "age_change": ("demographic", _e_age_change),
    "sex_change": ("demographic", _e_sex_change),
}


def summary_mutants(text: str, letter: Letter, *, reference: CaseRecord | None = None, seed: int = 0,
                    ops: list[str] | None = None) -> list[Mutant]:
    """One mutant of a reviewer summary per applicable operator (each plants one error of its ``kind``)."""
    c = _ctx(text, letter, reference, "en")
    c.kind = "summary"
    out = []
    for name in ops or list(SUMMARY_OPS):
        kind, fn = SUMMARY_OPS[name]
        res = fn(c, _rng(seed, "summary:" + name, letter.sha256))
        if res is not None and res[0] != text:
            out.append(Mutant("explanation", name, kind, res[1], explanation=res[0]))
    return out


# ============================================================================================ paraphrases


def _p_dates(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    ds = _e_dates(c)
    if not ds:
        return None
    text = c.text
    for d in sorted(ds, key=lambda d: -d.start):
        style = _style_of(d.text)
        new_style = rng.choice(["numeric", "iso"] if style == "words" else ["words"] + (["short"] if c.lang == "en" else []))
        text = _replace(text, d.start, d.end, format_date(d.date, new_style, c.lang))
    return text, "dates reformatted"


def _p_numbers(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    targets = [x.count for x in c.reading.deadlines] + list(c.reading.counts)
    text = c.text
    changed = 0
    for x in sorted(targets, key=lambda x: -x.num_start):
        m = re.match(r"\d+", c.plain[x.num_start:x.num_end])
        if not m or len(x.values) != 1 or not float(x.values[0]).is_integer() or x.values[0] > 99:
            continue
        s = x.num_start
        word = number_word(int(x.values[0]), c.lang)
        if c.lang == "es" and word == "uno" and x.noun in ("month", "day", "week", "year"):
            word = "un"
        text = _replace(text, s, s + len(m.group(0)), word)
        changed += 1
    return (text, f"{changed} number(s) written as words") if changed else None


_SYNONYMS = {
    "en": [(r"(:\s*)approved\.", r"\1the reviewer agreed that you should get it."),
           (r"(:\s*)still denied\.", r"\1not approved. The reviewer agreed with the denial."),
           (r"\bThe denial stands\b", "The earlier denial stays in place")],
    "es": [(r"(:\s*)sigue negad[oa]\.", r"\1no aprobado. El revisor estuvo de acuerdo con la negación."),
           (r"(:\s*)aprobad[oa]\.", r"\1el revisor estuvo de acuerdo en que usted debe recibirlo.")],
}


def _p_outcomes(c: _ExplCtx, rng: random.Random) -> tuple[str, str] | None:
    text = c.text
    n = 0
    for pat, rep in _SYNONYMS[c.lang]:
        text, k = re.subn(pat, rep, text)
        n += k
    return (text, f"{n} outcome phrase(s) reworded") if n else None


PARAPHRASE_OPS: dict[str, Callable[..., Any]] = {
    "dates_reformatted": _p_dates,
    "numbers_as_words": _p_numbers,
    "outcome_synonyms": _p_outcomes,
}


def explanation_paraphrases(text: str, letter: Letter, *, reference: CaseRecord | None = None, seed: int = 0,
                            lang: str = "auto") -> list[Mutant]:
    """Meaning-preserving rewrites (no error expected): each alone, then all together."""
    c = _ctx(text, letter, reference, lang)
    out = []
    combined = text
    for name, fn in PARAPHRASE_OPS.items():
        res = fn(c, _rng(seed, name, letter.sha256 + c.lang))
        if res is not None and res[0] != text:
            out.append(Mutant("explanation", name, None, res[1], explanation=res[0]))
            cc = _ctx(combined, letter, reference, c.lang)
            res2 = fn(cc, _rng(seed, name, letter.sha256 + c.lang))
            if res2 is not None:
                combined = res2[0]
    if combined != text and len(out) > 1:
        out.append(Mutant("explanation", "all_paraphrases", None, "all paraphrases together", explanation=combined))
    return out


__all__ = ["Mutant", "record_mutants", "explanation_mutants", "explanation_paraphrases", "summary_mutants", "RECORD_OPS",
           "EXPLANATION_OPS", "SUMMARY_OPS", "PARAPHRASE_OPS", "format_date", "number_word", "TREATMENT_POOL"]
