"""``imrassist.pipeline.analyze_text`` is what Ray Data / Dask bag map over partitions (docs/scaling.md):
it must be picklable (by reference, so a cluster ships only its name), return picklable plain data, run
in a fresh ``spawn`` interpreter, and be pure: equal output for equal input, no global state changed, no
file written, no network, no subprocess."""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import pickle
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from imrassist import pipeline
from imrassist.pipeline import analyze_bytes, analyze_text
from tests.shared_data import SAMPLE, SYNTHETIC

TEXTS = {
    "seed": SAMPLE.read_text(encoding="utf-8"),
    "format2": (SYNTHETIC / "letters" / "syn-07-format2-knee-mri.txt").read_text(encoding="utf-8"),
    "format3": (SYNTHETIC / "letters" / "syn-09-format3-shoulder-pt-meds.txt").read_text(encoding="utf-8"),
}


def test_function_pickles_by_reference() -> None:
    blob = pickle.dumps(analyze_text)
    assert len(blob) < 200  # a reference to imrassist.pipeline.analyze_text, not code
    assert pickle.loads(blob) is analyze_text
    assert pickle.loads(pickle.dumps(analyze_bytes)) is analyze_bytes


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_result_is_plain_picklable_json_data(name: str) -> None:
    out = analyze_text(TEXTS[name], source=f"{name}.txt")
    assert out["ok"] is True and out["record"]["items"]
    assert pickle.loads(pickle.dumps(out)) == out
    assert json.loads(json.dumps(out)) == out  # JSON-able as is (no dates, enums or models inside)
    assert set(out) >= {"source", "record", "explanation", "summary", "findings", "ok"}


def test_bad_input_is_returned_not_raised() -> None:
    for text, reason in (("", "empty"), ("Progress note. Back pain. PT 2x6.", "not_imr")):
        out = analyze_text(text, source="x.txt")
        assert out == {"source": "x.txt", "ok": False, "error": {"reason": reason, "message": out["error"]["message"]}}
        assert out["error"]["message"].startswith("x.txt: ")
        assert pickle.loads(pickle.dumps(out)) == out
    assert analyze_bytes(b"\x00\x01binary", "b.bin")["error"]["reason"] == "binary"


def test_analyze_bytes_matches_analyze_text() -> None:
    data = SAMPLE.read_bytes()
    assert analyze_bytes(data, "s.txt") == analyze_text(data.decode("utf-8"), "s.txt")
    pdf = SYNTHETIC / "letters" / "syn-17-format1-pdf-lumbar-mri.pdf"
    assert analyze_bytes(pdf.read_bytes(), pdf.name)["ok"] is True


def test_runs_in_a_spawn_pool_with_equal_results() -> None:
    """A fresh interpreter (as on a Ray/Dask worker) gives the same dicts as this process."""
    items = [(TEXTS[n], f"{n}.txt") for n in sorted(TEXTS)] + [("", "empty.txt")]
    local = [analyze_text(*a) for a in items]
    with mp.get_context("spawn").Pool(2) as pool:
        remote = pool.starmap(analyze_text, items)  # the function itself is what gets pickled
    assert remote == local


# ------------------------------------------------------------------------------------------------ purity


class _Guard:
    """An audit hook that, while armed, records (and refuses) writes, network and subprocesses."""

    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def __init__(self) -> None:
        self.armed = False
        self.events: list[tuple[str, Any]] = []
        sys.addaudithook(self.hook)  # cannot be removed: it does nothing once disarmed

    def hook(self, event: str, args: tuple) -> None:
        if not self.armed:
            return
        bad = False
        if event == "open":
            mode, flags = args[1], args[2]
            bad = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(flags and flags & self.WRITE_FLAGS)
        elif event.startswith("socket.") or event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                                                       "os.fork", "os.remove", "os.rename", "os.replace",
                                                       "os.mkdir", "os.rmdir", "shutil.rmtree", "os.truncate",
                                                       "os.putenv", "os.unsetenv", "os.chdir"):
            bad = True
        if bad:
            self.events.append((event, args[:2]))
            raise PermissionError(f"analyze_text must not {event} {args[:1]!r}")


_GUARD = _Guard()


def _snapshot() -> dict[str, Any]:
    import textstat

    inst = getattr(textstat, "textstat", None)
    return {
        "environ": dict(os.environ),
        "cwd": os.getcwd(),
        "sys.path": list(sys.path),
        "argv": list(sys.argv),
        "random": random.getstate(),
        "logging": {name: getattr(lg, "level", None) for name, lg in logging.Logger.manager.loggerDict.items()},
        "textstat_lang": getattr(inst, "_textstatistics__lang", None),
        "modules": set(sys.modules),
        "recursion": sys.getrecursionlimit(),
        "pipeline": {k: v for k, v in vars(pipeline).items() if not k.startswith("__")},
    }


def test_pure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same input -> equal output (twice, and after other letters); nothing observable changes; no file
    is written (cwd stays empty, the audit hook sees no write), no socket, no subprocess."""
    monkeypatch.chdir(tmp_path)
    for n in TEXTS:  # warm: first calls import modules and fill caches; those are not results
        analyze_text(TEXTS[n], f"{n}.txt")
    before = _snapshot()
    _GUARD.armed = True
    try:
        first = analyze_text(TEXTS["seed"], "seed.txt")
        others = [analyze_text(TEXTS[n], f"{n}.txt") for n in ("format2", "format3")]
        second = analyze_text(TEXTS["seed"], "seed.txt")
        bad = analyze_text("", "empty.txt")
    finally:
        _GUARD.armed = False
    assert _GUARD.events == []
    assert first["ok"] and all(o["ok"] for o in others) and not bad["ok"]
    assert first == second
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    after = _snapshot()
    for key in before:
        assert after[key] == before[key], f"analyze_text changed {key}"
    assert list(tmp_path.iterdir()) == []


def test_the_guard_would_catch_a_write_and_a_connection(tmp_path: Path) -> None:
    import socket

    _GUARD.armed = True
    try:
        with pytest.raises(PermissionError):
            open(tmp_path / "x.txt", "w")
        with pytest.raises(PermissionError):
            socket.create_connection(("127.0.0.1", 9), timeout=0.1)
    finally:
        _GUARD.armed = False
    assert len(_GUARD.events) >= 2
    _GUARD.events.clear()


def test_warm_up_changes_no_result() -> None:
    before = analyze_text(TEXTS["format2"], "f2.txt")
    pipeline.warm_up()
    assert analyze_text(TEXTS["format2"], "f2.txt") == before
