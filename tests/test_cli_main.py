"""The CLI's last line of defence: even a bug of ours ends in one line and a distinct exit code."""

from __future__ import annotations

import pytest

from imrassist import cli


def test_internal_error_is_one_line_exit_3(monkeypatch, capsys) -> None:
    def broken(args):
        raise TypeError("boom")

    monkeypatch.setattr(cli, "cmd_schema", broken)
    rc = cli.main(["schema"])
    err = capsys.readouterr().err
    assert rc == cli.EXIT_INTERNAL == 3
    assert err.count("\n") == 1 and "internal error (TypeError)" in err and "Traceback" not in err


def test_internal_error_with_debug_raises(monkeypatch) -> None:
    def broken(args):
        raise TypeError("boom")

    monkeypatch.setattr(cli, "cmd_schema", broken)
    with pytest.raises(TypeError):
        cli.main(["--debug", "schema"])


def test_utf16_explanation_is_read(tmp_path, capsys) -> None:
    from tests.shared_data import SAMPLE

    expl = tmp_path / "e.md"
    expl.write_bytes("You were hurt at work on October 19, 2012.".encode("utf-16"))
    rc = cli.main(["check", str(SAMPLE), "--explanation", str(expl), "--json"])
    out = capsys.readouterr().out
    assert rc in (0, 1) and '"findings"' in out
