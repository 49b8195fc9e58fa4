"""The worker explanation written by a model, from the record, checked against the letter.

1. The model gets the record's values as compact JSON (:func:`record_facts`: worker, dates, and per item the
   treatment, amount, decision, citations, limit and rationale), never the raw letter, and writes Markdown
   into :class:`WorkerExplanation` through :func:`imrassist.llm.structured` (instructor re-asks a malformed
   answer; transport errors retry; one token budget covers the whole explanation).
2. :func:`imrassist.checks.check` checks the text against the LETTER (its reference reading of the letter,
   not the possibly wrong record).
3. On an ``error`` finding the model is re-asked once, with the findings (``prompts/explain/v1/reask.md``).
4. If errors remain, or the model fails (transport, validation, budget, replay miss), the deterministic
   template explanation is returned instead, and ``warnings`` say so. Without a letter nothing can be
   checked: the model's text is returned with a warning.

``LLMNotConfigured`` is raised (an explicit ``--backend llm`` without a model is a usage error); every other
model failure falls back to the template, so an explanation always comes back.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..models import CaseRecord, Citation, Usage as RecordUsage

PROMPT_NAME = "explain"
LANG_NAMES = {"en": "English", "es": "Spanish (español)"}
MAX_RATIONALE_CHARS = 700


def _text(v: str) -> str:
    # Bounds are checked here, not as minLength/maxLength in the schema: llama.cpp turns them into grammar
    # repetitions, and {40,12000} is a grammar it refuses to build.
    if len(v.strip()) < 40:
        raise ValueError("the explanation is too short: write the whole explanation")
    if len(v) > 12000:
        raise ValueError("the explanation is too long: one screen, about 300 words")
    return v


class WorkerExplanation(BaseModel):
    """The plain-language explanation for the injured worker."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, AfterValidator(_text)] = Field(description="The explanation, Markdown.")


# ------------------------------------------------------------------------------------------ the record


def _cite(c: Citation) -> str:
    parts = [c.source]
    if c.document:
        parts.append(c.document)
    if c.year:
        parts.append(str(c.year))
    out = " ".join(parts)
    if c.topic:
        out += f", {c.topic}"
    if c.pages:
        out += ", page" + ("s " if len(c.pages) > 1 else " ") + "-".join(str(p) for p in c.pages)
    return out


def _num(v: float | None) -> float | int | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else v


def record_facts(record: CaseRecord) -> dict[str, Any]:
    """What the explanation may say: the record's values (no evidence, no offsets), nulls dropped."""
    def val(ex: Any) -> Any:
        if ex is None:
            return None
        v = ex.value
        return v.isoformat() if hasattr(v, "isoformat") else v

    items = []
    for it in record.items:
        entry: dict[str, Any] = {
            "treatment": it.treatment.value,
            "quantity": _num(it.quantity.value) if it.quantity else None,
            "unit": val(it.unit),
            "decision": it.decision.value,
            "decision_in_plain_words": "approved" if it.decision.value == "overturned" else "still denied",
            "original_request": val(it.original_request),
            "authorized_by_claims_administrator": val(it.authorized),
            "guidelines_relied_on": [_cite(c) for c in it.guidelines] or None,
            "limit": None,
            "rationale": None,
        }
        if it.limit is not None:
            lim = it.limit.value
            entry["limit"] = {"min": lim.min, "max": lim.max, "unit": lim.unit}
        if it.rationale is not None:
            text = " ".join(it.rationale.value.split())
            entry["rationale"] = text if len(text) <= MAX_RATIONALE_CHARS else text[:MAX_RATIONALE_CHARS].rsplit(" ", 1)[0] + " ..."
        items.append({k: v for k, v in entry.items() if v is not None})
    facts: dict[str, Any] = {
        "case_number": val(record.letter.case_number),
        "worker": {"age": val(record.worker.age), "sex": val(record.worker.sex)},
        "dates": {k: val(getattr(record.dates, k)) for k in type(record.dates).model_fields},
        "reviewer_specialty": val(record.reviewer.specialty),
        "items": items,
    }
    facts["worker"] = {k: v for k, v in facts["worker"].items() if v is not None} or None
    facts["dates"] = {k: v for k, v in facts["dates"].items() if v is not None} or None
    return {k: v for k, v in facts.items() if v is not None}


# ------------------------------------------------------------------------------------------ prompting


def _prompt() -> Any:
    from ..llm.prompts import load_prompt

    return load_prompt(PROMPT_NAME)


def build_messages(record: CaseRecord, lang: str) -> list[dict[str, str]]:
    p = _prompt()
    values = {"lang_name": LANG_NAMES.get(lang, lang), "example": p.text("example.md").strip(),
              "record": json.dumps(record_facts(record), ensure_ascii=False, separators=(",", ":"))}
    return [{"role": "system", "content": p.render("system.md", values)},
            {"role": "user", "content": p.render("user.md", values)}]


def _reask_messages(first: list[dict[str, str]], draft: str, findings: list[Any]) -> list[dict[str, str]]:
    p = _prompt()
    lines = []
    for f in findings:
        line = f"- [{f.kind}] {f.message}"
        if getattr(f, "found", None) and getattr(f, "expected", None):
            line += f" (wrote {f.found!r}; the letter says {f.expected!r})"
        lines.append(line)
    return first + [{"role": "assistant", "content": json.dumps({"text": draft}, ensure_ascii=False)},
                    {"role": "user", "content": p.render("reask.md", findings="\n".join(lines))}]


def _errors(letter: Any, text: str, lang: str) -> list[Any]:
    from ..checks import check

    report = check(letter, explanation=text, lang=lang)
    return [f for f in report.findings if f.severity == "error"]


# ------------------------------------------------------------------------------------------ result


def _result(**kw: Any) -> Any:
    from . import ExplanationResult

    fields = ExplanationResult.model_fields
    return ExplanationResult(**{k: v for k, v in kw.items() if k in fields})


def _usage(total: Any) -> RecordUsage | None:
    if total is None:
        return None
    return RecordUsage(**total.as_record())


def explain_llm(record: CaseRecord, *, lang: str = "en", letter: Any = None, settings: Any = None) -> Any:
    """Ask the model for the explanation, check it, re-ask once on error findings, else fall back to the
    template. Returns :class:`imrassist.explain.ExplanationResult`."""
    from ..llm import LLMError, LLMNotConfigured, LLMSettings, TokenBudget, structured
    from ..llm.client import Usage

    settings = settings if settings is not None else LLMSettings.resolve()
    if not settings.configured():
        raise LLMNotConfigured("no model configured for the llm explanation: set IMRASSIST_MODEL (or pass "
                               "--model), or use --backend template; nothing was sent")
    p = _prompt()
    meta = {"lang": lang, "model": settings.model, "prompt_version": p.id, "prompt_hash": p.sha256,
            "mode": settings.effective_mode}
    budget = TokenBudget(settings.token_budget)
    total = Usage()
    warnings: list[str] = []
    messages = build_messages(record, lang)

    def ask(msgs: list[dict[str, str]]) -> str:
        nonlocal total
        try:
            res = structured(WorkerExplanation, msgs, settings, prompt_version=p.cache_tag, budget=budget)
        except LLMError as err:
            u = getattr(err, "usage", None)
            if isinstance(u, Usage):
                total = total + u
            raise
        total = total + res.usage
        return res.value.text.strip()

    try:
        text = ask(messages)
        if letter is None:
            warnings.append("the explanation was not checked against the letter (no letter given)")
            return _result(text=text, backend="llm", warnings=warnings, usage=_usage(total), **meta)
        errors = _errors(letter, text, lang)
        if errors:
            codes = ", ".join(sorted({f.code for f in errors}))
            warnings.append(f"the first draft had {len(errors)} error finding(s) ({codes}); asked the model once more")
            text = ask(_reask_messages(messages, text, errors))
            errors = _errors(letter, text, lang)
        if not errors:
            return _result(text=text, backend="llm", warnings=warnings, usage=_usage(total), **meta)
        codes = ", ".join(sorted({f.code for f in errors}))
        warnings.append(f"the model's explanation still had {len(errors)} error finding(s) after one re-ask "
                        f"({codes}); used the template explanation instead")
    except LLMNotConfigured:
        raise
    except LLMError as err:
        warnings.append(f"the llm explanation failed ({err.reason}): {err}; used the template explanation instead")

    from .template import render

    text, template_warnings = render(record, lang)
    return _result(text=text, backend="template", warnings=warnings + list(template_warnings),
                   usage=_usage(total), **meta)


__all__ = ["explain_llm", "record_facts", "build_messages", "WorkerExplanation"]
