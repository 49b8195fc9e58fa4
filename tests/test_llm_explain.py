"""The LLM explanation: written from the record, checked against the letter, re-asked once with the
findings, else the template. Real openai + instructor clients against tests/fakeopenai.py on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakeopenai import fake_settings

from imrassist.explain import ExplanationResult, explain
from imrassist.explain.llm import record_facts
from imrassist.llm import LLMNotConfigured, LLMSettings
from imrassist.llm.prompts import load_prompt

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-2013-push-therapy.txt"
GOOD = (ROOT / "prompts" / "explain" / "v1" / "example.md").read_text()  # the template's text: checks clean
# Two planted errors the checks must catch: a count the letter does not support and a wrong injury date.
BAD = GOOD.replace("6 sessions of PUSH therapy", "8 sessions of PUSH therapy").replace("October 19, 2012", "October 19, 2011")


make = fake_settings  # settings for the fake server (tests/fakeopenai.py)


pytestmark = pytest.mark.usefixtures("fresh_llm_clients")


def test_the_model_writes_from_the_record_and_a_clean_text_is_kept(fake_openai, sample):
    letter, record = sample
    assert BAD != GOOD
    fake_openai.reply({"text": GOOD}, mode="tools", contains=['"treatment":"6 SESSION OF PUSH THERAPY"',
                                                              '"decision_in_plain_words":"approved"', "RECORD"],
                      not_contains="peer to peer conversation")  # in the letter, not in the record
    result = explain(record, lang="en", backend="llm", letter=letter, settings=make(fake_openai))

    assert isinstance(result, ExplanationResult)
    assert (result.backend, result.text, result.lang) == ("llm", GOOD.strip(), "en")
    assert result.warnings == [] and result.grade is not None  # explain() measured the reading grade
    assert (result.model, result.prompt_version) == ("fake-model", "explain/v1")
    assert result.prompt_hash == load_prompt("explain").sha256
    assert result.usage.requests == 1 and result.usage.prompt_tokens > 0
    assert fake_openai.chat_count == 1


def test_error_findings_are_sent_back_once_and_a_fixed_text_is_kept(fake_openai, sample):
    letter, record = sample
    fake_openai.reply({"text": BAD}, mode="tools")
    fake_openai.reply({"text": GOOD}, mode="tools",
                      contains=["found these errors", "[count]", "[date]", "8 sessions of PUSH therapy"])
    result = explain(record, lang="en", backend="llm", letter=letter, settings=make(fake_openai))
    assert result.backend == "llm" and result.text == GOOD.strip()
    assert len(result.warnings) == 1 and "asked the model once more" in result.warnings[0]
    assert result.usage.requests == 2 and fake_openai.chat_count == 2


def test_errors_that_remain_fall_back_to_the_template(fake_openai, sample):
    letter, record = sample
    fake_openai.reply({"text": BAD}, mode="tools", times=2)
    result = explain(record, lang="en", backend="llm", letter=letter, settings=make(fake_openai))
    assert result.backend == "template"
    assert fake_openai.chat_count == 2  # one re-ask, never more
    assert any("used the template explanation instead" in w for w in result.warnings)
    template = explain(record, lang="en", backend="template")
    assert result.text == template.text
    assert result.usage.requests == 2  # the tokens spent are still reported

    from imrassist.checks import check

    assert not check(letter, explanation=result.text).has_errors


def test_a_failing_model_falls_back_to_the_template(fake_openai, sample):
    letter, record = sample
    fake_openai.status(500, times=2)
    result = explain(record, lang="es", backend="llm", letter=letter,
                     settings=make(fake_openai, transport_max_attempts=2))
    assert result.backend == "template" and result.lang == "es"
    assert any("llm explanation failed (transport)" in w for w in result.warnings)


def test_spanish_is_asked_for(fake_openai, sample):
    letter, record = sample
    es = explain(record, lang="es", backend="template").text
    fake_openai.reply({"text": es}, mode="json_object", contains="Write the explanation in Spanish")
    result = explain(record, lang="es", backend="llm", letter=letter, settings=make(fake_openai, mode="json"))
    assert result.backend == "llm" and result.lang == "es"


def test_without_a_letter_the_text_is_returned_unchecked(fake_openai, sample):
    _, record = sample
    fake_openai.reply({"text": BAD}, mode="tools")
    result = explain(record, lang="en", backend="llm", letter=None, settings=make(fake_openai))
    assert result.backend == "llm" and any("not checked" in w for w in result.warnings)


def test_no_model_is_a_usage_error_and_nothing_is_sent(fake_openai, sample):
    letter, record = sample
    with pytest.raises(LLMNotConfigured):
        explain(record, lang="en", backend="llm", letter=letter, settings=LLMSettings(base_url=fake_openai.base_url))
    assert fake_openai.count == 0


def test_cached_explanation_makes_zero_requests(fake_openai, sample, tmp_path):
    letter, record = sample
    settings = make(fake_openai, cache=True, cache_dir=tmp_path)
    fake_openai.reply({"text": GOOD}, mode="tools")
    first = explain(record, lang="en", backend="llm", letter=letter, settings=settings)
    again = explain(record, lang="en", backend="llm", letter=letter, settings=settings)
    assert first.text == again.text and again.usage.cache_hits == 1 and fake_openai.chat_count == 1


def test_record_facts_are_values_only(sample):
    _, record = sample
    facts = record_facts(record)
    text = json.dumps(facts)
    assert '"start"' not in text and '"quote"' not in text and "evidence" not in text
    item = facts["items"][0]
    assert item["decision"] == "overturned" and item["quantity"] == 6
    assert item["guidelines_relied_on"] == ["MTUS Chronic Pain Medical Treatment Guidelines, MASSAGE THERAPY, page 60"]


def test_cli_explain_backend_llm(fake_openai, capsys, monkeypatch, tmp_path):
    from imrassist.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("IMRASSIST_CONFIG", "IMRASSIST_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "IMRASSIST_CACHE"):
        monkeypatch.delenv(name, raising=False)
    fake_openai.reply({"text": GOOD}, mode="tools")
    rc = main(["explain", str(SAMPLE), "--backend", "llm", "--model", "fake-model", "--base-url", fake_openai.base_url,
               "--mode", "tools", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["backend"] == "llm" and out["prompt_version"] == "explain/v1"
