#!/usr/bin/env python3
"""Extraction accuracy when the same letters come in other text layers.

Held-out letters and users' PDFs reach imrassist through other PDF libraries and typesetting than the
sample letters: no blank lines between paragraphs, ligatures ("ﬁ"), full-width digits, CRLF, no-break
spaces, page breaks at any line. This rewrites every letter with a gold answer (``evals/*/letters`` and,
when present, ``../shared/letters``) in each of those ways, extracts it with the rules backend, and prints
the micro F1 against the gold answer next to the unchanged letters' F1, with the letters that drop most.
A variant that scores well below ``as is`` is a layout the extractor depends on.

    python benchmarks/robustness.py            # every variant
    python benchmarks/robustness.py ligatures no_blank_lines
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRASSIST_SHARED", REPO.parent / "shared"))


def _page_breaks(text: str, seed: int) -> str:
    """Three page ends (footer, form feed) at lines drawn at random, two of them possibly adjacent."""
    rng = random.Random(seed)
    lines = text.split("\n")
    if len(lines) < 12:
        return text
    cuts = set(rng.sample(range(5, len(lines) - 5), 3))
    out: list[str] = []
    for i, ln in enumerate(lines):
        out.append(ln)
        if i in cuts:
            out += [f"Page {len(out) % 7 + 1} of 8", "\f"]
    return "\n".join(out)


VARIANTS: dict[str, Callable[[str, int], str]] = {
    "as_is": lambda s, _: s,
    "crlf": lambda s, _: s.replace("\n", "\r\n"),
    "no_break_spaces": lambda s, _: s.replace(" ", "\u00a0"),
    "no_blank_lines": lambda s, _: re.sub(r"\n\s*\n", "\n", s),
    "double_spaces": lambda s, _: s.replace(" ", "  "),
    "trailing_spaces": lambda s, _: s.replace("\n", "   \n"),
    "smart_quotes": lambda s, _: s.replace("'", "\u2019").replace('"', "\u201c"),
    "ligatures": lambda s, _: s.replace("ffi", "\ufb03").replace("fi", "\ufb01").replace("fl", "\ufb02"),
    "full_width_digits": lambda s, _: s.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}),
    "zero_width_spaces": lambda s, _: s.replace(" the ", " the\u200b "),
    "page_breaks": _page_breaks,
    "upper_case": lambda s, _: s.upper(),
}


def _suites() -> list[tuple[Path, dict]]:
    pairs = []
    folders = [REPO / "evals" / "synthetic", REPO / "evals" / "heldout"]
    if (SHARED / "letters").is_dir():
        folders.insert(0, SHARED)
    for d in folders:
        for t in sorted((d / "letters").glob("*.txt")):
            g = d / "gold" / f"{t.stem}.json"
            if g.is_file():
                pairs.append((t, json.loads(g.read_text(encoding="utf-8"))))
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variants", nargs="*", choices=[*VARIANTS, []], help="variants to run (default: all)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from imrassist.evals.score import score_letter
    from imrassist.extract import extract
    from imrassist.gold import to_gold_view
    from imrassist.letter import letter_from_text

    pairs = _suites()
    print(f"{len(pairs)} letters with gold answers{'' if (SHARED / 'letters').is_dir() else ' (no ../shared)'}")
    for name in args.variants or list(VARIANTS):
        tp = fp = fn = 0
        failed: list[str] = []
        worst: list[tuple[float, str]] = []
        for i, (path, gold) in enumerate(pairs):
            text = VARIANTS[name](path.read_text(encoding="utf-8", errors="replace"), i)
            try:
                record = extract(letter_from_text(text, source=path.name))
            except Exception as exc:  # noqa: BLE001 - a variant that stops the extractor is a finding
                failed.append(f"{path.stem} ({type(exc).__name__})")
                continue
            o = score_letter(to_gold_view(record), gold, path.stem).overall
            tp, fp, fn = tp + o.tp, fp + o.fp, fn + o.fn
            worst.append((2 * o.tp / (2 * o.tp + o.fp + o.fn) if o.tp else 0.0, path.stem[:28]))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        low = ", ".join(f"{n} {f:.2f}" for f, n in sorted(worst)[:3] if f < 1.0)
        print(f"  {name:18s} F1 {f1:.3f}   failed {len(failed)}   lowest: {low or '-'}"
              + (f"   failed: {', '.join(failed[:3])}" if failed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
