"""The ``imrassist`` command line.

Exit codes (DESIGN.md): 0 ok; 1 error findings (check/analyze) or an eval below its threshold; 2 bad
input. A bad input is reported on one line, ``imrassist: <file>: <problem>``, without a traceback unless
``--debug``. Heavy modules are imported inside the command that needs them, so that ``imrassist extract``
starts fast and never loads the LLM stack unless a model is asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Sequence

from . import __version__
from .errors import ImrassistError, InputError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERNAL = 3  # not an input problem: a bug in imrassist


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message on one line and name the program."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"imrassist: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _out(text: str) -> None:
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `imrassist ... | head`
        os._exit(0)


def _err(msg: str) -> None:
    print(f"imrassist: {msg}", file=sys.stderr)


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------- helpers


def _llm_args(p: argparse.ArgumentParser, *, default_backend: str, choices: Sequence[str]) -> None:
    p.add_argument("--backend", choices=list(choices), default=default_backend,
                   help=f"how to read/write (default: {default_backend}; llm needs a configured model)")
    p.add_argument("--model", help="model name for the llm backend (or IMRASSIST_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (or IMRASSIST_BASE_URL / OPENAI_BASE_URL)")
    p.add_argument("--mode", choices=["tools", "json_schema", "json", "md_json"], help="structured-output mode")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the model-response cache")
    p.add_argument("--replay-only", action="store_true", help="answer only from the cache; never call a model")
    p.add_argument("--redact", action="store_true", help="strip case and claim numbers before sending text to a model")
    p.add_argument("--concurrency", type=int, help="concurrent model calls in a batch")


def _llm_settings(args: argparse.Namespace) -> Any:
    if getattr(args, "backend", "rules") not in ("llm", "auto"):
        return None
    from .llm.settings import LLMSettings

    overrides = {
        "model": args.model,
        "base_url": getattr(args, "base_url", None),
        "mode": getattr(args, "mode", None),
        "concurrency": getattr(args, "concurrency", None),
    }
    if getattr(args, "no_cache", False):
        overrides["cache"] = False
    if getattr(args, "replay_only", False):
        overrides["replay_only"] = True
    if getattr(args, "redact", False):
        overrides["redact"] = True
    return LLMSettings.resolve(**{k: v for k, v in overrides.items() if v is not None})


def _read_record(path: str) -> Any:
    from .letter import read_input_bytes
    from .records import load_record

    return load_record(read_input_bytes(path), source=path)


# ---------------------------------------------------------------------------------------------- commands


def cmd_schema(args: argparse.Namespace) -> int:
    from .models import record_json_schema

    _out(_dump(record_json_schema()))
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    _check_batch_args(args)
    if len(args.letters) == 1 and (args.letters[0] == "-" or not os.path.isdir(args.letters[0])):
        inputs = list(args.letters)  # one file: the fast path does not even import the batch runner
    else:
        from .batch import expand_inputs

        inputs = expand_inputs(args.letters)
    if len(inputs) == 1 and not args.jsonl and not args.out:
        from .extract import extract
        from .letter import read_letter

        if os.path.isdir(inputs[0]):
            from .batch import read_source

            letter = read_source(inputs[0])  # says the folder holds no letters
        else:
            letter = read_letter(inputs[0])
        record = extract(letter, args.backend, settings=_llm_settings(args))
        for w in record.meta.warnings:
            _err(f"{inputs[0]}: warning: {w}")
        if args.gold_view:
            from .gold import to_gold_view

            _out(_dump(to_gold_view(record)))
        elif args.json:
            _out(record.model_dump_json(indent=2))
        else:
            from .render import record_text

            _out(record_text(record))
        return EXIT_OK
    from .batch import run_batch

    return run_batch("extract", inputs, args, settings=_llm_settings(args))


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import check
    from .letter import read_input_bytes, read_letter

    letter = read_letter(args.letter)
    record = _read_record(args.record) if args.record else None
    explanation = None
    if args.explanation:
        raw = read_input_bytes(args.explanation)
        from .records import decode_text

        explanation = decode_text(raw, source=args.explanation)
        if not explanation.strip():
            raise InputError("explanation file is empty", source=args.explanation, reason="empty")
    if record is None and explanation is None:
        from .extract import extract

        record = extract(letter)
    elif record is None:
        from .extract import extract

        record_for_expl = extract(letter)
        report = check(letter, record=None, explanation=explanation, reference=record_for_expl, lang=args.lang,
                       explanation_kind="summary" if args.summary else "worker")
        return _print_report(args, letter, report)
    report = check(letter, record=record, explanation=explanation, lang=args.lang,
                   explanation_kind="summary" if args.summary else "worker")
    return _print_report(args, letter, report)


def _print_report(args: argparse.Namespace, letter: Any, report: Any) -> int:
    if args.json:
        _out(report.model_dump_json(indent=2))
    else:
        from .render import findings_text

        _out(findings_text(report, letter))
    return EXIT_FINDINGS if report.has_errors else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain
    from .extract import extract
    from .letter import read_letter

    letter = read_letter(args.letter)
    record = _read_record(args.record) if args.record else extract(letter)
    result = explain(record, lang=args.lang, backend=args.backend, letter=letter, settings=_llm_settings(args))
    for w in result.warnings:
        _err(f"{args.letter}: warning: {w}")
    if args.json:
        _out(result.model_dump_json(indent=2))
    else:
        _out(result.text)
    return EXIT_OK


def cmd_summarize(args: argparse.Namespace) -> int:
    from .explain import summarize
    from .extract import extract
    from .letter import read_letter

    letter = read_letter(args.letter)
    record = _read_record(args.record) if args.record else extract(letter)
    _out(summarize(record))
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from .batch import expand_inputs, run_batch

    _check_batch_args(args)
    if args.html and not args.out:
        raise ImrassistError("--html writes NAME.html next to the other outputs: give --out DIR")
    if args.html:
        try:
            import importlib

            importlib.import_module("imrassist.report.html")
        except ModuleNotFoundError as exc:
            raise ImrassistError(f"--html needs the HTML report module, which is missing ({exc.name})") from None
    inputs = expand_inputs(args.letters)
    return run_batch("analyze", inputs, args, settings=_llm_settings(args))


def _check_batch_args(args: argparse.Namespace) -> None:
    if args.resume and not args.jsonl:
        raise ImrassistError("--resume needs --jsonl OUT (the results file of the run to resume)")
    if args.jobs == 0:
        args.jobs = os.cpu_count() or 1


def cmd_eval(args: argparse.Namespace) -> int:
    from .evals.run import run_eval_command

    return run_eval_command(args, settings=_llm_settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    from .service.run import serve

    if args.workers:
        os.environ["IMRASSIST_WORKERS"] = str(args.workers)

    return serve(host=args.host, port=args.port, token=args.token, allow_origin=args.allow_origin,
                 settings=_llm_settings(args) if args.backend != "rules" else None)


# -------------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="imrassist", description="Read, explain and check California IMR Final Determination letters.")
    p.add_argument("--version", action="version", version=f"imrassist {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("extract", help="print the case record of a letter (or of many letters)")
    s.add_argument("letters", nargs="+", metavar="LETTER", help="letter .txt/.pdf, folder (recursive) or - for stdin")
    _llm_args(s, default_backend="rules", choices=["rules", "llm", "auto"])
    s.add_argument("--json", action="store_true", help="print the record as JSON")
    s.add_argument("--gold-view", action="store_true", help="print the record in the gold-answer shape (GOLD_FORMAT.md)")
    _batch_args(s)
    s.set_defaults(func=cmd_extract)

    s = sub.add_parser("schema", help="print the CaseRecord JSON Schema")
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("check", help="check a record and/or an explanation against the letter")
    s.add_argument("letter", metavar="LETTER")
    s.add_argument("--record", metavar="REC.json", help="a CaseRecord JSON to check (ours or anyone's)")
    s.add_argument("--explanation", metavar="FILE", help="an explanation (plain text or Markdown) to check")
    s.add_argument("--lang", choices=["en", "es", "auto"], default="auto", help="language of the explanation")
    s.add_argument("--summary", action="store_true",
                   help="the explanation is a reviewer summary: check its facts, not the worker-only parts")
    s.add_argument("--json", action="store_true", help="findings as JSON (DESIGN.md)")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("explain", help="explain the decision in plain language for the injured worker")
    s.add_argument("letter", metavar="LETTER")
    s.add_argument("--record", metavar="REC.json")
    s.add_argument("--lang", choices=["en", "es"], default="en")
    _llm_args(s, default_backend="template", choices=["template", "llm"])
    s.add_argument("--json", action="store_true", help="the explanation with its metadata as JSON")
    s.set_defaults(func=cmd_explain)

    s = sub.add_parser("summarize", help="print the reviewer summary (Markdown)")
    s.add_argument("letter", metavar="LETTER")
    s.add_argument("--record", metavar="REC.json")
    s.set_defaults(func=cmd_summarize)

    s = sub.add_parser("analyze", help="extract + explain + summarize + check, with a report per letter")
    s.add_argument("letters", nargs="+", metavar="LETTER")
    _llm_args(s, default_backend="rules", choices=["rules", "llm", "auto"])
    s.add_argument("--lang", choices=["en", "es"], default="en")
    s.add_argument("--html", action="store_true", help="also write NAME.html, a self-contained report")
    s.add_argument("--json", action="store_true", help="print a JSON summary per letter")
    _batch_args(s)
    s.set_defaults(func=cmd_analyze)

    s = sub.add_parser("eval", help="score a suite of letters with gold answers (or re-score a saved run)")
    s.add_argument("suite", metavar="SUITE_DIR|RUN.json", help="a suite folder (letters/ + gold/) or a run saved with --save")
    _llm_args(s, default_backend="rules", choices=["rules", "llm", "auto"])
    s.add_argument("--json", action="store_true")
    s.add_argument("--html", metavar="R.html")
    s.add_argument("--save", metavar="RUN.json", help="save the run (predictions + scores) for later comparison")
    s.add_argument("--baseline", metavar="B.json", help="a saved run to compare with, field by field")
    s.add_argument("--fail-under", type=float, metavar="F1", help="exit 1 if the micro F1 is below this")
    s.add_argument("--fail-on-regression", action="store_true", help="exit 1 if a field's F1 drops beyond --tolerance")
    s.add_argument("--tolerance", type=float, default=0.01)
    s.add_argument("--checks", action="store_true", help="benchmark the checks with planted errors")
    s.add_argument("--pdf", action="store_true", help="read the suite's PDFs (pdfs/ or letters/*.pdf) instead of .txt")
    s.add_argument("--jobs", type=int, default=1, help="letters in parallel (0 = one per CPU)")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("serve", help="HTTP API and web page")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--token", default=os.environ.get("IMRASSIST_TOKEN"), help="bearer token (or IMRASSIST_TOKEN)")
    s.add_argument("--allow-origin", action="append", default=None, help="enable CORS for this origin")
    s.add_argument("--workers", type=int, default=None, help="server processes (or IMRASSIST_WORKERS; default 1)")
    _llm_args(s, default_backend="rules", choices=["rules", "llm", "auto"])
    s.set_defaults(func=cmd_serve)
    return p


_BATCH_TIMEOUT = 120.0  # = imrassist.batch.DEFAULT_TIMEOUT (not imported here: keeps every command's start light)


def _batch_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--out", metavar="DIR", help="write one output file set per letter into DIR (atomically)")
    s.add_argument("--jobs", type=_non_negative_int, default=1, metavar="N",
                   help="process letters in N worker processes (0: one per CPU; default 1)")
    s.add_argument("--jsonl", metavar="OUT", help="append one JSON line per input as it completes (record or error)")
    s.add_argument("--resume", action="store_true",
                   help="skip inputs that already have an ok line in --jsonl OUT (failed ones run again)")
    s.add_argument("--timeout", type=float, default=_BATCH_TIMEOUT, metavar="SEC",
                   help=f"give up on a letter after SEC seconds, as an error entry (0: never; default {_BATCH_TIMEOUT:g})")
    s.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {n}")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as exc:
        if args.debug:
            raise
        _err(exc.one_line())
        return EXIT_BAD_INPUT
    except ImrassistError as exc:
        if args.debug:
            raise
        _err(" ".join(str(exc).split()))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug of ours: still one line, and a way to see more
        if args.debug:
            raise
        _err(f"internal error ({type(exc).__name__}); rerun with --debug for the traceback")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
