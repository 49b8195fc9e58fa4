"""Render a CaseRecord in the shape of GOLD_FORMAT.md, so any record can be scored against gold answers.

The gold view drops evidence and everything gold does not score, and applies gold's normalisations
(ISO dates, integer quantities, citations as plain dicts). It is a pure projection: no re-reading.
"""

from __future__ import annotations

from typing import Any

from .models import CaseRecord, Citation, Extracted


def _v(x: Extracted[Any] | None) -> Any:
    if x is None:
        return None
    value = x.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _num(x: Extracted[Any] | None) -> int | float | None:
    v = _v(x)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _citation(c: Citation) -> dict[str, Any]:
    return {"source": c.source, "document": c.document, "year": c.year, "topic": c.topic, "pages": list(c.pages)}


def to_gold_view(record: CaseRecord) -> dict[str, Any]:
    items = []
    for it in record.items:
        limit = None
        if it.limit is not None:
            lim = it.limit.value
            limit = {"min": lim.min, "max": lim.max, "unit": lim.unit}
        items.append(
            {
                "treatment": _v(it.treatment),
                "quantity": _num(it.quantity),
                "unit": _v(it.unit),
                "decision": _v(it.decision),
                "guidelines": [_citation(c) for c in it.guidelines],
                "ca_guidelines": [_citation(c) for c in it.ca_guidelines],
                "limit": limit,
            }
        )
    return {
        "layout": record.letter.layout,
        "case_number": _v(record.letter.case_number),
        "priority": _v(record.letter.priority),
        "worker": {"age": _v(record.worker.age), "sex": _v(record.worker.sex)},
        "dates": {
            "injury": _v(record.dates.injury),
            "ur_decision": _v(record.dates.ur_decision),
            "application_received": _v(record.dates.application_received),
            "assigned": _v(record.dates.assigned),
            "determination": _v(record.dates.determination),
        },
        "reviewer": {
            "specialty": _v(record.reviewer.specialty),
            "licensed_in": [s.value for s in record.reviewer.licensed_in],
        },
        "items": items,
    }
