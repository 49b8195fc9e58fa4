"""``imrassist serve``: start the app on uvicorn, loopback unless a bearer token is set.

Limits come from the environment (documented in docs/service.md): ``IMRASSIST_MAX_BODY`` (bytes, default
5000000), ``IMRASSIST_TIMEOUT_S`` (seconds per request, default 30), ``IMRASSIST_WORKERS`` (processes,
default 1), ``IMRASSIST_LOG_LEVEL`` (default info). The access log holds method, path (no query string),
status and duration; never a body or a header value.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from typing import Any

from .app import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_S

EXIT_BAD_INPUT = 2
_CONFIG_ENV = "IMRASSIST_SERVICE_CONFIG"  # hands the configuration to worker processes (workers > 1)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _env_number(name: str, default: float, kind: type = float) -> Any:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SystemExit(f"imrassist: {name}={raw!r} is not a number") from None
    if value <= 0:
        raise SystemExit(f"imrassist: {name} must be positive")
    return value


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging with its access log replaced by ours (paths only, never bodies or queries)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "imrassist.service": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def _config(token: str | None, allow_origin: Any, settings: Any) -> dict[str, Any]:
    origins = [allow_origin] if isinstance(allow_origin, str) else list(allow_origin or [])
    return {
        "token": token,
        "allow_origins": origins,
        "settings": _settings_dump(settings),
        "max_body": _env_number("IMRASSIST_MAX_BODY", DEFAULT_MAX_BODY, int),
        "timeout_s": _env_number("IMRASSIST_TIMEOUT_S", DEFAULT_TIMEOUT_S, float),
    }


def _settings_dump(settings: Any) -> dict[str, Any] | None:
    if settings is None or not hasattr(settings, "model_dump"):
        return None
    data = settings.model_dump(mode="json")
    key = getattr(settings, "api_key", None)
    if key is not None and hasattr(key, "get_secret_value"):  # SecretStr dumps as stars
        data["api_key"] = key.get_secret_value()
    return data


def app_from_env() -> Any:
    """App factory for worker processes: the configuration ``serve`` put in the environment."""
    from .app import create_app

    cfg = json.loads(os.environ[_CONFIG_ENV])
    settings = None
    if cfg.get("settings") is not None:
        from ..llm.settings import LLMSettings

        settings = LLMSettings.model_validate(cfg["settings"])
    return create_app(token=cfg["token"], allow_origins=cfg["allow_origins"], settings=settings,
                      max_body=cfg["max_body"], timeout_s=cfg["timeout_s"])


def serve(host: str = "127.0.0.1", port: int = 8000, token: str | None = None, allow_origin: Any = None,
          settings: Any = None) -> int:
    """Run the service until interrupted. Returns 2 (with a one-line error) if the host is not loopback and
    no bearer token is set (``--token`` or ``IMRASSIST_TOKEN``)."""
    token = token or os.environ.get("IMRASSIST_TOKEN") or None
    if not is_loopback(host) and not token:
        print(f"imrassist: refusing to listen on {host} without a bearer token: set IMRASSIST_TOKEN or pass --token "
              "(or listen on 127.0.0.1)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not (0 <= int(port) <= 65535):
        print(f"imrassist: invalid port {port}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        cfg = _config(token, allow_origin, settings)
        workers = _env_number("IMRASSIST_WORKERS", 1, int)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    import uvicorn

    level = os.environ.get("IMRASSIST_LOG_LEVEL", "info").lower()
    common = dict(host=host, port=int(port), log_config=log_config(level), access_log=False, server_header=False,
                  limit_concurrency=512, timeout_keep_alive=5)
    print(f"imrassist: serving on http://{host}:{port}/ (bearer token {'required' if token else 'not set'}; "
          f"body limit {cfg['max_body']} bytes; timeout {cfg['timeout_s']:g} s; workers {workers})", file=sys.stderr)
    if workers > 1:
        os.environ[_CONFIG_ENV] = json.dumps(cfg)
        uvicorn.run("imrassist.service.run:app_from_env", factory=True, workers=workers, **common)
    else:
        from .app import create_app

        app = create_app(token=token, allow_origins=cfg["allow_origins"], settings=settings,
                         max_body=cfg["max_body"], timeout_s=cfg["timeout_s"])
        uvicorn.run(app, **common)
    return 0
