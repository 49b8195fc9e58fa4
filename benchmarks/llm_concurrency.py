"""How much concurrency buys: N small letters against the loopback fake server with injected latency.

    python benchmarks/llm_concurrency.py            # 100 letters, 1 s latency, concurrency 16
    python benchmarks/llm_concurrency.py --letters 20 --latency 0.5 --concurrency 8

Runs the real LLM extraction path (openai + instructor -> tests/fakeopenai.py on 127.0.0.1) twice: one
letter after another (``extract_llm`` in a loop), then all at once through ``extract_many`` (asyncio,
bounded by ``--concurrency``). Prints both wall times and the speed-up. The sequential run is the slow one
(letters x latency): ``--sequential-sample K`` times only K letters and extrapolates, to save time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from imrassist.extract.llm import answer_from_record, extract_llm, extract_many  # noqa: E402
from imrassist.extract.rules import extract_rules  # noqa: E402
from imrassist.letter import letter_from_text, read_letter  # noqa: E402
from imrassist.llm import LLMSettings, reset_clients  # noqa: E402
from tests.fakeopenai import FakeOpenAI  # noqa: E402


def small_letters(n: int) -> list:
    """``n`` distinct small letters: the public sample with a different case number each."""
    base = read_letter(ROOT / "samples" / "seed-2013-push-therapy.txt").original
    return [letter_from_text(f"Case Number: CM13-{10000 + i:07d}\n\n" + base, f"letter-{i:03d}.txt") for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=100)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds the fake server waits per request")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sequential-sample", type=int, default=0,
                    help="time only this many letters sequentially and extrapolate (0 = all)")
    args = ap.parse_args(argv)

    letters = small_letters(args.letters)
    answer = answer_from_record(extract_rules(letters[0]), letter=letters[0])
    with FakeOpenAI(latency=args.latency, default=lambda req: answer) as fake, \
            tempfile.TemporaryDirectory() as cache_dir:
        settings = LLMSettings(model="fake-model", base_url=fake.base_url, mode="tools",
                               concurrency=args.concurrency, cache=False, cache_dir=Path(cache_dir))
        # warm-up (imports, client construction) outside the timings
        extract_llm(letters[0], settings.model_copy(update={"concurrency": 1}))

        k = args.sequential_sample or args.letters
        started = time.perf_counter()
        for letter in letters[:k]:
            extract_llm(letter, settings)
        seq = time.perf_counter() - started
        seq_total = seq * args.letters / k

        before = fake.chat_count
        started = time.perf_counter()
        results = extract_many(letters, settings, backend="llm")
        conc = time.perf_counter() - started
        failed = [r for r in results if isinstance(r, Exception)]
        requests = fake.chat_count - before
        peak = fake.max_inflight
    reset_clients()

    note = f" (timed {k}, extrapolated)" if k != args.letters else ""
    print(f"letters: {args.letters}, server latency: {args.latency:g} s per request, concurrency: {args.concurrency}")
    print(f"sequential: {seq_total:7.2f} s{note}")
    print(f"concurrent: {conc:7.2f} s  ({requests} requests, peak {peak} in flight, {len(failed)} failed)")
    print(f"speed-up:   {seq_total / conc:7.1f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
