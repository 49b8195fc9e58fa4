"""imrassist.llm — the one place that talks to models.

Cheap to import: settings, errors, cache and redaction are plain modules; openai and instructor are imported
only when a client is built (first :func:`structured` call).
"""

from __future__ import annotations

from .cache import DiskCache, cache_key
from .client import (
    StructuredResult,
    TokenBudget,
    Usage,
    astructured,
    build_openai_client,
    instructor_client,
    reset_clients,
    structured,
)
from .errors import (
    BudgetExceeded,
    LLMError,
    LLMNotConfigured,
    LLMOutputTruncated,
    LLMTransportError,
    LLMValidationError,
    ReplayMiss,
)
from .redact import redact, redact_messages
from .settings import LLMSettings, Price, configured, default_mode, detect_provider, load_settings

__all__ = [
    "LLMSettings",
    "Price",
    "load_settings",
    "configured",
    "detect_provider",
    "default_mode",
    "structured",
    "astructured",
    "StructuredResult",
    "Usage",
    "TokenBudget",
    "build_openai_client",
    "instructor_client",
    "reset_clients",
    "DiskCache",
    "cache_key",
    "redact",
    "redact_messages",
    "LLMError",
    "LLMNotConfigured",
    "LLMTransportError",
    "LLMValidationError",
    "LLMOutputTruncated",
    "BudgetExceeded",
    "ReplayMiss",
]
