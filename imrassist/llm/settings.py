"""Where the model lives and how we talk to it.

Resolution order, highest first (a value given at a higher level wins, empty strings count as unset):

1. explicit arguments (CLI flags): ``LLMSettings.resolve(model=..., base_url=...)``
2. ``IMRASSIST_*`` environment variables: ``IMRASSIST_MODEL``, ``IMRASSIST_BASE_URL``, ``IMRASSIST_API_KEY``,
   ``IMRASSIST_MODE`` (and ``IMRASSIST_<FIELD>`` for every scalar field below, e.g. ``IMRASSIST_TIMEOUT``)
3. ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``OPENAI_MODEL``, ``OPENAI_API_VERSION``
4. a TOML config file: ``$IMRASSIST_CONFIG`` or ``~/.config/imrassist/config.toml`` (``$XDG_CONFIG_HOME``
   honoured), table ``[llm]``::

       [llm]
       model = "gpt-4o-mini"
       base_url = "https://api.openai.com/v1"
       mode = "tools"                     # tools | json_schema | json | md_json | auto
       timeout = 60
       [llm.prices."gpt-4o-mini"]
       prompt_per_1k = 0.00015
       completion_per_1k = 0.0006

A model name is required before anything is sent anywhere (:meth:`LLMSettings.configured`); an API key alone
configures nothing. ``OPENAI_API_KEY`` is only paired with OpenAI itself or with ``OPENAI_BASE_URL``: it is
never sent to a base URL that came from somewhere else (a local or third-party server).

This module must stay cheap to import: no openai, no instructor (the offline CLI path imports it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

Mode = Literal["tools", "json_schema", "json", "md_json"]
Provider = Literal["openai", "azure", "vllm", "ollama", "llamacpp", "lmstudio", "openai_compatible"]
MODES: tuple[str, ...] = ("tools", "json_schema", "json", "md_json")

#: Default mode per provider; see :func:`default_mode` for the reasons.
DEFAULT_MODES: dict[str, str] = {
    "openai": "tools",
    "azure": "tools",
    "vllm": "json_schema",
    "ollama": "json",
    "llamacpp": "json",
    "lmstudio": "json_schema",
    "openai_compatible": "json",
}

DEFAULT_AZURE_API_VERSION = "2024-10-21"
OPENAI_BASE_URL = "https://api.openai.com/v1"


class Price(BaseModel):
    """USD per 1000 tokens."""

    model_config = ConfigDict(extra="forbid")

    prompt_per_1k: float = Field(ge=0)
    completion_per_1k: float = Field(ge=0)


class LLMSettings(BaseModel):
    """Everything :mod:`imrassist.llm` needs to call a model. Build with :meth:`resolve` (layers flags, env and
    the config file) or directly (tests)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str | None = Field(default=None, description="Model (or Azure deployment) name; required.")
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL, e.g. http://localhost:8000/v1.")
    api_key: SecretStr | None = Field(default=None, description="API key; never printed.")
    api_version: str | None = Field(default=None, description="Azure OpenAI api-version.")
    mode: Mode | None = Field(default=None, description="tools | json_schema | json | md_json; None = by provider.")
    temperature: float | None = Field(default=None, description="Sent only when set (reasoning models reject it).")
    max_output_tokens: int | None = Field(default=None, gt=0, description="Sent as max_tokens when set.")

    timeout: float = Field(default=60.0, gt=0, description="Seconds per HTTP request; no call can hang longer.")
    max_retries: int = Field(default=2, ge=0, description="Validation re-asks (instructor) after the first answer.")
    transport_max_attempts: int = Field(default=4, ge=1, description="HTTP attempts per request (429/5xx/timeouts).")
    transport_max_seconds: float = Field(default=120.0, gt=0, description="Wall-clock bound on one request's retries.")
    backoff_initial: float = Field(default=1.0, ge=0, description="First backoff step, seconds (doubles, jittered).")
    backoff_max: float = Field(default=30.0, ge=0, description="Largest backoff step, seconds.")

    token_budget: int | None = Field(default=60000, gt=0, description="Total tokens per letter; None = unlimited.")
    max_input_tokens: int | None = Field(
        default=8000, gt=0,
        description="Largest prompt (estimated at ~4 characters a token) sent in one request; a longer letter is "
                    "extracted in chunks (header + groups of item blocks). None = never chunk.")
    concurrency: int = Field(default=8, ge=1, description="In-flight HTTP requests per endpoint and process.")
    prices: dict[str, Price] = Field(default_factory=dict, description="model -> USD per 1k prompt/completion tokens.")

    cache: bool = Field(default=False, description="Read and write the answer cache.")
    cache_dir: Path = Field(default=Path(".imrassist-cache/llm"))
    replay_only: bool = Field(default=False, description="Answer from the cache only; a miss raises ReplayMiss.")
    redact: bool = Field(default=False, description="Replace case/claim numbers and similar ids before sending.")
    merge_system: bool | None = Field(
        default=None,
        description="Send system instructions inside the first user message, for models without a system role "
                    "(Gemma: llama-cpp-python's gemma chat format silently DROPS system messages). None = auto: "
                    "on for model names containing 'gemma'.")

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        if isinstance(value, str):
            v = value.strip().lower().replace("-", "_")
            aliases = {"auto": None, "": None, "tool": "tools", "tool_call": "tools", "json_object": "json",
                       "json_mode": "json", "markdown_json": "md_json", "md": "md_json", "json_schema_mode": "json_schema"}
            return aliases.get(v, v)
        return value

    @field_validator("base_url", "model", "api_version", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    # ------------------------------------------------------------------------------------------ derived

    def configured(self) -> bool:
        """True when a model name is set; nothing is ever sent anywhere otherwise."""
        return bool(self.model)

    @property
    def provider(self) -> str:
        return detect_provider(self.base_url, self.model)

    @property
    def effective_mode(self) -> str:
        return self.mode or default_mode(self.provider)

    @property
    def schema_in_response_format(self) -> bool:
        """llama.cpp servers constrain output with a grammar when ``response_format`` is
        ``{"type": "json_object", "schema": ...}``; instructor's JSON mode only puts the schema in the system
        prompt, so for llama.cpp we add it to ``response_format`` as well."""
        return self.provider == "llamacpp" and self.effective_mode == "json"

    @property
    def system_in_user(self) -> bool:
        """Whether system messages are folded into the first user message (see ``merge_system``)."""
        if self.merge_system is not None:
            return self.merge_system
        return "gemma" in (self.model or "").lower()

    @property
    def sources(self) -> dict[str, str]:
        """Where each resolved value came from (``arg``, ``env:NAME``, ``config:PATH``)."""
        return dict(self._sources)

    def api_key_value(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def price_for(self, model: str | None = None) -> Price | None:
        return self.prices.get(model or self.model or "")

    def describe(self) -> dict[str, Any]:
        """A printable summary: no secret, just whether a key is set."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key"] = "set" if self.api_key is not None else None
        data["provider"] = self.provider
        data["effective_mode"] = self.effective_mode
        data["configured"] = self.configured()
        return data

    # ------------------------------------------------------------------------------------------ resolve

    @classmethod
    def resolve(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        config_path: str | os.PathLike[str] | None = None,
        use_config_file: bool = True,
        **explicit: Any,
    ) -> "LLMSettings":
        """Layer explicit args (``None`` = not given) over ``IMRASSIST_*`` over ``OPENAI_*`` over the TOML file."""
        env = os.environ if env is None else env
        unknown = set(explicit) - set(cls.model_fields)
        if unknown:
            raise TypeError(f"unknown LLM setting(s): {', '.join(sorted(unknown))}")

        merged: dict[str, Any] = {}
        sources: dict[str, str] = {}

        def layer(values: Mapping[str, Any], source: str | Mapping[str, str]) -> None:
            for key, value in values.items():
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                merged[key] = value
                sources[key] = source if isinstance(source, str) else source[key]

        if use_config_file:
            path = _config_path(config_path, env)
            if path is not None:
                layer(_read_config(path), f"config:{path}")

        openai_names = {"base_url": "OPENAI_BASE_URL", "api_key": "OPENAI_API_KEY", "model": "OPENAI_MODEL",
                        "api_version": "OPENAI_API_VERSION"}
        layer({k: env.get(n) for k, n in openai_names.items()}, {k: f"env:{n}" for k, n in openai_names.items()})

        imr_names = {name: f"IMRASSIST_{name.upper()}" for name in _ENV_FIELDS}
        layer({k: env.get(n) for k, n in imr_names.items()}, {k: f"env:{n}" for k, n in imr_names.items()})

        layer({k: v for k, v in explicit.items()}, "arg")

        # OPENAI_API_KEY is for OpenAI (or for OPENAI_BASE_URL); never hand it to another server.
        if sources.get("api_key") == "env:OPENAI_API_KEY":
            base_src = sources.get("base_url")
            base = merged.get("base_url")
            if base and base_src != "env:OPENAI_BASE_URL" and detect_provider(str(base)) != "openai":
                merged.pop("api_key", None)
                sources.pop("api_key", None)

        settings = cls.model_validate(merged)
        settings._sources = sources
        return settings


# Scalar fields settable as IMRASSIST_<FIELD>; prices only through the config file.
_ENV_FIELDS = (
    "model", "base_url", "api_key", "api_version", "mode", "temperature", "max_output_tokens", "timeout",
    "max_retries", "transport_max_attempts", "transport_max_seconds", "backoff_initial", "backoff_max",
    "token_budget", "max_input_tokens", "concurrency", "cache", "cache_dir", "replay_only", "redact", "merge_system",
)


def _config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    if env.get("IMRASSIST_CONFIG"):
        return Path(env["IMRASSIST_CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    path = base / "imrassist" / "config.toml"
    return path if path.is_file() else None


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib

    from .errors import LLMError

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise LLMError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LLMError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("llm", {})
    if not isinstance(table, dict):
        raise LLMError(f"config file {path}: [llm] must be a table")
    unknown = sorted(set(table) - set(LLMSettings.model_fields))
    if unknown:
        raise LLMError(f"config file {path}: unknown setting(s) in [llm]: {', '.join(unknown)}")
    return dict(table)


def load_settings(**explicit: Any) -> LLMSettings:
    """Shorthand for :meth:`LLMSettings.resolve` (explicit args are CLI flags; ``None`` = not given)."""
    return LLMSettings.resolve(**explicit)


def configured(settings: LLMSettings | None = None) -> bool:
    """Whether a model is configured (resolving from env/config when no settings are given)."""
    return (settings or LLMSettings.resolve()).configured()


def detect_provider(base_url: str | None, model: str | None = None) -> str:
    """Guess the server family from the base URL (and model name).

    - no base URL or ``*.openai.com``                          -> ``openai``
    - ``*.openai.azure.com`` / ``*.cognitiveservices.azure.com`` -> ``azure``
    - port 11434 or "ollama" in the URL                        -> ``ollama``
    - "llama.cpp"/"llamacpp"/"llama-cpp" in the URL, a ``.gguf`` model, or port 8080 (llama-server's
      default)                                                  -> ``llamacpp``
    - "vllm" in the URL or port 8000 (vLLM's default)           -> ``vllm``
    - port 1234 or "lmstudio" in the URL                        -> ``lmstudio``
    - anything else                                             -> ``openai_compatible``
    """
    if not base_url:
        return "openai"
    url = base_url if "://" in base_url else f"http://{base_url}"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        host, port = "", None
    low = url.lower()
    if host == "openai.com" or host.endswith(".openai.com"):
        return "openai"
    if host.endswith((".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")):
        return "azure"
    if port == 11434 or "ollama" in low:
        return "ollama"
    if any(tag in low for tag in ("llama.cpp", "llamacpp", "llama-cpp", "llama_cpp")) or (
        model or ""
    ).lower().endswith(".gguf") or port == 8080:
        return "llamacpp"
    if "vllm" in low or port == 8000:
        return "vllm"
    if port == 1234 or "lmstudio" in low or "lm-studio" in low:
        return "lmstudio"
    return "openai_compatible"


def default_mode(provider: str) -> str:
    """Default instructor mode for a provider.

    - OpenAI / Azure: ``tools``. Forced function calling works on every chat model and every Azure
      api-version still in service, while ``response_format: json_schema`` needs gpt-4o-2024-08-06+ and a
      2024-08-01+ Azure api-version (older deployments answer 400). instructor sends the json_schema
      variant without ``strict``, so it buys no stronger guarantee than tools; and tools mode re-asks with
      the validation error attached to the tool call.
    - vLLM: ``json_schema`` — guided decoding enforces the schema; tool calls need server flags.
    - Ollama: ``json`` — ``json_object`` is supported on every version; the schema travels in the prompt.
    - llama.cpp / llama-cpp-python: ``json`` — llama-cpp-python rejects ``json_schema`` but accepts
      ``json_object`` (with an optional ``schema``, which we add so the grammar constrains the output).
    - LM Studio: ``json_schema`` (it supports structured output but not ``json_object``).
    - unknown OpenAI-compatible servers: ``json`` — the most widely accepted ``response_format``.
    """
    return DEFAULT_MODES.get(provider, "json")


__all__ = [
    "LLMSettings",
    "Price",
    "Mode",
    "MODES",
    "DEFAULT_MODES",
    "load_settings",
    "configured",
    "detect_provider",
    "default_mode",
]
