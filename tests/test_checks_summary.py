"""The reviewer summary (``imrassist.explain.summarize``) checked with ``explanation_kind="summary"``: its
facts (dates, counts, pages, decisions, tallies, rationale conclusions, treatments, guidelines, the worker)
against the letter, without the worker-only elements (appeal right, next steps, reading grade)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from imrassist.checks import check, looks_like_summary, reference_record
from imrassist.evals.mutate import SUMMARY_OPS, summary_mutants
from imrassist.explain import summarize
from imrassist.letter import read_letter

from tests.test_checks_helpers import SEED, SHARED, HAVE_LETTERS, describe, error_kinds, errors

SYNTHETIC = Path(__file__).resolve().parents[1] / "evals" / "synthetic" / "letters"


def _letter_paths() -> list[Path]:
    paths = sorted(SYNTHETIC.glob("*.txt")) + sorted(SYNTHETIC.glob("*.pdf"))
    if HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    else:
        paths.append(SEED)
    return paths


_CACHE: dict[Path, tuple] = {}


def _summary(path: Path):
    if path not in _CACHE:
        lt = read_letter(path)
        _CACHE[path] = (lt, summarize(reference_record(lt)))
    return _CACHE[path]


@pytest.mark.parametrize("path", _letter_paths(), ids=lambda p: p.stem)
def test_summary_of_every_sample_letter_is_clean(path):
    lt, text = _summary(path)
    report = check(lt, explanation=text, explanation_kind="summary")
    assert not errors(report), describe(report) + "\n" + text
    # nor any worker-only finding, nor a quote the letter does not hold
    assert not [f for f in report.findings if f.kind in ("missing", "readability", "grounding")], describe(report)
    assert looks_like_summary(text)
    assert check(lt, explanation=text, explanation_kind="auto").findings == report.findings


def test_the_default_still_reads_a_worker_explanation():
    lt, text = _summary(SEED)
    kinds = error_kinds(check(lt, explanation=text))
    assert "missing" in kinds  # a worker explanation must state the appeal right; the summary does not
    with pytest.raises(ValueError):
        check(lt, explanation=text, explanation_kind="reviewer")


def test_auto_takes_a_worker_explanation_as_one():
    lt = read_letter(SEED)
    text = "PUSH therapy: approved. The claims administrator must authorize it."
    assert not looks_like_summary(text)
    report = check(lt, explanation=text, explanation_kind="auto")
    assert "missing" in error_kinds(report)  # no appeal right: read as a worker explanation


def test_planted_errors_in_summaries_are_caught_with_their_kind():
    """Every summary mutation (decision flips in headings, tallies, rationale conclusions, dates, counts,
    pages, treatments, guideline sources, age and sex) on every sample letter is caught."""
    cases, caught, missed = Counter(), Counter(), []
    for path in _letter_paths():
        lt, text = _summary(path)
        for m in summary_mutants(text, lt, seed=0):
            cases[m.op] += 1
            if m.kind in error_kinds(check(lt, explanation=m.explanation, explanation_kind="summary")):
                caught[m.op] += 1
            else:
                missed.append((path.stem, m.op, m.description))
    assert set(cases) == set(SUMMARY_OPS), cases
    assert not missed, missed


def test_summary_findings_point_at_what_they_are_about():
    lt, text = _summary(SEED)  # one item, Overturned
    flipped = text.replace("— OVERTURNED", "— UPHELD")
    f = next(f for f in errors(check(lt, explanation=flipped, explanation_kind="summary")) if f.kind == "decision")
    assert flipped[f.explanation_span[0]:f.explanation_span[1]] == "UPHELD"
    tally = text.replace("(1 overturned, 0 upheld)", "(0 overturned, 1 upheld)")
    report = check(lt, explanation=tally, explanation_kind="summary")
    assert {f.code for f in errors(report)} == {"EXPLANATION_TALLY_OUTCOMES"}, describe(report)
    quote = text.replace('"', "“", 1).replace('."', ".”", 1)
    assert not errors(check(lt, explanation=quote, explanation_kind="summary"))
