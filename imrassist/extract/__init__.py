"""Extraction backends behind one function: ``extract(letter, backend=...) -> CaseRecord``.

``rules`` (the default) is deterministic and offline. ``llm`` asks a configured model through
instructor and aligns its quotes to the letter. ``auto`` uses the model when one is configured and
falls back to the rules, with a warning in the record, when the model fails for this letter.
"""

from __future__ import annotations

from typing import Literal

from ..errors import InputError
from ..letter import Letter
from ..models import CaseRecord
from .rules import extract_rules

Backend = Literal["rules", "llm", "auto"]


def extract(letter: Letter, backend: Backend = "rules", *, settings: object | None = None) -> CaseRecord:
    if backend == "rules":
        record = extract_rules(letter)
    else:
        from .llm import extract_llm_or_fallback

        record = extract_llm_or_fallback(letter, backend=backend, settings=settings)
    if not record.items:
        # An IMR letter always decides at least one disputed item; none found means the decisions part is
        # missing (a truncated download, a PDF cut after the summary). Never return a silent empty record.
        raise InputError("no disputed items found (decisions section missing or cut off?)",
                         source=letter.source, reason="no_items")
    return record


__all__ = ["extract", "extract_rules", "Backend"]
