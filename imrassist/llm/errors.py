"""Errors raised by :mod:`imrassist.llm`.

Every message is one line and describes the problem (status, counts, field paths, timings); none ever
quotes the letter, the prompt or the model's output. Diagnostic details live in attributes, not in the
message, so a CLI can print ``str(err)`` and a service can put it in a JSON body without leaking text.
"""

from __future__ import annotations

try:  # the package-wide base, when present (imrassist/errors.py)
    from imrassist.errors import ImrassistError as _Base
except Exception:  # pragma: no cover - keeps imrassist.llm usable on its own
    _Base = Exception  # type: ignore[misc,assignment]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class LLMError(_Base):
    """Base of every error raised while talking to a model."""

    #: Stable machine-readable reason.
    reason: str = "llm_error"
    #: ``imrassist.llm.Usage`` of the failed call (tokens, requests, retries) when a request was attempted.
    usage: object | None = None

    def __init__(self, message: str, **details: object):
        self.message = _one_line(message)
        self.details = details
        super().__init__(self.message)

    def one_line(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


class LLMNotConfigured(LLMError):
    """No model is configured, so nothing may be sent anywhere."""

    reason = "not_configured"


class LLMTransportError(LLMError):
    """The endpoint could not be reached or kept failing (HTTP 4xx/5xx, timeouts, refused connections,
    malformed bodies). ``status_code`` is the last HTTP status (None when no response came back),
    ``attempts`` the number of HTTP attempts made and ``retryable`` whether the last failure was of a kind
    we retry (429/5xx/timeout/connection) as opposed to a permanent one (400/401/403/404)."""

    reason = "transport"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        attempts: int = 0,
        elapsed_s: float = 0.0,
        retryable: bool = False,
        kind: str = "unknown",
    ):
        super().__init__(message)
        self.status_code = status_code
        self.attempts = attempts
        self.elapsed_s = elapsed_s
        self.retryable = retryable
        self.kind = kind


class LLMValidationError(LLMError):
    """The model answered, but its output never validated against the response model (after the
    configured re-asks). ``errors`` holds ``(location, error_type)`` pairs of the last attempt, never
    the offending values."""

    reason = "validation"

    def __init__(self, message: str, *, attempts: int = 0, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.attempts = attempts
        self.errors = list(errors or [])


class LLMOutputTruncated(LLMValidationError):
    """The model stopped because it hit its output limit (``finish_reason == "length"``)."""

    reason = "truncated"


class BudgetExceeded(LLMError):
    """The token budget (per letter) is spent; no further request is made."""

    reason = "budget"

    def __init__(self, message: str, *, used: int = 0, limit: int = 0, requests: int = 0):
        super().__init__(message)
        self.used = used
        self.limit = limit
        self.requests = requests


class ReplayMiss(LLMError):
    """``replay_only`` is on and the cache holds no answer for this request."""

    reason = "replay_miss"

    def __init__(self, message: str, *, key: str = ""):
        super().__init__(message)
        self.key = key


__all__ = [
    "LLMError",
    "LLMNotConfigured",
    "LLMTransportError",
    "LLMValidationError",
    "LLMOutputTruncated",
    "BudgetExceeded",
    "ReplayMiss",
]
