"""Request and response shapes of the HTTP API (documented in the served OpenAPI).

Responses reuse the library's models (CaseRecord, FindingsReport, ExplanationResult, Analysis), so the
service returns exactly the JSON of the CLI's ``--json`` output.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import CaseRecord, FindingsReport

_NAME = Field(default=None, max_length=512, description="A label for the letter (file name); appears in messages "
              "and in the findings' `letter` field. Default `<text>`.")
_TEXT = Field(description="The letter: plain text as read from the file (or the text of a PDF).")
_RECORD = Field(default=None, description="A CaseRecord (as printed by `imrassist extract --json`), as a JSON "
                "object or as JSON text. Omitted: the record is extracted from the letter.")


class _Req(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LetterRequest(_Req):
    """A letter as JSON."""

    text: str = _TEXT
    name: str | None = _NAME


class LetterRecordRequest(LetterRequest):
    """A letter and, optionally, the record to use instead of extracting one."""

    record: dict[str, Any] | str | None = _RECORD


class CheckRequest(LetterRecordRequest):
    """A letter with a record and/or an explanation to check against it (neither: the letter itself)."""

    explanation: str | None = Field(default=None, description="An explanation or summary (plain text or "
                                    "Markdown) to check against the letter.")


class ErrorBody(BaseModel):
    reason: str = Field(description="Stable machine-readable reason: empty, binary, not_imr, needs_ocr, "
                        "corrupt_pdf, encrypted, bad_record, too_large, bad_request, unauthorized, timeout, ...")
    message: str = Field(description="One line, the same as the CLI prints (without the `imrassist: ` prefix).")


class ErrorResponse(BaseModel):
    error: ErrorBody


class SummaryResponse(BaseModel):
    letter: str | None = Field(default=None, description="The letter's label.")
    summary: str = Field(description="The reviewer summary, Markdown (what `imrassist summarize` prints).")


class LetterView(BaseModel):
    source: str
    sha256: str
    layout: str
    page_count: int
    text: str = Field(description="The letter's original text: every evidence and finding span points into it.")
    double_spaced: bool = Field(default=False, description="A blank line follows almost every line (as PDF text "
                                "of some letters has it): a page may hide every other line break.")
    soft_breaks: list[tuple[int, int]] = Field(
        default_factory=list, description="`[start, end)` spans of `text` (whitespace only) where a line break only "
        "wraps a paragraph: a page may show each as one space to reflow the letter to its own width.")


class AnalyzeResponse(BaseModel):
    source: str | None = None
    letter: LetterView
    record: CaseRecord
    explanation: str
    explanation_lang: str = "en"
    explanation_meta: dict[str, Any] = {}
    summary: str
    findings: FindingsReport


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


# ------------------------------------------------------------------------------------ OpenAPI request bodies

def _inline(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema


def request_body(model: type[BaseModel], *, record: bool, explanation: bool) -> dict[str, Any]:
    """``requestBody`` for an endpoint that takes a letter as JSON, multipart upload or raw body."""
    props: dict[str, Any] = {
        "letter": {"type": "string", "format": "binary", "description": "The letter file (PDF or text)."},
        "text": {"type": "string", "description": "The letter as text (instead of a file)."},
        "name": {"type": "string", "maxLength": 512, "description": "A label for the letter (default: the file name)."},
    }
    if record:
        props["record"] = {"type": "string", "format": "binary", "description": "A CaseRecord JSON file (or text)."}
    if explanation:
        props["explanation"] = {"type": "string", "format": "binary",
                                "description": "An explanation (text or Markdown) file or text to check."}
    raw = {"schema": {"type": "string", "format": "binary"}}
    return {
        "required": True,
        "description": "The letter as JSON, as a multipart form (a PDF or text upload), or as the raw body "
                       "(`application/pdf` or `text/plain`).",
        "content": {
            "application/json": {"schema": _inline(model)},
            "multipart/form-data": {"schema": {"type": "object", "properties": props, "additionalProperties": False}},
            "application/pdf": raw,
            "text/plain": {"schema": {"type": "string"}},
        },
    }
