"""Loaders for the versioned knowledge files in this folder (see README.md here).

Knowledge is data, not code: guideline documents and ODG chapters (so the citation parser can recognise
them in any wording), MTUS section titles (to tell a title containing a comma from a list), guideline
topics with page ranges and quoted limits (for the consistency checks), a plain-language glossary and
US states. Each loader reads its file once per process.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

_PKG = "imrassist.knowledge"


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The parsed JSON file ``name`` (e.g. ``"documents.json"``), or an empty dict if it is absent."""
    try:
        text = resources.files(_PKG).joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def version(name: str) -> str | None:
    data = load(name)
    return data.get("version") if isinstance(data, dict) else None


def _rows(data: Any, *keys: str) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict):
        for k in keys:
            if isinstance(data.get(k), list):
                return [r for r in data[k] if isinstance(r, dict)]
    return []


@lru_cache(maxsize=None)
def documents() -> list[dict[str, Any]]:
    """Guideline documents: ``source``, ``canonical``, ``aliases`` (MTUS documents and ACOEM chapters)."""
    data = load("documents.json")
    rows = _rows(data, "documents", "rows")
    if isinstance(data, dict):
        rows = rows + _rows(data, "mtus_acoem_2017")
    return rows


@lru_cache(maxsize=None)
def odg_chapters() -> list[dict[str, Any]]:
    data = load("documents.json")
    rows = _rows(data, "odg_chapters")
    return rows


@lru_cache(maxsize=None)
def mtus_titles() -> frozenset[str]:
    """Normalised section titles known to the MTUS/ACOEM guidelines."""
    data = load("mtus_topics.json")
    titles: list[str] = []
    if isinstance(data, list):
        titles = [t if isinstance(t, str) else t.get("title", "") for t in data]
    elif isinstance(data, dict):
        for key, val in data.items():
            if key in ("version", "description", "source_ref", "sources"):
                continue
            if isinstance(val, list):
                for t in val:
                    if isinstance(t, str):
                        titles.append(t)
                    elif isinstance(t, dict):
                        titles.append(str(t.get("title") or t.get("topic") or ""))
    return frozenset(_key(t) for t in titles if t)


@lru_cache(maxsize=None)
def guideline_topics() -> list[dict[str, Any]]:
    return _rows(load("guidelines.json"), "topics", "rows", "guidelines")


@lru_cache(maxsize=None)
def glossary() -> list[dict[str, Any]]:
    return _rows(load("glossary.json"), "terms", "rows", "glossary")


@lru_cache(maxsize=None)
def states() -> dict[str, str]:
    """Lower-cased state name or code -> canonical name."""
    data = load("states.json")
    rows = _rows(data, "states", "rows")
    out: dict[str, str] = {}
    for r in rows:
        name = r.get("name")
        if not name:
            continue
        out[name.lower()] = name
        if r.get("code"):
            out[str(r["code"]).lower()] = name
    return out


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", " and ")))


def title_key(text: str) -> str:
    """Comparison key for titles: case, punctuation and ``&``/``and`` do not matter."""
    return _key(text)
