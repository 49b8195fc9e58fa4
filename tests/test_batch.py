"""Batches: every input gets exactly one result (record or error entry), the batch goes on, the exit code
reflects failures (2) and error findings (1), outputs are atomic, ``--resume`` skips only ``ok`` rows, and
neither a crashed worker nor Ctrl-C loses a written JSONL line."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from imrassist import batch
from imrassist.cli import main
from tests.shared_data import REPO, SAMPLE, SYNTHETIC
from tests.test_bad_input import make_bad_inputs

GOOD = [SAMPLE, SYNTHETIC / "letters" / "syn-07-format2-knee-mri.txt",
        SYNTHETIC / "letters" / "syn-09-format3-shoulder-pt-meds.txt",
        SYNTHETIC / "letters" / "syn-17-format1-pdf-lumbar-mri.pdf"]
ANALYZE_SUFFIXES = (".record.json", ".explanation.md", ".summary.md", ".findings.json")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict]:
    """A folder of good letters and every kind of bad one (plus a nested folder and a hidden file)."""
    d = tmp_path_factory.mktemp("mixed")
    letters = d / "letters"
    (letters / "nested").mkdir(parents=True)
    good = []
    for i, src in enumerate(GOOD):
        target = (letters / "nested" if i % 2 else letters) / f"good{i}{src.suffix}"
        target.write_bytes(src.read_bytes())
        good.append(target)
    bad = make_bad_inputs(d / "bad-src")
    for name, (path, _, _) in bad.items():
        if path.is_file() and name != "huge":
            (letters / f"bad-{name}{path.suffix}").write_bytes(path.read_bytes())
    (letters / ".hidden.txt").write_bytes(SAMPLE.read_bytes())  # skipped: hidden
    (letters / "notes.md").write_text("not a letter suffix", encoding="utf-8")  # skipped: suffix
    return letters, good, bad


def _inputs(letters: Path) -> list[str]:
    return batch.expand_inputs([str(letters)])


# ------------------------------------------------------------------------------------------ expand_inputs


def test_expand_inputs(mixed: tuple, tmp_path: Path) -> None:
    letters, good, _ = mixed
    found = _inputs(letters)
    assert str(good[1]) in found and str(good[0]) in found  # recursive
    assert not any(".hidden" in f or f.endswith(".md") for f in found)
    assert found == sorted(found)
    again = batch.expand_inputs([str(good[0]), str(letters), "-", str(tmp_path / "missing.txt"), "-"])
    assert again[0] == str(good[0]) and again.count(str(good[0])) == 1  # order kept, duplicates dropped
    assert again.count("-") == 1 and str(tmp_path / "missing.txt") in again  # missing kept: an error entry
    empty = tmp_path / "empty"
    empty.mkdir()
    assert batch.expand_inputs([str(empty)]) == [str(empty)]


def test_assign_stems_are_unique() -> None:
    stems = batch.assign_stems(["a/x.txt", "b/x.txt", "c/x.pdf", "y.txt", "-", "z/Y.TXT"])
    assert len(set(s.lower() for s in stems.values())) == 6
    assert stems["-"] == "stdin"
    assert stems["a/x.txt"] == "a__x" and stems["b/x.txt"] == "b__x" and stems["c/x.pdf"] == "c__x"


# ---------------------------------------------------------------------------------------- mixed batches


@pytest.mark.parametrize("jobs", [1, 2])
def test_mixed_batch_accounts_for_every_input(mixed: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              jobs: int) -> None:
    letters, good, bad = mixed
    missing = tmp_path / "missing.txt"
    out, jl = tmp_path / "out", tmp_path / "run.jsonl"
    code = main(["analyze", str(letters), str(missing), str(bad["empty_folder"][0]), "--out", str(out),
                 "--jsonl", str(jl), "--jobs", str(jobs)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    expected = _inputs(letters) + [str(missing), str(bad["empty_folder"][0])]
    got = rows(jl)
    assert sorted(r["source"] for r in got) == sorted(expected)  # every input exactly once
    by_source = {r["source"]: r for r in got}
    for g in good:
        r = by_source[str(g)]
        assert r["ok"] is True and r["kind"] == "analyze" and r["items"] >= 1
        for suffix in ANALYZE_SUFFIXES:
            assert (out / f"{g.stem}{suffix}").is_file()
        assert sorted(r["outputs"]) == sorted(str(out / f"{g.stem}{s}") for s in ANALYZE_SUFFIXES)
    failed = [r for r in got if not r["ok"]]
    assert len(failed) == len(expected) - len(good)
    for r in failed:
        assert r["error"]["message"].startswith(r["source"] + ": "), r
        assert r["error"]["reason"] not in ("internal", "crash"), r
        assert f"imrassist: {r['error']['message']}" in err
    assert {r["error"]["reason"] for r in failed} >= {"empty", "binary", "not_imr", "no_items", "needs_ocr", "encrypted",
                                                     "corrupt_pdf", "missing", "empty_folder"}
    summary = err.strip().splitlines()[-1]
    assert f"{len(expected)} letter(s): {len(good)} ok" in summary and f"{len(failed)} failed" in summary
    assert str(out) in summary and str(jl) in summary
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]  # no temp files left


def test_extract_batch_to_stdout_in_input_order(mixed: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    letters, good, _ = mixed
    code = main(["extract", str(letters), "--json", "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code == 2
    printed = [json.loads(line)["letter"]["source"] for line in out.splitlines()]
    assert printed == [s for s in _inputs(letters) if s in {str(g) for g in good}]


def test_all_good_batch_exit_0_and_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["extract", *map(str, GOOD), "--out", str(out), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    for g in GOOD:
        rec = json.loads((out / f"{g.stem}.record.json").read_text(encoding="utf-8"))
        assert rec["letter"]["source"] == str(g)
    assert "4 letter(s): 4 ok, 0 failed" in err


def test_same_file_names_in_two_folders_do_not_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for sub, src in (("a", GOOD[0]), ("b", GOOD[1])):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "letter.txt").write_bytes(src.read_bytes())
    out = tmp_path / "out"
    code = main(["extract", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0] != names[1]
    sources = {json.loads(p.read_text())["letter"]["source"] for p in out.iterdir()}
    assert sources == {str(tmp_path / "a" / "letter.txt"), str(tmp_path / "b" / "letter.txt")}


def test_stdin_in_a_parallel_batch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Workers cannot read the parent's stdin: the parent reads it once and hands the bytes over."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD[1].read_bytes())))
    jl = tmp_path / "r.jsonl"
    code = main(["extract", "-", str(GOOD[0]), "--jobs", "2", "--jsonl", str(jl), "--out", str(tmp_path / "o")])
    assert code == 0, capsys.readouterr().err
    assert {r["source"] for r in rows(jl)} == {"-", str(GOOD[0])}
    assert (tmp_path / "o" / "stdin.record.json").is_file()


def test_analyze_exit_1_on_error_findings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import imrassist.checks as checks
    from imrassist.models import Finding, FindingsReport

    real = checks.check

    def with_an_error(letter: Any, **kw: Any) -> FindingsReport:
        report = real(letter, **kw)
        extra = Finding(code="TEST_ERROR", kind="count", severity="error", field="explanation", message="planted")
        return FindingsReport.build(letter.source, [*report.findings, extra])

    monkeypatch.setattr(checks, "check", with_an_error)
    code = main(["analyze", str(GOOD[0]), str(GOOD[1]), "--jsonl", str(tmp_path / "r.jsonl")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "2 ok (2 with error findings), 0 failed" in err
    # a failure outranks findings
    code = main(["analyze", str(GOOD[0]), str(tmp_path / "missing.txt"), "--jsonl", str(tmp_path / "r2.jsonl")])
    capsys.readouterr()
    assert code == 2


# --------------------------------------------------------------------------------------------- resume


def test_resume_skips_only_ok_rows(mixed: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    letters, good, _ = mixed
    jl = tmp_path / "run.jsonl"
    inputs = _inputs(letters)
    assert main(["extract", str(letters), "--jsonl", str(jl), "--jobs", "2"]) == 2
    first = rows(jl)
    assert len(first) == len(inputs)
    # An interruption left a line cut short: it is ignored and never glued to the next line.
    with jl.open("a", encoding="utf-8") as fh:
        fh.write('{"kind": "extract", "source": "cut-short", "ok": tr')
    capsys.readouterr()
    code = main(["extract", str(letters), "--jsonl", str(jl), "--resume"])
    err = capsys.readouterr().err
    assert code == 2  # the bad ones fail again
    lines = jl.read_text(encoding="utf-8").splitlines()
    assert lines[len(first)].endswith('"ok": tr')
    second = [json.loads(x) for x in lines[len(first) + 1:]]
    assert sorted(r["source"] for r in second) == sorted(r["source"] for r in first if not r["ok"])
    assert f"skipped {len(good)} already done" in err
    # Resuming for another command does not count extract rows as done.
    assert batch.done_sources(jl, "analyze") == set()
    assert batch.done_sources(jl, "extract") == {str(g) for g in good}


def test_resume_when_everything_is_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jl = tmp_path / "r.jsonl"
    assert main(["extract", str(GOOD[0]), "--jsonl", str(jl)]) == 0
    capsys.readouterr()
    assert main(["extract", str(GOOD[0]), "--jsonl", str(jl), "--resume"]) == 0
    assert "0 letter(s): 0 ok, 0 failed; skipped 1 already done" in capsys.readouterr().err
    assert len(rows(jl)) == 1


# ----------------------------------------------------------------------------- crashes, timeouts, forks


def test_a_crashing_worker_loses_nothing(mixed: tuple, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A worker killed mid-letter (segfault, OOM killer): that letter gets a crash entry naming it, the
    letters it was holding are re-run, and every other letter still gets its result."""
    letters, good, _ = mixed
    crash = tmp_path / "crashme.txt"
    crash.write_bytes(SAMPLE.read_bytes())
    parent = os.getpid()
    real = batch.read_source

    def deadly(source: str, data: bytes | None = None) -> Any:
        if "crashme" in source and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(source, data)

    monkeypatch.setattr(batch, "read_source", deadly)
    jl = tmp_path / "r.jsonl"
    code = main(["extract", str(crash), str(letters), "--jobs", "2", "--jsonl", str(jl)])
    err = capsys.readouterr().err
    assert code == 2
    got = rows(jl)
    assert sorted(r["source"] for r in got) == sorted([str(crash), *_inputs(letters)])
    by = {r["source"]: r for r in got}
    assert by[str(crash)]["error"]["reason"] == "crash"
    assert "worker process died" in by[str(crash)]["error"]["message"] and "signal 9" in by[str(crash)]["error"]["message"]
    assert all(by[str(g)]["ok"] for g in good)
    assert "Traceback" not in err


def test_a_letter_past_the_timeout_becomes_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    slow = tmp_path / "slow.txt"
    slow.write_bytes(SAMPLE.read_bytes())
    real = batch.read_source

    def sleepy(source: str, data: bytes | None = None) -> Any:
        if "slow" in source:
            time.sleep(30)
        return real(source, data)

    monkeypatch.setattr(batch, "read_source", sleepy)
    for jobs in ("1", "2"):
        jl = tmp_path / f"r{jobs}.jsonl"
        started = time.monotonic()
        code = main(["extract", str(slow), str(GOOD[0]), "--timeout", "1.5", "--jobs", jobs, "--jsonl", str(jl)])
        assert time.monotonic() - started < 20
        err = capsys.readouterr().err
        assert code == 2
        by = {r["source"]: r for r in rows(jl)}
        assert by[str(slow)]["error"]["reason"] == "timeout"
        assert "took longer than 1.5 s" in by[str(slow)]["error"]["message"]
        assert by[str(GOOD[0])]["ok"]


def test_no_thread_runs_in_the_parent_when_workers_fork(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Forking while another thread holds a lock can deadlock the child: the progress bar has no refresh
    thread and pools are forked before their manager thread starts (checked on a fake terminal)."""
    seen: list[int] = []
    recording = {"on": True}

    def before_fork() -> None:
        if recording["on"]:
            seen.append(threading.active_count())

    os.register_at_fork(before=before_fork)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    base = threading.active_count()
    try:
        code = main(["analyze", *map(str, GOOD), str(tmp_path / "missing.txt"), "--jobs", "2",
                     "--out", str(tmp_path / "o")])
    finally:
        recording["on"] = False
    capsys.readouterr()
    assert code == 2
    assert seen, "no fork happened"
    assert max(seen) == base, f"threads alive at fork: {seen} (baseline {base})"


def test_a_finished_batch_leaves_no_pool_thread_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pool manager thread still alive at exit races the interpreter's exit hook for its wake-up pipe and
    prints an OSError traceback after a successful batch; every pool's thread is joined before we return."""
    code = main(["analyze", *map(str, GOOD), "--jobs", "2", "--out", str(tmp_path / "o")])
    capsys.readouterr()
    assert code in (0, 1)
    left = [t.name for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread"]
    assert not left, f"pool manager threads still running after the batch: {left}"
    # The same, at the moment the pool is stopped (a batch's end may leave the thread time to finish).
    from concurrent.futures import ProcessPoolExecutor

    for _ in range(5):
        pool = ProcessPoolExecutor(max_workers=2, mp_context=batch._fork_context())
        assert pool.submit(abs, -3).result() == 3
        manager = pool._executor_manager_thread
        batch._stop_pool(pool)
        assert not manager.is_alive(), "the pool's manager thread outlived _stop_pool"


def _big_result(n: int) -> bytes:
    return b"x" * n


def test_stopping_a_pool_while_a_worker_sends_its_result_does_not_hang() -> None:
    """A worker ended while it writes a result leaves half a message in the result pipe: the pool's manager
    thread would wait for the rest forever, and the interpreter joins that thread at exit (an interrupted
    batch that never ends). Stopping the pool must let that thread finish."""
    from concurrent.futures import ProcessPoolExecutor

    for _ in range(3):
        pool = ProcessPoolExecutor(max_workers=1, mp_context=batch._fork_context())
        pool.submit(_big_result, 1).result()  # the worker is up
        pool.submit(_big_result, 100_000_000)
        manager = pool._executor_manager_thread
        reader = pool._result_queue._reader
        deadline = time.monotonic() + 30
        while not reader.poll() and time.monotonic() < deadline:  # the result is on its way
            time.sleep(0.002)
        batch._stop_pool(pool)
        manager.join(timeout=10)
        assert not manager.is_alive(), "the manager thread hangs on half a result"


# Each letter takes at least 50 ms in these runs, so that the batch is still going when the signal comes.
# Each letter takes at least 0.25 s, so the whole batch lasts seconds: the signal must land mid-run even
# when this test's own process is slow to see the first lines (a busy machine; 0.05 s was once too short).
_SLOW_CLI = ("import sys, time, imrassist.pipeline as p\n"
             "real = p.analyze_letter\n"
             "def slow(*a, **k):\n    time.sleep(0.25)\n    return real(*a, **k)\n"
             "p.analyze_letter = slow\n"
             "from imrassist.cli import main\nsys.exit(main(sys.argv[1:]))\n")


def _start_slow_batch(tmp_path: Path, letters_count: int, wait_rows: int, *extra: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """A slowed-down ``analyze --jobs 2 --jsonl`` in its own process group, returned once it has written
    ``wait_rows`` lines: (process, letters folder, JSONL path)."""
    letters = tmp_path / "letters"
    letters.mkdir()
    for i in range(letters_count):
        (letters / f"l{i:02d}.txt").write_bytes(GOOD[i % 3].read_bytes())
    jl = tmp_path / "r.jsonl"
    argv = [sys.executable, "-c", _SLOW_CLI, "analyze", str(letters), "--jobs", "2", "--jsonl", str(jl), *extra]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(),
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not jl.exists() or len(jl.read_bytes().splitlines()) < wait_rows):
        time.sleep(0.02)
    return proc, letters, jl


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _left_behind(proc: subprocess.Popen[bytes]) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()


def test_ctrl_c_keeps_every_written_line_and_resume_finishes(tmp_path: Path) -> None:
    """SIGINT to the whole process group mid-run (what Ctrl-C does): exit 130, a one-line note, no
    traceback, no worker left behind, every JSONL line whole; --resume then completes the rest."""
    proc, letters, jl = _start_slow_batch(tmp_path, 40, 3, "--out", str(tmp_path / "out"))
    os.killpg(proc.pid, signal.SIGINT)
    _, err_b = proc.communicate(timeout=60)
    err = err_b.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted after" in err and "--resume" in err
    done = rows(jl)  # every line parses
    assert 3 <= len(done) < 40, err
    assert _left_behind(proc) == []
    # Resume: the rest runs, nothing runs twice.
    proc2 = subprocess.run([sys.executable, "-m", "imrassist.cli", "analyze", str(letters), "--jobs", "2",
                            "--jsonl", str(jl), "--resume", "--out", str(tmp_path / "out")],
                           capture_output=True, env=_env(), timeout=300)
    assert proc2.returncode in (0, 1), proc2.stderr.decode()
    final = rows(jl)
    assert sorted(r["source"] for r in final) == sorted(str(p) for p in letters.iterdir())
    assert f"skipped {len(done)} already done" in proc2.stderr.decode()


def test_sigterm_stops_like_ctrl_c(tmp_path: Path) -> None:
    proc, _, jl = _start_slow_batch(tmp_path, 30, 2)
    proc.terminate()  # the parent only, as a batch system does
    _, err_b = proc.communicate(timeout=60)
    assert proc.returncode == 130, err_b.decode()
    assert "Traceback" not in err_b.decode()
    rows(jl)
    assert _left_behind(proc) == []


# ------------------------------------------------------------------------------------------- helpers


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    batch.atomic_write(target, "old")

    class Boom(str):
        def encode(self, *a: Any, **k: Any) -> bytes:  # type: ignore[override]
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        batch.atomic_write(target, Boom("new"))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_cli_default_timeout_matches_batch() -> None:
    from imrassist import cli

    assert cli._BATCH_TIMEOUT == batch.DEFAULT_TIMEOUT


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        batch.atomic_write(tmp_path / "sub" / "x.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "sub" / "x.json").stat().st_mode & 0o777 == 0o644


def test_even_if_every_letter_kills_its_worker_the_batch_ends(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    parent = os.getpid()

    def deadly(source: str, data: bytes | None = None) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("not in a worker")

    monkeypatch.setattr(batch, "read_source", deadly)
    jl = tmp_path / "r.jsonl"
    code = main(["extract", *map(str, GOOD), "--jobs", "2", "--jsonl", str(jl)])
    capsys.readouterr()
    assert code == 2
    got = rows(jl)
    assert sorted(r["source"] for r in got) == sorted(map(str, GOOD))
    assert {r["error"]["reason"] for r in got} == {"crash"}


def test_unusable_out_or_jsonl_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["extract", str(GOOD[0]), "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "Traceback" not in err
    assert main(["extract", str(GOOD[0]), "--jsonl", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--jsonl" in err and "Is a directory" in err


def test_an_output_that_cannot_be_written_is_that_letters_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    real = batch.atomic_write

    def full(path: Path, data: Any) -> None:
        if "syn-07" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(batch, "atomic_write", full)
    jl = tmp_path / "r.jsonl"
    code = main(["extract", str(GOOD[0]), str(GOOD[1]), "--out", str(tmp_path / "o"), "--jsonl", str(jl)])
    capsys.readouterr()
    assert code == 2
    by = {r["source"]: r for r in rows(jl)}
    assert by[str(GOOD[0])]["ok"]
    assert by[str(GOOD[1])]["error"]["reason"] == "write_failed"
    assert "No space left on device" in by[str(GOOD[1])]["error"]["message"]


def test_jsonl_that_fills_up_stops_the_batch_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    calls = {"n": 0}
    real = batch._JsonlSink.write_line

    def write_line(self: Any, line: str) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, line)

    monkeypatch.setattr(batch._JsonlSink, "write_line", write_line)
    jl = tmp_path / "r.jsonl"
    code = main(["extract", *map(str, GOOD), "--jsonl", str(jl), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "batch stopped after 1 of 4 letter(s): No space left on device; rerun with --resume" in err
    assert len(rows(jl)) == 1


def test_checks_memos_are_emptied_every_n_letters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A long batch must not grow without bound: every CLEAR_CACHES_EVERY letters a process empties the
    checks' memos (imrassist.checks.clear_caches)."""
    import imrassist.checks as checks

    calls: list[int] = []
    monkeypatch.setattr(checks, "clear_caches", lambda: calls.append(1))
    monkeypatch.setattr(batch, "CLEAR_CACHES_EVERY", 2)
    monkeypatch.setattr(batch, "_done_here", 0)
    code = main(["analyze", *map(str, GOOD), "--jsonl", str(tmp_path / "r.jsonl")])
    capsys.readouterr()
    assert code in (0, 1)
    assert len(calls) == 2
