"""How long does ``imrassist.checks.check`` take for one letter with a record and an explanation?

    /work/venv/bin/python benchmarks/check_bench.py [LETTER_DIR ...] [--repeat N] [--cold-repeat N]

For every letter (default: ../shared/letters beside the repository, else the committed seed letter) the
letter is read and its record extracted and explained once (not timed); then ``check(letter, record=...,
explanation=...)`` is timed in-process, in CPU time (``time.process_time``: a busy machine does not
inflate it), as medians per letter and then the median over the letters:

* **warm**: the same check again (the letter's facts and reference record are cached, as in a service
  that checks what it has just extracted and explained);
* **cold**: on a letter the checks have never read (:func:`imrassist.checks.clear_caches` first), with the
  reference record given as ``imrassist analyze`` gives it (``reference=record``: the rules extractor's
  record is what the checks compare against, so it is not extracted twice);
* **cold+ref**: the same without ``reference``: the checks extract the reference record themselves;
* **pipeline**: extract + explain + check of a letter new to the checks, as ``imrassist analyze`` runs them.

The first call in the process pays one-off imports (textstat's dictionary, ~1 s); it is reported apart
and excluded from the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from imrassist.checks import check  # noqa: E402
from imrassist.extract import extract  # noqa: E402
from imrassist.letter import read_letter  # noqa: E402

try:
    from imrassist.checks import clear_caches  # noqa: E402
except ImportError:  # an older imrassist (to compare versions): forget the per-letter caches it had

    def clear_caches() -> None:
        from imrassist import checks
        from imrassist.checks import facts

        checks._REF_CACHE.clear()
        facts._CACHE.clear()


def _explanation(record, letter) -> str:
    try:
        from imrassist.explain import explain

        return explain(record, lang="en", letter=letter).text
    except Exception:  # noqa: BLE001 - the benchmark still runs without the explainer
        items = " ".join(f"{it.treatment.value}: {'approved' if it.decision.value == 'overturned' else 'still denied'}."
                         for it in record.items)
        return (f"{items} You may appeal to the Workers' Compensation Appeals Board within 30 days of the date "
                f"the decision was mailed to you.")


def _cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("letters", nargs="*", default=[str(REPO.parent / "shared" / "letters")])
    ap.add_argument("--repeat", type=int, default=20, help="warm calls per letter")
    ap.add_argument("--cold-repeat", type=int, default=5, help="cold calls per letter (caches cleared before each)")
    args = ap.parse_args(argv)
    paths: list[Path] = []
    for folder in map(Path, args.letters):
        paths += sorted(folder.glob("*.txt")) if folder.is_dir() else ([folder] if folder.is_file() else [])
    if not paths:
        paths = [REPO / "samples" / "seed-2013-push-therapy.txt"]
        print(f"no letters in {', '.join(args.letters)}; using the seed letter")

    prepared = []
    for p in paths:
        letter = read_letter(p)
        record = extract(letter)
        prepared.append((p.stem, letter, record, _explanation(record, letter)))

    t = time.perf_counter()
    check(prepared[0][1], record=prepared[0][2], explanation=prepared[0][3])
    print(f"first call in the process (imports, textstat dictionary): {(time.perf_counter() - t) * 1000:.0f} ms")

    rows = []
    print(f"{'letter':28s} {'items':>5s} {'warm':>6s} {'cold':>6s} {'cold+ref':>8s} {'pipeline':>8s} {'errors':>6s}   (CPU ms)")
    for name, letter, record, text in prepared:
        cold, cold_ref, pipe = [], [], []
        for _ in range(args.cold_repeat):
            clear_caches()
            cold.append(_cpu(lambda: check(letter, record=record, explanation=text, reference=record)))
            clear_caches()
            cold_ref.append(_cpu(lambda: check(letter, record=record, explanation=text)))
            clear_caches()

            def pipeline() -> None:
                from imrassist.explain import explain

                rec = extract(letter)
                check(letter, record=rec, explanation=explain(rec, lang="en", letter=letter).text, reference=rec)

            pipe.append(_cpu(pipeline))
        report = check(letter, record=record, explanation=text, reference=record)
        warm = [_cpu(lambda: check(letter, record=record, explanation=text, reference=record)) for _ in range(args.repeat)]
        row = tuple(statistics.median(x) * 1000 for x in (warm, cold, cold_ref, pipe))
        rows.append(row)
        print(f"{name:28s} {len(record.items):5d} {row[0]:6.2f} {row[1]:6.2f} {row[2]:8.2f} {row[3]:8.2f} "
              f"{report.summary.error:6d}")
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    print(f"median over {len(rows)} letters (CPU ms): warm {med[0]:.2f}, cold {med[1]:.2f}, cold+ref {med[2]:.2f}, "
          f"pipeline {med[3]:.2f} (max warm {max(r[0] for r in rows):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
