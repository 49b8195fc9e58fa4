"""Shared pytest fixtures. Keep each block self-contained and clearly marked; add yours below."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # lets tests run pytest on a generated test file (tests of fixtures)

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # imrassist and tests.* importable even when the package is not installed
    sys.path.insert(0, _ROOT)


# ==================================================================== fake OpenAI server (tests/fakeopenai.py)
from tests.fakeopenai import FakeOpenAI  # noqa: E402


@pytest.fixture
def fake_openai():
    """A scripted OpenAI-compatible server on 127.0.0.1 (see tests/fakeopenai.py). Point clients at
    ``fake_openai.base_url``. Options are attributes (``latency``, ``reject_json_schema``, ``default``).
    At teardown the test fails if any request was unexpected (script exhausted or an expectation failed)."""
    server = FakeOpenAI(check_on_exit=False).start()
    try:
        yield server
        server.verify()
    finally:
        server.stop()


@pytest.fixture
def fresh_llm_clients():
    """Drop the cached openai/instructor clients after a test (each test may use a new fake server)."""
    yield
    from imrassist.llm.client import reset_clients

    reset_clients()
# ==================================================================== end fake OpenAI server


# ==================================================================== the committed sample letter
@pytest.fixture(scope="module")
def sample():
    """The seed letter and its rules record: the letter the LLM tests script their fake server against."""
    from imrassist.extract.rules import extract_rules
    from imrassist.letter import read_letter
    from tests.shared_data import SAMPLE

    letter = read_letter(SAMPLE)
    return letter, extract_rules(letter)
# ==================================================================== end sample letter
