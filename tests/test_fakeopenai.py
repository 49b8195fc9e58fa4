"""The fake server itself, spoken to with plain urllib (no openai client)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.fakeopenai import Expect, FakeOpenAI, Raw, Reply, request_mode


def post(url: str, body: dict, timeout: float = 5) -> tuple[int, dict | bytes, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw, status, headers = exc.read(), exc.code, dict(exc.headers)
    try:
        return status, json.loads(raw), headers
    except ValueError:
        return status, raw, headers


def chat(fake: FakeOpenAI, **extra) -> tuple[int, dict | bytes, dict]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hello letter"}], **extra}
    return post(fake.base_url + "/chat/completions", body)


TOOLS = {
    "tools": [{"type": "function", "function": {"name": "Person", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "Person"}},
}


def test_models_endpoint(fake_openai):
    with urllib.request.urlopen(fake_openai.base_url + "/models", timeout=5) as resp:
        data = json.loads(resp.read())
    assert data["data"][0]["id"] == "fake-model"
    assert fake_openai.count == 1 and fake_openai.chat_count == 0


@pytest.mark.parametrize(
    "extra, mode",
    [
        (TOOLS, "tools"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "P", "schema": {}}}}, "json_schema"),
        ({"response_format": {"type": "json_object"}}, "json_object"),
        ({}, "text"),
    ],
)
def test_reply_is_rendered_for_the_request_mode(fake_openai, extra, mode):
    fake_openai.reply({"name": "Ann"}, mode=mode)
    status, data, _ = chat(fake_openai, **extra)
    assert status == 200 and fake_openai.last.mode == mode == request_mode(fake_openai.last.body)
    message = data["choices"][0]["message"]
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    if mode == "tools":
        call = message["tool_calls"][0]["function"]
        assert call["name"] == "Person" and json.loads(call["arguments"]) == {"name": "Ann"}
        assert message["content"] is None
    elif mode == "text":
        assert message["content"] == '```json\n{"name": "Ann"}\n```'
    else:
        assert json.loads(message["content"]) == {"name": "Ann"}


def test_status_malformed_truncated_and_raw(fake_openai):
    fake_openai.status(429, headers={"Retry-After": "3"}).malformed().truncated({"name": "A" * 40})
    fake_openai.raw("plain words", finish_reason="stop")
    status, _, headers = chat(fake_openai)
    assert status == 429 and headers["Retry-After"] == "3"
    status, body, _ = chat(fake_openai)
    assert status == 200 and isinstance(body, bytes)
    status, data, _ = chat(fake_openai, **TOOLS)
    assert data["choices"][0]["finish_reason"] == "length"
    args = data["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    with pytest.raises(ValueError):
        json.loads(args)
    status, data, _ = chat(fake_openai)
    assert data["choices"][0]["message"]["content"] == "plain words"
    assert fake_openai.pending == 0


def test_reject_json_schema_emulates_llama_cpp_python(fake_openai):
    fake_openai.reject_json_schema = True
    fake_openai.reply({"a": 1}, mode="json_object", schema=True)
    status, _, _ = chat(fake_openai, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}})
    assert status == 400 and fake_openai.pending == 1  # refused before the script is consulted
    status, data, _ = chat(fake_openai, response_format={"type": "json_object", "schema": {"type": "object"}})
    assert status == 200 and json.loads(data["choices"][0]["message"]["content"]) == {"a": 1}


def test_expectations_and_verify(fake_openai):
    fake_openai.enqueue(Reply({"a": 1}), Expect(model="other-model"))
    fake_openai.reply({"a": 1}, predicate=lambda req: req.body.get("temperature") == 0)
    status, data, _ = chat(fake_openai)
    assert status == 500 and "model 'm' != expected 'other-model'" in data["error"]["message"]
    status, _, _ = chat(fake_openai)
    assert status == 500
    status, _, _ = chat(fake_openai)  # exhausted
    assert status == 500
    with pytest.raises(AssertionError) as info:
        fake_openai.verify()
    assert "3 unexpected request(s)" in str(info.value) and "script exhausted" in str(info.value)
    assert [r.error is not None for r in fake_openai.requests] == [True, True, True]
    fake_openai.reset()


def test_default_responder_answers_what_the_script_does_not(fake_openai):
    fake_openai.reply({"n": "scripted"})
    fake_openai.default = lambda req: Raw("declined") if "skip" in req.text else {"n": req.text}
    assert json.loads(chat(fake_openai, response_format={"type": "json_object"})[1]["choices"][0]["message"]["content"]) == {"n": "scripted"}
    assert json.loads(chat(fake_openai, response_format={"type": "json_object"})[1]["choices"][0]["message"]["content"]) == {"n": "hello letter"}
    body = {"model": "m", "messages": [{"role": "user", "content": "skip me"}]}
    assert post(fake_openai.base_url + "/chat/completions", body)[1]["choices"][0]["message"]["content"] == "declined"


def test_azure_style_path_is_served(fake_openai):
    fake_openai.reply({"a": 1})
    status, _, _ = post(f"{fake_openai.url}/openai/deployments/dep/chat/completions?api-version=2024-10-21",
                        {"model": "dep", "messages": []})
    assert status == 200 and fake_openai.last.query == "api-version=2024-10-21"


def test_unknown_path_is_an_error(fake_openai):
    status, _, _ = post(fake_openai.base_url + "/embeddings", {"input": "x"})
    assert status == 500 and len(fake_openai.errors) == 1
    fake_openai.reset()


def test_a_sleeping_delay_does_not_hold_up_shutdown():
    fake = FakeOpenAI().start()
    fake.delay(60)
    outcome: list[str] = []

    def client() -> None:
        try:
            chat(fake)
        except Exception as exc:  # the server drops the connection: that is the point
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    while fake.count == 0:
        time.sleep(0.01)
    start = time.monotonic()
    fake.stop()
    assert time.monotonic() - start < 2
    thread.join(5)
    assert not thread.is_alive() and outcome


def test_context_manager_verifies_on_exit():
    with pytest.raises(AssertionError, match="script exhausted"):
        with FakeOpenAI() as fake:
            chat(fake)
    with FakeOpenAI(check_on_exit=False) as fake:  # benchmarks may opt out
        chat(fake)


def test_latency_is_added_to_every_reply():
    with FakeOpenAI(latency=0.2, default=lambda req: {"ok": True}) as fake:
        start = time.monotonic()
        chat(fake)
        assert time.monotonic() - start >= 0.2
