"""The whole job for one letter: extract -> explain -> summarize -> check, as one pure function.

``analyze_text`` takes text and returns plain data, holds no state and touches no files or network, so
it can be mapped over partitions by an existing engine (Ray Data, Dask bag, Spark) with no scheduler of
ours. The CLI batch, the HTTP service and the eval harness all call :func:`analyze_letter`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .letter import Letter, letter_from_text
from .models import CaseRecord, FindingsReport


class Analysis(BaseModel):
    """Everything imrassist produces for one letter."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: str | None = None
    record: CaseRecord
    explanation: str
    explanation_lang: str = "en"
    explanation_meta: dict[str, Any] = {}
    summary: str
    findings: FindingsReport

    def summary_counts(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "layout": self.record.letter.layout,
            "items": len(self.record.items),
            "upheld": sum(1 for i in self.record.items if i.decision.value == "upheld"),
            "overturned": sum(1 for i in self.record.items if i.decision.value == "overturned"),
            "errors": self.findings.summary.error,
            "warnings": self.findings.summary.warning,
        }


def analyze_letter(
    letter: Letter,
    *,
    lang: Literal["en", "es"] = "en",
    backend: str = "rules",
    explain_backend: str = "template",
    settings: object | None = None,
    record: CaseRecord | None = None,
) -> Analysis:
    from .checks import check
    from .explain import explain, summarize
    from .extract import extract

    if record is None:
        record = extract(letter, backend, settings=settings)  # type: ignore[arg-type]
    expl = explain(record, lang=lang, backend=explain_backend, letter=letter, settings=settings)
    summary = summarize(record)
    findings = check(letter, record=record, explanation=expl.text, lang=lang)
    return Analysis(
        source=letter.source,
        record=record,
        explanation=expl.text,
        explanation_lang=lang,
        explanation_meta=expl.model_dump(exclude={"text"}),
        summary=summary,
        findings=findings,
    )


def analyze_text(text: str, source: str = "<text>", lang: Literal["en", "es"] = "en") -> dict[str, Any]:
    """Pure and picklable: letter text in, plain JSON-able dict out (deterministic backends only).

    Bad input is returned as ``{"source": ..., "ok": False, "error": {...}}`` instead of raised, so a
    map over millions of letters never dies on one of them.
    """
    from .errors import InputError

    try:
        letter = letter_from_text(text, source)
        result = analyze_letter(letter, lang=lang)
    except InputError as exc:
        return {"source": source, "ok": False, "error": {"reason": exc.reason, "message": exc.message}}
    data = result.model_dump(mode="json")
    data["ok"] = True
    return data
