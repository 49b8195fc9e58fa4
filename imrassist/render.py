"""Human-readable terminal output of records and findings (JSON output lives with the models)."""

from __future__ import annotations

from typing import Any

from .models import CaseRecord, Citation, Extracted, FindingsReport


def _v(x: Extracted[Any] | None, default: str = "-") -> str:
    if x is None:
        return default
    val = x.value
    if isinstance(val, float) and val.is_integer():
        val = int(val)
    return str(val)


def citation_text(c: Citation) -> str:
    parts = [c.source]
    if c.document and c.source != "ODG":
        parts.append(c.document)
    elif c.source == "ODG":
        parts = ["ODG"]
    if c.year:
        parts.append(str(c.year))
    text = " ".join(parts)
    if c.topic:
        text += f" - {c.topic}"
    if c.pages:
        text += f", p. {'-'.join(str(p) for p in c.pages)}" if len(c.pages) <= 2 else f", pp. {', '.join(map(str, c.pages))}"
    return text


def record_text(record: CaseRecord) -> str:
    r = record
    lines = [f"Letter: {r.letter.source or '-'} ({r.letter.layout})"]
    lines.append(f"Case: {_v(r.letter.case_number)} | priority {_v(r.letter.priority)}")
    lines.append(f"Worker: age {_v(r.worker.age)}, {_v(r.worker.sex)} | injured {_v(r.dates.injury)}")
    lines.append(
        "Dates: UR decision {} | application received {} | assigned {} | determination {}".format(
            _v(r.dates.ur_decision), _v(r.dates.application_received), _v(r.dates.assigned), _v(r.dates.determination)
        )
    )
    states = ", ".join(s.value for s in r.reviewer.licensed_in) or "-"
    lines.append(f"Reviewer: {_v(r.reviewer.specialty)} | licensed in {states}")
    lines.append(f"Items ({len(r.items)}):")
    for i, it in enumerate(r.items, 1):
        outcome = "OVERTURNED (treatment approved)" if it.decision.value == "overturned" else "UPHELD (denial stands)"
        lines.append(f"  {i}. {it.treatment.value}: {outcome}")
        amount = f"{_v(it.quantity)} {_v(it.unit, '')}".strip() if it.quantity else "-"
        limit = "-"
        if it.limit:
            lo, hi, unit = it.limit.value.min, it.limit.value.max, it.limit.value.unit
            limit = f"{lo}-{hi} {unit}" if lo is not None else f"up to {hi} {unit}"
        mn = "-" if it.medically_necessary is None else ("medically necessary" if it.medically_necessary.value else "not medically necessary")
        lines.append(f"     amount: {amount} | limit quoted: {limit} | rationale concludes: {mn}")
        if it.authorized:
            lines.append(f"     claims administrator authorized instead: {it.authorized.value}")
        g = "; ".join(citation_text(c) for c in it.guidelines) or ("no medical evidence cited" if it.guidelines_none_cited else "-")
        ca = "; ".join(citation_text(c) for c in it.ca_guidelines) or ("no medical evidence cited" if it.ca_guidelines_none_cited else "-")
        lines.append(f"     IMR reviewer relied on: {g}")
        lines.append(f"     claims administrator relied on: {ca}")
    for w in r.meta.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def findings_text(report: FindingsReport, letter: Any = None) -> str:
    """Findings grouped by severity, each with the letter's own words where the finding points at them."""
    lines: list[str] = []
    s = report.summary
    lines.append(f"{report.letter or 'letter'}: {s.error} error(s), {s.warning} warning(s), {s.info} note(s)")
    for sev in ("error", "warning", "info"):
        group = [f for f in report.findings if f.severity == sev]
        if not group:
            continue
        lines.append("")
        lines.append(f"{sev.upper()}S" if sev != "info" else "NOTES")
        for f in group:
            lines.append(f"  [{f.kind}] {f.code} ({f.field}): {f.message}")
            if f.found is not None or f.expected is not None:
                lines.append(f"      found: {f.found!s}  expected: {f.expected!s}")
            if letter is not None and f.span:
                a, b = f.span
                quote = " ".join(letter.original[a:b].split())
                if len(quote) > 160:
                    quote = quote[:157] + "..."
                lines.append(f'      letter [{a}:{b}]: "{quote}"')
    if not report.findings:
        lines.append("no findings")
    return "\n".join(lines)
