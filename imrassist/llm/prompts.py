"""Versioned prompt templates, loaded from files and rendered with ``string.Template``.

A prompt is a folder ``prompts/<name>/<version>/`` (``prompts/extract/v1/``) of text files: ``system.md``,
``user.md`` and whatever else the prompt uses (task texts, a few-shot example). Placeholders are
``$name`` / ``${name}`` (``$$`` for a literal dollar sign). Not Jinja and not ``str.format``: letters are full
of braces, and the substituted values are never parsed again, so a letter containing ``${x}``, ``{{ }}`` or
``{% %}`` is sent byte for byte.

Every result records ``prompt_version`` (``extract/v1``) and ``prompt_hash``: the sha256 over the names and
bytes of every file in the version folder, so an edited template is visible in the metadata (and changes the
cache key) even when nobody bumped the version.

Where the folder is found, first hit wins:

1. ``$IMRASSIST_PROMPTS_DIR``;
2. a source checkout: ``<repo>/prompts`` next to the ``imrassist`` package (editable installs too);
3. inside the package: ``importlib.resources.files("imrassist") / "prompts"`` (if a build copies it there);
4. an installed wheel's data files: ``<sys.prefix>/share/imrassist/prompts`` (pyproject
   ``[tool.setuptools.data-files]``).
"""

from __future__ import annotations

import hashlib
import os
import re
import string
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from .errors import LLMError

#: The version used when none is asked for, per prompt name.
DEFAULT_VERSIONS: dict[str, str] = {"extract": "v1", "explain": "v1"}

_TEXT_SUFFIXES = (".md", ".txt", ".json", ".toml")


class PromptError(LLMError):
    """A prompt folder or template is missing or broken (a packaging or editing mistake)."""

    reason = "prompt"


def _candidates() -> list[Path]:
    out: list[Path] = []
    env = os.environ.get("IMRASSIST_PROMPTS_DIR")
    if env:
        out.append(Path(env).expanduser())
    pkg = Path(__file__).resolve().parents[1]  # .../imrassist
    out.append(pkg.parent / "prompts")
    try:
        from importlib.resources import files

        res = files("imrassist") / "prompts"
        out.append(Path(str(res)))
    except Exception:  # pragma: no cover - exotic loaders
        pass
    out.append(Path(sys.prefix) / "share" / "imrassist" / "prompts")
    return out


def prompts_dir() -> Path:
    """The prompts folder in use (see the module docstring for the search order)."""
    for cand in _candidates():
        if (cand / "extract").is_dir() or (cand / "explain").is_dir():
            return cand
    tried = ", ".join(str(c) for c in _candidates())
    raise PromptError(f"prompt templates not found (looked in: {tried}); set IMRASSIST_PROMPTS_DIR")


class _Template(string.Template):
    # ${name} / $name with dotted-free identifiers; everything else (braces, Jinja) is plain text.
    idpattern = r"[a-z][a-z0-9_]*"
    flags = re.ASCII  # case-sensitive: lower-case names only, so "$PATH" in a letter example stays text


@dataclass(frozen=True)
class Prompt:
    """One loaded prompt version: its files, its hash, and rendering."""

    name: str
    version: str
    files: Mapping[str, str] = field(repr=False)
    sha256: str = ""
    path: str = ""

    @property
    def id(self) -> str:
        """``name/version``, what goes into ``RunMeta.prompt_version``."""
        return f"{self.name}/{self.version}"

    @property
    def cache_tag(self) -> str:
        """Version plus a short hash, for cache keys: an edited template never reuses old answers."""
        return f"{self.id}@{self.sha256[:16]}"

    def text(self, filename: str) -> str:
        try:
            return self.files[filename]
        except KeyError:
            raise PromptError(f"prompt {self.id} has no file {filename!r}") from None

    def has(self, filename: str) -> bool:
        return filename in self.files

    def render(self, filename: str, values: Mapping[str, Any] | None = None, **kw: Any) -> str:
        """Substitute ``$name`` placeholders; a placeholder without a value is an error (a typo in a template
        must not silently send ``$lettr`` to a model)."""
        data = {**(values or {}), **kw}
        tmpl = _Template(self.text(filename))
        try:
            return tmpl.substitute({k: "" if v is None else str(v) for k, v in data.items()})
        except KeyError as exc:
            raise PromptError(f"prompt {self.id}/{filename}: no value for placeholder ${exc.args[0]}") from None
        except ValueError as exc:
            raise PromptError(f"prompt {self.id}/{filename}: bad placeholder ({exc})") from None

    def placeholders(self, filename: str) -> set[str]:
        out = set()
        for m in _Template.pattern.finditer(self.text(filename)):
            name = m.group("named") or m.group("braced")
            if name:
                out.add(name)
        return out


def _hash_files(files: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode("utf-8"))
        h.update(b"\0")
        h.update(files[name])
        h.update(b"\0")
    return h.hexdigest()


def available_versions(name: str, root: Path | None = None) -> list[str]:
    root = root or prompts_dir()
    folder = root / name
    if not folder.is_dir():
        return []
    versions = [p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"v\d+(?:\.\d+)*", p.name)]
    return sorted(versions, key=lambda v: tuple(int(x) for x in v[1:].split(".")))


@lru_cache(maxsize=32)
def _load(root: str, name: str, version: str) -> Prompt:
    folder = Path(root) / name / version
    if not folder.is_dir():
        have = ", ".join(available_versions(name, Path(root))) or "none"
        raise PromptError(f"prompt {name}/{version} not found in {root} (versions: {have})")
    raw: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in _TEXT_SUFFIXES and not path.name.startswith("."):
            raw[path.relative_to(folder).as_posix()] = path.read_bytes()
    if "system.md" not in raw or "user.md" not in raw:
        raise PromptError(f"prompt {name}/{version} must have system.md and user.md")
    texts = {k: v.decode("utf-8") for k, v in raw.items()}
    return Prompt(name=name, version=version, files=texts, sha256=_hash_files(raw), path=str(folder))


def load_prompt(name: str, version: str | None = None) -> Prompt:
    """Load ``prompts/<name>/<version>`` (default: :data:`DEFAULT_VERSIONS`, else the highest ``vN``)."""
    root = prompts_dir()
    if version is None:
        version = os.environ.get(f"IMRASSIST_PROMPT_{name.upper()}_VERSION") or DEFAULT_VERSIONS.get(name)
        if version is None:
            versions = available_versions(name, root)
            if not versions:
                raise PromptError(f"no versions of prompt {name!r} in {root}")
            version = versions[-1]
    return _load(str(root), name, version)


def clear_cache() -> None:
    """Forget loaded prompts (after editing templates in a running process)."""
    _load.cache_clear()


__all__ = ["Prompt", "PromptError", "load_prompt", "prompts_dir", "available_versions", "DEFAULT_VERSIONS",
           "clear_cache"]
