"""imrassist: read IMR Final Determination letters, explain them, and check any summary against them.

The public API is small and stable; everything else is an implementation detail::

    import imrassist
    letter = imrassist.read_letter("letter.pdf")
    record = imrassist.extract(letter)               # deterministic, offline by default
    text = imrassist.explain(record, lang="en")       # plain language for the worker
    report = imrassist.check(letter, record=record, explanation=text)
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

# Heavy parts are imported on first use so that `import imrassist` stays cheap (the CLI's cold start).
_LAZY = {
    "read_letter": ("imrassist.letter", "read_letter"),
    "letter_from_text": ("imrassist.letter", "letter_from_text"),
    "letter_from_bytes": ("imrassist.letter", "letter_from_bytes"),
    "Letter": ("imrassist.letter", "Letter"),
    "extract": ("imrassist.extract", "extract"),
    "to_gold_view": ("imrassist.gold", "to_gold_view"),
    "CaseRecord": ("imrassist.models", "CaseRecord"),
    "Finding": ("imrassist.models", "Finding"),
    "FindingsReport": ("imrassist.models", "FindingsReport"),
    "InputError": ("imrassist.errors", "InputError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'imrassist' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from .errors import InputError
    from .extract import extract
    from .gold import to_gold_view
    from .letter import Letter, letter_from_bytes, letter_from_text, read_letter
    from .models import CaseRecord, Finding, FindingsReport
