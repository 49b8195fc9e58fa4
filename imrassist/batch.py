"""Run extract/analyze over many letters without losing one.

Every input ends as exactly one result: outputs written (atomically: temp file + rename) or an error
entry naming the file and the problem; the batch always goes on. ``--jsonl OUT`` appends one line per
input as it completes (flushed to the OS at once, so neither Ctrl-C, SIGTERM nor a crashed worker loses
a written line), and ``--resume`` skips the inputs whose line says ``"ok": true`` (failed inputs run
again). ``--jobs N`` uses N forked worker processes for the deterministic path (the model path is
I/O-bound and uses threads instead).

Fork safety: the parent imports and warms everything the workers need (so they share it copy-on-write
and do not each pay textstat's ~1 s first call), freezes the GC heap, and starts no thread before the
workers are forked; the progress bar is drawn by the parent only, without a refresh thread. A worker
that dies (a crash in a C library, the OOM killer) breaks only the letters it was holding: those are
re-run one by one in a fresh process so the culprit is named and the rest complete. A letter that takes
longer than ``--timeout`` seconds becomes an error entry instead of stalling the batch.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import ImrassistError, InputError
from .files import atomic_write

LETTER_SUFFIXES = (".txt", ".pdf", ".text")
#: Seconds one letter may take before it becomes an error entry (``--timeout``; 0 disables).
DEFAULT_TIMEOUT = 120.0


# --------------------------------------------------------------------------------------------- inputs


def expand_inputs(args: Iterable[str]) -> list[str]:
    """Files as given, folders recursively (``.txt``/``.text``/``.pdf``, hidden files and folders skipped),
    ``-`` for stdin; order is stable (arguments in order, each folder sorted) and duplicates are dropped.

    Missing paths and folders without letters are kept: they become error entries rather than stopping
    the batch.
    """
    out: list[str] = []
    for a in args:
        p = Path(a)
        if a != "-" and p.is_dir():
            found = sorted(
                str(f) for f in p.rglob("*")
                if f.suffix.lower() in LETTER_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and f.is_file()
            )
            out.extend(found if found else [a])
        else:
            out.append(a)
    return list(dict.fromkeys(out))


def read_source(source: str, data: bytes | None = None) -> Any:
    """The Letter of one input (``data``: bytes already read, e.g. stdin read once by the parent)."""
    from .letter import letter_from_bytes, read_letter

    if data is not None:
        return letter_from_bytes(data, source=source)
    if source != "-" and os.path.isdir(source):
        raise InputError(f"folder holds no letter files ({', '.join(LETTER_SUFFIXES)})", source=source,
                         reason="empty_folder")
    return read_letter(source)


# -------------------------------------------------------------------------------------------- outputs


def _base_name(source: str) -> str:
    name = "stdin" if source == "-" else Path(source).name
    for suffix in LETTER_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "letter"
    return name or "letter"


def output_stem(source: str, out_dir: Path, used: set[str] | None = None) -> Path:
    """``OUT/<name without .txt/.pdf>``; with ``used``, a name already taken gets ``-2``, ``-3`` ..."""
    name = _base_name(source)
    if used is not None:
        candidate, n = name, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{name}-{n}"
        used.add(candidate.lower())
        name = candidate
    return Path(out_dir) / name


def assign_stems(inputs: list[str]) -> dict[str, str]:
    """A unique, deterministic output name per input: the file name without its suffix, or, where two
    inputs share one (``a/x.txt``, ``b/x.txt``, ``x.pdf``), their path joined with ``__``."""
    bases = {s: _base_name(s) for s in inputs}
    counts = Counter(b.lower() for b in bases.values())
    stems: dict[str, str] = {}
    used: set[str] = set()
    for s in inputs:
        name = bases[s]
        if counts[name.lower()] > 1 and s != "-":
            parts = [p for p in Path(s).with_suffix("").parts if p not in ("/", ".", "..", "")]
            name = "__".join(p.replace(os.sep, "_") for p in parts).lstrip(".") or name
        stems[s] = output_stem(name + ".txt", Path("."), used).name
    return stems


# ------------------------------------------------------------------------------------------ one letter


class LetterTimeout(BaseException):
    """Raised inside a letter that ran past ``--timeout`` (a BaseException, so that no ``except
    Exception`` in the code it interrupts can swallow it)."""


def _on_alarm(signum: int, frame: Any) -> None:  # pragma: no cover - timing dependent
    raise LetterTimeout()


class _Deadline:
    """``--timeout`` for one letter through SIGALRM (main thread of a process only; else a no-op)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds if seconds and seconds > 0 else None
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> "_Deadline":
        if self.seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous or signal.SIG_DFL)


def _error(source: str, reason: str, message: str, started: float) -> dict[str, Any]:
    return {"source": source, "ok": False, "error": {"reason": reason, "message": message},
            "seconds": round(time.perf_counter() - started, 4)}


def process_one(kind: str, source: str, opts: dict[str, Any], data: bytes | None = None,
                stem: str | None = None) -> dict[str, Any]:
    """Process one input; never raises for bad input. Top-level so worker processes can pickle it.

    ``data``: the input's bytes when the parent already read them (stdin); ``stem``: the output name
    under ``opts["out"]`` (see :func:`assign_stems`).
    """
    started = time.perf_counter()
    try:
        with _Deadline(opts.get("timeout")):
            letter = read_source(source, data)
            if kind == "extract":
                result = _extract_one(source, letter, opts, stem)
            elif kind == "analyze":
                result = _analyze_one(source, letter, opts, stem)
            else:  # pragma: no cover - programming error
                raise ValueError(kind)
    except InputError as exc:
        return _error(source, exc.reason, exc.one_line() if exc.source else f"{source}: {exc.one_line()}", started)
    except LetterTimeout:
        return _error(source, "timeout", f"{source}: took longer than {opts.get('timeout'):g} s; skipped "
                      "(raise --timeout to allow more)", started)
    except ImrassistError as exc:
        return _error(source, "error", f"{source}: {' '.join(str(exc).split())}", started)
    except OSError as exc:  # reading is InputError already: this is an output that could not be written
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return _error(source, "write_failed", f"{source}: cannot write output{where} "
                      f"({exc.strerror or type(exc).__name__})", started)
    except MemoryError:
        return _error(source, "memory", f"{source}: out of memory while processing this letter", started)
    except Exception as exc:  # noqa: BLE001 - one bad letter must never end the batch
        if opts.get("debug"):
            raise
        return _error(source, "internal", f"{source}: internal error ({type(exc).__name__}); rerun with --debug",
                      started)
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def _with_line(kind: str, res: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """Serialise the JSONL row in the worker (in parallel) rather than in the parent; keep only the small
    fields for the parent unless it prints the payload to stdout."""
    row = {"kind": kind, **{k: v for k, v in res.items() if k != "_index"}}
    res["_line"] = json.dumps(row, ensure_ascii=False, default=str)
    if not opts.get("to_stdout"):
        res.pop("record", None)
        res.pop("analysis", None)
    return res


def _extract_one(source: str, letter: Any, opts: dict[str, Any], stem: str | None) -> dict[str, Any]:
    from .extract import extract

    record = extract(letter, opts.get("backend", "rules"), settings=opts.get("settings"))
    result: dict[str, Any] = {"source": source, "ok": True, "items": len(record.items),
                              "warnings": list(record.meta.warnings), "errors": 0}
    payload: Any = None
    if opts.get("gold_view"):
        from .gold import to_gold_view

        payload = to_gold_view(record)
    if opts.get("out"):
        target = Path(opts["out"]) / f"{stem or _base_name(source)}.record.json"
        text = (json.dumps(payload, indent=2, ensure_ascii=False) if payload is not None
                else record.model_dump_json(indent=2))
        atomic_write(target, text)
        result["outputs"] = [str(target)]
    if opts.get("want_payload"):
        result["record"] = payload if payload is not None else record.model_dump(mode="json")
    return result


def _analyze_one(source: str, letter: Any, opts: dict[str, Any], stem: str | None) -> dict[str, Any]:
    from .pipeline import analyze_letter

    analysis = analyze_letter(letter, lang=opts.get("lang", "en"), backend=opts.get("backend", "rules"),
                              settings=opts.get("settings"))
    result: dict[str, Any] = {"ok": True, **analysis.summary_counts(), "source": source,
                              "record_warnings": list(analysis.record.meta.warnings)}
    if opts.get("out"):
        result["outputs"] = write_analysis(analysis, letter, Path(opts["out"]), html=bool(opts.get("html")),
                                           stem=stem)
    if opts.get("want_payload"):
        result["analysis"] = analysis.model_dump(mode="json")
    return result


def write_analysis(analysis: Any, letter: Any, out_dir: Path, *, html: bool = False,
                   stem: str | None = None) -> list[str]:
    """``NAME.record.json``, ``.explanation.md``, ``.summary.md``, ``.findings.json`` (and ``.html``)."""
    name = stem or _base_name(analysis.source or "letter")
    files = {
        ".record.json": analysis.record.model_dump_json(indent=2),
        ".explanation.md": analysis.explanation,
        ".summary.md": analysis.summary,
        ".findings.json": analysis.findings.model_dump_json(indent=2),
    }
    if html:
        from .report.html import render_analysis_html

        files[".html"] = render_analysis_html(analysis, letter)
    written = []
    for suffix, content in files.items():
        target = Path(out_dir) / f"{name}{suffix}"
        atomic_write(target, content)
        written.append(str(target))
    return written


# ------------------------------------------------------------------------------------------ execution


@dataclass(frozen=True)
class Task:
    index: int
    source: str
    data: bytes | None = None
    stem: str | None = None


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: only the parent handles it (and stops the workers), so
    # workers never print a KeyboardInterrupt traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


#: A process empties the checks' in-memory memos after this many letters: they would otherwise hold ~90 MB
#: more per process by the end of a long batch (216 MB instead of 143 MB peak over 1,000 letters), for
#: about 2% more CPU time.
CLEAR_CACHES_EVERY = 100
_done_here = 0  # letters analysed by this process since the last clear


def _run_task(kind: str, task: Task, opts: dict[str, Any]) -> dict[str, Any]:
    global _done_here
    res = process_one(kind, task.source, opts, task.data, task.stem)
    if kind == "analyze":
        _done_here += 1
        if _done_here >= CLEAR_CACHES_EVERY:
            _done_here = 0
            clear = getattr(sys.modules.get("imrassist.checks"), "clear_caches", None)
            if clear is not None:
                clear()
    if opts.get("jsonl"):
        res = _with_line(kind, res, opts)
    res["_index"] = task.index
    return res


def _crash_entry(kind: str, task: Task, exitcode: int | None) -> dict[str, Any]:
    how = f"killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exit code {exitcode}"
    return {"source": task.source, "ok": False, "_index": task.index,
            "error": {"reason": "crash", "message": f"{task.source}: the worker process died while reading this "
                      f"letter ({how}); the rest of the batch went on"}}


def _fork_context() -> Any:
    import multiprocessing as mp

    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()


def _stop_pool(pool: Any) -> None:
    """Stop a process pool now: cancel what has not started and end the workers (they ignore SIGINT)."""
    # Taken before shutdown(wait=False), which drops the pool's references to them.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - best effort while stopping
        pass
    for p in procs:
        try:
            if p.is_alive():
                p.terminate()
        except Exception:  # noqa: BLE001
            pass
    for p in procs:
        try:
            p.join(timeout=2)
        except Exception:  # noqa: BLE001
            pass
    # A worker ended while writing a result leaves half a message in the result pipe, and the manager thread
    # would wait for the rest forever (and the interpreter joins it at exit: a batch that never ends). With
    # the workers gone, our end of the pipe is its only writer: closing it turns that wait into an end of
    # file, which the manager thread takes for a broken pool and ends.
    writer = getattr(results, "_writer", None)
    if writer is not None:
        try:
            writer.close()
        except Exception:  # noqa: BLE001
            pass
    # Let the pool's manager thread end too, so that the next pool forks from a parent without threads, and
    # so that it is not still closing its wake-up pipe when the interpreter's exit hook writes to that pipe
    # (an "OSError: Bad file descriptor" traceback at exit, seen about once in a few hundred batches).
    if manager is not None and manager.is_alive():
        manager.join(timeout=5)


def _exit_status(proc: Any, timeout: float = 2.0) -> int | None:
    """The exit code of a worker that died (negative: the signal), waiting up to ``timeout`` for it. The
    pool's manager thread may be reaping the same process at that moment: whichever thread's ``waitpid``
    loses gets nothing back, and the process shows no exit code until the other thread has stored it
    (the crash entry then said "exit code None" instead of "killed by signal 9", once in many runs)."""
    deadline = time.monotonic() + timeout
    proc.join(timeout=timeout)
    while proc.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.005)
    return proc.exitcode


def _isolated(kind: str, task: Task, opts: dict[str, Any]) -> dict[str, Any]:
    """Re-run one letter alone in a fresh worker: its result, or a crash entry naming it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=1, mp_context=_fork_context(), initializer=_worker_init)
    procs: list[Any] = []
    try:
        try:
            fut = pool.submit(_run_task, kind, task, opts)
            procs = list((getattr(pool, "_processes", None) or {}).values())
            return fut.result()
        except BrokenProcessPool:
            return _crash_entry(kind, task, _exit_status(procs[0]) if procs else None)
        except Exception as exc:  # noqa: BLE001 - cannot fork, or a result that cannot be pickled
            return {"source": task.source, "ok": False, "_index": task.index,
                    "error": {"reason": "internal", "message": f"{task.source}: internal error "
                              f"({type(exc).__name__}); rerun with --debug"}}
    finally:
        _stop_pool(pool)


def _parallel(kind: str, tasks: list[Task], opts: dict[str, Any], jobs: int) -> Iterator[dict[str, Any]]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = deque(tasks)
    window = jobs * 4  # in flight at once: enough to keep workers busy, few to re-run after a crash
    fruitless = 0  # pools that broke before finishing anything (e.g. fork itself failing)
    while pending:
        if fruitless >= 3:
            while pending:
                yield _isolated(kind, pending.popleft(), opts)
            return
        finished = 0
        sys.stdout.flush()
        sys.stderr.flush()
        # With fork the workers are started here, before the pool's own manager thread.
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_fork_context(), initializer=_worker_init)
        inflight: dict[Any, Task] = {}
        victims: list[Task] = []
        broken = False
        try:
            while pending or inflight:
                while pending and len(inflight) < window:
                    t = pending.popleft()
                    try:
                        inflight[pool.submit(_run_task, kind, t, opts)] = t
                    except BrokenProcessPool:  # it broke between two waits: t never ran
                        pending.appendleft(t)
                        broken = True
                        break
                if broken and not inflight:
                    break
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for fut in done:
                    task = inflight.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        victims.append(task)
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        res = {"source": task.source, "ok": False, "_index": task.index,
                               "error": {"reason": "internal", "message": f"{task.source}: internal error "
                                         f"({type(exc).__name__}); rerun with --debug"}}
                    finished += 1
                    yield res
                if victims or broken:
                    victims.extend(inflight.values())
                    inflight.clear()
                    break
        finally:
            _stop_pool(pool)
        # The pool broke: each letter it held runs alone, so the one that kills its worker is named and
        # the others get their results; then a fresh pool takes the rest.
        fruitless = 0 if finished or victims else fruitless + 1
        for task in sorted(victims, key=lambda t: t.index):
            yield _isolated(kind, task, opts)


def _threaded(kind: str, tasks: list[Task], opts: dict[str, Any], jobs: int) -> Iterator[dict[str, Any]]:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(_run_task, kind, t, opts): t for t in tasks}
        for f in as_completed(futures):
            yield f.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _results(kind: str, tasks: list[Task], opts: dict[str, Any], jobs: int, threads: bool) -> Iterator[dict[str, Any]]:
    if jobs <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _run_task(kind, t, opts)
    elif threads:
        yield from _threaded(kind, tasks, opts, jobs)
    else:
        yield from _parallel(kind, tasks, opts, jobs)


def warm_up(kind: str) -> None:
    """Import and prime, in the parent, what every worker would otherwise load on its own (the rules
    extractor, the checks, the template explainer, the knowledge files and textstat's ~1 s first call),
    so forked workers share it copy-on-write; then freeze the GC heap so that collections in the workers
    do not touch (and copy) those pages."""
    import gc

    from . import extract  # noqa: F401

    if kind == "analyze":
        from . import pipeline

        pipeline.warm_up()
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()


# ---------------------------------------------------------------------------------------- the batch


class _JsonlSink:
    """Append-only JSONL: one ``os.write`` per line, so a line is either whole or (after a hard kill
    mid-write) cut short and ignored by ``--resume``; a cut line never swallows the next one."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.last_sync = time.monotonic()
        size = os.fstat(self.fd).st_size
        if size:
            with open(path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    os.write(self.fd, b"\n")

    def write(self, row: dict[str, Any]) -> None:
        self.write_line(json.dumps(row, ensure_ascii=False, default=str))

    def write_line(self, line: str) -> None:
        view = memoryview((line + "\n").encode("utf-8"))
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        if time.monotonic() - self.last_sync > 2.0:
            self.sync()

    def sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError:  # pragma: no cover - e.g. a pipe or a filesystem without fsync
            pass
        self.last_sync = time.monotonic()

    def close(self) -> None:
        self.sync()
        os.close(self.fd)


def done_sources(jsonl: Path, kind: str | None = None) -> set[str]:
    """Inputs recorded as done in ``jsonl``: rows with ``"ok": true`` (of ``kind`` when the row says).

    Failed rows do not count, so ``--resume`` retries them; a line cut short is ignored; stdin never
    counts as done.
    """
    done: set[str] = set()
    if not jsonl.exists():
        return done
    with jsonl.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption: that input runs again
            if not isinstance(row, dict) or row.get("ok") is not True or not row.get("source"):
                continue
            if kind and row.get("kind") not in (None, kind):
                continue
            if row["source"] != "-":
                done.add(row["source"])
    return done


_done_sources = done_sources  # older name


class _Progress:
    """A rich progress bar on stderr when it is a terminal: drawn by the parent only, refreshed by hand
    (no refresh thread, so workers can be forked at any time), at most ten times a second."""

    def __init__(self, kind: str, total: int, enabled: bool):
        self.bar: Any = None
        self.task: Any = None
        self.last = 0.0
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True,
                            auto_refresh=False, redirect_stdout=False, redirect_stderr=False)
        self.task = self.bar.add_task(kind, total=total)
        self.bar.start()

    def say(self, message: str) -> None:
        if self.bar is not None:
            self.bar.console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            print(message, file=sys.stderr)

    def advance(self) -> None:
        if self.bar is None:
            return
        self.bar.advance(self.task)
        now = time.monotonic()
        if now - self.last >= 0.1:
            self.bar.refresh()
            self.last = now

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class _Ordered:
    """Prints results to stdout in input order, whatever order workers finish in."""

    def __init__(self, emit: Callable[[dict[str, Any]], None]):
        self.emit = emit
        self.next = 0
        self.held: dict[int, dict[str, Any] | None] = {}

    def put(self, index: int, res: dict[str, Any] | None) -> None:
        self.held[index] = res
        while self.next in self.held:
            r = self.held.pop(self.next)
            if r is not None:
                self.emit(r)
            self.next += 1


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_batch(kind: str, inputs: list[str], args: Any, *, settings: object | None = None) -> int:
    """CLI driver for ``extract``/``analyze`` over one or many inputs; returns the exit code:
    2 if any input failed, else (analyze) 1 if any letter has error findings, else 0; 130 if stopped."""
    from .render import record_text

    out_dir = getattr(args, "out", None)
    jsonl = Path(args.jsonl) if getattr(args, "jsonl", None) else None
    as_json = bool(getattr(args, "json", False))
    gold_view = bool(getattr(args, "gold_view", False))
    to_stdout = not out_dir and not jsonl
    timeout = getattr(args, "timeout", DEFAULT_TIMEOUT)
    opts: dict[str, Any] = {
        "backend": getattr(args, "backend", "rules"),
        "settings": settings,
        "out": out_dir,
        "html": getattr(args, "html", False),
        "lang": getattr(args, "lang", "en"),
        "gold_view": gold_view,
        "debug": getattr(args, "debug", False),
        "want_payload": bool(jsonl) or to_stdout,
        "to_stdout": to_stdout,
        "jsonl": bool(jsonl),
        "timeout": float(timeout) if timeout else None,
    }
    skipped = 0
    if jsonl and getattr(args, "resume", False):
        done = done_sources(jsonl, kind)
        before = len(inputs)
        inputs = [s for s in inputs if s not in done]
        skipped = before - len(inputs)
    if out_dir:
        try:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImrassistError(f"--out {out_dir}: cannot use it as the output folder "
                                 f"({exc.strerror or type(exc).__name__})") from None

    # stdin is read once, here: workers cannot read the parent's stdin.
    stdin_data: bytes | None = None
    stdin_error: dict[str, Any] | None = None
    if "-" in inputs:
        from .letter import read_input_bytes

        try:
            stdin_data = read_input_bytes("-")
        except InputError as exc:
            stdin_error = _error("-", exc.reason, exc.one_line(), time.perf_counter())
    stems = assign_stems(inputs) if out_dir else {}
    tasks = [Task(i, s, stdin_data if s == "-" else None, stems.get(s)) for i, s in enumerate(inputs)]

    jobs = max(1, int(getattr(args, "jobs", 1) or 1))
    threads = opts["backend"] != "rules"
    if threads and settings is not None and getattr(settings, "concurrency", None):
        jobs = max(jobs, int(settings.concurrency))  # type: ignore[attr-defined]
    parallel = jobs > 1 and len(tasks) > 1

    show = sys.stderr.isatty() and not getattr(args, "no_progress", False) and len(tasks) > 1
    single = len(inputs) == 1
    printer = _Ordered(lambda r: _print_result(kind, r, as_json=as_json, gold_view=gold_view, single=single,
                                               record_text=record_text))
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    try:
        sink = _JsonlSink(jsonl) if jsonl else None
    except OSError as exc:
        raise ImrassistError(f"--jsonl {jsonl}: cannot append to it ({exc.strerror or type(exc).__name__})") from None
    previous_term = None
    if threading.current_thread() is threading.main_thread():
        # A batch system's SIGTERM stops the run like Ctrl-C: workers ended, summary printed, exit 130.
        previous_term = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    progress: _Progress | None = None
    interrupted = False
    write_error = ""
    results = iter(())  # type: Iterator[dict[str, Any]]
    try:
        if parallel and not threads:
            warm_up(kind)
        todo = [t for t in tasks if not (t.source == "-" and stdin_error)]
        results = _results(kind, todo, opts, jobs, threads)
        progress = _Progress(kind, len(tasks), show)  # no thread: safe to fork workers after it starts
        if stdin_error:
            results = _chain([{**stdin_error, "_index": inputs.index("-")}], results)
        for res in results:
            index = res.pop("_index", None)
            line = res.pop("_line", None)
            res = {"kind": kind, **res}
            if sink:  # first, so that a letter is counted only once its line is safe
                sink.write_line(line) if line is not None else sink.write(res)
            if res.get("ok"):
                counts["ok"] += 1
                if res.get("errors"):
                    counts["findings"] += 1
                for w in list(res.get("warnings") if isinstance(res.get("warnings"), list) else []) + list(
                        res.get("record_warnings") or []):
                    progress.say(f"imrassist: {res['source']}: warning: {w}")
            else:
                counts["failed"] += 1
                reasons[res["error"].get("reason", "error")] += 1
                progress.say(f"imrassist: {res['error']['message']}")
            if to_stdout and index is not None:
                printer.put(index, res if res.get("ok") else None)
            progress.advance()
    except KeyboardInterrupt:
        interrupted = True
    except OSError as exc:  # the JSONL file failed (disk full, ...) or no worker could start: stop, saying why
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        write_error = f"{exc.strerror or type(exc).__name__}{where}"
    finally:
        close = getattr(results, "close", None)
        if close:
            close()  # stops the workers of a parallel run
        if progress is not None:
            progress.stop()
        if sink:
            try:
                sink.close()
            except OSError as exc:  # the final fsync of a full disk
                write_error = write_error or (exc.strerror or type(exc).__name__)
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)

    total = counts["ok"] + counts["failed"]
    if write_error:
        raise ImrassistError(f"batch stopped after {total} of {len(tasks)} letter(s): {write_error}"
                             + (f"; rerun with --resume --jsonl {jsonl}" if jsonl else ""))
    where = [f"outputs in {out_dir}" if out_dir else "", f"results in {jsonl}" if jsonl else ""]
    where_text = "; " + ", ".join(x for x in where if x) if any(where) else ""
    if interrupted:
        hint = f"; rerun with --resume --jsonl {jsonl} to continue" if jsonl else ""
        print(f"imrassist: interrupted after {total} of {len(tasks)} letter(s) ({counts['ok']} ok, "
              f"{counts['failed']} failed){hint}", file=sys.stderr)
        return 130
    if total > 1 or out_dir or jsonl or skipped:
        findings = f" ({counts['findings']} with error findings)" if kind == "analyze" else ""
        why = ""
        if reasons:
            why = " (" + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0]))) + ")"
        note = f"; skipped {skipped} already done" if skipped else ""
        print(f"imrassist: {kind}: {total} letter(s): {counts['ok']} ok{findings}, {counts['failed']} failed{why}"
              f"{note}{where_text}", file=sys.stderr)
    if counts["failed"]:
        return 2
    if kind == "analyze" and counts["findings"]:
        return 1
    return 0


def _chain(first: list[dict[str, Any]], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    try:
        yield from first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close:
            close()


def _analysis_text(res: dict[str, Any], analysis: dict[str, Any], record_text: Any) -> str:
    """The terminal view of one analysed letter: what was read, the worker's explanation, the reviewer
    summary and the findings, each under a rule so a long batch stays scannable."""
    from .models import CaseRecord, FindingsReport
    from .render import findings_text

    rule = "=" * 100
    parts = [rule, f"{res['source']}: {res.get('items', 0)} item(s), {res.get('errors', 0)} error finding(s), "
             f"{res.get('warnings', 0)} warning(s)", rule]
    if analysis.get("record"):
        parts += [record_text(CaseRecord.model_validate(analysis["record"])), ""]
    parts += ["-- Explanation for the worker " + "-" * 70, (analysis.get("explanation") or "").strip(), ""]
    if analysis.get("summary"):
        parts += ["-- Reviewer summary " + "-" * 80, analysis["summary"].strip(), ""]
    if analysis.get("findings"):
        parts += ["-- Checks " + "-" * 90, findings_text(FindingsReport.model_validate(analysis["findings"]))]
    return "\n".join(parts)


def _print_result(kind: str, res: dict[str, Any], *, as_json: bool, gold_view: bool, single: bool, record_text: Any) -> None:
    from .models import CaseRecord

    try:
        if kind == "extract":
            payload = res.get("record")
            if as_json or gold_view:
                text = json.dumps(payload, indent=2 if single else None, ensure_ascii=False)
                sys.stdout.write(text + "\n")
            else:
                sys.stdout.write(record_text(CaseRecord.model_validate(payload)) + "\n\n")
        else:
            analysis = res.get("analysis", {})
            if as_json:
                summary = {k: v for k, v in res.items() if k not in ("analysis",)}
                sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(_analysis_text(res, analysis, record_text) + "\n\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `imrassist analyze ... | head`
        os._exit(0)
