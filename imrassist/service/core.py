"""What each endpoint does, without HTTP: the same library calls as the CLI commands, on in-memory inputs.

Every function here is synchronous and CPU-bound; the app runs them in a thread pool under a timeout.
Bad input raises :class:`imrassist.errors.InputError` (the CLI's one-line messages); the app maps it to a
4xx JSON body. Nothing here logs, and no message built here quotes the letter.

The only state is two small LRU caches keyed by the SHA-256 of the letter's bytes: the parsed Letter and the
record extracted from it. The library functions are pure, so a cached value is the value a fresh call
would return; the caches only spare a reviewer's desk from re-normalising the same letter on every edit.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Generic, Hashable, Literal, TypeVar

from ..errors import ImrassistError, InputError
from ..letter import Letter, letter_from_bytes
from ..models import CaseRecord, FindingsReport
from ..report.layout import is_double_spaced, soft_breaks

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(s: str) -> str:
    """Replace lone surrogates (valid in JSON escapes, not encodable as UTF-8) one for one, keeping offsets."""
    return _SURROGATE.sub("\ufffd", s) if _SURROGATE.search(s) else s


class LRU(Generic[K, V]):
    """A small thread-safe LRU map; ``get_or_make`` computes outside the lock (two threads may both compute)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        found = self._find(key)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        value = make()
        self.put(key, value)
        return value

    def get(self, key: K) -> V | None:
        found = self._find(key)
        return None if found is _MISSING else found  # type: ignore[return-value]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self.misses += 1
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def _find(self, key: K) -> V | object:
        """The value (now the most recent), or ``_MISSING``: a stored ``None`` is a value too."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        return _MISSING

    def __len__(self) -> int:
        return len(self._data)


@dataclass(slots=True)
class Inputs:
    """One request's inputs, decoded from JSON, multipart or a raw body."""

    letter: bytes
    source: str = "<text>"
    record: Any = None  # dict (JSON object), str (JSON text) or bytes (uploaded file); None = extract it
    record_source: str = "<record>"
    explanation: str | bytes | None = None
    explanation_source: str = "<explanation>"


class Engine:
    """The library behind the endpoints, with the LLM backend only when ``settings`` is configured."""

    def __init__(self, settings: Any = None, *, cache_size: int = 32) -> None:
        configured = bool(settings is not None and getattr(settings, "configured", lambda: False)())
        self.settings = settings if configured else None
        self.extract_backend: Literal["rules", "auto"] = "auto" if configured else "rules"
        self.explain_backend = "llm" if configured else "template"
        self._letters: LRU[tuple[str, str], Letter] = LRU(cache_size)
        self._records: LRU[tuple[str, str], CaseRecord] = LRU(cache_size)

    # -- inputs -----------------------------------------------------------------------------------------

    def letter(self, inp: Inputs) -> Letter:
        key = (hashlib.sha256(inp.letter).hexdigest(), inp.source)
        return self._letters.get_or_make(key, lambda: letter_from_bytes(inp.letter, source=inp.source))

    def given_record(self, inp: Inputs) -> CaseRecord | None:
        from ..records import load_record, record_from_obj

        if inp.record is None:
            return None
        if isinstance(inp.record, (str, bytes)):
            return load_record(inp.record, source=inp.record_source)
        return record_from_obj(inp.record, source=inp.record_source)

    def explanation(self, inp: Inputs) -> str | None:
        if inp.explanation is None:
            return None
        text = inp.explanation
        if isinstance(text, bytes):
            from ..records import decode_text

            text = decode_text(text, source=inp.explanation_source)
        if not text.strip():
            raise InputError("explanation file is empty", source=inp.explanation_source, reason="empty")
        return clean_text(text)

    def extracted(self, letter: Letter) -> CaseRecord:
        """The record read from ``letter`` (what ``imrassist extract`` prints), cached per letter."""
        from ..extract import extract

        key = (letter.sha256, letter.source)
        return self._records.get_or_make(key, lambda: extract(letter, self.extract_backend, settings=self.settings))

    def _letter_and_record(self, inp: Inputs) -> tuple[Letter, CaseRecord]:
        letter = self.letter(inp)
        record = self.given_record(inp)
        return letter, record if record is not None else self.extracted(letter)

    # -- operations (one per endpoint; each mirrors its CLI command) --------------------------------------

    def extract(self, inp: Inputs) -> CaseRecord:
        return self.extracted(self.letter(inp))

    def explain(self, inp: Inputs, lang: str = "en") -> Any:
        from ..explain import explain

        letter, record = self._letter_and_record(inp)
        return explain(record, lang=lang, backend=self.explain_backend, letter=letter, settings=self.settings)

    def summarize(self, inp: Inputs) -> str:
        from ..explain import summarize

        _, record = self._letter_and_record(inp)
        return summarize(record)

    def check(self, inp: Inputs, lang: str = "auto", kind: str = "worker") -> FindingsReport:
        """``imrassist check``: the record and/or explanation given, or the letter and its own record.
        ``kind="summary"`` checks a reviewer summary (no worker-only parts such as the appeal right)."""
        from ..checks import check

        letter = self.letter(inp)
        record = self.given_record(inp)
        explanation = self.explanation(inp)
        if record is None and explanation is None:
            return check(letter, record=self.extracted(letter), lang=lang)
        if record is None:
            return check(letter, record=None, explanation=explanation, reference=self.extracted(letter), lang=lang,
                         explanation_kind=kind)
        return check(letter, record=record, explanation=explanation, lang=lang, explanation_kind=kind)

    def analyze(self, inp: Inputs, lang: str = "en") -> dict[str, Any]:
        """``imrassist analyze`` for one letter, plus the letter's text so a page can highlight spans."""
        from ..pipeline import analyze_letter

        letter = self.letter(inp)
        record = self.given_record(inp) or self.extracted(letter)
        analysis = analyze_letter(letter, lang=lang, backend=self.extract_backend,  # type: ignore[arg-type]
                                  explain_backend=self.explain_backend, settings=self.settings, record=record)
        data = analysis.model_dump(mode="json")
        data["letter"] = letter_view(letter)
        return data


def letter_view(letter: Letter) -> dict[str, Any]:
    """The letter as a page shows it: its original text and how its lines are laid out (the same reading as
    the HTML report's, so the page and the report show a letter alike)."""
    double = is_double_spaced(letter.original)
    return {
        "source": letter.source,
        "sha256": letter.sha256,
        "layout": letter.layout,
        "page_count": letter.page_count,
        "text": letter.original,
        "double_spaced": double,
        "soft_breaks": [list(span) for span in soft_breaks(letter.original, double)],
    }


def error_reason(exc: BaseException) -> tuple[int, str, str]:
    """HTTP status, reason and one-line message for an error from the library (the CLI's wording)."""
    if isinstance(exc, InputError):
        status = 413 if exc.reason == "too_large" else 422
        return status, exc.reason, exc.one_line()
    if isinstance(exc, ImrassistError):
        reason = getattr(exc, "reason", None) or "error"
        one_line = getattr(exc, "one_line", None)
        message = one_line() if callable(one_line) else " ".join(str(exc).split())
        status = 502 if type(exc).__module__.startswith("imrassist.llm") else 422
        return status, str(reason), message
    raise TypeError(type(exc).__name__)
