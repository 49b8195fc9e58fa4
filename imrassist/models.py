"""The contracts between stages: CaseRecord (what a letter says) and Finding (where something disagrees).

Every value read from a letter is an :class:`Extracted` value: the value plus its :class:`Evidence`, the
exact quote and its ``[start, end)`` offsets into the ORIGINAL text (the file as read, or the text a PDF
library extracted). Offsets into the original, not into our normalised text, because the original is what
a reviewer, another tool or a highlighter holds; normalisation is our private business.

Both extractors (rules and LLM) return the same CaseRecord, and the checks accept a CaseRecord from
anywhere (ours, another model's, a person's JSON), so the models are strict about shape but tolerant of
missing values: anything the letter does not state is ``None`` / empty, never a guess.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Generic, Iterator, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"

Layout = Literal["format1", "format2", "format3", "other"]
Decision = Literal["upheld", "overturned"]
Sex = Literal["male", "female"]
Priority = Literal["standard", "expedited"]
Source = Literal["MTUS", "ACOEM", "ODG", "OTHER"]
Alignment = Literal["exact", "normalized", "fuzzy", "unaligned"]

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Evidence(_Model):
    """Where a value stands in the letter.

    ``quote == original[start:end]`` always holds for an aligned quote: the quote is copied from the
    original, line breaks and all. ``alignment`` records how an LLM's quote was located (the rules
    extractor always yields ``exact``); an ``unaligned`` quote has no offsets and is flagged by the checks.
    """

    quote: str
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    alignment: Alignment = "exact"

    @model_validator(mode="after")
    def _ordered(self) -> "Evidence":
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end must both be set or both be null")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("end must not be before start")
        return self

    @property
    def span(self) -> tuple[int, int] | None:
        return None if self.start is None or self.end is None else (self.start, self.end)


class Extracted(_Model, Generic[T]):
    """A value and the evidence it was read from."""

    value: T
    evidence: Evidence | None = None


# The parametrised value classes, looked up once. ``Extracted[int]`` is the same class every time (pydantic
# caches it), but evaluating the subscription walks pydantic's generic cache (~1 us): the extractor makes
# about forty values per letter, so it names these instead.
ExtractedStr = Extracted[str]
ExtractedInt = Extracted[int]
ExtractedFloat = Extracted[float]
ExtractedBool = Extracted[bool]
ExtractedDate = Extracted[_dt.date]


class Span(_Model):
    start: int = Field(ge=0)
    end: int = Field(ge=0)


# ----------------------------------------------------------------------------------------------- letter


class LetterInfo(_Model):
    source: str | None = Field(default=None, description="File name or label the letter was read from.")
    sha256: str | None = Field(default=None, description="Hash of the original text, ties a record to its letter.")
    layout: Layout = "other"
    case_number: Extracted[str] | None = None
    priority: Extracted[Priority] | None = None


class Dates(_Model):
    """The letter's key dates. ``ur_decision`` is the UR denial/modification date."""

    injury: Extracted[_dt.date] | None = None
    ur_decision: Extracted[_dt.date] | None = None
    application_received: Extracted[_dt.date] | None = None
    assigned: Extracted[_dt.date] | None = None
    determination: Extracted[_dt.date] | None = None


class Worker(_Model):
    age: Extracted[int] | None = None
    sex: Extracted[Sex] | None = None


class Reviewer(_Model):
    specialty: Extracted[str] | None = None
    licensed_in: list[Extracted[str]] = Field(default_factory=list)
    years_in_practice: Extracted[int] | None = Field(
        default=None, description="Minimum years of active practice the letter states ('more than five years' -> 5)."
    )
    hours_per_week: Extracted[int] | None = Field(
        default=None, description="Minimum weekly hours of active practice ('at least 24 hours a week' -> 24)."
    )


EventKind = Literal["exam", "request", "utilization_review", "imaging", "test", "procedure", "visit", "other"]


class DatedEvent(_Model):
    """A dated fact from the clinical summary (an exam and its findings, a request, a study)."""

    date: Extracted[_dt.date]
    kind: EventKind = "other"
    text: Extracted[str]


URStatus = Literal["denied", "modified", "partially approved", "non-certified"]


class UROutcome(_Model):
    date: Extracted[_dt.date] | None = None
    outcome: Extracted[URStatus] | None = None
    reason: Extracted[str] | None = None


class ClinicalSummary(_Model):
    diagnoses: list[Extracted[str]] = Field(default_factory=list)
    events: list[DatedEvent] = Field(default_factory=list)
    requested: list[Extracted[str]] = Field(default_factory=list)
    utilization_review: UROutcome | None = None


# ------------------------------------------------------------------------------------------------ items


class Citation(_Model):
    """One cited guideline section. Several citations may share one evidence span (one citation line)."""

    source: Source
    document: str | None = None
    year: int | None = None
    topic: str | None = None
    pages: list[int] = Field(default_factory=list)
    evidence: Evidence | None = None


class Limit(_Model):
    """A visit/treatment limit quoted in the rationale: ``4-6 visits`` -> min 4, max 6, unit visit."""

    min: int | None = None
    max: int | None = None
    unit: str | None = None


#: See ExtractedStr.
ExtractedLimit = Extracted[Limit]
#: The value classes of the fields with a closed vocabulary (see ExtractedStr). Made as these directly: an
#: untyped ``Extracted`` put into such a field is validated a second time, into a copy of this class.
ExtractedDecision = Extracted[Decision]
ExtractedPriority = Extracted[Priority]
ExtractedSex = Extracted[Sex]
ExtractedURStatus = Extracted[URStatus]


class Item(_Model):
    treatment: Extracted[str]
    original_request: Extracted[str] | None = Field(
        default=None, description="The request as first made, when UR modified it ('X was the original request')."
    )
    authorized: Extracted[str] | None = Field(
        default=None, description="What the claims administrator authorized instead, when it modified the request."
    )
    quantity: Extracted[float] | None = None
    unit: Extracted[str] | None = None
    decision: Extracted[Decision]
    guidelines: list[Citation] = Field(default_factory=list, description="What the IMR reviewer relied on.")
    guidelines_none_cited: Extracted[bool] | None = Field(
        default=None, description="The letter says the reviewer cited no medical evidence."
    )
    ca_guidelines: list[Citation] = Field(default_factory=list, description="What the claims administrator relied on.")
    ca_guidelines_none_cited: Extracted[bool] | None = None
    limit: Extracted[Limit] | None = None
    medically_necessary: Extracted[bool] | None = Field(
        default=None, description="What the rationale concludes (independent of the decision line)."
    )
    rationale: Extracted[str] | None = None
    span: Span | None = Field(default=None, description="The whole item block in the original text.")


# ----------------------------------------------------------------------------------------------- record


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    transport_retries: int = 0
    validation_retries: int = 0
    cache_hits: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = None


class RunMeta(_Model):
    """How a record was made, so a result can be reproduced and compared."""

    imrassist_version: str | None = None
    backend: Literal["rules", "llm", "manual", "other"] = "rules"
    model: str | None = None
    mode: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    usage: Usage | None = None
    warnings: list[str] = Field(default_factory=list)


class CaseRecord(_Model):
    """Everything imrassist reads from one IMR Final Determination letter."""

    schema_version: str = SCHEMA_VERSION
    letter: LetterInfo = Field(default_factory=LetterInfo)
    worker: Worker = Field(default_factory=Worker)
    dates: Dates = Field(default_factory=Dates)
    reviewer: Reviewer = Field(default_factory=Reviewer)
    summary: ClinicalSummary = Field(default_factory=ClinicalSummary)
    items: list[Item] = Field(default_factory=list)
    meta: RunMeta = Field(default_factory=RunMeta)


# --------------------------------------------------------------------------------------------- findings

Kind = Literal[
    "date",
    "count",
    "page",
    "decision",
    "treatment",
    "guideline",
    "demographic",
    "grounding",
    "deadline",
    "missing",
    "readability",
    "consistency",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
Severity = Literal["error", "warning", "info"]


class Finding(BaseModel):
    """One disagreement, in the JSON shape DESIGN.md fixes for ``check --json``.

    ``span`` points into the letter's original text (null where the letter has no such place);
    ``explanation_span`` into the checked explanation text when the finding is about one.
    """

    model_config = ConfigDict(extra="forbid")

    code: str
    kind: Kind
    severity: Severity
    field: str
    message: str
    found: str | None = None
    expected: str | None = None
    span: tuple[int, int] | None = None
    explanation_span: tuple[int, int] | None = None
    check: str | None = Field(default=None, description="Name of the check that produced it.")


class FindingsSummary(BaseModel):
    error: int = 0
    warning: int = 0
    info: int = 0


class FindingsReport(BaseModel):
    letter: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    summary: FindingsSummary = Field(default_factory=FindingsSummary)

    @classmethod
    def build(cls, letter: str | None, findings: list[Finding]) -> "FindingsReport":
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in findings:
            counts[f.severity] += 1
        return cls(letter=letter, findings=findings, summary=FindingsSummary(**counts))

    @property
    def has_errors(self) -> bool:
        return self.summary.error > 0


def record_json_schema() -> dict[str, Any]:
    """The published JSON Schema of CaseRecord (``imrassist schema``)."""
    schema = CaseRecord.model_json_schema()
    schema["$id"] = f"https://imrassist.invalid/schema/case-record/{SCHEMA_VERSION}"
    schema["title"] = "CaseRecord"
    return schema


Quote = Annotated[str, Field(description="Verbatim text copied from the letter.")]


def iter_extracted(obj: BaseModel, path: str = "") -> "Iterator[tuple[str, BaseModel]]":
    """Every Extracted value and Citation inside ``obj`` with its dotted path (``items.0.quantity``).

    One generic walk, so that a field added to the models is covered by the grounding checks and the
    evidence tests without anyone remembering to list it.
    """
    from collections.abc import Iterator  # noqa: F401  (for the annotation)

    for name in type(obj).model_fields:
        value = getattr(obj, name)
        sub = f"{path}.{name}" if path else name
        yield from _walk(value, sub)


def _walk(value: Any, path: str) -> "Iterator[tuple[str, BaseModel]]":
    if isinstance(value, Extracted):
        yield path, value
        if isinstance(value.value, BaseModel):
            yield from iter_extracted(value.value, path + ".value")
    elif isinstance(value, Citation):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_extracted(value, path)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}.{i}")
