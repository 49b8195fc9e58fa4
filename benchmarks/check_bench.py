"""How long does ``imrassist.checks.check`` take for one letter with a record and an explanation?

    /work/venv/bin/python benchmarks/check_bench.py [LETTER_DIR] [--repeat N]

For every letter (default: ../shared/letters beside the repository, else the committed seed letter) the
letter is read and its record extracted and explained once (not timed); then ``check(letter, record=...,
explanation=...)`` is timed in-process: the first (cold) call, which also extracts the reference record and
reads the letter's facts, and ``--repeat`` warm calls. Prints per-letter medians and the median over the
letters. The first call in the process also pays the one-off import of textstat's dictionary (~1 s); it is
reported separately and excluded from the medians.
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


def _explanation(record, letter) -> str:
    try:
        from imrassist.explain import explain

        return explain(record, lang="en", letter=letter).text
    except Exception:  # noqa: BLE001 - the benchmark still runs without the explainer
        items = " ".join(f"{it.treatment.value}: {'approved' if it.decision.value == 'overturned' else 'still denied'}."
                         for it in record.items)
        return (f"{items} You may appeal to the Workers' Compensation Appeals Board within 30 days of the date "
                f"the decision was mailed to you.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("letters", nargs="?", default=str(REPO.parent / "shared" / "letters"))
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    folder = Path(args.letters)
    paths = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not paths:
        paths = [REPO / "samples" / "seed-2013-push-therapy.txt"]
        print(f"no letters in {folder}; using the seed letter")

    prepared = []
    for p in paths:
        letter = read_letter(p)
        record = extract(letter)
        prepared.append((p.stem, letter, record, _explanation(record, letter)))

    t = time.perf_counter()
    check(prepared[0][1], record=prepared[0][2], explanation=prepared[0][3])
    first = time.perf_counter() - t
    print(f"first call in the process (imports, textstat dictionary): {first * 1000:.0f} ms")

    cold: list[float] = []
    warm: list[float] = []
    print(f"{'letter':28s} {'items':>5s} {'cold ms':>8s} {'warm ms':>8s} {'errors':>6s}")
    for name, letter, record, text in prepared:
        from imrassist import checks

        checks._REF_CACHE.clear()  # cold: the reference record and the letter facts are read again
        from imrassist.checks import facts

        facts._CACHE.clear()
        t = time.perf_counter()
        report = check(letter, record=record, explanation=text)
        c = time.perf_counter() - t
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            check(letter, record=record, explanation=text)
            times.append(time.perf_counter() - t)
        w = statistics.median(times)
        cold.append(c)
        warm.append(w)
        print(f"{name:28s} {len(record.items):5d} {c * 1000:8.1f} {w * 1000:8.1f} {report.summary.error:6d}")
    print(f"median over {len(prepared)} letters: cold {statistics.median(cold) * 1000:.1f} ms, "
          f"warm {statistics.median(warm) * 1000:.1f} ms (max warm {max(warm) * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
