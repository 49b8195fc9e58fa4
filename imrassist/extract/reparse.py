"""Re-read a value from its evidence quote, by field: the grounding contract of every extractor.

An extracted value is grounded when its quote sits at its offsets AND reading the quote again gives the
same value. This module is that "reading again", keyed by the field's name, using the same parsers the
rules extractor uses; it is shared by the grounding check, the LLM aligner and the tests.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..letter import normalize_fragment
from ..parse import (
    find_limits,
    norm_words,
    parse_age,
    parse_date,
    parse_number,
    parse_quantity,
    parse_sex,
    specialty_value,
    squash,
)

_DATE_FIELDS = {"injury", "ur_decision", "application_received", "assigned", "determination", "date"}
_TEXT_FIELDS = {"treatment", "original_request", "authorized", "specialty", "rationale", "text", "reason",
                "case_number"}


def field_name(path: str) -> str:
    """``items.3.quantity`` -> ``quantity``; ``reviewer.licensed_in.0`` -> ``licensed_in``."""
    parts = [p for p in path.split(".") if not p.isdigit() and p != "value"]
    return parts[-1] if parts else path


def value_from_quote(path: str, quote: str) -> Any:
    """What the quote says for this field, or ``NotImplemented`` when the field has no re-reader."""
    name = field_name(path)
    text = normalize_fragment(quote)
    if name in _DATE_FIELDS:
        return parse_date(text)
    if name == "age":
        return parse_age(text) if re.search(r"[a-z]", text, re.IGNORECASE) else parse_number(text)
    if name == "sex":
        pronoun = {"she": "female", "her": "female", "herself": "female", "he": "male", "him": "male",
                   "his": "male", "himself": "male"}.get(text.strip().lower())
        return parse_sex(text) or pronoun
    if name in ("quantity", "unit"):
        q = parse_quantity(text)
        if q is None:
            return None
        return q[0] if name == "quantity" else q[1]
    if name == "decision":
        m = re.search(r"\b(upheld|overturned)\b", text, re.IGNORECASE)
        return m.group(1).lower() if m else None
    if name == "priority":
        low = text.lower()
        return "expedited" if ("expedited" in low or "urgent" in low) else ("standard" if ("standard" in low or "regular" in low) else None)
    if name == "limit":
        for lm in find_limits(text):
            if not lm.per_period:
                return (lm.min, lm.max, lm.unit)
        return None
    if name in ("years_in_practice", "hours_per_week"):
        m = re.search(r"(\w+(?:-\w+)?)\s+(?:years|hours)", text, re.IGNORECASE)
        return parse_number(m.group(1)) if m else None
    if name == "specialty":
        return specialty_value(text)
    if name in _TEXT_FIELDS or name in ("licensed_in", "diagnoses", "requested", "outcome"):
        return text
    return NotImplemented


def supports(path: str, quote: str, value: Any) -> bool | None:
    """Whether the quote supports the value; None when this field cannot be re-read."""
    got = value_from_quote(path, quote)
    if got is NotImplemented:
        return None
    name = field_name(path)
    if hasattr(value, "model_dump") and name == "limit":
        value = (value.min, value.max, value.unit)
    if isinstance(value, dt.date) or name in _DATE_FIELDS:
        return got == value
    if name in ("quantity", "age", "years_in_practice", "hours_per_week"):
        try:
            return got is not None and float(got) == float(value)
        except (TypeError, ValueError):
            return False
    if name == "outcome":
        return norm_words(str(value)).split()[0][:5] in norm_words(got).replace("non ", "non")
    if isinstance(value, str) and isinstance(got, str):
        if name in ("licensed_in",):
            return norm_words(value) in norm_words(got) or norm_words(got) in norm_words(value) or len(got) <= 3
        return squash(value) == squash(got) or squash(value) in squash(got)
    return got == value
