"""Run extract/analyze over many letters without losing one.

Every input ends as exactly one result: outputs written (atomically: temp file + rename) or an error
entry naming the file and the problem. ``--jsonl OUT`` appends one line per input as it completes, so an
interrupted run can ``--resume``; ``--jobs N`` uses worker processes for the deterministic path (the
model path is I/O-bound and uses threads with a concurrency bound instead).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import ImrassistError, InputError

LETTER_SUFFIXES = (".txt", ".pdf", ".text")


@dataclass(frozen=True)
class BatchInput:
    path: str
    error: str | None = None  # set when the input cannot even be listed (e.g. an empty folder)


def expand_inputs(args: Iterable[str]) -> list[str]:
    """Files as given, folders recursively (``.txt``/``.pdf``), ``-`` for stdin; order is stable.

    Missing paths are kept: they become error entries rather than stopping the batch.
    """
    out: list[str] = []
    for a in args:
        p = Path(a)
        if a != "-" and p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in LETTER_SUFFIXES)
            out.extend(found if found else [a])
        else:
            out.append(a)
    seen: set[str] = set()
    unique = []
    for x in out:
        if x not in seen:
            seen.add(x)
            unique.append(x)
    return unique


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same folder and rename, so no reader ever sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def output_stem(source: str, out_dir: Path, used: set[str] | None = None) -> Path:
    name = "stdin" if source == "-" else Path(source).name
    for suffix in LETTER_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out_dir / name


# ------------------------------------------------------------------------------------------ one letter


def process_one(kind: str, source: str, opts: dict[str, Any]) -> dict[str, Any]:
    """Process one input; never raises for bad input. Top-level so worker processes can pickle it."""
    from .letter import read_letter

    started = time.perf_counter()
    try:
        letter = read_letter(source)
        if kind == "extract":
            from .extract import extract

            record = extract(letter, opts.get("backend", "rules"), settings=opts.get("settings"))
            result: dict[str, Any] = {"source": source, "ok": True, "items": len(record.items),
                                      "warnings": list(record.meta.warnings), "errors": 0}
            payload = record.model_dump(mode="json")
            if opts.get("gold_view"):
                from .gold import to_gold_view

                payload = to_gold_view(record)
            if opts.get("out"):
                stem = output_stem(source, Path(opts["out"]))
                target = stem.with_name(stem.name + ".record.json")
                atomic_write(target, json.dumps(payload, indent=2, ensure_ascii=False))
                result["outputs"] = [str(target)]
            if opts.get("want_payload"):
                result["record"] = payload
        elif kind == "analyze":
            from .pipeline import analyze_letter

            analysis = analyze_letter(letter, lang=opts.get("lang", "en"), backend=opts.get("backend", "rules"),
                                      settings=opts.get("settings"))
            result = {"source": source, "ok": True, **analysis.summary_counts(),
                      "warnings_meta": list(analysis.record.meta.warnings)}
            if opts.get("out"):
                result["outputs"] = write_analysis(analysis, letter, Path(opts["out"]), html=bool(opts.get("html")))
            if opts.get("want_payload"):
                result["analysis"] = analysis.model_dump(mode="json")
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
    except InputError as exc:
        return {"source": source, "ok": False, "error": {"reason": exc.reason, "message": exc.one_line()}}
    except ImrassistError as exc:
        return {"source": source, "ok": False, "error": {"reason": "error", "message": f"{source}: {' '.join(str(exc).split())}"}}
    except Exception as exc:  # noqa: BLE001 - one bad letter must never end the batch
        if opts.get("debug"):
            raise
        return {"source": source, "ok": False,
                "error": {"reason": "internal", "message": f"{source}: internal error ({type(exc).__name__}); rerun with --debug"}}
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def write_analysis(analysis: Any, letter: Any, out_dir: Path, *, html: bool = False) -> list[str]:
    stem = output_stem(analysis.source or "letter", out_dir)
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
        target = stem.with_name(stem.name + suffix)
        atomic_write(target, content)
        written.append(str(target))
    return written


# --------------------------------------------------------------------------------------------- the batch


def _done_sources(jsonl: Path) -> set[str]:
    done: set[str] = set()
    if not jsonl.exists():
        return done
    with jsonl.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption: that input runs again
            if row.get("ok") and row.get("source"):
                done.add(row["source"])
    return done


def _results(kind: str, inputs: list[str], opts: dict[str, Any], jobs: int, threads: bool) -> Iterator[dict[str, Any]]:
    if jobs <= 1 or len(inputs) <= 1:
        for src in inputs:
            yield process_one(kind, src, opts)
        return
    if threads:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(process_one, kind, s, opts) for s in inputs]
            for f in as_completed(futures):
                yield f.result()
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    chunk = max(1, min(16, len(inputs) // (jobs * 8) or 1))
    with ctx.Pool(processes=jobs) as pool:
        yield from pool.imap_unordered(_star_process, [(kind, s, opts) for s in inputs], chunksize=chunk)


def _star_process(args: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    return process_one(*args)


def run_batch(kind: str, inputs: list[str], args: Any, *, settings: object | None = None) -> int:
    """CLI driver for ``extract``/``analyze`` over one or many inputs; returns the exit code."""
    from .render import record_text

    out_dir = getattr(args, "out", None)
    jsonl = Path(args.jsonl) if getattr(args, "jsonl", None) else None
    as_json = bool(getattr(args, "json", False))
    gold_view = bool(getattr(args, "gold_view", False))
    to_stdout = not out_dir and not jsonl
    opts: dict[str, Any] = {
        "backend": getattr(args, "backend", "rules"),
        "settings": settings,
        "out": out_dir,
        "html": getattr(args, "html", False),
        "lang": getattr(args, "lang", "en"),
        "gold_view": gold_view,
        "debug": getattr(args, "debug", False),
        "want_payload": bool(jsonl) or to_stdout,
    }
    skipped = 0
    if jsonl and getattr(args, "resume", False):
        done = _done_sources(jsonl)
        before = len(inputs)
        inputs = [s for s in inputs if s not in done]
        skipped = before - len(inputs)
    jobs = max(1, int(getattr(args, "jobs", 1) or 1))
    threads = opts["backend"] != "rules"
    if threads and settings is not None and getattr(settings, "concurrency", None):
        jobs = max(jobs, int(settings.concurrency))  # type: ignore[attr-defined]

    progress = None
    task = None
    if sys.stderr.isatty() and not getattr(args, "no_progress", False) and len(inputs) > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            transient=True)
        progress.start()
        task = progress.add_task(kind, total=len(inputs))

    ok = failed = with_findings = 0
    jsonl_fh = jsonl.open("a", encoding="utf-8") if jsonl else None
    try:
        for res in _results(kind, inputs, opts, jobs, threads):
            if res.get("ok"):
                ok += 1
                if res.get("errors"):
                    with_findings += 1
                for w in res.get("warnings", []) + res.get("warnings_meta", []):
                    print(f"imrassist: {res['source']}: warning: {w}", file=sys.stderr)
            else:
                failed += 1
                print(f"imrassist: {res['error']['message']}", file=sys.stderr)
            if jsonl_fh:
                jsonl_fh.write(json.dumps(res, ensure_ascii=False, default=str) + "\n")
                jsonl_fh.flush()
            if to_stdout and res.get("ok"):
                _print_result(kind, res, as_json=as_json, gold_view=gold_view, single=len(inputs) == 1,
                              record_text=record_text)
            if progress is not None and task is not None:
                progress.advance(task)
    finally:
        if jsonl_fh:
            jsonl_fh.close()
        if progress is not None:
            progress.stop()

    total = ok + failed
    if total > 1 or out_dir or jsonl or skipped:
        where = ", ".join(x for x in [f"outputs in {out_dir}" if out_dir else "", f"results in {jsonl}" if jsonl else ""] if x)
        note = f"; skipped {skipped} already done" if skipped else ""
        print(f"imrassist: {total} letter(s): {ok} ok ({with_findings} with error findings), {failed} failed{note}"
              + (f"; {where}" if where else ""), file=sys.stderr)
    if failed:
        return 2
    if kind == "analyze" and with_findings:
        return 1
    return 0


def _print_result(kind: str, res: dict[str, Any], *, as_json: bool, gold_view: bool, single: bool, record_text: Any) -> None:
    from .models import CaseRecord

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
            sys.stdout.write(f"== {res['source']}: {res.get('items', 0)} item(s), "
                             f"{res.get('errors', 0)} error finding(s), {res.get('warnings', 0)} warning(s)\n")
            sys.stdout.write((analysis.get("explanation") or "") + "\n\n")
    sys.stdout.flush()
