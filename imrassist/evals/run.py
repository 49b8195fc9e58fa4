"""``imrassist eval``: run an extractor over a suite, score it, save the run, compare it with a baseline.

A *suite* is a folder with ``gold/NAME.json`` (``GOLD_FORMAT.md``) and, for each gold file, the letter as
``letters/NAME.txt`` or ``letters/NAME.pdf`` (with ``--pdf``: ``pdfs/NAME.pdf`` or ``letters/NAME.pdf``).
Scoring is :mod:`imrassist.evals.score`, unchanged: this module only finds the files, runs the extractor,
keeps what it needs to reproduce the run, and decides the exit code.

A *run* (:class:`EvalRun`, written by ``--save``) holds the metadata (versions, git SHA, suite and gold
hashes, backend, model, prompt, tokens, cost, latency, cache hits, timestamps), every letter's prediction
in the gold shape, and the scores. Because the predictions are in it, a run can be

* re-scored without calling a model: ``imrassist eval RUN.json`` (the positional argument may be a saved run
  instead of a suite folder; its gold is read again from the suite folder the run names), and
* used as a baseline: ``--baseline RUN.json``. When the gold changed since the baseline was made, the
  baseline's predictions are re-scored against today's gold, so both sides are measured with one ruler.

Exit codes: 0 ok; 1 micro F1 below ``--fail-under``, a field regression with ``--fail-on-regression``, or
a ``--checks`` benchmark with a mutation class that produced no cases; 2 bad input (no suite folder, no gold
files, a malformed gold file or saved run).

For tests and third parties, :func:`run_suite` also takes ``extractor=`` (any ``Letter -> CaseRecord``
callable), so a deliberately broken extractor can be measured without patching ours.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from .. import __version__
from ..errors import ImrassistError, InputError
from ..files import atomic_write
from ..models import Usage
from .score import FIELD_NAMES, FieldCounts, LetterScore, Regression, SuiteScore, compare_to_baseline, score_letter, score_suite

__all__ = [
    "RUN_FORMAT",
    "RUN_FORMAT_VERSION",
    "BaselineComparison",
    "EvalRun",
    "FieldDelta",
    "LetterRun",
    "RunMeta",
    "Suite",
    "SuiteCase",
    "compare_runs",
    "discover_suite",
    "git_info",
    "load_baseline",
    "load_run",
    "rescore_run",
    "run_eval_command",
    "run_suite",
    "score_predictions",
]

RUN_FORMAT = "imrassist-eval-run"
RUN_FORMAT_VERSION = 1

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2

LETTER_EXTS = (".txt", ".pdf")


# ------------------------------------------------------------------------------------------------ suite


@dataclass(frozen=True)
class SuiteCase:
    """One gold answer and the letter file it is scored on (``letter`` None: no such file)."""

    name: str
    gold_path: Path
    gold: dict[str, Any]
    letter: Path | None
    note: str | None = None  # e.g. "no PDF; read letters/NAME.txt"


@dataclass(frozen=True)
class Suite:
    path: Path
    cases: list[SuiteCase]
    gold_hash: str
    gold_files: dict[str, str]  # name -> sha256 of the gold file
    letters_hash: str
    unscored: list[str] = field(default_factory=list)  # letter files without a gold answer
    explanations_manifest: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _combined_hash(parts: Mapping[str, str]) -> str:
    """One hash of a name -> file-hash table (sorted, so it does not depend on listing order)."""
    text = "".join(f"{name}\0{digest}\n" for name, digest in sorted(parts.items()))
    return "sha256:" + _sha256(text.encode("utf-8"))


def _find_letter(root: Path, name: str, pdf: bool) -> tuple[Path | None, str | None]:
    letters = root / "letters"
    if pdf:
        for candidate in (root / "pdfs" / f"{name}.pdf", letters / f"{name}.pdf"):
            if candidate.is_file():
                return candidate, None
        txt = letters / f"{name}.txt"
        if txt.is_file():
            return txt, "no PDF for this letter; read the text file instead"
        return None, None
    for ext in LETTER_EXTS:
        candidate = letters / f"{name}{ext}"
        if candidate.is_file():
            return candidate, None
    return None, None


def load_gold(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"gold file is not valid JSON ({type(exc).__name__}: {exc})", source=str(path),
                         reason="bad_gold") from None
    if not isinstance(data, dict):
        raise InputError("gold file must hold a JSON object (GOLD_FORMAT.md)", source=str(path), reason="bad_gold")
    return data


def discover_suite(path: str | os.PathLike[str], *, pdf: bool = False) -> Suite:
    """List a suite's gold answers and their letters; raises :class:`InputError` (exit 2) on a bad suite."""
    root = Path(path)
    if not root.exists():
        raise InputError("no such suite folder", source=str(path), reason="missing")
    if not root.is_dir():
        raise InputError("not a suite folder (expected letters/ and gold/, or a saved run .json)", source=str(path),
                         reason="not_a_suite")
    gold_dir = root / "gold"
    gold_paths = sorted(gold_dir.glob("*.json")) if gold_dir.is_dir() else []
    if not gold_paths:
        raise InputError("no gold files (expected gold/NAME.json, see GOLD_FORMAT.md)", source=str(path),
                         reason="no_gold")
    cases: list[SuiteCase] = []
    gold_files: dict[str, str] = {}
    letter_files: dict[str, str] = {}
    for gp in gold_paths:
        name = gp.stem
        gold_files[name] = _sha256(gp.read_bytes())
        letter, note = _find_letter(root, name, pdf)
        if letter is not None:
            try:
                letter_files[name] = _sha256(letter.read_bytes())
            except OSError:
                letter_files[name] = "unreadable"
        cases.append(SuiteCase(name=name, gold_path=gp, gold=load_gold(gp), letter=letter, note=note))
    names = set(gold_files)
    unscored = sorted(
        p.name
        for sub in ("letters", "pdfs")
        if (root / sub).is_dir()
        for p in (root / sub).iterdir()
        if p.is_file() and p.suffix.lower() in LETTER_EXTS and p.stem not in names
    )
    manifest = root / "explanations" / "manifest.json"
    return Suite(
        path=root,
        cases=cases,
        gold_hash=_combined_hash(gold_files),
        gold_files=gold_files,
        letters_hash=_combined_hash(letter_files),
        unscored=unscored,
        explanations_manifest=manifest if manifest.is_file() else None,
    )


# ----------------------------------------------------------------------------------------------- models


class UsageTotals(Usage):
    """Summed over letters from each record's ``meta.usage`` (all zero for the rules backend)."""

    total_tokens: int = 0
    letters_with_usage: int = 0


class RunMeta(BaseModel):
    """Everything needed to know what produced a run and to reproduce or compare it."""

    imrassist_version: str = __version__
    git_sha: str | None = None
    git_dirty: bool | None = None
    python: str = platform.python_version()
    platform: str = platform.platform(terse=True)
    command: list[str] = Field(default_factory=list)
    suite_path: str = ""
    suite_name: str = ""
    gold_hash: str = ""
    gold_files: dict[str, str] = Field(default_factory=dict)
    letters_hash: str = ""
    letters: int = 0
    unscored_letters: list[str] = Field(default_factory=list)
    input: Literal["text", "pdf"] = "text"
    backend: str = "rules"
    model: str | None = None
    mode: str | None = None
    prompt_versions: list[str] = Field(default_factory=list)
    prompt_hashes: list[str] = Field(default_factory=list)
    cache: bool | None = None
    jobs: int = 1
    usage: UsageTotals = Field(default_factory=UsageTotals)
    started_at: str = ""
    finished_at: str = ""
    wall_s: float = 0.0
    rescored_at: str | None = Field(default=None, description="Set when the scores were recomputed from saved predictions.")
    rescored_gold_hash: str | None = None


class LetterRun(BaseModel):
    """One letter of a run: what was read, what was predicted (gold shape), or why it failed."""

    name: str
    source: str | None = None
    note: str | None = None
    ok: bool = True
    error: dict[str, str] | None = None
    seconds: float = 0.0
    prediction: dict[str, Any] | None = None
    backend: str | None = None
    model: str | None = None
    warnings: list[str] = Field(default_factory=list)
    usage: dict[str, Any] | None = None


class FieldDelta(BaseModel):
    field: str
    before_f1: float
    after_f1: float
    before_n: int = Field(0, description="tp + fp + fn in the baseline")
    after_n: int = 0

    @property
    def delta(self) -> float:
        return self.after_f1 - self.before_f1


class BaselineComparison(BaseModel):
    baseline: str
    baseline_meta: dict[str, Any] = Field(default_factory=dict)
    tolerance: float = 0.01
    rescored: bool = Field(False, description="The baseline's predictions were re-scored against the current gold.")
    notes: list[str] = Field(default_factory=list)
    overall: FieldDelta
    fields: list[FieldDelta] = Field(default_factory=list)
    regressions: list[Regression] = Field(default_factory=list)
    letters: list[FieldDelta] = Field(default_factory=list, description="Per-letter F1 before/after (field = letter name).")


class EvalRun(BaseModel):
    """A whole run: the JSON of ``--save`` and of ``--json``."""

    format: str = RUN_FORMAT
    format_version: int = RUN_FORMAT_VERSION
    meta: RunMeta = Field(default_factory=RunMeta)
    letters: list[LetterRun] = Field(default_factory=list)
    score: SuiteScore = Field(default_factory=SuiteScore)
    baseline: BaselineComparison | None = None
    checks: dict[str, Any] | None = None
    problems: list[str] = Field(default_factory=list, description="Conditions that make the exit code 1.")

    # Records of this run (not saved: they quote the letters at length); the check benchmark mutates them.
    _records: dict[str, Any] = PrivateAttr(default_factory=dict)
    _suite: Suite | None = PrivateAttr(default=None)

    @property
    def records(self) -> dict[str, Any]:
        return self._records

    @property
    def suite(self) -> Suite | None:
        return self._suite

    def letter(self, name: str) -> LetterRun | None:
        for lr in self.letters:
            if lr.name == name:
                return lr
        return None

    def dump_json(self) -> str:
        return self.model_dump_json(indent=2)


# ------------------------------------------------------------------------------------------------- git


def git_info(start: str | os.PathLike[str] | None = None) -> tuple[str | None, bool | None]:
    """(HEAD SHA, dirty) of the checkout holding the imrassist package, or (None, None) when it is none."""
    where = Path(start) if start is not None else Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
        if sha.returncode != 0 or not sha.stdout.strip():
            return None, None
        status = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=5, check=False)
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        return sha.stdout.strip(), dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------- running

Extractor = Callable[[Any], Any]  # Letter -> CaseRecord


def _letter_task(name: str, path: str | None, note: str | None, backend: str, settings: Any,
                 extractor: Extractor | None, debug: bool) -> dict[str, Any]:
    """Read and extract one letter; never raises for a bad letter (it becomes an error row).

    Top-level and returning plain data so that worker processes can run it.
    """
    started = time.perf_counter()
    row: dict[str, Any] = {"name": name, "source": path, "note": note}
    if path is None:
        row.update(ok=False, error={"reason": "missing", "message": f"{name}: no letter file for this gold answer"})
        return row
    try:
        from ..letter import read_letter

        letter = read_letter(path)
        if extractor is not None:
            record = extractor(letter)
        else:
            from ..extract import extract

            record = extract(letter, backend, settings=settings)  # type: ignore[arg-type]
        _record_row(row, record)
    except InputError as exc:
        row.update(ok=False, error={"reason": exc.reason, "message": exc.one_line()})
    except ImrassistError as exc:
        row.update(ok=False, error={"reason": "error", "message": f"{path}: {' '.join(str(exc).split())}"})
    except Exception as exc:  # noqa: BLE001 - one bad letter never ends the run
        if debug:
            raise
        row.update(ok=False, error={"reason": "internal",
                                    "message": f"{path}: internal error ({type(exc).__name__}: {exc}); rerun with --debug"})
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def _star_task(args: tuple[Any, ...]) -> dict[str, Any]:
    return _letter_task(*args)


def _run_tasks(tasks: list[tuple[Any, ...]], jobs: int, processes: bool) -> Iterator[dict[str, Any]]:
    if jobs <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _letter_task(*t)
        return
    jobs = min(jobs, len(tasks))
    if processes:
        import multiprocessing as mp

        # Import (and warm up) in the parent so forked workers share it instead of each paying for it.
        from ..extract import extract  # noqa: F401
        from ..gold import to_gold_view  # noqa: F401
        from ..letter import read_letter  # noqa: F401

        if any(str(t[1] or "").lower().endswith(".pdf") for t in tasks):
            try:
                import pypdf  # noqa: F401
            except ImportError:  # pragma: no cover - a dependency; read_letter reports it per letter
                pass

        if "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            with ctx.Pool(processes=jobs) as pool:
                yield from pool.imap_unordered(_star_task, tasks, chunksize=max(1, len(tasks) // (jobs * 4)))
            return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_star_task, tasks)


def _record_row(row: dict[str, Any], record: Any) -> dict[str, Any]:
    from ..gold import to_gold_view

    row.update(ok=True, prediction=to_gold_view(record), record=record.model_dump(mode="json"),
               backend=record.meta.backend, model=record.meta.model, warnings=list(record.meta.warnings),
               usage=record.meta.usage.model_dump(mode="json") if record.meta.usage else None,
               mode=record.meta.mode, prompt_version=record.meta.prompt_version, prompt_hash=record.meta.prompt_hash)
    return row


def _run_model(suite: Suite, backend: str, settings: Any, jobs: int, debug: bool) -> dict[str, dict[str, Any]] | None:
    """Model backends: read every letter, then the LLM extractor's ``extract_many`` (letters concurrently,
    ``--jobs`` letters in flight when > 1, else the settings' concurrency). None when it is not available."""
    try:
        from ..extract.llm import extract_many
    except ImportError:
        return None
    from ..letter import read_letter

    rows: dict[str, dict[str, Any]] = {}
    letters, names = [], []
    for c in suite.cases:
        row: dict[str, Any] = {"name": c.name, "source": str(c.letter) if c.letter else None, "note": c.note}
        rows[c.name] = row
        if c.letter is None:
            row.update(ok=False, error={"reason": "missing", "message": f"{c.name}: no letter file for this gold answer"})
            continue
        t = time.perf_counter()
        try:
            letters.append(read_letter(str(c.letter)))
            names.append(c.name)
        except InputError as exc:
            row.update(ok=False, error={"reason": exc.reason, "message": exc.one_line()})
        row["seconds"] = round(time.perf_counter() - t, 4)
    results = extract_many(letters, settings, backend=backend, concurrency=jobs if jobs > 1 else None) if letters else []
    for name, result in zip(names, results):
        row = rows[name]
        if isinstance(result, BaseException):
            if debug:
                raise result
            reason = getattr(result, "reason", None) or type(result).__name__
            message = result.one_line() if isinstance(result, InputError) else " ".join(str(result).split())
            row.update(ok=False, error={"reason": str(reason), "message": f"{row['source']}: {message}"})
            continue
        _record_row(row, result)
        usage = result.meta.usage
        if usage is not None and usage.latency_s:
            row["seconds"] = round(row.get("seconds", 0.0) + usage.latency_s, 4)
    return rows


def _usage_totals(rows: list[LetterRun]) -> UsageTotals:
    totals = UsageTotals()
    costs: list[float] = []
    for row in rows:
        u = row.usage
        if not u:
            continue
        totals.letters_with_usage += 1
        totals.prompt_tokens += int(u.get("prompt_tokens") or 0)
        totals.completion_tokens += int(u.get("completion_tokens") or 0)
        totals.requests += int(u.get("requests") or 0)
        totals.cache_hits += int(u.get("cache_hits") or 0)
        totals.transport_retries += int(u.get("transport_retries") or 0)
        totals.validation_retries += int(u.get("validation_retries") or 0)
        totals.latency_s += float(u.get("latency_s") or 0.0)
        if u.get("cost_usd") is not None:
            costs.append(float(u["cost_usd"]))
    totals.total_tokens = totals.prompt_tokens + totals.completion_tokens
    totals.latency_s = round(totals.latency_s, 4)
    totals.cost_usd = round(sum(costs), 6) if costs else None
    return totals


def score_predictions(suite: Suite, rows: list[LetterRun]) -> SuiteScore:
    """Score each gold answer against its row's prediction; a failed or absent row scores as all missing."""
    by_name = {r.name: r for r in rows}
    scores: list[LetterScore] = []
    for case in suite.cases:
        row = by_name.get(case.name)
        pred = row.prediction if row is not None and row.ok else None
        scores.append(score_letter(pred, case.gold, case.name))
    return score_suite(scores)


def run_suite(
    suite: str | os.PathLike[str] | Suite,
    *,
    backend: str = "rules",
    settings: Any = None,
    pdf: bool = False,
    jobs: int = 1,
    extractor: Extractor | None = None,
    debug: bool = False,
    command: list[str] | None = None,
) -> EvalRun:
    """Extract every letter of ``suite`` and score it. ``extractor`` replaces the backend (tests, plugins)."""
    if not isinstance(suite, Suite):
        suite = discover_suite(suite, pdf=pdf)
    started_at, t0 = _now(), time.perf_counter()
    raw: dict[str, dict[str, Any]] | None = None
    if extractor is None and backend in ("llm", "auto"):
        raw = _run_model(suite, backend, settings, jobs, debug)
    if raw is None:
        use_processes = extractor is None and backend == "rules"
        tasks = [(c.name, str(c.letter) if c.letter else None, c.note, backend, settings, extractor, debug)
                 for c in suite.cases]
        raw = {r["name"]: r for r in _run_tasks(tasks, max(1, jobs), processes=use_processes)}
    from ..models import CaseRecord

    rows: list[LetterRun] = []
    records: dict[str, Any] = {}
    prompt_versions: set[str] = set()
    prompt_hashes: set[str] = set()
    modes: set[str] = set()
    models: set[str] = set()
    for case in suite.cases:
        r = raw[case.name]
        if r.get("record") is not None:
            records[case.name] = CaseRecord.model_validate(r["record"])
        for key, bucket in (("prompt_version", prompt_versions), ("prompt_hash", prompt_hashes), ("mode", modes),
                            ("model", models)):
            if r.get(key):
                bucket.add(str(r[key]))
        rows.append(LetterRun(**{k: v for k, v in r.items() if k in LetterRun.model_fields}))

    backend_label = backend if extractor is None else f"custom:{getattr(extractor, '__qualname__', type(extractor).__name__)}"
    sha, dirty = git_info()
    meta = RunMeta(
        git_sha=sha,
        git_dirty=dirty,
        command=list(command) if command is not None else [],
        suite_path=str(suite.path.resolve()),
        suite_name=suite.name,
        gold_hash=suite.gold_hash,
        gold_files=dict(suite.gold_files),
        letters_hash=suite.letters_hash,
        letters=len(suite.cases),
        unscored_letters=list(suite.unscored),
        input="pdf" if pdf else "text",
        backend=backend_label,
        model=getattr(settings, "model", None) or (sorted(models)[0] if len(models) == 1 else None),
        mode=getattr(settings, "mode", None) or (sorted(modes)[0] if len(modes) == 1 else None),
        prompt_versions=sorted(prompt_versions),
        prompt_hashes=sorted(prompt_hashes),
        cache=getattr(settings, "cache", None),
        jobs=max(1, jobs),
        usage=_usage_totals(rows),
        started_at=started_at,
        finished_at=_now(),
        wall_s=round(time.perf_counter() - t0, 4),
    )
    run = EvalRun(meta=meta, letters=rows, score=score_predictions(suite, rows))
    run._records = records
    run._suite = suite
    return run


# ----------------------------------------------------------------------------------- saved runs, baselines


def _read_json(path: str | os.PathLike[str], what: str, reason: str) -> Any:
    """The JSON in ``path``, or an :class:`InputError` that names the file and says what it should have been."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such {what} file", source=str(path), reason="missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} is not valid JSON ({type(exc).__name__})", source=str(path), reason=reason) from None


def load_run(path: str | os.PathLike[str]) -> EvalRun:
    """Read a saved run (``--save``); :class:`InputError` when it is not one."""
    return _run_from(_read_json(path, "saved eval run", "bad_run"), path)


def _run_from(data: Any, path: str | os.PathLike[str]) -> EvalRun:
    if not isinstance(data, dict) or data.get("format") != RUN_FORMAT:
        raise InputError(f"not a saved eval run (expected \"format\": \"{RUN_FORMAT}\")", source=str(path),
                         reason="bad_run")
    if int(data.get("format_version", 0)) > RUN_FORMAT_VERSION:
        raise InputError(f"saved with a newer run format ({data.get('format_version')}); upgrade imrassist",
                         source=str(path), reason="bad_run")
    try:
        return EvalRun.model_validate(data)
    except ValueError as exc:
        raise InputError(f"malformed saved run: {' '.join(str(exc).split())[:300]}", source=str(path),
                         reason="bad_run") from None


def rescore_run(run: EvalRun, suite: Suite | None = None, *, pdf: bool | None = None) -> EvalRun:
    """The run's saved predictions scored again against the gold of ``suite`` (default: the run's suite).

    No extractor or model is called. Gold answers without a saved prediction score as missing; saved
    predictions without a gold answer are ignored.
    """
    if suite is None:
        where = Path(run.meta.suite_path)
        if not where.is_dir():
            raise InputError(f"the suite folder this run was made on is gone ({where}); cannot re-score",
                             source=run.meta.suite_path or "<run>", reason="missing")
        suite = discover_suite(where, pdf=run.meta.input == "pdf" if pdf is None else pdf)
    known = {c.name for c in suite.cases}
    rows = [r for r in run.letters if r.name in known]
    have = {r.name for r in rows}
    for case in suite.cases:
        if case.name not in have:
            rows.append(LetterRun(name=case.name, ok=False,
                                  error={"reason": "not_in_run", "message": f"{case.name}: no prediction in the saved run"}))
    order = {c.name: i for i, c in enumerate(suite.cases)}
    rows.sort(key=lambda r: order[r.name])
    meta = run.meta.model_copy(update={"rescored_at": _now(), "rescored_gold_hash": suite.gold_hash,
                                       "letters": len(suite.cases)})
    out = EvalRun(meta=meta, letters=rows, score=score_predictions(suite, rows))
    out._suite = suite
    return out


def load_baseline(path: str | os.PathLike[str]) -> tuple[SuiteScore, EvalRun | None]:
    """A baseline is a saved run or, for older files, a bare SuiteScore JSON."""
    data = _read_json(path, "baseline", "bad_baseline")
    if isinstance(data, dict) and data.get("format") == RUN_FORMAT:
        run = _run_from(data, path)
        return run.score, run
    if isinstance(data, dict) and "per_field" in data and "overall" in data:
        try:
            return SuiteScore.model_validate(data), None
        except ValueError:
            pass
    raise InputError("not a saved eval run or suite score", source=str(path), reason="bad_baseline")


def _delta(name: str, before: FieldCounts, after: FieldCounts) -> FieldDelta:
    return FieldDelta(field=name, before_f1=before.f1, after_f1=after.f1,
                      before_n=before.tp + before.fp + before.fn, after_n=after.tp + after.fp + after.fn)


def compare_runs(current: EvalRun, baseline_path: str | os.PathLike[str], *, tolerance: float = 0.01) -> BaselineComparison:
    """Field-by-field F1 of ``current`` against a saved baseline (re-scored on today's gold when it changed)."""
    base_score, base_run = load_baseline(baseline_path)
    notes: list[str] = []
    rescored = False
    suite = current.suite
    if base_run is not None:
        bm = base_run.meta
        if bm.suite_path and current.meta.suite_path and Path(bm.suite_path) != Path(current.meta.suite_path):
            notes.append(f"baseline was made on another suite folder ({bm.suite_path})")
        if bm.input != current.meta.input:
            notes.append(f"baseline read the letters as {bm.input}, this run as {current.meta.input}")
        if suite is not None and bm.gold_hash and bm.gold_hash != suite.gold_hash:
            changed = sorted(n for n in set(bm.gold_files) & set(suite.gold_files) if bm.gold_files[n] != suite.gold_files[n])
            base_run = rescore_run(base_run, suite)
            base_score = base_run.score
            rescored = True
            notes.append("gold changed since the baseline; its saved predictions were re-scored against the current gold"
                         + (f" (changed: {', '.join(changed[:8])}{' ...' if len(changed) > 8 else ''})" if changed else ""))
    base_names = {ls.name for ls in base_score.letters}
    cur_names = {ls.name for ls in current.score.letters}
    if base_names and base_names != cur_names:
        added, gone = sorted(cur_names - base_names), sorted(base_names - cur_names)
        if added:
            notes.append(f"{len(added)} letter(s) not in the baseline: {', '.join(added[:8])}")
        if gone:
            notes.append(f"{len(gone)} baseline letter(s) not in this run: {', '.join(gone[:8])}")
    names = list(FIELD_NAMES) + sorted((set(current.score.per_field) | set(base_score.per_field)) - set(FIELD_NAMES))
    fields = [_delta(n, base_score.per_field.get(n, FieldCounts()), current.score.per_field.get(n, FieldCounts()))
              for n in names]
    base_letters = {ls.name: ls.overall for ls in base_score.letters}
    letters = [_delta(ls.name, base_letters[ls.name], ls.overall) for ls in current.score.letters if ls.name in base_letters]
    meta_keys = ("imrassist_version", "git_sha", "backend", "model", "mode", "prompt_versions", "started_at",
                 "gold_hash", "rescored_at")
    bmeta = {k: getattr(base_run.meta, k) for k in meta_keys} if base_run is not None else {}
    return BaselineComparison(
        baseline=str(baseline_path),
        baseline_meta=bmeta,
        tolerance=tolerance,
        rescored=rescored,
        notes=notes,
        overall=_delta("overall", base_score.overall, current.score.overall),
        fields=fields,
        regressions=compare_to_baseline(current.score, base_score, tolerance=tolerance),
        letters=letters,
    )


# ------------------------------------------------------------------------------------------------- CLI


def _eval_settings(args: Any, settings: Any) -> Any:
    """Evals cache model answers by default (re-running a suite should not pay twice); ``--no-cache`` opts out."""
    if settings is None:
        return None
    if not getattr(args, "no_cache", False) and not getattr(settings, "cache", False):
        settings = settings.model_copy(update={"cache": True})
    return settings


def run_eval_command(args: Any, settings: Any = None) -> int:
    """The ``eval`` subcommand (arguments defined in :mod:`imrassist.cli`); returns the exit code."""
    from .report import print_terminal_report, write_html_report

    target = Path(args.suite)
    backend = getattr(args, "backend", "rules") or "rules"
    debug = bool(getattr(args, "debug", False))
    tolerance = float(getattr(args, "tolerance", 0.01) if getattr(args, "tolerance", None) is not None else 0.01)
    if tolerance < 0:
        raise InputError("--tolerance must not be negative", source="--tolerance", reason="bad_argument")
    fail_under = getattr(args, "fail_under", None)
    if fail_under is not None and not 0.0 <= fail_under <= 1.0:
        raise InputError("--fail-under is an F1 between 0 and 1", source="--fail-under", reason="bad_argument")
    if getattr(args, "fail_on_regression", False) and not getattr(args, "baseline", None):
        raise InputError("--fail-on-regression needs --baseline B.json", source="--fail-on-regression",
                         reason="bad_argument")

    jobs = int(getattr(args, "jobs", 1) or 0)
    jobs = (os.cpu_count() or 1) if jobs == 0 else max(1, jobs)  # 0: one per CPU, as for extract/analyze

    if target.is_file() and target.suffix.lower() == ".json":
        run = rescore_run(load_run(target), pdf=True if getattr(args, "pdf", False) else None)
    else:
        settings = _eval_settings(args, settings)
        if backend == "llm" and (settings is None or not settings.configured()):
            raise ImrassistError("--backend llm needs a model: pass --model or set IMRASSIST_MODEL "
                                 "(or use --backend auto to fall back to the rules)")
        run = run_suite(target, backend=backend, settings=settings, pdf=bool(getattr(args, "pdf", False)),
                        jobs=jobs, debug=debug, command=sys.argv[1:])

    if getattr(args, "baseline", None):
        run.baseline = compare_runs(run, args.baseline, tolerance=tolerance)

    if getattr(args, "checks", False):
        from .checkbench import run_checkbench

        run.checks = run_checkbench(run, jobs=jobs).model_dump(mode="json")

    problems: list[str] = []
    if fail_under is not None and run.score.overall.f1 < fail_under:
        problems.append(f"micro F1 {run.score.overall.f1:.4f} is below --fail-under {fail_under:g}")
    if getattr(args, "fail_on_regression", False) and run.baseline is not None and run.baseline.regressions:
        regs = ", ".join(f"{r.field} {r.baseline_f1:.3f}->{r.current_f1:.3f}" for r in run.baseline.regressions[:6])
        problems.append(f"{len(run.baseline.regressions)} field(s) regressed beyond tolerance {tolerance:g}: {regs}")
    if run.checks is not None:
        problems.extend(run.checks.get("problems") or [])
    run.problems = problems

    if getattr(args, "save", None):
        atomic_write(Path(args.save), run.dump_json())
    if getattr(args, "html", None):
        write_html_report(run, Path(args.html))

    if getattr(args, "json", False):
        sys.stdout.write(run.dump_json() + "\n")
        sys.stdout.flush()
    else:
        print_terminal_report(run)
    if problems:
        for p in problems:
            print(f"imrassist: eval: {p}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK
