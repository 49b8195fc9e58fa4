"""Tests of imrassist.evals.score against hand-counted expectations.

Every expected count below is derived by hand in the comments from ``GOLD`` (31 valued leaves), not read
back from the scorer, so a change in counting rules shows up as a failed assertion.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import sys
from pathlib import Path

import pytest
from rapidfuzz import fuzz

# The package is not pip-installed into the venv; make this checkout importable under bare `pytest`.
_REPO = Path(__file__).resolve().parents[1]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from imrassist.evals.score import (  # noqa: E402
    FIELD_NAMES,
    FieldCounts,
    LetterScore,
    Regression,
    SuiteScore,
    best_pairing,
    compare_to_baseline,
    field_values_match,
    score_letter,
    score_suite,
)

# Valued leaves of GOLD (null and [] are "no value" and never counted):
#   top level: layout, case_number, priority                                   3
#   worker: age, sex                                                           2   (5)
#   dates: injury, ur_decision, application_received, assigned (determination null)  4   (9)
#   reviewer: specialty, licensed_in                                           2   (11)
#   item 0: treatment, quantity, unit, decision                                4
#           limit.max, limit.unit (limit.min null)                             2
#           guidelines[0]: source, document, year, topic, pages                5   (11 -> 22)
#           ca_guidelines: []                                                  0
#   item 1: treatment, decision (quantity, unit, limit null)                   2
#           guidelines[0]: source, document, year, topic (pages [])            4
#           ca_guidelines[0]: source, document, topic (year null, pages [])    3   (9 -> 31)
GOLD_VALUED = 31
GOLD = {
    "layout": "format1",
    "case_number": "CM17-0000001",
    "priority": "standard",
    "worker": {"age": 50, "sex": "female"},
    "dates": {
        "injury": "2016-01-02",
        "ur_decision": "2016-02-03",
        "application_received": "2016-02-10",
        "assigned": "2016-02-15",
        "determination": None,
    },
    "reviewer": {"specialty": "Family Practice", "licensed_in": ["California", "North Carolina"]},
    "items": [
        {
            "treatment": "Physical therapy 2 times a week for 6 weeks",
            "quantity": 12,
            "unit": "visit",
            "decision": "upheld",
            "guidelines": [
                {
                    "source": "MTUS",
                    "document": "Chronic Pain Medical Treatment Guidelines",
                    "year": 2009,
                    "topic": "Physical Medicine",
                    "pages": [98, 99],
                }
            ],
            "ca_guidelines": [],
            "limit": {"min": None, "max": 10, "unit": "visit"},
        },
        {
            "treatment": "MRI of the lumbar spine",
            "quantity": None,
            "unit": None,
            "decision": "overturned",
            "guidelines": [
                {
                    "source": "MTUS",
                    "document": "Low Back Complaints",
                    "year": 2004,
                    "topic": "Special Studies",
                    "pages": [],
                }
            ],
            "ca_guidelines": [
                {
                    "source": "ODG",
                    "document": "Official Disability Guidelines",
                    "year": None,
                    "topic": "Low Back Chapter, MRI",
                    "pages": [],
                }
            ],
            "limit": None,
        },
    ],
}


def pred() -> dict:
    """A fresh, perfect prediction to damage in one test."""
    return copy.deepcopy(GOLD)


def counts(score: LetterScore | SuiteScore, field: str | None = None) -> tuple[int, int, int]:
    c = score.overall if field is None else score.per_field[field]
    return c.tp, c.fp, c.fn


# ------------------------------------------------------------------------------------ single letters


def test_perfect_prediction_counts_each_valued_field_once():
    s = score_letter(pred(), GOLD, "x")
    assert counts(s) == (GOLD_VALUED, 0, 0)
    assert s.overall.f1 == 1.0 and s.mismatches == []
    assert s.name == "x"
    assert s.item_pairs == [(0, 0), (1, 1)]
    # null/null and []/[] are not counted at all.
    assert counts(s, "dates.determination") == (0, 0, 0)
    assert counts(s, "items.limit.min") == (0, 0, 0)
    # pages: item 0 [98, 99] counted, item 1 [] not counted -> one TP.
    assert counts(s, "items.guidelines.pages") == (1, 0, 0)
    assert list(s.per_field) == list(FIELD_NAMES)


def test_one_wrong_date_is_one_fp_and_one_fn():
    p = pred()
    p["dates"]["injury"] = "2016-01-03"
    s = score_letter(p, GOLD)
    # 30 TP, and the wrong date is both a FP and a FN.
    assert counts(s) == (30, 1, 1)
    assert (s.overall.wrong, s.overall.missing, s.overall.hallucinated) == (1, 0, 0)
    assert s.overall.precision == pytest.approx(30 / 31)
    assert s.overall.f1 == pytest.approx(60 / 62)
    assert counts(s, "dates.injury") == (0, 1, 1)
    assert s.per_field["dates.injury"].f1 == 0.0
    [m] = s.mismatches
    assert (m.field, m.error, m.gold, m.pred) == ("dates.injury", "wrong", "2016-01-02", "2016-01-03")
    assert m.item_index is None and m.pred_item_index is None


def test_hallucinated_value_where_gold_is_null():
    p = pred()
    p["dates"]["determination"] = "2016-03-01"
    s = score_letter(p, GOLD)
    # 31 TP + 1 FP (gold null), no FN.
    assert counts(s) == (31, 1, 0)
    assert s.overall.hallucinated == 1
    assert s.mismatches[0].error == "hallucinated" and s.mismatches[0].gold is None


def test_missing_item_counts_all_its_gold_fields_as_fn():
    p = pred()
    del p["items"][1]
    s = score_letter(p, GOLD)
    # Item 1 holds 9 valued fields (see GOLD_VALUED): all 9 are FN, nothing is FP. 31 - 9 = 22 TP.
    assert counts(s) == (22, 0, 9)
    assert s.overall.missing == 9
    assert s.overall.precision == 1.0
    assert s.overall.recall == pytest.approx(22 / 31)
    assert s.overall.f1 == pytest.approx(44 / 53)  # 2*22 / (2*22 + 0 + 9)
    assert counts(s, "items.treatment") == (1, 0, 1)
    assert counts(s, "items.ca_guidelines.topic") == (0, 0, 1)
    assert s.item_pairs == [(0, 0)]
    assert {(m.item_index, m.pred_item_index) for m in s.mismatches} == {(1, None)}


def test_extra_item_counts_all_its_predicted_fields_as_fp():
    p = pred()
    p["items"].append(
        {"treatment": "Acupuncture", "quantity": 6, "unit": "session", "decision": "upheld", "guidelines": [],
         "ca_guidelines": [], "limit": None}
    )
    s = score_letter(p, GOLD)
    # treatment, quantity, unit, decision -> 4 FP.
    assert counts(s) == (31, 4, 0)
    assert {(m.item_index, m.pred_item_index, m.error) for m in s.mismatches} == {(None, 2, "hallucinated")}


def test_extra_citation_counts_its_fields_as_fp():
    p = pred()
    p["items"][1]["ca_guidelines"].append(
        {"source": "ACOEM", "document": "Occupational Medicine Practice Guidelines", "year": 2004, "topic": "Low Back",
         "pages": [303]}
    )
    s = score_letter(p, GOLD)
    # The ODG citation still pairs with its gold twin; the ACOEM one is unpaired: source, document, year,
    # topic, pages -> 5 FP.  (Its topic "Low Back" is contained in the gold topic, but source and document
    # both differ, so it may not pair with the ODG citation.)
    assert counts(s) == (31, 5, 0)
    assert s.overall.precision == pytest.approx(31 / 36)
    assert s.overall.f1 == pytest.approx(62 / 67)
    assert counts(s, "items.ca_guidelines.pages") == (0, 1, 0)
    assert {(m.item_index, m.citation_index, m.pred_citation_index) for m in s.mismatches} == {(1, None, 1)}


def test_citation_with_one_wrong_key_pairs_but_conflicting_topic_does_not():
    p = pred()
    p["items"][1]["guidelines"][0]["source"] = "ACOEM"
    s = score_letter(p, GOLD)
    # document and topic agree -> paired; only the source is wrong: 30 TP, 1 FP, 1 FN.
    assert counts(s) == (30, 1, 1)
    assert counts(s, "items.guidelines.source") == (1, 1, 1)

    p = pred()
    p["items"][1]["ca_guidelines"][0]["topic"] = "Knee chapter, Arthroscopy"
    s = score_letter(p, GOLD)
    # Same source and document but a different section: two citations, not one wrong topic.
    # Gold ODG citation: source, document, topic -> 3 FN; predicted one: 3 FP. 31 - 3 = 28 TP.
    assert counts(s) == (28, 3, 3)
    assert s.overall.wrong == 0


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ([99, 98], (1, 0, 0)),  # sets: order does not matter
        ([98.0, 99, 99], (1, 0, 0)),  # numbers compared numerically, duplicates collapse
        ([98], (0, 1, 1)),  # a different set is wrong: one FP and one FN
        ([], (0, 0, 1)),  # [] is "no value": missing, not wrong
        (None, (0, 0, 1)),
    ],
)
def test_pages_match_as_sets(pages, expected):
    p = pred()
    p["items"][0]["guidelines"][0]["pages"] = pages
    s = score_letter(p, GOLD)
    assert counts(s, "items.guidelines.pages") == expected


def test_treatment_matched_by_containment():
    # "physical therapy" is contained in the gold treatment: the item pairs and every field is a TP.
    p = pred()
    p["items"][0]["treatment"] = "PHYSICAL THERAPY"
    s = score_letter(p, GOLD)
    assert counts(s) == (GOLD_VALUED, 0, 0)
    assert s.item_pairs == [(0, 0), (1, 1)]

    # Containment on its own, where token-set similarity is far below the threshold.
    assert fuzz.token_set_ratio("chiro", "chiropractic manipulation") < 85
    assert field_values_match("items.treatment", "Chiropractic manipulation", "Chiro")
    assert field_values_match("items.guidelines.topic", "Low Back Chapter, MRI", "low back")
    # Not for exact-match fields: a specialty is not fuzzy.
    assert not field_values_match("reviewer.specialty", "Family Practice, Sports Medicine", "Family Practice")


def test_unmatched_treatment_leaves_both_items_unpaired():
    p = pred()
    p["items"][0]["treatment"] = "Acupuncture 6 sessions"
    s = score_letter(p, GOLD)
    # Gold item 0 (11 valued fields) all FN; predicted item 0 (the same 11 values) all FP. 31 - 11 = 20 TP.
    assert counts(s) == (20, 11, 11)
    assert s.item_pairs == [(1, 1)]
    assert s.overall.f1 == pytest.approx(40 / 62)


def test_states_match_as_normalised_sets():
    p = pred()
    p["reviewer"]["licensed_in"] = ["north carolina", " CALIFORNIA."]
    assert counts(score_letter(p, GOLD), "reviewer.licensed_in") == (1, 0, 0)
    p["reviewer"]["licensed_in"] = ["California"]
    assert counts(score_letter(p, GOLD), "reviewer.licensed_in") == (0, 1, 1)


def test_numbers_compare_numerically():
    p = pred()
    p["items"][0]["quantity"] = 12.0
    p["items"][0]["limit"]["max"] = "10"
    p["worker"]["age"] = 50.0
    s = score_letter(p, GOLD)
    assert counts(s) == (GOLD_VALUED, 0, 0)
    p["items"][0]["quantity"] = 12.5
    assert counts(score_letter(p, GOLD), "items.quantity") == (0, 1, 1)


def test_empty_list_and_null_both_mean_no_value():
    p = pred()
    p["items"][0]["ca_guidelines"] = None  # gold []
    p["items"][1]["guidelines"][0]["pages"] = None  # gold []
    p["dates"]["determination"] = "  "  # gold null; blank text is no value either
    p["reviewer"]["licensed_in"] = []  # gold has states -> missing
    s = score_letter(p, GOLD)
    # Only licensed_in counts, as one FN (missing, not wrong): 30 TP, 0 FP, 1 FN.
    assert counts(s) == (30, 0, 1)
    assert s.overall.missing == 1 and s.overall.wrong == 0

    gold = copy.deepcopy(GOLD)
    gold["reviewer"]["licensed_in"] = []
    p = pred()
    p["reviewer"]["licensed_in"] = None
    s = score_letter(p, gold)
    # []/null is not counted: the 30 other fields are TP and F1 stays 1.0.
    assert counts(s) == (30, 0, 0)
    assert s.overall.f1 == 1.0


def test_limit_present_only_in_prediction_or_only_in_gold():
    p = pred()
    p["items"][1]["limit"] = {"min": 4, "max": 6, "unit": "visit"}
    s = score_letter(p, GOLD)
    # Gold limit null: min, max, unit -> 3 FP.
    assert counts(s) == (31, 3, 0)
    assert counts(s, "items.limit.min") == (0, 1, 0)

    p = pred()
    p["items"][0]["limit"] = None
    s = score_letter(p, GOLD)
    # Gold limit has max and unit (min null) -> 2 FN.
    assert counts(s) == (29, 0, 2)


def test_empty_or_malformed_prediction_scores_as_all_missing():
    s = score_letter({}, GOLD)
    assert counts(s) == (0, 0, GOLD_VALUED)
    assert (s.overall.precision, s.overall.recall, s.overall.f1) == (1.0, 0.0, 0.0)
    s = score_letter({"worker": None, "dates": None, "reviewer": None, "items": None}, GOLD)
    assert counts(s) == (0, 0, GOLD_VALUED)


# ------------------------------------------------------------------------------------------ pairing


def _preop_gold() -> dict:
    return {
        "items": [
            {"treatment": "Pre-operative CBC", "decision": "upheld"},
            {"treatment": "Pre-operative BMP", "decision": "overturned"},
            {"treatment": "Pre-operative chest x-ray", "decision": "upheld"},
        ]
    }


def test_optimal_pairing_does_not_mispair_similar_items():
    # The trap is real: the two names match each other under the fuzzy rule.
    assert fuzz.token_set_ratio("pre operative cbc", "pre operative bmp") >= 85
    gold = _preop_gold()
    p = {"items": [gold["items"][1], gold["items"][0], gold["items"][2]]}  # BMP, CBC, x-ray
    s = score_letter(p, gold)
    # 3 items x (treatment, decision) = 6 TP. Pairing in letter order would pair CBC with BMP and report
    # both decisions as wrong.
    assert counts(s) == (6, 0, 0)
    assert s.item_pairs == [(0, 1), (1, 0), (2, 2)]

    # With CBC missing, BMP must still pair with BMP rather than take the first similar gold item.
    p = {"items": [gold["items"][1]]}
    s = score_letter(p, gold)
    assert s.item_pairs == [(1, 0)]
    # BMP: 2 TP; CBC and x-ray: 2 x 2 FN.
    assert counts(s) == (2, 0, 4)


def test_identical_treatments_pair_in_letter_order():
    gold = {
        "items": [{"treatment": "Physical therapy", "quantity": 6}, {"treatment": "Physical therapy", "quantity": 8}]
    }
    s = score_letter(copy.deepcopy(gold), gold)
    assert s.item_pairs == [(0, 0), (1, 1)]
    assert counts(s) == (4, 0, 0)


def test_best_pairing_beats_greedy_best_first():
    # Greedy best-first takes (0, 0) at 0.95 and strands row 1, whose only partner is column 0.
    assert best_pairing([[0.95, 0.94], [0.93, None]]) == [(0, 1), (1, 0)]
    assert best_pairing([[None, None], [None, None]]) == []
    assert best_pairing([]) == []
    assert best_pairing([[0.5, 0.9, 0.1]]) == [(0, 1)]  # rectangular


def test_best_pairing_is_optimal_on_random_matrices():
    rng = random.Random(7)
    for _ in range(300):
        rows, cols = rng.randint(1, 5), rng.randint(1, 5)
        w = [[(round(rng.random(), 3) if rng.random() < 0.7 else None) for _ in range(cols)] for _ in range(rows)]
        got = best_pairing(w)
        assert len({i for i, _ in got}) == len(got) == len({j for _, j in got})
        assert all(w[i][j] is not None for i, j in got)
        best = 0.0
        for perm in itertools.permutations(range(max(rows, cols)), rows):
            best = max(best, sum(w[i][j] for i, j in enumerate(perm) if j < cols and w[i][j] is not None))
        assert sum(w[i][j] for i, j in got) == pytest.approx(best)


# ---------------------------------------------------------------------------------- suites, baselines


def test_counts_zero_denominators():
    assert (FieldCounts().precision, FieldCounts().recall, FieldCounts().f1) == (1.0, 1.0, 1.0)
    c = FieldCounts(fn=2, missing=2)
    assert (c.precision, c.recall, c.f1) == (1.0, 0.0, 0.0)
    c = FieldCounts(fp=1, hallucinated=1)
    assert (c.precision, c.recall, c.f1) == (0.0, 1.0, 0.0)
    c = FieldCounts(tp=3, fp=1, fn=2)
    assert (c.precision, c.recall, c.f1) == (pytest.approx(0.75), pytest.approx(0.6), pytest.approx(6 / 9))


def _wrong_date() -> LetterScore:
    p = pred()
    p["dates"]["injury"] = "2016-01-03"
    return score_letter(p, GOLD, "wrong-date")  # 30 TP, 1 FP, 1 FN


def _missing_item() -> LetterScore:
    p = pred()
    del p["items"][1]
    return score_letter(p, GOLD, "missing-item")  # 22 TP, 0 FP, 9 FN


def test_suite_is_micro_averaged():
    suite = score_suite([_wrong_date(), _missing_item()])
    # Summed counts: 52 TP, 1 FP, 10 FN -> F1 = 104 / (104 + 11).  (The mean of the letters' F1s would be
    # (60/62 + 44/53) / 2, a different number.)
    assert counts(suite) == (52, 1, 10)
    assert suite.overall.f1 == pytest.approx(104 / 115)
    assert counts(suite, "dates.injury") == (1, 1, 1)
    assert counts(suite, "items.treatment") == (3, 0, 1)
    assert [letter.name for letter in suite.letters] == ["wrong-date", "missing-item"]
    assert [letter.overall.f1 for letter in suite.letters] == [pytest.approx(60 / 62), pytest.approx(44 / 53)]
    assert list(suite.per_field) == list(FIELD_NAMES)


def test_suite_round_trips_through_json():
    suite = score_suite([_wrong_date(), _missing_item()])
    text = suite.model_dump_json()
    data = json.loads(text)
    assert data["overall"]["f1"] == pytest.approx(104 / 115)  # derived values are written for readers
    again = SuiteScore.model_validate_json(text)
    assert again == suite
    assert again.letters[0].mismatches[0].gold == "2016-01-02"
    assert again.letters[1].item_pairs == [(0, 0)]
    assert compare_to_baseline(again, suite) == []


def test_regressions_against_baseline():
    baseline = score_suite([score_letter(pred(), GOLD, "a")])
    current = score_suite([_wrong_date()])
    regs = compare_to_baseline(current, baseline)
    # dates.injury 1.0 -> 0.0; overall 1.0 -> 60/62 (drop 0.032 > 0.01).
    assert [r.field for r in regs] == ["overall", "dates.injury"]
    assert regs[1] == Regression(field="dates.injury", baseline_f1=1.0, current_f1=0.0)
    assert regs[0].drop == pytest.approx(1 - 60 / 62)
    # A looser tolerance keeps the field but not the small overall drop.
    assert [r.field for r in compare_to_baseline(current, baseline, tolerance=0.05)] == ["dates.injury"]
    # Improvements are never regressions.
    assert compare_to_baseline(baseline, current) == []
    # Comparing against a baseline reloaded from JSON gives the same answer.
    reloaded = SuiteScore.model_validate_json(baseline.model_dump_json())
    assert compare_to_baseline(current, reloaded) == regs


# ------------------------------------------------------------------------------------ real gold files


def _gold_dir() -> Path | None:
    for candidate in (_REPO.parent / "shared" / "gold", Path("/work/shared/gold")):
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    return None


_GOLD_FILES = sorted(_gold_dir().glob("*.json")) if _gold_dir() else []


@pytest.mark.shared
@pytest.mark.skipif(not _GOLD_FILES, reason="no gold files: ../shared/gold (or /work/shared/gold) is absent")
@pytest.mark.parametrize("path", _GOLD_FILES, ids=[p.stem for p in _GOLD_FILES])
def test_each_gold_file_scores_perfectly_against_itself(path):
    gold = json.loads(path.read_text(encoding="utf-8"))
    s = score_letter(copy.deepcopy(gold), gold, path.stem)
    assert s.mismatches == []
    assert s.overall.tp > 0 and s.overall.fp == 0 and s.overall.fn == 0
    assert s.overall.f1 == 1.0
    # Reversed item and citation order must not matter: pairing is by content, not position.
    shuffled = copy.deepcopy(gold)
    shuffled["items"].reverse()
    for item in shuffled["items"]:
        item["guidelines"].reverse()
        item["ca_guidelines"].reverse()
    assert score_letter(shuffled, gold).overall == s.overall
