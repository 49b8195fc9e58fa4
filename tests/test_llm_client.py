"""imrassist.llm against a real HTTP server (tests/fakeopenai.py) through the REAL openai + instructor clients.

Nothing of ours is monkeypatched: the only test double is the server on the other end of the socket.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakeopenai import fake_settings
from pydantic import BaseModel, ValidationInfo, field_validator

from tests.fakeopenai import Reply
from imrassist.llm import (
    BudgetExceeded,
    LLMError,
    LLMNotConfigured,
    LLMOutputTruncated,
    LLMSettings,
    LLMTransportError,
    LLMValidationError,
    ReplayMiss,
    TokenBudget,
    astructured,
    build_openai_client,
    default_mode,
    detect_provider,
    redact,
    structured,
)

ROOT = Path(__file__).resolve().parents[1]
LETTER = "Case Number: CM16-0241231. The injured worker, SECRET-PATIENT-TEXT, is 40 years old."
GOOD = {"name": "Ann", "age": 40}


class Person(BaseModel):
    """A person named in a letter."""

    name: str
    age: int


def msgs(text: str = LETTER) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Extract the person."}, {"role": "user", "content": text}]


make = fake_settings  # settings for the fake server (tests/fakeopenai.py)


pytestmark = pytest.mark.usefixtures("fresh_llm_clients")


def assert_no_letter_text(err: BaseException) -> None:
    text = str(err)
    assert "\n" not in text
    for secret in ("SECRET-PATIENT-TEXT", "CM16-0241231", "forty"):
        assert secret not in text


# ----------------------------------------------------------------------------------------------- modes


@pytest.mark.parametrize(
    "mode, wire",
    [("tools", "tools"), ("json_schema", "json_schema"), ("json", "json_object"), ("md_json", "md_json")],
)
def test_valid_answer_per_mode(fake_openai, mode, wire):
    fake_openai.reply(GOOD, mode=wire, model="fake-model", contains="SECRET-PATIENT-TEXT")
    result = structured(Person, msgs(), make(fake_openai, mode=mode))

    assert result.value == Person(**GOOD) and type(result.value) is Person
    assert "_raw_response" not in result.value.__dict__
    assert (result.mode, result.provider) == (mode, "openai_compatible")
    u = result.usage
    assert (u.requests, u.transport_retries, u.validation_retries, u.cache_hits) == (1, 0, 0, 0)
    assert u.prompt_tokens > 0 and u.completion_tokens > 0 and u.total_tokens == u.prompt_tokens + u.completion_tokens
    assert not u.usage_estimated

    req = fake_openai.last
    schema = Person.model_json_schema()
    if mode == "tools":
        assert req.body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
        assert req.schema["properties"] == schema["properties"]
    elif mode == "json_schema":
        assert req.response_format["json_schema"]["schema"] == schema
    elif mode == "json":
        assert req.response_format == {"type": "json_object"}  # schema only in the system prompt
        assert '"age"' in req.messages[0]["content"]
    else:
        assert "response_format" not in req.body and "tools" not in req.body
        assert "```json" in req.text
    assert req.header("authorization") == "Bearer not-needed"


def test_async_twin_and_concurrency_limit(fake_openai):
    fake_openai.latency = 0.05
    fake_openai.default = lambda req: {"name": "P" + req.text.rsplit("#", 1)[1], "age": 1}
    settings = make(fake_openai, concurrency=4)

    async def main():
        return await asyncio.gather(*(astructured(Person, f"letter #{i}", settings) for i in range(20)))

    results = asyncio.run(main())
    assert [r.value.name for r in results] == [f"P{i}" for i in range(20)]
    assert fake_openai.chat_count == 20
    assert 1 < fake_openai.max_inflight <= 4


def test_thread_pool_shares_one_client(fake_openai):
    from concurrent.futures import ThreadPoolExecutor

    fake_openai.latency = 0.05
    fake_openai.default = lambda req: GOOD
    settings = make(fake_openai, concurrency=3)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: structured(Person, f"letter {i}", settings), range(12)))
    assert all(r.value == Person(**GOOD) and r.usage.requests == 1 for r in results)
    assert fake_openai.max_inflight <= 3


# ----------------------------------------------------------------------------------------------- validation


def test_validation_failure_is_reasked_with_the_error(fake_openai):
    fake_openai.reply({"name": "Ann", "age": "forty"}, mode="tools")
    fake_openai.reply(GOOD, mode="tools", contains=["Validation Error", "age", "int_parsing"])
    result = structured(Person, msgs(), make(fake_openai))
    assert result.value.age == 40
    assert fake_openai.chat_count == 2
    assert (result.usage.requests, result.usage.validation_retries, result.usage.transport_retries) == (2, 1, 0)
    second = fake_openai.chat_requests[1]
    assert [m["role"] for m in second.messages][-2:] == ["assistant", "tool"]


def test_validation_gives_up_after_max_retries(fake_openai):
    fake_openai.reply({"name": "Ann", "age": "forty"}, times=3)
    with pytest.raises(LLMValidationError) as info:
        structured(Person, msgs(), make(fake_openai, max_retries=2, mode="json"))
    err = info.value
    assert fake_openai.chat_count == 3 and err.attempts == 3
    assert err.errors == [("age", "int_parsing")]
    assert "3 attempt" in str(err) and "age (int_parsing)" in str(err)
    assert_no_letter_text(err)
    assert err.usage.requests == 3


def test_validation_context_reaches_validators_and_messages_are_not_templated(fake_openai):
    class Quote(BaseModel):
        quote: str

        @field_validator("quote")
        @classmethod
        def in_letter(cls, v: str, info: ValidationInfo) -> str:
            if v not in (info.context or {}).get("letter", ""):
                raise ValueError("quote not found in the letter")
            return v

    letter = "He said {{ not a template }} and {% also not %}.\n    Indented line."
    fake_openai.reply({"quote": "invented"}, contains=letter)  # the letter arrives byte for byte
    fake_openai.reply({"quote": "Indented line"}, contains="quote not found in the letter")
    result = structured(Quote, letter, make(fake_openai), context={"letter": letter})
    assert result.value.quote == "Indented line" and type(result.value) is Quote
    assert result.usage.validation_retries == 1


def test_truncated_output_is_a_clear_bounded_error(fake_openai):
    fake_openai.truncated(GOOD)
    with pytest.raises(LLMOutputTruncated) as info:
        structured(Person, msgs(), make(fake_openai, max_retries=3))
    assert fake_openai.chat_count == 1  # re-asking would truncate again
    assert "finish_reason=length" in str(info.value)
    assert isinstance(info.value, LLMValidationError)
    assert_no_letter_text(info.value)


def test_missing_usage_is_estimated(fake_openai):
    fake_openai.enqueue(Reply(GOOD, include_usage=False))
    result = structured(Person, msgs(), make(fake_openai, mode="json_schema"))
    assert result.usage.usage_estimated and result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


# ----------------------------------------------------------------------------------------------- transport


def test_429_retry_after_is_honoured(fake_openai):
    fake_openai.status(429, headers={"Retry-After": "1"})
    fake_openai.reply(GOOD)
    start = time.monotonic()
    result = structured(Person, msgs(), make(fake_openai))
    waited = fake_openai.chat_requests[1].time - fake_openai.chat_requests[0].time
    assert 0.95 <= waited < 2.5, waited
    assert time.monotonic() - start < 3
    assert (result.usage.requests, result.usage.transport_retries, result.usage.validation_retries) == (2, 1, 0)


def test_retry_after_beyond_the_window_gives_up_at_once(fake_openai):
    fake_openai.status(429, headers={"Retry-After": "300"})
    start = time.monotonic()
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, transport_max_seconds=5))
    assert time.monotonic() - start < 1 and fake_openai.chat_count == 1
    assert info.value.status_code == 429 and "Retry-After 300s" in str(info.value)


def test_retry_after_http_date_is_parsed():
    from imrassist.llm.client import _retry_after

    class Resp:
        def __init__(self, headers):
            self.headers = headers

    class Err(Exception):
        def __init__(self, headers):
            self.response = Resp(headers)

    when = email_date(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))
    assert 27 <= _retry_after(Err({"retry-after": when})) <= 30
    assert _retry_after(Err({"retry-after": "2"})) == 2.0
    assert _retry_after(Err({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert _retry_after(Err({"retry-after": "soon"})) is None
    assert _retry_after(Err({})) is None


def email_date(when: dt.datetime) -> str:
    import email.utils

    return email.utils.format_datetime(when, usegmt=True)


def test_500_then_success(fake_openai):
    fake_openai.status(500).status(503).reply(GOOD)
    result = structured(Person, msgs(), make(fake_openai))
    assert result.value.age == 40
    assert (result.usage.requests, result.usage.transport_retries) == (3, 2)


def test_persistent_500_stops_after_exactly_n_attempts(fake_openai):
    fake_openai.status(500, times=10)
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, transport_max_attempts=3))
    err = info.value
    assert fake_openai.chat_count == 3
    assert (err.status_code, err.attempts, err.retryable, err.kind) == (500, 3, True, "http")
    assert "HTTP 500" in str(err) and "3 attempts" in str(err)
    assert_no_letter_text(err)


@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_client_errors_are_not_retried(fake_openai, code):
    fake_openai.status(code)
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai))
    assert fake_openai.chat_count == 1
    assert info.value.status_code == code and not info.value.retryable and "not retried" in str(info.value)


def test_timeout_is_retried_then_fails_within_bounds(fake_openai):
    fake_openai.delay(10, times=2)
    start = time.monotonic()
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, timeout=0.3, transport_max_attempts=2))
    elapsed = time.monotonic() - start
    assert fake_openai.chat_count == 2 and info.value.kind == "timeout"
    assert 0.55 <= elapsed < 2.0, elapsed
    assert "timed out" in str(info.value)


def test_total_retry_window_caps_each_attempt(fake_openai):
    fake_openai.delay(10, times=5)
    start = time.monotonic()
    with pytest.raises(LLMTransportError):
        structured(Person, msgs(), make(fake_openai, timeout=30, transport_max_seconds=0.6))
    assert time.monotonic() - start < 1.5


def test_timeout_then_success(fake_openai):
    fake_openai.delay(10).reply(GOOD)
    result = structured(Person, msgs(), make(fake_openai, timeout=0.3))
    assert result.value.age == 40 and result.usage.transport_retries == 1


def test_connection_refused_fails_quickly():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    settings = LLMSettings(model="m", base_url=f"http://127.0.0.1:{port}/v1", mode="json")  # default backoff
    start = time.monotonic()
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), settings)
    assert time.monotonic() - start < 3
    assert info.value.kind == "connect" and info.value.attempts == 2 and info.value.status_code is None
    assert "cannot connect" in str(info.value)


def test_malformed_json_body_is_retried(fake_openai):
    fake_openai.malformed().reply(GOOD)
    result = structured(Person, msgs(), make(fake_openai))
    assert result.value.age == 40 and result.usage.transport_retries == 1


def test_persistent_malformed_body_is_a_transport_error(fake_openai):
    fake_openai.malformed(times=2)
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, transport_max_attempts=2))
    assert info.value.kind == "malformed" and fake_openai.chat_count == 2
    assert "malformed response" in str(info.value)


# ----------------------------------------------------------------------------------------------- budget


def test_token_budget_stops_a_run_of_reasks(fake_openai):
    fake_openai.reply({"name": "Ann"}, prompt_tokens=100, completion_tokens=50, times=6)
    with pytest.raises(BudgetExceeded) as info:
        structured(Person, msgs(), make(fake_openai, token_budget=250, max_retries=5))
    assert fake_openai.chat_count == 2  # 150 tokens, re-ask, 300 >= 250: the third request is never sent
    assert (info.value.used, info.value.limit) == (300, 250)
    assert "token budget" in str(info.value)
    assert info.value.usage.prompt_tokens == 200 and info.value.usage.validation_retries == 1
    fake_openai.reset()  # the unsent steps are the point of the test


def test_shared_budget_across_calls_of_one_letter(fake_openai):
    fake_openai.reply(GOOD, prompt_tokens=90, completion_tokens=20)
    budget = TokenBudget(100)
    settings = make(fake_openai)
    structured(Person, msgs(), settings, budget=budget)
    assert budget.used == 110 and budget.exhausted
    with pytest.raises(BudgetExceeded):
        structured(Person, msgs(), settings, budget=budget)
    assert fake_openai.chat_count == 1


def test_cost_from_price_table(fake_openai):
    fake_openai.reply(GOOD, prompt_tokens=1000, completion_tokens=500)
    settings = make(fake_openai, prices={"fake-model": {"prompt_per_1k": 0.5, "completion_per_1k": 2.0}})
    assert structured(Person, msgs(), settings).usage.cost_usd == pytest.approx(1.5)


# ----------------------------------------------------------------------------------------------- cache / replay


def test_cache_second_identical_call_makes_zero_requests(fake_openai, tmp_path):
    fake_openai.reply(GOOD)
    settings = make(fake_openai, cache=True, cache_dir=tmp_path)
    first = structured(Person, msgs(), settings, prompt_version="v1")
    second = structured(Person, msgs(), settings, prompt_version="v1")
    assert fake_openai.chat_count == 1
    assert second.value == first.value and second.cached and not first.cached
    assert (second.usage.requests, second.usage.cache_hits, second.usage.total_tokens) == (0, 1, 0)
    assert second.cache_key == first.cache_key

    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1 and files[0].stem == first.cache_key
    assert "SECRET-PATIENT-TEXT" not in files[0].read_text()
    assert not list(tmp_path.rglob("*.tmp"))
    assert files[0].stat().st_mode & 0o777 == 0o600  # model answers about medical letters stay private

    fake_openai.reply(GOOD)  # another prompt version is another key
    assert not structured(Person, msgs(), settings, prompt_version="v2").cached
    assert fake_openai.chat_count == 2


def test_replay_only_with_empty_cache_raises_replay_miss(fake_openai, tmp_path):
    with pytest.raises(ReplayMiss) as info:
        structured(Person, msgs(), make(fake_openai, replay_only=True, cache_dir=tmp_path))
    assert fake_openai.count == 0
    assert_no_letter_text(info.value)


def test_replay_only_answers_from_a_filled_cache(fake_openai, tmp_path):
    fake_openai.reply(GOOD)
    structured(Person, msgs(), make(fake_openai, cache=True, cache_dir=tmp_path))
    replay = structured(Person, msgs(), make(fake_openai, replay_only=True, cache_dir=tmp_path))
    assert replay.cached and fake_openai.chat_count == 1


# ----------------------------------------------------------------------------------------------- providers


def test_llamacpp_emulation_works_with_the_default_mode(fake_openai):
    fake_openai.reject_json_schema = True
    settings = make(fake_openai, base_url=f"{fake_openai.url}/llama.cpp/v1", mode=None)
    assert (settings.provider, settings.effective_mode) == ("llamacpp", "json")

    fake_openai.reply(GOOD, mode="json_object", schema=True)
    result = structured(Person, msgs(), settings)
    assert result.value.age == 40
    assert fake_openai.last.response_format == {"type": "json_object", "schema": Person.model_json_schema()}

    # what the default saves us from: OpenAI-style structured outputs are refused by this server
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, mode="json_schema"))
    assert info.value.status_code == 400 and "IMRASSIST_MODE" in str(info.value)


def test_gguf_model_name_means_llamacpp(fake_openai):
    fake_openai.reject_json_schema = True
    settings = make(fake_openai, model="qwen2.5-7b-instruct-q4_k_m.gguf", mode=None)
    fake_openai.reply(GOOD, mode="json", schema=True, model="qwen2.5-7b-instruct-q4_k_m.gguf")
    assert structured(Person, msgs(), settings).value.age == 40


@pytest.mark.parametrize(
    "url, model, provider, mode",
    [
        (None, "gpt-4o-mini", "openai", "tools"),
        ("https://api.openai.com/v1", "gpt-4o", "openai", "tools"),
        ("https://acme.openai.azure.com", "my-deployment", "azure", "tools"),
        ("http://gpu-box:8000/v1", "Qwen/Qwen2.5-7B-Instruct", "vllm", "json_schema"),
        ("http://vllm.internal/v1", "m", "vllm", "json_schema"),
        ("http://localhost:11434/v1", "llama3.1", "ollama", "json"),
        ("http://ollama.lan/v1", "llama3.1", "ollama", "json"),
        ("http://localhost:8080/v1", "any", "llamacpp", "json"),
        ("http://localhost:9000/v1", "model.gguf", "llamacpp", "json"),
        ("http://localhost:1234/v1", "m", "lmstudio", "json_schema"),
        ("http://localhost:4000/v1", "m", "openai_compatible", "json"),
    ],
)
def test_provider_detection_and_default_mode(url, model, provider, mode):
    assert detect_provider(url, model) == provider
    assert default_mode(provider) == mode
    assert LLMSettings(model=model, base_url=url).effective_mode == mode


def test_azure_client_is_built_with_api_version():
    import openai

    settings = LLMSettings(model="dep", base_url="https://acme.openai.azure.com", api_key="k", api_version="2024-10-21")
    client = build_openai_client(settings)
    assert isinstance(client, openai.AzureOpenAI) and client.max_retries == 0 and client.timeout == 60
    assert str(client.base_url).startswith("https://acme.openai.azure.com/openai")
    assert client._custom_query.get("api-version") == "2024-10-21"
    deployment = build_openai_client(settings.model_copy(update={"base_url": "https://acme.openai.azure.com/openai/deployments/dep"}))
    assert str(deployment.base_url).startswith("https://acme.openai.azure.com/openai/deployments/dep")


def test_cloud_provider_without_key_is_not_configured():
    with pytest.raises(LLMNotConfigured):
        build_openai_client(LLMSettings(model="gpt-4o-mini"))


# ----------------------------------------------------------------------------------------------- settings


def test_nothing_is_sent_without_a_model(fake_openai):
    settings = LLMSettings(base_url=fake_openai.base_url, api_key="k")
    assert not settings.configured()
    with pytest.raises(LLMNotConfigured):
        structured(Person, msgs(), settings)
    assert fake_openai.count == 0


def test_resolution_order(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[llm]\nmodel = "from-file"\nbase_url = "http://file:8000/v1"\ntimeout = 12\nmode = "md_json"\n'
        '[llm.prices."from-env"]\nprompt_per_1k = 1.0\ncompletion_per_1k = 2.0\n'
    )
    env = {"IMRASSIST_CONFIG": str(config), "OPENAI_MODEL": "from-openai-env", "OPENAI_API_KEY": "sk-openai",
           "IMRASSIST_MODEL": "from-env", "IMRASSIST_TIMEOUT": "30", "IMRASSIST_CACHE": "true"}
    s = LLMSettings.resolve(env=env)
    assert (s.model, s.timeout, s.mode, s.base_url, s.cache) == ("from-env", 30.0, "md_json", "http://file:8000/v1", True)
    assert s.price_for().completion_per_1k == 2.0
    assert s.api_key is None  # OPENAI_API_KEY is never sent to a base URL that did not come with it
    assert s.sources["model"] == "env:IMRASSIST_MODEL" and s.sources["timeout"] == "env:IMRASSIST_TIMEOUT"
    assert s.sources["base_url"] == f"config:{config}"

    s = LLMSettings.resolve(env=env, model="from-flag", mode="auto", timeout=None)
    assert (s.model, s.mode, s.timeout, s.sources["model"]) == ("from-flag", None, 30.0, "arg")
    assert s.effective_mode == "json_schema"  # vllm (port 8000)

    s = LLMSettings.resolve(env={"OPENAI_API_KEY": "sk-x", "OPENAI_MODEL": "gpt-4o-mini"}, use_config_file=False)
    assert s.api_key.get_secret_value() == "sk-x" and s.provider == "openai" and s.configured()
    assert "sk-x" not in repr(s) and s.describe()["api_key"] == "set"

    assert not LLMSettings.resolve(env={"OPENAI_API_KEY": "sk-x"}, use_config_file=False).configured()


def test_bad_config_file_is_a_one_line_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nmodle = "typo"\n')
    with pytest.raises(LLMError, match="unknown setting"):
        LLMSettings.resolve(env={"IMRASSIST_CONFIG": str(config)})


def test_importing_settings_does_not_import_openai_or_instructor():
    code = (
        "import sys; import imrassist.llm.settings, imrassist.llm; "
        "bad = [m for m in ('openai', 'instructor', 'tenacity', 'httpx2') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


# ----------------------------------------------------------------------------------------------- redaction


def test_redact_replaces_identifiers():
    text, n = redact("Case Number: CM16-0241231\nClaim Number: 05-12345-A\nClaim #: ABC123\nIn this case 2 visits.")
    assert n == 3
    assert "CM16-0241231" not in text and "05-12345-A" not in text and "ABC123" not in text
    assert "Claim Number: [CLAIM-NUMBER]" in text and "In this case 2 visits." in text


def test_redaction_happens_before_sending(fake_openai):
    fake_openai.reply(GOOD, contains="[CASE-NUMBER]", not_contains="CM16-0241231")
    result = structured(Person, msgs(), make(fake_openai, redact=True))
    assert result.usage.redactions == 1


# ----------------------------------------------------------------------------------------------- the fake's check


def test_unexpected_request_is_recorded_and_fails_verification(fake_openai):
    with pytest.raises(LLMTransportError) as info:
        structured(Person, msgs(), make(fake_openai, transport_max_attempts=1))
    assert info.value.status_code == 500
    with pytest.raises(AssertionError, match="script exhausted"):
        fake_openai.verify()

    fake_openai.reset()
    fake_openai.reply(GOOD, contains="this text is not in the prompt")
    with pytest.raises(LLMTransportError):
        structured(Person, msgs(), make(fake_openai, transport_max_attempts=1))
    with pytest.raises(AssertionError, match="expectation failed: messages do not contain"):
        fake_openai.verify()
    fake_openai.reset()  # we provoked these on purpose: let teardown pass


def test_unexpected_request_fails_the_test_at_teardown(pytester):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(
        """
        import json, urllib.request, urllib.error

        def test_drift(fake_openai):
            fake_openai.reply({"x": 1}, contains="expected prompt")
            body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "drifted prompt"}]}).encode()
            req = urllib.request.Request(fake_openai.base_url + "/chat/completions", data=body,
                                         headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(req, timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 500
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*expectation failed: messages do not contain 'expected prompt'*"])


def test_logs_hold_counts_not_contents(fake_openai, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    fake_openai.reply({"name": "Ann", "age": "forty"}).reply(GOOD)
    structured(Person, msgs(), make(fake_openai))
    fake_openai.status(400)
    with pytest.raises(LLMTransportError):
        structured(Person, msgs(), make(fake_openai))
    assert any(r.name == "imrassist.llm" and "requests=2" in r.getMessage() for r in caplog.records)
    for secret in ("SECRET-PATIENT-TEXT", "CM16-0241231", "forty"):
        assert secret not in caplog.text
