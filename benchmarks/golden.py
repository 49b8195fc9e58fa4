#!/usr/bin/env python3
"""Golden outputs of the deterministic pipeline: record them once, then prove a change altered none.

A speed change must not change a single byte of what imrassist produces. For every letter of the corpus
(``samples/``, ``evals/synthetic/letters/``, ``evals/heldout/letters/``, ``../shared/letters`` and
``../shared/pdfs``) this stores, as text:

* ``analyze_letter`` in English and in Spanish: the record JSON, the explanation, its metadata (reading
  grade, warnings), the reviewer summary and the findings JSON;
* ``check`` of the letter alone, of the reviewer summary (``explanation_kind="summary"``), of every
  planted-error mutant and paraphrase of the English and Spanish explanations and of the summary
  (:mod:`imrassist.evals.mutate`), and of every record mutant: the mutant itself and its findings JSON;
* the same ``analyze_letter`` outputs again at the end of the run, letters in reverse order, with every
  memo warm: they must equal the first (cold) reading, or a cache changes a result;
* the assumptions behind the fast paths, on every text of the run (the number-word tries match what the
  flat alternations match, a reason's topic only matches a sentence holding one of its ``needs`` words,
  page references and number-word starts found the quick way equal the plain scans);
* with ``--cli`` (on by default), the four output files of ``imrassist analyze DIR --jobs 2 --out OUT``
  over the corpus repeated three times (past the batch's memo clearing every 100 letters).

    python benchmarks/golden.py save            # record (default folder: /tmp/imrassist-golden)
    python benchmarks/golden.py compare         # run again and compare byte for byte; exit 1 on a diff
    python benchmarks/golden.py compare --dir D --no-cli --only syn-02

Not a unit test: it takes about a minute and is run by hand before a commit that may change outputs. It
runs with ``PYTHONHASHSEED=0`` (re-executing itself if need be): the planted-error generators pick among
equally ranked number words by set order ("veintidós" / "veintidos"), which follows the hash seed.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRASSIST_SHARED", REPO.parent / "shared"))
DEFAULT_DIR = Path(os.environ.get("IMRASSIST_GOLDEN", "/tmp/imrassist-golden"))
CLI_WORK = Path("/tmp/imrassist-golden-cli")  # a fixed path: sources appear in the outputs


def corpus() -> list[Path]:
    files = sorted((REPO / "samples").glob("*.txt"))
    for folder in (REPO / "evals" / "synthetic" / "letters", REPO / "evals" / "heldout" / "letters",
                   SHARED / "letters", SHARED / "pdfs"):
        files += sorted(p for p in folder.glob("*") if p.suffix.lower() in (".txt", ".pdf"))
    return files


def key_of(path: Path) -> str:
    """A stable name for a letter: its path under the repo or the shared folder."""
    for base, tag in ((REPO, ""), (SHARED, "shared/")):
        try:
            return tag + str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _guard(fn: Callable[[], str]) -> str:
    """The output, or the exception it raised (an exception is an output too)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return f"!! {type(exc).__name__}: {exc}"


def _analysis_outputs(letter: Any, lang: str) -> dict[str, str]:
    from imrassist.pipeline import analyze_letter

    try:
        a = analyze_letter(letter, lang=lang)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        return {f"analyze.{lang}": f"!! {type(exc).__name__}: {exc}"}
    return {
        f"analyze.{lang}.record.json": a.record.model_dump_json(indent=2),
        f"analyze.{lang}.explanation.md": a.explanation,
        f"analyze.{lang}.explanation_meta.json": json.dumps(a.explanation_meta, indent=2, sort_keys=True, default=str),
        f"analyze.{lang}.summary.md": a.summary,
        f"analyze.{lang}.findings.json": a.findings.model_dump_json(indent=2),
    }


def letter_outputs(path: Path, key: str) -> tuple[dict[str, str], Any]:
    """Every output of one letter, name -> text; and the Letter (None if it could not be read)."""
    from imrassist.checks import check, reference_record
    from imrassist.evals.mutate import explanation_mutants, explanation_paraphrases, record_mutants, summary_mutants
    from imrassist.letter import letter_from_bytes

    out: dict[str, str] = {}
    try:
        letter = letter_from_bytes(path.read_bytes(), key)
    except Exception as exc:  # noqa: BLE001
        return {"ingest": f"!! {type(exc).__name__}: {exc}"}, None
    out["ingest.text"] = letter.text
    out["ingest.meta"] = json.dumps({"layout": letter.layout, "sha256": letter.sha256, "pages": letter.page_count,
                                     "sections": [list(map(str, (s.name, s.start, s.end, s.heading)))
                                                  for s in letter.sections],
                                     "map": hashlib.sha256(letter._map.tobytes()).hexdigest()}, indent=1)
    for lang in ("en", "es"):
        out.update(_analysis_outputs(letter, lang))
    out["check.letter.json"] = _guard(lambda: check(letter).model_dump_json(indent=2))
    ref = _guard_obj(lambda: reference_record(letter))
    if isinstance(ref, str):
        out["reference"] = ref
        return out
    summary = out.get("analyze.en.summary.md", "")
    out["check.summary.json"] = _guard(lambda: check(letter, explanation=summary, lang="en",
                                                     explanation_kind="summary").model_dump_json(indent=2))
    out["check.summary_auto.json"] = _guard(lambda: check(letter, explanation=summary,
                                                          explanation_kind="auto").model_dump_json(indent=2))
    # Mutants: the planted text is an output too (mutate reads the letter with the checks' helpers).
    mutants: list[tuple[str, Any, str]] = []
    for lang in ("en", "es"):
        text = out.get(f"analyze.{lang}.explanation.md", "")
        for seed in (0, 1):
            for m in _guard_obj(lambda: explanation_mutants(text, letter, seed=seed, lang=lang)) or []:
                mutants.append((f"expl.{lang}.s{seed}.{m.op}", m, lang))
        for m in _guard_obj(lambda: explanation_paraphrases(text, letter, lang=lang)) or []:
            mutants.append((f"para.{lang}.{m.op}", m, lang))
    for m in _guard_obj(lambda: summary_mutants(summary, letter)) or []:
        mutants.append((f"summ.{m.op}", m, "summary"))
    for m in _guard_obj(lambda: record_mutants(ref, letter, seed=0)) or []:
        mutants.append((f"rec.{m.op}", m, "record"))
    for name, m, mode in mutants:
        if isinstance(m, str):
            out[f"mutant.{name}"] = m
            continue
        if mode == "record":
            out[f"mutant.{name}.input"] = m.record.model_dump_json(indent=1)
            out[f"mutant.{name}.findings"] = _guard(lambda: check(letter, record=m.record).model_dump_json(indent=1))
        else:
            out[f"mutant.{name}.input"] = m.explanation
            kind = "summary" if mode == "summary" else "worker"
            lang = "en" if mode == "summary" else mode
            out[f"mutant.{name}.findings"] = _guard(lambda: check(letter, explanation=m.explanation, lang=lang,
                                                                 explanation_kind=kind).model_dump_json(indent=1))
    return out, letter


def _guard_obj(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return f"!! {type(exc).__name__}: {exc}"


def cli_outputs(files: list[Path], repeat: int = 3, jobs: int = 2) -> dict[str, str]:
    """The files ``imrassist analyze --jobs N --out OUT`` writes over the corpus repeated ``repeat`` times."""
    shutil.rmtree(CLI_WORK, ignore_errors=True)
    letters, outdir = CLI_WORK / "letters", CLI_WORK / "out"
    letters.mkdir(parents=True)
    for r in range(repeat):
        for i, f in enumerate(files):
            shutil.copyfile(f, letters / f"{r}-{i:03d}-{f.name}")
    exe = Path(sys.executable).parent / "imrassist"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "imrassist.cli"]
    proc = subprocess.run([*argv, "analyze", str(letters), "--jobs", str(jobs), "--out", str(outdir),
                           "--no-progress"], capture_output=True, text=True)
    out = {"cli.exit": str(proc.returncode), "cli.stderr": proc.stderr}
    for p in sorted(outdir.iterdir()):
        out[f"cli.{p.name}"] = p.read_text(encoding="utf-8")
    shutil.rmtree(CLI_WORK, ignore_errors=True)
    return out


def run(only: str | None, with_cli: bool) -> dict[str, dict[str, str]]:
    from imrassist.letter import letter_from_bytes

    files = corpus()
    if only:
        files = [f for f in files if only in str(f)]
    results: dict[str, dict[str, str]] = {}
    t = time.perf_counter()
    for f in files:
        key = key_of(f)
        results[key], _ = letter_outputs(f, key)
    # Again, every memo warm, in reverse order: a cache must never change a result.
    for f in reversed(files):
        key = key_of(f)
        try:
            letter = letter_from_bytes(f.read_bytes(), key)
        except Exception:  # noqa: BLE001 - recorded in the first pass
            continue
        for lang in ("en", "es"):
            for name, text in _analysis_outputs(letter, lang).items():
                results[key][f"warm.{name}"] = text
    print(f"golden: {len(files)} letters in-process in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    if with_cli:
        t = time.perf_counter()
        results["<cli>"] = cli_outputs(files)
        print(f"golden: CLI batch in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return results


def invariants(results: dict[str, dict[str, str]]) -> list[str]:
    """The assumptions behind the fast paths, checked on every text of this run (letters, explanations,
    summaries, mutants): problems found, as lines. Not outputs, so they are not stored."""
    import re

    from imrassist import parse
    from imrassist.checks import common
    from imrassist.explain import template

    texts = [t for outs in results.values() for k, t in outs.items()
             if k.endswith((".md", ".input", "ingest.text")) and not t.startswith("!!")]
    problems: list[str] = []

    def flat(words: object) -> str:  # the alternation the tries replace
        return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))  # type: ignore[attr-defined]

    token_pairs = [(parse.NUMBER_TOKEN, rf"(?:\d+(?:\.\d+)?|\b(?:{flat(parse.NUMBER_WORDS_EN)})\b)"),
                   (parse.NUMBER_TOKEN_ES, rf"(?:\d+(?:\.\d+)?|\b(?:{flat(parse.NUMBER_WORDS_ES)})\b)")]
    for tok, old in token_pairs:
        new_rx, old_rx = re.compile(tok, re.I), re.compile(old, re.I)
        for t in texts:
            if [m.span() for m in new_rx.finditer(t)] != [m.span() for m in old_rx.finditer(t)]:
                problems.append(f"number-word trie differs from the flat alternation on {t[:60]!r}")
                break
    for rule, rx in template._COMPILED:  # a reason's topic only matches where one of its words stands
        for t in texts:
            for sent in template._sentences(t):
                if rx.search(sent) and not any(w in sent.lower() for w in rule["needs"]):
                    problems.append(f"reason {rule['id']}: {sent[:80]!r} matches without any of {rule['needs']}")
    for t in texts:  # page references tried where a "p" stands
        if [m.span() for m in parse._page_matches(t)] != [m.span() for m in parse._PAGES_RE.finditer(t)]:
            problems.append(f"page references differ on {t[:60]!r}")
    for lang in ("en", "es"):
        for t in texts[::7]:
            plain = [m.start() for m in common._TOKEN.finditer(t)
                     if m.group(0)[0].isdigit() or m.group(0).lower() in common._first_number_words(lang)]
            if common._token_starts(t, common._first_number_words(lang)) != plain:
                problems.append(f"number-word starts differ ({lang}) on {t[:60]!r}")
    return problems


def _file_for(d: Path, key: str) -> Path:
    return d / (key.replace("/", "__").replace("<", "").replace(">", "") + ".json")


def save(d: Path, results: dict[str, dict[str, str]]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("*.json"):
        old.unlink()
    for key, outs in results.items():
        _file_for(d, key).write_text(json.dumps({"key": key, "outputs": outs}, indent=0, ensure_ascii=False),
                                     encoding="utf-8")
    n = sum(len(v) for v in results.values())
    print(f"golden: saved {n} outputs of {len(results)} letters to {d}")


def compare(d: Path, results: dict[str, dict[str, str]], full: bool) -> int:
    diffs = 0
    checked = 0
    for key, outs in results.items():
        stored_path = _file_for(d, key)
        if not stored_path.exists():
            print(f"NEW   {key}: not in the golden set")
            diffs += 1
            continue
        stored = json.loads(stored_path.read_text(encoding="utf-8"))["outputs"]
        for name in sorted(set(stored) | set(outs)):
            checked += 1
            a, b = stored.get(name), outs.get(name)
            if a == b:
                continue
            diffs += 1
            if a is None or b is None:
                print(f"DIFF  {key} :: {name}: {'missing now' if b is None else 'new output'}")
                continue
            print(f"DIFF  {key} :: {name}")
            lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "golden", "now", lineterm="", n=1))
            print("\n".join(lines if full else lines[:30]))
    # Warm outputs must equal the cold ones within this run, whatever the stored set says.
    for key, outs in results.items():
        for name, text in outs.items():
            if name.startswith("warm.") and outs.get(name[5:]) != text:
                diffs += 1
                print(f"CACHE {key} :: {name[5:]} differs between the cold and the warm reading")
    print(f"golden: compared {checked} outputs of {len(results)} letters: "
          + ("IDENTICAL" if not diffs else f"{diffs} DIFFERENCE(S)"))
    return 1 if diffs else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("save", "compare"))
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"golden folder (default {DEFAULT_DIR})")
    ap.add_argument("--only", help="only letters whose path contains this")
    ap.add_argument("--no-cli", action="store_true", help="skip the imrassist analyze --jobs 2 run")
    ap.add_argument("--full", action="store_true", help="print whole diffs")
    args = ap.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0":  # see the module docstring
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, __file__, *(sys.argv[1:] if argv is None else argv)])
    sys.path.insert(0, str(REPO)) if not _installed() else None
    results = run(args.only, not args.no_cli)
    problems = invariants(results)
    for p in problems[:20]:
        print(f"INVARIANT {p}")
    if args.mode == "save":
        save(args.dir, results)
        return 1 if problems else 0
    code = compare(args.dir, results, args.full)
    return 1 if problems else code


def _installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("imrassist") is not None


if __name__ == "__main__":
    sys.exit(main())
