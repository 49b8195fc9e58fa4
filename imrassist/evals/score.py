"""Score an extracted record against a gold answer, as ``GOLD_FORMAT.md`` ("Scoring") defines it.

Both sides are plain dicts in the gold shape; a key that is absent means null. Everything here is a pure
function of its arguments: reading files, running the extractor and printing reports belong to the
callers, so that a saved :class:`SuiteScore` can be re-read, re-aggregated and compared without re-running
anything.

Design choices where the gold format is silent (each is explained at the place it is implemented):

* "No value" is ``None``, an absent key, an empty list or a string that normalises to nothing. Gold uses
  ``pages: []`` and ``licensed_in: []`` for "the letter does not say", so an extractor that also says
  nothing must not be rewarded with a true positive for every empty list -- with hundreds of empty
  ``pages`` lists that would bury the real errors under free points. Treating ``[]`` like null means such a
  field is simply not counted, exactly like a null date.
* Items and citations are paired by an optimal assignment (:func:`best_pairing`), never by position.
* Precision, recall and F1 of an empty tally are 1.0 (see :class:`FieldCounts`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field
from rapidfuzz import fuzz

__all__ = [
    "FIELD_NAMES",
    "FUZZY_THRESHOLD",
    "ErrorType",
    "FieldCounts",
    "LetterScore",
    "Mismatch",
    "Regression",
    "SuiteScore",
    "best_pairing",
    "compare_to_baseline",
    "field_values_match",
    "normalize_text",
    "score_letter",
    "score_suite",
]

#: Token-set similarity (rapidfuzz's 0-100 scale) at or above which two fuzzy strings match.
FUZZY_THRESHOLD = 85.0

ErrorType = Literal["missing", "hallucinated", "wrong"]

_CITATION_LISTS = ("guidelines", "ca_guidelines")
_CITATION_KEYS = ("source", "document", "year", "topic", "pages")
_DATE_KEYS = ("injury", "ur_decision", "application_received", "assigned", "determination")

#: Every field name :func:`score_letter` reports, in report order. Each letter and suite carries all of
#: them (zero counts included) so reports and baseline comparisons always line up column for column.
FIELD_NAMES: tuple[str, ...] = (
    "layout",
    "case_number",
    "priority",
    "worker.age",
    "worker.sex",
    *(f"dates.{key}" for key in _DATE_KEYS),
    "reviewer.specialty",
    "reviewer.licensed_in",
    "items.treatment",
    "items.quantity",
    "items.unit",
    "items.decision",
    "items.limit.min",
    "items.limit.max",
    "items.limit.unit",
    *(f"items.{lst}.{key}" for lst in _CITATION_LISTS for key in _CITATION_KEYS),
)

# How each field's values are compared. "fuzzy" is reserved to the three free-text fields the gold format
# names (treatment, document, topic); everything else must agree exactly after normalisation, because a
# near-miss on a state, a unit or a decision is a different answer, not a paraphrase.
_TEXT, _FUZZY, _NUMBER, _DATE, _TEXT_SET, _NUMBER_SET = "text", "fuzzy", "number", "date", "text_set", "number_set"


def _kind(field: str) -> str:
    leaf = field.rsplit(".", 1)[-1]
    if field.startswith("dates."):
        return _DATE
    if field == "reviewer.licensed_in":
        return _TEXT_SET
    if leaf in ("treatment", "document", "topic"):
        return _FUZZY
    if leaf in ("age", "quantity", "min", "max", "year"):
        return _NUMBER
    if leaf == "pages":
        return _NUMBER_SET
    return _TEXT


# --------------------------------------------------------------------------------------------- values

_PUNCT_OR_SPACE = re.compile(r"[\W_]+")


def normalize_text(value: str) -> str:
    """Case-fold and turn every run of white space and punctuation into one space.

    Underscore counts as punctuation (``\\w`` would keep it) so ``Low_Back`` and ``Low Back`` agree.
    """
    return _PUNCT_OR_SPACE.sub(" ", value.casefold()).strip()


def _canon_text(value: Any) -> str | None:
    if value is None:
        return None
    text = normalize_text(value if isinstance(value, str) else str(value))
    return text or None


def _canon_number(value: Any) -> float | str | None:
    """A number as a float, so ``12``, ``12.0`` and ``"12"`` agree.

    Numeric strings are accepted because the scorer measures what was read from the letter, not whether
    the record was well typed (the record models validate types). Anything non-numeric falls back to its
    normalised text: it can then only equal the same text, i.e. it counts as a wrong value, not as null.
    """
    if value is None:
        return None
    if isinstance(value, bool):  # bool is an int subclass; True is not the number 1 here
        return _canon_text(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return _canon_text(value)
        return number if math.isfinite(number) else _canon_text(value)
    return _canon_text(value)


def _canon_date(value: Any) -> str | None:
    """An ISO ``YYYY-MM-DD`` string; date objects and ISO timestamps are accepted for convenience."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    for parse in (_dt.date.fromisoformat, lambda s: _dt.datetime.fromisoformat(s).date()):
        try:
            return parse(text).isoformat()
        except ValueError:
            pass
    return _canon_text(text)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]  # a bare scalar where a list belongs is read as a one-element list


def _canon(field: str, value: Any) -> Any:
    """The comparable form of a value, or None when it carries no value (see the module docstring)."""
    kind = _kind(field)
    if kind in (_TEXT, _FUZZY):
        return _canon_text(value)
    if kind == _NUMBER:
        return _canon_number(value)
    if kind == _DATE:
        return _canon_date(value)
    canon_one = _canon_text if kind == _TEXT_SET else _canon_number
    members = frozenset(c for c in (canon_one(v) for v in _as_list(value)) if c is not None)
    return members or None


def _fuzzy_match(gold: str, pred: str) -> bool:
    """Equal, one contains the other, or token-set similarity >= 85 -- the gold format's rule.

    Containment is plain substring containment of the normalised strings, as the format states it. (Whole-
    word containment would add nothing: it implies a token-set similarity of 100.)
    """
    return gold == pred or gold in pred or pred in gold or fuzz.token_set_ratio(gold, pred) >= FUZZY_THRESHOLD


def _canon_match(field: str, gold: Any, pred: Any) -> bool:
    if _kind(field) == _FUZZY and isinstance(gold, str) and isinstance(pred, str):
        return _fuzzy_match(gold, pred)
    return gold == pred


def field_values_match(field: str, gold: Any, pred: Any) -> bool:
    """Whether two raw values of ``field`` (a name from :data:`FIELD_NAMES`) count as the same answer.

    Two "no value"s match here (nothing to disagree on); :func:`score_letter` never counts that case.
    """
    g, p = _canon(field, gold), _canon(field, pred)
    if g is None or p is None:
        return g is None and p is None
    return _canon_match(field, g, p)


def _similarity(a: str, b: str) -> float:
    """A 0-1 closeness used only to choose pairs; whether a pair's fields match is decided separately.

    A containment that token-set similarity scores low (``chiro`` in ``chiropractic``) is lifted to the
    threshold so that everything :func:`_fuzzy_match` accepts is also pairable.
    """
    if a == b:
        return 1.0
    score = fuzz.token_set_ratio(a, b) / 100.0
    if a in b or b in a:
        score = max(score, FUZZY_THRESHOLD / 100.0)
    return score


def _jsonable(value: Any) -> Any:
    """The raw value in a JSON-stable form, so a saved mismatch list reloads equal to the original."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


# ------------------------------------------------------------------------------------------- pairing


def best_pairing(weights: Sequence[Sequence[float | None]]) -> list[tuple[int, int]]:
    """Maximum-total-weight one-to-one pairing of rows (gold) and columns (predictions).

    ``weights[i][j]`` is the benefit of pairing gold ``i`` with prediction ``j``, or None when the two may
    not be paired at all (below the minimum similarity). Returns ``(i, j)`` pairs sorted by ``i``.

    Why optimal rather than greedy: item names in one letter are often near-duplicates ("Pre-operative
    CBC" / "Pre-operative BMP" score 87 on token-set similarity, above the match threshold). Pairing in
    letter order mis-pairs them as soon as the extractor reorders or drops one, and greedy best-first can
    strand an item whose only partner was taken by a marginally better pair. Either error would move a
    correct value onto the wrong item and report it as wrong twice. Letters hold at most a few dozen items,
    so an O(n^3) Hungarian algorithm costs nothing. Ineligible pairs get weight 0, which is the same as
    leaving both sides unpaired, and are dropped from the result; callers keep eligible weights > 0.
    """
    n_rows = len(weights)
    n_cols = max((len(row) for row in weights), default=0)
    size = max(n_rows, n_cols)
    if size == 0:
        return []

    def benefit(i: int, j: int) -> float:
        if i < n_rows and j < len(weights[i]) and weights[i][j] is not None:
            return float(weights[i][j])  # type: ignore[arg-type]
        return 0.0

    # Hungarian algorithm with potentials (minimising cost = -benefit) on the zero-padded square matrix.
    inf = float("inf")
    u = [0.0] * (size + 1)
    v = [0.0] * (size + 1)
    match_of_col = [0] * (size + 1)  # 1-based row assigned to each 1-based column, 0 = none
    way = [0] * (size + 1)
    for row in range(1, size + 1):
        match_of_col[0] = row
        col0 = 0
        min_v = [inf] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[col0] = True
            row0 = match_of_col[col0]
            delta, col1 = inf, 0
            for col in range(1, size + 1):
                if used[col]:
                    continue
                cur = -benefit(row0 - 1, col - 1) - u[row0] - v[col]
                if cur < min_v[col]:
                    min_v[col], way[col] = cur, col0
                if min_v[col] < delta:
                    delta, col1 = min_v[col], col
            for col in range(size + 1):
                if used[col]:
                    u[match_of_col[col]] += delta
                    v[col] -= delta
                else:
                    min_v[col] -= delta
            col0 = col1
            if match_of_col[col0] == 0:
                break
        while col0:
            col1 = way[col0]
            match_of_col[col0] = match_of_col[col1]
            col0 = col1

    pairs = []
    for col in range(1, size + 1):
        i, j = match_of_col[col] - 1, col - 1
        if i < n_rows and j < len(weights[i]) and weights[i][j] is not None:
            pairs.append((i, j))
    return sorted(pairs)


# Letter order only breaks ties: the penalty per position of distance is far below any real difference in
# similarity, so two identical treatments pair first-with-first instead of arbitrarily.
_ORDER_PENALTY = 1e-6


def _item_weight(gold_item: Mapping, pred_item: Mapping, i: int, j: int) -> float | None:
    """Items pair only when their treatments *match* (equal, containment or token-set >= 85).

    The minimum similarity for pairing is the match threshold itself, so a paired item always has a
    correct treatment and ``items.treatment`` errors mean "item not found" / "item invented". A lower floor
    was rejected: token-set similarity is generous already (one name's words being a subset of the other's
    scores 100), so treatments that still fail it name different items, and pairing them would credit a
    hallucinated item with the decision of a missed one. A predicted item without a treatment cannot be
    identified and stays unpaired. Among matching pairs, closer names win, then full-string similarity,
    then letter order.
    """
    g = _canon_text(gold_item.get("treatment"))
    p = _canon_text(pred_item.get("treatment"))
    if g is None or p is None or not _fuzzy_match(g, p):
        return None
    return _similarity(g, p) + 1e-3 * fuzz.ratio(g, p) / 100.0 - _ORDER_PENALTY * abs(i - j)


def _citation_weight(gold_cit: Mapping, pred_cit: Mapping, i: int, j: int) -> float | None:
    """Citations pair when at least two of (source, document, topic) agree and the topics do not conflict.

    "Agree" means both match under the field rules, or both are empty. Two of three lets the same
    citation be recognised with one wrong key (``ACOEM`` for ``MTUS``, ``ODG`` for ``Official Disability
    Guidelines``, a missing topic) and then be scored as one wrong field instead of five missing plus five
    invented. Two *present* topics that do not match are always different citations, even under the same
    source and document: within one item every ODG citation shares source and document, so without this
    rule an extra ODG citation would pair with a missed one and earn two unearned true positives.
    """
    agree = 0
    closeness = 0.0
    for key in ("source", "document", "topic"):
        field = f"items.guidelines.{key}"
        g, p = _canon(field, gold_cit.get(key)), _canon(field, pred_cit.get(key))
        if g is None or p is None:
            if g is None and p is None:
                agree += 1
                closeness += 1.0
            continue
        if _canon_match(field, g, p):
            agree += 1
        elif key == "topic":
            return None
        closeness += _similarity(g, p) if _kind(field) == _FUZZY else float(g == p)
    if agree < 2:
        return None
    return agree + 0.1 * closeness / 3.0 - _ORDER_PENALTY * abs(i - j)


# ------------------------------------------------------------------------------------------- results


class FieldCounts(BaseModel):
    """Counts for one field (or a sum of fields), with derived precision, recall and F1.

    ``fp = hallucinated + wrong`` and ``fn = missing + wrong``: a wrong value is one of each.

    Zero denominators: precision is 1.0 when nothing was predicted (no claim was false) and recall is 1.0
    when there was nothing to find (nothing was missed). F1 is ``2tp / (2tp + fp + fn)``, the harmonic
    mean written so that it is 0.0 whenever anything was expected or predicted and nothing matched, and
    1.0 only for an empty tally. So a silent extractor gets precision 1.0 but F1 0.0 on a field it never
    fills, and a field that no letter has and nothing predicted reads 1.0 ("no errors") rather than
    breaking averages or baseline comparisons with NaN; reports can tell it apart by ``tp + fp + fn == 0``.
    """

    tp: int = Field(0, ge=0)
    fp: int = Field(0, ge=0)
    fn: int = Field(0, ge=0)
    missing: int = Field(0, ge=0)
    hallucinated: int = Field(0, ge=0)
    wrong: int = Field(0, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0

    def __add__(self, other: FieldCounts) -> FieldCounts:
        return FieldCounts(
            tp=self.tp + other.tp,
            fp=self.fp + other.fp,
            fn=self.fn + other.fn,
            missing=self.missing + other.missing,
            hallucinated=self.hallucinated + other.hallucinated,
            wrong=self.wrong + other.wrong,
        )


class Mismatch(BaseModel):
    """One counted error, with both raw values so a report can show it.

    Item and citation positions are given on both sides because after pairing they differ: ``item_index``
    is the gold item (None for an invented item), ``pred_item_index`` the extracted one (None for a missed
    item); likewise for citations within the paired item's ``guidelines`` / ``ca_guidelines`` list.
    """

    field: str
    error: ErrorType
    gold: Any = None
    pred: Any = None
    item_index: int | None = None
    pred_item_index: int | None = None
    citation_index: int | None = None
    pred_citation_index: int | None = None


class LetterScore(BaseModel):
    """The score of one letter: totals, every field of :data:`FIELD_NAMES`, and each error."""

    name: str = ""
    overall: FieldCounts = Field(default_factory=FieldCounts)
    per_field: dict[str, FieldCounts] = Field(default_factory=dict)
    mismatches: list[Mismatch] = Field(default_factory=list)
    #: (gold item index, predicted item index) for every paired item, by gold index.
    item_pairs: list[tuple[int, int]] = Field(default_factory=list)


class SuiteScore(BaseModel):
    """Micro-averaged totals over letters, per field, and the letters themselves.

    Micro (summed counts, then P/R/F1) rather than the mean of per-letter F1s: a letter with fifteen items
    carries fifteen items' worth of evidence and should weigh accordingly. Round-trips through
    ``model_dump_json`` / ``model_validate_json`` (the derived P/R/F1 are written out for readers and
    recomputed on load).
    """

    overall: FieldCounts = Field(default_factory=FieldCounts)
    per_field: dict[str, FieldCounts] = Field(default_factory=dict)
    letters: list[LetterScore] = Field(default_factory=list)


class Regression(BaseModel):
    """A field whose F1 fell by more than the tolerance against a baseline (``field="overall"``: micro)."""

    field: str
    baseline_f1: float
    current_f1: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drop(self) -> float:
        return self.baseline_f1 - self.current_f1


# ------------------------------------------------------------------------------------------- scoring


_COUNT_KEYS = ("tp", "fp", "fn", "missing", "hallucinated", "wrong")


class _Tally:
    """Accumulates counts and mismatches for one letter; the only mutable state, and it stays local."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {name: dict.fromkeys(_COUNT_KEYS, 0) for name in FIELD_NAMES}
        self.mismatches: list[Mismatch] = []

    def compare(self, field: str, gold: Any, pred: Any, **where: int | None) -> None:
        g, p = _canon(field, gold), _canon(field, pred)
        counts = self.counts.setdefault(field, dict.fromkeys(_COUNT_KEYS, 0))
        if g is None and p is None:
            return
        if g is not None and p is not None and _canon_match(field, g, p):
            counts["tp"] += 1
            return
        error: ErrorType
        if p is None:
            error, fp, fn = "missing", 0, 1
        elif g is None:
            error, fp, fn = "hallucinated", 1, 0
        else:
            error, fp, fn = "wrong", 1, 1
        counts["fp"] += fp
        counts["fn"] += fn
        counts[error] += 1
        self.mismatches.append(Mismatch(field=field, error=error, gold=_jsonable(gold), pred=_jsonable(pred), **where))


def _get(record: Any, *path: str) -> Any:
    """``record[path[0]][path[1]]...``, None wherever a level is missing or not a mapping."""
    for key in path:
        if not isinstance(record, Mapping):
            return None
        record = record.get(key)
    return record


def _mappings(value: Any) -> list[Mapping]:
    return [v if isinstance(v, Mapping) else {} for v in _as_list(value)]


def _score_citations(
    tally: _Tally, lst: str, gold_cits: list[Mapping], pred_cits: list[Mapping], gi: int | None, pi: int | None
) -> None:
    weights = [[_citation_weight(g, p, i, j) for j, p in enumerate(pred_cits)] for i, g in enumerate(gold_cits)]
    pairs = best_pairing(weights)
    paired_gold = {i for i, _ in pairs}
    paired_pred = {j for _, j in pairs}
    for i, j in pairs:
        for key in _CITATION_KEYS:
            tally.compare(
                f"items.{lst}.{key}",
                gold_cits[i].get(key),
                pred_cits[j].get(key),
                item_index=gi,
                pred_item_index=pi,
                citation_index=i,
                pred_citation_index=j,
            )
    # An unpaired citation: each of its valued fields is missing (gold) or invented (prediction).
    for i, cit in enumerate(gold_cits):
        if i not in paired_gold:
            for key in _CITATION_KEYS:
                tally.compare(
                    f"items.{lst}.{key}", cit.get(key), None, item_index=gi, pred_item_index=pi, citation_index=i
                )
    for j, cit in enumerate(pred_cits):
        if j not in paired_pred:
            for key in _CITATION_KEYS:
                tally.compare(
                    f"items.{lst}.{key}", None, cit.get(key), item_index=gi, pred_item_index=pi, pred_citation_index=j
                )


def _score_item(tally: _Tally, gold: Mapping | None, pred: Mapping | None, gi: int | None, pi: int | None) -> None:
    """Compare one item pair; ``gold`` or ``pred`` is None for an unpaired item (all FN / all FP)."""
    g_item, p_item = gold or {}, pred or {}
    where = {"item_index": gi, "pred_item_index": pi}
    for key in ("treatment", "quantity", "unit", "decision"):
        tally.compare(f"items.{key}", g_item.get(key), p_item.get(key), **where)
    for key in ("min", "max", "unit"):
        tally.compare(f"items.limit.{key}", _get(g_item, "limit", key), _get(p_item, "limit", key), **where)
    for lst in _CITATION_LISTS:
        _score_citations(tally, lst, _mappings(g_item.get(lst)), _mappings(p_item.get(lst)), gi, pi)


def score_letter(pred: Mapping | None, gold: Mapping | None, name: str = "") -> LetterScore:
    """Score one predicted gold-view record against its gold answer.

    Either side may be partial: absent keys, a null ``worker``/``limit`` or a missing ``items`` list all
    read as null, so a crashed or half-filled extraction still scores (as missing values) instead of
    raising.
    """
    pred = pred or {}
    gold = gold or {}
    tally = _Tally()
    for path in (
        ("layout",),
        ("case_number",),
        ("priority",),
        ("worker", "age"),
        ("worker", "sex"),
        *(("dates", key) for key in _DATE_KEYS),
        ("reviewer", "specialty"),
        ("reviewer", "licensed_in"),
    ):
        tally.compare(".".join(path), _get(gold, *path), _get(pred, *path))

    gold_items, pred_items = _mappings(gold.get("items")), _mappings(pred.get("items"))
    weights = [[_item_weight(g, p, i, j) for j, p in enumerate(pred_items)] for i, g in enumerate(gold_items)]
    pairs = best_pairing(weights)
    for i, j in pairs:
        _score_item(tally, gold_items[i], pred_items[j], i, j)
    paired_gold = {i for i, _ in pairs}
    paired_pred = {j for _, j in pairs}
    for i, item in enumerate(gold_items):
        if i not in paired_gold:
            _score_item(tally, item, None, i, None)
    for j, item in enumerate(pred_items):
        if j not in paired_pred:
            _score_item(tally, None, item, None, j)

    per_field = {field: FieldCounts(**counts) for field, counts in tally.counts.items()}
    return LetterScore(
        name=name,
        overall=sum(per_field.values(), FieldCounts()),
        per_field=per_field,
        mismatches=tally.mismatches,
        item_pairs=pairs,
    )


def score_suite(results: Iterable[LetterScore]) -> SuiteScore:
    """Sum letters' counts into suite totals (micro averaging; see :class:`SuiteScore`)."""
    letters = list(results)
    per_field: dict[str, FieldCounts] = {field: FieldCounts() for field in FIELD_NAMES}
    for letter in letters:
        for field, counts in letter.per_field.items():
            per_field[field] = per_field.get(field, FieldCounts()) + counts
    return SuiteScore(
        overall=sum((letter.overall for letter in letters), FieldCounts()),
        per_field=per_field,
        letters=letters,
    )


def compare_to_baseline(current: SuiteScore, baseline: SuiteScore, tolerance: float = 0.01) -> list[Regression]:
    """Every field (and ``"overall"``, the micro F1) whose F1 fell by more than ``tolerance``.

    A field present on only one side is read as an empty tally (F1 1.0) on the other, so a field that
    starts collecting errors shows up as a regression rather than being skipped. A tiny epsilon keeps a
    drop of exactly ``tolerance`` from tripping on float noise. Order: overall first, then report order.
    """
    names = ["overall", *FIELD_NAMES]
    names += sorted((set(current.per_field) | set(baseline.per_field)) - set(names))
    regressions = []
    for field in names:
        if field == "overall":
            before, now = baseline.overall.f1, current.overall.f1
        else:
            before = baseline.per_field.get(field, FieldCounts()).f1
            now = current.per_field.get(field, FieldCounts()).f1
        if before - now > tolerance + 1e-9:
            regressions.append(Regression(field=field, baseline_f1=before, current_f1=now))
    return regressions
