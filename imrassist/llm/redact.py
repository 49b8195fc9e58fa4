"""Replace identifiers with placeholders before a letter leaves the machine.

What goes: IMR case numbers (``CM16-0241231``), claim numbers ("Claim Number: ...", "Claim #..."), other
labelled case/application/policy/member/patient/record numbers, WCAB ``ADJ`` numbers, social security
numbers, dates of birth given with a label, and phone/fax numbers. Labels stay (``Claim Number:
[CLAIM-NUMBER]``) so the model still sees the letter's structure. What stays: names (no reliable pattern),
dates of injury/decision (the extraction needs them), ages, and all clinical text.

Placeholders change lengths, so offsets into redacted text do not map onto the original; extractors align
quotes against the original text anyway.
"""

from __future__ import annotations

import re
from typing import Any

# A value after a label: starts with a letter/digit, holds at least one digit, may contain - / . and inner
# single spaces between digit groups ("05 123 456").
_VALUE = r"(?=[A-Z0-9\-/.]*\d)[A-Z0-9][A-Z0-9\-/.]*(?:[ ](?=\d)[0-9][0-9\-/.]*)*"

_RULES: list[tuple[re.Pattern[str], str]] = [
    # IMR case numbers, wherever they appear.
    (re.compile(r"\bCM\d{2}-\d{5,8}\b", re.I), "[CASE-NUMBER]"),
    # WCAB adjudication numbers.
    (re.compile(r"\bADJ\d{6,10}\b", re.I), "[ADJ-NUMBER]"),
    # Social security numbers.
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[SSN]"),
]

# Labels: a keyword ("Number", "No.", "ID", "#") or a colon must follow the noun, so prose such as "in this
# case 2 sessions" is left alone.
# ("Patient: 55-year-old" must survive, so a bare colon only counts after Claim/Case/Policy/MRN.)
_KEY = r"(?:\s*(?:Number|No\.?|Num\.?|ID)\s*[:#]?|\s*#\s*:?)"
_KEY_OR_COLON = r"(?:\s*(?:Number|No\.?|Num\.?|ID)\s*[:#]?|\s*#\s*:?|\s*:)"
_LABELLED: list[tuple[str, str]] = [
    (r"Claim" + _KEY_OR_COLON, "[CLAIM-NUMBER]"),
    (r"(?:IMR\s+)?Case" + _KEY_OR_COLON, "[CASE-NUMBER]"),
    (r"(?:WCAB|Application|EAMS)(?:\s+Case)?" + _KEY, "[ADJ-NUMBER]"),
    (r"Policy" + _KEY_OR_COLON, "[POLICY-NUMBER]"),
    (r"(?:Member|Employee|Patient|Subscriber|Claimant)" + _KEY, "[ID]"),
    (r"Medical\s+Record" + _KEY, "[MRN]"),
    (r"MRN(?:\s*[:#]|\s+(?=\d))", "[MRN]"),
    (r"(?:Tracking|Reference|Control|Confirmation)" + _KEY, "[REFERENCE-NUMBER]"),
]

for _label, _placeholder in _LABELLED:
    # label + keyword/colon, then the value: the label is kept, the value replaced
    _RULES.append((re.compile(rf"(\b{_label}\s*)({_VALUE})", re.I), rf"\g<1>{_placeholder}"))

_RULES += [
    # Dates of birth, only when labelled (dates of injury and decisions must stay).
    (
        re.compile(
            r"(\b(?:Date\s+of\s+Birth|DOB|D\.O\.B\.?)\s*[:#]?\s*)"
            r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\.?\s+\d{1,2},\s*\d{4})",
            re.I,
        ),
        r"\g<1>[DOB]",
    ),
    # North-American phone / fax numbers.
    (re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"), "[PHONE]"),
]


def redact(text: str) -> tuple[str, int]:
    """Return ``(redacted_text, number_of_replacements)``."""
    total = 0
    for pattern, placeholder in _RULES:
        text, n = pattern.subn(placeholder, text)
        total += n
    return text, total


def redact_messages(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Redact every text part of chat messages; returns new message dicts (inputs are not modified)."""
    out: list[dict[str, Any]] = []
    total = 0
    for message in messages:
        message = dict(message)
        content = message.get("content")
        if isinstance(content, str):
            message["content"], n = redact(content)
            total += n
        elif isinstance(content, list):
            parts = []
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part = dict(part)
                    part["text"], n = redact(part["text"])
                    total += n
                parts.append(part)
            message["content"] = parts
        out.append(message)
    return out, total


__all__ = ["redact", "redact_messages"]
