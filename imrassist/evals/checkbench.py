"""The check benchmark (``imrassist eval SUITE --checks``): how well do the checks catch planted errors?

For every letter of the suite whose extracted record agrees with its gold answer (so the base is known to be
right), we take

* the **record** (the extractor's CaseRecord, with evidence, so grounding can be tested too),
* our own **template explanation** of it (:func:`imrassist.explain.explain`, English, and Spanish as a
  clean input), and
* the suite's hand-written **explanations** (``explanations/manifest.json``, format of
  ``../shared/explanations/``): the clean ones are mutated too, and every row is also scored as written,

and check each one clean, then with one planted error at a time (:mod:`imrassist.evals.mutate`), and after
meaning-preserving paraphrases. Reported:

* per mutation class and per expected kind: cases, caught, catch rate, caught with the right ``kind``
  (kind accuracy);
* the false-alarm rate on clean inputs (records, explanations) and on paraphrases;
* the hand-written manifest rows: expected clean vs error + kind.

Rules of counting (documented in ``evals/README.md``):

* A planted case is **caught** when the mutated input gets a finding that the clean input did not get
  (compared by code, kind, field, found and expected) and that finding is an ``error``, or a ``warning`` of
  the expected kind (``missing`` and ``readability`` are warnings by design, DESIGN.md). It is caught with
  the **right kind** when one such new finding has the expected kind.
* A clean input or a paraphrase raises a **false alarm** when it gets any ``error`` finding. Paraphrases are
  also counted by the errors their clean text did not already draw ("new errors only"), which isolates
  what the rewording itself set off.
* Every required mutation class (:data:`REQUIRED_CLASSES`) must have produced at least one case over the
  suite; a class with none is reported as an error (and ``imrassist eval`` exits 1), never as 100%.

The mutation generators, the checker and the explainer are injectable (``mutator=``, ``checker=``,
``explainer=``) so the counting itself is tested with tiny fakes; by default they are
:mod:`imrassist.evals.mutate`, :func:`imrassist.checks.check` and :func:`imrassist.explain.explain`.
"""

from __future__ import annotations

import inspect
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..errors import ImrassistError

if TYPE_CHECKING:  # pragma: no cover
    from .run import EvalRun

__all__ = [
    "REQUIRED_CLASSES",
    "CheckBenchReport",
    "Mutation",
    "Mutator",
    "canonical_class",
    "run_checkbench",
    "score_manifest_rows",
]

#: Mutation classes the benchmark must exercise (the brief's list); each must produce at least one case.
REQUIRED_CLASSES: tuple[str, ...] = (
    "date_shift",
    "day_month_swap",
    "count_change",
    "number_word_change",
    "page_swap",
    "decision_flip",
    "negation",
    "treatment_swap",
    "deadline_change",
    "demographic_change",
    "quote_moved",
)

#: Kinds that the checks report as warnings by design; a warning of that kind counts as a catch.
WARNING_KINDS = frozenset({"missing", "readability"})

# (canonical class, words that must all appear in the generator's class name); first match wins.
_CLASS_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("day_month_swap", ("day", "month")),
    ("day_month_swap", ("dm", "swap")),
    ("date_role_swap", ("date", "swap")),
    ("date_role_swap", ("role",)),
    ("date_shift", ("date",)),
    ("number_word_change", ("word",)),
    ("negation", ("negat",)),
    ("page_swap", ("page",)),
    ("decision_flip", ("decision",)),
    ("decision_flip", ("outcome",)),
    ("treatment_swap", ("treatment",)),
    ("deadline_change", ("deadline",)),
    ("demographic_change", ("demograph",)),
    ("demographic_change", ("age",)),
    ("demographic_change", ("sex",)),
    ("demographic_change", ("gender",)),
    ("quote_moved", ("quote",)),
    ("quote_moved", ("offset",)),
    ("quote_moved", ("grounding",)),
    ("quote_moved", ("evidence",)),
    ("count_change", ("count",)),
    ("count_change", ("quantity",)),
    ("count_change", ("number",)),
    ("count_change", ("limit",)),
    ("paraphrase", ("paraphras",)),
)


def canonical_class(name: str) -> str:
    """Map a generator's class name (``"date-shift"``, ``"swap_day_month"``, ``"age"``) onto ours."""
    low = re.sub(r"[^a-z]+", "_", name.lower())
    tokens = set(low.split("_"))
    for canon, words in _CLASS_RULES:
        if all((w in tokens) if len(w) <= 3 else (w in low) for w in words):
            return canon
    return low.strip("_") or "unknown"


# -------------------------------------------------------------------------------------- mutation adapter


@dataclass
class Mutation:
    """One generated case: a mutated record or text, its class and the kind a check should report."""

    cls: str
    kind: str | None
    description: str = ""
    record: Any = None
    text: str | None = None
    raw_class: str = ""


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if isinstance(obj, dict):
            if n in obj:
                return obj[n]
        elif hasattr(obj, n):
            return getattr(obj, n)
    return None


def _as_mutation(obj: Any, *, target: str, default_class: str = "", default_kind: str | None = None) -> Mutation:
    """One generator output as a :class:`Mutation`; ``target`` ("record"/"text") says what a bare value is."""
    if isinstance(obj, str):
        return Mutation(cls=canonical_class(default_class or "paraphrase"), kind=default_kind, text=obj,
                        raw_class=default_class)
    if isinstance(obj, tuple) and len(obj) in (2, 3):  # (mutated, kind) or (mutated, kind, class)
        obj = {target: obj[0], "kind": obj[1], "cls": obj[2] if len(obj) == 3 else default_class}
    raw = _attr(obj, "op", "cls", "mutation_class", "klass", "category", "mutation", "name", "label", "operator") or default_class
    kind = _attr(obj, "kind", "expected_kind", "expect_kind", "expected")
    if kind is None:
        kind = default_kind
    record = _attr(obj, "record", "mutated_record", "mutated") if not isinstance(obj, str) else None
    text = _attr(obj, "text", "explanation", "mutated_text")
    if target == "text" and isinstance(record, str) and text is None:  # "mutated" held a text
        record, text = None, record
    return Mutation(cls=canonical_class(str(raw)) if raw else "unknown", kind=str(kind) if kind else None,
                    description=str(_attr(obj, "description", "note", "planted", "detail", "change") or ""),
                    record=record, text=text if isinstance(text, str) else None, raw_class=str(raw))


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with the keyword arguments its signature accepts (the generators' signatures may vary)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn(*args)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


class Mutator:
    """Adapter over :mod:`imrassist.evals.mutate` (or any object with the same functions).

    Looked-up names, first found wins: records ``record_mutants(record, letter, seed=)`` (or
    ``mutate_record`` ...); explanations ``explanation_mutants(text, letter, reference=, lang=, seed=)`` (or
    ``mutate_explanation`` ...); paraphrases ``explanation_paraphrases(text, letter, reference=, lang=,
    seed=)`` (or ``paraphrase`` ...). Keyword arguments a function does not take are not passed. Each
    returns an iterable of cases; a case is an object or dict with a class name (``op``/``cls``/``name``
    ...), an expected ``kind``, and the mutated ``record`` or text (``explanation``/``text``). Paraphrases
    may be plain strings.
    """

    RECORD = ("record_mutants", "mutate_record", "record_mutations", "mutate_records")
    EXPLANATION = ("explanation_mutants", "mutate_explanation", "explanation_mutations", "mutate_text",
                   "mutate_explanations")
    PARAPHRASE = ("explanation_paraphrases", "paraphrase", "paraphrases", "paraphrase_explanation", "paraphrase_text")

    def __init__(self, module: Any):
        self.module = module
        self.record_fn = self._find(self.RECORD)
        self.explanation_fn = self._find(self.EXPLANATION)
        self.paraphrase_fn = self._find(self.PARAPHRASE)

    def _find(self, names: Iterable[str]) -> Callable[..., Any] | None:
        for n in names:
            fn = getattr(self.module, n, None)
            if callable(fn):
                return fn
        return None

    def missing(self) -> list[str]:
        out = []
        for label, fn in (("record mutations", self.record_fn), ("explanation mutations", self.explanation_fn),
                          ("paraphrases", self.paraphrase_fn)):
            if fn is None:
                out.append(label)
        return out

    def records(self, record: Any, letter: Any) -> list[Mutation]:
        if self.record_fn is None:
            return []
        got = _call(self.record_fn, record, letter=letter, seed=0)
        return [_as_mutation(m, target="record") for m in (got or [])]

    def explanations(self, text: str, record: Any, letter: Any, lang: str) -> list[Mutation]:
        if self.explanation_fn is None:
            return []
        got = _call(self.explanation_fn, text, record=record, reference=record, letter=letter, lang=lang, seed=0)
        return [_as_mutation(m, target="text") for m in (got or [])]

    def paraphrases(self, text: str, record: Any, letter: Any, lang: str) -> list[Mutation]:
        if self.paraphrase_fn is None:
            return []
        got = _call(self.paraphrase_fn, text, record=record, reference=record, letter=letter, lang=lang, seed=0)
        return [_as_mutation(m, target="text", default_class="paraphrase", default_kind=None) for m in (got or [])]


def default_mutator() -> Mutator | None:
    try:
        from . import mutate  # type: ignore[attr-defined]
    except ImportError:
        return None
    return Mutator(mutate)


# ---------------------------------------------------------------------------------------------- results


class RateRow(BaseModel):
    name: str
    cases: int = 0
    caught: int = 0
    kind_correct: int = 0
    record_cases: int = 0
    explanation_cases: int = 0
    record_caught: int = 0
    explanation_caught: int = 0

    @property
    def catch_rate(self) -> float:
        return self.caught / self.cases if self.cases else 0.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_correct / self.cases if self.cases else 0.0

    def dump(self) -> dict[str, Any]:
        d = self.model_dump()
        d["catch_rate"] = round(self.catch_rate, 6)
        d["kind_accuracy"] = round(self.kind_accuracy, 6)
        return d


class AlarmRow(BaseModel):
    name: str
    cases: int = 0
    alarms: int = 0

    @property
    def rate(self) -> float:
        return self.alarms / self.cases if self.cases else 0.0

    def dump(self) -> dict[str, Any]:
        d = self.model_dump()
        d["rate"] = round(self.rate, 6)
        return d


class CheckBenchReport(BaseModel):
    """What ``--checks`` adds to the run JSON (``run.checks``)."""

    summary_line: str = ""
    letters_used: list[str] = Field(default_factory=list)
    letters_skipped: dict[str, str] = Field(default_factory=dict)
    classes: list[dict[str, Any]] = Field(default_factory=list)
    kinds: list[dict[str, Any]] = Field(default_factory=list)
    false_alarms: list[dict[str, Any]] = Field(default_factory=list)
    handwritten: dict[str, Any] | None = None
    examples: dict[str, list[str]] = Field(default_factory=dict)
    cases: list[dict[str, Any]] = Field(default_factory=list, description="Every planted/clean case, one row each.")
    notes: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------------- judging


def _key(f: Any) -> tuple:
    return (f.code, f.kind, f.field, f.found, f.expected)


def _judge(findings: list[Any], clean_keys: set[tuple], expected_kind: str | None) -> tuple[bool, bool, list[Any]]:
    """(caught, right kind, the new findings that count) for one planted case."""
    hits = [f for f in findings
            if _key(f) not in clean_keys
            and (f.severity == "error" or (f.severity == "warning" and expected_kind is not None
                                           and f.kind == expected_kind and f.kind in WARNING_KINDS))]
    return bool(hits), any(f.kind == expected_kind for f in hits), hits


def _errors(findings: list[Any]) -> list[Any]:
    return [f for f in findings if f.severity == "error"]


def _brief(f: Any) -> str:
    return f"{f.kind}/{f.code}: {' '.join(str(f.message).split())[:100]}"


# ------------------------------------------------------------------------------------------ per letter


@dataclass
class _Tools:
    checker: Callable[..., Any]
    explainer: Callable[..., Any] | None
    mutator: Mutator | None


def _check(tools: _Tools, letter: Any, **kwargs: Any) -> list[Any]:
    return list(tools.checker(letter, **kwargs).findings)


def _bench_letter(name: str, letter: Any, record: Any, hand_clean: list[tuple[str, str]], tools: _Tools) -> dict[str, Any]:
    """All cases of one letter. ``hand_clean``: (file, text) of the suite's clean hand-written explanations."""
    cases: list[dict[str, Any]] = []

    def add(target: str, cls: str, kind: str | None, source: str, description: str, findings: list[Any],
            clean_keys: set[tuple] | None, op: str = "") -> None:
        row: dict[str, Any] = {"letter": name, "target": target, "class": cls, "op": op or cls, "kind": kind,
                               "source": source, "description": description[:200]}
        if kind is None:  # clean or paraphrase (a paraphrase also notes errors its clean text did not have)
            errs = _errors(findings)
            row.update(alarm=bool(errs), findings=[_brief(f) for f in errs[:3]])
            if clean_keys is not None:
                row["new_alarm"] = any(_key(f) not in clean_keys for f in errs)
        else:
            caught, right, hits = _judge(findings, clean_keys or set(), kind)
            row.update(caught=caught, right_kind=right, findings=[_brief(f) for f in hits[:3]])
        cases.append(row)

    # Records.
    clean = _check(tools, letter, record=record)
    add("record", "clean", None, "record", "extracted record, unchanged", clean, None)
    clean_keys = {_key(f) for f in clean}
    if tools.mutator is not None:
        for m in tools.mutator.records(record, letter):
            if m.record is None or not m.kind:
                continue
            add("record", m.cls, m.kind, "record", m.description or m.raw_class,
                _check(tools, letter, record=m.record), clean_keys, m.raw_class)

    # Explanations: ours (en planted + paraphrased; es clean) and the suite's clean hand-written ones.
    texts: list[tuple[str, str, str]] = []  # (source, lang, text)
    if tools.explainer is not None:
        for lang in ("en", "es"):
            try:
                res = tools.explainer(record, lang=lang)
            except Exception as exc:  # noqa: BLE001 - an explainer failure is reported, not fatal
                cases.append({"letter": name, "target": "explanation", "class": "explain_failed", "kind": None,
                              "source": f"template-{lang}", "description": f"{type(exc).__name__}: {exc}"[:200],
                              "alarm": False, "skipped": True})
                continue
            texts.append((f"template-{lang}", lang, getattr(res, "text", res)))
    texts += [(f"handwritten:{file}", "en", text) for file, text in hand_clean]
    for source, lang, text in texts:
        clean = _check(tools, letter, explanation=text, reference=record, lang=lang)
        add("explanation", "clean", None, source, "unchanged", clean, None)
        if tools.mutator is None or lang != "en":
            continue
        clean_keys = {_key(f) for f in clean}
        for m in tools.mutator.explanations(text, record, letter, lang):
            if m.text is None or m.text == text:
                continue
            if not m.kind:  # a generator may mix paraphrases in
                add("explanation", "paraphrase", None, source, m.description or m.raw_class,
                    _check(tools, letter, explanation=m.text, reference=record, lang=lang), clean_keys, m.raw_class)
                continue
            add("explanation", m.cls, m.kind, source, m.description or m.raw_class,
                _check(tools, letter, explanation=m.text, reference=record, lang=lang), clean_keys, m.raw_class)
        for p in tools.mutator.paraphrases(text, record, letter, lang):
            if p.text is None or p.text == text:
                continue
            add("explanation", "paraphrase", None, source, p.description or p.raw_class or "paraphrase",
                _check(tools, letter, explanation=p.text, reference=record, lang=lang), clean_keys, p.raw_class)
    return {"name": name, "cases": cases}


# --------------------------------------------------------------------------------------- hand-written


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImrassistError(f"{path}: explanations manifest is not valid JSON ({exc})") from None
    if isinstance(rows, dict):
        rows = rows.get("cases") or rows.get("rows") or []
    return [r for r in rows if isinstance(r, dict) and r.get("file") and r.get("letter")]


def score_manifest_rows(rows: list[dict[str, Any]], results: dict[str, list[Any]]) -> dict[str, Any]:
    """Score hand-written rows: ``results`` maps file -> findings (missing file: not run).

    A row ``expect: "error"`` passes when it gets an error (or a warning of its kind, for warning kinds)
    finding; it passes with the right kind when one such finding has the row's ``kind``. A ``clean`` row
    passes when it gets no error finding.
    """
    error_rows = clean_rows = caught = right = alarms = 0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    failures: list[dict[str, Any]] = []
    for r in rows:
        findings = results.get(r["file"])
        if findings is None:
            continue
        if r.get("expect") == "error":
            kind = r.get("kind")
            error_rows += 1
            c, k, hits = _judge(findings, set(), kind)
            caught += c
            right += k
            pk = per_kind[str(kind)]
            pk[0] += 1
            pk[1] += c
            pk[2] += k
            if not k:
                got = "; ".join(_brief(f) for f in hits[:2]) or "no error finding"
                failures.append({"file": r["file"], "expect": "error", "kind": kind, "got": got})
        else:
            clean_rows += 1
            errs = _errors(findings)
            alarms += bool(errs)
            if errs:
                failures.append({"file": r["file"], "expect": "clean", "kind": None,
                                 "got": "; ".join(_brief(f) for f in errs[:2])})
    return {
        "error_rows": error_rows,
        "caught": caught,
        "right_kind": right,
        "clean_rows": clean_rows,
        "false_alarms": alarms,
        "per_kind": {k: {"cases": v[0], "caught": v[1], "right_kind": v[2]} for k, v in sorted(per_kind.items())},
        "failures": failures,
        "summary_line": (f"{caught}/{error_rows} planted errors caught, {right}/{error_rows} with the right kind; "
                         f"{alarms}/{clean_rows} clean explanations raised an error"),
    }


# ------------------------------------------------------------------------------------------------ driver


def _default_checker() -> Callable[..., Any]:
    try:
        from ..checks import check
    except ImportError as exc:
        raise ImrassistError(f"the check benchmark needs imrassist.checks ({exc})") from None
    return check


def _default_explainer() -> Callable[..., Any] | None:
    try:
        from ..explain import explain
    except ImportError:
        return None
    return explain


def run_checkbench(
    run: "EvalRun",
    *,
    mutator: Any = "default",
    checker: Callable[..., Any] | None = None,
    explainer: Any = "default",
    jobs: int = 1,
    require: Iterable[str] = REQUIRED_CLASSES,
) -> CheckBenchReport:
    """Benchmark the checks on ``run``'s suite (see the module docstring)."""
    from ..letter import read_letter

    t0 = time.perf_counter()
    suite = run.suite
    if suite is None:
        from .run import discover_suite

        suite = discover_suite(run.meta.suite_path, pdf=run.meta.input == "pdf")
    if mutator == "default":
        mutator = default_mutator()
    elif mutator is not None and not isinstance(mutator, Mutator):
        mutator = Mutator(mutator)
    if explainer == "default":
        explainer = _default_explainer()
    tools = _Tools(checker=checker or _default_checker(), explainer=explainer, mutator=mutator)
    report = CheckBenchReport()
    if mutator is None:
        report.problems.append("imrassist.evals.mutate is not available: no planted errors or paraphrases were "
                               "generated (only clean inputs and hand-written explanations were checked)")
    else:
        for label in mutator.missing():
            report.notes.append(f"the mutation module has no {label} generator")
    if explainer is None:
        report.notes.append("imrassist.explain is not available: our own explanations were not checked")

    # Which letters are usable: read OK, and the extracted record agrees with gold (a known-good base).
    letter_scores = {ls.name: ls for ls in run.score.letters}
    files = {c.name: c.letter for c in suite.cases}
    manifest_rows = _read_manifest(suite.explanations_manifest) if suite.explanations_manifest else []
    hand_dir = suite.explanations_manifest.parent if suite.explanations_manifest else None
    hand_texts: dict[str, str] = {}
    for r in manifest_rows:
        p = hand_dir / r["file"] if hand_dir else None
        if p is not None and p.is_file():
            hand_texts[r["file"]] = p.read_text(encoding="utf-8")
        else:
            report.notes.append(f"hand-written explanation {r['file']} not found")

    letters: dict[str, Any] = {}
    records: dict[str, Any] = dict(run.records)

    def letter_of(name: str) -> Any:
        if name not in letters:
            path = files.get(name)
            letters[name] = read_letter(str(path)) if path else None
        return letters[name]

    def record_of(name: str) -> Any:
        if name not in records:
            from ..extract import extract

            letter = letter_of(name)
            records[name] = extract(letter) if letter is not None else None
        return records[name]

    work: list[tuple[str, Any, Any, list[tuple[str, str]]]] = []
    for case in suite.cases:
        name = case.name
        lr = run.letter(name)
        ls = letter_scores.get(name)
        if lr is None or not lr.ok:
            report.letters_skipped[name] = "letter could not be read"
            continue
        if ls is None or ls.overall.fp or ls.overall.fn:
            n = (ls.overall.fp + ls.overall.fn) if ls else 0
            report.letters_skipped[name] = f"extracted record differs from gold ({n} field errors): not a known-good base"
            continue
        try:
            letter, record = letter_of(name), record_of(name)
        except ImrassistError as exc:
            report.letters_skipped[name] = f"cannot read: {exc}"
            continue
        hand_clean = [(r["file"], hand_texts[r["file"]]) for r in manifest_rows
                      if r["letter"] == name and r.get("expect") == "clean" and r["file"] in hand_texts]
        work.append((name, letter, record, hand_clean))
        report.letters_used.append(name)

    results = _run_work(work, tools, jobs)
    cases = [c for res in results for c in res["cases"]]
    report.cases = cases

    # Hand-written rows as written (every row; the letter need not be a known-good base: the checks read the
    # letter, not our record).
    if manifest_rows:
        found: dict[str, list[Any]] = {}
        for r in manifest_rows:
            text = hand_texts.get(r["file"])
            if text is None:
                continue
            try:
                letter = letter_of(r["letter"])
            except ImrassistError as exc:
                report.notes.append(f"{r['file']}: letter {r['letter']} cannot be read ({exc})")
                continue
            if letter is None:
                report.notes.append(f"{r['file']}: no letter {r['letter']} in the suite")
                continue
            found[r["file"]] = _check(tools, letter, explanation=text, lang=r.get("lang") or "auto")
        hand = score_manifest_rows(manifest_rows, found)
        hand["manifest"] = str(suite.explanations_manifest)
        report.handwritten = hand

    _aggregate(report, cases, tuple(require))
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _run_work(work: list[tuple[str, Any, Any, list[tuple[str, str]]]], tools: _Tools, jobs: int) -> list[dict[str, Any]]:
    if jobs <= 1 or len(work) <= 1:
        return [_bench_letter(n, le, rec, hc, tools) for n, le, rec, hc in work]
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return [_bench_letter(n, le, rec, hc, tools) for n, le, rec, hc in work]
    # Forked workers inherit the tools and the work list; only indices and plain results cross the pipe.
    global _FORK_STATE
    _FORK_STATE = (work, tools)
    try:
        # Warm the checker in the parent (imports, knowledge tables) so each worker does not redo it.
        if work:
            n, le, rec, _ = work[0]
            tools.checker(le, record=rec)
        with mp.get_context("fork").Pool(processes=min(jobs, len(work))) as pool:
            return pool.map(_fork_bench, range(len(work)), chunksize=1)
    finally:
        _FORK_STATE = None


_FORK_STATE: Any = None


def _fork_bench(i: int) -> dict[str, Any]:
    work, tools = _FORK_STATE
    n, le, rec, hc = work[i]
    return _bench_letter(n, le, rec, hc, tools)


def _aggregate(report: CheckBenchReport, cases: list[dict[str, Any]], require: tuple[str, ...]) -> None:
    classes: dict[str, RateRow] = {c: RateRow(name=c) for c in require}
    kinds: dict[str, RateRow] = {}
    for c in cases:
        if c.get("kind") is None:
            continue
        for table, key in ((classes, c["class"]), (kinds, c["kind"])):
            row = table.setdefault(key, RateRow(name=key))
            row.cases += 1
            row.caught += c["caught"]
            row.kind_correct += c["right_kind"]
            if c["target"] == "record":
                row.record_cases += 1
                row.record_caught += c["caught"]
            else:
                row.explanation_cases += 1
                row.explanation_caught += c["caught"]
    report.classes = [r.dump() for r in classes.values()]
    report.kinds = [r.dump() for r in sorted(kinds.values(), key=lambda r: r.name)]

    alarm_rows = {
        "clean records": AlarmRow(name="clean records"),
        "clean explanations (ours, en)": AlarmRow(name="clean explanations (ours, en)"),
        "clean explanations (ours, es)": AlarmRow(name="clean explanations (ours, es)"),
        "clean explanations (hand-written)": AlarmRow(name="clean explanations (hand-written)"),
        "paraphrases": AlarmRow(name="paraphrases"),
        "paraphrases (new errors only)": AlarmRow(name="paraphrases (new errors only)"),
    }
    for c in cases:
        if c.get("kind") is not None or c.get("skipped"):
            continue
        if c["class"] == "paraphrase":
            key = "paraphrases"
        elif c["target"] == "record":
            key = "clean records"
        elif c["source"].startswith("handwritten:"):
            key = "clean explanations (hand-written)"
        else:
            key = f"clean explanations (ours, {c['source'].rsplit('-', 1)[-1]})"
        row = alarm_rows.setdefault(key, AlarmRow(name=key))
        row.cases += 1
        row.alarms += bool(c.get("alarm"))
        if key == "paraphrases":
            new = alarm_rows["paraphrases (new errors only)"]
            new.cases += 1
            new.alarms += bool(c.get("new_alarm"))
    all_clean = AlarmRow(name="all clean inputs")
    for k, r in alarm_rows.items():
        if not k.startswith("paraphrases"):
            all_clean.cases += r.cases
            all_clean.alarms += r.alarms
    report.false_alarms = [r.dump() for r in [*alarm_rows.values(), all_clean]]

    empty = [cls for cls in require if classes[cls].cases == 0]
    if empty:
        report.problems.append(f"{len(empty)} mutation class(es) produced no cases, so their catch rate is unknown "
                               f"(not 100%): {', '.join(empty)}")

    planted = [c for c in cases if c.get("kind") is not None]
    caught = sum(c["caught"] for c in planted)
    right = sum(c["right_kind"] for c in planted)
    para = alarm_rows["paraphrases"]
    para_new = alarm_rows["paraphrases (new errors only)"]
    report.summary_line = (
        f"{len(report.letters_used)} letters; {len(planted)} planted errors, {caught} caught"
        f" ({caught / len(planted):.3f})" if planted else f"{len(report.letters_used)} letters; no planted errors"
    )
    if planted:
        report.summary_line += f", {right} with the right kind ({right / len(planted):.3f})"
    report.summary_line += (f"; false alarms: clean {all_clean.alarms}/{all_clean.cases}"
                            f", paraphrases {para.alarms}/{para.cases} ({para_new.alarms} with new errors)")
    report.examples = {
        "missed": [f"{c['letter']} [{c['target']} {c['class']}/{c['kind']}] {c['description']}"
                   for c in planted if not c["caught"]][:20],
        "wrong_kind": [f"{c['letter']} [{c['target']} {c['class']}/{c['kind']}] {c['description']} -> "
                       f"{'; '.join(c['findings'])}" for c in planted if c["caught"] and not c["right_kind"]][:20],
        "false_alarms": [f"{c['letter']} [{c['target']} {c['source']} {c['class']}] {'; '.join(c['findings'])}"
                         for c in cases if c.get("alarm")][:20],
    }
    if report.letters_skipped:
        report.notes.append(f"{len(report.letters_skipped)} letter(s) not used as bases: "
                            + ", ".join(f"{k} ({v})" for k, v in list(report.letters_skipped.items())[:5]))
