"""Letter checks (kind ``consistency``): does the letter contradict itself?

They read the letter through the reference record (the rules extractor's reading) and the letter facts,
never through a record under check:

* ``letter.conclusion`` - an item's rationale concludes "medically necessary" but the item is Upheld, or
  "not medically necessary" but it is Overturned (error).
* ``letter.limit`` - an Overturned request exceeds every visit limit its rationale quotes, and the rationale
  gives no reason to exceed it (exceptional factors, documented functional improvement ...) (error).
* ``letter.page_topic`` - a cited page outside the page range that ``knowledge/guidelines.json`` gives the
  cited topic: error only for a verified row of the edition the letter prints; warning for a verified row
  when the letter prints no year; info for an unverified row (an unverified topic never makes an error).
* ``letter.dates`` - two different injury dates or UR dates stated in the letter, or header dates out of
  order (warning).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from .. import knowledge
from ..models import Citation
from .common import _noun_key
from .facts import limits_in
from .registry import CheckContext, register

# --------------------------------------------------------------------------------------------- conclusion


@register(
    "letter.conclusion", code="LETTER_CONCLUSION", kind="consistency", targets=("letter",),
    severity="error: the rationale's conclusion (medically necessary or not) contradicts the item's "
             "Upheld/Overturned",
)
def check_conclusion(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """The rationale's conclusion agrees with the decision line."""
    for i, it in enumerate(ctx.reference.items):
        mn = it.medically_necessary
        if mn is None:
            continue
        expect = it.decision.value == "overturned"
        if mn.value != expect:
            said = "medically necessary" if mn.value else "not medically necessary"
            yield emit("CONTRADICTS_DECISION", "error", f"items[{i}].decision",
                       f"{it.treatment.value}: the rationale concludes {said}, but the item is "
                       f"{it.decision.value.capitalize()}",
                       found=said, expected="medically necessary" if expect else "not medically necessary",
                       span=mn.evidence.span if mn.evidence else None)


# ------------------------------------------------------------------------------------------------- limits

#: Words by which a rationale states why a request may exceed a guideline limit.
EXCEPTION_RE = re.compile(
    r"exceptional\s+(?:factors?|circumstances?)|extenuating|documented\s+(?:objective\s+)?functional\s+"
    r"(?:improvement|gains?|benefit)|functional\s+improvement\s+(?:was|has\s+been|is|were)\s+(?:documented|"
    r"demonstrated|shown)|objective\s+(?:functional\s+)?(?:improvement|gains?)|circumstances\s+that\s+would|"
    r"explain\s+why|justif(?:y|ies|ied|ication)|warrant(?:s|ed)?\s+(?:additional|further|more)|"
    r"beyond\s+(?:the\s+)?guidelines?|exceed(?:s|ing)?\s+(?:the\s+)?guidelines?\s+(?:is|are|may\s+be)\s+"
    r"(?:appropriate|supported|reasonable)|special\s+circumstances|unique\s+circumstances|"
    r"(?:severity|complexity)\s+of\s+(?:the\s+)?(?:injury|condition)",
    re.IGNORECASE,
)
_VISIT_UNITS = {"visit"}


@register(
    "letter.limit", code="LETTER_LIMIT", kind="consistency", targets=("letter",),
    severity="error: an Overturned request exceeds every limit its rationale quotes, with no stated reason "
             "to exceed it",
)
def check_limit(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """An approved request that exceeds the quoted limit says why."""
    facts = ctx.facts
    for f in facts.items:
        it = f.item
        if it is None or f.decision != "overturned" or it.quantity is None or not f.rationale:
            continue
        unit = _noun_key(it.unit.value, "en") if it.unit else "visit"
        if unit not in _VISIT_UNITS:
            continue
        rtext = facts.rationale_text(f)
        limits = [(lo, hi) for lo, hi, u, _, _ in limits_in(rtext) if _noun_key(u, "en") in _VISIT_UNITS and hi]
        if not limits:
            continue
        top = max(hi for _, hi in limits)
        q = float(it.quantity.value)
        if q <= top or EXCEPTION_RE.search(rtext):
            continue
        yield emit("EXCEEDED_WITHOUT_REASON", "error", f"items[{f.index}].quantity",
                   f"{f.name}: {q:g} requested and Overturned, but the rationale limits it to {top} "
                   f"and gives no reason to exceed that",
                   found=f"{q:g}", expected=f"<= {top}",
                   span=it.quantity.evidence.span if it.quantity.evidence else f.name_span)


# ------------------------------------------------------------------------------------------ page & topic


_INDEX: tuple[list[dict[str, Any]], dict[tuple[str, str], list[tuple[int, dict[str, Any], frozenset[str]]]]] | None = None


def _topic_index() -> dict[tuple[str, str], list[tuple[int, dict[str, Any], frozenset[str]]]]:
    """(source, title key of a topic or alias) -> (row number, row, words of its document's key), built once
    per load of the knowledge file (``knowledge.guideline_topics()`` returns the same list until reloaded)."""
    global _INDEX
    rows = knowledge.guideline_topics()
    if _INDEX is None or _INDEX[0] is not rows:
        index: dict[tuple[str, str], list[tuple[int, dict[str, Any], frozenset[str]]]] = {}
        for n, row in enumerate(rows):
            rdoc = frozenset(knowledge.title_key(str(row.get("document", ""))).split())
            for name in {str(t) for t in [row.get("topic", ""), *row.get("aliases", [])] if t}:
                index.setdefault((str(row.get("source")), knowledge.title_key(name)), []).append((n, row, rdoc))
        _INDEX = (rows, index)
    return _INDEX[1]


@lru_cache(maxsize=4096)
def _title_key(text: str) -> str:
    return knowledge.title_key(text)


def _rows_for(c: Citation) -> list[dict[str, Any]]:
    """Knowledge rows of the citation's source whose topic (or an alias) is the cited topic, in file order,
    from the cited document when the citation names one (a document named more briefly still matches)."""
    if not c.topic:
        return []
    hits = _topic_index().get((c.source, _title_key(c.topic)), [])
    if not hits:
        return []
    doc = frozenset(_title_key(c.document or "").split())
    rows: dict[int, dict[str, Any]] = {}
    for n, row, rdoc in hits:
        if doc and rdoc and doc != rdoc and not (rdoc <= doc or doc <= rdoc):
            continue
        rows[n] = row
    return [rows[n] for n in sorted(rows)]


@register(
    "letter.page_topic", code="LETTER_PAGE_TOPIC", kind="consistency", targets=("letter",),
    severity="error: a page outside the cited topic's range in a verified knowledge row of the edition the "
             "letter prints; warning: the same for a verified row when the letter prints no year; info: an "
             "unverified row",
)
def check_page_topic(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """A cited page holds the cited topic (per knowledge/guidelines.json)."""
    version = knowledge.version("guidelines.json")
    for i, it in enumerate(ctx.reference.items):
        for which in ("guidelines", "ca_guidelines"):
            for j, c in enumerate(getattr(it, which)):
                if not c.pages:
                    continue
                rows = [r for r in _rows_for(c) if r.get("pages")]
                if not rows:
                    continue
                if c.year is not None:
                    rows = [r for r in rows if r.get("edition") == c.year]
                    if not rows:
                        continue
                for p in c.pages:
                    if any(r["pages"][0] <= p <= r["pages"][1] for r in rows):
                        continue
                    verified = [r for r in rows if r.get("verified")]
                    row = (verified or rows)[0]
                    if row.get("verified") and c.year is not None:
                        sev = "error"
                    elif row.get("verified"):
                        sev = "warning"
                    else:
                        sev = "info"
                    first, last = row["pages"]
                    rng = f"p. {first}" if first == last else f"pp. {first}-{last}"
                    note = "" if row.get("verified") else " (unverified knowledge row)"
                    ed = f" {row.get('edition')}" if row.get("edition") else ""
                    noyear = " the letter prints no edition year;" if c.year is None else ""
                    yield emit("OUTSIDE_RANGE", sev, f"items[{i}].{which}[{j}].pages",
                               f"{c.topic}: cited at page {p}, but in {row.get('document')}{ed} the topic is at "
                               f"{rng}{note};{noyear} knowledge {row.get('id')} v{version}",
                               found=p, expected=rng, span=c.evidence.span if c.evidence else None)


# -------------------------------------------------------------------------------------------------- dates

_HEADER_ORDER = ["injury", "ur_decision", "application_received", "assigned", "determination"]


@register(
    "letter.dates", code="LETTER_DATES", kind="consistency", targets=("letter",),
    severity="warning: two different injury dates or UR dates stated in the letter; key dates out of order",
)
def check_dates(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """The letter states one injury date and one UR date, in order."""
    facts = ctx.facts
    for role, label in (("injury", "injury dates"), ("ur_decision", "utilization review dates")):
        seen: dict[dt.date, tuple[int, int]] = {}
        for d in facts.dates:
            if role in d.roles and d.date not in seen:
                seen[d.date] = d.span
        if len(seen) > 1:
            vals = sorted(seen)
            second = list(seen.items())[1]
            yield emit("CONFLICTING_" + ("INJURY" if role == "injury" else "UR"), "warning", f"dates.{role}",
                       f"the letter states {len(vals)} different {label}: {', '.join(v.isoformat() for v in vals)}",
                       found=", ".join(v.isoformat() for v in vals), span=second[1])
    ref = ctx.reference.dates
    vals = [(r, getattr(ref, r)) for r in _HEADER_ORDER if getattr(ref, r) is not None]
    for a in range(len(vals) - 1):
        (ra, xa), (rb, xb) = vals[a], vals[a + 1]
        if xa.value > xb.value:
            yield emit("ORDER", "warning", f"dates.{rb}",
                       f"the letter's {ra} date ({xa.value.isoformat()}) is after its {rb} date ({xb.value.isoformat()})",
                       found=f"{xa.value.isoformat()} > {xb.value.isoformat()}",
                       span=xb.evidence.span if xb.evidence else None)


__all__ = ["EXCEPTION_RE"]
