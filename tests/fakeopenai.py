"""A real OpenAI-compatible HTTP server for tests and benchmarks (stdlib only).

It listens on 127.0.0.1 (ephemeral port) in a background thread and speaks the chat-completions wire format:
``POST .../chat/completions`` (also Azure's ``/openai/deployments/<d>/chat/completions?api-version=...``) and
``GET .../models``. Point any OpenAI client at :attr:`FakeOpenAI.base_url`.

Script it per test with a queue of steps; each step is an optional expectation on the request and an action::

    fake.reply({"name": "x"}, mode="tools")              # structured answer, rendered for the request's mode
    fake.reply({"bad": 1}).reply({"name": "x"}, contains="Validation Error")
    fake.status(429, headers={"Retry-After": "1"})      # HTTP error with body/headers
    fake.status(500, times=4)
    fake.delay(5)                                        # sleep (client timeout), interruptible at shutdown
    fake.malformed()                                     # 200 with a broken JSON body
    fake.truncated({"name": "x"})                        # finish_reason "length", output cut in half
    fake.raw("free text")                                # message content verbatim

``reply`` renders the data in the shape the request asks for: a tool call with JSON arguments when the request
has ``tools`` (tools mode), message content JSON for ``response_format`` ``json_schema``/``json_object``, and a
```json fenced block otherwise (md_json). Every completion carries ``usage``.

Requests that arrive when the script is exhausted (and no ``default`` responder is set), or that fail their
step's expectation, are answered 500 with a clear message and recorded in :attr:`errors`; :meth:`verify`
raises if there are any (the ``fake_openai`` fixture calls it at teardown, so prompt drift and unexpected calls
fail the test). Every request is recorded (parsed JSON + headers) in :attr:`requests`.

Options: ``latency`` (seconds added to every reply, for concurrency benchmarks), ``reject_json_schema`` (emulates
llama-cpp-python's server: ``response_format.type == "json_schema"`` -> 400; ``json_object`` with or without
``schema`` accepted), ``default`` (a callable answering requests the script does not cover, e.g. 100 concurrent
letters: it gets the :class:`Request` and returns an action, a dict/pydantic model to reply with, or None for
"unexpected"). Outside pytest use it as a context manager (from the repo root:
``from tests.fakeopenai import FakeOpenAI``): ``with FakeOpenAI(latency=0.05) as fake: ...``.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping, Sequence, Union
from urllib.parse import urlsplit

__all__ = [
    "FakeOpenAI",
    "Request",
    "Expect",
    "Reply",
    "Raw",
    "Status",
    "Delay",
    "Malformed",
    "Truncated",
    "request_mode",
]


# --------------------------------------------------------------------------------------------- requests


def request_mode(body: Mapping[str, Any] | None) -> str:
    """The structured-output mode a chat request asks for: ``tools`` | ``json_schema`` | ``json_object`` |
    ``text`` (no response_format and no tools: instructor's md_json)."""
    if not isinstance(body, Mapping):
        return "text"
    if body.get("tools"):
        return "tools"
    fmt = body.get("response_format")
    if isinstance(fmt, Mapping):
        kind = fmt.get("type")
        if kind == "json_schema":
            return "json_schema"
        if kind == "json_object":
            return "json_object"
    return "text"


def _message_texts(messages: Any) -> list[str]:
    out: list[str] = []
    for message in messages or []:
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str))
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping):
                out.append(str((call.get("function") or {}).get("arguments", "")))
    return out


@dataclass
class Request:
    """One recorded HTTP request."""

    index: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None  # parsed JSON (None if absent or unparseable)
    time: float = field(default_factory=time.monotonic)
    status: int | None = None  # what the fake answered
    error: str | None = None  # set when this request was unexpected

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.rstrip("/").endswith("/chat/completions")

    @property
    def mode(self) -> str:
        return request_mode(self.body)

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, Mapping) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or []) if isinstance(self.body, Mapping) else []

    @property
    def text(self) -> str:
        """Every message text (and tool-call argument) joined by newlines."""
        return "\n".join(_message_texts(self.messages))

    @property
    def response_format(self) -> dict[str, Any] | None:
        fmt = self.body.get("response_format") if isinstance(self.body, Mapping) else None
        return fmt if isinstance(fmt, dict) else None

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the request carries structurally (tool parameters, json_schema or json_object
        ``schema``); None when the schema only travels in the prompt."""
        if not isinstance(self.body, Mapping):
            return None
        if self.body.get("tools"):
            return ((self.body["tools"][0] or {}).get("function") or {}).get("parameters")
        fmt = self.response_format or {}
        if fmt.get("type") == "json_schema":
            return (fmt.get("json_schema") or {}).get("schema")
        return fmt.get("schema")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


# --------------------------------------------------------------------------------------------- expectations

_MODE_ALIASES = {
    "tools": "tools",
    "tool": "tools",
    "json_schema": "json_schema",
    "json_object": "json_object",
    "json": "json_object",
    "md_json": "text",
    "text": "text",
}


@dataclass
class Expect:
    """What a step expects of its request. Every given matcher must hold.

    ``mode``: ``tools`` (``tools`` and ``tool_choice`` present), ``json_schema``, ``json_object``/``json``,
    ``md_json``/``text``; ``schema``: for json_object, whether ``response_format.schema`` must be present
    (True) or absent (False); ``contains``: substring(s) that must occur in the messages; ``not_contains``:
    substrings that must not; ``predicate``: any callable on :class:`Request` returning truthy."""

    model: str | None = None
    mode: str | None = None
    schema: bool | None = None
    contains: str | Sequence[str] | None = None
    not_contains: str | Sequence[str] | None = None
    predicate: Callable[[Request], Any] | None = None

    def problems(self, req: Request) -> list[str]:
        out: list[str] = []
        if self.model is not None and req.model != self.model:
            out.append(f"model {req.model!r} != expected {self.model!r}")
        if self.mode is not None:
            want = _MODE_ALIASES.get(self.mode, self.mode)
            if req.mode != want:
                out.append(f"mode {req.mode!r} != expected {want!r}")
            elif want == "tools" and "tool_choice" not in req.body:
                out.append("tools mode without tool_choice")
        if self.schema is not None:
            has = bool((req.response_format or {}).get("schema"))
            if has != self.schema:
                out.append("response_format.schema " + ("missing" if self.schema else "present but not expected"))
        text = req.text
        for needle in _as_list(self.contains):
            if needle not in text:
                out.append(f"messages do not contain {needle!r}")
        for needle in _as_list(self.not_contains):
            if needle in text:
                out.append(f"messages contain unexpected {needle!r}")
        if self.predicate is not None:
            try:
                ok = self.predicate(req)
            except Exception as exc:  # a broken predicate is a failed expectation
                ok = False
                out.append(f"predicate raised {type(exc).__name__}: {exc}")
            else:
                if not ok:
                    out.append(f"predicate {getattr(self.predicate, '__name__', 'predicate')} returned {ok!r}")
        return out


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------------------------- actions


@dataclass
class Reply:
    """A structured answer rendered for the request's mode. ``data``: dict/list/pydantic model (serialised to
    JSON) or a str used verbatim as the JSON text (e.g. deliberately invalid JSON)."""

    data: Any
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    include_usage: bool = True


@dataclass
class Raw:
    """Message content verbatim (no tool call, no fencing)."""

    content: str | None
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    include_usage: bool = True


@dataclass
class Status:
    """An HTTP response with any status; ``body`` dict -> JSON, str/bytes -> sent as is."""

    code: int
    body: Any = None
    headers: Mapping[str, str] | None = None


@dataclass
class Delay:
    """Sleep ``seconds`` (returns early when the server stops), then perform ``then`` (default 504)."""

    seconds: float
    then: Any = None


@dataclass
class Malformed:
    """A response whose body is not valid JSON although it claims to be."""

    body: bytes = b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "mess'
    status: int = 200
    content_type: str = "application/json"


@dataclass
class Truncated:
    """Output cut off by the token limit: ``finish_reason: "length"`` with half of the rendered JSON."""

    data: Any = None
    completion_tokens: int | None = None


Action = Union[Reply, Raw, Status, Delay, Malformed, Truncated]


@dataclass
class _Step:
    action: Any
    expect: Expect | None = None
    label: str = ""


class _Response:
    def __init__(self, status: int, body: bytes, headers: Mapping[str, str] | None = None,
                 content_type: str = "application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type


def _jsonb(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")


def _to_jsonable(data: Any) -> Any:
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    return data


def _json_text(data: Any) -> str:
    if isinstance(data, str):
        return data
    return json.dumps(_to_jsonable(data), ensure_ascii=False)


def _approx_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _error_body(message: str, kind: str = "fakeopenai_error", code: Any = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --------------------------------------------------------------------------------------------- server


class FakeOpenAI:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        reject_json_schema: bool = False,
        default: Callable[[Request], Any] | None = None,
        models: Iterable[str] = ("fake-model",),
        check_on_exit: bool = True,
    ):
        self.latency = latency
        self.reject_json_schema = reject_json_schema
        self.default = default
        self.models = list(models)
        self.check_on_exit = check_on_exit
        self.requests: list[Request] = []
        self.errors: list[str] = []
        self._steps: deque[_Step] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = 0
        self._inflight = 0
        self.max_inflight = 0  # highest number of concurrently handled chat requests

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "FakeOpenAI":
        if self._server is not None:
            return self
        self._stop.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakeopenai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()  # wakes every sleeping delay/latency
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and self.check_on_exit:
                self.verify()
        finally:
            self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    # ---------------------------------------------------------------- scripting

    def enqueue(self, action: Any, expect: Expect | None = None, *, times: int = 1, label: str = "") -> "FakeOpenAI":
        with self._lock:
            for _ in range(times):
                self._steps.append(_Step(action, expect, label))
        return self

    def _expect(self, kw: dict[str, Any]) -> Expect | None:
        keys = ("model", "mode", "schema", "contains", "not_contains", "predicate")
        given = {k: kw.pop(k) for k in keys if k in kw}
        expect = kw.pop("expect", None)
        if kw:
            raise TypeError(f"unknown arguments: {', '.join(kw)}")
        if expect is not None and given:
            raise TypeError("pass either expect= or matcher keywords, not both")
        return expect or (Expect(**given) if given else None)

    def reply(self, data: Any, *, prompt_tokens: int | None = None, completion_tokens: int | None = None,
              finish_reason: str | None = None, times: int = 1, **expect: Any) -> "FakeOpenAI":
        return self.enqueue(Reply(data, prompt_tokens, completion_tokens, finish_reason), self._expect(expect),
                            times=times)

    def raw(self, content: str | None, *, finish_reason: str = "stop", times: int = 1, **expect: Any) -> "FakeOpenAI":
        return self.enqueue(Raw(content, finish_reason), self._expect(expect), times=times)

    def status(self, code: int, body: Any = None, headers: Mapping[str, str] | None = None, *, times: int = 1,
               **expect: Any) -> "FakeOpenAI":
        return self.enqueue(Status(code, body, headers), self._expect(expect), times=times)

    def delay(self, seconds: float, then: Any = None, *, times: int = 1, **expect: Any) -> "FakeOpenAI":
        return self.enqueue(Delay(seconds, then), self._expect(expect), times=times)

    def malformed(self, body: bytes | None = None, *, times: int = 1, **expect: Any) -> "FakeOpenAI":
        action = Malformed() if body is None else Malformed(body=body)
        return self.enqueue(action, self._expect(expect), times=times)

    def truncated(self, data: Any = None, *, times: int = 1, **expect: Any) -> "FakeOpenAI":
        return self.enqueue(Truncated(data), self._expect(expect), times=times)

    @property
    def pending(self) -> int:
        """Scripted steps not consumed yet."""
        with self._lock:
            return len(self._steps)

    # ---------------------------------------------------------------- assertions

    @property
    def count(self) -> int:
        """Number of requests received (any path)."""
        with self._lock:
            return len(self.requests)

    @property
    def chat_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.is_chat]

    @property
    def chat_count(self) -> int:
        return len(self.chat_requests)

    @property
    def last(self) -> Request:
        with self._lock:
            return self.requests[-1]

    def verify(self) -> None:
        """Raise AssertionError if any request was unexpected (script exhausted, failed expectation, unknown
        path, unparseable body)."""
        with self._lock:
            errors = list(self.errors)
        if errors:
            lines = "\n".join(f"  - {e}" for e in errors)
            raise AssertionError(f"fakeopenai: {len(errors)} unexpected request(s):\n{lines}")

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            self._steps.clear()

    # ---------------------------------------------------------------- handling (server threads)

    def _sleep(self, seconds: float) -> bool:
        """Sleep; False if the server is stopping."""
        if seconds <= 0:
            return not self._stop.is_set()
        return not self._stop.wait(seconds)

    def _record(self, req: Request) -> None:
        with self._lock:
            req.index = len(self.requests)
            self.requests.append(req)

    def _error(self, req: Request, message: str) -> _Response:
        text = f"request #{req.index} {req.method} {req.path}: {message}"
        with self._lock:
            self.errors.append(text)
        req.error = message
        return _Response(500, _jsonb(_error_body(f"fakeopenai: {text}")))

    def handle(self, req: Request) -> _Response | None:
        self._record(req)
        path = req.path.rstrip("/")
        if req.method == "GET" and path.endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fakeopenai"} for m in self.models]
            return _Response(200, _jsonb({"object": "list", "data": data}))
        if not req.is_chat:
            return self._error(req, "unknown endpoint")
        if req.body is None or not isinstance(req.body, Mapping):
            return self._error(req, "request body is not a JSON object")

        with self._lock:
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)
        try:
            return self._handle_chat(req)
        finally:
            with self._lock:
                self._inflight -= 1

    def _handle_chat(self, req: Request) -> _Response | None:
        if self.reject_json_schema and req.mode == "json_schema":
            # what llama-cpp-python's server does with OpenAI structured outputs
            return _Response(400, _jsonb(_error_body(
                "response_format type 'json_schema' is not supported; use {'type': 'json_object', 'schema': ...}",
                "invalid_request_error")))

        if self.latency and not self._sleep(self.latency):
            return None

        with self._lock:
            step = self._steps.popleft() if self._steps else None
        if step is None:
            if self.default is None:
                return self._error(req, "script exhausted (no step left and no default responder)")
            try:
                action = self.default(req)
            except Exception as exc:
                return self._error(req, f"default responder raised {type(exc).__name__}: {exc}")
            if action is None:
                return self._error(req, "default responder returned None (unexpected request)")
        else:
            if step.expect is not None:
                problems = step.expect.problems(req)
                if problems:
                    return self._error(req, "expectation failed: " + "; ".join(problems))
            action = step.action
        return self._perform(req, action)

    def _perform(self, req: Request, action: Any) -> _Response | None:
        if isinstance(action, Delay):
            if not self._sleep(action.seconds):
                return None
            return self._perform(req, action.then if action.then is not None else
                                 Status(504, _error_body("fakeopenai: delay elapsed", "timeout")))
        if isinstance(action, Status):
            body = action.body
            if body is None:
                body = _error_body(f"fakeopenai: HTTP {action.code}", "server_error" if action.code >= 500
                                   else "invalid_request_error")
            if isinstance(body, (dict, list)):
                return _Response(action.code, _jsonb(body), action.headers)
            raw = body if isinstance(body, bytes) else str(body).encode("utf-8")
            return _Response(action.code, raw, action.headers, content_type="text/plain; charset=utf-8")
        if isinstance(action, Malformed):
            return _Response(action.status, action.body, content_type=action.content_type)
        if isinstance(action, Raw):
            return self._completion(req, content=action.content, tool_args=None, finish=action.finish_reason,
                                    prompt_tokens=action.prompt_tokens, completion_tokens=action.completion_tokens,
                                    include_usage=action.include_usage)
        if isinstance(action, Truncated):
            text = _json_text(action.data if action.data is not None else {"truncated": "x" * 64})
            cut = text[: max(1, len(text) // 2)]
            if req.mode == "tools":
                return self._completion(req, content=None, tool_args=cut, finish="length",
                                        completion_tokens=action.completion_tokens)
            if req.mode == "text":
                cut = "```json\n" + cut
            return self._completion(req, content=cut, tool_args=None, finish="length",
                                    completion_tokens=action.completion_tokens)
        if isinstance(action, Reply) or not isinstance(action, (Reply, Raw, Status, Delay, Malformed, Truncated)):
            reply = action if isinstance(action, Reply) else Reply(action)
            text = _json_text(reply.data)
            if req.mode == "tools":
                return self._completion(req, content=None, tool_args=text, finish=reply.finish_reason,
                                        prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                                        include_usage=reply.include_usage)
            if req.mode == "text":
                text = f"```json\n{text}\n```"
            return self._completion(req, content=text, tool_args=None, finish=reply.finish_reason or "stop",
                                    prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                                    include_usage=reply.include_usage)
        raise AssertionError(f"unknown action {action!r}")  # pragma: no cover

    def _completion(self, req: Request, *, content: str | None, tool_args: str | None, finish: str | None,
                    prompt_tokens: int | None = None, completion_tokens: int | None = None,
                    include_usage: bool = True) -> _Response:
        with self._lock:
            self._ids += 1
            n = self._ids
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        output = content or ""
        if tool_args is not None:
            body = req.body
            choice = body.get("tool_choice")
            name = None
            if isinstance(choice, Mapping):
                name = (choice.get("function") or {}).get("name") or choice.get("name")
            if not name:
                name = ((body.get("tools") or [{}])[0].get("function") or {}).get("name", "tool")
            message["tool_calls"] = [
                {"id": f"call_fake_{n}", "type": "function", "function": {"name": name, "arguments": tool_args}}
            ]
            output = tool_args
            if finish is None:
                finish = "stop" if isinstance(choice, Mapping) else "tool_calls"
        p = prompt_tokens if prompt_tokens is not None else _approx_tokens(json.dumps(req.messages))
        c = completion_tokens if completion_tokens is not None else _approx_tokens(output)
        payload: dict[str, Any] = {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model or "fake-model",
            "system_fingerprint": "fakeopenai",
            "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop", "logprobs": None}],
        }
        if include_usage:
            payload["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        return _Response(200, _jsonb(payload))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True
    fake: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeopenai/1.0"
    timeout = 30  # idle keep-alive connections do not pin a thread forever

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access logs
        pass

    def _read(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(index=-1, method=self.command, path=parts.path, query=parts.query, headers=headers,
                       raw=raw, body=body)

    def _serve(self) -> None:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        req = self._read()
        try:
            resp = fake.handle(req)
        except Exception as exc:  # a bug in the fake must not look like a hang
            resp = fake._error(req, f"fakeopenai internal error {type(exc).__name__}: {exc}")
        if resp is None:  # server stopping mid-delay: drop the connection
            self.close_connection = True
            return
        req.status = resp.status
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            for key, value in resp.headers.items():
                self.send_header(key, str(value))
            self.end_headers()
            self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.close_connection = True  # the client gave up (timeout) before we answered

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()


def fake_settings(fake: "FakeOpenAI", **kw: Any) -> Any:
    """LLMSettings pointed at a fake server, with tiny backoffs so retry tests stay fast."""
    from imrassist.llm.settings import LLMSettings

    kw.setdefault("model", "fake-model")
    kw.setdefault("base_url", fake.base_url)
    kw.setdefault("mode", "tools")
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return LLMSettings(**kw)
