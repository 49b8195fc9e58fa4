"""Where the real sample letters are: ../shared beside the clone (CI has it), never inside the repo.

Tests that need them use the ``needs_shared`` marker-like skip, which says why it skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRASSIST_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "samples" / "seed-2013-push-therapy.txt"
SYNTHETIC = REPO / "evals" / "synthetic"

HAVE_SHARED = (SHARED / "letters").is_dir() and (SHARED / "gold").is_dir()
needs_shared = pytest.mark.skipif(
    not HAVE_SHARED, reason=f"real sample letters not found at {SHARED} (set IMRASSIST_SHARED); CI provides ../shared"
)


def shared_names() -> list[str]:
    if not HAVE_SHARED:
        return []
    return sorted(p.stem for p in (SHARED / "gold").glob("*.json"))


def shared_letter(name: str) -> Path:
    return SHARED / "letters" / f"{name}.txt"


def shared_pdf(name: str) -> Path | None:
    p = SHARED / "pdfs" / f"{name}.pdf"
    return p if p.exists() else None


def shared_gold(name: str) -> dict:
    return json.loads((SHARED / "gold" / f"{name}.json").read_text())
