"""Tests of the check benchmark (``imrassist eval --checks``).

The counting is tested with a fake mutation module, a fake checker and a fake explainer whose every outcome
is known, on the two-letter suite of test_eval_run; the real thing (imrassist.evals.mutate with
imrassist.checks) runs on the synthetic suite when those modules are present.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from imrassist.evals.checkbench import REQUIRED_CLASSES, Mutator, canonical_class, run_checkbench
from imrassist.evals.run import run_suite
from imrassist.models import Finding, FindingsReport
from tests.shared_data import REPO, SHARED, SYNTHETIC, needs_shared
from tests.test_eval_run import make_tiny_suite

# ------------------------------------------------------------------------------------------------ fakes


def _finding(kind: str, severity: str = "error", code: str | None = None) -> Finding:
    return Finding(code=code or f"FAKE_{kind.upper()}", kind=kind, severity=severity, field="x", message=f"fake {kind}")


def fake_check(letter, *, record=None, explanation=None, reference=None, lang="auto") -> FindingsReport:
    """Flags exactly the markers the fake mutator plants; knows nothing else."""
    findings = []
    if record is not None and record.worker.age is not None and record.worker.age.value == 99:
        findings.append(_finding("demographic"))
    if explanation is not None:
        if "WRONGDATE" in explanation:
            findings.append(_finding("date"))
        if "WRONGKIND" in explanation:
            findings.append(_finding("count"))  # caught, but under the wrong kind
        if "ALARM" in explanation:
            findings.append(_finding("decision"))  # an error on a paraphrase: a false alarm
        if "NOAPPEAL" in explanation:
            findings.append(_finding("missing", severity="warning"))  # warning kinds count as caught
        if "PRE-EXISTING" in explanation:
            findings.append(_finding("page"))
    return FindingsReport.build(getattr(letter, "source", None), findings)


def _mutate_record(record, letter=None):
    aged = record.model_copy(deep=True)
    aged.worker.age.value = 99
    return [
        {"name": "age-change", "kind": "demographic", "record": aged, "description": "age -> 99"},
        # Not detected by the fake checker: a miss.
        SimpleNamespace(cls="quote_off_offsets", kind="grounding", record=record.model_copy(deep=True)),
    ]


def _mutate_explanation(text, record=None, lang="en"):
    return [
        {"mutation": "date-shift", "kind": "date", "text": text + " WRONGDATE"},
        {"mutation": "swap_day_month", "kind": "date", "text": text + " WRONGKIND"},
        {"mutation": "appeal_deadline_dropped", "kind": "missing", "text": text + " NOAPPEAL"},
        # Only a finding the clean text already had: not a catch.
        {"mutation": "page-swap", "kind": "page", "text": text + " again"},
    ]


def _paraphrase(text, lang="en"):
    return [text + " ALARM", text + " (said otherwise)"]


FAKE_MUTATE = SimpleNamespace(mutate_record=_mutate_record, mutate_explanation=_mutate_explanation,
                              paraphrase=_paraphrase)


def fake_explain(record, *, lang="en"):
    # The clean text already draws one (page) error: planted cases must not be credited with it.
    return SimpleNamespace(text=f"Your explanation ({lang}). PRE-EXISTING")


def test_canonical_class_names() -> None:
    assert canonical_class("date-shift") == "date_shift"
    assert canonical_class("swap_day_month") == "day_month_swap"
    assert canonical_class("dm_swap") == "day_month_swap"
    assert canonical_class("number_word") == "number_word_change"
    assert canonical_class("count_change") == "count_change"
    assert canonical_class("negation_added") == "negation"
    assert canonical_class("decision_flip") == "decision_flip"
    assert canonical_class("quote_off_offsets") == "quote_moved"
    assert canonical_class("age") == "demographic_change"
    assert canonical_class("page_swap") == "page_swap"
    assert canonical_class("appeal_deadline") == "deadline_change"
    assert canonical_class("treatment_swap") == "treatment_swap"


def test_counting_with_fakes(tmp_path: Path) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    exp = suite / "explanations"
    exp.mkdir()
    (exp / "seed.ok.md").write_text("You asked for six sessions. They were approved.", encoding="utf-8")
    (exp / "seed.bad-date-1.md").write_text("You were hurt on a WRONGDATE.", encoding="utf-8")
    (exp / "seed.bad-page-1.md").write_text("Nothing a checker would see.", encoding="utf-8")
    (exp / "manifest.json").write_text(json.dumps([
        {"file": "seed.ok.md", "letter": "seed-2013-push-therapy", "expect": "clean", "kind": None},
        {"file": "seed.bad-date-1.md", "letter": "seed-2013-push-therapy", "expect": "error", "kind": "date"},
        {"file": "seed.bad-page-1.md", "letter": "seed-2013-push-therapy", "expect": "error", "kind": "page"},
    ]), encoding="utf-8")
    run = run_suite(suite)
    require = ("date_shift", "day_month_swap", "demographic_change", "quote_moved", "deadline_change", "page_swap",
               "treatment_swap")
    rep = run_checkbench(run, mutator=FAKE_MUTATE, checker=fake_check, explainer=fake_explain, require=require)
    assert rep.letters_used == ["seed-2013-push-therapy", "tiny-02-acupuncture-naproxen"]

    classes = {r["name"]: r for r in rep.classes}
    # Records: one age change and one quote move per letter (2 letters).
    assert (classes["demographic_change"]["cases"], classes["demographic_change"]["caught"],
            classes["demographic_change"]["kind_correct"]) == (2, 2, 2)
    assert (classes["quote_moved"]["cases"], classes["quote_moved"]["caught"]) == (2, 0)
    # English explanations mutated: our template for both letters + the seed's clean hand-written one = 3.
    assert (classes["date_shift"]["cases"], classes["date_shift"]["caught"], classes["date_shift"]["kind_correct"]) == (3, 3, 3)
    assert (classes["day_month_swap"]["cases"], classes["day_month_swap"]["caught"],
            classes["day_month_swap"]["kind_correct"]) == (3, 3, 0)
    assert classes["day_month_swap"]["catch_rate"] == 1.0 and classes["day_month_swap"]["kind_accuracy"] == 0.0
    # A warning of a warning kind (missing) counts as caught.
    assert (classes["deadline_change"]["cases"], classes["deadline_change"]["caught"]) == (3, 3)
    # The page error was already there in the clean text: not credited.
    assert (classes["page_swap"]["cases"], classes["page_swap"]["caught"]) == (3, 0)
    assert classes["page_swap"]["explanation_cases"] == 3 and classes["page_swap"]["record_cases"] == 0
    # A required class that produced nothing is an error, not 100%.
    assert classes["treatment_swap"]["cases"] == 0
    assert any("treatment_swap" in p and "no cases" in p for p in rep.problems)

    kinds = {r["name"]: r for r in rep.kinds}
    assert (kinds["date"]["cases"], kinds["date"]["caught"], kinds["date"]["kind_correct"]) == (6, 6, 3)
    assert (kinds["grounding"]["cases"], kinds["grounding"]["caught"]) == (2, 0)

    alarms = {r["name"]: r for r in rep.false_alarms}
    assert (alarms["clean records"]["cases"], alarms["clean records"]["alarms"]) == (2, 0)
    # Our clean explanations all carry the PRE-EXISTING page error: every one is a false alarm.
    assert (alarms["clean explanations (ours, en)"]["cases"], alarms["clean explanations (ours, en)"]["alarms"]) == (2, 2)
    assert (alarms["clean explanations (ours, es)"]["cases"], alarms["clean explanations (ours, es)"]["alarms"]) == (2, 2)
    assert (alarms["clean explanations (hand-written)"]["cases"],
            alarms["clean explanations (hand-written)"]["alarms"]) == (1, 0)
    # Two paraphrases per English text (3 texts): one of each pair alarms; the template ones also keep their
    # PRE-EXISTING marker, so both template paraphrases alarm -> 2 + 2 + 1 = 5 of 6.
    assert (alarms["paraphrases"]["cases"], alarms["paraphrases"]["alarms"]) == (6, 5)
    # Counting only errors the clean text did not already have: just the three ALARM paraphrases.
    assert (alarms["paraphrases (new errors only)"]["cases"], alarms["paraphrases (new errors only)"]["alarms"]) == (6, 3)
    assert alarms["all clean inputs"]["cases"] == 7 and alarms["all clean inputs"]["alarms"] == 4

    hand = rep.handwritten
    assert (hand["error_rows"], hand["caught"], hand["right_kind"]) == (2, 1, 1)
    assert (hand["clean_rows"], hand["false_alarms"]) == (1, 0)
    assert hand["per_kind"]["date"] == {"cases": 1, "caught": 1, "right_kind": 1}
    assert [f["file"] for f in hand["failures"]] == ["seed.bad-page-1.md"]


def test_missing_mutation_module_is_a_problem(tmp_path: Path) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    rep = run_checkbench(run_suite(suite), mutator=None, checker=fake_check, explainer=fake_explain)
    assert any("mutate is not available" in p for p in rep.problems)
    assert any(all(c in p for c in REQUIRED_CLASSES) for p in rep.problems)


def test_letters_not_matching_gold_are_not_bases(tmp_path: Path) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    gold = json.loads((suite / "gold" / "seed-2013-push-therapy.json").read_text())
    gold["worker"]["age"] = 40
    (suite / "gold" / "seed-2013-push-therapy.json").write_text(json.dumps(gold), encoding="utf-8")
    rep = run_checkbench(run_suite(suite), mutator=FAKE_MUTATE, checker=fake_check, explainer=fake_explain)
    assert rep.letters_used == ["tiny-02-acupuncture-naproxen"]
    assert "differs from gold" in rep.letters_skipped["seed-2013-push-therapy"]


def test_mutator_adapter_accepts_other_names() -> None:
    mod = SimpleNamespace(record_mutations=lambda rec, seed=0: [("R", "date")],
                          explanation_mutations=lambda text, **kw: [{"category": "Count change", "expected_kind": "count",
                                                                     "mutated_text": text + "!"}],
                          paraphrases=lambda text: ["p1"])
    m = Mutator(mod)
    assert m.missing() == []
    (r,) = m.records("REC", None)
    assert (r.record, r.kind) == ("R", "date")
    (e,) = m.explanations("t", None, None, "en")
    assert (e.cls, e.kind, e.text) == ("count_change", "count", "t!")
    (p,) = m.paraphrases("t", None, None, "en")
    assert (p.cls, p.kind, p.text) == ("paraphrase", None, "p1")


# ------------------------------------------------------------------------------------------- the real one

def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing
        return False


_HAVE_REAL = _have("imrassist.evals.mutate") and _have("imrassist.checks")
needs_real = pytest.mark.skipif(not _HAVE_REAL, reason="imrassist.evals.mutate (planted-error generators) has not landed yet")


def _checks_run(suite: Path, *extra: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "imrassist.cli", "eval", str(suite), "--checks", "--json",
                           "--jobs", "2", *extra], capture_output=True, text=True, timeout=240, cwd=REPO)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    return doc


@needs_real
def test_checks_on_synthetic_suite_every_class_has_cases() -> None:
    doc = _checks_run(SYNTHETIC)
    checks = doc["checks"]
    classes = {r["name"]: r for r in checks["classes"]}
    for cls in REQUIRED_CLASSES:
        assert classes[cls]["cases"] > 0, f"mutation class {cls} produced no cases"
        assert 0.0 <= classes[cls]["catch_rate"] <= 1.0
    assert not [p for p in checks["problems"] if "no cases" in p or "not available" in p]
    names = {r["name"] for r in checks["false_alarms"]}
    assert {"clean records", "paraphrases", "all clean inputs"} <= names
    assert checks["handwritten"]["error_rows"] > 0


@needs_real
@needs_shared
@pytest.mark.shared
def test_checks_on_shared_letters_with_explanations(tmp_path: Path) -> None:
    """The real letters that have hand-written explanations (a subset keeps this quick; the full run is
    `imrassist eval ../shared --checks`)."""
    import shutil

    rows = json.loads((SHARED / "explanations" / "manifest.json").read_text(encoding="utf-8"))
    names = sorted({r["letter"] for r in rows})
    suite = tmp_path / "shared-subset"
    for sub in ("letters", "gold", "explanations"):
        (suite / sub).mkdir(parents=True)
    for name in names:
        shutil.copy(SHARED / "letters" / f"{name}.txt", suite / "letters")
        shutil.copy(SHARED / "gold" / f"{name}.json", suite / "gold")
    for r in rows:
        shutil.copy(SHARED / "explanations" / r["file"], suite / "explanations")
    shutil.copy(SHARED / "explanations" / "manifest.json", suite / "explanations")
    doc = _checks_run(suite)
    checks = doc["checks"]
    assert checks["letters_used"] == names
    assert checks["handwritten"]["error_rows"] == sum(1 for r in rows if r["expect"] == "error")
    assert sum(r["cases"] for r in checks["classes"]) > 0
