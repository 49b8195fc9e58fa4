"""Tests of ``imrassist eval``: suite discovery, scoring through the harness, saved runs, baselines, reports.

The scoring test uses hand-made predictions on a two-letter suite built in a temp folder; every expected
count is derived by hand in the comments (from the gold written here), not read back from the scorer.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imrassist.cli import main
from imrassist.evals.run import (
    EvalRun,
    compare_runs,
    discover_suite,
    load_run,
    rescore_run,
    run_suite,
)
from tests.shared_data import HAVE_SHARED, REPO, SAMPLE, SHARED, SYNTHETIC, needs_shared

# ------------------------------------------------------------------------------------------ tiny suite

SEED_GOLD = {
    "layout": "format1",
    "case_number": None,
    "priority": None,
    "worker": {"age": 33, "sex": "male"},
    "dates": {"injury": "2012-10-19", "ur_decision": "2013-12-27", "application_received": None, "assigned": None,
              "determination": None},
    "reviewer": {"specialty": "Neurological Surgery", "licensed_in": ["California"]},
    "items": [
        {
            "treatment": "6 SESSION OF PUSH THERAPY",
            "quantity": 6,
            "unit": "session",
            "decision": "overturned",
            "guidelines": [{"source": "MTUS", "document": "Chronic Pain Treatment Guidelines", "year": None,
                            "topic": "Massage Therapy", "pages": [60]}],
            "ca_guidelines": [{"source": "MTUS", "document": "Chronic Pain Treatment Guidelines", "year": None,
                               "topic": "Physical Medicine", "pages": []}],
            "limit": {"min": 4, "max": 6, "unit": "visit"},
        }
    ],
}
# Valued leaves of SEED_GOLD: layout, age, sex, injury, ur_decision, specialty, licensed_in (7); item:
# treatment, quantity, unit, decision (4), limit min/max/unit (3), guidelines[0] source/document/topic/pages
# (4; year null), ca_guidelines[0] source/document/topic (3; year null, pages []) -> 21.

TINY2_NAME = "tiny-02-acupuncture-naproxen"
TINY2_TEXT = """\
Case Number: CM15-0123456
Date Assigned: 03/09/2015
Date of Injury: 06/14/2011
Decision Date: 04/02/2015
UR Denial Date: 02/20/2015
Priority: Standard
Application Received: 03/02/2015

HOW THE IMR FINAL DETERMINATION WAS MADE

MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no affiliation with the employer, employee, providers or the claims administrator. The expert reviewer is Board Certified in Physical Medicine and Rehabilitation and is licensed to practice in California and Arizona. He/she has been in active clinical practice for more than five years and is currently working at least 24 hours a week in active practice.

CLINICAL CASE SUMMARY

The expert reviewer developed the following clinical case summary based on a review of the case file, including all medical records:

The injured worker is a 45-year-old female who was injured on June 14, 2011 while lifting boxes at a warehouse. She reports neck pain and stiffness. The examination on January 30, 2015 documents tenderness of the cervical paraspinal muscles. A request was made for eight acupuncture sessions and naproxen. The utilization review on February 20, 2015 non-certified both requests.

IMR ISSUES, DECISIONS AND RATIONALES

The Final Determination was based on decisions for the disputed items/services set forth below:

Acupuncture 8 sessions:  Upheld

Claims Administrator guideline: Decision based on MTUS Acupuncture Medical Treatment Guidelines.

MAXIMUS guideline: Decision based on MTUS Acupuncture Medical Treatment Guidelines.

Decision rationale: The MTUS Acupuncture Medical Treatment Guidelines state that the time to produce functional improvement is 3 to 6 treatments. The request for 8 sessions exceeds this without documented functional improvement. The request is not medically necessary.

Naproxen sodium 550mg #60:  Overturned

Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, NSAIDs (non-steroidal anti-inflammatory drugs).

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, NSAIDs (non-steroidal anti-inflammatory drugs), Page(s): 67-68.

Decision rationale: The MTUS recommends NSAIDs at the lowest dose for the shortest period in patients with moderate to severe pain. The worker has documented pain relief and improved function with naproxen. The request is medically necessary.
"""
_NSAID = "NSAIDs (non-steroidal anti-inflammatory drugs)"
TINY2_GOLD = {
    "layout": "format1",
    "case_number": "CM15-0123456",
    "priority": "standard",
    "worker": {"age": 45, "sex": "female"},
    "dates": {"injury": "2011-06-14", "ur_decision": "2015-02-20", "application_received": "2015-03-02",
              "assigned": "2015-03-09", "determination": "2015-04-02"},
    "reviewer": {"specialty": "Physical Medicine and Rehabilitation", "licensed_in": ["California", "Arizona"]},
    "items": [
        {
            "treatment": "Acupuncture 8 sessions",
            "quantity": 8,
            "unit": "session",
            "decision": "upheld",
            "guidelines": [{"source": "MTUS", "document": "Acupuncture Medical Treatment Guidelines", "year": None,
                            "topic": None, "pages": []}],
            "ca_guidelines": [{"source": "MTUS", "document": "Acupuncture Medical Treatment Guidelines", "year": None,
                               "topic": None, "pages": []}],
            "limit": {"min": 3, "max": 6, "unit": "treatment"},
        },
        {
            "treatment": "Naproxen sodium 550mg #60",
            "quantity": 60,
            "unit": "count",
            "decision": "overturned",
            "guidelines": [{"source": "MTUS", "document": "Chronic Pain Medical Treatment Guidelines", "year": None,
                            "topic": _NSAID, "pages": [67, 68]}],
            "ca_guidelines": [{"source": "MTUS", "document": "Chronic Pain Medical Treatment Guidelines", "year": None,
                               "topic": _NSAID, "pages": []}],
            "limit": None,
        },
    ],
}
# Valued leaves of TINY2_GOLD: layout, case_number, priority, age, sex, 5 dates, specialty, licensed_in (12);
# acupuncture: treatment, quantity, unit, decision, guidelines source/document, ca source/document, limit
# min/max/unit (11); naproxen: treatment, quantity, unit, decision, guidelines source/document/topic/pages,
# ca source/document/topic (11) -> 34.


def make_tiny_suite(root: Path) -> Path:
    (root / "letters").mkdir(parents=True)
    (root / "gold").mkdir()
    shutil.copy(SAMPLE, root / "letters" / "seed-2013-push-therapy.txt")
    (root / "letters" / f"{TINY2_NAME}.txt").write_text(TINY2_TEXT, encoding="utf-8")
    (root / "gold" / "seed-2013-push-therapy.json").write_text(json.dumps(SEED_GOLD, indent=1), encoding="utf-8")
    (root / "gold" / f"{TINY2_NAME}.json").write_text(json.dumps(TINY2_GOLD, indent=1), encoding="utf-8")
    return root


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_tiny_suite(tmp_path / "tiny")


def _hand_predictions() -> dict[str, dict]:
    """Predictions with known errors; the tally of each is worked out in test_scoring_matches_hand_count."""
    seed = copy.deepcopy(SEED_GOLD)
    seed["worker"]["age"] = 34  # wrong
    seed["case_number"] = "CM13-0000001"  # hallucinated (gold null)
    seed["items"][0]["limit"] = None  # min, max, unit missing
    # An invented CA citation: ODG, another document and topic, so it pairs with nothing -> its 4 valued
    # fields (source, document, year, topic; pages empty) are hallucinated.
    seed["items"][0]["ca_guidelines"].append({"source": "ODG", "document": "Official Disability Guidelines",
                                              "year": 2013, "topic": "Low Back Chapter, Massage", "pages": []})
    tiny2 = copy.deepcopy(TINY2_GOLD)
    acu, nap = tiny2["items"]
    acu["treatment"] = "Acupuncture, 8 sessions"  # same after normalisation: still a match
    acu["decision"] = "overturned"  # wrong
    acu["unit"] = "sessions"  # plural: units compare exactly after normalisation -> wrong
    nap["guidelines"][0]["pages"] = [68, 67]  # a set: order does not matter
    nap["guidelines"][0]["topic"] = "NSAIDs"  # contained in the gold topic: fuzzy match
    nap["ca_guidelines"] = []  # source, document, topic missing
    tiny2["dates"]["determination"] = None  # missing
    tiny2["reviewer"]["licensed_in"] = ["Arizona", "california"]  # a set, case-folded: match
    extra = {"treatment": "Cervical MRI", "quantity": None, "unit": None, "decision": "upheld", "guidelines": [],
             "ca_guidelines": [], "limit": None}  # treatment and decision hallucinated
    tiny2["items"] = [nap, extra, acu]  # reordered: items pair by treatment, not position
    return {"seed-2013-push-therapy": seed, TINY2_NAME: tiny2}


def _write_run(path: Path, suite: Path, predictions: dict[str, dict]) -> Path:
    """A saved run holding hand-made predictions (the format of --save)."""
    run = {
        "format": "imrassist-eval-run",
        "format_version": 1,
        "meta": {"suite_path": str(suite.resolve()), "suite_name": suite.name, "backend": "manual"},
        "letters": [{"name": n, "ok": True, "prediction": p} for n, p in predictions.items()],
    }
    path.write_text(json.dumps(run), encoding="utf-8")
    return path


def _eval_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["eval", *argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


# ------------------------------------------------------------------------------------------------ scoring


def test_scoring_matches_hand_count(tiny: Path, tmp_path: Path, capsys) -> None:
    run_path = _write_run(tmp_path / "hand.json", tiny, _hand_predictions())
    code, run = _eval_json(capsys, str(run_path))
    assert code == 0
    letters = {ls["name"]: ls["overall"] for ls in run["score"]["letters"]}

    # seed: 21 valued gold leaves. Errors: age wrong (fp 1, fn 1); limit min/max/unit missing (fn 3); case
    # number hallucinated (fp 1); invented CA citation, 4 fields hallucinated (fp 4).
    # tp = 21 - 1 - 3 = 17; fp = 1 + 1 + 4 = 6; fn = 1 + 3 = 4.
    seed = letters["seed-2013-push-therapy"]
    assert (seed["tp"], seed["fp"], seed["fn"]) == (17, 6, 4)
    assert (seed["missing"], seed["hallucinated"], seed["wrong"]) == (3, 5, 1)
    assert seed["f1"] == pytest.approx(34 / 44)

    # tiny-02: 34 valued gold leaves. Errors: acupuncture decision and unit wrong (fp 2, fn 2); naproxen CA
    # citation missing, 3 fields (fn 3); determination missing (fn 1); invented item, treatment + decision
    # hallucinated (fp 2). tp = 34 - 2 - 4 = 28; fp = 4; fn = 6.
    t2 = letters[TINY2_NAME]
    assert (t2["tp"], t2["fp"], t2["fn"]) == (28, 4, 6)
    assert (t2["missing"], t2["hallucinated"], t2["wrong"]) == (4, 2, 2)
    assert t2["f1"] == pytest.approx(56 / 66)

    # Micro: tp 45, fp 10, fn 10 -> P = R = F1 = 45/55.
    o = run["score"]["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (45, 10, 10)
    assert (o["missing"], o["hallucinated"], o["wrong"]) == (7, 7, 3)
    assert o["precision"] == pytest.approx(45 / 55)
    assert o["recall"] == pytest.approx(45 / 55)
    assert o["f1"] == pytest.approx(90 / 110)

    pf = run["score"]["per_field"]

    def tally(name: str) -> tuple[int, int, int]:
        return pf[name]["tp"], pf[name]["fp"], pf[name]["fn"]

    assert tally("worker.age") == (1, 1, 1)  # seed wrong, tiny-02 right
    assert pf["worker.age"]["f1"] == pytest.approx(0.5)
    # seed right; acupuncture wrong; naproxen right; invented item hallucinated.
    assert tally("items.decision") == (2, 2, 1)
    assert pf["items.decision"]["precision"] == pytest.approx(0.5)
    assert pf["items.decision"]["recall"] == pytest.approx(2 / 3)
    assert pf["items.decision"]["f1"] == pytest.approx(4 / 7)
    assert tally("items.treatment") == (3, 1, 0)
    assert tally("items.unit") == (2, 1, 1)
    assert tally("items.limit.max") == (1, 0, 1)
    assert tally("items.ca_guidelines.source") == (2, 1, 1)
    assert tally("items.ca_guidelines.year") == (0, 1, 0)
    assert tally("items.guidelines.pages") == (2, 0, 0)
    assert tally("items.guidelines.topic") == (2, 0, 0)
    assert tally("case_number") == (1, 1, 0)
    assert tally("dates.determination") == (0, 0, 1)
    assert tally("reviewer.licensed_in") == (2, 0, 0)
    assert tally("priority") == (1, 0, 0)  # seed: null and null, not counted
    # The per-field counts add up to the micro totals.
    assert sum(v["tp"] for v in pf.values()) == 45
    assert sum(v["fp"] for v in pf.values()) == 10
    assert sum(v["fn"] for v in pf.values()) == 10


def test_rules_extractor_scores_tiny_suite_perfectly(tiny: Path) -> None:
    run = run_suite(tiny)
    assert [lr.name for lr in run.letters] == ["seed-2013-push-therapy", TINY2_NAME]
    assert all(lr.ok for lr in run.letters)
    o = run.score.overall
    assert (o.tp, o.fp, o.fn) == (21 + 34, 0, 0)
    assert set(run.records) == {"seed-2013-push-therapy", TINY2_NAME}


def test_failed_letters_are_error_rows_and_count_as_missing(tiny: Path, capsys) -> None:
    # A gold answer whose letter is missing, and a letter that is not an IMR letter.
    (tiny / "gold" / "no-letter.json").write_text(json.dumps(SEED_GOLD), encoding="utf-8")
    (tiny / "letters" / "not-imr.txt").write_text("Dear friend, thank you for the flowers.\n", encoding="utf-8")
    (tiny / "gold" / "not-imr.json").write_text(json.dumps(TINY2_GOLD), encoding="utf-8")
    code, run = _eval_json(capsys, str(tiny))
    assert code == 0  # failed letters lower the score; they do not stop the run
    rows = {lr["name"]: lr for lr in run["letters"]}
    assert rows["no-letter"]["ok"] is False and rows["no-letter"]["error"]["reason"] == "missing"
    assert rows["not-imr"]["ok"] is False and rows["not-imr"]["error"]["message"]
    assert rows[TINY2_NAME]["ok"] is True
    letters = {ls["name"]: ls["overall"] for ls in run["score"]["letters"]}
    assert (letters["no-letter"]["tp"], letters["no-letter"]["fp"], letters["no-letter"]["fn"]) == (0, 0, 21)
    assert (letters["not-imr"]["tp"], letters["not-imr"]["fn"], letters["not-imr"]["missing"]) == (0, 34, 34)
    o = run["score"]["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (55, 0, 55)
    # --fail-under then trips on the lowered F1 (0.5).
    assert main(["eval", str(tiny), "--fail-under", "0.9"]) == 1
    assert "below --fail-under" in capsys.readouterr().err


def test_bad_input_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["eval", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty" / "letters").mkdir(parents=True)
    assert main(["eval", str(tmp_path / "empty")]) == 2
    assert "no gold files" in capsys.readouterr().err
    bad = make_tiny_suite(tmp_path / "bad")
    (bad / "gold" / "broken.json").write_text("{not json", encoding="utf-8")
    assert main(["eval", str(bad)]) == 2
    assert "broken.json" in capsys.readouterr().err
    not_run = tmp_path / "x.json"
    not_run.write_text("{}", encoding="utf-8")
    assert main(["eval", str(not_run)]) == 2
    tiny = make_tiny_suite(tmp_path / "ok")
    assert main(["eval", str(tiny), "--fail-on-regression"]) == 2  # needs --baseline
    assert main(["eval", str(tiny), "--baseline", str(tmp_path / "missing.json")]) == 2


# ------------------------------------------------------------------------------------ runs and baselines


def test_saved_run_has_metadata_and_rescores_identically(tiny: Path, tmp_path: Path, capsys) -> None:
    saved = tmp_path / "run.json"
    assert main(["eval", str(tiny), "--save", str(saved)]) == 0
    capsys.readouterr()
    run = load_run(saved)
    m = run.meta
    assert m.imrassist_version and m.backend == "rules" and m.suite_path == str(tiny.resolve())
    assert m.gold_hash.startswith("sha256:") and set(m.gold_files) == {"seed-2013-push-therapy", TINY2_NAME}
    assert m.started_at and m.finished_at and m.letters == 2
    if (REPO / ".git").exists():
        assert m.git_sha and len(m.git_sha) == 40
    assert all(lr.prediction for lr in run.letters)
    # Re-scoring the saved predictions reproduces the scores exactly, with no extractor call.
    again = rescore_run(run)
    assert again.score == run.score
    assert again.meta.rescored_at
    code, doc = _eval_json(capsys, str(saved))
    assert code == 0 and doc["meta"]["rescored_at"] and doc["score"]["overall"]["f1"] == 1.0


def _broken_extractor(letter):
    """A deliberately broken extractor: the rules, then every first item's decision flipped."""
    from imrassist.extract import extract

    record = extract(letter)
    d = record.items[0].decision
    d.value = "upheld" if d.value == "overturned" else "overturned"
    return record


def test_broken_extractor_is_caught_by_fail_on_regression(tiny: Path, tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.json"
    assert main(["eval", str(tiny), "--save", str(good)]) == 0
    # The same run against itself: no regression, exit 0.
    assert main(["eval", str(tiny), "--baseline", str(good), "--fail-on-regression"]) == 0
    capsys.readouterr()

    # Through the library API: a broken extractor, compared field by field with the saved good run.
    broken = run_suite(tiny, extractor=_broken_extractor)
    assert broken.meta.backend.startswith("custom:")
    cmp = compare_runs(broken, good, tolerance=0.01)
    fields = {r.field for r in cmp.regressions}
    assert fields == {"overall", "items.decision"}
    dec = next(d for d in cmp.fields if d.field == "items.decision")
    # 3 items, first item of each letter flipped: 1 of 3 decisions right -> tp 1, fp 2, fn 2 -> F1 1/3.
    assert (dec.before_f1, dec.after_f1) == (1.0, pytest.approx(1 / 3))

    # Through the CLI: the broken run saved, then scored against the baseline -> exit 1.
    broken_path = tmp_path / "broken.json"
    broken_path.write_text(broken.dump_json(), encoding="utf-8")
    code = main(["eval", str(broken_path), "--baseline", str(good), "--fail-on-regression"])
    captured = capsys.readouterr()
    assert code == 1
    assert "items.decision" in captured.err and "regressed" in captured.err
    assert "REGRESSION items.decision" in captured.out
    # Within a generous tolerance the same drop is accepted.
    assert main(["eval", str(broken_path), "--baseline", str(good), "--fail-on-regression", "--tolerance", "0.9"]) == 0


def test_baseline_rescored_when_gold_changes(tiny: Path, tmp_path: Path, capsys) -> None:
    old = tmp_path / "old.json"
    assert main(["eval", str(tiny), "--save", str(old)]) == 0
    # Correct the gold afterwards (pretend the seed's age was mis-typed): today's run and the baseline's
    # saved predictions are both measured against the new gold, so the comparison shows no regression.
    gold = json.loads((tiny / "gold" / "seed-2013-push-therapy.json").read_text())
    gold["worker"]["age"] = 34
    (tiny / "gold" / "seed-2013-push-therapy.json").write_text(json.dumps(gold), encoding="utf-8")
    capsys.readouterr()
    code, doc = _eval_json(capsys, str(tiny), "--baseline", str(old), "--fail-on-regression")
    assert code == 0
    b = doc["baseline"]
    assert b["rescored"] is True
    assert any("gold changed" in n for n in b["notes"])
    age = next(d for d in b["fields"] if d["field"] == "worker.age")
    assert age["before_f1"] == pytest.approx(0.5) and age["after_f1"] == pytest.approx(0.5)


def test_pdf_option_reads_pdfs_and_falls_back_to_text(tmp_path: Path) -> None:
    suite = tmp_path / "s"
    (suite / "letters").mkdir(parents=True)
    (suite / "gold").mkdir()
    for name in ("syn-17-format1-pdf-lumbar-mri", "syn-01-format1-pt-modified"):
        src = next((SYNTHETIC / "letters").glob(f"{name}.*"))
        shutil.copy(src, suite / "letters" / src.name)
        shutil.copy(SYNTHETIC / "gold" / f"{name}.json", suite / "gold" / f"{name}.json")
    s = discover_suite(suite, pdf=True)
    by = {c.name: c for c in s.cases}
    assert by["syn-17-format1-pdf-lumbar-mri"].letter.suffix == ".pdf"
    assert by["syn-01-format1-pt-modified"].letter.suffix == ".txt" and by["syn-01-format1-pt-modified"].note
    run = run_suite(s, pdf=True)
    assert run.meta.input == "pdf" and all(lr.ok for lr in run.letters)


def test_jobs_give_the_same_scores(tiny: Path) -> None:
    assert run_suite(tiny, jobs=2).score == run_suite(tiny, jobs=1).score


# ---------------------------------------------------------------------------------------------- reports


def test_html_report_is_self_contained_with_bars_and_links(tiny: Path, tmp_path: Path, capsys) -> None:
    hand = _write_run(tmp_path / "hand.json", tiny, _hand_predictions())
    report = tmp_path / "out" / "report.html"
    assert main(["eval", str(hand), "--html", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert "<style>" in text and "class=\"bar\"" in text
    for banned in ("<script src", "<link ", "http://", "https://", "@import"):
        assert banned not in text
    assert "items.decision" in text and "Worst letters" in text
    # Both letters have errors, so both are among the worst and link somewhere that exists.
    hrefs = re.findall(r"<tr class='worst'><td><a href='([^']+)'", text)
    assert len(hrefs) == 2
    from urllib.parse import unquote

    for h in hrefs:
        assert (report.parent / unquote(h)).exists()


def test_terminal_report_shows_per_field_table_and_worst_letters(tiny: Path, tmp_path: Path, capsys) -> None:
    hand = _write_run(tmp_path / "hand.json", tiny, _hand_predictions())
    assert main(["eval", str(hand)]) == 0
    out = capsys.readouterr().out
    assert "micro F1 0.8182" in out
    assert "Per field" in out and "items.decision" in out and "worker.age" in out
    assert "Worst letters" in out and "seed-2013-push-therapy" in out


def test_eval_synthetic_suite_subprocess() -> None:
    proc = subprocess.run([sys.executable, "-m", "imrassist.cli", "eval", str(SYNTHETIC), "--jobs", "2"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "micro F1" in proc.stdout
    for field in ("items.treatment", "items.decision", "dates.injury", "items.guidelines.pages"):
        assert field in proc.stdout
    assert "(18 letters" in proc.stdout


@needs_shared
@pytest.mark.shared
def test_eval_shared_suite_f1() -> None:
    proc = subprocess.run([sys.executable, "-m", "imrassist.cli", "eval", str(SHARED), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["meta"]["letters"] == len(list((SHARED / "gold").glob("*.json")))
    assert all(lr["ok"] for lr in doc["letters"])
    assert doc["score"]["overall"]["f1"] >= 0.98


@needs_shared
@pytest.mark.shared
def test_eval_shared_suite_pdf_f1(capsys) -> None:
    code, doc = _eval_json(capsys, str(SHARED), "--pdf", "--jobs", "2")
    assert code == 0
    assert sum(1 for lr in doc["letters"] if (lr["source"] or "").endswith(".pdf")) >= 1
    assert doc["score"]["overall"]["f1"] >= 0.98


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing
        return False


@pytest.mark.skipif(not _have("imrassist.report.html"), reason="imrassist.report.html (the analyze page) is not in this build")
def test_html_worst_letters_link_to_analyze_pages(tiny: Path, tmp_path: Path) -> None:
    from urllib.parse import unquote

    from imrassist.evals.report import write_html_report

    run = run_suite(tiny, extractor=_broken_extractor)  # every letter has an error, and records to show
    report = write_html_report(run, tmp_path / "r" / "eval.html")
    text = report.read_text(encoding="utf-8")
    hrefs = re.findall(r"<tr class='worst'><td><a href='([^']+)'", text)
    assert len(hrefs) == 2
    for h in hrefs:
        assert h.startswith("eval_letters/") and h.endswith(".html")
        page = (report.parent / unquote(h)).read_text(encoding="utf-8")
        assert "<html" in page.lower()
