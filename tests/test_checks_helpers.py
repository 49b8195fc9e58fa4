"""Helpers for the checks tests (no tests here): where the shared letters are, a cache of letters and
reference records, and a small deterministic builder of FAITHFUL explanations (English and Spanish).

The builder is deliberately independent of ``imrassist.explain`` (written elsewhere): it states every
fact the checks verify (dates in their roles, age and sex, requested amounts, limits, cited pages, each
item's outcome, what happens next, the appeal right), so a check that flags one of its explanations is a
false alarm. No letter text is stored in the repository: letters are read from ../shared at run time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest

from imrassist.checks import reference_record
from imrassist.letter import Letter, read_letter
from imrassist.models import CaseRecord, FindingsReport

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRASSIST_SHARED", REPO.parent / "shared"))
SEED = REPO / "samples" / "seed-2013-push-therapy.txt"
HAVE_LETTERS = (SHARED / "letters").is_dir()
HAVE_EXPLANATIONS = (SHARED / "explanations" / "manifest.json").is_file()

needs_letters = pytest.mark.skipif(
    not HAVE_LETTERS, reason=f"shared sample letters not found at {SHARED / 'letters'} (set IMRASSIST_SHARED)"
)
needs_explanations = pytest.mark.skipif(
    not HAVE_EXPLANATIONS,
    reason=f"shared explanations not found at {SHARED / 'explanations'} (set IMRASSIST_SHARED)",
)


def repo_letter_paths(*, shared: bool = True) -> list[Path]:
    """The letters the speed tests read: ``samples/*.txt`` and every ``evals/*/letters/`` text and PDF, then,
    with ``shared`` and when present, ``../shared/letters/*.txt``."""
    paths = sorted((REPO / "samples").glob("*.txt"))
    for d in sorted((REPO / "evals").glob("*/letters")):
        paths += sorted(p for p in d.glob("*") if p.suffix in (".txt", ".pdf"))
    if shared and HAVE_LETTERS:
        paths += sorted((SHARED / "letters").glob("*.txt"))
    return paths


def letter_names() -> list[str]:
    if not HAVE_LETTERS:
        return []
    return sorted(p.stem for p in (SHARED / "letters").glob("*.txt"))


def manifest() -> list[dict]:
    if not HAVE_EXPLANATIONS:
        return []
    return json.loads((SHARED / "explanations" / "manifest.json").read_text())


@lru_cache(maxsize=None)
def letter(name: str) -> Letter:
    path = SHARED / "letters" / f"{name}.txt"
    if name == "seed-2013-push-therapy" and not path.exists():
        path = SEED
    return read_letter(path)


@lru_cache(maxsize=None)
def reference(name: str) -> CaseRecord:
    return reference_record(letter(name))


def errors(report: FindingsReport) -> list:
    return [f for f in report.findings if f.severity == "error"]


def error_kinds(report: FindingsReport) -> set[str]:
    return {f.kind for f in errors(report)}


def describe(report: FindingsReport) -> str:
    return "\n".join(f"  {f.severity} {f.kind} {f.code}: {f.message}" for f in report.findings if f.severity != "info")


# --------------------------------------------------------------------------------------- the builder

_MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"],
           "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                  "octubre", "noviembre", "diciembre"]}


def _date(d: dt.date, lang: str) -> str:
    if lang == "es":
        return f"{d.day} de {_MONTHS['es'][d.month - 1]} de {d.year}"
    return f"{_MONTHS['en'][d.month - 1]} {d.day}, {d.year}"


def _short_name(name: str) -> str:
    """The item as a worker would read it: without "Associated surgical service:" or "(DOS ...)"."""
    name = re.sub(r"^Associated surgical service:\s*", "", name, flags=re.I)
    name = re.sub(r"\s*\((?:DOS|date of service)[^)]*\)", "", name, flags=re.I)
    return " ".join(name.split()).strip(" ,.")


_UNIT_PLURAL = {"en": {"visit": "visits", "session": "sessions", "treatment": "treatments", "day": "days",
                       "refill": "refills", "week": "weeks", "month": "months"},
                "es": {"visit": "visitas", "session": "sesiones", "treatment": "tratamientos", "day": "días",
                       "refill": "repeticiones", "week": "semanas", "month": "meses"}}


def _amount(q: float, unit: str | None, lang: str) -> str | None:
    unit = (unit or "visit").lower()
    plural = _UNIT_PLURAL[lang].get(unit)
    if plural is None:
        return None
    return f"{int(q) if float(q).is_integer() else q} {plural}"


def faithful_explanation(record: CaseRecord, lang: str = "en") -> str:
    """A correct plain-language explanation of ``record`` (the letter's own reading) in Markdown."""
    es = lang == "es"
    out: list[str] = []
    out.append("# Su decisión de Revisión Médica Independiente (IMR)" if es else
               "# Your Independent Medical Review (IMR) decision")
    if record.letter.case_number:
        out.append(("Número de caso: " if es else "Case number: ") + record.letter.case_number.value)
    intro: list[str] = []
    if record.dates.injury:
        d = _date(record.dates.injury.value, lang)
        intro.append(f"Usted se lastimó en el trabajo el {d}." if es else f"You were hurt at work on {d}.")
    age = record.worker.age.value if record.worker.age else None
    sex = record.worker.sex.value if record.worker.sex else None
    if age is not None:
        if es:
            who = {"male": "un hombre", "female": "una mujer"}.get(sex or "", "una persona")
            intro.append(f"La carta lo describe como {who} de {age} años.")
        else:
            who = {"male": "man", "female": "woman"}.get(sex or "", "person")
            intro.append(f"The letter describes you as a {age}-year-old {who}.")
    names = [_short_name(it.treatment.value) for it in record.items]
    if names:
        joined = "; ".join(names)
        intro.append(f"Su médico pidió: {joined}." if es else f"Your doctor asked for: {joined}.")
    for it, name in zip(record.items, names):
        if it.quantity is not None:
            amt = _amount(it.quantity.value, it.unit.value if it.unit else None, lang)
            if amt:
                intro.append(f"Para {name}, su médico pidió {amt}." if es else f"For {name}, your doctor asked for {amt}.")
    if record.dates.ur_decision:
        d = _date(record.dates.ur_decision.value, lang)
        intro.append(f"El {d}, la revisión del administrador de reclamos (revisión de utilización) dijo que no." if es
                     else f"On {d}, the claims administrator's review (utilization review) said no.")
    intro.append("Después, un médico experto revisó sus expedientes." if es else "An expert doctor then looked at your records.")
    out.append(" ".join(intro))

    out.append("## La decisión" if es else "## The decision")
    for it, name in zip(record.items, names):
        up = it.decision.value == "upheld"
        word = ("sigue negado" if up else "aprobado") if es else ("still denied" if up else "approved")
        out.append(f"**{name}: {word}.**")
        why: list[str] = []
        cite = next((c for c in [*it.guidelines] if c.source in ("MTUS", "ODG", "ACOEM")), None)
        if cite is not None:
            page = (f", página {cite.pages[0]}" if es else f", page {cite.pages[0]}") if cite.pages else ""
            if es:
                why.append(f"Por qué: el revisor usó las guías ({cite.source}{page}).")
            else:
                why.append(f"Why: the reviewer used the treatment guidelines ({cite.source}{page}).")
        else:
            why.append("Por qué: el revisor leyó sus expedientes." if es else "Why: the reviewer read your records.")
        if it.limit is not None and it.limit.value.max:
            lim = it.limit.value
            plural = _UNIT_PLURAL[lang].get((lim.unit or "visit").lower(), _UNIT_PLURAL[lang]["visit"])
            if lim.min:
                why.append(f"Las guías permiten de {lim.min} a {lim.max} {plural}." if es else
                           f"The guidelines allow {lim.min} to {lim.max} {plural}.")
            else:
                why.append(f"Las guías permiten hasta {lim.max} {plural}." if es else
                           f"The guidelines allow up to {lim.max} {plural}.")
        if es:
            why.append("El revisor encontró que " + ("no es médicamente necesario." if up else "es médicamente necesario."))
        else:
            why.append("The reviewer found it " + ("not medically necessary." if up else "medically necessary."))
        out.append(" ".join(why))

    out.append("## Qué pasa ahora" if es else "## What happens next")
    nxt: list[str] = []
    if any(it.decision.value == "overturned" for it in record.items):
        nxt.append("Lo aprobado: el administrador de reclamos debe autorizarlo dentro de 5 días hábiles." if es else
                   "What was approved: the claims administrator must authorize it within 5 working days.")
    if any(it.decision.value == "upheld" for it in record.items):
        nxt.append("Lo que sigue negado: su médico puede pedirlo de nuevo si su condición cambia." if es else
                   "What is still denied: your doctor may ask again if your condition changes.")
    if es:
        nxt.append("Si no está de acuerdo con esta decisión, puede apelar ante la Junta de Apelaciones de "
                   "Compensación de Trabajadores (WCAB). Debe hacerlo dentro de los 30 días a partir de la fecha "
                   "en que se le envió por correo la decisión.")
    else:
        nxt.append("If you disagree with this decision, you may appeal to the Workers' Compensation Appeals Board. "
                   "You must do this within 30 days of the date the decision was mailed to you.")
    out.append(" ".join(nxt))
    return "\n\n".join(out) + "\n"


# ------------------------------------------------------------------------------- a person's record

def record_from_gold(gold: dict) -> CaseRecord:
    """A CaseRecord as a person would type it from a gold answer: right values, no evidence at all."""
    from imrassist.models import Citation, Extracted, Item, Limit

    def x(v):
        return None if v is None else Extracted(value=v)

    items = []
    for it in gold.get("items", []):
        lim = it.get("limit")
        items.append(Item(
            treatment=Extracted(value=it["treatment"]),
            quantity=x(it.get("quantity")),
            unit=x(it.get("unit")),
            decision=Extracted(value=it["decision"]),
            guidelines=[Citation(**c) for c in it.get("guidelines", [])],
            ca_guidelines=[Citation(**c) for c in it.get("ca_guidelines", [])],
            limit=None if lim is None else Extracted(value=Limit(**lim)),
        ))
    d = gold.get("dates", {})
    return CaseRecord.model_validate({
        "letter": {"layout": gold.get("layout", "other"), "case_number": x(gold.get("case_number")),
                   "priority": x(gold.get("priority"))},
        "worker": {"age": x(gold["worker"].get("age")), "sex": x(gold["worker"].get("sex"))},
        "dates": {k: x(dt.date.fromisoformat(v)) if v else None for k, v in d.items()},
        "reviewer": {"specialty": x(gold.get("reviewer", {}).get("specialty")),
                     "licensed_in": [Extracted(value=s) for s in gold.get("reviewer", {}).get("licensed_in", [])]},
        "items": [i.model_dump() for i in items],
        "meta": {"backend": "manual"},
    })


def gold(name: str) -> dict | None:
    p = SHARED / "gold" / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None
