"""A disk cache of validated model answers: one JSON file per key, written atomically.

Key = sha256 over (model, mode, prompt version, schema hash, input hash). The input hash covers the messages
as the caller gave them (before redaction), the redaction switch and the validation context, so a change to
any of them is a different key. A file holds the validated value and the usage of the call that produced it,
never the messages. Files are created 0600 in a 0700 directory: they hold what was read from letters.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from ..files import atomic_write

CACHE_FORMAT = 1


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def sha256_hex(obj: Any) -> str:
    data = obj if isinstance(obj, bytes) else obj.encode("utf-8") if isinstance(obj, str) else _canonical(obj)
    return hashlib.sha256(data).hexdigest()


def schema_hash(response_model: Any) -> str:
    """Hash of the response model's JSON schema (its name, fields, descriptions and constraints)."""
    return sha256_hex(response_model.model_json_schema())


def input_hash(messages: Any, *, context: Any = None, redact: bool = False) -> str:
    return sha256_hex({"messages": messages, "context": context, "redact": bool(redact)})


def cache_key(*, model: str, mode: str, prompt_version: str, schema_hash: str, input_hash: str) -> str:
    return sha256_hex(
        {"v": CACHE_FORMAT, "model": model, "mode": mode, "prompt_version": prompt_version,
         "schema": schema_hash, "input": input_hash}
    )


class DiskCache:
    """``root/<key[:2]>/<key>.json``; concurrent writers of one key are safe (last ``os.replace`` wins)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not key or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("cache keys are lowercase hex digests")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        try:
            with open(path, encoding="utf-8") as fh:
                entry = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable or half-written by a foreign tool: treat as a miss
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
            return None
        return entry

    def put(self, key: str, value: Any, **meta: Any) -> Path:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        entry = {"format": CACHE_FORMAT, "key": key, "created": time.time(), **meta, "value": value}
        data = json.dumps(entry, ensure_ascii=False, indent=1, default=str).encode("utf-8")
        atomic_write(path, data, mode=0o600, fsync=True)
        return path

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0


__all__ = ["DiskCache", "cache_key", "schema_hash", "input_hash", "sha256_hex", "CACHE_FORMAT"]
