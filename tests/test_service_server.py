"""A real uvicorn server on 127.0.0.1 for the service tests (imported by the other test_service*/test_web*
files), and the tests of ``serve`` itself: it refuses a non-loopback host without a token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-2013-push-therapy.txt"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``create_app(**kwargs)`` served by uvicorn in a thread on a free loopback port."""

    def __init__(self, **app_kwargs: Any) -> None:
        import uvicorn

        from imrassist.service.app import create_app
        self.app = create_app(**app_kwargs)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None,
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not answer /healthz")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sample_json(**extra: Any) -> dict[str, Any]:
    return {"text": SAMPLE.read_text(encoding="utf-8"), "name": "seed.txt", **extra}


# ------------------------------------------------------------------------------------------------- serve


def _serve(host: str, *, env_token: str | None = None, args: str = "") -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "IMRASSIST_TOKEN"}
    if env_token:
        env["IMRASSIST_TOKEN"] = env_token
    code = f"import sys; from imrassist.service.run import serve; sys.exit(serve(host={host!r}, port={free_port()}{args}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_serve_refuses_non_loopback_without_token(host: str) -> None:
    proc = _serve(host)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("imrassist: refusing to listen on") and "IMRASSIST_TOKEN" in lines[0]


def test_cli_serve_refuses_non_loopback_without_token() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "IMRASSIST_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "imrassist.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0" in proc.stderr


def test_serve_with_token_binds_any_and_requires_it() -> None:
    """With IMRASSIST_TOKEN set, serve binds 0.0.0.0 (reached here through loopback) and asks for the token."""
    import os

    port = free_port()
    env = {**os.environ, "IMRASSIST_TOKEN": "s3cret-token", "IMRASSIST_LOG_LEVEL": "info"}
    code = f"import sys; from imrassist.service.run import serve; sys.exit(serve(host='0.0.0.0', port={port}))"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("server did not start: " + (proc.stderr.read() if proc.poll() is not None else ""))
                time.sleep(0.1)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/extract", data=json.dumps(sample_json()).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 401
        req.add_header("Authorization", "Bearer s3cret-token")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
            assert json.load(r)["items"]
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    assert "s3cret-token" not in stderr
    assert "POST /v1/extract 401" in stderr and "POST /v1/extract 200" in stderr  # the access log: paths only
    assert "injured worker" not in stderr


def test_serve_loopback_needs_no_token() -> None:
    from imrassist.service.run import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("10.0.0.1")
