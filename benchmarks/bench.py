#!/usr/bin/env python3
"""How fast is imrassist, and how much memory does it take? Prints, on the sample letters:

1. in-process median time per letter for ingest, extract, explain (template), summarize and check, and
   for the whole analyze_letter; and extract + explain + check of a letter the process has never read,
   after the rest of the corpus (caches keyed by a letter's own text cannot flatter that figure);
2. wall time and letters/second of ``imrassist analyze --jobs 2`` over 1,000 letters (the samples
   repeated in a temp folder, with ``--out`` and ``--jsonl`` as a real run would), and the peak memory
   of the CLI's process tree (sum of RSS and of PSS over parent + workers, sampled from /proc, and the
   largest single process from ``getrusage(RUSAGE_CHILDREN)``);
3. the cold start of ``imrassist extract`` on one letter (median of several runs, subprocess).

Targets (2-core machine): extract + check + explain <= 5 ms per letter in-process; 1,000 letters in
<= 10 s with --jobs 2; peak RSS <= 150 MB; cold start <= 0.35 s.

    python benchmarks/bench.py                # everything
    python benchmarks/bench.py --letters 200 --runs 5 --skip-cold
    python benchmarks/bench.py --profile      # also the top functions of the in-process pipeline
    python benchmarks/bench.py --json         # machine-readable figures on stdout

Timings on a shared machine are noisy: in-process figures are the median of ``--repeat`` passes over the
corpus; compare runs on the same machine only. Timing is never asserted in the unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRASSIST_SHARED", REPO.parent / "shared"))
TARGETS = {"in_process_ms": 5.0, "batch_wall_s": 10.0, "peak_rss_mb": 150.0, "cold_start_s": 0.35}


def corpus(include_shared: bool = True) -> list[Path]:
    files = [REPO / "samples" / "seed-2013-push-therapy.txt"]
    files += sorted((REPO / "evals" / "synthetic" / "letters").glob("*.txt"))
    files += sorted((REPO / "evals" / "synthetic" / "letters").glob("*.pdf"))
    if include_shared and (SHARED / "letters").is_dir():
        files += sorted((SHARED / "letters").glob("*.txt"))
    return files


# ------------------------------------------------------------------------------------------ in-process


def clear_caches() -> int:
    """Empty every in-memory cache of imrassist (functools caches and module-level ``*_CACHE``/``*_MEMO``
    dicts) and the ``re`` cache, so the next letter is read as by a fresh worker. Returns how many."""
    import re

    n = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("imrassist") or mod is None:
            continue
        for attr, v in list(vars(mod).items()):
            if hasattr(v, "cache_clear"):
                v.cache_clear()
                n += 1
            elif isinstance(v, dict) and attr.upper().endswith(("_CACHE", "_MEMO")):
                v.clear()
                n += 1
    re.purge()
    return n


def _stage_times(data: bytes, src: str) -> dict[str, float]:
    """Seconds each stage takes on one letter, on fresh objects, as ``analyze`` runs them (the record is
    the rules reading of the letter, so it is the checks' reference too)."""
    from imrassist.checks import check
    from imrassist.explain import explain, summarize
    from imrassist.extract import extract
    from imrassist.letter import letter_from_bytes

    t0 = time.perf_counter()
    letter = letter_from_bytes(data, src)
    t1 = time.perf_counter()
    record = extract(letter)
    t2 = time.perf_counter()
    expl = explain(record, letter=letter)
    t3 = time.perf_counter()
    summarize(record)
    t4 = time.perf_counter()
    check(letter, record=record, explanation=expl.text, lang="en", reference=record)
    t5 = time.perf_counter()
    return {"ingest": t1 - t0, "extract": t2 - t1, "explain": t3 - t2, "summarize": t4 - t3, "check": t5 - t4}


def _use_checkout() -> None:
    import importlib.util

    if importlib.util.find_spec("imrassist") is None:  # not installed: use this checkout
        sys.path.insert(0, str(REPO))


def in_process(files: list[Path], repeat: int, profile: bool) -> dict[str, Any]:
    """Per-stage time per letter, each pass on fresh objects (as in a batch, where every letter is new:
    memos keyed by object identity never hit). ``cold``: the first pass after emptying every cache;
    ``warm``: later passes, where caches keyed by phrase (guideline names, treatments) hit as they do
    over an archive in which such phrases recur."""
    _use_checkout()
    from imrassist.letter import letter_from_bytes
    from imrassist.pipeline import analyze_letter, warm_up

    warm_up()
    datas = [(f.read_bytes(), str(f)) for f in files]
    names = ["ingest", "extract", "explain", "summarize", "check", "analyze_letter"]
    cold: dict[str, list[float]] = {k: [] for k in names}
    warm: dict[str, list[list[float]]] = {k: [[] for _ in files] for k in names}
    for p in range(repeat + 1):
        if p == 0:
            clear_caches()
        for i, (data, src) in enumerate(datas):
            times = _stage_times(data, src)
            fresh = letter_from_bytes(data, src)
            t6 = time.perf_counter()
            analyze_letter(fresh)
            times["analyze_letter"] = time.perf_counter() - t6
            for name in names:
                if p == 0:
                    cold[name].append(times[name])
                else:
                    warm[name][i].append(times[name])
    out: dict[str, Any] = {"letters": len(files), "repeat": repeat, "median_ms": {}, "p90_ms": {}, "max_ms": {},
                           "cold_median_ms": {}, "mean_ms": {}}
    for name in names:
        meds = sorted(statistics.median(ts) * 1000 for ts in warm[name])
        out["median_ms"][name] = round(statistics.median(meds), 3)
        out["mean_ms"][name] = round(statistics.mean(meds), 3)
        out["p90_ms"][name] = round(meds[int(0.9 * (len(meds) - 1))], 3)
        out["max_ms"][name] = round(meds[-1], 3)
        out["cold_median_ms"][name] = round(statistics.median(cold[name]) * 1000, 3)
    for key in ("median_ms", "mean_ms", "cold_median_ms"):
        m = out[key]
        m["extract+check+explain"] = round(m["extract"] + m["check"] + m["explain"], 3)
    slow = sorted(range(len(files)), key=lambda i: -statistics.median(warm["analyze_letter"][i]))[:3]
    out["slowest_letters"] = [(files[i].name, round(statistics.median(warm["analyze_letter"][i]) * 1000, 1))
                              for i in slow]
    if profile:
        import cProfile
        import io
        import pstats

        fresh_letters = [letter_from_bytes(d, s) for d, s in datas]
        prof = cProfile.Profile()
        prof.enable()
        for L in fresh_letters:
            analyze_letter(L)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        out["profile"] = buf.getvalue()
    return out


def unseen(files: list[Path], passes: int = 3) -> dict[str, Any]:
    """Per-stage time of a letter the process has never read, after it has read every other letter of the
    corpus: for each letter, every cache is emptied, the other letters are run (untimed), then this one is
    timed once. The warm figures of :func:`in_process` repeat the same letters, so caches keyed by a
    letter's own text (its sentences, quotes, dates) hit there as they never do in a batch of distinct
    letters; here only what other letters share with it can hit (guideline names, treatments,
    boilerplate), as over a real archive.

    One such timing per letter moves by a few tenths of a millisecond from run to run on a shared VM, so
    the whole procedure is repeated ``passes`` times (each time every letter is new again) and each
    letter's median is taken; the spread of the passes' own medians is reported with it."""
    _use_checkout()
    from imrassist.pipeline import warm_up

    warm_up()
    datas = [(f.read_bytes(), str(f)) for f in files]
    keys = ("extract", "explain", "check", "extract+check+explain")
    per: dict[str, list[list[float]]] = {k: [[] for _ in datas] for k in keys}
    pass_medians: list[float] = []
    for _ in range(passes):
        this_pass = []
        for i, (data, src) in enumerate(datas):
            clear_caches()
            for j, other in enumerate(datas):
                if j != i:
                    _stage_times(*other)
            t = _stage_times(data, src)
            e, x, c = t["extract"], t["explain"], t["check"]
            for k, v in zip(keys, (e, x, c, e + x + c)):
                per[k][i].append(v * 1000)
            this_pass.append((e + x + c) * 1000)
        pass_medians.append(statistics.median(this_pass))
    meds = {k: [statistics.median(v) for v in per[k]] for k in keys}
    return {"letters": len(files), "passes": passes,
            "median_ms": {k: round(statistics.median(v), 3) for k, v in meds.items()},
            "mean_ms": {k: round(statistics.mean(v), 3) for k, v in meds.items()},
            "pass_medians_ms": [round(x, 3) for x in pass_medians]}


# ---------------------------------------------------------------------------------------- the batch run


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return kids


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; PSS shares copy-on-write pages fairly between the processes."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                    break
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                    break
    except OSError:
        pass
    return rss, pss


class TreeSampler(threading.Thread):
    """Peak sum of RSS and of PSS over the process tree under ``pid`` (without ``pid`` itself when
    ``skip_root``: the measuring wrapper)."""

    def __init__(self, pid: int, every: float = 0.05, skip_root: bool = False):
        super().__init__(daemon=True)
        self.pid, self.every, self.skip_root = pid, every, skip_root
        self.peak_rss_kb = self.peak_pss_kb = self.peak_procs = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            pids = _tree(self.pid)[1:] if self.skip_root else _tree(self.pid)
            mems = [_mem_kb(p) for p in pids]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(m[0] for m in mems))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(m[1] for m in mems))
            self.peak_procs = max(self.peak_procs, len(pids))
            self.stop_event.wait(self.every)

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def make_letters(files: list[Path], n: int, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        src = files[i % len(files)]
        (dest / f"{i:05d}-{src.name}").write_bytes(src.read_bytes())


def cli() -> list[str]:
    script = Path(sys.executable).parent / "imrassist"
    if script.exists():
        return [str(script)]
    found = shutil.which("imrassist")
    return [found] if found else [sys.executable, "-m", "imrassist.cli"]


_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def _run_measured(argv: list[str]) -> tuple[float, int, TreeSampler, str, int]:
    """Run ``argv`` under a small wrapper whose RUSAGE_CHILDREN covers exactly the CLI and its workers
    (the largest process's peak RSS); sample the tree from /proc meanwhile (sum of RSS and PSS)."""
    with tempfile.NamedTemporaryFile(prefix="imrassist-maxrss-", delete=False) as fh:
        report = fh.name
    try:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, report, *argv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        sampler = TreeSampler(proc.pid, skip_root=True)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - t
        sampler.stop()
        maxrss_kb = int(Path(report).read_text() or 0)
    finally:
        os.unlink(report)
    return wall, proc.returncode, sampler, err.decode(errors="replace"), maxrss_kb


def batch_run(files: list[Path], n: int, jobs: int, kind: str = "analyze") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="imrassist-bench-") as tmp:
        letters = Path(tmp) / "letters"
        make_letters(files, n, letters)
        out, jl = Path(tmp) / "out", Path(tmp) / "results.jsonl"
        argv = [*cli(), kind, str(letters), "--jobs", str(jobs), "--out", str(out), "--jsonl", str(jl), "--no-progress"]
        wall, code, sampler, err, maxrss_kb = _run_measured(argv)
        rows = [json.loads(x) for x in jl.read_text(encoding="utf-8").splitlines()]
        ok = sum(1 for r in rows if r.get("ok"))
        summary = [ln for ln in err.splitlines() if f"imrassist: {kind}:" in ln]
        return {
            "command": f"imrassist {kind} <{n} letters> --jobs {jobs} --out OUT --jsonl R.jsonl",
            "letters": n, "jobs": jobs, "exit_code": code, "rows": len(rows), "ok": ok,
            "wall_s": round(wall, 3), "letters_per_s": round(n / wall, 1),
            "peak_tree_rss_mb": round(sampler.peak_rss_kb / 1024, 1),
            "peak_tree_pss_mb": round(sampler.peak_pss_kb / 1024, 1),
            "largest_process_maxrss_mb": round(maxrss_kb / 1024, 1),
            "processes": sampler.peak_procs,
            "summary": summary[-1] if summary else err.strip().splitlines()[-1:],
        }


# ------------------------------------------------------------------------------------------ cold start


def cold_start(runs: int) -> dict[str, Any]:
    letter = REPO / "samples" / "seed-2013-push-therapy.txt"

    def timed(argv: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return time.perf_counter() - t

    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "imrassist --version": [*cli(), "--version"],
        "imrassist extract LETTER": [*cli(), "extract", str(letter)],
        "imrassist extract LETTER --json": [*cli(), "extract", str(letter), "--json"],
    }
    for argv in cmds.values():  # page cache and .pyc files warm, as for any second use
        timed(argv)
    out: dict[str, Any] = {"runs": runs}
    for name, argv in cmds.items():
        ts = [timed(argv) for _ in range(runs)]
        out[name] = {"median_s": round(statistics.median(ts), 3), "min_s": round(min(ts), 3)}
    heavy = ("openai", "instructor", "textstat", "fastapi", "jinja2", "rich", "httpx", "pypdf", "uvicorn")
    probe = ("import sys, runpy; sys.argv = ['imrassist', 'extract', %r];\n"
             "import contextlib, io\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try: runpy.run_module('imrassist.cli', run_name='__main__')\n"
             "    except SystemExit: pass\n"
             "print(sorted(m for m in %r if m in sys.modules))") % (str(letter), heavy)
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    out["heavy_modules_loaded"] = res.stdout.strip()
    return out


# -------------------------------------------------------------------------------------------------- main


def _mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=1000, help="letters in the batch run (default 1000)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="passes over the corpus in-process (default 5)")
    ap.add_argument("--runs", type=int, default=10, help="cold-start runs (default 10)")
    ap.add_argument("--no-shared", action="store_true", help="only the committed letters, not ../shared")
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--also-jobs1", action="store_true", help="also time the batch with --jobs 1")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--skip-unseen", action="store_true", help="skip the never-seen-letter timing (~15 s a pass)")
    ap.add_argument("--unseen-passes", type=int, default=3, help="passes of the never-seen-letter timing (default 3)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    files = corpus(not args.no_shared)
    res: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg": os.getloadavg()},
        "corpus": {"letters": len(files), "shared": (SHARED / "letters").is_dir() and not args.no_shared},
    }
    res["in_process"] = in_process(files, args.repeat, args.profile)
    if not args.skip_unseen:
        res["unseen"] = unseen(files, args.unseen_passes)
    if not args.skip_cold:
        res["cold_start"] = cold_start(args.runs)
    if not args.skip_batch:
        res["batch"] = batch_run(files, args.letters, args.jobs)
        if args.also_jobs1:
            res["batch_jobs1"] = batch_run(files, args.letters, 1)

    if args.json:
        res["in_process"].pop("profile", None)
        print(json.dumps(res, indent=2))
        return 0
    m = res["machine"]
    print(f"imrassist benchmark - Python {m['python']}, {m['cpus']} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in m['load_avg'])}; corpus {len(files)} letters"
          f"{' (incl. ../shared)' if res['corpus']['shared'] else ''}")
    ip = res["in_process"]
    print(f"\nIn-process, per letter, fresh objects each pass (warm: median over letters of the median of "
          f"{ip['repeat']} passes, with mean, p90, max; cold: first pass after emptying every cache):")
    for k, v in ip["median_ms"].items():
        extra = (f"   mean {ip['mean_ms'][k]:7.2f}   p90 {ip['p90_ms'][k]:7.2f}   max {ip['max_ms'][k]:7.2f}"
                 if k in ip["p90_ms"] else f"   mean {ip['mean_ms'][k]:7.2f}")
        print(f"  {k:24s} {v:8.2f} ms{extra}   cold {ip['cold_median_ms'][k]:7.2f}")
    total = ip["median_ms"]["extract+check+explain"]
    print(f"  [{_mark(total <= TARGETS['in_process_ms'])}] extract + check + explain {total:.2f} ms median "
          f"({ip['mean_ms']['extract+check+explain']:.2f} mean, {ip['cold_median_ms']['extract+check+explain']:.2f} cold)"
          f" (target <= {TARGETS['in_process_ms']:g} ms)")
    print("  slowest letters (analyze_letter): " + ", ".join(f"{n} {t} ms" for n, t in ip["slowest_letters"]))
    if "unseen" in res:
        u = res["unseen"]
        print(f"\nA letter never read before, after the other {u['letters'] - 1} (every cache emptied first; "
              f"each letter's median over {u['passes']} passes, then the median over the letters, with mean):")
        for k, v in u["median_ms"].items():
            print(f"  {k:24s} {v:8.2f} ms   mean {u['mean_ms'][k]:7.2f}")
        t = u["median_ms"]["extract+check+explain"]
        print(f"  [{_mark(t <= TARGETS['in_process_ms'])}] extract + check + explain of an unseen letter {t:.2f} ms "
              f"median (target <= {TARGETS['in_process_ms']:g} ms); the passes' own medians: "
              + ", ".join(f"{x:.2f}" for x in u["pass_medians_ms"]) + " ms")
    if "cold_start" in res:
        cs = res["cold_start"]
        print(f"\nCold start (median of {cs['runs']} runs, subprocess):")
        for k, v in cs.items():
            if isinstance(v, dict):
                print(f"  {k:34s} {v['median_s']:.3f} s (min {v['min_s']:.3f})")
        c = cs["imrassist extract LETTER"]["median_s"]
        print(f"  [{_mark(c <= TARGETS['cold_start_s'])}] imrassist extract {c:.3f} s (target <= {TARGETS['cold_start_s']} s)")
        print(f"  heavy modules loaded by extract: {cs['heavy_modules_loaded']}")
    for key in ("batch", "batch_jobs1"):
        if key in res:
            b = res[key]
            print(f"\nBatch: {b['command']}")
            print(f"  exit {b['exit_code']}, {b['rows']} JSONL rows, {b['ok']} ok; {b['summary']}")
            print(f"  wall {b['wall_s']:.2f} s, {b['letters_per_s']:.1f} letters/s; up to {b['processes']} processes")
            print(f"  peak memory: tree RSS {b['peak_tree_rss_mb']} MB (shared pages counted in every process), "
                  f"tree PSS {b['peak_tree_pss_mb']} MB, largest process {b['largest_process_maxrss_mb']} MB")
            if key == "batch" and b["letters"] == 1000 and b["jobs"] == 2:
                print(f"  [{_mark(b['wall_s'] <= TARGETS['batch_wall_s'])}] 1,000 letters in {b['wall_s']:.2f} s "
                      f"(target <= {TARGETS['batch_wall_s']:g} s)")
            if key == "batch":
                print(f"  [{_mark(b['peak_tree_pss_mb'] <= TARGETS['peak_rss_mb'])}] peak memory of the tree "
                      f"{b['peak_tree_pss_mb']} MB PSS / {b['peak_tree_rss_mb']} MB RSS (target <= {TARGETS['peak_rss_mb']:g} MB)")
    if args.profile:
        print("\nProfile of analyze_letter over the corpus (cProfile, by own time):")
        print(ip["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
