"""The HTTP API through a real uvicorn server on 127.0.0.1: every endpoint, every kind of bad input."""

from __future__ import annotations

import io
import json
import logging
import socket

import pytest
import requests

from tests.test_service_server import ROOT, SAMPLE, LiveServer, sample_json

TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="module")
def server():
    with LiveServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def record(server) -> dict:
    r = requests.post(server.url + "/v1/extract", json=sample_json(), timeout=30)
    assert r.status_code == 200
    return r.json()


def post(server, path: str, **kw) -> requests.Response:
    return requests.post(server.url + path, timeout=30, **kw)


def assert_error(r: requests.Response, status: int, reason: str, *fragments: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"reason", "message"}
    assert body["error"]["reason"] == reason, body
    message = body["error"]["message"]
    assert "\n" not in message
    for f in fragments:
        assert f in message, message
    return body["error"]


def pdf_bytes(*, text: bool = False, encrypt: bool = False) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=612, height=792)
    if encrypt:
        w.encrypt("owner-and-user-secret")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ good


def test_healthz_and_schema(server) -> None:
    r = requests.get(server.url + "/healthz", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = requests.get(server.url + "/v1/schema", timeout=10)
    assert r.status_code == 200
    from imrassist.models import record_json_schema

    assert r.json() == record_json_schema()
    spec = requests.get(server.url + "/openapi.json", timeout=10).json()
    for path in ("/v1/extract", "/v1/explain", "/v1/summarize", "/v1/check", "/v1/analyze", "/v1/schema", "/healthz"):
        assert path in spec["paths"]
    content = spec["paths"]["/v1/check"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "application/pdf", "text/plain"} <= set(content)


def test_extract_json_matches_library(server, record) -> None:
    from imrassist.extract import extract
    from imrassist.letter import letter_from_text

    letter = letter_from_text(SAMPLE.read_text(encoding="utf-8"), "seed.txt")
    assert record == json.loads(extract(letter).model_dump_json())
    item = record["items"][0]
    assert item["decision"]["value"] == "overturned"
    assert record["dates"]["injury"]["value"] == "2012-10-19"


def test_extract_multipart_and_raw_upload(server, record) -> None:
    data = SAMPLE.read_bytes()
    r = post(server, "/v1/extract", files={"letter": ("seed.txt", data, "text/plain")})
    assert r.status_code == 200 and r.json()["letter"]["source"] == "seed.txt"
    assert r.json()["items"] == record["items"]
    r = post(server, "/v1/extract", data=data, headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["items"] == record["items"]
    assert r.json()["letter"]["source"] == "<upload>"
    r = post(server, "/v1/extract", data=data, headers={"Content-Type": "text/plain",
                                                        "Content-Disposition": 'inline; filename="raw.txt"'})
    assert r.status_code == 200 and r.json()["letter"]["source"] == "raw.txt"
    r = post(server, "/v1/extract", files={"text": (None, data.decode())})
    assert r.status_code == 200 and r.json()["items"] == record["items"]


def test_extract_pdf_upload(server) -> None:
    """A real PDF with a text layer (from the synthetic eval suite): same record as the library reads."""
    from imrassist.extract import extract
    from imrassist.letter import read_letter

    pdf = ROOT / "evals" / "synthetic" / "letters" / "syn-17-format1-pdf-lumbar-mri.pdf"
    if not pdf.exists():
        pytest.skip("the synthetic eval PDFs are not in this checkout")
    r = post(server, "/v1/extract", files={"letter": ("mri.pdf", pdf.read_bytes(), "application/pdf")})
    assert r.status_code == 200, r.text
    expected = json.loads(extract(read_letter(pdf)).model_dump_json())
    expected["letter"]["source"] = "mri.pdf"
    assert r.json() == expected
    r = post(server, "/v1/analyze", data=pdf.read_bytes(), headers={"Content-Type": "application/pdf"})
    assert r.status_code == 200 and "\f" in r.json()["letter"]["text"]  # the PDF's text, pages and all


@pytest.mark.parametrize("lang", ["en", "es"])
def test_explain(server, record, lang) -> None:
    r = post(server, f"/v1/explain?lang={lang}", json=sample_json())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == lang and body["backend"] == "template" and body["text"].strip()
    assert ("30" in body["text"])  # the appeal window
    r2 = post(server, f"/v1/explain?lang={lang}", json=sample_json(record=record))
    assert r2.status_code == 200 and r2.json()["text"] == body["text"]


def test_summarize(server, record) -> None:
    r = post(server, "/v1/summarize", json=sample_json())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["letter"] == "seed.txt" and body["summary"].strip()
    from imrassist.explain import summarize
    from imrassist.models import CaseRecord

    assert body["summary"] == summarize(CaseRecord.model_validate(record))


def test_check_letter_itself(server) -> None:
    r = post(server, "/v1/check", json=sample_json())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"letter", "findings", "summary"} and body["letter"] == "seed.txt"
    assert set(body["summary"]) == {"error", "warning", "info"}


def _explanation(server, lang: str = "en") -> str:
    return post(server, f"/v1/explain?lang={lang}", json=sample_json()).json()["text"]


def test_check_explanation_wrong_date_is_a_date_finding(server) -> None:
    text = _explanation(server)
    assert post(server, "/v1/check", json=sample_json(explanation=text)).json()["summary"]["error"] == 0
    wrong = text.replace("October 19, 2012", "October 29, 2012")
    assert wrong != text
    r = post(server, "/v1/check", json=sample_json(explanation=wrong))
    assert r.status_code == 200
    kinds = {f["kind"] for f in r.json()["findings"]}
    assert "date" in kinds, r.json()


def test_check_reviewer_summary_mode(server) -> None:
    """A reviewer summary is checked for its facts, not for a worker explanation's parts."""
    summary = post(server, "/v1/summarize", json=sample_json()).json()["summary"]
    as_worker = post(server, "/v1/check", json=sample_json(explanation=summary)).json()
    assert any(f["kind"] == "missing" for f in as_worker["findings"])
    as_summary = post(server, "/v1/check?kind=summary", json=sample_json(explanation=summary)).json()
    assert as_summary["summary"]["error"] == 0, as_summary
    assert not any(f["kind"] in ("missing", "readability") for f in as_summary["findings"])
    wrong = summary.replace("12/27/2013", "12/17/2013")
    assert wrong != summary
    flagged = post(server, "/v1/check?kind=summary", json=sample_json(explanation=wrong)).json()
    assert any(f["kind"] == "date" and f["severity"] == "error" for f in flagged["findings"]), flagged


def test_check_record_and_explanation_same_as_cli(server, record, tmp_path) -> None:
    """The service's findings JSON is the CLI's ``check --json`` output, byte for byte once parsed."""
    import subprocess
    import sys

    text = _explanation(server).replace("October 19, 2012", "October 29, 2012")
    r = post(server, "/v1/check", json=sample_json(record=record, explanation=text))
    assert r.status_code == 200
    (tmp_path / "rec.json").write_text(json.dumps(record))
    (tmp_path / "expl.md").write_text(text)
    letter = tmp_path / "seed.txt"
    letter.write_bytes(SAMPLE.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "imrassist.cli", "check", str(letter), "--record", str(tmp_path / "rec.json"),
                           "--explanation", str(tmp_path / "expl.md"), "--json"], capture_output=True, text=True, timeout=120)
    cli = json.loads(proc.stdout)
    service = r.json()
    cli["letter"] = service["letter"]
    assert service == cli
    assert proc.returncode == (1 if service["summary"]["error"] else 0)
    # multipart: the record and the explanation as files
    r2 = post(server, "/v1/check", files={"letter": ("seed.txt", SAMPLE.read_bytes()),
                                          "record": ("rec.json", json.dumps(record).encode()),
                                          "explanation": ("expl.md", text.encode())})
    assert r2.status_code == 200 and r2.json() == service


def test_check_record_as_json_text(server, record) -> None:
    r = post(server, "/v1/check", json=sample_json(record=json.dumps(record)))
    assert r.status_code == 200
    assert r.json() == post(server, "/v1/check", json=sample_json(record=record)).json()


def test_analyze(server, record) -> None:
    r = post(server, "/v1/analyze?lang=es", json=sample_json())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["record"] == record
    assert body["letter"]["text"] == SAMPLE.read_text(encoding="utf-8")
    assert body["explanation_lang"] == "es" and body["explanation"].strip() and body["summary"].strip()
    assert set(body["findings"]) == {"letter", "findings", "summary"}


# ------------------------------------------------------------------------------------------------- bad


@pytest.mark.parametrize("path", ["/v1/extract", "/v1/explain", "/v1/summarize", "/v1/check", "/v1/analyze"])
def test_empty_letter(server, path) -> None:
    assert_error(post(server, path, json={"text": "", "name": "empty.txt"}), 422, "empty", "empty.txt: empty file")
    assert_error(post(server, path, json={"text": "  \n "}), 422, "empty", "<text>: empty file (no text)")
    assert_error(post(server, path, files={"letter": ("e.txt", b"")}), 422, "empty", "e.txt: empty file")


def test_binary_letter(server) -> None:
    blob = bytes(range(256)) * 8
    assert_error(post(server, "/v1/extract", files={"letter": ("x.bin", blob)}), 422, "binary", "x.bin: binary file")
    assert_error(post(server, "/v1/check", json={"text": "abc\u0000def" * 10}), 422, "binary")
    assert_error(post(server, "/v1/analyze", data=blob, headers={"Content-Type": "application/octet-stream"}), 422, "binary")


def test_not_an_imr_letter(server) -> None:
    text = "Dear Sir,\n\nThank you for your order of three blue widgets.\n\nRegards,\nACME\n"
    for path in ("/v1/extract", "/v1/check", "/v1/analyze", "/v1/explain", "/v1/summarize"):
        assert_error(post(server, path, json={"text": text, "name": "order.txt"}), 422, "not_imr",
                     "order.txt: not an IMR determination letter")


def test_pdf_without_text(server) -> None:
    e = assert_error(post(server, "/v1/extract", files={"letter": ("blank.pdf", pdf_bytes(), "application/pdf")}),
                     422, "needs_ocr", "blank.pdf: PDF has no text layer")
    assert "OCR" in e["message"]
    assert_error(post(server, "/v1/analyze", data=pdf_bytes(), headers={"Content-Type": "application/pdf"}), 422, "needs_ocr")


def test_corrupt_and_encrypted_pdf(server) -> None:
    corrupt = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n\x00\x01garbage trailer <<>>\n%%EOF"
    assert_error(post(server, "/v1/extract", files={"letter": ("bad.pdf", corrupt, "application/pdf")}),
                 422, "corrupt_pdf", "bad.pdf: corrupt or unreadable PDF")
    truncated = pdf_bytes()[:200]
    assert_error(post(server, "/v1/check", files={"letter": ("cut.pdf", truncated)}), 422, "corrupt_pdf")
    assert_error(post(server, "/v1/extract", files={"letter": ("locked.pdf", pdf_bytes(encrypt=True))}),
                 422, "encrypted", "locked.pdf: encrypted PDF")


def test_malformed_and_invalid_record(server, record) -> None:
    e = assert_error(post(server, "/v1/check", json=sample_json(record="{not json")), 422, "bad_record",
                     "<record>: malformed JSON (line 1, column 2")
    bad = json.loads(json.dumps(record))
    bad["items"][0]["decision"]["value"] = "maybe"
    e = assert_error(post(server, "/v1/check", json=sample_json(record=bad)), 422, "bad_record",
                     "not a valid CaseRecord: field items.0.decision.value")
    assert "maybe" not in e["message"]
    del bad["items"][0]["treatment"]
    assert_error(post(server, "/v1/explain", json=sample_json(record={"worker": {"age": "old"}})), 422, "bad_record",
                 "field worker.age")
    assert_error(post(server, "/v1/summarize", json=sample_json(record="[1, 2]")), 422, "bad_record",
                 "expected a JSON object, got list")
    assert_error(post(server, "/v1/check", files={"letter": ("seed.txt", SAMPLE.read_bytes()),
                                                  "record": ("rec.json", b"{\"items\": [}")}),
                 422, "bad_record", "rec.json: malformed JSON")
    assert_error(post(server, "/v1/check", files={"letter": ("seed.txt", SAMPLE.read_bytes()), "record": ("r.json", b"")}),
                 422, "empty", "r.json: record file is empty")


def test_empty_explanation(server) -> None:
    assert_error(post(server, "/v1/check", json=sample_json(explanation="   \n")), 422, "empty",
                 "<explanation>: explanation file is empty")
    assert_error(post(server, "/v1/check", files={"letter": ("seed.txt", SAMPLE.read_bytes()),
                                                  "explanation": ("e.md", b"")}), 422, "empty", "e.md: explanation file is empty")


def test_malformed_requests_are_400(server) -> None:
    assert_error(post(server, "/v1/extract", data=b"{nope", headers={"Content-Type": "application/json"}), 400,
                 "bad_request", "malformed JSON body")
    assert_error(post(server, "/v1/extract", json=["x"]), 400, "bad_request", "must be an object")
    assert_error(post(server, "/v1/extract", json={"name": "x"}), 400, "bad_request", "field text")
    assert_error(post(server, "/v1/extract", json={"text": "x", "colour": "red"}), 400, "bad_request", "colour")
    assert_error(post(server, "/v1/extract", json=sample_json(explanation="x")), 400, "bad_request", "explanation")
    assert_error(post(server, "/v1/explain?lang=fr", json=sample_json()), 400, "bad_request", "lang")
    assert_error(post(server, "/v1/extract", files={"other": ("o.txt", b"x")}), 400, "bad_request", "unknown form field")
    assert_error(post(server, "/v1/extract", files={"name": (None, "n")}), 400, "bad_request", "no letter")
    assert_error(post(server, "/v1/extract", data=b"x", headers={"Content-Type": "image/png"}), 415,
                 "unsupported_media_type")
    assert_error(requests.get(server.url + "/v1/nothing", timeout=10), 404, "not_found")
    assert_error(requests.get(server.url + "/v1/extract", timeout=10), 405, "method_not_allowed")


def test_oversized_body_is_413_before_reading() -> None:
    with LiveServer(max_body=20_000) as srv:
        big = {"text": "x" * 30_000}
        assert_error(requests.post(srv.url + "/v1/extract", json=big, timeout=30), 413, "too_large", "limit is 20000 bytes")
        assert_error(requests.post(srv.url + "/v1/check", files={"letter": ("big.txt", b"y" * 30_000)}, timeout=30),
                     413, "too_large")

        # Chunked (no Content-Length): counted while streaming.
        def gen():
            for _ in range(10):
                yield b"z" * 5000

        assert_error(requests.post(srv.url + "/v1/extract", data=gen(), headers={"Content-Type": "text/plain"}, timeout=30),
                     413, "too_large")
        # A Content-Length over the limit is refused before the body is sent.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 999999999\r\n\r\n")
            head = s.recv(4096).decode()
        assert head.startswith("HTTP/1.1 413")
        assert requests.post(srv.url + "/v1/extract", json=sample_json(), timeout=30).status_code == 200


def test_library_size_limit_is_413_too(server, monkeypatch) -> None:
    import imrassist.letter as L

    monkeypatch.setattr(L, "MAX_INPUT_BYTES", 1000)
    assert_error(post(server, "/v1/extract", json=sample_json(name="big.txt")), 413, "too_large", "big.txt: file too large")


def test_timeout_is_504_at_the_deadline() -> None:
    import time

    with LiveServer(timeout_s=0.5) as srv:
        engine = srv.app.state.engine
        real = engine.analyze

        def slow(inp, lang="en"):
            time.sleep(3)
            return real(inp, lang=lang)

        engine.analyze = slow
        t0 = time.monotonic()
        r = requests.post(srv.url + "/v1/analyze", json=sample_json(name="slow.txt"), timeout=30)
        assert_error(r, 504, "timeout", "longer than 0.5 s")
        assert time.monotonic() - t0 < 2.5  # answered at the deadline, not when the work ended
        # the server keeps serving meanwhile
        assert requests.post(srv.url + "/v1/extract", json=sample_json(), timeout=30).status_code == 200


def test_token_required_when_set() -> None:
    with LiveServer(token=TOKEN) as srv:
        url = srv.url + "/v1/extract"
        assert_error(requests.post(url, json=sample_json(), timeout=30), 401, "unauthorized")
        r = requests.post(url, json=sample_json(), headers={"Authorization": "Bearer wrong"}, timeout=30)
        assert_error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert_error(requests.post(url, json=sample_json(), headers={"Authorization": f"Basic {TOKEN}"}, timeout=30),
                     401, "unauthorized")
        assert_error(requests.get(srv.url + "/v1/schema", timeout=30), 401, "unauthorized")
        r = requests.post(url, json=sample_json(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert r.status_code == 200
        # the page and the health check stay open; the OpenAPI documents the scheme
        assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
        assert requests.get(srv.url + "/", timeout=10).status_code == 200
        spec = requests.get(srv.url + "/openapi.json", timeout=10).json()
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_cors_off_by_default(server) -> None:
    h = {"Origin": "https://portal.example"}
    r = requests.post(server.url + "/v1/check", json=sample_json(), headers=h, timeout=30)
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = requests.options(server.url + "/v1/check", headers={**h, "Access-Control-Request-Method": "POST"}, timeout=10)
    assert "access-control-allow-origin" not in pre.headers


def test_cors_when_configured() -> None:
    with LiveServer(allow_origins=["https://portal.example"], token=TOKEN) as srv:
        h = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}
        pre = requests.options(srv.url + "/v1/check", headers=h, timeout=10)
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://portal.example"
        r = requests.post(srv.url + "/v1/check", json=sample_json(), timeout=30, headers={
            "Origin": "https://portal.example", "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://portal.example"
        other = requests.options(srv.url + "/v1/check", headers={**h, "Origin": "https://evil.example"}, timeout=10)
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_no_letter_text_in_logs(caplog) -> None:
    marker = "Zanzibarquux"
    text = SAMPLE.read_text(encoding="utf-8").replace("The injured worker", f"The injured worker {marker}")
    with caplog.at_level(logging.DEBUG):
        with LiveServer() as srv:
            for path in ("/v1/extract", "/v1/check?lang=en", "/v1/analyze", "/v1/explain"):
                requests.post(srv.url + path, json={"text": text, "name": "n.txt"}, timeout=30)
            requests.post(srv.url + "/v1/check", json={"text": marker * 3, "name": "n.txt"}, timeout=30)
            requests.post(srv.url + "/v1/check", json={"text": text, "record": {"x": marker}}, timeout=30)
    server_records = [r for r in caplog.records if r.name.startswith(("imrassist", "uvicorn"))]
    logged = "\n".join(r.getMessage() for r in server_records)
    assert "POST /v1/check 200" in logged and "POST /v1/extract 200" in logged
    assert "lang=en" not in logged  # paths only, no query strings
    assert marker not in logged


def test_security_headers_and_page(server) -> None:
    r = requests.get(server.url + "/", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "https://" not in r.text and "http://" not in r.text  # no CDN


def test_identical_requests_are_answered_from_the_response_cache(server, record) -> None:
    cache = server.app.state.response_cache
    body = sample_json(name="cache.txt", record=record, explanation="You were hurt at work on October 19, 2012.")
    first = post(server, "/v1/check?lang=en", json=body)
    hits = cache.hits
    second = post(server, "/v1/check?lang=en", json=body)
    assert second.status_code == 200 and second.content == first.content
    assert cache.hits == hits + 1
    # a different query or body is a different answer; errors are never cached
    assert post(server, "/v1/check?lang=es", json=body).status_code == 200
    assert cache.hits == hits + 1
    bad = sample_json(name="cache.txt", explanation=" ")
    assert post(server, "/v1/check", json=bad).status_code == 422
    assert post(server, "/v1/check", json=bad).status_code == 422
    assert cache.hits == hits + 1


def test_no_response_cache_with_a_model_configured() -> None:
    from imrassist.llm.settings import LLMSettings
    from imrassist.service.app import create_app

    app = create_app(settings=LLMSettings(model="some-model", base_url="http://127.0.0.1:9/v1"))
    assert app.state.response_cache is None
    assert app.state.engine.extract_backend == "auto" and app.state.engine.explain_backend == "llm"
    plain = create_app(settings=LLMSettings())  # not configured: the deterministic backends
    assert plain.state.engine.settings is None and plain.state.engine.extract_backend == "rules"
