"""Explanations of a CaseRecord: the plain-language one for the injured worker and the reviewer summary.

``explain(record, lang=..., backend=...)`` returns an :class:`ExplanationResult`. Backends:

* ``template`` (default): deterministic, offline, English and Spanish (:mod:`.template`).
* ``llm``: :func:`imrassist.explain.llm.explain_llm` ``(record, *, lang, letter, settings) -> ExplanationResult``,
  imported only when asked for.

``summarize(record)`` returns the reviewer summary (terse clinical Markdown, :mod:`.summary`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ImrassistError
from ..models import CaseRecord, Usage
from .readability import TARGET_GRADE, measure

Lang = Literal["en", "es"]
LANGS: tuple[str, ...] = ("en", "es")
BACKENDS: tuple[str, ...] = ("template", "llm")


class ExplanationResult(BaseModel):
    """An explanation and how it was made."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The explanation, Markdown.")
    lang: Lang = "en"
    backend: str = "template"
    grade: float | None = Field(default=None, description="Reading grade (English: Flesch-Kincaid; Spanish: "
                                "grade equivalent of the Fernandez-Huerta score, 13 - score/10).")
    target_grade: float = TARGET_GRADE
    readability_formula: str | None = None
    readability_score: float | None = Field(default=None, description="The formula's own score.")
    warnings: list[str] = Field(default_factory=list)
    prompt_version: str | None = None
    prompt_hash: str | None = None
    model: str | None = None
    mode: str | None = None
    usage: Usage | None = None


def explain(
    record: CaseRecord,
    *,
    lang: str = "en",
    backend: str = "template",
    letter: Any = None,
    settings: Any = None,
) -> ExplanationResult:
    """Explain ``record`` to the injured worker in ``lang`` ("en" or "es")."""
    if lang not in LANGS:
        raise ImrassistError(f"unsupported explanation language {lang!r}; use one of: {', '.join(LANGS)}")
    if backend == "template":
        from .template import render

        text, warnings = render(record, lang)
        return _finish(ExplanationResult(text=text, lang=lang, backend="template", warnings=warnings))  # type: ignore[arg-type]
    if backend == "llm":
        try:
            from .llm import explain_llm  # type: ignore[import-not-found]
        except ImportError as exc:  # ModuleNotFoundError included
            if (exc.name or "").endswith("explain.llm"):
                raise ImrassistError(
                    "the 'llm' explanation backend is not available in this build (imrassist.explain.llm is "
                    "missing); use --backend template"
                ) from None
            raise
        result = explain_llm(record, lang=lang, letter=letter, settings=settings)
        if isinstance(result, ExplanationResult) and result.grade is None:
            result = _finish(result)
        return result
    raise ImrassistError(f"unknown explanation backend {backend!r}; use one of: {', '.join(BACKENDS)}")


def _finish(result: ExplanationResult) -> ExplanationResult:
    r = measure(result.text, result.lang)
    warnings = list(result.warnings)
    if r.grade > r.target_grade:
        warnings.append(f"reading grade {r.grade:.1f} is above the target {r.target_grade:.0f} ({r.formula})")
    return result.model_copy(update={"grade": r.grade, "target_grade": r.target_grade, "readability_formula": r.formula,
                                     "readability_score": r.score, "warnings": warnings})


def summarize(record: CaseRecord) -> str:
    """The reviewer summary: terse clinical Markdown with citations."""
    from .summary import summarize as _summarize

    return _summarize(record)


__all__ = ["ExplanationResult", "explain", "summarize", "LANGS", "BACKENDS"]
