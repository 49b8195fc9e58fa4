"""The reviewer summary (``imrassist summarize LETTER``): terse clinical Markdown, with citations.

Other register than the worker explanation: abbreviations, dates as the letter header prints them
(MM/DD/YYYY), every guideline citation with source, document, edition year, section/topic and pages, the
quoted limit and the rationale's own concluding sentence. Only values of the record; a missing value is a
dash, never a guess.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from ..models import CaseRecord, Citation, Extracted, Item

DASH = "–"


def _d(x: Extracted[_dt.date] | None) -> str:
    return x.value.strftime("%m/%d/%Y") if x is not None else DASH


def _num(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def citation_line(c: Citation) -> str:
    """``MTUS Chronic Pain Medical Treatment Guidelines (2009) — Massage therapy, p. 60``."""
    head = c.source
    doc = (c.document or "").strip()
    if doc and doc.upper() != c.source and not (c.source == "ODG" and "official disability" in doc.lower()):
        head += f" {doc}"
    if c.year:
        head += f" ({c.year})"
    text = head
    if c.topic:
        text += f" — {_one_line(c.topic)}"
    if c.pages:
        text += (", p. " if len(c.pages) == 1 else ", pp. ") + ", ".join(str(p) for p in c.pages)
    return text


def _citations(cites: list[Citation], none_cited: Extracted[bool] | None) -> str:
    if cites:
        return "; ".join(citation_line(c) for c in cites)
    if none_cited is not None and none_cited.value:
        return "none cited"
    return DASH


def _limit(item: Item) -> str | None:
    if item.limit is None:
        return None
    lim = item.limit.value
    unit = f" {lim.unit}s" if lim.unit else ""
    if lim.min is not None and lim.max is not None and lim.min != lim.max:
        return f"{lim.min}-{lim.max}{unit}"
    if lim.max is not None:
        return f"≤{lim.max}{unit}"
    if lim.min is not None:
        return f"≥{lim.min}{unit}"
    return None


_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")


def conclusion_sentence(item: Item) -> str | None:
    """The rationale's concluding sentence (the medical-necessity statement), on one line."""
    if item.medically_necessary is not None and item.medically_necessary.evidence is not None:
        return _one_line(item.medically_necessary.evidence.quote)
    if item.rationale is not None:
        sents = [s for s in _SENT.split(_one_line(item.rationale.value)) if s.strip()]
        if sents:
            return sents[-1]
    return None


def _escape_md(text: str) -> str:
    """Keep letter text from being read as Markdown structure (headings, lists, emphasis, tables)."""
    return re.sub(r"([\\`*_|<>\[\]])", r"\\\1", text)


def summarize(record: CaseRecord) -> str:
    r = record
    case = r.letter.case_number.value if r.letter.case_number is not None else (r.letter.source or "letter")
    out: list[str] = [f"# IMR summary: {_escape_md(str(case))}", ""]

    age = r.worker.age.value if r.worker.age is not None else None
    sex = r.worker.sex.value if r.worker.sex is not None else None
    patient = " ".join(x for x in [f"{age} y/o" if age is not None else "", sex or ""] if x) or DASH
    out.append(f"- **Patient:** {patient}")
    out.append(f"- **DOI:** {_d(r.dates.injury)}")
    ur = r.summary.utilization_review
    ur_line = _d(r.dates.ur_decision if r.dates.ur_decision is not None else (ur.date if ur else None))
    if ur is not None and ur.outcome is not None:
        ur_line += f" ({ur.outcome.value})"
    out.append(f"- **UR:** {ur_line}")
    imr = [f"received {_d(r.dates.application_received)}", f"assigned {_d(r.dates.assigned)}",
           f"determination {_d(r.dates.determination)}"]
    prio = f"; {r.letter.priority.value}" if r.letter.priority is not None else ""
    if all(x is None for x in (r.dates.application_received, r.dates.assigned, r.dates.determination)):
        imr = [DASH]
    out.append(f"- **IMR:** {', '.join(imr)}{prio}")
    spec = _escape_md(r.reviewer.specialty.value) if r.reviewer.specialty is not None else DASH
    lic = ", ".join(s.value for s in r.reviewer.licensed_in)
    out.append(f"- **Reviewer:** {spec}" + (f" (licensed: {_escape_md(lic)})" if lic else ""))
    n_over = sum(1 for i in r.items if i.decision.value == "overturned")
    n_up = sum(1 for i in r.items if i.decision.value == "upheld")
    out.append(f"- **Items:** {len(r.items)} ({n_over} overturned, {n_up} upheld)")
    out.append("")

    for k, it in enumerate(r.items, 1):
        out += _item(k, it)
    if r.meta.warnings:
        out += ["## Extraction warnings", ""] + [f"- {_escape_md(w)}" for w in r.meta.warnings] + [""]
    return "\n".join(out).rstrip() + "\n"


def _item(k: int, it: Item) -> list[str]:
    decision = it.decision.value.upper()
    lines = [f"## {k}. {_escape_md(_one_line(it.treatment.value))} — {decision}", ""]
    if it.quantity is not None:
        unit = ""
        if it.unit is not None:
            u = it.unit.value
            unit = f" {u}s" if float(it.quantity.value) != 1 and not u.endswith("s") else f" {u}"
        quote = f" (\"{_escape_md(_one_line(it.quantity.evidence.quote))}\")" if it.quantity.evidence else ""
        lines.append(f"- **Requested:** {_num(it.quantity.value)}{unit}{quote}")
    if it.original_request is not None or it.authorized is not None:
        parts = []
        if it.original_request is not None:
            parts.append(f"original request {_escape_md(_one_line(it.original_request.value))}")
        if it.authorized is not None:
            parts.append(f"CA authorized {_escape_md(_one_line(it.authorized.value))}")
        lines.append(f"- **UR modification:** {'; '.join(parts)}")
    lines.append(f"- **IMR guidelines:** {_escape_md(_citations(it.guidelines, it.guidelines_none_cited))}")
    lines.append(f"- **CA guidelines:** {_escape_md(_citations(it.ca_guidelines, it.ca_guidelines_none_cited))}")
    lim = _limit(it)
    if lim:
        lines.append(f"- **Limit quoted:** {lim}")
    mn: Any = it.medically_necessary.value if it.medically_necessary is not None else None
    concl = conclusion_sentence(it)
    label = {True: "medically necessary", False: "not medically necessary", None: "conclusion"}[mn]
    if concl:
        lines.append(f"- **Rationale ({label}):** \"{_escape_md(concl)}\"")
    if mn is not None and mn != (it.decision.value == "overturned"):
        lines.append(f"- **Note:** rationale concludes {label}, decision is {it.decision.value}")
    lines.append("")
    return lines
