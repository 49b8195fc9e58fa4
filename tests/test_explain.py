"""The worker explanation (template backend, English and Spanish) and the reviewer summary, over every sample
letter: items and outcomes stated, the appeal right present, reading grade on target, and nothing stated that
the record cannot vouch for."""

from __future__ import annotations

import json
import re
import statistics
from functools import lru_cache
from pathlib import Path

import pytest

from imrassist.errors import ImrassistError
from imrassist.explain import ExplanationResult, explain, summarize
from imrassist.explain.phrases import PHRASES, STATUTORY_NUMBERS
from imrassist.explain.plain import clean_name, gloss_terms, record_numbers, usual_record_numbers
from imrassist.explain.readability import measure
from imrassist.explain.summary import citation_line
from imrassist.explain.template import self_check
from imrassist.extract import extract
from imrassist.letter import read_letter
from imrassist.models import CaseRecord
from imrassist.parse import find_dates
from tests.shared_data import REPO, SAMPLE, SHARED

HAVE_LETTERS = (SHARED / "letters").is_dir()


def _letters() -> list[Path]:
    paths = [SAMPLE]
    if HAVE_LETTERS:
        paths += sorted(p for p in (SHARED / "letters").glob("*.txt") if p.name != SAMPLE.name)
    return paths


LETTERS = _letters()
IDS = [p.stem for p in LETTERS]


@lru_cache(maxsize=None)
def _record(path: str) -> CaseRecord:
    return extract(read_letter(path))


@lru_cache(maxsize=None)
def _explained(path: str, lang: str) -> ExplanationResult:
    return explain(_record(path), lang=lang)


def _without_glosses(text: str, lang: str) -> str:
    for g in gloss_terms():
        text = text.replace(f" ({g.en if lang == 'en' else g.es})", "")
    return text


def test_shared_letters_present_or_skipped() -> None:
    if not HAVE_LETTERS:
        pytest.skip(f"real sample letters not found at {SHARED} (set IMRASSIST_SHARED); only the seed letter is used")
    assert len(LETTERS) > 1


# ------------------------------------------------------------------------------------------ per letter


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_every_item_and_its_outcome_is_stated(path: Path, lang: str) -> None:
    record = _record(str(path))
    res = _explained(str(path), lang)
    p = PHRASES[lang]
    assert record.items, "the extractor found no items"
    lines = _without_glosses(res.text, lang).splitlines()
    for it in record.items:
        name = clean_name(it.treatment.value, lang).text
        outcome = p["outcome"][it.decision.value]
        hits = [i for i, line in enumerate(lines) if name in line]
        assert hits, f"item {name!r} is not named in the {lang} explanation"
        i = hits[0]
        line = lines[i]
        if line.startswith("**"):
            assert line.endswith(f": {outcome}.**"), f"{name!r}: outcome {outcome!r} not on its line: {line!r}"
        else:
            assert line.startswith("- "), line
            assert re.search(rf": {re.escape(outcome)}\.(?: |$)", line), f"{name!r}: outcome {outcome!r} not on {line!r}"


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_appeal_right_and_next_steps(path: Path, lang: str) -> None:
    text = _explained(str(path), lang).text
    if lang == "en":
        assert "Workers' Compensation Appeals Board" in text
        assert "within 30 days of the date the decision was mailed to you" in text
        assert "verified appeal" in text and "Information & Assistance officer" in text and "attorney" in text
    else:
        assert "Junta de Apelaciones de Compensación de Trabajadores" in text
        assert "dentro de los 30 días" in text and "por correo" in text
        assert "apelación verificada" in text and "Información y Asistencia" in text and "abogado" in text
    record = _record(str(path))
    if any(i.decision.value == "overturned" for i in record.items):
        assert ("5 working days" if lang == "en" else "5 días hábiles") in text
    if any(i.decision.value == "upheld" for i in record.items):
        assert ("new request" if lang == "en" else "nueva solicitud") in text


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_reading_grade_on_target(path: Path, lang: str) -> None:
    res = _explained(str(path), lang)
    assert res.grade is not None and res.grade <= 6.0, f"{lang} grade {res.grade:.2f} ({res.readability_formula})"
    if lang == "es":
        assert res.readability_formula == "fernandez_huerta" and res.readability_score >= 70
    assert not [w for w in res.warnings if "grade" in w]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_states_only_what_the_record_holds(path: Path, lang: str) -> None:
    record = _record(str(path))
    res = _explained(str(path), lang)
    assert self_check(res.text, record) == []
    assert not [w for w in res.warnings if "does not hold" in w]
    # every date it states is a date of the record (a value, or a date written inside a quoted value)
    allowed = set()
    for m in re.finditer(r"\d{4}-\d{2}-\d{2}", record.model_dump_json()):
        allowed.add(m.group(0))
    for s in re.findall(r'"(?:quote|value)":\s*"((?:[^"\\]|\\.)*)"', record.model_dump_json()):
        allowed.update(d.date.isoformat() for d in find_dates(s))
    stated = find_dates(res.text, dmy=lang == "es")
    for d in stated:
        assert d.date.isoformat() in allowed, f"{d.text!r} is not a date of the record"
    # numbers: none beyond the record and the statutory deadlines
    nums = {float(n) for n in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])", res.text)}
    extra = nums - record_numbers(record) - {float(x) for x in STATUTORY_NUMBERS}
    assert not extra, f"numbers not in the record: {sorted(extra)}"


@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_spanish_dates_are_in_spanish(path: Path) -> None:
    en = _explained(str(path), "en").text
    es = _explained(str(path), "es").text
    months_en = "|".join(PHRASES["en"]["months"])
    assert not re.search(rf"\b(?:{months_en}) \d{{1,2}}, \d{{4}}", es), "an English date in the Spanish text"
    en_dates = {d.date for d in find_dates(en)}
    es_dates = {d.date for d in find_dates(es, dmy=True) if d.style == "dmy_name"}
    assert en_dates == es_dates
    for d in en_dates:
        assert f"{d.day} de {PHRASES['es']['months'][d.month - 1]} de {d.year}" in es


@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_summary_has_every_item_and_citation(path: Path) -> None:
    record = _record(str(path))
    text = summarize(record).replace("\\", "")
    for k, it in enumerate(record.items, 1):
        assert f"## {k}. {' '.join(it.treatment.value.split())} — {it.decision.value.upper()}" in text
        for c in it.guidelines + it.ca_guidelines:
            assert citation_line(c) in text
    if record.worker.age is not None:
        assert f"{record.worker.age.value} y/o" in text
    if record.dates.injury is not None:
        assert record.dates.injury.value.strftime("%m/%d/%Y") in text


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_the_checks_find_nothing_wrong(path: Path, lang: str) -> None:
    """The deterministic explanation checks (imrassist.checks), when present, raise no error and no
    readability warning on our own explanations."""
    checks = pytest.importorskip("imrassist.checks", reason="imrassist.checks is not in this build yet")
    if not hasattr(checks, "check"):
        pytest.skip("imrassist.checks has no check() yet")
    letter = read_letter(str(path))
    res = _explained(str(path), lang)
    report = checks.check(letter, record=None, explanation=res.text, lang=lang)
    bad = [f for f in report.findings if f.severity == "error" or f.kind == "readability"]
    assert not bad, "\n".join(f"{f.kind} {f.code}: {f.message}" for f in bad)


def test_readability_over_the_samples() -> None:
    """Median and maximum grade per language, written to artifacts/readability.json for the record."""
    figures = {}
    for lang in ("en", "es"):
        grades = [_explained(str(p), lang).grade for p in LETTERS]
        figures[lang] = {"letters": len(grades), "median": round(statistics.median(grades), 2),
                         "max": round(max(grades), 2)}
        assert max(grades) <= 6.0, figures
    out = REPO / "artifacts" / "readability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nreadability: {figures}")


# ------------------------------------------------------------------------------------------ the seed


def test_seed_explanation_reads_as_expected() -> None:
    en = _explained(str(SAMPLE), "en").text
    assert "You were hurt at work on October 19, 2012." in en
    assert "33-year-old man" in en
    assert "On December 27, 2013, the claims administrator said no" in en
    assert "**6 sessions of PUSH therapy: approved.**" in en
    assert "California's treatment guidelines (MTUS, page 60)" in en
    assert "4 to 6 visits" in en
    es = _explained(str(SAMPLE), "es").text
    assert "el 19 de octubre de 2012" in es and "un hombre de 33 años" in es
    assert ": aprobado.**" in es and "página 60" in es


def test_self_check_flags_an_invented_number() -> None:
    record = _record(str(SAMPLE))
    assert self_check("You asked for 99 sessions.", record)
    assert self_check("You asked for 6 sessions within 30 days.", record) == []


@pytest.mark.parametrize("path", LETTERS, ids=IDS)
def test_usual_record_numbers_are_record_numbers(path: Path) -> None:
    # self_check trusts the quick lookup without walking the record: it must never vouch for more
    record = _record(str(path))
    usual = usual_record_numbers(record)
    assert usual and usual <= record_numbers(record)
    for d in (record.dates.injury, record.dates.ur_decision):
        if d is not None:
            assert float(d.value.year) in usual


def test_self_check_falls_back_to_the_whole_record() -> None:
    # a number only a rationale or a quote holds is still vouched for (the walk after the quick lookup)
    record = _record(str(SAMPLE))
    rare = sorted(record_numbers(record) - usual_record_numbers(record))
    assert rare
    assert self_check(f"The letter mentions {rare[-1]:g}.", record) == []


def test_missing_values_leave_sentences_out() -> None:
    record = _record(str(SAMPLE)).model_copy(deep=True)
    record.dates.injury = None
    record.worker.age = None
    record.items[0].limit = None
    text = explain(record).text
    assert "hurt at work" not in text and "year-old" not in text and "allow" not in text
    assert "describes you as a man" in text


def test_many_items_are_grouped() -> None:
    record = _record(str(SAMPLE)).model_copy(deep=True)
    base = record.items[0]
    items = []
    for k in range(21):
        it = base.model_copy(deep=True)
        it.treatment = it.treatment.model_copy(update={"value": f"Item number {k} OF PUSH THERAPY"})
        it.decision = it.decision.model_copy(update={"value": "upheld" if k % 3 else "overturned"})
        it.medically_necessary = it.medically_necessary.model_copy(update={"value": not (k % 3)})
        items.append(it)
    record.items = items
    text = explain(record).text
    assert "### What is approved" in text and "### What is still denied" in text
    assert text.count(": approved.\n") == 7 and text.count(": still denied.\n") == 14
    assert text.count("Why:") == 2  # items sharing a reason share one "Why"
    assert text.count("**What happens next:**") == 2  # one per outcome group when outcomes differ


def test_inconsistent_letter_follows_the_decision_and_warns() -> None:
    record = _record(str(SAMPLE)).model_copy(deep=True)
    record.items[0].medically_necessary = record.items[0].medically_necessary.model_copy(update={"value": False})
    res = explain(record)
    assert ": approved.**" in res.text and "not medically necessary" not in res.text
    assert any("decision is overturned" in w for w in res.warnings)


def test_bad_backend_and_language() -> None:
    record = _record(str(SAMPLE))
    with pytest.raises(ImrassistError):
        explain(record, lang="fr")
    with pytest.raises(ImrassistError):
        explain(record, backend="nope")


def test_llm_backend_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "imrassist.explain.llm", None)  # as if the module were not there
    with pytest.raises(ImrassistError, match="not available"):
        explain(_record(str(SAMPLE)), backend="llm")


def test_result_is_json_ready() -> None:
    res = _explained(str(SAMPLE), "es")
    data = res.model_dump(exclude={"text"})
    assert data["lang"] == "es" and data["backend"] == "template" and data["target_grade"] == 6.0
    json.dumps(data)


def test_textstat_language_is_restored() -> None:
    import textstat

    measure("Usted se lastimó en el trabajo.", "es")
    assert getattr(textstat.textstat, "_textstatistics__lang") == "en_US"
