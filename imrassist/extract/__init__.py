"""Extraction backends behind one function: ``extract(letter, backend=...) -> CaseRecord``.

``rules`` (the default) is deterministic and offline. ``llm`` asks a configured model through
instructor and aligns its quotes to the letter. ``auto`` uses the model when one is configured and
falls back to the rules, with a warning in the record, when the model fails for this letter.
"""

from __future__ import annotations

from typing import Literal

from ..letter import Letter
from ..models import CaseRecord
from .rules import extract_rules

Backend = Literal["rules", "llm", "auto"]


def extract(letter: Letter, backend: Backend = "rules", *, settings: object | None = None) -> CaseRecord:
    if backend == "rules":
        return extract_rules(letter)
    from .llm import extract_llm_or_fallback

    return extract_llm_or_fallback(letter, backend=backend, settings=settings)


__all__ = ["extract", "extract_rules", "Backend"]
