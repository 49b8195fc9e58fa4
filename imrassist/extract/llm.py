"""The LLM extractor: a model reads the letter into quotes, our code finds the quotes and builds the CaseRecord.

The model fills :class:`CaseRecordQuotes`, a response model that mirrors :class:`~imrassist.models.CaseRecord`
but carries, for every value, the verbatim ``quote`` it was read from and never an offset. Text values (the
treatment, the specialty, a diagnosis) are the quote itself; typed values (dates, ages, decisions, amounts)
come with their quote. :mod:`imrassist.extract.align` then finds each quote in the letter (exact, normalized,
fuzzy, else ``unaligned`` with null offsets) and :func:`imrassist.extract.reparse.supports` re-reads the value
from the aligned quote; what cannot be found or does not support its value is named in ``meta.warnings``
and flagged by the grounding checks.

Calls go through :func:`imrassist.llm.structured` / :func:`~imrassist.llm.astructured`: validation errors
are re-asked by instructor (``settings.max_retries``), transport errors retried with backoff, one
:class:`~imrassist.llm.TokenBudget` is shared by every call for the letter, answers are cached / replayed when
``settings.cache`` / ``settings.replay_only`` are set (key: model, mode, prompt version+hash, schema hash,
letter+prompt hash).

Long letters: when the estimated prompt exceeds ``settings.max_input_tokens`` (~4 characters a token), the
letter is read in chunks: one call for header, summary and reviewer (the letter with its item blocks cut
out), and one call per group of consecutive item blocks (cut where the rules extractor found them; groups
are packed up to the same limit, so a small limit means one call per item block). The answers are merged
in letter order. When the rules extractor finds no item block, the whole letter goes in one call.

Privacy: nothing is sent unless a model is configured. With ``settings.redact`` the client replaces case,
claim and other id numbers with placeholders before sending; quotes holding a placeholder are aligned by a
pattern against the original, so the evidence (and the case number's value) is read locally from the letter
and the number never leaves the machine. The letter text is never logged.

Prompt injection: the letter is data. It is sent between marker lines carrying a per-letter nonce, and the
system prompt tells the model to ignore instructions inside it. A model that obeys one anyway is caught
downstream: its fabricated quotes do not align, and a decision that contradicts its quote is not supported.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Awaitable, Callable, Literal, Sequence, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .. import __version__
from ..letter import Letter, letter_from_text, normalize_fragment
from ..models import (
    CaseRecord,
    Citation,
    ClinicalSummary,
    DatedEvent,
    Dates,
    Decision,
    EventKind,
    Evidence,
    Extracted,
    Item,
    LetterInfo,
    Limit,
    Priority,
    Reviewer,
    RunMeta,
    Sex,
    Source,
    Span,
    UROutcome,
    Usage as RecordUsage,
    Worker,
    iter_extracted,
)
from .align import Aligner, to_normalized

T = TypeVar("T")

PROMPT_NAME = "extract"
LLM_BACKENDS = ("llm", "auto")

# ============================================================================================ response model
# What the model fills. Lenient where models are sloppy in harmless ways ("Upheld", "2013-12-27T00:00",
# "five"), strict where it matters (a decision is upheld or overturned). Field descriptions are short: they
# travel in every request.


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def _upper(v: Any) -> Any:
    return v.strip().upper() if isinstance(v, str) else v


def _date(v: Any) -> Any:
    if isinstance(v, str):
        s = v.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?", s):
            return s[:10]
        from ..parse import parse_date

        d = parse_date(s)
        return d if d is not None else s
    return v


def _number(v: Any) -> Any:
    if isinstance(v, str):
        from ..parse import parse_number

        s = v.strip()
        try:
            return float(s)
        except ValueError:
            n = parse_number(s)
            return n if n is not None else s
    return v


def _int(v: Any) -> Any:
    v = _number(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _pages(v: Any) -> Any:
    if isinstance(v, str):
        nums = [int(x) for x in re.findall(r"\d{1,4}", v)]
        if re.fullmatch(r"\s*\d{1,4}\s*-\s*\d{1,4}\s*", v) and len(nums) == 2 and nums[0] < nums[1]:
            return nums
        return nums
    if isinstance(v, (int, float)):
        return [int(v)]
    return v


def _quote(v: str) -> str:
    # Checked here rather than as minLength/maxLength in the schema: llama.cpp turns length bounds into
    # grammar repetitions, and {1,4000} over every quote makes its grammar too large to load.
    if not v.strip():
        raise ValueError("the quote is empty: copy the words from the letter")
    if len(v) > MAX_QUOTE_CHARS:
        raise ValueError(f"the quote is {len(v)} characters long; quote at most {MAX_QUOTE_CHARS} (the shortest "
                         "passage that shows the value)")
    return v


MAX_QUOTE_CHARS = 4000
QuoteText = Annotated[str, AfterValidator(_quote), Field(description="Verbatim text copied from the letter.")]
LDate = Annotated[dt.date, BeforeValidator(_date), Field(description="YYYY-MM-DD")]
LInt = Annotated[int, BeforeValidator(_int)]
LFloat = Annotated[float, BeforeValidator(_number)]


def _strip_titles(node: Any) -> Any:
    """Drop pydantic's per-field ``title`` keys (noise the model pays for in every request)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: {kk: _strip_titles(vv) for kk, vv in (prop.items() if isinstance(prop, dict) else [])
                                 if kk != "title"} if isinstance(prop, dict) else prop for name, prop in v.items()}
            else:
                out[k] = _strip_titles(v)
        return out
    if isinstance(node, list):
        return [_strip_titles(x) for x in node]
    return node


_SCHEMAS: dict[Any, str] = {}


class _Q(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        # instructor asks for the schema on every request; building it costs ~20 ms, so keep one per class.
        # instructor and our client wrap the class in same-field subclasses per request: key by our class.
        ours = next((c for c in cls.__mro__ if globals().get(c.__name__) is c), cls)
        key = (ours, cls.__name__, tuple(cls.model_fields), args, tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        try:
            cached = _SCHEMAS.get(key)
        except TypeError:  # unhashable arguments: no caching
            return _strip_titles(super().model_json_schema(*args, **kwargs))
        if cached is None:
            cached = _SCHEMAS[key] = json.dumps(_strip_titles(super().model_json_schema(*args, **kwargs)))
        return json.loads(cached)  # a fresh copy: callers may modify it


class QText(_Q):
    """A text value: the quote is the value."""

    quote: QuoteText


class QDate(_Q):
    value: LDate
    quote: QuoteText


class QInt(_Q):
    value: LInt
    quote: QuoteText


class QBool(_Q):
    value: bool
    quote: QuoteText


class QSex(_Q):
    value: Annotated[Sex, BeforeValidator(_lower)]
    quote: QuoteText


class QPriority(_Q):
    value: Annotated[Priority, BeforeValidator(_lower)]
    quote: QuoteText


class QDecision(_Q):
    value: Annotated[Decision, BeforeValidator(_lower)] = Field(
        description="upheld = the denial stands (not medically necessary); overturned = medically necessary")
    quote: QuoteText


URKind = Literal["denied", "modified", "partially approved", "non-certified"]


class QOutcome(_Q):
    value: Annotated[URKind, BeforeValidator(_lower)]
    quote: QuoteText


class QQuantity(_Q):
    value: LFloat = Field(description="total amount requested")
    unit: str | None = Field(default=None, description="counted noun, singular, lower case: visit, session, count")
    quote: QuoteText


class QLimit(_Q):
    min: LInt | None = None
    max: LInt | None = None
    unit: str | None = None
    quote: QuoteText


class QCitation(_Q):
    source: Annotated[Source, BeforeValidator(_upper)]
    document: str | None = None
    year: LInt | None = None
    topic: str | None = None
    pages: Annotated[list[int], BeforeValidator(_pages)] = Field(default_factory=list)
    quote: QuoteText


class QEvent(_Q):
    date: LDate
    kind: Annotated[EventKind, BeforeValidator(_lower)] = "other"
    quote: QuoteText = Field(description="the sentence that states the event")


class WorkerQuotes(_Q):
    age: QInt | None = None
    sex: QSex | None = None


class DatesQuotes(_Q):
    injury: QDate | None = None
    ur_decision: QDate | None = None
    application_received: QDate | None = None
    assigned: QDate | None = None
    determination: QDate | None = None


class ReviewerQuotes(_Q):
    specialty: QText | None = None
    licensed_in: list[QText] = Field(default_factory=list)
    years_in_practice: QInt | None = None
    hours_per_week: QInt | None = None


class URQuotes(_Q):
    date: QDate | None = None
    outcome: QOutcome | None = None
    reason: QText | None = None


class SummaryQuotes(_Q):
    diagnoses: list[QText] = Field(default_factory=list)
    events: list[QEvent] = Field(default_factory=list)
    requested: list[QText] = Field(default_factory=list)
    utilization_review: URQuotes | None = None


class ItemQuotes(_Q):
    treatment: QText
    original_request: QText | None = None
    authorized: QText | None = None
    quantity: QQuantity | None = None
    decision: QDecision
    guidelines: list[QCitation] = Field(default_factory=list)
    guidelines_none_cited: QBool | None = None
    ca_guidelines: list[QCitation] = Field(default_factory=list)
    ca_guidelines_none_cited: QBool | None = None
    limit: QLimit | None = None
    medically_necessary: QBool | None = None
    rationale: QText | None = None


class HeaderQuotes(_Q):
    """What an IMR letter says outside its item blocks, every value with its verbatim quote."""

    # The sections are required (null when absent): a grammar-constrained model (llama.cpp) otherwise takes
    # the shortest valid answer, "{}".
    case_number: QText | None
    priority: QPriority | None
    worker: WorkerQuotes
    dates: DatesQuotes
    reviewer: ReviewerQuotes
    summary: SummaryQuotes


# Every letter decides at least one item; minItems also keeps a grammar-constrained model from answering [].
ItemList = Annotated[list[ItemQuotes], Field(min_length=1, description="every disputed item, in letter order")]


class CaseRecordQuotes(HeaderQuotes):
    """What an IMR letter says, every value with its verbatim quote."""

    items: ItemList


class ItemsQuotes(_Q):
    """The disputed items in one part of an IMR letter, every value with its verbatim quote."""

    items: ItemList


# ============================================================================================ CaseRecord -> quotes
# (builds the few-shot answer from a rules record, and lets tests play "model" with real quotes)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _citation_quote(c: Citation) -> dict[str, Any]:
    return {"source": c.source, "document": c.document, "year": c.year, "topic": c.topic, "pages": list(c.pages),
            "quote": _one_line(c.evidence.quote) if c.evidence else ""}


def answer_from_record(record: CaseRecord, *, verbatim: bool = False, letter: Letter | None = None) -> dict[str, Any]:
    """The JSON a perfect model would return for ``record``.

    Quotes: the evidence quotes on one line (default); as they are, line breaks and all (``verbatim``); or,
    given the ``letter``, copied from the normalised text the model is shown (what a perfect model quotes)."""
    line = (lambda s: s) if verbatim else _one_line
    if letter is not None:
        spans = {}
        for _, ex in iter_extracted(record):
            ev = getattr(ex, "evidence", None)
            if ev is not None and ev.start is not None:
                ns, ne = to_normalized(letter, ev.start), to_normalized(letter, ev.end)
                spans[ev.quote] = " ".join(letter.text[ns:ne].split())
        line = lambda s: spans.get(s, _one_line(s))  # noqa: E731

    def qt(ex: Any) -> Any:
        return None if ex is None or ex.evidence is None else {"quote": line(ex.evidence.quote)}

    def qv(ex: Any) -> Any:
        if ex is None or ex.evidence is None:
            return None
        value = ex.value.isoformat() if isinstance(ex.value, dt.date) else ex.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return {"value": value, "quote": line(ex.evidence.quote)}

    ur = record.summary.utilization_review
    items = []
    for it in record.items:
        q = None
        if it.quantity is not None and it.quantity.evidence is not None:
            q = {"value": int(it.quantity.value) if float(it.quantity.value).is_integer() else it.quantity.value,
                 "unit": it.unit.value if it.unit else None, "quote": line(it.quantity.evidence.quote)}
        lim = None
        if it.limit is not None and it.limit.evidence is not None:
            lim = {"min": it.limit.value.min, "max": it.limit.value.max, "unit": it.limit.value.unit,
                   "quote": line(it.limit.evidence.quote)}
        cit = lambda c: {**_citation_quote(c), "quote": line(c.evidence.quote) if c.evidence else ""}  # noqa: E731
        items.append({
            "treatment": qt(it.treatment), "original_request": qt(it.original_request), "authorized": qt(it.authorized),
            "quantity": q, "decision": qv(it.decision),
            "guidelines": [cit(c) for c in it.guidelines], "guidelines_none_cited": qv(it.guidelines_none_cited),
            "ca_guidelines": [cit(c) for c in it.ca_guidelines],
            "ca_guidelines_none_cited": qv(it.ca_guidelines_none_cited),
            "limit": lim, "medically_necessary": qv(it.medically_necessary), "rationale": qt(it.rationale),
        })
    return {
        "case_number": qt(record.letter.case_number),
        "priority": qv(record.letter.priority),
        "worker": {"age": qv(record.worker.age), "sex": qv(record.worker.sex)},
        "dates": {k: qv(getattr(record.dates, k)) for k in Dates.model_fields},
        "reviewer": {"specialty": qt(record.reviewer.specialty),
                     "licensed_in": [qt(s) for s in record.reviewer.licensed_in if s.evidence],
                     "years_in_practice": qv(record.reviewer.years_in_practice),
                     "hours_per_week": qv(record.reviewer.hours_per_week)},
        "summary": {
            "diagnoses": [qt(d) for d in record.summary.diagnoses if d.evidence],
            "events": [{"date": e.date.value.isoformat(), "kind": e.kind, "quote": line(e.text.evidence.quote)}
                       for e in record.summary.events if e.text.evidence],
            "requested": [qt(r) for r in record.summary.requested if r.evidence],
            "utilization_review": None if ur is None else {"date": qv(ur.date), "outcome": qv(ur.outcome),
                                                           "reason": qt(ur.reason)},
        },
        "items": items,
    }


# ============================================================================================ prompts


def _prompt() -> Any:
    from ..llm.prompts import load_prompt

    return load_prompt(PROMPT_NAME)


def _nonce(letter: Letter) -> str:
    return (letter.sha256 or "0" * 12)[:12].upper()


def _markers(nonce: str) -> tuple[str, str]:
    return f"=====BEGIN LETTER {nonce}=====", f"=====END LETTER {nonce}====="


@dataclass(frozen=True)
class _Chunk:
    kind: Literal["full", "header", "items"]
    text: str  # what the model reads (normalised letter text, or a part of it)
    region: tuple[int, int] | None  # original offsets the chunk covers (alignment hint); None = whole letter
    index: int = 0


_CASE_ID = re.compile(r"\b[A-Z]{1,4}\d{2}-\d{4,8}\b")
_OMITTED = "[... disputed item block(s) omitted here: they are read separately ...]"


def _item_groups(letter: Letter, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Item spans (original offsets) -> merged, ordered groups in NORMALISED offsets."""
    norm = sorted((to_normalized(letter, s), to_normalized(letter, e)) for s, e in spans if e > s)
    groups: list[list[int]] = []
    for s, e in norm:
        if groups and s < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], e)
        else:
            groups.append([s, e])
    return [(s, e) for s, e in groups]


def _header_text(letter: Letter, groups: Sequence[tuple[int, int]]) -> str:
    text = letter.text
    parts: list[str] = []
    pos = 0
    for s, e in groups:
        parts.append(text[pos:s].rstrip())
        parts.append("\n" + _OMITTED + "\n")
        pos = e
    parts.append(text[pos:])
    return "".join(parts).strip()


def _region(letter: Letter, s: int, e: int) -> tuple[int, int]:
    return letter.to_original(s, e)


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


@lru_cache(maxsize=8)
def _schema_chars(model: type[BaseModel]) -> int:
    return len(json.dumps(model.model_json_schema(), separators=(",", ":")))


_TASK_FILE = {"full": "task-full.md", "header": "task-header.md", "items": "task-items.md"}
_MODEL_FOR = {"full": CaseRecordQuotes, "header": HeaderQuotes, "items": ItemsQuotes}


@lru_cache(maxsize=4)
def _example(prompt_sha: str) -> dict[str, tuple[str, str]]:
    """Per task kind: (example letter text, example answer JSON), cut from the prompt's public sample letter
    with the same chunking as real letters."""
    p = _prompt()
    original = p.text("example-letter.txt")
    answer = json.loads(p.text("example-answer.json"))
    ex_letter = letter_from_text(original, "example", require_imr=False)
    from .rules import extract_rules

    spans = [(i.span.start, i.span.end) for i in extract_rules(ex_letter).items if i.span]
    groups = _item_groups(ex_letter, spans)
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, indent=None)  # noqa: E731
    header_answer = {k: v for k, v in answer.items() if k != "items"}
    items_text = "\n".join(ex_letter.text[s:e].strip() for s, e in groups) if groups else ex_letter.text
    return {
        "full": (ex_letter.text, dump(answer)),
        "header": (_header_text(ex_letter, groups), dump(header_answer)),
        "items": (items_text, dump({"items": answer.get("items", [])})),
    }


def build_messages(letter: Letter, chunk: _Chunk) -> list[dict[str, str]]:
    """The chat messages for one chunk (system: rules + few-shot; user: the delimited letter text)."""
    p = _prompt()
    begin, end = _markers(_nonce(letter))
    ex_text, ex_answer = _example(p.sha256)[chunk.kind]
    values = {"begin": begin, "end": end, "example_letter": ex_text, "example_answer": ex_answer}
    values["task"] = p.render(_TASK_FILE[chunk.kind], values)
    system = p.render("system.md", values)
    user = p.render("user.md", {**values, "letter": chunk.text})
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _estimate(letter: Letter, chunk: _Chunk) -> int:
    """Prompt tokens, estimated at ~4 characters a token. The schema travels as tool parameters (tools,
    json_schema) or pretty-printed inside the system message (json, md_json: about twice as long)."""
    msgs = build_messages(letter, chunk)
    chars = sum(len(m["content"]) for m in msgs) + 2 * _schema_chars(_MODEL_FOR[chunk.kind])
    return _tokens(chars)


@dataclass
class Plan:
    """How one letter is read: the chunks, and why."""

    chunks: list[_Chunk]
    chunked: bool
    estimated_tokens: int
    warnings: list[str] = field(default_factory=list)


def plan_letter(letter: Letter, settings: Any, *, rules_record: CaseRecord | None = None) -> Plan:
    """One call for the whole letter, or header + item-group calls when the prompt would exceed
    ``settings.max_input_tokens``."""
    full = _Chunk("full", letter.text, None)
    est = _estimate(letter, full)
    limit = getattr(settings, "max_input_tokens", None)
    if limit is None or est <= limit:
        return Plan([full], False, est)
    if rules_record is None:
        from .rules import extract_rules

        rules_record = extract_rules(letter)
    spans = [(i.span.start, i.span.end) for i in rules_record.items if i.span]
    groups = _item_groups(letter, spans)
    if not groups:
        return Plan([full], False, est, [f"letter is ~{est} tokens, above max_input_tokens={limit}, but no item "
                                         "blocks were found to cut it by; sent whole"])
    warnings: list[str] = []
    overlapping = len(groups) < len(spans)  # issue-indexed layouts: items are discussed in shared sections
    header_text = _header_text(letter, groups)
    if overlapping:
        header_text = letter.text[: max(2000, limit * 2)]  # the header and summary come first
    chunks = [_Chunk("header", header_text, None, 0)]
    empty = _estimate(letter, _Chunk("items", "", None))
    room = max(1, limit - empty) * 4  # characters of letter text per item call
    # An answer runs about three times as long as the item text it quotes from; keep it well inside the
    # output limit (max_output_tokens, else 4096) so a group's answer is not cut off.
    out_cap = getattr(settings, "max_output_tokens", None) or 4096
    room = max(1, min(room, out_cap * 4 // 2 // 3))
    packed: list[tuple[int, int]] = []
    for s, e in groups:
        if packed and (e - packed[-1][0]) <= room:
            packed[-1] = (packed[-1][0], e)
        else:
            packed.append((s, e))
    for i, (s, e) in enumerate(packed, start=1):
        if e - s > room:
            warnings.append(f"item chunk {i} is ~{_tokens(e - s) + empty} tokens, above the chunk size")
        chunks.append(_Chunk("items", letter.text[s:e].strip(), _region(letter, s, e), i))
    return Plan(chunks, True, est, warnings)


# ============================================================================================ assembly


def _text_value(ev: Evidence, fallback: str) -> str:
    if ev.start is not None:
        return " ".join(normalize_fragment(ev.quote).split()) or _one_line(ev.quote)
    return _one_line(fallback)


class _Builder:
    def __init__(self, letter: Letter):
        self.letter = letter
        self.aligner = Aligner(letter)

    def ev(self, quote: str, hint: tuple[int, int] | None) -> Evidence:
        return self.aligner.align(quote, hint).evidence

    def text(self, q: QText | None, hint: tuple[int, int] | None = None) -> Extracted[str] | None:
        if q is None:
            return None
        ev = self.ev(q.quote, hint)
        return Extracted[str](value=_text_value(ev, q.quote), evidence=ev)

    def value(self, q: Any, hint: tuple[int, int] | None = None, cast: Callable[[Any], Any] = lambda v: v) -> Any:
        if q is None:
            return None
        return Extracted(value=cast(q.value), evidence=self.ev(q.quote, hint))

    def state(self, q: QText, hint: tuple[int, int] | None = None) -> Extracted[str]:
        from .. import knowledge

        ev = self.ev(q.quote, hint)
        raw = _text_value(ev, q.quote).strip(" .,;")
        table = knowledge.states() or {}
        return Extracted[str](value=table.get(raw.lower(), raw), evidence=ev)

    def citation(self, q: QCitation, hint: tuple[int, int] | None) -> Citation:
        return Citation(source=q.source, document=q.document, year=q.year, topic=q.topic, pages=list(q.pages),
                        evidence=self.ev(q.quote, hint))

    # ---- parts

    def header(self, h: HeaderQuotes, hint: tuple[int, int] | None = None) -> dict[str, Any]:
        case = self.text(h.case_number, hint)
        if case is not None:
            case = self._case_number(case)
        s = h.summary
        events = []
        for e in s.events:
            ev = self.ev(e.quote, hint)
            events.append(DatedEvent(date=Extracted[dt.date](value=e.date, evidence=self._date_in(ev, e.date)),
                                     kind=e.kind, text=Extracted[str](value=_text_value(ev, e.quote), evidence=ev)))
        ur = None
        if s.utilization_review is not None:
            u = s.utilization_review
            ur = UROutcome(date=self.value(u.date, hint), outcome=self.value(u.outcome, hint), reason=self.text(u.reason, hint))
        return {
            "case_number": case,
            "priority": self.value(h.priority, hint),
            "worker": Worker(age=self.value(h.worker.age, hint), sex=self.value(h.worker.sex, hint)),
            "dates": Dates(**{k: self.value(getattr(h.dates, k), hint) for k in Dates.model_fields}),
            "reviewer": Reviewer(
                specialty=self.text(h.reviewer.specialty, hint),
                licensed_in=[self.state(x, hint) for x in h.reviewer.licensed_in],
                years_in_practice=self.value(h.reviewer.years_in_practice, hint),
                hours_per_week=self.value(h.reviewer.hours_per_week, hint),
            ),
            "summary": ClinicalSummary(diagnoses=[self.text(d, hint) for d in s.diagnoses], events=events,
                                       requested=[self.text(r, hint) for r in s.requested], utilization_review=ur),
        }

    def _case_number(self, case: Extracted[str]) -> Extracted[str]:
        """A quote such as "Case Number: CM14-0187763" -> the number, its evidence narrowed to it."""
        ev = case.evidence
        m = _CASE_ID.search(ev.quote) if ev is not None else None
        if m is None:
            return case.model_copy(update={"value": case.value.strip(" .:;,")})
        if ev.start is None:
            return Extracted[str](value=m.group(0), evidence=ev)
        s, e = ev.start + m.start(), ev.start + m.end()
        return Extracted[str](value=m.group(0), evidence=Evidence(quote=self.letter.original[s:e], start=s, end=e,
                                                                   alignment=ev.alignment))

    def _date_in(self, sentence: Evidence, date: dt.date) -> Evidence:
        """The date's own words inside an aligned event sentence (else the model's sentence, unaligned)."""
        if sentence.start is not None:
            from ..parse import find_dates

            for d in find_dates(sentence.quote):
                if d.date == date:
                    s = sentence.start + d.start
                    return Evidence(quote=self.letter.original[s:sentence.start + d.end], start=s,
                                    end=sentence.start + d.end, alignment=sentence.alignment)
            # the sentence is in the letter but says no such date: the grounding check must see that
            return Evidence(quote=sentence.quote, alignment="unaligned")
        return sentence

    def items(self, qs: Sequence[ItemQuotes], region: tuple[int, int] | None) -> list[Item]:
        # Anchor each item at its treatment quote, searching forward from the previous anchor, then read the
        # item's other quotes preferring its own stretch of the letter (anchor .. next anchor).
        end_of_region = region[1] if region else len(self.letter.original)
        anchors: list[Evidence] = []
        cursor = region[0] if region else 0
        for q in qs:
            ev = self.ev(q.treatment.quote, (cursor, end_of_region))
            anchors.append(ev)
            if ev.start is not None and ev.start >= cursor:
                cursor = ev.start + 1
        out: list[Item] = []
        for i, q in enumerate(qs):
            a = anchors[i]
            start = a.start if a.start is not None else (region[0] if region else 0)
            nxt = next((x.start for x in anchors[i + 1:] if x.start is not None and x.start > start), end_of_region)
            hint = (start, nxt)
            quantity = unit = None
            if q.quantity is not None:
                qev = self.ev(q.quantity.quote, hint)
                quantity = Extracted[float](value=float(q.quantity.value), evidence=qev)
                if q.quantity.unit:
                    unit = Extracted[str](value=q.quantity.unit.strip().lower(), evidence=qev)
            limit = None
            if q.limit is not None:
                limit = Extracted[Limit](value=Limit(min=q.limit.min, max=q.limit.max, unit=q.limit.unit),
                                         evidence=self.ev(q.limit.quote, hint))
            item = Item(
                treatment=Extracted[str](value=_text_value(a, q.treatment.quote), evidence=a),
                original_request=self.text(q.original_request, hint),
                authorized=self.text(q.authorized, hint),
                quantity=quantity,
                unit=unit,
                decision=self.value(q.decision, hint),
                guidelines=[self.citation(c, hint) for c in q.guidelines],
                guidelines_none_cited=self.value(q.guidelines_none_cited, hint),
                ca_guidelines=[self.citation(c, hint) for c in q.ca_guidelines],
                ca_guidelines_none_cited=self.value(q.ca_guidelines_none_cited, hint),
                limit=limit,
                medically_necessary=self.value(q.medically_necessary, hint),
                rationale=self.text(q.rationale, hint),
            )
            spans = [ev.span for _, ev in _evidences(item) if ev.span is not None]
            if spans:
                item.span = Span(start=min(s for s, _ in spans), end=max(e for _, e in spans))
            out.append(item)
        return out


def _evidences(obj: BaseModel) -> list[tuple[str, Evidence]]:
    out = []
    for path, ex in iter_extracted(obj):
        ev = getattr(ex, "evidence", None)
        if ev is not None:
            out.append((path, ev))
    return out


def grounding_warnings(record: CaseRecord, *, limit: int = 8) -> list[str]:
    """Warnings naming (by field path, never by text) quotes not found in the letter and values their quote
    does not support."""
    from .reparse import supports

    unaligned: list[str] = []
    unsupported: list[str] = []
    fuzzy = 0
    total = 0
    for path, ex in iter_extracted(record):
        ev = getattr(ex, "evidence", None)
        if ev is None:
            continue
        total += 1
        if ev.alignment == "unaligned":
            unaligned.append(path)
            continue
        if ev.alignment == "fuzzy":
            fuzzy += 1
        if isinstance(ex, Extracted):
            try:
                ok = supports(path, ev.quote, ex.value)
            except Exception:  # noqa: BLE001 - a re-reader must never break extraction
                ok = None
            if ok is False:
                unsupported.append(path)

    def names(paths: list[str]) -> str:
        more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
        return ", ".join(paths[:limit]) + more

    out = []
    if unaligned:
        out.append(f"{len(unaligned)} of {total} quotes were not found in the letter (unaligned, no offsets): "
                   f"{names(unaligned)}")
    if unsupported:
        out.append(f"{len(unsupported)} value(s) not supported by their quote: {names(unsupported)}")
    if fuzzy:
        out.append(f"{fuzzy} of {total} quotes matched the letter only approximately (fuzzy alignment)")
    return out


def _record_usage(usage: Any, wall: float) -> RecordUsage | None:
    if usage is None:
        return None
    data = usage.as_record() if hasattr(usage, "as_record") else dict(usage)
    data["latency_s"] = round(wall, 4)
    return RecordUsage(**data)


def assemble(letter: Letter, plan: Plan, answers: Sequence[BaseModel], *, settings: Any = None, usage: Any = None,
             wall: float = 0.0, warnings: Sequence[str] = ()) -> CaseRecord:
    """Merge the chunk answers (in plan order) into one CaseRecord with aligned evidence and metadata."""
    b = _Builder(letter)
    head: BaseModel | None = None
    items: list[Item] = []
    for chunk, ans in zip(plan.chunks, answers):
        if chunk.kind in ("full", "header"):
            head = ans
        if chunk.kind in ("full", "items"):
            items.extend(b.items(getattr(ans, "items", []), chunk.region))
    if not isinstance(head, HeaderQuotes):
        head = HeaderQuotes(case_number=None, priority=None, worker=WorkerQuotes(), dates=DatesQuotes(),
                            reviewer=ReviewerQuotes(), summary=SummaryQuotes())
    parts = b.header(head)
    p = _prompt()
    record = CaseRecord(
        letter=LetterInfo(source=letter.source, sha256=letter.sha256, layout=letter.layout,
                          case_number=parts["case_number"], priority=parts["priority"]),
        worker=parts["worker"], dates=parts["dates"], reviewer=parts["reviewer"], summary=parts["summary"],
        items=items,
        meta=RunMeta(imrassist_version=__version__, backend="llm",
                     model=getattr(settings, "model", None), mode=getattr(settings, "effective_mode", None),
                     prompt_version=p.id, prompt_hash=p.sha256, usage=_record_usage(usage, wall)),
    )
    record.meta.warnings.extend(list(plan.warnings) + list(warnings) + grounding_warnings(record))
    return record


# ============================================================================================ running


def _settings(settings: Any) -> Any:
    from ..llm.settings import LLMSettings

    if settings is None:
        return LLMSettings.resolve()
    if not isinstance(settings, LLMSettings):
        raise TypeError("settings must be imrassist.llm.LLMSettings (or None to resolve from env/config)")
    return settings


def _call_args(letter: Letter, chunk: _Chunk) -> tuple[type[BaseModel], list[dict[str, str]], None]:
    return _MODEL_FOR[chunk.kind], build_messages(letter, chunk), None


def _sum_usage(results: Sequence[Any]) -> Any:
    from ..llm.client import Usage

    total = Usage()
    for r in results:
        u = getattr(r, "usage", None)
        if u is not None:
            total = total + u
    return total


def _attach_usage(err: BaseException, results: Sequence[Any], errors: Sequence[BaseException]) -> BaseException:
    """Give a failure the usage of every call made for the letter (succeeded ones and failed ones)."""
    from ..llm.client import Usage

    total = _sum_usage(results)
    for e in errors:
        u = getattr(e, "usage", None)
        if isinstance(u, Usage):
            total = total + u
    try:
        err.usage = total  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover
        pass
    return err


def _conversion_error(exc: Exception) -> Exception:
    from ..llm.errors import LLMError

    err = LLMError(f"model answer could not be turned into a case record ({type(exc).__name__})")
    err.reason = "conversion"
    return err


def _start(letter: Letter, settings: Any, rules_record: CaseRecord | None) -> tuple[Any, float, Any, Any, str]:
    """What a sync or async run needs before its first call: (settings, start time, chunk plan, the letter's
    token budget, prompt cache tag). Refuses before anything is sent when no model is configured."""
    from ..llm import TokenBudget

    settings = _settings(settings)
    if not settings.configured():
        from ..llm.errors import LLMNotConfigured

        raise LLMNotConfigured("no model configured: set IMRASSIST_MODEL (or pass --model); nothing was sent")
    started = time.monotonic()
    plan = plan_letter(letter, settings, rules_record=rules_record)
    return settings, started, plan, TokenBudget(settings.token_budget), _prompt().cache_tag


def extract_llm(letter: Letter, settings: Any = None, *, rules_record: CaseRecord | None = None) -> CaseRecord:
    """Read ``letter`` with the configured model (sync). Raises :class:`~imrassist.llm.LLMError` subclasses
    (not configured, transport, validation, budget, replay miss) with ``.usage`` of what was spent."""
    from ..llm import structured

    settings, started, plan, budget, tag = _start(letter, settings, rules_record)

    def run(chunk: _Chunk) -> Any:
        model, messages, context = _call_args(letter, chunk)
        return structured(model, messages, settings, context=context, prompt_version=tag, budget=budget)

    results: list[Any] = [None] * len(plan.chunks)
    if len(plan.chunks) == 1:
        try:
            results[0] = run(plan.chunks[0])
        except Exception as exc:
            raise _attach_usage(exc, [], [exc])
    else:
        workers = max(1, min(settings.concurrency, len(plan.chunks)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imrassist-chunk") as pool:
            futures = {pool.submit(run, c): i for i, c in enumerate(plan.chunks)}
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                for f in pending:
                    f.cancel()
                wait(pending)
                errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception()]
                ok = [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]
                first = min(failed, key=lambda f: futures[f]).exception()
                raise _attach_usage(first, ok, errors)  # type: ignore[arg-type]
            for f, i in futures.items():
                results[i] = f.result()
    return _finish(letter, plan, results, settings, started)


async def aextract_llm(letter: Letter, settings: Any = None, *, rules_record: CaseRecord | None = None) -> CaseRecord:
    """Async twin of :func:`extract_llm`: chunk calls of one letter run concurrently (bounded per endpoint by
    ``settings.concurrency``)."""
    from ..llm import astructured

    settings, started, plan, budget, tag = _start(letter, settings, rules_record)

    async def run(chunk: _Chunk) -> Any:
        model, messages, context = _call_args(letter, chunk)
        return await astructured(model, messages, settings, context=context, prompt_version=tag, budget=budget)

    tasks = [asyncio.ensure_future(run(c)) for c in plan.chunks]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException as exc:
        for t in tasks:
            t.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        ok = [o for o in outcomes if not isinstance(o, BaseException)]
        errors = [o for o in outcomes if isinstance(o, Exception)]
        if isinstance(exc, Exception):
            raise _attach_usage(exc, ok, errors)
        raise
    return _finish(letter, plan, list(results), settings, started)


def _finish(letter: Letter, plan: Plan, results: Sequence[Any], settings: Any, started: float) -> CaseRecord:
    usage = _sum_usage(results)
    try:
        return assemble(letter, plan, [r.value for r in results], settings=settings, usage=usage,
                        wall=time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - a model answer we cannot use is that letter's failure
        raise _attach_usage(_conversion_error(exc), results, []) from exc


# ============================================================================================ fallback


def _fallback(letter: Letter, err: BaseException, rules_record: CaseRecord | None) -> CaseRecord:
    from .rules import extract_rules

    record = rules_record.model_copy(deep=True) if rules_record is not None else extract_rules(letter)
    reason = getattr(err, "reason", type(err).__name__)
    record.meta.warnings.append(f"llm extraction failed ({reason}): {err}; used the rules extractor instead")
    usage = getattr(err, "usage", None)
    if usage is not None and getattr(usage, "requests", 0):
        record.meta.usage = _record_usage(usage, getattr(usage, "latency_s", 0.0))
    return record


def _wants_model(backend: str, settings: Any) -> bool:
    if backend not in LLM_BACKENDS:
        raise ValueError(f"unknown extraction backend {backend!r}; use rules, llm or auto")
    return backend == "llm" or settings.configured()


def extract_llm_or_fallback(letter: Letter, *, backend: str = "auto", settings: Any = None) -> CaseRecord:
    """``llm``: the model, or an :class:`~imrassist.llm.LLMError`. ``auto``: the model when one is configured,
    else the rules; when the model fails for this letter (any LLMError: transport, validation, budget, replay
    miss ...), the rules record with a warning in ``meta.warnings``."""
    from ..llm.errors import LLMError

    settings = _settings(settings)
    if not _wants_model(backend, settings):
        from .rules import extract_rules

        return extract_rules(letter)
    if backend == "llm":
        return extract_llm(letter, settings)
    try:
        return extract_llm(letter, settings)
    except LLMError as err:
        return _fallback(letter, err, None)


async def aextract_llm_or_fallback(letter: Letter, *, backend: str = "auto", settings: Any = None) -> CaseRecord:
    from ..llm.errors import LLMError

    settings = _settings(settings)
    if not _wants_model(backend, settings):
        from .rules import extract_rules

        return extract_rules(letter)
    if backend == "llm":
        return await aextract_llm(letter, settings)
    try:
        return await aextract_llm(letter, settings)
    except LLMError as err:
        return _fallback(letter, err, None)


# ============================================================================================ many letters


async def aextract_many(letters: Sequence[Letter], settings: Any = None, *, backend: str = "llm",
                        concurrency: int | None = None) -> list[CaseRecord | Exception]:
    """Extract many letters concurrently: at most ``concurrency`` (default ``settings.concurrency``) letters in
    flight, and HTTP requests bounded per endpoint by ``settings.concurrency``. One result per letter, in
    order: a CaseRecord, or the exception that letter ended with (never raised: one bad letter does not stop
    the others)."""
    settings = _settings(settings)
    if backend == "rules":
        from .rules import extract_rules

        return [extract_rules(x) for x in letters]
    sem = asyncio.Semaphore(max(1, concurrency or settings.concurrency))

    async def one(letter: Letter) -> CaseRecord | Exception:
        async with sem:
            try:
                return await aextract_llm_or_fallback(letter, backend=backend, settings=settings)
            except Exception as exc:  # noqa: BLE001 - returned, not raised
                return exc

    return list(await asyncio.gather(*(one(x) for x in letters)))


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion from sync code, also when an event loop is already running in this
    thread (a notebook, the service): then it runs on a fresh loop in a helper thread. The async clients made
    for that loop are closed before it ends."""
    from ..llm.client import aclose_clients

    async def main() -> T:
        try:
            return await coro
        finally:
            await aclose_clients()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imrassist-loop") as pool:
        return pool.submit(asyncio.run, main()).result()


def extract_many(letters: Sequence[Letter], settings: Any = None, *, backend: str = "llm",
                 concurrency: int | None = None) -> list[CaseRecord | Exception]:
    """Sync front of :func:`aextract_many` (batch, eval): results in input order, errors as values."""
    return run_sync(aextract_many(letters, settings, backend=backend, concurrency=concurrency))


__all__ = [
    "extract_llm",
    "aextract_llm",
    "extract_llm_or_fallback",
    "aextract_llm_or_fallback",
    "extract_many",
    "aextract_many",
    "run_sync",
    "plan_letter",
    "build_messages",
    "assemble",
    "answer_from_record",
    "grounding_warnings",
    "Plan",
    "CaseRecordQuotes",
    "HeaderQuotes",
    "ItemsQuotes",
    "ItemQuotes",
]
