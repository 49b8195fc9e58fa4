"""The ASGI app: ``create_app(...) -> FastAPI``.

Endpoints (all ``POST /v1/*`` take a letter as JSON ``{"text", "name"}``, as a multipart upload ``letter``
(PDF or text) or as a raw ``application/pdf`` / ``text/plain`` body):

* ``POST /v1/extract`` -> CaseRecord (``imrassist extract --json``)
* ``POST /v1/explain?lang=en|es`` -> ExplanationResult (``imrassist explain --json``)
* ``POST /v1/summarize`` -> ``{"letter", "summary"}`` (``imrassist summarize``)
* ``POST /v1/check?lang=auto|en|es`` -> FindingsReport (``imrassist check --json``)
* ``POST /v1/analyze?lang=en|es`` -> record, explanation, summary, findings and the letter's text
* ``GET /v1/schema`` (``imrassist schema``), ``GET /healthz``, ``GET /openapi.json``, ``GET /`` (the page)

Safety: a bearer token (constant-time compare) guards ``/v1/*`` when set; bodies over ``max_body`` bytes are
refused with 413 before they are read whole (Content-Length, then counted while streaming); each request's
work runs in a thread pool under ``timeout_s`` (504 when exceeded); CORS only for ``allow_origins``; the
access log holds method, path (no query), status and time, never a body. Bad input is a 4xx JSON body
``{"error": {"reason", "message"}}`` with the CLI's one-line message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
import traceback
from pathlib import Path
from typing import Any, Awaitable, Callable, Literal

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ImrassistError
from ..models import CaseRecord, FindingsReport
from . import schemas as S
from .core import LRU, Engine, Inputs, clean_text, error_reason

STATIC_DIR = Path(__file__).with_name("static")
DEFAULT_MAX_BODY = 5_000_000
DEFAULT_TIMEOUT_S = 30.0

access_log = logging.getLogger("imrassist.service.access")
error_log = logging.getLogger("imrassist.service")


class ApiError(Exception):
    """An error answered as ``{"error": {"reason", "message"}}`` with ``status``."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers


class BodyTooLarge(ApiError):
    def __init__(self, limit: int, size: int | None = None) -> None:
        got = f"{size} bytes; " if size is not None else "more than that; "
        super().__init__(413, "too_large", f"request too large ({got}the limit is {limit} bytes)")


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


class JSONBytes(Response):
    media_type = "application/json"


def error_response(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONBytes(_json_bytes({"error": {"reason": reason, "message": message}}), status_code=status, headers=headers)


# --------------------------------------------------------------------------------------------- middleware

ASGIApp = Callable[..., Awaitable[None]]


async def _send_error(send: Callable, status: int, reason: str, message: str, extra: list | None = None) -> None:
    body = _json_bytes({"error": {"reason": reason, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Access log, security headers, bearer token and the body size limit, as one cheap ASGI layer."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        status_box = [0]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if path == "/" or path.startswith("/static/"):
                    headers.append((b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
                                    b"object-src 'none'; base-uri 'none'; form-action 'none'"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._guarded(scope, receive, send_wrapper, path)
        finally:
            access_log.info("%s %s %d %.1fms", scope.get("method", "-"), path, status_box[0],
                            (time.perf_counter() - started) * 1000)

    async def _guarded(self, scope: dict, receive: Callable, send: Callable, path: str) -> None:
        if self.token is not None and path.startswith("/v1/") and scope.get("method") != "OPTIONS":
            given = b""
            for k, v in scope.get("headers", []):
                if k == b"authorization":
                    given = v
                    break
            scheme, _, cred = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(cred.strip(), self.token):
                await _send_error(send, 401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer ...)",
                                  [(b"www-authenticate", b'Bearer realm="imrassist"')])
                return
        length = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    await _send_error(send, 400, "bad_request", "invalid Content-Length header")
                    return
        if length is not None and length > self.max_body:
            await _send_error(send, 413, "too_large", BodyTooLarge(self.max_body, length).message,
                              [(b"connection", b"close")])
            return
        seen = 0
        limit = self.max_body

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


# ------------------------------------------------------------------------------------------------ inputs

_MAX_NAME = 512
_FILENAME = re.compile(r'filename="?([^";]*)"?', re.IGNORECASE)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "(body)"
    return f"field {where}: {first.get('msg', 'invalid')}"


async def _read_body(request: Request) -> bytes:
    chunks = []
    async for chunk in request.stream():
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "application/json").split(";")[0].strip().lower()


def _is_json(ctype: str) -> bool:
    return ctype in ("application/json", "") or ctype.endswith("+json")


async def read_inputs(request: Request, model: type[S.LetterRequest], raw: bytes | None = None) -> Inputs:
    """Decode a request into :class:`Inputs`; request-shape problems are 400/415, content problems later."""
    ctype = _media_type(request)
    allowed = set(model.model_fields)
    if _is_json(ctype):
        if raw is None:
            raw = await _read_body(request)
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise ApiError(400, "bad_request", f"malformed JSON body ({detail})") from None
        except RecursionError:
            raise ApiError(400, "bad_request", "malformed JSON body (nested too deeply)") from None
        if not isinstance(obj, dict):
            raise ApiError(400, "bad_request", f"the JSON body must be an object, got {type(obj).__name__}")
        try:
            req = model.model_validate(obj)
        except ValidationError as exc:
            raise ApiError(400, "bad_request", _first_error(exc)) from None
        source = clean_text(req.name) if req.name else "<text>"
        record = getattr(req, "record", None)
        if isinstance(record, str):
            record = clean_text(record)
        return Inputs(letter=clean_text(req.text).encode("utf-8"), source=source, record=record,
                      explanation=getattr(req, "explanation", None))
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _read_multipart(request, allowed | {"letter"})
    if ctype in ("application/pdf", "text/plain", "application/octet-stream"):
        # A raw body may name itself the standard way: Content-Disposition: inline; filename="letter.pdf".
        m = _FILENAME.search(request.headers.get("content-disposition", ""))
        name = clean_text(m.group(1))[:_MAX_NAME] if m and m.group(1).strip() else "<upload>"
        return Inputs(letter=await _read_body(request), source=name)
    raise ApiError(415, "unsupported_media_type",
                   f"unsupported Content-Type {ctype!r}: send application/json, multipart/form-data, "
                   "application/pdf or text/plain")


async def _read_multipart(request: Request, allowed: set[str]) -> Inputs:
    from starlette.formparsers import MultiPartException

    try:
        form = await request.form(max_files=4, max_fields=8)
    except MultiPartException as exc:
        raise ApiError(400, "bad_request", f"malformed multipart body ({exc.message})") from None
    except (ValueError, AssertionError, KeyError) as exc:
        raise ApiError(400, "bad_request", f"malformed multipart body ({type(exc).__name__})") from None
    try:
        values: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key not in allowed:
                raise ApiError(400, "bad_request", f"unknown form field {key!r}; expected: {', '.join(sorted(allowed))}")
            if key in values:
                raise ApiError(400, "bad_request", f"form field {key!r} given twice")
            if isinstance(value, UploadFile):
                values[key] = (await value.read(), value.filename or None)
            else:
                values[key] = (value, None)
    finally:
        await form.close()

    def text_of(key: str) -> str | None:
        if key not in values:
            return None
        data, _ = values[key]
        return clean_text(data) if isinstance(data, str) else None

    name = text_of("name")
    if name is not None and len(name) > _MAX_NAME:
        raise ApiError(400, "bad_request", f"field name: at most {_MAX_NAME} characters")
    if "letter" in values and "text" in values:
        raise ApiError(400, "bad_request", "give the letter once: a 'letter' file or a 'text' field, not both")
    if "letter" in values:
        data, filename = values["letter"]
        letter = data if isinstance(data, bytes) else data.encode("utf-8")
        source = name or (clean_text(filename) if filename else "<upload>")
    elif "text" in values:
        data, _ = values["text"]
        letter = data if isinstance(data, bytes) else clean_text(data).encode("utf-8")
        source = name or "<text>"
    else:
        raise ApiError(400, "bad_request", "no letter: send a 'letter' file or a 'text' field")
    inp = Inputs(letter=letter, source=source)
    if "record" in values:
        data, filename = values["record"]
        inp.record = data
        inp.record_source = clean_text(filename) if filename else "<record>"
    if "explanation" in values:
        data, filename = values["explanation"]
        inp.explanation = data
        inp.explanation_source = clean_text(filename) if filename else "<explanation>"
    return inp


# ---------------------------------------------------------------------------------------------------- app

_ERRORS = {
    400: {"model": S.ErrorResponse, "description": "Malformed request (not JSON, missing field, unknown field)."},
    401: {"model": S.ErrorResponse, "description": "Missing or wrong bearer token (when the server has one)."},
    413: {"model": S.ErrorResponse, "description": "Body larger than the limit."},
    415: {"model": S.ErrorResponse, "description": "Unsupported Content-Type."},
    422: {"model": S.ErrorResponse, "description": "Bad input: empty, binary, not an IMR letter, PDF without "
          "text, encrypted or corrupt PDF, invalid record (names the field), empty explanation."},
    502: {"model": S.ErrorResponse, "description": "The configured model failed (LLM backend only)."},
    504: {"model": S.ErrorResponse, "description": "The request took longer than the per-request timeout."},
}


def create_app(
    *,
    token: str | None = None,
    allow_origins: list[str] | tuple[str, ...] | str | None = None,
    settings: Any = None,
    max_body: int = DEFAULT_MAX_BODY,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    threads: int | None = None,
    response_cache: int = 512,
) -> FastAPI:
    """The imrassist HTTP API and web page (see the module docstring).

    ``threads``: worker threads for the CPU-bound work (default: CPUs, 2 to 4). ``response_cache``: how many
    successful JSON answers to keep, keyed by endpoint, query and the SHA-256 of the request body (0: none).
    Without a configured model every endpoint is a pure function of its request, so an identical request gets
    the identical answer; with a model, nothing is cached here."""
    from ..explain import ExplanationResult
    from ..models import record_json_schema

    engine = Engine(settings)
    cache: LRU[tuple[str, str, str], bytes] | None = (
        LRU(response_cache) if response_cache and engine.settings is None else None)
    app = FastAPI(
        title="imrassist",
        version=__version__,
        description="Read, explain and check California IMR Final Determination letters. The same library and "
                    "JSON as the `imrassist` command line.",
        docs_url=None,  # the Swagger/ReDoc pages load assets from a CDN; the OpenAPI JSON is served as is
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.response_cache = cache
    app.state.max_body = max_body
    app.state.timeout_s = timeout_s
    schema_bytes = _json_bytes(record_json_schema())

    # CPU-bound work runs in a few threads, not one per request: under load, dozens of threads contending for
    # the GIL lengthen every request (convoys) without adding throughput. Requests beyond this wait their turn
    # (and still time out after timeout_s).
    limiter = anyio.CapacityLimiter(threads or max(2, min(4, os.cpu_count() or 1)))

    async def run(func: Callable[..., Any], *args: Any) -> Any:
        try:
            # abandon_on_cancel: the client gets its 504 at the deadline; the thread finishes in the background.
            work = anyio.to_thread.run_sync(func, *args, limiter=limiter, abandon_on_cancel=True)
            return await asyncio.wait_for(work, timeout=timeout_s)
        except asyncio.TimeoutError:
            raise ApiError(504, "timeout", f"the request took longer than {timeout_s:g} s") from None
        except ImrassistError as exc:
            status, reason, message = error_reason(exc)
            raise ApiError(status, reason, message) from None
        except Exception as exc:  # a bug, not bad input: log where, never what (the text may quote the letter)
            _log_internal(exc, "work")
            raise ApiError(500, "internal", f"internal error ({type(exc).__name__})") from None

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.reason, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        if errs:
            first = errs[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "(request)"
            message = f"{where}: {first.get('msg', 'invalid')}"
        else:  # pragma: no cover
            message = "invalid request"
        return error_response(400, "bad_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, reason, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:  # pragma: no cover - a bug, not bad input
        _log_internal(exc, request.url.path)
        return error_response(500, "internal", f"internal error ({type(exc).__name__})")

    def ok(payload: bytes) -> Response:
        return JSONBytes(payload)

    async def answer(request: Request, model: type[S.LetterRequest], work: Callable[[Inputs], bytes]) -> Response:
        """Decode the request, run ``work`` in the pool under the timeout, answer its JSON (cached when pure)."""
        raw = None
        key = None
        if cache is not None and _is_json(_media_type(request)):
            raw = await _read_body(request)
            key = (request.url.path, str(request.query_params), hashlib.sha256(raw).hexdigest())
            hit = cache.get(key)
            if hit is not None:
                return ok(hit)
        inp = await read_inputs(request, model, raw)
        payload = await run(work, inp)
        if key is not None and len(payload) <= 512 * 1024:
            cache.put(key, payload)
        return ok(payload)

    # --------------------------------------------------------------------------------------- endpoints

    @app.get("/healthz", response_model=S.Health, tags=["meta"])
    async def healthz() -> Response:
        return ok(_json_bytes({"status": "ok", "version": __version__}))

    @app.get("/v1/schema", response_model=dict[str, Any], responses={401: _ERRORS[401]}, tags=["meta"],
             summary="The CaseRecord JSON Schema (imrassist schema)")
    async def schema() -> Response:
        return ok(schema_bytes)

    def post(path: str, model: type[BaseModel], request_model: type[S.LetterRequest], summary: str,
             record: bool, explanation: bool) -> Callable:
        return app.post(path, response_model=model, responses=_ERRORS, summary=summary, tags=["letters"],
                        openapi_extra={"requestBody": S.request_body(request_model, record=record, explanation=explanation)})

    @post("/v1/extract", CaseRecord, S.LetterRequest, "Extract the case record (imrassist extract --json)", False, False)
    async def extract(request: Request) -> Response:
        return await answer(request, S.LetterRequest, lambda inp: engine.extract(inp).model_dump_json().encode())

    @post("/v1/explain", ExplanationResult, S.LetterRecordRequest,
          "Explain the decision to the injured worker (imrassist explain --json)", True, False)
    async def explain(request: Request, lang: Literal["en", "es"] = Query("en", description="en or es")) -> Response:
        return await answer(request, S.LetterRecordRequest,
                            lambda inp: engine.explain(inp, lang=lang).model_dump_json().encode())

    @post("/v1/summarize", S.SummaryResponse, S.LetterRecordRequest, "The reviewer summary (imrassist summarize)",
          True, False)
    async def summarize(request: Request) -> Response:
        return await answer(request, S.LetterRecordRequest,
                            lambda inp: _json_bytes({"letter": inp.source, "summary": engine.summarize(inp)}))

    @post("/v1/check", FindingsReport, S.CheckRequest,
          "Check a record and/or an explanation against the letter (imrassist check --json)", True, True)
    async def check(request: Request,
                    lang: Literal["auto", "en", "es"] = Query("auto", description="language of the explanation"),
                    kind: Literal["worker", "summary"] = Query(
                        "worker", description="worker explanation, or reviewer summary (no worker-only parts)")) -> Response:
        return await answer(request, S.CheckRequest,
                            lambda inp: engine.check(inp, lang=lang, kind=kind).model_dump_json().encode())

    @post("/v1/analyze", S.AnalyzeResponse, S.LetterRecordRequest,
          "Extract, explain, summarize and check (imrassist analyze), with the letter's text", True, False)
    async def analyze(request: Request, lang: Literal["en", "es"] = Query("en", description="en or es")) -> Response:
        return await answer(request, S.LetterRecordRequest, lambda inp: _json_bytes(engine.analyze(inp, lang=lang)))

    # ------------------------------------------------------------------------------------------- page

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # ------------------------------------------------------------------------------------------ layers
    app.add_middleware(GuardMiddleware, token=token, max_body=max_body)
    origins = [allow_origins] if isinstance(allow_origins, str) else list(allow_origins or [])
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    if token:
        _declare_bearer(app)
    return app


def _log_internal(exc: BaseException, where: str) -> None:
    """Log an unexpected error by type and frames only: its text may quote the input, and logs never hold it."""
    frames = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__))
    error_log.error("internal error (%s): %s at %s", where, type(exc).__name__, frames)


def _declare_bearer(app: FastAPI) -> None:
    """Document the bearer token in the OpenAPI (only when the server has one)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
        for path, ops in schema.get("paths", {}).items():
            if path.startswith("/v1/"):
                for op in ops.values():
                    op["security"] = [{"bearer": []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
