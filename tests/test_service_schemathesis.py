"""schemathesis against the OpenAPI served by a real uvicorn server: no 5xx, responses match their schemas.

Bounded (``max_examples`` per operation and phase) so that CI stays fast. Generated letters are almost never
IMR letters, so most answers are 4xx errors: the point is that every answer is a documented status with a
body of the documented shape, and that no input, however strange, makes the server fail.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_service_server import LiveServer  # noqa: E402

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def live_api():
    with LiveServer(timeout_s=20) as srv:
        yield srv


@pytest.fixture(scope="module")
def api_schema(live_api):
    return schemathesis.openapi.from_url(live_api.url + "/openapi.json")


OPERATIONS = [("/v1/extract", "POST"), ("/v1/explain", "POST"), ("/v1/summarize", "POST"), ("/v1/check", "POST"),
              ("/v1/analyze", "POST"), ("/v1/schema", "GET"), ("/healthz", "GET")]


def test_every_operation_is_fuzzed(api_schema) -> None:
    served = {(path, method.upper()) for path, ops in api_schema.raw_schema["paths"].items() for method in ops}
    assert served == set(OPERATIONS)


# schemathesis' own pytest loader (schemathesis.pytest.from_fixture) does not run under pytest 9 yet
# ('Function' object has no attribute '_nodeid'), so each operation's strategy is driven with @given here.
CASES = [(path, method, mode) for path, method in OPERATIONS
         for mode in (("positive", "negative") if method == "POST" else ("positive",))]  # a GET has nothing to negate


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_openapi_conformance(api_schema, path: str, method: str, mode: str) -> None:
    from hypothesis import given

    from schemathesis import GenerationMode

    operation = api_schema[path][method]
    strategy = operation.as_strategy(GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE)

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case) -> None:
        calls.append(case.call_and_validate(checks=CHECKS, timeout=30).status_code)

    calls: list[int] = []
    run()
    assert calls and all(code < 500 for code in calls)


@pytest.mark.parametrize("path", [p for p, m in OPERATIONS if m == "POST"])
@pytest.mark.parametrize("media", ["application/json", "multipart/form-data"])
def test_successful_answers_match_their_schemas(api_schema, path: str, media: str) -> None:
    """Generated letters are never IMR letters; the sample letter gives the 200 answers to validate."""
    from tests.test_service_server import SAMPLE

    text = SAMPLE.read_text(encoding="utf-8")
    body = {"text": text, "name": "seed.txt"} if media == "application/json" else {"letter": SAMPLE.read_bytes()}
    case = api_schema[path]["POST"].Case(body=body, media_type=media)
    response = case.call_and_validate(checks=CHECKS, timeout=60)
    assert response.status_code == 200
