"""Explanation checks: the shared hand-written cases, faithful explanations of every sample letter, and
the phrasing the checks must read right (negation, Spanish, Markdown lists, deadlines)."""

from __future__ import annotations

import pytest

from imrassist.checks import check, reference_record
from imrassist.checks.common import detect_lang, find_counts, strip_markdown
from imrassist.letter import read_letter

from tests.test_checks_helpers import (
    SEED, SHARED, describe, error_kinds, errors, faithful_explanation, letter, letter_names, manifest,
    needs_explanations, needs_letters, reference,
)

# ------------------------------------------------------------------------------------ the shared cases


@needs_explanations
@pytest.mark.parametrize("case", manifest(), ids=lambda c: c["file"])
def test_manifest_case(case):
    """Clean cases give no error; each bad case gives an error of its planted kind (``expect: error``)."""
    text = (SHARED / "explanations" / case["file"]).read_text()
    report = check(letter(case["letter"]), explanation=text)
    if case["expect"] == "clean":
        assert not errors(report), describe(report)
    else:
        assert case["expect"] == "error"
        assert case["kind"] in error_kinds(report), f"{case['planted']}\n{describe(report)}"
        hit = next(f for f in errors(report) if f.kind == case["kind"])
        assert hit.explanation_span is not None or case["kind"] == "missing"


@needs_explanations
def test_manifest_findings_point_at_the_planted_words():
    cases = {c["file"]: c for c in manifest()}
    spots = {
        "seed-2013-push-therapy.bad-count-1.md": ("count", "8 sessions"),
        "seed-2013-push-therapy.bad-page-1.md": ("page", "page 58"),
        "seed-2013-push-therapy.bad-deadline-1.md": ("deadline", "60 days"),
        "CM17-0006287.bad-count-1.md": ("count", "5 mm"),
        "CM17-0010021.bad-count-1.md": ("count", "three-month"),
        "CM17-0010021.bad-demographic-1.md": ("demographic", "45-year-old"),
        "CM17-0006287.bad-date-1.md": ("date", "December 19, 2016"),
    }
    for name, (kind, words) in spots.items():
        if name not in cases:
            continue
        text = (SHARED / "explanations" / name).read_text()
        report = check(letter(cases[name]["letter"]), explanation=text)
        f = next(f for f in errors(report) if f.kind == kind)
        s, e = f.explanation_span
        assert words in text[max(0, s - 2):e + 8], (name, text[s:e])


# ------------------------------------------------------------------------------- faithful explanations


@needs_letters
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", letter_names())
def test_faithful_explanation_has_no_error(name, lang):
    text = faithful_explanation(reference(name), lang)
    report = check(letter(name), explanation=text)
    assert not errors(report), describe(report) + "\n" + text
    assert not [f for f in report.findings if f.severity == "warning" and f.kind != "readability"], describe(report)


def test_faithful_explanation_of_the_committed_seed():
    lt = read_letter(SEED)
    for lang in ("en", "es"):
        report = check(lt, explanation=faithful_explanation(reference_record(lt), lang))
        assert not errors(report), describe(report)


# ---------------------------------------------------------------------------------------------- phrasing


@pytest.fixture(scope="module")
def seed():
    return read_letter(SEED)  # one item, Overturned; injury 2012-10-19; UR 2013-12-27; page 60; 4-6 visits


APPEAL = ("If you disagree, you may appeal to the Workers' Compensation Appeals Board within 30 days of the "
          "date the decision was mailed to you.")


def _kinds(lt, text, lang="auto"):
    return error_kinds(check(lt, explanation=text, lang=lang))


@pytest.mark.parametrize("sentence, ok", [
    ("PUSH therapy: approved.", True),
    ("PUSH therapy: still denied.", False),
    ("PUSH therapy: not approved.", False),
    ("The reviewer agreed that you should get the PUSH therapy.", True),
    ("The reviewer agreed with the denial of the PUSH therapy.", False),
    ("The reviewer did not agree with the denial.", True),
    ("The reviewer disagreed with the denial.", True),
    ("The PUSH therapy was not found medically necessary.", False),
    ("The reviewer found the PUSH therapy medically necessary.", True),
    ("The earlier denial was overturned.", True),
    ("The denial stands.", False),
    ("The IMR upheld the denial.", False),
    ("Utilization review denied the request on December 27, 2013. The reviewer found it medically necessary.", True),
    ("Approved means you can now get it. PUSH therapy: approved.", True),
    # what the worker may now do, said of a named item
    ("You can now get the 6 sessions of PUSH therapy.", True),
    ("You cannot get the PUSH therapy.", False),
    ("You will not receive the PUSH therapy.", False),
    # ... and sentences of that shape that decide nothing
    ("You can get free help. PUSH therapy: approved.", True),
    ("PUSH therapy: approved. You will not get a bill for the PUSH therapy.", True),
    ("PUSH therapy: approved. If things change, you can get more PUSH therapy later with a new request.", True),
])
def test_outcome_statements(seed, sentence, ok):
    kinds = _kinds(seed, f"{sentence} {APPEAL}")
    assert ("decision" not in kinds) == ok, kinds


@pytest.mark.parametrize("sentence, ok", [
    ("Terapia PUSH: aprobado.", True),
    ("Terapia PUSH: sigue negado.", False),
    ("Terapia PUSH: no aprobado.", False),
    ("El revisor estuvo de acuerdo con la negación.", False),
    ("El revisor no estuvo de acuerdo con la negación.", True),
    ("El revisor encontró que la terapia no es médicamente necesaria.", False),
    ("La negación fue anulada.", True),
    ("Lo que sigue negado: puede pedirlo de nuevo. Terapia PUSH: aprobado.", True),
])
def test_spanish_outcome_statements(seed, sentence, ok):
    text = (f"{sentence} Si no está de acuerdo, puede apelar ante la Junta de Apelaciones de Compensación de "
            f"Trabajadores dentro de los 30 días a partir de la fecha en que se le envió por correo la decisión.")
    assert detect_lang(text) == "es"
    assert ("decision" not in _kinds(seed, text)) == ok


@pytest.mark.parametrize("sentence, kind", [
    ("You were hurt at work on 10/19/2012.", None),
    ("You were hurt at work on Oct. 19, 2012.", None),
    ("You were hurt at work on 2012-10-19.", None),
    ("You were hurt at work on October 19, 2013.", "date"),
    ("You were hurt at work on December 27, 2013.", "date"),  # the UR date in the injury role
    ("On 12/27/2013 the utilization review said no.", None),
    ("On October 19, 2012 the utilization review said no.", "date"),
    ("Your doctor asked for six sessions.", None),
    ("Your doctor asked for 8 sessions.", "count"),
    ("The guidelines allow 4 to 6 visits.", None),
    ("The guidelines allow 4 to 8 visits.", "count"),
    ("The guidelines (MTUS, p. 60) support massage.", None),
    ("The guidelines (MTUS, page 58) support massage.", "page"),
    ("The ODG guidelines support massage.", "guideline"),
    ("You are a 33-year-old man.", None),
    ("You are a 34-year-old man.", "demographic"),
    ("You are a 33-year-old woman.", "demographic"),
    ("Your doctor asked for acupuncture.", "treatment"),
    ("The claims administrator must authorize it within 5 working days.", None),
    ("The claims administrator must authorize it within 30 days.", "deadline"),
])
def test_facts_in_sentences(seed, sentence, kind):
    text = f"PUSH therapy: approved. {sentence} {APPEAL}"
    kinds = _kinds(seed, text)
    if kind is None:
        assert not kinds, describe(check(seed, explanation=text))
    else:
        assert kind in kinds, describe(check(seed, explanation=text))


@pytest.mark.parametrize("appeal, kind", [
    (APPEAL, None),
    ("You may appeal to the WCAB within thirty days of the mailing date.", None),
    ("You may appeal to the Workers' Compensation Appeals Board. You have 30 days from the date it was mailed.", None),
    ("You may appeal to the Workers' Compensation Appeals Board within 60 days of the mailing date.", "deadline"),
    ("You may appeal to the WCAB within one month of the mailing date.", "deadline"),
    ("You may appeal to the Workers' Compensation Appeals Board.", "missing"),
    ("Ask your doctor if you have questions.", "missing"),
])
def test_appeal_right(seed, appeal, kind):
    text = f"PUSH therapy: approved. The claims administrator must now authorize it. {appeal}"
    kinds = _kinds(seed, text)
    assert kinds == ({kind} if kind else set()), describe(check(seed, explanation=text))


def test_missing_outcome_and_next_step(seed):
    report = check(seed, explanation=f"You were hurt at work on October 19, 2012. {APPEAL}")
    codes = {f.code: f.severity for f in report.findings}
    assert codes["EXPLANATION_MISSING_OUTCOME"] == "error"
    assert codes["EXPLANATION_MISSING_NEXT_STEP"] == "warning"


@needs_letters
def test_markdown_lists_of_items_under_one_outcome():
    """"These are approved:" followed by a list applies to the listed items only."""
    name = "CM17-0007142"  # 9 items, 5 Overturned, 4 Upheld
    approved = [f for f in reference(name).items if f.decision.value == "overturned"]
    denied = [f for f in reference(name).items if f.decision.value == "upheld"]
    lines = ["## The decision", "", "**These are approved:**", ""]
    lines += [f"- {it.treatment.value}." for it in approved]
    lines += ["", "Why: the records supported them. So they are medically necessary.", "",
              "**These are still denied:**", ""]
    lines += [f"- {it.treatment.value}." for it in denied]
    lines += ["", "Why: so they are not medically necessary.", "", "## What happens next", "",
              "What was approved: the claims administrator must authorize it within 5 working days. "
              "What is still denied: the denial stands.", "", APPEAL]
    text = "\n".join(lines)
    report = check(letter(name), explanation=text)
    assert not errors(report), describe(report)
    swapped = text.replace("**These are approved:**", "**These are still denied:**", 1)
    report = check(letter(name), explanation=swapped)
    wrong = [f for f in errors(report) if f.kind == "decision"]
    assert len({f.span for f in wrong}) == len(approved)


@needs_letters
def test_treatment_named_by_a_synonym_is_not_a_treatment_error():
    name = "CM17-0006287"  # Lumbar Spine Epidural Injection at L4-5 under fluoroscopy
    for phrase in ("Epidural steroid injection (ESI)", "The shot in your low back", "Lumbar ESI at L4-5"):
        text = f"**{phrase}: still denied.** The denial stands. {APPEAL}"
        assert "treatment" not in _kinds(letter(name), text), phrase
    text = f"**Lumbar facet joint injection: still denied.** The denial stands. {APPEAL}"
    assert "treatment" in _kinds(letter(name), text)


@pytest.mark.parametrize("sentence, flagged", [
    # a treatment the letter does not decide, named in a sentence that states an outcome
    ("The expert approved six sessions of chiropractic care.", True),
    ("An MRI of your lower back was approved by the expert.", True),
    ("So the reviewer said yes to acupuncture, because the guidelines allow it.", True),
    ("The expert approved the request for a TENS unit.", True),
    # the letter's own item, however it is named, and sentences that decide nothing new
    ("The expert approved the 6 sessions of PUSH therapy.", False),
    ("The PUSH therapy was approved, so you can get this care.", False),
    ("Your request was approved. The claims administrator must authorize it within 5 working days.", False),
    ("The expert approved the therapy even though you had an epidural injection planned.", False),
    # about the first review (utilization review), as the letter tells it
    ("Utilization review denied the PUSH therapy because of the pending lumbar epidural steroid injection.", False),
])
def test_a_treatment_named_in_an_outcome_sentence_must_be_a_disputed_item(sentence: str, flagged: bool) -> None:
    """Hand-written explanations name what was decided in running text ("approved six sessions of X",
    "X was denied") more often than in "X: approved" lines; a treatment swapped into such a sentence is a
    treatment error, the letter's own item named in any words is not."""
    kinds = _kinds(read_letter(SEED), f"{sentence} {APPEAL}")
    assert ("treatment" in kinds) is flagged, kinds


def test_counts_read_digits_and_words_in_both_languages():
    en = [(c.values, c.noun) for c in find_counts("a one-month trial, no 30-day trial, 4 to 6 visits, six sessions, 3mm disc")]
    assert en == [((1,), "month"), ((30,), "day"), ((4, 6), "visit"), ((6,), "visit"), ((3,), "mm")]
    es = [(c.values, c.noun) for c in find_counts("un mes, seis sesiones, de 4 a 6 visitas, once sesiones, un hombre de 33 años", "es")]
    assert es == [((1,), "month"), ((6,), "visit"), ((4, 6), "visit"), ((11,), "visit")]


def test_markdown_is_blanked_in_place():
    raw = "## Heading\n\n**PUSH therapy: approved.**\n\n- [the WCAB](https://example.org) item\n"
    plain = strip_markdown(raw)
    assert len(plain) == len(raw)
    assert "PUSH therapy: approved." in plain and "**" not in plain and "#" not in plain
    assert plain.index("the WCAB") == raw.index("the WCAB")


def test_readability_warning_in_both_languages(seed):
    hard = ("Notwithstanding the aforementioned considerations, the independent medical reviewer determined, "
            "subsequent to comprehensive evaluation of documentation, that the requested intervention "
            "constitutes medically appropriate treatment. " + APPEAL)
    f = next(f for f in check(seed, explanation=hard).findings if f.kind == "readability")
    assert f.severity == "warning" and float(f.found) > 6
    easy = "PUSH therapy: approved. You can get it now. The denial is gone. " + APPEAL
    assert not [f for f in check(seed, explanation=easy).findings if f.kind == "readability"]
    hard_es = ("No obstante las consideraciones anteriormente mencionadas, el revisor médico independiente determinó, "
               "posteriormente a una evaluación exhaustiva de la documentación correspondiente, que la intervención "
               "solicitada constituye un tratamiento médicamente apropiado. Puede apelar ante la Junta de "
               "Apelaciones dentro de los 30 días a partir de la fecha en que se le envió por correo.")
    f = next(f for f in check(seed, explanation=hard_es).findings if f.kind == "readability")
    assert "Fernandez-Huerta" in f.message and f.severity == "warning"


def test_no_error_is_ever_a_readability_or_plugin_finding(seed):
    report = check(seed, explanation="x " * 50)
    assert all(f.severity != "error" or f.kind not in ("readability",) for f in report.findings)


# ----------------------------------------------------------------------------------- free-form writing

_FREE_APPEAL = " You can appeal to the Workers' Compensation Appeals Board within 30 days of the mailing date."


@needs_letters
@pytest.mark.parametrize("name, text, want", [
    ("CM17-0007142", "Good news: your shoulder surgery was approved. The cold therapy unit was approved too.", {"decision", "missing"}),
    ("CM17-0007142", "Unfortunately, the reviewer did not approve the EKG.", {"missing"}),
    ("CM17-0007142", "The IMR reviewer overturned the utilization review decision on the surgery.", {"missing"}),
    ("CM17-0012640", "Your MRI request was denied again. The consult with a hip specialist was approved.", set()),
    ("CM17-0012640", "Your MRI request was approved. The consult with a hip specialist was approved.", {"decision"}),
    ("CM17-0012640", "The reviewer agreed you should get the hip consult, but not the shoulder MRI.", set()),
    ("CM17-0012640", "The reviewer agreed you should get the shoulder MRI, but not the hip consult.", {"decision"}),
    ("CM17-0010021", "Both requests (the TENS unit and E-stim) are still denied. Your doctor may ask again.", set()),
    ("CM17-0010021", "The TENS unit was approved, but the E-stim is still denied. Your doctor may ask again.", {"decision"}),
    ("CM17-0003284", "All five requests were denied: chiropractic care, the nerve test, and three MRIs.", set()),
    ("CM17-0003284", "Your doctor asked for chiropractic care 3 times a week for 4 weeks. It was denied. "
                     "The other four requests were denied too.", set()),
    ("CM17-0003284", "Your doctor asked for chiropractic care 3 times a week for 6 weeks. It was denied. "
                     "The other four requests were denied too.", {"count"}),
    ("CM17-0014449", "Your doctor asked for shoulder surgery (a SLAP repair) and 14 other related services, like a "
                     "sling, a cold therapy machine rented for 14 days, 2 leg wraps, and 12 to 18 sessions of physical "
                     "therapy after surgery. The expert agreed with the original denial of all 15 requests.", set()),
    ("CM17-0007142", "The expert decided:\n\n- Shoulder surgery: **approved**\n- Blood tests (CBC and BMP): **approved**\n"
                     "- EKG heart test: **not approved**\n\nThe approved items must be authorized within 5 working days. "
                     "For the items that are still denied, your doctor can send a new request.", {"missing"}),
])
def test_free_form_explanations(name, text, want):
    report = check(letter(name), explanation=text + _FREE_APPEAL)
    assert error_kinds(report) == want, describe(report)


# ------------------------------------------------------------------- the synthetic suite (in the repo)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

SYNTHETIC = Path(__file__).resolve().parents[1] / "evals" / "synthetic"


def _syn_letter_path(name: str) -> Path:
    p = SYNTHETIC / "letters" / f"{name}.txt"
    return p if p.exists() else p.with_suffix(".pdf")


_SYN_LETTERS: dict[str, object] = {}


def syn(name: str):
    """A synthetic letter by the start of its name (``syn-01``)."""
    if name not in _SYN_LETTERS:
        path = next((SYNTHETIC / "letters").glob(f"{name}*"))
        _SYN_LETTERS[name] = read_letter(path)
    return _SYN_LETTERS[name]


def _syn_manifest() -> list[dict]:
    p = SYNTHETIC / "explanations" / "manifest.json"
    return json.loads(p.read_text()) if p.exists() else []


@pytest.mark.parametrize("case", _syn_manifest(), ids=lambda c: c["file"])
def test_synthetic_manifest_case(case):
    """Hand-written explanations of letters the checks were not written against: clean ones (modified
    requests, frequency x duration, "stay denied", "your surgeon's full request") raise no error; each
    planted error is caught with its kind."""
    text = (SYNTHETIC / "explanations" / case["file"]).read_text()
    report = check(read_letter(_syn_letter_path(case["letter"])), explanation=text)
    if case["expect"] == "clean":
        assert not errors(report), describe(report)
    else:
        assert case["kind"] in error_kinds(report), f"{case['planted']}\n{describe(report)}"


def _syn_kinds(name: str, text: str) -> set[str]:
    return error_kinds(check(syn(name), explanation=text + _FREE_APPEAL))


@pytest.mark.parametrize("text, want", [
    # UR approved 6 visits of the request; the IMR upheld the denial of the other 6. "Approved" said of
    # UR's part is not the IMR outcome ...
    ("The claims administrator approved 6 of the 12 visits. The other 6 therapy visits: still denied. "
     "Naproxen: approved.", set()),
    ("The other 6 physical therapy visits: still denied. The 6 visits that were already approved are not affected. "
     "Naproxen: approved.", set()),
    ("The other 6 physical therapy visits: still denied. The 6 visits approved before are not affected. "
     "Naproxen: approved.", set()),
    ("Why (therapy): You already had 8 visits, and 6 more were approved. So the reviewer found the other 6 visits "
     "not medically necessary. Naproxen: approved.", set()),
    # ... but an approval of the part in dispute still contradicts the letter.
    ("The other 6 physical therapy visits: approved. Naproxen: approved.", {"decision"}),
    ("The other 6 physical therapy visits: still denied. Naproxen: still denied.", {"decision"}),
    # The original request (2 times a week for 6 weeks = 12 visits) is a legitimate amount to name.
    ("Your doctor first asked for 12 physical therapy visits (2 times a week for 6 weeks). The other 6 therapy "
     "visits: still denied. Naproxen: approved.", set()),
    ("Your doctor asked for physical therapy 3 times a week for 6 weeks. The other 6 therapy visits: still denied. "
     "Naproxen: approved.", {"count"}),
    # A sentence with no item of its own is about the item its paragraph is about ("Why (therapy):").
    ("**Naproxen: approved.**\n\nWhy (therapy): the guideline suggests 8 to 10 visits. You had more than that. "
     "So the reviewer found the other 6 visits not medically necessary.\n\n**The other 6 therapy visits: still "
     "denied.**", set()),
])
def test_modified_request(text, want):
    assert _syn_kinds("syn-01", text) == want, describe(check(syn("syn-01"), explanation=text + _FREE_APPEAL))


@pytest.mark.parametrize("text, want", [
    # "2X4" in the letter is 2 times a week for 4 weeks: "4 weeks" and "2 times" are the letter's numbers.
    ("Your doctor asked for 8 more chiropractic visits, 2 times a week for 4 weeks. Chiropractic care: still "
     "denied. Tramadol: approved.", set()),
    ("Your doctor asked for chiropractic care 2 times a week for 5 weeks. Chiropractic care: still denied. "
     "Tramadol: approved.", {"count"}),
    # "each evening" / "in all" do not make a sentence about every item.
    ("Chiropractic care: still denied. The guidelines allow up to 18 visits in all. Tramadol: approved. Tramadol "
     "helps you sleep and walk each evening. So the reviewer found it medically necessary.", set()),
    ("Chiropractic care: still denied. Tramadol: approved. Both requests were denied by utilization review first.",
     set()),
])
def test_frequency_and_quantifiers(text, want):
    assert _syn_kinds("syn-03", text) == want, describe(check(syn("syn-03"), explanation=text + _FREE_APPEAL))


@pytest.mark.parametrize("text, want", [
    # "stay denied" is an outcome, not the hospital stay.
    ("Neck surgery: approved. Hospital stay: approved. The collar and the bone growth stimulator stay denied.", set()),
    ("Neck surgery: approved. Hospital stay: approved. Miami J collar: approved. Bone growth stimulator: still "
     "denied.", {"decision"}),
    # The right treatment on the wrong body region is not the disputed item.
    ("Surgery on your lower back (fusion at L4-L5): approved. Hospital stay: approved. The collar and the bone "
     "growth stimulator stay denied.", {"treatment"}),
    ("Neck surgery (fusion at C5-C6 and C6-C7): approved. Hospital stay: approved. The collar and the bone growth "
     "stimulator stay denied.", set()),
])
def test_outcome_words_and_body_regions(text, want):
    assert _syn_kinds("syn-05", text) == want, describe(check(syn("syn-05"), explanation=text + _FREE_APPEAL))


@pytest.mark.parametrize("text, want", [
    ("Physical therapy, 3 times a week for 4 weeks (your surgeon's full request): approved. H-wave unit: still "
     "denied. Sling with abduction pillow: approved.", set()),
    ("Physical therapy for your left shoulder: approved. H-wave unit: still denied. Sling: approved.", {"treatment"}),
    ("Physical therapy for your right shoulder: approved. H-wave unit: still denied. Sling: approved.", set()),
])
def test_people_and_sides_in_treatment_phrases(text, want):
    assert _syn_kinds("syn-16", text) == want, describe(check(syn("syn-16"), explanation=text + _FREE_APPEAL))


@pytest.mark.parametrize("text, want", [
    # A plain word that glosses the item being spoken of does not name another item ("exercises" is not
    # the "Home exercise kit" here) ...
    ("**Massage therapy: still denied.**\n\n**Home exercise kit: still denied.**\n\n**Aquatic therapy (exercises "
     "in a warm pool): approved.** Exercises in water put less weight on your back. The reviewer found it "
     "medically necessary.", set()),
    # ... unless the sentence says more of that item ("at home").
    ("**Aquatic therapy: approved.** Exercises at home are still denied. **Massage therapy: still denied.**", set()),
    ("**Aquatic therapy: approved.** Exercises at home are approved too. **Massage therapy: still denied.**",
     {"decision"}),
    # An item line that names no item is about none in particular (not the closest spelling).
    ("**Aquatic therapy: approved.**\n\n**Massage therapy: still denied.**\n\n**Home exercise kit: still denied."
     "**\n\n**Your other request: approved.**", set()),
    # A heading opens a section: what follows it is not about the item named before it.
    ("**Home exercise kit: still denied.** **Massage therapy: still denied.** **Aquatic therapy: approved.**\n\n"
     "## Why the kit was denied\n\nThe records do not show a need for it. So it is not medically necessary.", set()),
])
def test_glosses_and_sections(text, want):
    assert _syn_kinds("syn-14", text) == want, describe(check(syn("syn-14"), explanation=text + _FREE_APPEAL))


@needs_letters
@pytest.mark.parametrize("text, want", [
    # The letter: "Acupuncture for 8 sessions was the original request. Acupuncture for 6 sessions was
    # authorized by the Claims Administrator. The remaining ..., Acupuncture for 2 sessions is: Upheld".
    ("Your doctor first asked for 8 sessions of acupuncture. The claims administrator approved 6 of them. "
     "The other 2 sessions: still denied.", set()),
    ("Your doctor first asked for 10 sessions of acupuncture. The claims administrator approved 6 of them. "
     "The other 2 sessions: still denied.", {"count"}),
    ("Your doctor first asked for 8 sessions of acupuncture. Utilization review approved 6 of them. "
     "The 2 remaining acupuncture sessions: approved.", {"decision"}),
])
def test_original_request_amount(text, want):
    assert _kinds(letter("CM17-0007857"), text + _FREE_APPEAL) == want
