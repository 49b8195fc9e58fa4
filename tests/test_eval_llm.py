"""``imrassist eval --backend llm`` against the scripted OpenAI-compatible server (tests/fakeopenai.py).

Checks what a model run records (model, mode, prompt version and hash, tokens, requests, cache hits) and
that evals cache model answers by default: a second run sends nothing, ``--no-cache`` sends again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imrassist.cli import main
from imrassist.extract.llm import answer_from_record
from imrassist.extract.rules import extract_rules
from imrassist.letter import read_letter
from imrassist.llm import reset_clients
from tests.test_eval_run import make_tiny_suite


@pytest.fixture(autouse=True)
def _fresh_clients():
    yield
    reset_clients()


@pytest.fixture
def llm_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user config file
    monkeypatch.setenv("IMRASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMRASSIST_BACKOFF_INITIAL", "0.01")
    monkeypatch.setenv("IMRASSIST_TRANSPORT_MAX_ATTEMPTS", "1")
    for name in ("IMRASSIST_CONFIG", "IMRASSIST_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "IMRASSIST_CACHE",
                 "IMRASSIST_REPLAY_ONLY"):
        monkeypatch.delenv(name, raising=False)


def _serve_rules_answers(fake, suite: Path, broken: str | None = None) -> None:
    """Answer each letter's request with what the rules read (so a perfect model); ``broken``: HTTP 400."""
    answers = {}
    for path in sorted((suite / "letters").glob("*.txt")):
        letter = read_letter(path)
        answers[f"=====BEGIN LETTER {letter.sha256[:12].upper()}====="] = (path.stem, answer_from_record(extract_rules(letter)))

    def respond(req):
        name, answer = next(v for k, v in answers.items() if k in req.text)
        if name == broken:
            from tests.fakeopenai import Status

            return Status(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
        return answer

    fake.default = respond


def _eval(capsys, suite: Path, fake, *extra: str) -> tuple[int, dict]:
    code = main(["eval", str(suite), "--backend", "llm", "--model", "fake-model", "--base-url", fake.base_url,
                 "--mode", "json", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_llm_eval_records_usage_and_caches_by_default(fake_openai, llm_env, tmp_path: Path, capsys) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    _serve_rules_answers(fake_openai, suite)

    code, run = _eval(capsys, suite, fake_openai, "--jobs", "2")
    assert code == 0
    m = run["meta"]
    assert (m["backend"], m["model"], m["mode"]) == ("llm", "fake-model", "json")
    assert m["prompt_versions"] == ["extract/v1"] and len(m["prompt_hashes"]) == 1 and m["cache"] is True
    u = m["usage"]
    sent = fake_openai.chat_count
    assert sent >= 2 and u["requests"] == sent and u["cache_hits"] == 0
    assert u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert u["letters_with_usage"] == 2
    assert all(lr["backend"] == "llm" and lr["usage"]["requests"] >= 1 for lr in run["letters"])
    assert run["score"]["overall"]["f1"] == pytest.approx(1.0)

    # Again: every answer from the cache, nothing sent, the same scores.
    code, again = _eval(capsys, suite, fake_openai)
    assert code == 0 and fake_openai.chat_count == sent
    assert again["meta"]["usage"]["cache_hits"] >= 2
    assert again["score"] == run["score"]

    # --no-cache asks the model again.
    code, fresh = _eval(capsys, suite, fake_openai, "--no-cache")
    assert code == 0 and fake_openai.chat_count == 2 * sent and fresh["meta"]["cache"] is False


def test_llm_failure_for_one_letter_is_an_error_row(fake_openai, llm_env, tmp_path: Path, capsys) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    _serve_rules_answers(fake_openai, suite, broken="seed-2013-push-therapy")
    code, run = _eval(capsys, suite, fake_openai, "--no-cache")
    assert code == 0
    rows = {lr["name"]: lr for lr in run["letters"]}
    assert rows["seed-2013-push-therapy"]["ok"] is False and "400" in rows["seed-2013-push-therapy"]["error"]["message"]
    assert rows["tiny-02-acupuncture-naproxen"]["ok"] is True
    seed = next(ls for ls in run["score"]["letters"] if ls["name"] == "seed-2013-push-therapy")["overall"]
    assert (seed["tp"], seed["fp"], seed["fn"]) == (0, 0, 21)


def test_llm_backend_without_a_model_is_bad_input(llm_env, tmp_path: Path, capsys) -> None:
    suite = make_tiny_suite(tmp_path / "tiny")
    assert main(["eval", str(suite), "--backend", "llm"]) == 2
    assert "needs a model" in capsys.readouterr().err
