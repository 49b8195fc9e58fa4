"""Bad input through the command line: one line on stderr naming the file and the problem, exit code 2,
no traceback (DESIGN.md, imrassist/cli.py). Inputs that only look unusual (Windows-1252, Latin-1, CRLF,
UTF-16) must work, with every evidence span still pointing at its quote in the decoded text.

Most cases call ``main([...])`` in-process (fast); a few run the real console script in a subprocess to
prove the same holds for what a user sees.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any, Iterator

import pytest

from imrassist import letter as letter_mod
from imrassist.cli import main
from tests.shared_data import REPO, SAMPLE, SYNTHETIC

PDF_LETTER = SYNTHETIC / "letters" / "syn-17-format1-pdf-lumbar-mri.pdf"
TXT_LETTER = SAMPLE


# ----------------------------------------------------------------------------------------- bad files


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


MEDICAL_NOTE = """PROGRESS NOTE
Date of service: 03/14/2017
Subjective: The patient returns for follow-up of low back pain radiating to the right leg. Pain is 6/10.
Objective: Lumbar range of motion is limited. Straight leg raise is positive on the right.
Assessment: Lumbar radiculopathy.
Plan: Continue physical therapy 2 times a week for 6 weeks. Gabapentin 300 mg #90. Return in 4 weeks.
"""

UR_LETTER = """UTILIZATION REVIEW DETERMINATION
Claim Number: 12-345678        Date of Injury: 10/19/2012
Dear Dr. Smith,
We have reviewed your request for authorization of 12 sessions of physical therapy for the lumbar spine.
Determination: NON-CERTIFIED. The request is not medically necessary under the MTUS Chronic Pain Medical
Treatment Guidelines, which allow 9-10 visits over 8 weeks.
If you disagree with this decision, the injured worker may request an Independent Medical Review by
completing the enclosed Application for Independent Medical Review (DWC Form IMR) within 30 days.
"""


def truncated_letter() -> str:
    """The sample letter cut off just after its decisions heading (a download that stopped early)."""
    text = sample_text()
    cut = text.index("IMR ISSUES, DECISIONS AND RATIONALES")
    return text[: cut + len("IMR ISSUES, DECISIONS AND RATIONALES") + 2]


def blank_pdf(path: Path) -> Path:
    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(612, 792)
    w.add_blank_page(612, 792)
    with path.open("wb") as fh:
        w.write(fh)
    return path


def encrypted_pdf(path: Path, user_password: str = "s3cret") -> Path:
    import pypdf

    w = pypdf.PdfWriter(clone_from=pypdf.PdfReader(PDF_LETTER))
    w.encrypt(user_password=user_password, owner_password="owner-" + user_password, algorithm="AES-256")
    with path.open("wb") as fh:
        w.write(fh)
    return path


def corrupt_pdf(path: Path) -> Path:
    data = PDF_LETTER.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def junk_pdf(path: Path) -> Path:
    rnd = random.Random(7)
    path.write_bytes(b"%PDF-1.7\n" + bytes(rnd.randrange(256) for _ in range(5000)))
    return path


def bomb_pdf(path: Path, expands_to: int = 100_000_000) -> Path:
    """A ~100 KB PDF whose page content inflates to 100 MB (beyond pypdf's 75 MB safety limit)."""
    import zlib

    z = zlib.compressobj(9)
    comp = z.compress(b"BT /F1 12 Tf 72 720 Td (IMR) Tj ET\n")
    chunk = b" " * 1_000_000
    for _ in range(expands_to // len(chunk)):
        comp += z.compress(chunk)
    comp += z.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp) + comp + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(out)
    return path


def binary_junk(path: Path) -> Path:
    rnd = random.Random(42)
    path.write_bytes(bytes(rnd.randrange(256) for _ in range(4096)))
    return path


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (and must never be read whole)."""
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


def make_bad_inputs(d: Path) -> dict[str, tuple[Path, str, str]]:
    """name -> (path, words the message must contain, reason). Every one must exit 2."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_text("  \n\n\t\n", encoding="utf-8")
    (d / "note.txt").write_text(MEDICAL_NOTE, encoding="utf-8")
    (d / "ur.txt").write_text(UR_LETTER, encoding="utf-8")
    (d / "truncated.txt").write_text(truncated_letter(), encoding="utf-8")
    (d / "empty_folder").mkdir(exist_ok=True)
    return {
        "empty": (d / "empty.txt", "empty", "empty"),
        "whitespace": (d / "blank.txt", "empty", "empty"),
        "binary": (binary_junk(d / "junk.bin"), "binary", "binary"),
        "binary_named_txt": (binary_junk(d / "junk.txt"), "binary", "binary"),
        "medical_note": (d / "note.txt", "not an IMR determination letter", "not_imr"),
        "ur_letter": (d / "ur.txt", "not an IMR determination letter", "not_imr"),
        "truncated": (d / "truncated.txt", "no disputed items found (decisions section missing or cut off?)", "no_items"),
        "pdf_no_text": (blank_pdf(d / "scan.pdf"), "OCR", "needs_ocr"),
        "pdf_encrypted": (encrypted_pdf(d / "locked.pdf"), "encrypted PDF", "encrypted"),
        "pdf_corrupt": (corrupt_pdf(d / "half.pdf"), "corrupt or unreadable PDF", "corrupt_pdf"),
        "pdf_junk": (junk_pdf(d / "junk.pdf"), "corrupt or unreadable PDF", "corrupt_pdf"),
        "pdf_bomb": (bomb_pdf(d / "bomb.pdf"), "decompression bomb", "too_large"),
        "huge": (sparse_file(d / "huge.txt", 50 * 1024 * 1024), "too large", "too_large"),
        "empty_folder": (d / "empty_folder", "folder holds no letter files", "empty_folder"),
        "missing": (d / "no-such-letter.txt", "no such file", "missing"),
    }


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str, str]]:
    return make_bad_inputs(tmp_path_factory.mktemp("bad"))


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, path: Path | str, words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    line = lines[0]
    assert "Traceback" not in err
    assert line.startswith("imrassist: "), line
    assert str(path) in line, f"the message does not name the file: {line}"
    assert words in line, f"the message does not say {words!r}: {line}"


# -------------------------------------------------------------------------------------------- the matrix

BAD_CASES = ["empty", "whitespace", "binary", "binary_named_txt", "medical_note", "ur_letter", "truncated",
             "pdf_no_text", "pdf_encrypted", "pdf_corrupt", "pdf_junk", "pdf_bomb", "huge", "empty_folder", "missing"]


@pytest.mark.parametrize("case", BAD_CASES)
@pytest.mark.parametrize("command", ["extract", "analyze"])
def test_bad_letter_is_one_line_and_exit_2(bad: dict, capsys: pytest.CaptureFixture[str], case: str, command: str) -> None:
    path, words, _ = bad[case]
    code, out, err = run_main(capsys, command, path)
    assert code == 2
    assert_one_line_error(err, path, words)
    assert out == ""


@pytest.mark.parametrize("case", ["truncated", "pdf_no_text", "pdf_encrypted", "missing"])
@pytest.mark.parametrize("command", ["explain", "check", "summarize"])
def test_bad_letter_other_commands(bad: dict, capsys: pytest.CaptureFixture[str], case: str, command: str) -> None:
    path, words, _ = bad[case]
    code, out, err = run_main(capsys, command, path)
    assert code == 2
    assert_one_line_error(err, path, words)


def test_the_messages_say_what_to_do(bad: dict, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run_main(capsys, "extract", bad["pdf_no_text"][0])
    assert "run OCR first" in err and "2 page(s)" in err
    _, _, err = run_main(capsys, "extract", bad["pdf_encrypted"][0])
    assert "password" in err
    _, _, err = run_main(capsys, "extract", bad["huge"][0])
    assert f"the limit is {letter_mod.MAX_INPUT_BYTES} bytes" in err and str(50 * 1024 * 1024) in err


def test_debug_shows_the_traceback(bad: dict) -> None:
    from imrassist.errors import InputError

    with pytest.raises(InputError):
        main(["--debug", "extract", str(bad["empty"][0])])


def test_huge_file_is_refused_without_reading_it(bad: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """50 MB (sparse, so it costs no disk) is refused from its size: Python never holds more than a
    sliver of it (tracemalloc), so memory stays flat however big the file."""
    path = bad["huge"][0]
    assert path.stat().st_size == 50 * 1024 * 1024 > letter_mod.MAX_INPUT_BYTES
    tracemalloc.start()
    try:
        code, _, err = run_main(capsys, "extract", path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2 and "too large" in err
    assert peak < 2 * 1024 * 1024, f"peak Python allocation {peak} bytes while refusing a 50 MB file"


def test_huge_stdin_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """stdin has no size: we read at most limit + 1 bytes and refuse."""
    monkeypatch.setattr(letter_mod, "MAX_INPUT_BYTES", 64 * 1024)

    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            n = len(b)
            b[:n] = b"x" * n
            Endless.served += n
            return n

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    code, _, err = run_main(capsys, "extract", "-")
    assert code == 2
    assert_one_line_error(err, "-", "too large")
    assert Endless.served < 1024 * 1024


def test_text_over_the_character_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "long.txt"
    p.write_text(sample_text() * (letter_mod.MAX_TEXT_CHARS // len(sample_text()) + 1), encoding="utf-8")
    assert p.stat().st_size < letter_mod.MAX_INPUT_BYTES
    code, _, err = run_main(capsys, "extract", p)
    assert code == 2
    assert_one_line_error(err, p, "text too long")


def test_empty_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _, err = run_main(capsys, "extract", "-")
    assert code == 2
    assert_one_line_error(err, "-", "empty")


def test_a_ur_letter_that_mentions_imr_and_upheld_is_still_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A UR letter citing an earlier IMR that 'upheld' a denial passes the IMR test but has no decisions."""
    p = tmp_path / "ur2.txt"
    p.write_text(UR_LETTER + "\nA prior Independent Medical Review (IMR) upheld the denial of this treatment.\n",
                 encoding="utf-8")
    code, _, err = run_main(capsys, "extract", p)
    assert code == 2
    assert_one_line_error(err, p, "")
    assert "not an IMR determination letter" in err or "no disputed items found" in err


# ------------------------------------------------------------------------------------------ usage errors


def test_resume_needs_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "analyze", SAMPLE, "--resume")
    assert code == 2
    assert_one_line_error(err, "--resume", "--jsonl")


def test_negative_jobs_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(SAMPLE), "--jobs", "-1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--jobs" in err


# --------------------------------------------------------------------------------- --record / --explanation


@pytest.fixture(scope="module")
def record_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from imrassist.extract import extract
    from imrassist.letter import read_letter

    return json.loads(extract(read_letter(SAMPLE)).model_dump_json())


def _write(path: Path, obj: Any) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return path


def test_record_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path / "rec.json", '{"letter": {"source": "x",')
    code, _, err = run_main(capsys, "check", SAMPLE, "--record", p)
    assert code == 2
    assert_one_line_error(err, p, "malformed JSON")
    assert "line 1" in err


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r["items"][0]["decision"].update(value="maybe"), "items.0.decision.value"),
        (lambda r: r["items"][0].pop("decision"), "items.0.decision"),
        (lambda r: r["dates"].update(injury={"value": "yesterday", "evidence": None}), "dates.injury.value"),
        (lambda r: r["worker"].update(age={"value": "old", "evidence": None}), "worker.age.value"),
        (lambda r: r.update(items="none"), "items"),
    ],
    ids=["bad-enum", "missing-field", "bad-date", "bad-int", "wrong-type"],
)
def test_record_schema_invalid_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str], record_json: dict,
                                               mutate: Any, field: str) -> None:
    rec = json.loads(json.dumps(record_json))
    mutate(rec)
    p = _write(tmp_path / "rec.json", rec)
    code, _, err = run_main(capsys, "check", SAMPLE, "--record", p)
    assert code == 2
    assert_one_line_error(err, p, "not a valid CaseRecord")
    assert f"field {field}" in err, err


@pytest.mark.parametrize("content, words", [("[1, 2]", "expected a JSON object"), ("", "empty"), ("   \n", "empty")],
                         ids=["not-an-object", "empty", "blank"])
def test_record_not_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, words: str) -> None:
    p = _write(tmp_path / "rec.json", content)
    code, _, err = run_main(capsys, "check", SAMPLE, "--record", p)
    assert code == 2
    assert_one_line_error(err, p, words)


def test_record_that_is_binary_or_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = binary_junk(tmp_path / "rec.json")
    p.write_bytes(b"\x00" + p.read_bytes())
    code, _, err = run_main(capsys, "check", SAMPLE, "--record", p)
    assert code == 2
    assert_one_line_error(err, p, "binary")
    missing = tmp_path / "nope.json"
    code, _, err = run_main(capsys, "check", SAMPLE, "--record", missing)
    assert code == 2
    assert_one_line_error(err, missing, "no such file")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"], ids=["empty", "blank", "bom-only"])
def test_explanation_file_that_is_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    p = tmp_path / "explanation.md"
    p.write_bytes(content)
    code, _, err = run_main(capsys, "check", SAMPLE, "--explanation", p)
    assert code == 2
    assert_one_line_error(err, p, "explanation file is empty")


def test_explanation_file_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "explanation.md"
    code, _, err = run_main(capsys, "check", SAMPLE, "--explanation", p)
    assert code == 2
    assert_one_line_error(err, p, "no such file")


# ------------------------------------------------------------------------------- unusual but good input


def _walk_evidence(obj: Any) -> Iterator[dict]:
    if isinstance(obj, dict):
        if {"quote", "start", "end"} <= obj.keys():
            yield obj
        for v in obj.values():
            yield from _walk_evidence(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_evidence(v)


def _extract_ok(capsys: pytest.CaptureFixture[str], path: Path, original: str) -> dict:
    code, out, err = run_main(capsys, "extract", path, "--json")
    assert code == 0, err
    assert "Traceback" not in err
    record = json.loads(out)
    spans = list(_walk_evidence(record))
    assert spans, "no evidence at all"
    for ev in spans:
        assert original[ev["start"]: ev["end"]] == ev["quote"]
    assert record["items"], "no items"
    return record


def _smart(text: str) -> str:
    return (text.replace('"all treatments', "\u201call treatments").replace('state."', "state.\u201d")
            .replace("He/she has", "He\u2019she has").replace("therapy website", "therapy website \u2013 caf\u00e9"))


def test_windows_1252_with_smart_quotes_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = _smart(sample_text())
    assert "\u201c" in original and "\u2013" in original
    p = tmp_path / "cp1252.txt"
    p.write_bytes(original.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        p.read_bytes().decode("utf-8")
    record = _extract_ok(capsys, p, original)
    assert record["items"][0]["decision"]["value"] == "overturned"


def test_latin_1_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = sample_text().replace("therapy website", "therapy website caf\u00e9 \u00bd") + "\x81\n"
    p = tmp_path / "latin1.txt"
    p.write_bytes(original.encode("latin-1"))  # 0x81 is undefined in cp1252: this is Latin-1 only
    _extract_ok(capsys, p, original)


def test_crlf_line_ends_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = _smart(sample_text()).replace("\n", "\r\n")
    p = tmp_path / "crlf.txt"
    p.write_bytes(original.encode("utf-8"))
    lf = _extract_ok(capsys, SAMPLE, sample_text())
    crlf = _extract_ok(capsys, p, original)
    assert len(crlf["items"]) == len(lf["items"])
    assert crlf["items"][0]["decision"]["value"] == lf["items"][0]["decision"]["value"]
    assert crlf["worker"]["age"]["value"] == lf["worker"]["age"]["value"]


def test_utf16_with_bom_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "utf16.txt"
    p.write_bytes(sample_text().encode("utf-16"))
    _extract_ok(capsys, p, sample_text())


def test_stdin_works(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.read_bytes())))
    code, out, err = run_main(capsys, "extract", "-", "--json")
    assert code == 0, err
    assert json.loads(out)["letter"]["source"] == "-"


# ------------------------------------------------------------------------------- the real console script


def _cli(*argv: str | Path, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "imrassist.cli", *map(str, argv)], input=stdin,
                          capture_output=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("case", ["binary", "truncated", "pdf_encrypted", "huge", "missing"])
def test_console_script_one_line_exit_2(bad: dict, case: str) -> None:
    path, words, _ = bad[case]
    proc = _cli("extract", path)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert_one_line_error(err, path, words)
    assert proc.stdout == b""


def test_console_script_huge_stdin() -> None:
    proc = _cli("extract", "-", stdin=b"x" * (letter_mod.MAX_INPUT_BYTES + 10))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr.decode(), "-", "too large")


def test_html_needs_an_output_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "analyze", SAMPLE, "--html")
    assert code == 2 and out == ""
    assert_one_line_error(err, "--html", "--out DIR")
