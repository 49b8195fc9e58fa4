"""The one place that talks to models: ``structured()`` (and ``astructured()``).

Layers, outermost first::

    structured()                cache / replay, redaction, error mapping, usage accounting
      instructor (from_openai)  schema on the wire per mode, parsing, validation re-asks (max_retries)
        _transport wrapper      token budget, tenacity retries (429/5xx/timeouts/connection), Retry-After,
                                per-attempt timeout, concurrency slot, per-response usage
          openai client         one HTTP request, max_retries=0 (its own retries are off: ours are above)

The transport wrapper replaces ``client.chat.completions.create`` on OUR openai client before it is handed to
``instructor.from_openai`` (the same slot ``instructor.patch`` uses), so a 429 on re-ask #2 retries that one
request instead of restarting the whole validation loop, and the budget is checked before every request.

What is never logged or put in an exception message: messages, letter text, model output, validation input
values. We log counts and timings at DEBUG. instructor logs every validation failure (which quotes the
model's output) at ERROR and openai logs request bodies at DEBUG, so on first use we raise the ``instructor``
logger to CRITICAL and ``openai``/``httpx2`` to WARNING, unless the application configured a level itself.

openai and instructor are imported inside functions only: importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import email.utils
import json
import logging
import math
import random
import threading
import time
import weakref
from typing import Any, Generic, Sequence, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel

from . import cache as _cache
from .errors import (
    BudgetExceeded,
    LLMError,
    LLMNotConfigured,
    LLMOutputTruncated,
    LLMTransportError,
    LLMValidationError,
    ReplayMiss,
)
from .redact import redact_messages
from .settings import LLMSettings

log = logging.getLogger("imrassist.llm")

T = TypeVar("T", bound=BaseModel)


# ============================================================================================ results


class Usage(BaseModel):
    """What one call (or, summed with ``+``, one letter) cost. Field names match ``imrassist.models.Usage``
    (see :meth:`as_record`)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0  # HTTP requests sent (0 on a cache hit)
    transport_retries: int = 0  # HTTP attempts beyond the first, per request, summed
    validation_retries: int = 0  # instructor re-asks after a validation failure
    cache_hits: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = None
    usage_estimated: bool = False  # the server sent no usage; tokens are ~chars/4
    redactions: int = 0

    @property
    def cached(self) -> bool:
        return self.cache_hits > 0 and self.requests == 0

    def __add__(self, other: "Usage") -> "Usage":
        if not isinstance(other, Usage):
            return NotImplemented
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            requests=self.requests + other.requests,
            transport_retries=self.transport_retries + other.transport_retries,
            validation_retries=self.validation_retries + other.validation_retries,
            cache_hits=self.cache_hits + other.cache_hits,
            latency_s=self.latency_s + other.latency_s,
            cost_usd=cost,
            usage_estimated=self.usage_estimated or other.usage_estimated,
            redactions=self.redactions + other.redactions,
        )

    def as_record(self) -> dict[str, Any]:
        """The fields of ``imrassist.models.Usage`` (for ``RunMeta.usage``)."""
        return self.model_dump(include={"prompt_tokens", "completion_tokens", "requests", "transport_retries",
                                        "validation_retries", "cache_hits", "latency_s", "cost_usd"})


@dataclasses.dataclass
class StructuredResult(Generic[T]):
    value: T
    usage: Usage
    model: str
    mode: str
    provider: str
    cache_key: str | None = None

    @property
    def cached(self) -> bool:
        return self.usage.cached


class TokenBudget:
    """A token allowance shared by every call made for one letter (thread-safe). ``limit=None``: unlimited.

    It is checked before every HTTP request, so once the tokens spent reach the limit no further request
    (re-ask, retry or next call) is sent: :class:`BudgetExceeded` is raised instead."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self._used)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self._used >= self.limit

    def charge(self, tokens: int) -> None:
        with self._lock:
            self._used += max(0, int(tokens))

    def check(self, requests: int = 0) -> None:
        if self.exhausted:
            raise BudgetExceeded(
                f"token budget spent: {self._used} of {self.limit} tokens used after {requests} request(s) in "
                "this call; no further request sent",
                used=self._used, limit=self.limit or 0, requests=requests,
            )


# ============================================================================================ per-call state

_STATE: contextvars.ContextVar["_CallState | None"] = contextvars.ContextVar("imrassist_llm_call", default=None)


class _Malformed(Exception):
    """The server answered 2xx with something that is not a chat completion."""


def _approx_tokens(obj: Any) -> int:
    text = obj if isinstance(obj, str) else json.dumps(obj, default=str)
    return max(1, math.ceil(len(text) / 4))


def _output_text(resp: Any) -> str:
    try:
        message = resp.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return ""
    parts = [message.content or ""]
    for call in getattr(message, "tool_calls", None) or []:
        parts.append(getattr(getattr(call, "function", None), "arguments", "") or "")
    return "".join(parts)


def _safe_url(url: str | None) -> str:
    if not url:
        return "api.openai.com"
    try:
        p = urlsplit(url if "://" in url else f"http://{url}")
        host = p.hostname or "?"
        return f"{host}:{p.port}" if p.port else host
    except ValueError:
        return "?"


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _classify(exc: BaseException) -> tuple[bool, str, int | None]:
    """(retryable, kind, status_code)."""
    import openai

    if isinstance(exc, _Malformed):
        return True, "malformed", None
    if isinstance(exc, openai.APITimeoutError):
        return True, "timeout", None
    if isinstance(exc, openai.APIConnectionError):
        import httpx2

        if any(isinstance(e, (httpx2.ConnectError, ConnectionRefusedError)) for e in _chain(exc)):
            return True, "connect", None
        return True, "connection", None
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        return (code in (408, 409, 429) or code >= 500), "http", code
    if isinstance(exc, openai.APIResponseValidationError):
        return True, "malformed", getattr(exc, "status_code", None)
    return False, type(exc).__name__, None


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date) of an HTTP error."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        import datetime as _dt

        when = when.replace(tzinfo=_dt.timezone.utc)
    return max(0.0, when.timestamp() - time.time())


def merge_system_messages(messages: list[Any]) -> list[Any]:
    """Fold every system message into the first user message (models without a system role). Applied at the
    transport layer, so it also covers the system message instructor adds in JSON modes and every re-ask."""
    system = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
    if not system:
        return messages
    head = "\n\n".join(str(m.get("content") or "") for m in system if m.get("content"))
    rest = [m for m in messages if not (isinstance(m, dict) and m.get("role") == "system")]
    for i, m in enumerate(rest):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            rest = list(rest)
            rest[i] = {**m, "content": f"{head}\n\n{m['content']}" if head else m["content"]}
            return rest
    return [{"role": "user", "content": head}, *rest]


class _CallState:
    """Counters and policy of one ``structured()`` call, reached by the transport wrapper via a contextvar."""

    def __init__(self, settings: LLMSettings, budget: TokenBudget, schema: dict[str, Any] | None, context: Any):
        self.settings = settings
        self.budget = budget
        self.schema = schema  # set when the schema must also go into response_format (llama.cpp)
        self.context = context
        self.requests = 0
        self.transport_retries = 0
        self.completions = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.estimated = False
        self.last_completion_tokens = 0

    # ---- policy shared by sync and async

    def prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(kwargs)
        kwargs.pop("timeout", None)
        if self.schema is not None and kwargs.get("response_format") == {"type": "json_object"}:
            kwargs["response_format"] = {"type": "json_object", "schema": self.schema}
        if self.settings.system_in_user and isinstance(kwargs.get("messages"), list):
            kwargs["messages"] = merge_system_messages(kwargs["messages"])
        return kwargs

    def before_attempt(self, attempt_number: int) -> None:
        self.budget.check(self.requests)
        if attempt_number > 1:
            self.transport_retries += 1
        self.requests += 1

    def attempt_timeout(self, started: float) -> float:
        remaining = self.settings.transport_max_seconds - (time.monotonic() - started)
        return max(0.05, min(self.settings.timeout, remaining))

    def after_response(self, resp: Any, kwargs: dict[str, Any]) -> None:
        if not getattr(resp, "choices", None):
            raise _Malformed("2xx response is not a chat completion")
        self.completions += 1
        usage = getattr(resp, "usage", None)
        p = getattr(usage, "prompt_tokens", None)
        c = getattr(usage, "completion_tokens", None)
        if not isinstance(p, int) or not isinstance(c, int):
            p = _approx_tokens(kwargs.get("messages", []))
            c = _approx_tokens(_output_text(resp))
            self.estimated = True
        self.prompt_tokens += p
        self.completion_tokens += c
        self.last_completion_tokens = c
        self.budget.charge(p + c)

    def retrying_kwargs(self) -> dict[str, Any]:
        from tenacity import retry_if_exception

        s = self.settings

        def wait(rs: Any) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            after = _retry_after(exc)
            if after is not None:
                return after + random.uniform(0.0, min(1.0, 0.1 * after))  # spread a herd a little
            step = min(s.backoff_max, s.backoff_initial * (2 ** (rs.attempt_number - 1)))
            return random.uniform(step / 2, step)

        def stop(rs: Any) -> bool:
            if rs.attempt_number >= s.transport_max_attempts:
                return True
            exc = rs.outcome.exception() if rs.outcome else None
            if exc is not None and _classify(exc)[1] == "connect" and rs.attempt_number >= 2:
                return True  # nothing listens there: one quick second try, then say so
            return (rs.seconds_since_start or 0.0) + rs.upcoming_sleep >= s.transport_max_seconds

        return dict(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(lambda e: _classify(e)[0]),
            reraise=True,
        )

    def transport_error(self, exc: BaseException, started: float) -> LLMTransportError:
        retryable, kind, status = _classify(exc)
        elapsed = time.monotonic() - started
        where = _safe_url(self.settings.base_url)
        n = self.requests
        tail = f"after {n} attempt{'s' if n != 1 else ''} in {elapsed:.1f}s"
        if kind == "http":
            detail = f"HTTP {status} from {where}"
            code = None
            body = getattr(exc, "body", None)
            if isinstance(body, dict):
                err = body.get("error", body)
                if isinstance(err, dict):
                    code = err.get("code") or err.get("type")
            if isinstance(code, str) and code.replace("_", "").replace("-", "").isalnum() and len(code) <= 40:
                detail += f" ({code})"
            if status == 429:
                after = _retry_after(exc)
                if after is not None and after + elapsed >= self.settings.transport_max_seconds:
                    detail += f", Retry-After {after:.0f}s exceeds the {self.settings.transport_max_seconds:.0f}s retry window"
            if not retryable:
                tail = "(not retried)"
                body_text = str(getattr(exc, "body", "") or "").lower()
                if status in (400, 422) and any(
                    w in body_text for w in ("response_format", "json_schema", "json_object", "tool", "grammar")
                ):
                    tail += (f"; if the server does not support mode {self.settings.effective_mode!r}, "
                             "set IMRASSIST_MODE (tools|json_schema|json|md_json)")
                elif status in (401, 403):
                    tail += "; check the API key"
                elif status == 404:
                    tail += "; check the base URL and the model name"
        elif kind == "timeout":
            detail = f"request to {where} timed out (limit {self.settings.timeout:g}s per request)"
        elif kind == "connect":
            detail = f"cannot connect to {where} (connection refused or host unknown)"
        elif kind == "connection":
            detail = f"connection to {where} failed"
        elif kind == "malformed":
            detail = f"malformed response from {where} (body is not a valid chat completion)"
        else:
            detail = f"request to {where} failed ({kind})"
        return LLMTransportError(f"{detail} {tail}", status_code=status, attempts=n, elapsed_s=elapsed,
                                 retryable=retryable, kind=kind)

    # ---- the wrapped create

    def call_sync(self, raw_create: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        import openai
        from tenacity import Retrying

        kwargs = self.prepare(kwargs)
        started = time.monotonic()
        try:
            for attempt in Retrying(**self.retrying_kwargs()):
                with attempt:
                    self.before_attempt(attempt.retry_state.attempt_number)
                    with _sync_slot(self.settings):
                        try:
                            resp = raw_create(*args, timeout=self.attempt_timeout(started), **kwargs)
                        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
                            raise _Malformed("invalid JSON body") from exc
                    self.after_response(resp, kwargs)
                    return resp
        except LLMError:
            raise
        except Exception as exc:
            raise self.transport_error(exc, started) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def call_async(self, raw_create: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        import openai
        from tenacity import AsyncRetrying

        kwargs = self.prepare(kwargs)
        started = time.monotonic()
        try:
            async for attempt in AsyncRetrying(**self.retrying_kwargs()):
                with attempt:
                    self.before_attempt(attempt.retry_state.attempt_number)
                    async with _async_slot(self.settings):
                        try:
                            resp = await raw_create(*args, timeout=self.attempt_timeout(started), **kwargs)
                        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
                            raise _Malformed("invalid JSON body") from exc
                    self.after_response(resp, kwargs)
                    return resp
        except LLMError:
            raise
        except Exception as exc:
            raise self.transport_error(exc, started) from exc
        raise AssertionError("unreachable")  # pragma: no cover


# ============================================================================================ concurrency

_lock = threading.Lock()
_SYNC_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_ASYNC_SLOTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int], asyncio.Semaphore]]" = (
    weakref.WeakKeyDictionary()
)


def _slot_key(settings: LLMSettings) -> tuple[str, int]:
    return (settings.base_url or "openai", settings.concurrency)


def _sync_slot(settings: LLMSettings) -> threading.BoundedSemaphore:
    key = _slot_key(settings)
    with _lock:
        sem = _SYNC_SLOTS.get(key)
        if sem is None:
            sem = _SYNC_SLOTS[key] = threading.BoundedSemaphore(settings.concurrency)
    return sem


def _async_slot(settings: LLMSettings) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    key = _slot_key(settings)
    with _lock:
        per_loop = _ASYNC_SLOTS.setdefault(loop, {})
        sem = per_loop.get(key)
        if sem is None:
            sem = per_loop[key] = asyncio.Semaphore(settings.concurrency)
    return sem


# ============================================================================================ clients

_MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON", "md_json": "MD_JSON"}
_SYNC_CLIENTS: dict[tuple[Any, ...], Any] = {}
_ASYNC_CLIENTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], Any]]" = (
    weakref.WeakKeyDictionary()
)
_logs_quieted = False


def _quiet_third_party_logs() -> None:
    global _logs_quieted
    if _logs_quieted:
        return
    _logs_quieted = True
    for name, level in (("instructor", logging.CRITICAL), ("openai", logging.WARNING), ("httpx2", logging.WARNING),
                        ("httpcore2", logging.WARNING), ("httpx", logging.WARNING), ("httpcore", logging.WARNING)):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)


def _client_key(settings: LLMSettings) -> tuple[Any, ...]:
    return (settings.provider, settings.base_url, settings.api_key_value(), settings.api_version,
            settings.effective_mode, settings.timeout)


def _azure_parts(base_url: str) -> tuple[str, str | None]:
    """(endpoint, deployment) from an Azure URL such as https://res.openai.azure.com/openai/deployments/x."""
    p = urlsplit(base_url)
    endpoint = f"{p.scheme}://{p.netloc}"
    segments = [s for s in p.path.split("/") if s]
    deployment = None
    if "deployments" in segments:
        i = segments.index("deployments")
        if i + 1 < len(segments):
            deployment = segments[i + 1]
    return endpoint, deployment


def build_openai_client(settings: LLMSettings, *, async_client: bool = False) -> Any:
    """A plain ``openai.OpenAI`` / ``AsyncOpenAI`` (``AzureOpenAI`` for Azure) with our timeout and
    ``max_retries=0``. Raises :class:`LLMNotConfigured` when no model (or no key for a cloud API) is set."""
    if not settings.configured():
        raise LLMNotConfigured("no model configured: set IMRASSIST_MODEL (or pass --model); nothing was sent")
    import openai

    provider = settings.provider
    key = settings.api_key_value()
    common: dict[str, Any] = {"timeout": settings.timeout, "max_retries": 0}
    if provider in ("openai", "azure") and not key:
        raise LLMNotConfigured(f"no API key for {provider}: set IMRASSIST_API_KEY (or OPENAI_API_KEY); nothing was sent")
    if provider == "azure" and "/openai/v1" not in (settings.base_url or ""):
        endpoint, deployment = _azure_parts(settings.base_url or "")
        cls = openai.AsyncAzureOpenAI if async_client else openai.AzureOpenAI
        kwargs: dict[str, Any] = {"api_key": key, "api_version": settings.api_version or _default_azure_version()}
        if deployment:
            kwargs["base_url"] = f"{endpoint}/openai/deployments/{deployment}"
        else:
            kwargs["azure_endpoint"] = endpoint
        return cls(**kwargs, **common)
    cls = openai.AsyncOpenAI if async_client else openai.OpenAI
    # Local servers take any key; the openai client insists on a non-empty one.
    return cls(base_url=settings.base_url or "https://api.openai.com/v1", api_key=key or "not-needed", **common)


def _default_azure_version() -> str:
    from .settings import DEFAULT_AZURE_API_VERSION

    return DEFAULT_AZURE_API_VERSION


def _make_instructor(settings: LLMSettings, *, async_client: bool) -> Any:
    import instructor

    _quiet_third_party_logs()
    oai = build_openai_client(settings, async_client=async_client)
    completions = oai.chat.completions
    raw_create = completions.create

    if async_client:
        async def create(*args: Any, **kwargs: Any) -> Any:
            state = _STATE.get()
            if state is None:
                return await raw_create(*args, **kwargs)
            return await state.call_async(raw_create, args, kwargs)
    else:
        def create(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            state = _STATE.get()
            if state is None:
                return raw_create(*args, **kwargs)
            return state.call_sync(raw_create, args, kwargs)

    completions.create = create  # the slot instructor.patch() uses; from_openai reads it below
    mode = getattr(instructor.Mode, _MODES[settings.effective_mode])
    return instructor.from_openai(oai, mode=mode)


def instructor_client(settings: LLMSettings, *, async_client: bool = False) -> Any:
    """The (cached) instructor client for these settings, with our transport layer underneath."""
    key = _client_key(settings)
    if async_client:
        loop = asyncio.get_running_loop()
        with _lock:
            per_loop = _ASYNC_CLIENTS.setdefault(loop, {})
            client = per_loop.get(key)
        if client is None:
            client = _make_instructor(settings, async_client=True)
            with _lock:
                client = per_loop.setdefault(key, client)
        return client
    with _lock:
        client = _SYNC_CLIENTS.get(key)
    if client is None:
        client = _make_instructor(settings, async_client=False)
        with _lock:
            client = _SYNC_CLIENTS.setdefault(key, client)
    return client


async def aclose_clients() -> None:
    """Close the async clients made for the running event loop (call before the loop ends, e.g. at the end of
    an ``asyncio.run``) so their connection pools do not outlive it."""
    loop = asyncio.get_running_loop()
    with _lock:
        per_loop = _ASYNC_CLIENTS.pop(loop, {})
        _ASYNC_SLOTS.pop(loop, None)
    for client in per_loop.values():
        try:
            await client.client.close()
        except Exception:  # pragma: no cover - best effort
            pass


def reset_clients() -> None:
    """Forget cached clients and concurrency slots (tests, or after changing settings at runtime)."""
    with _lock:
        clients = list(_SYNC_CLIENTS.values())
        _SYNC_CLIENTS.clear()
        _ASYNC_CLIENTS.clear()
        _SYNC_SLOTS.clear()
        _ASYNC_SLOTS.clear()
    for client in clients:
        try:
            client.client.close()  # the openai client under instructor: closes its connection pool
        except Exception:  # pragma: no cover - best effort
            pass


# ============================================================================================ validation context

_CTX_MODELS: dict[type, type] = {}


def _context_model(model: type[T]) -> type[T]:
    """A same-named, same-schema subclass whose ``model_validate_json`` takes the validation context from the
    current call. Why: instructor's ``context=`` is ALSO a Jinja2 template context applied to every message
    (and dedents them), which would rewrite letter text containing ``{{``, ``{%`` or indented lines. So we never
    pass ``context`` to instructor, and validators still see ours (including on re-asks). The parsed value is
    an instance of the original model."""
    with _lock:
        sub = _CTX_MODELS.get(model)
    if sub is not None:
        return sub  # type: ignore[return-value]

    def model_validate_json(cls: Any, json_data: Any, *, strict: bool | None = None, context: Any = None,
                            **kw: Any) -> Any:
        state = _STATE.get()
        return model.model_validate_json(json_data, strict=strict,
                                         context=state.context if state is not None else context, **kw)

    def model_validate(cls: Any, obj: Any, *, strict: bool | None = None, context: Any = None, **kw: Any) -> Any:
        state = _STATE.get()
        return model.model_validate(obj, strict=strict,
                                    context=state.context if state is not None else context, **kw)

    namespace = {
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
        "model_validate_json": classmethod(model_validate_json),
        "model_validate": classmethod(model_validate),
    }
    sub = type(model)(model.__name__, (model,), namespace)
    with _lock:
        sub = _CTX_MODELS.setdefault(model, sub)
    return sub  # type: ignore[return-value]


# ============================================================================================ structured()


@dataclasses.dataclass
class _Prepared:
    settings: LLMSettings
    response_model: type[BaseModel]
    state: _CallState
    create_kwargs: dict[str, Any]
    started: float
    redactions: int
    key: str | None
    hit: StructuredResult[Any] | None


def _normalize_messages(messages: str | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out = []
    for m in messages:
        if not isinstance(m, dict) or "role" not in m:
            raise TypeError("messages must be chat messages: dicts with 'role' and 'content'")
        out.append(dict(m))
    return out


def _cost(settings: LLMSettings, prompt: int, completion: int) -> float | None:
    price = settings.price_for()
    if price is None:
        return None
    return round(prompt / 1000 * price.prompt_per_1k + completion / 1000 * price.completion_per_1k, 8)


def _prepare(
    response_model: type[BaseModel],
    messages: str | Sequence[dict[str, Any]],
    settings: LLMSettings | None,
    context: Any,
    prompt_version: str,
    budget: TokenBudget | None,
    max_retries: int | None,
    strict: bool,
) -> _Prepared:
    started = time.monotonic()
    if not (isinstance(response_model, type) and issubclass(response_model, BaseModel)):
        raise TypeError("response_model must be a pydantic BaseModel subclass")
    settings = settings if settings is not None else LLMSettings.resolve()
    if not settings.configured():
        raise LLMNotConfigured("no model configured: set IMRASSIST_MODEL (or pass --model); nothing was sent")
    msgs = _normalize_messages(messages)
    mode = settings.effective_mode
    model_name = settings.model or ""

    key = None
    if settings.cache or settings.replay_only:
        key = _cache.cache_key(
            model=model_name, mode=mode, prompt_version=prompt_version,
            schema_hash=_cache.schema_hash(response_model),
            input_hash=_cache.input_hash(msgs, context=context, redact=settings.redact),
        )
        entry = _cache.DiskCache(settings.cache_dir).get(key)
        if entry is not None:
            try:
                value = response_model.model_validate_json(json.dumps(entry["value"]), context=context)
            except Exception:
                value = None  # stale or foreign entry: a miss
            if value is not None:
                usage = Usage(cache_hits=1, latency_s=time.monotonic() - started)
                log.debug("llm cache hit: mode=%s key=%s", mode, key[:12])
                hit = StructuredResult(value=value, usage=usage, model=model_name, mode=mode,
                                       provider=settings.provider, cache_key=key)
                return _Prepared(settings, response_model, None, {}, started, 0, key, hit)  # type: ignore[arg-type]
        if settings.replay_only:
            raise ReplayMiss(f"replay_only: no cached answer for this request (key {key[:12]}); nothing was sent",
                             key=key)

    budget = budget if budget is not None else TokenBudget(settings.token_budget)
    budget.check(0)
    redactions = 0
    if settings.redact:
        msgs, redactions = redact_messages(msgs)
    schema = response_model.model_json_schema() if settings.schema_in_response_format else None
    state = _CallState(settings, budget, schema, context)
    create_kwargs: dict[str, Any] = {
        "response_model": _context_model(response_model),
        "messages": msgs,
        "max_retries": settings.max_retries if max_retries is None else max_retries,
        "strict": strict,
        "model": model_name,
    }
    if settings.temperature is not None:
        create_kwargs["temperature"] = settings.temperature
    if settings.max_output_tokens is not None:
        create_kwargs["max_tokens"] = settings.max_output_tokens
    return _Prepared(settings, response_model, state, create_kwargs, started, redactions, key, None)


def _validation_summary(exc: BaseException) -> tuple[str, list[tuple[str, str]]]:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        errors = [(".".join(str(p) for p in e.get("loc", ())) or "<root>", str(e.get("type", "?")))
                  for e in exc.errors(include_url=False, include_context=False, include_input=False)]
        shown = ", ".join(f"{loc} ({kind})" for loc, kind in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        return f"{len(errors)} validation error(s): {shown}{more}", errors
    if isinstance(exc, json.JSONDecodeError):
        return f"output is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", [("<root>", "json_invalid")]
    try:
        from instructor.core.exceptions import ResponseParsingError
    except Exception:  # pragma: no cover
        ResponseParsingError = ()  # type: ignore[assignment]
    if ResponseParsingError and isinstance(exc, ResponseParsingError):
        first = str(exc.args[0]) if exc.args else "unparseable response"
        return f"response could not be parsed ({first[:120]})", [("<root>", "parse_error")]
    if isinstance(exc, AssertionError) and "Unable to generate a response" in str(exc):
        return "the model refused to answer", [("<root>", "refusal")]
    return f"{type(exc).__name__}", [("<root>", type(exc).__name__)]


def _map_error(exc: BaseException, state: _CallState) -> LLMError:
    if isinstance(exc, LLMError):
        return exc
    from instructor.core.exceptions import IncompleteOutputException, InstructorError, InstructorRetryException

    for e in _chain(exc):
        if isinstance(e, LLMError):
            return e
    truncated = next((e for e in _chain(exc) if isinstance(e, IncompleteOutputException)), None)
    if truncated is not None:
        return LLMOutputTruncated(
            f"model output was cut off at the token limit (finish_reason=length, {state.last_completion_tokens} "
            f"completion tokens, attempt {state.completions}); raise max_output_tokens or shorten the input",
            attempts=state.completions, errors=[("<root>", "truncated")],
        )
    if isinstance(exc, InstructorRetryException):
        cause = exc.__cause__ or (exc.failed_attempts[-1].exception if exc.failed_attempts else None)
        summary, errors = _validation_summary(cause) if cause is not None else ("unknown error", [])
        attempts = exc.n_attempts or state.completions
        return LLMValidationError(
            f"model output failed validation after {attempts} attempt(s): {summary}", attempts=attempts, errors=errors
        )
    if isinstance(exc, InstructorError):
        return LLMError(f"instructor error: {type(exc).__name__}")
    return LLMError(f"model call failed: {type(exc).__name__}")


def _finish(prep: _Prepared, value: Any) -> StructuredResult[Any]:
    state = prep.state
    s = prep.settings
    for attr in ("_raw_response", "_total_usage"):  # instructor hangs the raw completion on the value
        try:
            value.__dict__.pop(attr, None)
        except AttributeError:  # pragma: no cover
            pass
    usage = _usage(prep)
    if prep.key is not None and s.cache and not s.replay_only:
        try:
            _cache.DiskCache(s.cache_dir).put(
                prep.key, value.model_dump(mode="json"), model=s.model, mode=s.effective_mode,
                usage=usage.model_dump(mode="json"),
            )
        except OSError as exc:
            log.warning("llm cache write failed: %s", type(exc).__name__)
    log.debug(
        "llm call ok: provider=%s mode=%s requests=%d transport_retries=%d validation_retries=%d tokens=%d+%d "
        "latency=%.2fs", s.provider, s.effective_mode, usage.requests, usage.transport_retries,
        usage.validation_retries, usage.prompt_tokens, usage.completion_tokens, usage.latency_s,
    )
    return StructuredResult(value=value, usage=usage, model=s.model or "", mode=s.effective_mode,
                            provider=s.provider, cache_key=prep.key)


def _usage(prep: _Prepared) -> Usage:
    state = prep.state
    return Usage(
        prompt_tokens=state.prompt_tokens,
        completion_tokens=state.completion_tokens,
        total_tokens=state.prompt_tokens + state.completion_tokens,
        requests=state.requests,
        transport_retries=state.transport_retries,
        validation_retries=max(0, state.completions - 1),
        latency_s=time.monotonic() - prep.started,
        cost_usd=_cost(prep.settings, state.prompt_tokens, state.completion_tokens),
        usage_estimated=state.estimated,
        redactions=prep.redactions,
    )


def _failed(prep: _Prepared, err: LLMError) -> LLMError:
    err.usage = _usage(prep)  # type: ignore[attr-defined]
    log.debug("llm call failed: reason=%s requests=%d tokens=%d latency=%.2fs", err.reason, prep.state.requests,
              prep.state.prompt_tokens + prep.state.completion_tokens, time.monotonic() - prep.started)
    return err


def structured(
    response_model: type[T],
    messages: str | Sequence[dict[str, Any]],
    settings: LLMSettings | None = None,
    *,
    context: dict[str, Any] | None = None,
    prompt_version: str = "",
    budget: TokenBudget | None = None,
    max_retries: int | None = None,
    strict: bool = False,
) -> StructuredResult[T]:
    """Ask the configured model for a ``response_model`` and return it validated, with its usage.

    ``context`` is the pydantic validation context (validators see it on every attempt; it is never used as a
    template context). ``prompt_version`` is part of the cache key. ``budget`` shares a token budget across
    several calls for one letter (default: a fresh ``settings.token_budget``). ``max_retries`` overrides
    ``settings.max_retries`` (validation re-asks). ``strict``: pydantic strict mode (default lax, as LLMs
    send "5" for 5; instructor's own default is strict).

    Raises :class:`LLMNotConfigured`, :class:`ReplayMiss`, :class:`BudgetExceeded`, :class:`LLMTransportError`,
    :class:`LLMValidationError` (incl. :class:`LLMOutputTruncated`). Errors carry ``.usage`` when a request was
    attempted."""
    prep = _prepare(response_model, messages, settings, context, prompt_version, budget, max_retries, strict)
    if prep.hit is not None:
        return prep.hit
    client = instructor_client(prep.settings, async_client=False)
    token = _STATE.set(prep.state)
    err: LLMError | None = None
    try:
        value = client.chat.completions.create(**prep.create_kwargs)
    except Exception as exc:  # noqa: BLE001 - mapped to our hierarchy below
        err = _map_error(exc, prep.state)
    finally:
        _STATE.reset(token)
    if err is not None:
        raise _failed(prep, err)
    return _finish(prep, value)


async def astructured(
    response_model: type[T],
    messages: str | Sequence[dict[str, Any]],
    settings: LLMSettings | None = None,
    *,
    context: dict[str, Any] | None = None,
    prompt_version: str = "",
    budget: TokenBudget | None = None,
    max_retries: int | None = None,
    strict: bool = False,
) -> StructuredResult[T]:
    """Async twin of :func:`structured` (``AsyncOpenAI``; concurrency limited per event loop)."""
    prep = _prepare(response_model, messages, settings, context, prompt_version, budget, max_retries, strict)
    if prep.hit is not None:
        return prep.hit
    client = instructor_client(prep.settings, async_client=True)
    token = _STATE.set(prep.state)
    err: LLMError | None = None
    try:
        value = await client.chat.completions.create(**prep.create_kwargs)
    except Exception as exc:  # noqa: BLE001
        err = _map_error(exc, prep.state)
    finally:
        _STATE.reset(token)
    if err is not None:
        raise _failed(prep, err)
    return _finish(prep, value)


__all__ = [
    "Usage",
    "StructuredResult",
    "TokenBudget",
    "structured",
    "astructured",
    "build_openai_client",
    "instructor_client",
    "reset_clients",
    "aclose_clients",
]
