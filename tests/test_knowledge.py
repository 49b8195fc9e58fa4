"""Shape and fact checks for the versioned knowledge data files in imrassist/knowledge/.

The validators below are plain functions so that the tests can also show they reject bad rows
(see the ``test_validator_rejects_*`` tests): a check that cannot fail proves nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

KNOWLEDGE = Path(__file__).resolve().parents[1] / "imrassist" / "knowledge"
FILES = ["guidelines.json", "documents.json", "mtus_topics.json", "glossary.json", "states.json"]
VERSION_RE = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")
SOURCES = {"MTUS", "ACOEM", "ODG", "OTHER"}
LIMIT_KINDS = {"limit", "trial", "frequency", "duration"}
CP = "Chronic Pain Medical Treatment Guidelines"
CPMTG_2009_PAGES = 127


def load(name: str) -> dict:
    with open(KNOWLEDGE / name, encoding="utf-8") as fh:
        return json.load(fh)


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


# ----------------------------------------------------------------------------- validators
def validate_limit(lim: dict) -> None:
    for key in ("min", "max", "unit", "quote", "context", "kind"):
        assert key in lim, f"limit lacks {key!r}: {lim}"
    mn, mx = lim["min"], lim["max"]
    assert mn is not None or mx is not None, f"limit has neither min nor max: {lim}"
    for v in (mn, mx):
        assert v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0), f"bad bound {v!r}: {lim}"
    if mn is not None and mx is not None:
        assert mn <= mx, f"min > max: {lim}"
    assert isinstance(lim["unit"], str) and lim["unit"] and lim["unit"] == lim["unit"].lower(), lim
    assert isinstance(lim["quote"], str) and lim["quote"].strip(), lim
    assert lim["kind"] in LIMIT_KINDS, lim
    if "period_weeks" in lim:
        assert isinstance(lim["period_weeks"], int) and lim["period_weeks"] > 0, lim


def validate_guideline_row(row: dict) -> None:
    required = {"id": str, "source": str, "document": str, "topic": str, "aliases": list, "limits": list,
                "verified": bool, "max_severity": str, "source_ref": str}
    for key, typ in required.items():
        assert key in row, f"row lacks {key!r}: {row.get('id')}"
        assert isinstance(row[key], typ), f"{row.get('id')}: {key} should be {typ.__name__}"
    assert "edition" in row and (row["edition"] is None or isinstance(row["edition"], int)), row["id"]
    assert "pages" in row, row["id"]
    assert row["source"] in SOURCES, row["id"]
    assert row["id"].strip() and row["topic"].strip() and row["document"].strip(), row["id"]
    assert row["source_ref"].strip(), f"{row['id']}: empty source_ref"
    assert all(isinstance(a, str) and a.strip() for a in row["aliases"]), row["id"]
    pages = row["pages"]
    if pages is not None:
        assert isinstance(pages, list) and len(pages) == 2, f"{row['id']}: pages must be [first, last] or null"
        first, last = pages
        assert isinstance(first, int) and isinstance(last, int) and 0 < first <= last, f"{row['id']}: {pages}"
        if row["document"] == CP and row["edition"] == 2009:
            assert last <= CPMTG_2009_PAGES, f"{row['id']}: the 2009 CPMTG has {CPMTG_2009_PAGES} pages"
    for lim in row["limits"]:
        validate_limit(lim)
    # The verified/unverified rule: only a verified row may back an error finding.
    if row["verified"]:
        assert row["max_severity"] == "error", row["id"]
    else:
        assert row["max_severity"] in {"warning", "info"}, f"{row['id']}: unverified row may not produce errors"
        assert row.get("confidence") in {"high", "medium", "low"}, row["id"]


# ----------------------------------------------------------------------------- all files
@pytest.mark.parametrize("name", FILES)
def test_file_loads_with_version_and_description(name):
    data = load(name)
    assert VERSION_RE.match(data["version"]), data["version"]
    assert isinstance(data["description"], str) and len(data["description"]) > 40


def test_all_files_share_one_version():
    assert len({load(n)["version"] for n in FILES}) == 1


# ----------------------------------------------------------------------------- guidelines.json
@pytest.fixture(scope="module")
def guidelines():
    return load("guidelines.json")["rows"]


def find(rows, document, edition, topic):
    hits = [r for r in rows if r["document"] == document and r["edition"] == edition and norm(r["topic"]) == norm(topic)]
    assert len(hits) == 1, f"expected one row for {document} {edition} {topic!r}, got {len(hits)}"
    return hits[0]


def test_guideline_rows_valid(guidelines):
    assert len(guidelines) >= 40
    for row in guidelines:
        validate_guideline_row(row)


def test_guideline_ids_unique(guidelines):
    dupes = [k for k, v in Counter(r["id"] for r in guidelines).items() if v > 1]
    assert not dupes, dupes


def test_guideline_topic_unique_per_document_edition(guidelines):
    keys = Counter((r["source"], r["document"], r["edition"], norm(r["topic"])) for r in guidelines)
    assert not [k for k, v in keys.items() if v > 1]


def test_guideline_aliases_unambiguous_within_document_edition(guidelines):
    seen: dict[tuple, str] = {}
    clashes = []
    for r in guidelines:
        if r["source"] != "MTUS" or r["document"] != CP:
            continue
        for a in r["aliases"]:
            key = (r["edition"], norm(a))
            if key in seen and seen[key] != r["id"]:
                clashes.append((a, seen[key], r["id"]))
            seen[key] = r["id"]
    assert not clashes, clashes


def test_required_cpmtg_2009_topics_present(guidelines):
    topics = {norm(r["topic"]) for r in guidelines if r["document"] == CP and r["edition"] == 2009}
    for t in ["Massage therapy", "Physical medicine", "Epidural steroid injections (ESIs)", "Opioids",
              "Opioids, criteria for use", "Opioids, long-term assessment",
              "NSAIDs (non-steroidal anti-inflammatory drugs)", "NSAIDs, GI symptoms & cardiovascular risk",
              "NSAIDs, specific drug list & adverse effects", "Muscle relaxants (for pain)", "Topical analgesics",
              "TENS, chronic pain (transcutaneous electrical nerve stimulation)", "Interferential Current Stimulation (ICS)",
              "Acupuncture", "Manual therapy & manipulation", "Aquatic therapy", "Functional restoration programs (FRPs)",
              "Antiepilepsy drugs (AEDs)", "Drug testing", "Biofeedback", "Psychological treatment",
              "Spinal cord stimulators (SCS)", "Work conditioning, work hardening", "Home health services",
              "Lidoderm® (lidocaine patch)", "Glucosamine (and Chondroitin Sulfate)"]:
        assert norm(t) in topics, t


def test_massage_therapy_page_60_four_to_six_visits(guidelines):
    row = find(guidelines, CP, 2009, "Massage therapy")
    assert row["pages"] == [60, 60]
    assert row["verified"] is True
    assert any(l["min"] == 4 and l["max"] == 6 and l["unit"] == "visit" and l["kind"] == "limit" for l in row["limits"])
    assert "myofascial release" in [a.lower() for a in row["aliases"]]


def test_physical_medicine_pages_98_99_and_visit_table(guidelines):
    row = find(guidelines, CP, 2009, "Physical medicine")
    assert row["pages"] == [98, 99]
    got = {(l["min"], l["max"], l.get("period_weeks")) for l in row["limits"] if l["unit"] == "visit"}
    assert {(9, 10, 8), (8, 10, 4), (None, 24, 16)} <= got
    assert any(l["kind"] == "frequency" and l["max"] == 3 for l in row["limits"])


def test_editions_kept_apart(guidelines):
    # The 2016 re-issue paginates differently and changed the CRPS figure; rows must not be merged.
    esi09 = find(guidelines, CP, 2009, "Epidural steroid injections (ESIs)")
    esi16 = find(guidelines, CP, 2016, "Epidural steroid injections (ESIs)")
    assert esi09["pages"] == [46, 46] and esi16["pages"] == [81, 81]
    pm16 = find(guidelines, CP, 2016, "Physical medicine treatment")
    crps16 = [l["max"] for l in pm16["limits"] if "CRPS" in l["context"]]
    assert crps16 == [26]
    assert pm16["pages"] is None


def test_manual_therapy_2009_trial_and_eighteen_visits(guidelines):
    row = find(guidelines, CP, 2009, "Manual therapy & manipulation")
    pairs = {(l["min"], l["max"], l["unit"]) for l in row["limits"]}
    assert (4, 6, "treatment") in pairs and (None, 18, "visit") in pairs


def test_acupuncture_2007_limits(guidelines):
    rows = [r for r in guidelines if r["document"] == "Acupuncture Medical Treatment Guidelines"]
    assert rows and all(r["edition"] == 2007 and r["pages"] is None for r in rows)
    lims = {(l["min"], l["max"], l["unit"]) for r in rows for l in r["limits"]}
    assert {(3, 6, "treatment"), (1, 3, "visit_per_week"), (1, 2, "month")} <= lims


def test_verified_rows_cite_at_least_two_sources(guidelines):
    for r in guidelines:
        if r["verified"]:
            assert r["source_ref"].count(";") >= 1, f"{r['id']}: a verified row names at least two sources"


def test_counts_of_verified_rows_are_plausible(guidelines):
    verified = [r for r in guidelines if r["verified"]]
    assert 1 <= len(verified) < len(guidelines)


# ----------------------------------------------------------------------------- documents.json
@pytest.fixture(scope="module")
def documents():
    return load("documents.json")


def resolve(docs, name, year=None):
    hits = [d for d in docs if norm(name) in {norm(a) for a in d["aliases"]}
            and (year is None or not d["years"] or year in d["years"])]
    assert len(hits) == 1, f"{name!r} ({year}) resolves to {[d['canonical'] for d in hits]}"
    return hits[0]["canonical"]


def all_documents(documents):
    return documents["documents"] + documents["mtus_acoem_2017"]


def test_document_rows_valid(documents):
    assert documents["documents"] and documents["mtus_acoem_2017"]
    for d in all_documents(documents):
        assert d["source"] in SOURCES
        assert d["kind"] in {"guideline", "acoem_chapter"}
        assert isinstance(d["years"], list) and all(isinstance(y, int) for y in d["years"])
        assert d["canonical"] in d["aliases"]
        assert d["source_ref"].strip()
        assert len({norm(a) for a in d["aliases"]}) == len(d["aliases"]), f"duplicate alias in {d['canonical']}"


def test_no_alias_names_two_documents_in_the_same_year(documents):
    seen = {}
    for d in all_documents(documents):
        for a in d["aliases"]:
            for y in d["years"] or [None]:
                key = (norm(a), y)
                assert key not in seen, f"{a!r} {y} names both {seen[key]} and {d['canonical']}"
                seen[key] = d["canonical"]


def test_mtus_documents_present(documents):
    names = {d["canonical"] for d in documents["documents"] if d["source"] == "MTUS"}
    for n in ["Chronic Pain Medical Treatment Guidelines", "Acupuncture Medical Treatment Guidelines",
              "Postsurgical Treatment Guidelines", "Opioids Treatment Guidelines", "General Approaches",
              "Neck and Upper Back Complaints", "Shoulder Complaints", "Elbow Complaints",
              "Forearm, Wrist, and Hand Complaints", "Low Back Complaints", "Knee Complaints",
              "Ankle and Foot Complaints", "Stress Related Conditions"]:
        assert n in names, n


def test_letter_spellings_resolve(documents):
    docs = all_documents(documents)
    cases = [("Chronic Pain Medical Treatment", 2016, "Chronic Pain Medical Treatment Guidelines"),
             ("Chronic Pain Treatment Guidelines", None, "Chronic Pain Medical Treatment Guidelines"),
             ("Chronic Pain Guidelines", 2016, "Chronic Pain Medical Treatment Guidelines"),
             ("Acupuncture Treatment", 2007, "Acupuncture Medical Treatment Guidelines"),
             ("Opioid Treatment", 2016, "Opioids Treatment Guidelines"),
             ("Forearm, Wrist and Hand Complaints", 2004, "Forearm, Wrist, and Hand Complaints"),
             ("Forearm, Wrist, & Hand Complaints", 2004, "Forearm, Wrist, and Hand Complaints"),
             ("Elbow Complaints", 2007, "Elbow Complaints"),
             ("Elbow Disorders", 2007, "Elbow Complaints"),
             ("Elbow Disorders", 2013, "Elbow Disorders"),
             ("Stress-Related Conditions", 2004, "Stress Related Conditions"),
             ("Neck & Upper Back Complaints", 2004, "Neck and Upper Back Complaints"),
             ("ODG", None, "Official Disability Guidelines")]
    for name, year, want in cases:
        assert resolve(docs, name, year) == want, name


def test_short_2017_names_kept_out_of_the_main_document_list(documents):
    # 'Opioids', 'Prevention' or 'Initial Approaches to Treatment' are section titles in 2013-2017 letters.
    main = {norm(a) for d in documents["documents"] for a in d["aliases"]}
    for name in ["Opioids", "Prevention", "Initial Approaches to Treatment", "Chronic Pain",
                 "Cornerstones of Disability Prevention and Management"]:
        assert norm(name) not in main, name
    later = {norm(d["canonical"]) for d in documents["mtus_acoem_2017"]}
    assert {"opioids", "chronic pain", "low back disorders"} <= later


def test_odg_chapters(documents):
    chapters = documents["odg_chapters"]
    canon = {c["canonical"] for c in chapters}
    for n in ["Ankle & Foot (Acute & Chronic)", "Carpal Tunnel Syndrome (Acute & Chronic)", "Elbow (Acute & Chronic)",
              "Forearm, Wrist, & Hand (Acute & Chronic)", "Head", "Hip & Pelvis (Acute & Chronic)",
              "Knee & Leg (Acute & Chronic)", "Low Back - Lumbar & Thoracic (Acute & Chronic)", "Mental Illness & Stress",
              "Neck and Upper Back (Acute & Chronic)", "Pain (Chronic)", "Shoulder (Acute & Chronic)",
              "Pulmonary (Acute & Chronic)", "Eye", "Preface", "Burns", "Hernia", "Traumatic Brain Injury (TBI)"]:
        assert n in canon, n
    index = {}
    for c in chapters:
        assert c["canonical"] in c["aliases"] and c["source_ref"].strip() and isinstance(c["verified"], bool)
        for a in c["aliases"]:
            assert norm(a) not in index or index[norm(a)] == c["canonical"], f"{a!r} is ambiguous"
            index[norm(a)] = c["canonical"]
    low_back = "Low Back - Lumbar & Thoracic (Acute & Chronic)"
    for seen_in_letters, want in [("Low Back- Lumbar & Thoracic", low_back),
                                  ("Low Back, Lumbar and Thoracic (Acute and Chronic)", low_back),
                                  ("Low Back Chapter", low_back), ("Low Back", low_back),
                                  ("Neck & Upper Back", "Neck and Upper Back (Acute & Chronic)"),
                                  ("Neck and Upper Back", "Neck and Upper Back (Acute & Chronic)"),
                                  ("Forearm, Wrist and Hand", "Forearm, Wrist, & Hand (Acute & Chronic)"),
                                  ("Shoulder (Acute and Chronic)", "Shoulder (Acute & Chronic)"),
                                  ("Shoulder Chapter", "Shoulder (Acute & Chronic)"),
                                  ("Knee", "Knee & Leg (Acute & Chronic)"),
                                  ("Ankle and Foot", "Ankle & Foot (Acute & Chronic)"),
                                  ("Pain Chapter", "Pain (Chronic)")]:
        assert index.get(norm(seen_in_letters)) == want, seen_in_letters


# ----------------------------------------------------------------------------- mtus_topics.json
@pytest.fixture(scope="module")
def topics():
    return load("mtus_topics.json")


def split_titles(text: str, known: set[str]) -> list[str]:
    """Reference splitter: split on commas, then greedily re-join pieces that form a known title."""
    parts = [p.strip() for p in text.split(",")]
    out, i = [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            cand = ", ".join(parts[i:j])
            if norm(cand) in known:
                out.append(cand)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return out


def test_topic_rows_valid(topics):
    rows = topics["rows"]
    assert len(rows) >= 60
    for r in rows:
        assert r["title"].strip() and r["document"].strip() and r["source_ref"].strip()
        assert isinstance(r["verified"], bool) and isinstance(r["editions"], list)
    keys = Counter((r["document"], norm(r["title"])) for r in rows)
    assert not [k for k, v in keys.items() if v > 1]


def test_comma_titles_are_listed(topics):
    comma = {norm(t) for t in topics["comma_titles"]}
    for t in ["TENS, chronic pain (transcutaneous electrical nerve stimulation)",
              "NSAIDs, GI symptoms & cardiovascular risk", "CRPS, diagnostic tests", "Opioids, criteria for use",
              "Forearm, Wrist, and Hand Complaints"]:
        assert norm(t) in comma, t
    for r in topics["rows"]:
        if "," in r["title"]:
            assert norm(r["title"]) in comma, r["title"]


def test_comma_title_vs_list_of_titles(topics):
    known = {norm(r["title"]) for r in topics["rows"]} | {norm(t) for t in topics["comma_titles"]}
    assert split_titles("Diagnostic Criteria, Special Studies, Summary", known) == \
        ["Diagnostic Criteria", "Special Studies", "Summary"]
    assert split_titles("TENS, chronic pain (transcutaneous electrical nerve stimulation)", known) == \
        ["TENS, chronic pain (transcutaneous electrical nerve stimulation)"]
    assert split_titles("NSAIDs, GI symptoms & cardiovascular risk, Opioids, criteria for use", known) == \
        ["NSAIDs, GI symptoms & cardiovascular risk", "Opioids, criteria for use"]
    assert norm("Diagnostic Criteria, Special Studies, Summary") not in known


def test_topic_variants_point_to_titles(topics):
    titles = {norm(r["title"]) for r in topics["rows"]}
    for wrong, right in topics["variants"].items():
        assert norm(right) in titles, (wrong, right)


# ----------------------------------------------------------------------------- glossary.json
@pytest.fixture(scope="module")
def glossary():
    return load("glossary.json")["rows"]


def test_glossary_shape(glossary):
    assert len(glossary) >= 60
    for r in glossary:
        assert r["term"].strip() and r["match"] and all(m.strip() for m in r["match"])
        for lang in ("en", "es"):
            assert r[lang].strip(), (r["term"], lang)
            assert len(r[lang].split()) <= 10, (r["term"], lang, r[lang])
    terms = Counter(norm(r["term"]) for r in glossary)
    assert not [t for t, n in terms.items() if n > 1]


def test_glossary_match_strings_unambiguous(glossary):
    owners = Counter(norm(m) for r in glossary for m in r["match"])
    assert not [m for m, n in owners.items() if n > 1]


def test_glossary_covers_required_terms(glossary):
    matches = {norm(m) for r in glossary for m in r["match"]}
    for m in ["MRI", "EMG", "NCV", "NCS", "TENS unit", "E-stim", "physical therapy", "chiropractic", "acupuncture",
              "massage", "myofascial release", "arthroscopy", "SLAP repair", "rotator cuff repair", "acromioplasty",
              "bone scan", "SSEP", "urine drug test", "topical analgesic", "compounded cream", "NSAID",
              "muscle relaxant", "opioid", "gabapentin", "cyclobenzaprine", "Voltaren", "diclofenac", "naproxen",
              "tramadol", "cold therapy unit", "sling", "medical clearance", "EKG", "CBC", "BMP", "PT/PTT",
              "chest x-ray", "assistant surgeon", "consult", "shockwave therapy", "functional restoration",
              "aquatic therapy", "home exercise", "radiculopathy", "utilization review", "independent medical review",
              "claims administrator", "Workers' Compensation Appeals Board", "Information & Assistance officer",
              "medically necessary", "epidural steroid injection", "ESI"]:
        assert norm(m) in matches, m


def test_spanish_is_not_english(glossary):
    same = [r["term"] for r in glossary if norm(r["en"]) == norm(r["es"])]
    assert not same
    assert sum(any(ch in r["es"] for ch in "áéíóúñ¿¡") for r in glossary) >= 15


# ----------------------------------------------------------------------------- states.json
def test_states():
    rows = load("states.json")["rows"]
    assert len(rows) == 51
    codes = [r["code"] for r in rows]
    names = [r["name"] for r in rows]
    assert len(set(codes)) == 51 and len(set(names)) == 51
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)
    by_name = dict(zip(names, codes))
    assert by_name["California"] == "CA" and by_name["District of Columbia"] == "DC"
    assert by_name["Texas"] == "TX" and by_name["Ohio"] == "OH" and by_name["North Carolina"] == "NC"


# ----------------------------------------------------------------------------- the validators can fail
def good_row() -> dict:
    return {"id": "x", "source": "MTUS", "document": CP, "edition": 2009, "topic": "Massage therapy",
            "aliases": ["massage"], "pages": [60, 60],
            "limits": [{"min": 4, "max": 6, "unit": "visit", "quote": "4-6 visits", "context": "c", "kind": "limit"}],
            "verified": True, "max_severity": "error", "source_ref": "a; b"}


def test_validator_accepts_good_row():
    validate_guideline_row(good_row())


@pytest.mark.parametrize("mutate", [
    lambda r: r.update(pages=[99, 98]),
    lambda r: r.update(pages=[200, 201]),
    lambda r: r.update(source_ref=" "),
    lambda r: r["limits"][0].update(min=7),
    lambda r: r["limits"][0].update(min=None, max=None),
    lambda r: r.update(verified=False, confidence="high"),          # unverified yet error-producing
    lambda r: r.update(source="UpToDate"),
    lambda r: r.pop("edition"),
])
def test_validator_rejects_bad_rows(mutate):
    row = good_row()
    mutate(row)
    with pytest.raises(AssertionError):
        validate_guideline_row(row)
