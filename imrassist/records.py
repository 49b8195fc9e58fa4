"""Reading records and explanations that users hand us (JSON of a CaseRecord, text of an explanation).

A record may come from anywhere (our extractor, another model, a person), so a bad one gets a precise
one-line error naming the first field that does not fit the schema, never a pydantic traceback.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from .errors import InputError, RecordError
from .models import CaseRecord


def decode_text(data: bytes, *, source: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark ("Unicode" in Notepad)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("text starts like UTF-16 but does not decode as UTF-16", source=source,
                             reason="encoding") from exc
    if b"\x00" in data[:4096]:
        raise InputError("binary file, expected text", source=source, reason="binary")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode text", source=source, reason="encoding")  # pragma: no cover


def load_record(data: bytes | str, *, source: str = "<record>") -> CaseRecord:
    text = data if isinstance(data, str) else decode_text(data, source=source)
    if not text.strip():
        raise RecordError("record file is empty", source=source, reason="empty")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"malformed JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source) from exc
    return record_from_obj(obj, source=source)


def record_from_obj(obj: object, *, source: str = "<record>") -> CaseRecord:
    if not isinstance(obj, dict):
        raise RecordError(f"not a CaseRecord: expected a JSON object, got {type(obj).__name__}", source=source)
    try:
        return CaseRecord.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(record)"
        extra = f" ({exc.error_count()} problems in all)" if exc.error_count() > 1 else ""
        raise RecordError(f"not a valid CaseRecord: field {where}: {first.get('msg', 'invalid')}{extra}", source=source) from exc
