"""Record checks: is every value of a CaseRecord grounded in the letter, and does it say what the letter says?

The record may come from anywhere (our rules, a model, a person). Each value is checked two ways: its
evidence (the quote must stand at its offsets in the ORIGINAL letter text, and re-reading the quote with
the same :mod:`imrassist.parse` function must give the value back: ``grounding``), and its meaning against
the letter's own statements (:mod:`imrassist.checks.facts`): dates in their role and in order, counts,
the worker, each item's decision, treatment and citations.

Severity: ``error`` when the letter contradicts the value; ``warning`` when the letter does not support
it or it cannot be verified (an unaligned quote, a value the letter states but in another reading);
``info`` for notes.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Iterator

from pydantic import BaseModel
from rapidfuzz import fuzz

from .. import knowledge
from ..extract.items import conclusion
from ..models import CaseRecord, Citation, Evidence, Extracted, Limit
from ..parse import NUMBER_WORDS, find_age, find_quantity, norm_words, parse_date, parse_sex, singular
from .common import _noun_key, find_counts, fragment, guideline_citations, pages_in
from .facts import ROLES, ItemFact, LetterFacts, limits_in
from .registry import CheckContext, register

# ------------------------------------------------------------------------------------------------ walking


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(n for n in cls.model_fields if n != "meta")  # type: ignore[attr-defined]
    return names


def walk(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every evidence-carrying node of a record (Extracted values and Citations) with its path, in
    document order."""
    out: list[tuple[str, Any]] = []
    _walk(obj, path, out)
    return iter(out)


def _walk(obj: Any, path: str, out: list[tuple[str, Any]]) -> None:
    kind = _KINDS.get(type(obj))
    if kind is None:
        kind = _kind(obj)
    if kind == _LEAF:
        out.append((path, obj))
    elif kind == _MODEL:
        _walk_fields(obj, path, out)
    elif kind == _SEQ:
        _walk_items(obj, path, out)


# What :func:`_walk` does with a value, by its type (isinstance depends on the type alone): a record is a
# few hundred values, most of them None, strings and numbers, and a node's path is only spelled out for a
# value under which a node can stand.
_NOTHING, _LEAF, _MODEL, _SEQ = 0, 1, 2, 3
_KINDS: dict[type, int] = {}


def _kind(obj: Any) -> int:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        kind = _NOTHING
    elif isinstance(obj, (Extracted, Citation)):
        kind = _LEAF
    elif isinstance(obj, BaseModel):
        kind = _MODEL
    elif isinstance(obj, (list, tuple)):
        kind = _SEQ
    else:
        kind = _NOTHING
    _KINDS[type(obj)] = kind
    return kind


def _walk_fields(obj: Any, path: str, out: list[tuple[str, Any]]) -> None:
    for name in _fields(type(obj)):
        v = getattr(obj, name)
        kind = _KINDS.get(type(v))
        if kind is None:
            kind = _kind(v)
        if kind == _NOTHING:
            continue
        p = f"{path}.{name}" if path else name
        if kind == _LEAF:
            out.append((p, v))
        elif kind == _MODEL:
            _walk_fields(v, p, out)
        else:
            _walk_items(v, p, out)


def _walk_items(obj: Any, path: str, out: list[tuple[str, Any]]) -> None:
    for i, v in enumerate(obj):
        kind = _KINDS.get(type(v))
        if kind is None:
            kind = _kind(v)
        if kind == _NOTHING:
            continue
        p = f"{path}[{i}]"
        if kind == _LEAF:
            out.append((p, v))
        elif kind == _MODEL:
            _walk_fields(v, p, out)
        else:
            _walk_items(v, p, out)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Limit):
        lo = "" if value.min is None else f"{value.min}-"
        return f"{lo}{value.max} {value.unit or ''}".strip()
    return str(value)


def _num_eq(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def _numbers_in(text: str) -> list[float]:
    out = []
    for c in find_counts(text, "en"):
        out.extend(float(v) for v in c.values)
    # What parse_number gives a token, without its general clean-up: a run of digits (any script's, as
    # ``\d``) is the number ``float`` reads (parse_number's int of an integral float is that float again);
    # a word of ASCII letters and hyphens is looked up in lower case, English before Spanish (NUMBER_WORDS
    # is the two tables, English winning). Most tokens are words that are no number (one dict look-up each).
    for num, word in _NUMBER_TOKENS.findall(text):
        if num:
            out.append(float(num))
        else:
            v = NUMBER_WORDS.get(word.lower())
            if v is not None:
                out.append(float(v))
    return out


_NUMBER_TOKENS = re.compile(r"(\d+(?:\.\d+)?)|([A-Za-z]+(?:-[A-Za-z]+)?)")


# ------------------------------------------------------------------------------------------ value readers


_INDEX_RE = re.compile(r"\[\d+\]")


_PRONOUNS = re.compile(r"\b(?P<f>she|her|hers|herself|ella)\b|\b(?P<m>he|him|his|himself|[eé]l)\b", re.IGNORECASE)


def _pronoun_sex(frag: str) -> str | None:
    """The sex a quote states by a pronoun ("She reported ...": female), when it names no sex word."""
    m = _PRONOUNS.search(frag)
    if m is None:
        return None
    return "female" if m.group("f") else "male"


#: Re-readings of quotes, by field shape, value and quote. Bounded: what repeats is the same letter's quotes
#: (every record of a letter, e.g. in a mutation suite); over a batch of distinct letters it would only grow.
_REREAD_MEMO: dict[tuple[str, str, Any, str], tuple[bool, Any] | None] = {}
_REREAD_MEMO_SIZE = 4096
_SHAPES: dict[str, str] = {}  # path -> :func:`_shape`


def _reread(path: str, value: Any, frag: str) -> tuple[bool, Any] | None:
    """:func:`_reread_uncached`, memoised: a pure function of the field, the value and the quote (the same
    quotes come back for every record of a letter)."""
    key = _reread_key(path, value, frag)
    try:
        return _REREAD_MEMO[key]
    except KeyError:
        pass
    out = _reread_uncached(path, value, frag)
    if len(_REREAD_MEMO) >= _REREAD_MEMO_SIZE:
        _REREAD_MEMO.clear()
    _REREAD_MEMO[key] = out
    return out


def _reread_key(path: str, value: Any, frag: str) -> tuple[str, str, Any, str]:
    """The memo's key: the field's shape, the value's type and repr, the quote. (A text value stands for its
    repr: two texts have the same repr exactly when they are the same text, and a long quote's repr is a
    copy of it.)"""
    return (_SHAPES.get(path) or _shape(path), type(value).__name__, value if type(value) is str else repr(value), frag)


def _shape(path: str) -> str:
    """The field a path names, whatever the list indices (``items[3].quantity`` -> ``items[].quantity``):
    the memo's key. Looked up by path (the same few dozen paths come back in every record)."""
    shape = _SHAPES.get(path)
    if shape is None:
        shape = path if "licensed_in" not in path else "licensed_in"
        shape = _INDEX_RE.sub("[]", shape) if "[" in shape else shape
        if len(_SHAPES) >= _REREAD_MEMO_SIZE:
            _SHAPES.clear()
        _SHAPES[path] = shape
    return shape


_LAST_INDEX = re.compile(r"\[\d+\]$")


def _us_date(value: dt.date) -> str | None:
    """``value`` as ``MM/DD/YYYY`` (how most quotes of a date read), for a year of 1900-2099: the one
    date :func:`imrassist.parse.parse_date` reads in that text is ``value`` (a month-first numeric date
    with a 19xx/20xx year, no month name, no "-" for an ISO date), so a quote that reads so needs no
    parsing. None for other years (the date patterns read no other year of four digits)."""
    if 1900 <= value.year <= 2099:
        return f"{value.month:02d}/{value.day:02d}/{value.year}"
    return None


_LEAVES: dict[str, str] = {}  # path -> its last field name


def _leaf(path: str) -> str:
    """The last field name of a path, without a list index (``items[3].unit`` -> ``unit``); looked up by
    path, as :func:`_shape`."""
    leaf = _LEAVES.get(path)
    if leaf is None:
        leaf = _LAST_INDEX.sub("", path).rsplit(".", 1)[-1]
        if len(_LEAVES) >= _REREAD_MEMO_SIZE:
            _LEAVES.clear()
        _LEAVES[path] = leaf
    return leaf


@lru_cache(maxsize=1024)
def _quantity_in(frag: str) -> Any:
    """:func:`imrassist.parse.find_quantity` of a quote (read-only): an item's quantity and its unit
    usually quote the same words, and both re-readings read the quantity."""
    return find_quantity(frag)


def _reread_uncached(path: str, value: Any, frag: str) -> tuple[bool, Any] | None:
    """(agrees, value read from the quote) for the field at ``path``, or None when not checkable."""
    leaf = _leaf(path)
    if isinstance(value, bool):
        if leaf == "medically_necessary":
            con = conclusion(frag)
            if con is None:
                return None
            return con[0] == value, con[0]
        return None
    if isinstance(value, dt.date):
        if type(value) is dt.date and frag == _us_date(value):
            return True, value  # (what parse_date reads in it: see _us_date)
        got = parse_date(frag)
        return got == value, got
    if leaf == "age":
        hit = find_age(frag)
        if hit:
            return hit[0] == value, hit[0]
        nums = _numbers_in(frag)
        return any(_num_eq(n, value) for n in nums), (nums[0] if nums else None)
    if leaf == "quantity":
        q = _quantity_in(frag)
        if q is not None and _num_eq(q.amount, value):
            return True, q.amount
        nums = _numbers_in(frag)
        if any(_num_eq(n, value) for n in nums):
            return True, value
        return False, (q.amount if q else (nums[0] if nums else None))
    if leaf == "unit":
        q = _quantity_in(frag)
        if q is not None and (q.unit == value or _noun_key(q.unit, "en") == _noun_key(str(value), "en")):
            return True, q.unit
        words = {singular(w) for w in re.findall(r"[a-z][a-z\-]*", frag.lower())}
        ok = all(singular(w) in words for w in str(value).lower().split())
        return ok, (q.unit if q else None)
    if isinstance(value, Limit):
        found = limits_in(frag)
        for lo, hi, _unit, _, _ in found:
            if lo == value.min and hi == value.max:
                return True, value
        if found:
            lo, hi, unit, _, _ = found[0]
            return False, Limit(min=lo, max=hi, unit=unit)
        nums = _numbers_in(frag)
        want = [x for x in (value.min, value.max) if x is not None]
        return all(any(_num_eq(n, w) for n in nums) for w in want), None
    if leaf == "sex":
        got = parse_sex(frag) or _pronoun_sex(frag)
        return got == value, got
    if leaf == "decision":
        low = frag.lower()
        if "upheld" in low or "overturned" in low:
            got = "upheld" if "upheld" in low else "overturned"
        else:
            con = conclusion(frag)
            if con is None:
                return None
            got = "overturned" if con[0] else "upheld"
        return got == value, got
    if leaf == "priority":
        m = re.search(r"standard|regular|expedited|urgent", frag, re.IGNORECASE)
        if not m:
            return False, None
        got = "expedited" if m.group(0).lower() in ("expedited", "urgent") else "standard"
        return got == value, got
    if leaf in ("years_in_practice", "hours_per_week"):
        nums = _numbers_in(frag)
        return any(_num_eq(n, value) for n in nums), (nums[0] if nums else None)
    if leaf == "outcome":
        low = frag.lower()
        stems = {"non-certified": r"non[-\s]?cert", "denied": r"den(?:ied|ial|y)", "modified": r"modif",
                 "partially approved": r"partial"}
        rx = stems.get(str(value))
        return (bool(re.search(rx, low)) if rx else True), None
    if "licensed_in" in path:
        states = knowledge.states()
        got = states.get(frag.strip(" .,;").lower()) if states else None
        if got is None:
            return norm_words(str(value)) in norm_words(frag), None
        return got == value, got
    if isinstance(value, str):
        if value == frag:  # (what the rules extractor gives for a text field: the quote as normalised)
            return True, None
        v, q = norm_words(value), norm_words(frag)
        if not v:
            return True, None
        if v == q or v in q or (q and q in v and len(q) >= 0.8 * len(v)):
            return True, None
        return fuzz.token_set_ratio(v, q) >= 90, frag
    if isinstance(value, (int, float)):
        nums = _numbers_in(frag)
        return any(_num_eq(n, value) for n in nums), (nums[0] if nums else None)
    return None


# ------------------------------------------------------------------------------------------- grounding


@register(
    "record.grounding", code="RECORD_GROUNDING", kind="grounding", targets=("record",),
    severity="error: the quote is not the letter's text at its offsets, its offsets fall outside the letter, "
             "or re-reading the quote gives another value; warning: an unaligned quote (no offsets), a record "
             "made from another text (sha256); info: values without any evidence",
)
def check_grounding(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every Extracted value's quote stands at its offsets and re-reads to the value."""
    record = ctx.record
    if record is None:
        return
    original = ctx.letter.original
    sha = record.letter.sha256
    if sha and ctx.letter.sha256 and sha != ctx.letter.sha256:
        yield emit("OTHER_LETTER", "warning", "letter.sha256",
                   "the record was read from another text than this letter (its sha256 differs): offsets may not apply",
                   found=sha[:12], expected=ctx.letter.sha256[:12])
    no_evidence: list[str] = []
    size = len(original)
    for path, node in walk(record):
        ev: Evidence | None = node.evidence
        if ev is None:
            no_evidence.append(path)
            continue
        span = ev.span
        if span is None or ev.alignment == "unaligned":
            where = original.find(ev.quote) if ev.quote else -1
            hint = f" (the quote does occur at {where})" if where >= 0 else " (the quote does not occur in the letter)"
            yield emit("UNALIGNED", "warning", path, f"{path}: the quote has no offsets in the letter{hint}",
                       found=ev.quote[:120], span=(where, where + len(ev.quote)) if where >= 0 else None)
        else:
            s, e = span
            if e > size:
                yield emit("OUT_OF_RANGE", "error", path,
                           f"{path}: evidence offsets [{s}, {e}) fall outside the letter ({len(original)} characters)",
                           found=f"[{s}, {e})", expected=f"within [0, {len(original)})")
                continue
            if original[s:e] != ev.quote:
                where = original.find(ev.quote) if ev.quote else -1
                hint = f"; the quote occurs at {where}" if where >= 0 else "; the quote does not occur in the letter"
                yield emit("QUOTE_MISMATCH", "error", path,
                           f"{path}: the quote is not the letter's text at [{s}, {e}){hint}",
                           found=ev.quote[:120], expected=original[s:e][:120], span=(s, e))
                continue
        if isinstance(node, Citation):
            continue  # citations are re-read by record.guideline / record.page
        frag = fragment(ev.quote)
        res = _reread(path, node.value, frag)
        if res is not None and not res[0]:
            got = res[1]
            yield emit("VALUE_MISMATCH", "error", path,
                       f"{path}: the value is {_fmt(node.value)!s} but its quote reads "
                       f"{_fmt(got) if got is not None else repr(frag[:80])}",
                       found=_fmt(node.value), expected=None if got is None else _fmt(got),
                       span=span if span and span[1] <= len(original) else None)
    if no_evidence:
        yield emit("NO_EVIDENCE", "info", "record",
                   f"{len(no_evidence)} value(s) carry no evidence and cannot be grounded (e.g. {no_evidence[0]})",
                   found=str(len(no_evidence)))


# ----------------------------------------------------------------------------------------- item pairing


def _name_score(a: str, b: str) -> float:
    return _words_score(_nw(a), _nw(b))


def _words_score(x: str, y: str) -> float:
    """:func:`_name_score` of two names already read by :func:`imrassist.parse.norm_words`."""
    if not x or not y:
        return 0.0
    if x == y:
        return 100.0
    score = float(fuzz.token_set_ratio(x, y))
    if (x in y or y in x) and min(len(x), len(y)) >= 4:
        score = max(score, 90.0)
    return score


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return bool(a and b and a[0] < b[1] and b[0] < a[1])


def pair_items(record: CaseRecord, facts: LetterFacts) -> list[ItemFact | None]:
    """The letter item each record item stands for (by name; evidence position breaks ties), or None."""
    letter = facts.letter
    cands: list[tuple[float, int, int]] = []
    # (Each name is read once, not once per pair: a letter of n items pairs n x n names.)
    names = [_nw(f.name) for f in facts.items]
    asked = [_nw(f.item.original_request.value) if f.item is not None and f.item.original_request is not None
             else None for f in facts.items]
    blocks: dict[int, tuple[int, int]] = {}
    for i, it in enumerate(record.items):
        rspan = it.treatment.evidence.span if it.treatment.evidence else None
        x = _nw(it.treatment.value)
        for j, f in enumerate(facts.items):
            score = _words_score(x, names[j])
            if asked[j] is not None:
                score = max(score, _words_score(x, asked[j]))  # type: ignore[arg-type]
            if score < 80:
                continue
            block = blocks.get(j)
            if block is None:
                block = blocks[j] = letter.to_original(*f.block)
            bonus = 5.0 if _overlap(rspan, block) else 0.0
            cands.append((score + bonus, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    out: list[ItemFact | None] = [None] * len(record.items)
    used: set[int] = set()
    for _, i, j in cands:
        if out[i] is None and j not in used:
            out[i] = facts.items[j]
            used.add(j)
    return out


def _pairs(ctx: CheckContext) -> list[ItemFact | None]:
    assert ctx.record is not None
    return ctx.memo("record.pairs", lambda: pair_items(ctx.record, ctx.facts))  # type: ignore[arg-type]


def _ev_span(x: Extracted[Any] | Citation | None) -> tuple[int, int] | None:
    return x.evidence.span if x is not None and x.evidence is not None else None


# ---------------------------------------------------------------------------------------------- dates

_ORDER = ["injury", "ur_decision", "application_received", "assigned", "determination"]
_ROLE_WORDS = {"injury": "date of injury", "ur_decision": "UR decision date", "application_received": "IMR application date",
               "assigned": "IMR assignment date", "determination": "determination date"}


@register(
    "record.date", code="RECORD_DATE", kind="date", targets=("record",),
    severity="error: a date the letter does not state, a date the letter states in another role while it "
             "states this role's date, or dates out of order (injury <= UR <= application <= assigned <= "
             "determination) where the record differs from the letter; warning: a date the letter states "
             "without saying its role, an exam dated outside injury..determination",
)
def check_dates(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Each key date is stated in the letter in its role, and the key dates are in order."""
    record, facts = ctx.record, ctx.facts
    if record is None:
        return
    known = facts.date_values()
    for role in ROLES:
        x = getattr(record.dates, role)
        if x is None:
            continue
        v = x.value
        field = f"dates.{role}"
        stated = facts.role_dates.get(role, set())
        if v in stated:
            continue
        exp = ", ".join(sorted(d.isoformat() for d in stated)) or None
        if v not in known:
            yield emit("NOT_IN_LETTER", "error", field,
                       f"{field} is {v.isoformat()}, a date the letter does not state"
                       + (f"; the letter's {_ROLE_WORDS[role]} is {exp}" if exp else ""),
                       found=v.isoformat(), expected=exp, span=facts.role_span(role) or _ev_span(x))
        elif stated:
            other = sorted({r for d in facts.dates if d.date == v for r in d.roles} - {role})
            yield emit("WRONG_ROLE", "error", field,
                       f"{field} is {v.isoformat()}, which the letter gives as "
                       f"{', '.join(other) or 'another date'}; its {_ROLE_WORDS[role]} is {exp}",
                       found=v.isoformat(), expected=exp, span=facts.role_span(role))
        else:
            yield emit("ROLE_UNVERIFIED", "warning", field,
                       f"{field} is {v.isoformat()}: the letter states this date but not as its {_ROLE_WORDS[role]}",
                       found=v.isoformat(), span=facts.first_span(v))
    # Order.
    ref = ctx.reference.dates
    vals = [(r, getattr(record.dates, r)) for r in _ORDER]
    vals = [(r, x) for r, x in vals if x is not None]
    for a in range(len(vals)):
        for b in range(a + 1, len(vals)):
            (ra, xa), (rb, xb) = vals[a], vals[b]
            if xa.value <= xb.value:
                continue
            ref_a, ref_b = getattr(ref, ra), getattr(ref, rb)
            if ref_a is not None and ref_b is not None and ref_a.value == xa.value and ref_b.value == xb.value:
                continue  # the letter itself is out of order: letter.dates reports it
            yield emit("ORDER", "error", f"dates.{rb}",
                       f"dates.{ra} ({xa.value.isoformat()}) is after dates.{rb} ({xb.value.isoformat()})",
                       found=f"{xa.value.isoformat()} > {xb.value.isoformat()}",
                       expected=f"{_ROLE_WORDS[ra]} on or before {_ROLE_WORDS[rb]}", span=_ev_span(xb) or _ev_span(xa))
    # Events: stated in the letter, and inside the case's time line.
    injury = record.dates.injury.value if record.dates.injury else None
    determination = record.dates.determination.value if record.dates.determination else None
    for i, ev in enumerate(record.summary.events):
        v = ev.date.value
        field = f"summary.events[{i}].date"
        if v not in known:
            yield emit("NOT_IN_LETTER", "error", field, f"{field} is {v.isoformat()}, a date the letter does not state",
                       found=v.isoformat(), span=_ev_span(ev.date))
        elif ev.kind == "exam" and ((injury and v < injury) or (determination and v > determination)):
            yield emit("EVENT_OUTSIDE_CASE", "warning", field,
                       f"{field}: an exam on {v.isoformat()} is outside injury..determination", found=v.isoformat(),
                       span=_ev_span(ev.date))
    ur = record.summary.utilization_review
    if ur is not None and ur.date is not None and ur.date.value not in known:
        yield emit("NOT_IN_LETTER", "error", "summary.utilization_review.date",
                   f"the UR date {ur.date.value.isoformat()} is not stated in the letter", found=ur.date.value.isoformat(),
                   span=facts.role_span("ur_decision"))


# --------------------------------------------------------------------------------------------- counts


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _unit_key(unit: str) -> str | None:
    return _noun_key(singular(unit.split()[-1]), "en") if unit.split() else None


def _letter_quantity(f: ItemFact) -> tuple[float, str] | None:
    if f.item is not None and f.item.quantity is not None:
        return float(f.item.quantity.value), (f.item.unit.value if f.item.unit else "")
    return _name_quantity(f.name)


@lru_cache(maxsize=4096)
def _name_quantity(name: str) -> tuple[float, str] | None:
    q = find_quantity(_collapsed(name))
    return (float(q.amount), q.unit) if q else None


def _header_words(text: str, block: tuple[int, int]) -> set[str]:
    """The words (singular) of the first line of an item's block: read only for a unit the item's own
    reading does not give (the line is found in the letter, not by splitting a copy of the whole block)."""
    s, e = block
    nl = text.find("\n", s, e)
    header = _collapsed(text[s:nl if nl >= 0 else e])
    return {singular(x) for x in re.findall(r"[a-z][a-z\-]*", header.lower())}


@register(
    "record.count", code="RECORD_COUNT", kind="count", targets=("record",),
    severity="error: a quantity, unit or limit that differs from the item text / rationale, or reviewer "
             "years/hours that differ from the letter; warning: a value the letter states for the item in "
             "another reading (e.g. the original request) or does not state at all",
)
def check_counts(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Quantities, units, limits (digits or words) and the reviewer's years/hours agree with the letter."""
    record, facts = ctx.record, ctx.facts
    if record is None:
        return
    for i, (it, f) in enumerate(zip(record.items, _pairs(ctx))):
        if f is None:
            continue
        lq = _letter_quantity(f)
        if it.quantity is not None:
            v = it.quantity.value
            field = f"items[{i}].quantity"
            if lq is not None and _num_eq(lq[0], v):
                pass
            elif any(_num_eq(n, v) for n in _numbers_in(f.header)):
                yield emit("QUANTITY_OTHER_READING", "warning", field,
                           f"{field} is {_fmt(v)}: the item states this number, but its requested amount reads "
                           f"{_fmt(lq[0]) if lq else 'none'}", found=_fmt(v), expected=_fmt(lq[0]) if lq else None,
                           span=_ev_span(it.quantity) or f.name_span)
            elif lq is not None:
                yield emit("QUANTITY_MISMATCH", "error", field,
                           f"{field} is {_fmt(v)}; the letter requests {_fmt(lq[0])} {lq[1]}".rstrip(),
                           found=_fmt(v), expected=_fmt(lq[0]), span=(f.item.quantity.evidence.span if f.item and f.item.quantity and f.item.quantity.evidence else f.name_span))
            else:
                yield emit("QUANTITY_UNSUPPORTED", "warning", field,
                           f"{field} is {_fmt(v)}, but the item {f.name!r} states no amount", found=_fmt(v),
                           span=f.name_span)
        if it.unit is not None and it.quantity is not None:
            u = it.unit.value
            lu = lq[1] if lq else ""
            field = f"items[{i}].unit"
            if not (lu and (u == lu or (_unit_key(u) is not None and _unit_key(u) == _unit_key(lu)))):
                header_words = _header_words(ctx.letter.text, f.block)
                if all(singular(w) in header_words for w in u.lower().split()):
                    if lu:
                        yield emit("UNIT_OTHER_READING", "warning", field, f"{field} is {u!r}; the item counts {lu!r}",
                                   found=u, expected=lu, span=f.name_span)
                elif lu:
                    yield emit("UNIT_MISMATCH", "error", field, f"{field} is {u!r}; the letter's item counts {lu!r}",
                               found=u, expected=lu, span=f.name_span)
                else:
                    yield emit("UNIT_UNSUPPORTED", "warning", field, f"{field} is {u!r}, a unit the item does not state",
                               found=u, span=f.name_span)
        if it.limit is not None:
            lim = it.limit.value
            field = f"items[{i}].limit"
            rtext = facts.rationale_text(f)
            found = limits_in(rtext)
            if any(lo == lim.min and hi == lim.max for lo, hi, _, _, _ in found):
                pass
            else:
                nums = _numbers_in(rtext)
                want = [x for x in (lim.min, lim.max) if x is not None]
                exp = "; ".join(_fmt(Limit(min=lo, max=hi, unit=u)) for lo, hi, u, _, _ in found) or None
                if want and all(any(_num_eq(n, w) for n in nums) for w in want):
                    yield emit("LIMIT_OTHER_READING", "warning", field,
                               f"{field} is {_fmt(lim)}: the rationale states these numbers but not as a limit",
                               found=_fmt(lim), expected=exp, span=_ev_span(it.limit))
                else:
                    yield emit("LIMIT_MISMATCH", "error", field,
                               f"{field} is {_fmt(lim)}; the rationale quotes {exp or 'no such limit'}",
                               found=_fmt(lim), expected=exp,
                               span=(f.item.limit.evidence.span if f.item and f.item.limit and f.item.limit.evidence else None))
    ref = ctx.reference.reviewer
    for name in ("years_in_practice", "hours_per_week"):
        x, r = getattr(record.reviewer, name), getattr(ref, name)
        if x is not None and r is not None and not _num_eq(x.value, r.value):
            yield emit("REVIEWER_MISMATCH", "error", f"reviewer.{name}",
                       f"reviewer.{name} is {x.value}; the letter states {r.value}", found=x.value, expected=r.value,
                       span=_ev_span(r))


# ---------------------------------------------------------------------------------------- demographic


@register(
    "record.demographic", code="RECORD_DEMOGRAPHIC", kind="demographic", targets=("record",),
    severity="error: an age or sex that differs from the letter's worker; warning: one the letter does not state",
)
def check_demographic(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """The worker's age and sex agree with the letter."""
    record, facts = ctx.record, ctx.facts
    if record is None:
        return
    age = record.worker.age
    if age is not None:
        if facts.age is None:
            yield emit("AGE_UNSUPPORTED", "warning", "worker.age", f"worker.age is {age.value}; the letter states no age",
                       found=age.value)
        elif int(age.value) != int(facts.age):
            yield emit("AGE_MISMATCH", "error", "worker.age", f"worker.age is {age.value}; the letter's worker is {facts.age}",
                       found=age.value, expected=facts.age, span=facts.age_span)
    sex = record.worker.sex
    if sex is not None:
        if facts.sex is None:
            yield emit("SEX_UNSUPPORTED", "warning", "worker.sex", f"worker.sex is {sex.value}; the letter does not say",
                       found=sex.value)
        elif sex.value != facts.sex:
            yield emit("SEX_MISMATCH", "error", "worker.sex", f"worker.sex is {sex.value}; the letter's worker is {facts.sex}",
                       found=sex.value, expected=facts.sex, span=facts.sex_span)


# ------------------------------------------------------------------------------------------- decisions


@register(
    "record.decision", code="RECORD_DECISION", kind="decision", targets=("record",),
    severity="error: an item's decision (or medical-necessity conclusion) differs from the letter's decision "
             "line (or rationale)",
)
def check_decisions(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Each item's Upheld/Overturned agrees with the decisions section."""
    record = ctx.record
    if record is None:
        return
    for i, (it, f) in enumerate(zip(record.items, _pairs(ctx))):
        if f is None:
            continue
        if it.decision.value != f.decision:
            yield emit("MISMATCH", "error", f"items[{i}].decision",
                       f"items[{i}] ({it.treatment.value}) is {it.decision.value}; the letter says {f.decision.capitalize()}",
                       found=it.decision.value, expected=f.decision, span=f.decision_span)
        ref_mn = f.item.medically_necessary if f.item is not None else None
        if it.medically_necessary is not None and ref_mn is not None and it.medically_necessary.value != ref_mn.value:
            yield emit("NECESSITY_MISMATCH", "error", f"items[{i}].medically_necessary",
                       f"items[{i}].medically_necessary is {it.medically_necessary.value}; the rationale concludes "
                       f"{'medically necessary' if ref_mn.value else 'not medically necessary'}",
                       found=it.medically_necessary.value, expected=ref_mn.value, span=_ev_span(ref_mn))


# ------------------------------------------------------------------------------------------ treatments


@register(
    "record.treatment", code="RECORD_TREATMENT", kind="treatment", targets=("record",),
    severity="error: an item whose treatment is not a disputed item of the letter",
)
def check_treatments(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every item is one of the letter's disputed items."""
    record, facts = ctx.record, ctx.facts
    if record is None:
        return
    names = "; ".join(f.name for f in facts.items)
    for i, (it, f) in enumerate(zip(record.items, _pairs(ctx))):
        if f is not None:
            continue
        rspan = _ev_span(it.treatment)
        near = next((x for x in facts.items if _overlap(rspan, facts.letter.to_original(*x.block))), None)
        yield emit("NOT_DISPUTED", "error", f"items[{i}].treatment",
                   f"items[{i}] names {it.treatment.value!r}, which is not a disputed item of the letter"
                   + (f" (the item at that place is {near.name!r})" if near else ""),
                   found=it.treatment.value, expected=names or None,
                   span=near.name_span if near else None)


@register(
    "record.missing", code="RECORD_MISSING", kind="missing", targets=("record",),
    severity="warning: a disputed item of the letter that the record leaves out",
)
def check_missing_items(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every disputed item of the letter is in the record."""
    record, facts = ctx.record, ctx.facts
    if record is None:
        return
    got = {id(f) for f in _pairs(ctx) if f is not None}
    for f in facts.items:
        if id(f) not in got:
            yield emit("ITEM", "warning", "items", f"the letter's item {f.name!r} ({f.decision}) is not in the record",
                       expected=f.name, span=f.name_span)


# ------------------------------------------------------------------------------------------- citations

@lru_cache(maxsize=8192)
def _source_in(source: str, line: str) -> bool:
    rx = _SOURCE_RE.get(source)
    return bool(rx and rx.search(line))


@lru_cache(maxsize=16384)
def _nw(text: str) -> str:
    """:func:`imrassist.parse.norm_words`, memoised (citation lines and topics repeat)."""
    return norm_words(text)


_SOURCE_RE = {
    "MTUS": re.compile(r"\bMTUS\b|Medical\s+Treatment\s+Utilization|Chronic\s+Pain|Complaints|ACOEM|Acupuncture\s+Medical"
                       r"|Opioids?\s+Treatment|Postsurgical", re.I),
    "ACOEM": re.compile(r"\bACOEM\b|American\s+College\s+of\s+Occupational|Occupational\s+Medicine\s+Practice", re.I),
    "ODG": re.compile(r"\bODG\b|Official\s+Disability", re.I),
}


def _cite_lines(ctx: CheckContext, f: ItemFact, which: str) -> tuple[str, list[Citation]]:
    line = f.guideline_text if which == "guidelines" else f.ca_text
    if not line:
        line = ctx.facts.block_text(f)
    cands: list[Citation] = list(getattr(f.item, which)) if f.item is not None else []
    return line, cands


def _topic_ok(topic: str, line: str, cands: list[Citation]) -> bool:
    t = _nw(topic)
    if not t:
        return True
    lw = set(_nw(line).split())
    if set(t.split()) <= lw:
        return True
    for c in cands:
        if c.topic and (_nw(c.topic) == t or _name_score(c.topic, topic) >= 90):
            return True
    return False


def _doc_ok(doc: str, line: str, cands: list[Citation]) -> bool:
    d = _nw(doc)
    if not d or set(d.split()) <= set(_nw(line).split()):
        return True
    if any(c.document and _name_score(c.document, doc) >= 85 for c in cands):
        return True
    for row in knowledge.documents():
        names = [row.get("canonical", ""), *row.get("aliases", [])]
        if any(_nw(n) == d for n in names if n):
            return any(n and _nw(n) in _nw(line) for n in names)
    return fuzz.partial_ratio(d, _nw(line)) >= 85


def _quote_citations(c: Citation) -> tuple[Citation, ...]:
    """The citations a record citation's own quote reads (both steps are cached by the quote's text)."""
    ev = c.evidence
    return guideline_citations(fragment(ev.quote)) if ev is not None and ev.quote else ()


def _citation_problems(ctx: CheckContext) -> list[tuple[str, str, str, str, Any, Any, tuple[int, int] | None]]:
    """(kind, suffix, severity, message, found, expected, span) for every citation of the record."""
    record = ctx.record
    out: list[tuple[str, str, str, str, Any, Any, tuple[int, int] | None]] = []
    if record is None:
        return out
    facts = ctx.facts
    for i, (it, f) in enumerate(zip(record.items, _pairs(ctx))):
        if f is None:
            continue
        # The pages of the item's block are read only if a cited page is on neither its line nor its quote.
        block_pages: set[int] | None = None
        for which in ("guidelines", "ca_guidelines"):
            line, cands = _cite_lines(ctx, f, which)
            for j, c in enumerate(getattr(it, which)):
                field = f"items[{i}].{which}[{j}]"
                span = c.evidence.span if c.evidence and c.evidence.span else None
                here = line
                # What the citation's own quote reads is parsed only when the line and the record's own
                # citations of it leave a question open (each test below holds if it holds for either):
                # a guideline parse per citation is most of this check on a letter it has not seen.
                if c.source != "OTHER":
                    if not any(x.source == c.source for x in cands) and not _source_in(c.source, here) \
                            and not any(x.source == c.source for x in _quote_citations(c)):
                        out.append(("guideline", "SOURCE_MISMATCH", "error",
                                    f"{field}: source {c.source} is not what the letter's citation line cites",
                                    c.source, ", ".join(sorted({x.source for x in cands})) or None, span))
                if c.topic and not _topic_ok(c.topic, here, cands) and not _topic_ok(c.topic, here, _quote_citations(c)):
                    out.append(("guideline", "TOPIC_MISMATCH", "error",
                                f"{field}: topic {c.topic!r} is not cited in the letter's guideline line",
                                c.topic, "; ".join(x.topic for x in cands if x.topic) or None, span))
                if c.document and not _doc_ok(c.document, here, cands) and not _doc_ok(c.document, here, _quote_citations(c)):
                    out.append(("guideline", "DOCUMENT_UNSUPPORTED", "warning",
                                f"{field}: document {c.document!r} is not named in the letter's guideline line",
                                c.document, "; ".join(x.document for x in cands if x.document) or None, span))
                if c.year is not None and not any(x.year == c.year for x in cands) and str(c.year) not in here \
                        and not any(x.year == c.year for x in _quote_citations(c)):
                    out.append(("guideline", "YEAR_MISMATCH", "error",
                                f"{field}: year {c.year} is not printed with the letter's citation",
                                c.year, ", ".join(sorted({str(x.year) for x in cands if x.year})) or None, span))
                line_pages = set(pages_in(here)) | {p for x in cands for p in x.pages}
                for p in c.pages:
                    if p in line_pages:
                        continue
                    line_pages = line_pages | {q for x in _quote_citations(c) for q in x.pages}
                    if p in line_pages:
                        continue
                    if p not in facts.pages and block_pages is None:
                        block_pages = set(pages_in(facts.block_text(f)))
                    if p in facts.pages or p in block_pages:  # type: ignore[operator]
                        out.append(("page", "PAGE_ELSEWHERE", "warning",
                                    f"{field}: page {p} is cited in the letter, but not on this citation line",
                                    p, ", ".join(str(x) for x in sorted(line_pages)) or None, facts.pages.get(p) or span))
                    else:
                        out.append(("page", "PAGE_NOT_CITED", "error",
                                    f"{field}: page {p} is not cited in the letter",
                                    p, ", ".join(str(x) for x in sorted(line_pages)) or None, span))
    return out


@register(
    "record.guideline", code="RECORD_GUIDELINE", kind="guideline", targets=("record",),
    severity="error: a citation source, topic or year that the item's citation line does not state; "
             "warning: a document name the line does not spell",
)
def check_guidelines(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Citations' source, topic, document and year agree with the citation lines."""
    for kind, suffix, sev, msg, found, exp, span in ctx.memo("record.citations", lambda: _citation_problems(ctx)):
        if kind == "guideline":
            yield emit(suffix, sev, msg.split(":", 1)[0], msg, found=found, expected=exp, span=span)


@register(
    "record.page", code="RECORD_PAGE", kind="page", targets=("record",),
    severity="error: a cited page the letter does not cite; warning: a page the letter cites elsewhere",
)
def check_pages(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Citations' pages are the pages the letter's citation lines give."""
    for kind, suffix, sev, msg, found, exp, span in ctx.memo("record.citations", lambda: _citation_problems(ctx)):
        if kind == "page":
            yield emit(suffix, sev, msg.split(":", 1)[0], msg, found=found, expected=exp, span=span)
