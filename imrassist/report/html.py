"""One self-contained HTML page per analysed letter.

``render_analysis_html(analysis, letter)`` returns a single HTML document (inline CSS and JavaScript, no
external URL, a Content-Security-Policy that forbids any network access) showing:

* the item outcomes at the top (each a link to the item's treatment in the letter);
* the letter's original text with every extracted value highlighted at its evidence span; hovering or
  focusing a highlight shows the field and its value (Tab reaches each value; the "Fields" tab lists them);
* the findings beside the letter, each with links that scroll to and flash its span in the letter and/or
  in the explanation;
* the worker explanation and the reviewer summary in tabs.

Letter text is untrusted: every character of it is HTML-escaped here, and data handed to the script is
JSON with ``<``, ``>`` and ``&`` escaped. Overlapping and nested spans are rendered by splitting the text at
every span boundary: each piece is one ``<mark>`` that lists all the annotations covering it.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..models import CaseRecord, Citation, Extracted, iter_extracted
from .layout import is_double_spaced, soft_breaks

#: An annotation longer than this is a passage (a rationale, an event sentence): shown as a faint tint so
#: that the short values inside it stand out.
LONG_SPAN = 100
_TIP_VALUE_MAX = 240


@dataclass
class Ann:
    id: str
    kind: str  # "value" | "finding"
    label: str
    value: str
    start: int
    end: int
    field: str = ""
    severity: str = ""

    @property
    def long(self) -> bool:
        return self.kind == "value" and self.end - self.start > LONG_SPAN


@dataclass
class Segments:
    html: str
    first_of: dict[str, bool] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ labels

_TOP = {
    "letter.case_number": "Case number",
    "letter.priority": "Priority",
    "worker.age": "Age",
    "worker.sex": "Sex",
    "dates.injury": "Date of injury",
    "dates.ur_decision": "UR decision date",
    "dates.application_received": "Application received",
    "dates.assigned": "Date assigned",
    "dates.determination": "Decision date",
    "reviewer.specialty": "Reviewer specialty",
    "reviewer.years_in_practice": "Reviewer: years in practice (at least)",
    "reviewer.hours_per_week": "Reviewer: hours a week (at least)",
    "summary.utilization_review.date": "UR date",
    "summary.utilization_review.outcome": "UR outcome",
    "summary.utilization_review.reason": "UR reason",
}
_ITEM = {
    "treatment": "treatment",
    "original_request": "original request",
    "authorized": "authorized by the claims administrator",
    "quantity": "quantity",
    "unit": "unit",
    "decision": "decision",
    "guidelines": "IMR guideline",
    "guidelines_none_cited": "IMR: no medical evidence cited",
    "ca_guidelines": "claims administrator guideline",
    "ca_guidelines_none_cited": "claims administrator: no medical evidence cited",
    "limit": "limit quoted",
    "medically_necessary": "rationale concludes",
    "rationale": "rationale",
}
_LIST = {
    "reviewer.licensed_in": "Reviewer licensed in",
    "summary.diagnoses": "Diagnosis",
    "summary.requested": "Requested (case summary)",
}


def field_label(path: str) -> str:
    """``items.0.treatment`` -> ``Item 1: treatment``."""
    if path in _TOP:
        return _TOP[path]
    m = re.match(r"items\.(\d+)\.([a-z_]+)(?:\.(\d+))?", path)
    if m:
        return f"Item {int(m.group(1)) + 1}: {_ITEM.get(m.group(2), m.group(2).replace('_', ' '))}"
    m = re.match(r"summary\.events\.(\d+)\.(date|text)", path)
    if m:
        return f"Event {int(m.group(1)) + 1}: {'date' if m.group(2) == 'date' else 'what happened'}"
    for prefix, label in _LIST.items():
        if path.startswith(prefix + "."):
            return label
    return path.replace("_", " ").replace(".", ": ")


def value_text(obj: Any) -> str:
    if isinstance(obj, Citation):
        from ..explain.summary import citation_line

        return citation_line(obj)
    v = obj.value if isinstance(obj, Extracted) else obj
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, _dt.date):
        return v.strftime("%B %-d, %Y")
    if hasattr(v, "model_dump"):
        d = {k: x for k, x in v.model_dump().items() if x is not None}
        if set(d) <= {"min", "max", "unit"}:
            lo, hi, unit = d.get("min"), d.get("max"), d.get("unit", "")
            if lo is not None and hi is not None:
                return f"{lo}-{hi} {unit}".strip()
            return (f"up to {hi} {unit}" if hi is not None else f"at least {lo} {unit}").strip()
        return ", ".join(f"{k} {x}" for k, x in d.items())
    return " ".join(str(v).split())


def _clip(text: str, n: int = _TIP_VALUE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------------------------------ annotations


def value_annotations(record: CaseRecord, n: int) -> list[Ann]:
    """Every extracted value (and citation) with an evidence span inside ``[0, n)``."""
    out: list[Ann] = []
    seen: set[tuple[str, int, int]] = set()
    for path, obj in iter_extracted(record):
        ev = getattr(obj, "evidence", None)
        if ev is None or ev.start is None or ev.end is None:
            continue
        a, b = int(ev.start), int(ev.end)
        if not (0 <= a < b <= n):
            continue
        if (path, a, b) in seen:
            continue
        seen.add((path, a, b))
        out.append(Ann(f"v{len(out)}", "value", field_label(path), value_text(obj), a, b, field=path))
    return out


def _valid(span: Any, n: int) -> tuple[int, int] | None:
    if not span or len(span) != 2:
        return None
    a, b = int(span[0]), int(span[1])
    return (a, b) if 0 <= a < b <= n else None


_BLANK_PAIR = re.compile(r"\n([ \t\f\r]*)(?=\n)")

def _plain_html(piece: str, double: bool, lead: bool = False) -> str:
    """Escaped text; in a double-spaced letter every other line break is kept in the page but not shown,
    and so are the blank lines a letter starts with (``lead``)."""
    if lead:
        m = re.match(r"\s*\n", piece)
        if m:
            return f'<span class="dbl">{html.escape(m.group(0))}</span>' + _plain_html(piece[m.end():], double)
    if not double:
        return html.escape(piece)
    out, pos = [], 0
    while True:
        m = _BLANK_PAIR.search(piece, pos)
        if m is None:
            break
        out.append(html.escape(piece[pos:m.start()]) + "\n")
        out.append(f'<span class="dbl">{html.escape(m.group(1))}\n</span>')
        pos = m.end() + 1
    out.append(html.escape(piece[pos:]))
    return "".join(out)


def _text_html(text: str, a: int, b: int, double: bool, soft: list[tuple[int, int]]) -> str:
    """``text[a:b]`` as HTML: soft line breaks (see :func:`soft_breaks`) in ``<span class="soft">``."""
    out: list[str] = []
    pos = a
    first = max(0, bisect.bisect_right(soft, (a, a)) - 1)  # the last span starting at or before a
    for x, y in soft[first:]:
        if x >= b:
            break
        x, y = max(x, a), min(y, b)
        if y <= pos:
            continue
        if x > pos:
            out.append(_plain_html(text[pos:x], double, lead=pos == 0))
        out.append(f'<span class="soft">{html.escape(text[x:y])}</span>')
        pos = y
    if pos < b:
        out.append(_plain_html(text[pos:b], double, lead=pos == 0))
    return "".join(out)


def segment(text: str, anns: list[Ann]) -> Segments:
    """``text`` escaped, with a ``<mark>`` on every piece some annotation covers (overlaps split)."""
    double = is_double_spaced(text)
    soft = soft_breaks(text, double)
    if not anns:
        return Segments(_text_html(text, 0, len(text), double, soft))
    cuts = sorted({0, len(text), *(a.start for a in anns), *(a.end for a in anns)})
    starts: dict[int, list[Ann]] = {}
    for a in anns:
        starts.setdefault(a.start, []).append(a)
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:]):
        piece = _text_html(text, a, b, double, soft)
        cover = [x for x in anns if x.start <= a and x.end >= b]
        for x in starts.get(a, []):
            out.append(f'<span class="anchor" id="ann-{x.id}"></span>')
        if not cover:
            out.append(piece)
            continue
        cover.sort(key=lambda x: (x.kind != "finding", x.end - x.start))
        values = [x for x in cover if x.kind == "value"]
        short = [x for x in values if not x.long]
        finds = [x for x in cover if x.kind == "finding"]
        classes = []
        if short:
            classes.append("ev")
            if len(short) >= 2:
                classes.append("d2" if len(short) == 2 else "d3")
        elif values:
            classes.append("ev-long")
        if finds:
            worst = min(finds, key=lambda x: {"error": 0, "warning": 1}.get(x.severity, 2)).severity
            classes.append(f"fx fx-{worst}")
        title = "\n".join(f"{x.label}: {_clip(x.value, 120)}" for x in cover)
        focusable = ' tabindex="0"' if any(x.start == a for x in cover) else ""
        ids = " ".join(x.id for x in cover)
        out.append(f'<mark class="{" ".join(classes)}" data-anns="{ids}"{focusable} '
                   f'title="{html.escape(title, quote=True)}">{piece}</mark>')
    return Segments("".join(out))


# ------------------------------------------------------------------------------------------ markdown


_SENT_OPEN, _SENT_MID, _SENT_CLOSE = "\ue000", "\ue001", "\ue002"
_ESCAPED = "\ue003"


def markdown_html(md: str, marks: list[tuple[int, int, str]] | None = None, *, top: int = 2) -> str:
    """A small, safe Markdown subset (headings, paragraphs, "- " lists, **bold**, `code`, backslash escapes)
    to HTML; ``marks`` are ``(start, end, ann_id)`` spans of ``md`` shown as ``<mark>`` (not across lines)."""
    text = md
    if marks:
        inserts: list[tuple[int, int, str]] = []  # (pos, order, token); closing before opening at one place
        taken: list[tuple[int, int]] = []
        for a, b, ident in sorted(marks):
            nl = text.find("\n", a)
            if 0 <= nl < b:
                b = nl
            if b <= a or any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            inserts.append((a, 1, f"{_SENT_OPEN}{ident}{_SENT_MID}"))
            inserts.append((b, 0, _SENT_CLOSE))
        for pos, _, tok in sorted(inserts, key=lambda t: (-t[0], -t[1])):
            text = text[:pos] + tok + text[pos:]
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^(#{1,6})\s+(.*)$", s)
        if not s:
            flush()
        elif m:
            flush()
            level = min(6, len(m.group(1)) + top - 1)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif re.match(r"^[-*+]\s+", s):
            if para:
                flush()
            items.append(re.sub(r"^[-*+]\s+", "", s))
        else:
            if items:
                flush()
            para.append(s)
    flush()
    return "\n".join(out)


def _inline(text: str) -> str:
    escapes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        escapes.append(m.group(1))
        return _ESCAPED

    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", keep, text)
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)
    s = re.sub(_SENT_OPEN + r"([a-z0-9]+)" + _SENT_MID,
               lambda m: f'<mark class="fx-x" data-anns="{m.group(1)}" tabindex="-1">', s)
    s = s.replace(_SENT_CLOSE, "</mark>")
    for e in escapes:
        s = s.replace(_ESCAPED, html.escape(e, quote=False), 1)
    return s


# ------------------------------------------------------------------------------------------ the page


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("imrassist.report").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _template():  # type: ignore[no-untyped-def]
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_asset("analysis.html.j2"))


def _json_for_script(data: Any) -> str:
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _date_words(x: Extracted[_dt.date] | None) -> str | None:
    return x.value.strftime("%B %-d, %Y") if x is not None else None


def render_analysis_html(analysis: Any, letter: Any) -> str:
    """The report page for one :class:`imrassist.pipeline.Analysis` and its :class:`~imrassist.letter.Letter`."""
    from markupsafe import Markup

    record: CaseRecord = analysis.record
    original: str = getattr(letter, "original", "") or ""
    n = len(original)
    values = value_annotations(record, n)

    # findings: letter spans and explanation spans
    findings = list(getattr(analysis.findings, "findings", []) or [])
    expl_text: str = analysis.explanation or ""
    f_anns: list[Ann] = []
    expl_marks: list[tuple[int, int, str]] = []
    rows: list[dict[str, Any]] = []
    for k, f in enumerate(findings):
        span = _valid(f.span, n)
        espan = _valid(getattr(f, "explanation_span", None), len(expl_text))
        fid, eid = f"f{k}", f"e{k}"
        if span:
            f_anns.append(Ann(fid, "finding", f"{f.severity.capitalize()} ({f.kind})", f.message, span[0], span[1],
                              severity=f.severity))
        if espan:
            expl_marks.append((espan[0], espan[1], eid))
        rows.append({
            "severity": f.severity, "kind": f.kind, "code": f.code, "message": f.message, "field": f.field,
            "found": f.found, "expected": f.expected,
            "quote": _clip(original[span[0]:span[1]], 220) if span else None,
            "equote": _clip(expl_text[espan[0]:espan[1]], 220) if espan else None,
            "letter_id": fid if span else None, "expl_id": eid if espan else None,
        })
    order = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: order.get(r["severity"], 3))

    letter_html = segment(original, values + f_anns).html if original else ""

    # outcomes strip
    from ..explain.plain import clean_name

    outcomes = []
    for i, it in enumerate(record.items):
        tid = next((a.id for a in values if a.field == f"items.{i}.treatment"), None)
        full = " ".join(it.treatment.value.split())
        outcomes.append({"n": i + 1, "name": clean_name(full).text or full, "full": full,
                         "approved": it.decision.value == "overturned", "ann": tid})

    fields = [{"label": a.label, "value": _clip(a.value, 160), "ann": a.id} for a in values]
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1

    w = record.worker
    facts = [x for x in [
        ("Worker", " ".join(str(v) for v in [f"{w.age.value}-year-old" if w.age else None, w.sex.value if w.sex else None] if v) or None),
        ("Injured", _date_words(record.dates.injury)),
        ("UR decision", _date_words(record.dates.ur_decision)),
        ("IMR decision", _date_words(record.dates.determination)),
        ("Reviewer", record.reviewer.specialty.value if record.reviewer.specialty else None),
    ] if x[1]]
    case = record.letter.case_number.value if record.letter.case_number else None
    source = (analysis.source or getattr(letter, "source", None) or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = case or source or "letter"
    meta = analysis.explanation_meta or {}
    grade = meta.get("grade")
    expl_info = {
        "lang": {"en": "English", "es": "Spanish"}.get(analysis.explanation_lang, analysis.explanation_lang),
        "backend": meta.get("backend"),
        "grade": f"{grade:.1f}" if isinstance(grade, (int, float)) else None,
        "formula": {"flesch_kincaid_grade": "Flesch-Kincaid", "fernandez_huerta": "Fernández-Huerta"}.get(
            meta.get("readability_formula") or "", meta.get("readability_formula")),
    }
    data = {a.id: {"label": a.label, "value": _clip(a.value), "kind": a.kind, "severity": a.severity}
            for a in values + f_anns}
    for k, f in enumerate(findings):
        data[f"e{k}"] = {"label": f"{f.severity.capitalize()} ({f.kind})", "value": _clip(f.message), "kind": "finding",
                         "severity": f.severity}

    return _template().render(
        title=f"IMR analysis: {name}",
        name=name,
        source=source,
        facts=facts,
        outcomes=outcomes,
        n_approved=sum(1 for o in outcomes if o["approved"]),
        n_denied=sum(1 for o in outcomes if not o["approved"]),
        counts=counts,
        findings=rows,
        letter_html=Markup(letter_html),
        has_letter=bool(original),
        fields=fields,
        explanation_html=Markup(markdown_html(expl_text, expl_marks)),
        expl_info=expl_info,
        summary_html=Markup(markdown_html(analysis.summary or "")),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        data_json=Markup(_json_for_script(data)),
    )
