"""The whole job for one letter: extract -> explain -> summarize -> check, as one pure function.

``analyze_text`` takes text and returns plain data, holds no state and touches no files or network, so
it can be mapped over partitions by an existing engine (Ray Data, Dask bag, Spark) with no scheduler of
ours (docs/scaling.md). The CLI batch, the HTTP service and the eval harness all call
:func:`analyze_letter`.
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

    reference = None
    if record is None:
        record = extract(letter, backend, settings=settings)  # type: ignore[arg-type]
        if backend == "rules":
            # The checks judge an explanation against the rules extractor's reading of the letter; that
            # is the record we just made (the extractor is deterministic), so do not extract it twice.
            reference = record
    expl = explain(record, lang=lang, backend=explain_backend, letter=letter, settings=settings)
    summary = summarize(record)
    findings = check(letter, record=record, explanation=expl.text, lang=lang, reference=reference)
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

    The same ``(text, source, lang)`` always gives an equal dict; nothing is read or written outside the
    call (no files, no network, no environment) except bounded in-memory caches that never change a
    result. On success the dict is ``Analysis.model_dump(mode="json")`` plus ``"ok": True``; bad input
    (and, so that a map over millions of letters never dies on one of them, any other failure) is
    returned as ``{"source": ..., "ok": False, "error": {"reason": ..., "message": ...}}``.
    """
    return _analyze_safely(lambda: letter_from_text(text, source), source, lang)


def analyze_bytes(data: bytes, source: str = "<bytes>", lang: Literal["en", "es"] = "en") -> dict[str, Any]:
    """:func:`analyze_text` for raw file bytes (text in any encoding we read, or a PDF); also pure."""
    from .letter import letter_from_bytes

    return _analyze_safely(lambda: letter_from_bytes(data, source), source, lang)


def _analyze_safely(build: Any, source: str, lang: Literal["en", "es"]) -> dict[str, Any]:
    from .errors import ImrassistError, InputError

    try:
        result = analyze_letter(build(), lang=lang)
    except InputError as exc:
        return {"source": source, "ok": False, "error": {"reason": exc.reason, "message": exc.one_line()}}
    except ImrassistError as exc:
        return {"source": source, "ok": False, "error": {"reason": "error", "message": " ".join(str(exc).split())}}
    except Exception as exc:  # noqa: BLE001 - a map over an archive must not die on one letter
        return {"source": source, "ok": False,
                "error": {"reason": "internal", "message": f"{source}: internal error ({type(exc).__name__})"}}
    data = result.model_dump(mode="json")
    data["ok"] = True
    return data


def warm_up() -> None:
    """Load, once, everything the deterministic pipeline loads on first use: the extractor, checks and
    explainer modules, the knowledge files and textstat's pronunciation dictionary (about 1 s). A parent
    process calls it before forking workers so they share it; a Ray/Dask worker may call it in a setup
    hook. It changes no result."""
    from . import checks, explain, extract, knowledge  # noqa: F401
    from .checks import list_checks
    from .explain.readability import measure

    list_checks()
    for name in ("documents", "odg_chapters", "mtus_titles", "guideline_topics", "glossary", "states"):
        fn = getattr(knowledge, name, None)
        if callable(fn):
            try:
                fn()
            except Exception:  # noqa: BLE001 - warming is best effort
                pass
    for lang in ("en", "es"):
        try:
            measure("Warm up the reader. It is ready now.", lang)
        except Exception:  # noqa: BLE001
            pass
