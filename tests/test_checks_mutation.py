"""The mutation suite: plant one error at a time into records and explanations of every sample letter and
check that it is caught with the right kind; paraphrases and clean inputs must raise no error.

Catch rates per kind and false-alarm rates are printed (``pytest -s``) and, when an ``artifacts/`` folder
exists (CI creates it), written to ``artifacts/checks-mutation-*.json``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest

from imrassist.checks import check
from imrassist.evals.mutate import (
    EXPLANATION_OPS, RECORD_OPS, explanation_mutants, explanation_paraphrases, format_date, number_word,
    record_mutants,
)
from imrassist.letter import read_letter

from tests.test_checks_helpers import (
    REPO, SEED, SHARED, describe, error_kinds, errors, faithful_explanation, letter, letter_names, manifest,
    needs_letters, reference,
)

MIN_CATCH = 0.95
MAX_FALSE_ALARMS = 0.02
SEEDS = (0,)


class Tally:
    def __init__(self) -> None:
        self.caught: Counter = Counter()
        self.total: Counter = Counter()
        self.clean = 0
        self.alarms = 0
        self.misses: list[str] = []
        self.alarm_notes: list[str] = []
        self.letter = None  # the letter and text under check, for span checks
        self.text: str | None = None

    def planted(self, key: tuple, report, where: str) -> None:
        self.spans_ok(report, where)
        self.total[key] += 1
        if key[-1] in error_kinds(report):
            self.caught[key] += 1
        else:
            self.misses.append(f"{where}\n{describe(report)}")

    def spans_ok(self, report, where: str) -> None:
        """Every span lies in the letter's original text, every explanation span in the explanation."""
        n = len(self.letter.original) if self.letter is not None else None
        for f in report.findings:
            if f.span is not None and n is not None:
                assert 0 <= f.span[0] <= f.span[1] <= n, (where, f)
            if f.explanation_span is not None and self.text is not None:
                assert 0 <= f.explanation_span[0] < f.explanation_span[1] <= len(self.text), (where, f)

    def paraphrase(self, report, where: str) -> None:
        self.spans_ok(report, where)
        self.clean += 1
        if errors(report):
            self.alarms += 1
            self.alarm_notes.append(f"{where}\n{describe(report)}")

    def rates(self) -> dict:
        by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, n in self.total.items():
            by_kind[key[-1]][0] += self.caught[key]
            by_kind[key[-1]][1] += n
        return {
            "by_target_and_kind": {"/".join(k): [self.caught[k], n] for k, n in sorted(self.total.items())},
            "by_kind": {k: {"caught": c, "planted": n, "rate": round(c / n, 4)} for k, (c, n) in sorted(by_kind.items())},
            "false_alarms": {"clean_inputs": self.clean, "with_error": self.alarms,
                             "rate": round(self.alarms / self.clean, 4) if self.clean else 0.0},
        }

    def report(self, title: str) -> dict:
        r = self.rates()
        print(f"\n{title}")
        for k, v in r["by_kind"].items():
            print(f"  {k:12s} {v['caught']:4d}/{v['planted']:<4d} {100 * v['rate']:5.1f}%")
        fa = r["false_alarms"]
        print(f"  false alarms {fa['with_error']}/{fa['clean_inputs']} ({100 * fa['rate']:.2f}%)")
        artifacts = REPO / "artifacts"
        if artifacts.is_dir():  # one file per suite: safe when tests run in parallel workers
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
            (artifacts / f"checks-mutation-{slug}.json").write_text(json.dumps({title: r}, indent=2))
        return r

    def assert_rates(self, r: dict) -> None:
        low = {k: v for k, v in r["by_kind"].items() if v["rate"] < MIN_CATCH}
        assert not low, f"catch rate below {MIN_CATCH:.0%}: {low}\n" + "\n".join(self.misses[:10])
        assert r["false_alarms"]["rate"] <= MAX_FALSE_ALARMS, "\n".join(self.alarm_notes[:10])


# ------------------------------------------------------------------------------------------- generators


def test_mutants_are_deterministic_and_labelled():
    lt = read_letter(SEED)
    from imrassist.checks import reference_record

    rec = reference_record(lt)
    a = record_mutants(rec, lt, seed=3)
    b = record_mutants(rec, lt, seed=3)
    assert [(m.op, m.description) for m in a] == [(m.op, m.description) for m in b]
    assert {m.op for m in a} == set(RECORD_OPS) - {"day_month_swap"}  # no seed date has day <= 12
    assert all(m.kind == RECORD_OPS[m.op][0] and m.record is not rec for m in a)
    text = faithful_explanation(rec, "en")
    ea = explanation_mutants(text, lt, seed=3)
    assert [m.explanation for m in ea] == [m.explanation for m in explanation_mutants(text, lt, seed=3)]
    assert all(m.kind == EXPLANATION_OPS[m.op][0] and m.explanation != text for m in ea)
    assert {m.op for m in ea} == set(EXPLANATION_OPS)
    assert all(p.kind is None for p in explanation_paraphrases(text, lt, seed=3))


def test_formatters():
    import datetime as dt

    d = dt.date(2013, 12, 27)
    assert format_date(d, "words") == "December 27, 2013"
    assert format_date(d, "numeric") == "12/27/2013"
    assert format_date(d, "short") == "Dec. 27, 2013"
    assert format_date(d, "words", "es") == "27 de diciembre de 2013"
    assert format_date(d, "numeric", "es") == "27/12/2013"
    assert [number_word(n, "en") for n in (6, 30)] == ["six", "thirty"]
    assert [number_word(n, "es") for n in (6, 11, 30)] == ["seis", "once", "treinta"]


# ----------------------------------------------------------------------------------------------- suites


@needs_letters
def test_record_mutation_suite():
    tally = Tally()
    for seed in SEEDS:
        for name in letter_names():
            lt = letter(name)
            tally.letter, tally.text = lt, None
            tally.paraphrase(check(lt, record=reference(name)), f"{name} clean record")
            for m in record_mutants(reference(name), lt, seed=seed):
                tally.planted(("record", m.kind), check(lt, record=m.record), f"{name} {m.op}: {m.description}")
    r = tally.report("record mutants (rules records of the sample letters)")
    assert set(r["by_kind"]) == {"date", "count", "page", "decision", "treatment", "demographic", "grounding"}
    tally.assert_rates(r)


def _explanation_suite(tally: Tally, sources: list[tuple[str, str, str, str]]) -> None:
    for seed in SEEDS:
        for name, lang, label, text in sources:
            lt = letter(name)
            tally.letter, tally.text = lt, text
            tally.paraphrase(check(lt, explanation=text), f"{name} {lang} {label} (as given)")
            for m in explanation_mutants(text, lt, seed=seed, lang=lang):
                tally.text = m.explanation
                tally.planted((label, lang, m.kind), check(lt, explanation=m.explanation),
                              f"{name} {lang} {label} {m.op}: {m.description}")
            for p in explanation_paraphrases(text, lt, seed=seed, lang=lang):
                tally.text = p.explanation
                tally.paraphrase(check(lt, explanation=p.explanation), f"{name} {lang} {label} {p.op}")


@needs_letters
def test_explanation_mutation_suite():
    """Faithful explanations (the test builder, English and Spanish) and the shared hand-written ones."""
    sources = [(n, lang, "builder", faithful_explanation(reference(n), lang)) for n in letter_names() for lang in ("en", "es")]
    sources += [(c["letter"], "en", "shared", (SHARED / "explanations" / c["file"]).read_text())
                for c in manifest() if c["expect"] == "clean"]
    tally = Tally()
    _explanation_suite(tally, sources)
    r = tally.report("explanation mutants (builder en/es + shared clean explanations)")
    assert {"date", "count", "decision", "treatment", "deadline", "demographic", "missing", "page"} <= set(r["by_kind"])
    tally.assert_rates(r)


@needs_letters
def test_product_explanations_survive_the_suite():
    """The product's template explanations (imrassist.explain) are clean, and errors planted in them are caught."""
    explain = pytest.importorskip("imrassist.explain").explain
    sources = []
    for n in letter_names():
        for lang in ("en", "es"):
            sources.append((n, lang, "template", explain(reference(n), lang=lang, letter=letter(n)).text))
    tally = Tally()
    _explanation_suite(tally, sources)
    r = tally.report("explanation mutants (imrassist.explain template en/es)")
    tally.assert_rates(r)
