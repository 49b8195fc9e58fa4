"""The check registry: built-ins, the public API, plugins through the ``imrassist.checks`` entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from imrassist.checks import check, finalize, list_checks
from imrassist.checks.registry import REGISTRY, Check, CheckContext, Registry
from imrassist.letter import read_letter
from imrassist.models import KINDS, Finding

from tests.test_checks_helpers import REPO, SEED


@pytest.fixture(scope="module")
def seed_letter():
    return read_letter(SEED)


def test_builtin_checks_are_well_formed():
    checks = list_checks()
    names = [c.name for c in checks]
    assert len(names) == len(set(names))
    builtin = [c for c in checks if c.name.split(".")[0] in ("record", "letter", "explanation")]
    assert len(builtin) >= 20
    for c in builtin:
        assert c.kind in KINDS
        assert set(c.targets) <= {"record", "letter", "explanation"} and c.targets
        assert c.code.isupper() and c.code.startswith(c.name.split(".")[0].upper())
        assert c.severity, f"{c.name} documents no severity rule"
    kinds = {c.kind for c in builtin}
    assert kinds == set(KINDS), f"kinds without a check: {set(KINDS) - kinds}"


def test_findings_carry_their_check_and_prefix(seed_letter):
    report = check(seed_letter, explanation="You were hurt at work on March 3, 2001. You are a 90-year-old woman.")
    by_name = {c.name: c for c in list_checks()}
    assert report.findings
    for f in report.findings:
        assert f.check in by_name
        assert f.code.startswith(by_name[f.check].code)
        assert f.kind == by_name[f.check].kind


def test_report_is_sorted_and_deduplicated(seed_letter):
    report = check(seed_letter, explanation="Hurt at work on March 3, 2001. Hurt at work on March 3, 2001.")
    order = {"error": 0, "warning": 1, "info": 2}
    sev = [order[f.severity] for f in report.findings]
    assert sev == sorted(sev)
    assert report.summary.error == sum(1 for f in report.findings if f.severity == "error")
    f = Finding(code="X_Y", kind="date", severity="error", field="f", message="m", span=(1, 2))
    g = Finding(code="X_Y", kind="date", severity="warning", field="f", message="m", span=(0, 1))
    assert finalize([f, f, g]) == [f, g]


def test_targets_follow_what_is_given(seed_letter):
    only_expl = check(seed_letter, explanation="PUSH therapy: approved.")
    assert all(f.check and f.check.startswith("explanation.") for f in only_expl.findings)
    nothing = check(seed_letter)  # the letter itself and the record extracted from it
    assert all(not (f.check or "").startswith("explanation.") for f in nothing.findings)


def test_registry_rejects_bad_checks():
    reg = Registry(entry_point_group=None)
    with pytest.raises(ValueError):
        reg.register("x.bad", code="X", kind="nonsense", targets=("record",))(lambda ctx, emit: ())
    with pytest.raises(ValueError):
        reg.register("x.bad", code="X", kind="date", targets=("nowhere",))(lambda ctx, emit: ())
    reg.register("x.ok", code="X_OK", kind="date", targets=("record",))(lambda ctx, emit: ())
    with pytest.raises(ValueError):
        reg.register("x.ok", code="X_OK", kind="date", targets=("record",))(lambda ctx, emit: ())


def test_a_crashing_check_becomes_one_warning(seed_letter):
    reg = Registry(entry_point_group=None)

    @reg.register("x.crash", code="X_CRASH", kind="count", targets=("explanation",), severity="never")
    def crash(ctx, emit):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    report = check(seed_letter, explanation="text", registry=reg)
    assert [(f.code, f.severity, f.found) for f in report.findings] == [("CHECKS_CHECK_FAILED", "warning", "x.crash")]
    with pytest.raises(RuntimeError):
        check(seed_letter, explanation="text", registry=reg, strict=True)


def _write_plugin(root, *, broken: bool = False) -> None:
    pkg = root / "imr_demo_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent(
        '''
        from imrassist.checks.registry import Check, register


        @register("demo.shouting", code="DEMO_SHOUTING", kind="readability", targets=("explanation",),
                  severity="warning when a third of the letters are capitals")
        def shouting(ctx, emit):
            text = ctx.explanation or ""
            letters = [c for c in text if c.isalpha()]
            if letters and sum(c.isupper() for c in letters) * 3 > len(letters):
                yield emit("CAPS", "warning", "explanation", "the explanation shouts")


        class CaseNumberCheck(Check):
            name = "demo.case_number"
            code = "DEMO_CASE"
            kind = "missing"
            targets = ("record",)
            severity = "info when the record has no case number"

            def run(self, ctx):
                if ctx.record is not None and ctx.record.letter.case_number is None:
                    yield self.finding("NONE", "info", "letter.case_number", "no case number")
        '''))
    dist = root / "imr_demo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: imr-demo-plugin\nVersion: 0.1\n")
    eps = "[imrassist.checks]\nshouting = imr_demo_plugin:shouting\ncase_number = imr_demo_plugin:CaseNumberCheck\n"
    if broken:
        eps += "broken = imr_missing_module_xyz:check\nnot_a_check = imr_demo_plugin:Check.finding\n"
    (dist / "entry_points.txt").write_text(eps)


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    def install(broken: bool = False):
        _write_plugin(tmp_path, broken=broken)
        monkeypatch.syspath_prepend(str(tmp_path))
        REGISTRY.load_plugins(force=True)
        return tmp_path

    yield install
    sys.modules.pop("imr_demo_plugin", None)
    for name in ("demo.shouting", "demo.case_number"):
        REGISTRY.remove(name)
    monkeypatch.undo()
    REGISTRY.load_plugins(force=True)


def test_plugin_checks_run_and_report(installed_plugin, seed_letter):
    installed_plugin()
    assert REGISTRY.is_plugin("demo.shouting") and REGISTRY.is_plugin("demo.case_number")
    report = check(seed_letter, explanation="PUSH THERAPY: APPROVED. YOU MAY APPEAL.")
    shout = [f for f in report.findings if f.check == "demo.shouting"]
    assert [(f.code, f.kind, f.severity) for f in shout] == [("DEMO_SHOUTING_CAPS", "readability", "warning")]
    report = check(seed_letter)  # the seed letter has no case number
    assert any(f.code == "DEMO_CASE_NONE" for f in report.findings)
    assert not any(f.code.startswith("CHECKS_") for f in report.findings)


def test_broken_plugin_is_one_warning_not_a_crash(installed_plugin, seed_letter):
    installed_plugin(broken=True)
    report = check(seed_letter, explanation="PUSH therapy: approved.")
    broken = [f for f in report.findings if f.code == "CHECKS_PLUGIN_BROKEN"]
    assert len(broken) == 2 and all(f.severity == "warning" for f in broken)
    assert any("imr_missing_module_xyz" in f.message for f in broken)
    assert "demo.shouting" in REGISTRY.names()  # the good entry points of the package still load
    assert not [f for f in report.findings if f.check == "demo.shouting"]  # this explanation does not shout


def test_check_context_memo(seed_letter):
    from imrassist.checks import reference_record

    ctx = CheckContext(letter=seed_letter, reference=reference_record(seed_letter))
    calls = []
    assert ctx.memo("k", lambda: calls.append(1) or 5) == 5
    assert ctx.memo("k", lambda: calls.append(1) or 6) == 5
    assert calls == [1]
    assert ctx.facts is ctx.facts


def test_checks_never_import_the_llm_stack():
    code = textwrap.dedent(
        f"""
        import sys
        from imrassist.letter import read_letter
        from imrassist.checks import check
        from imrassist.evals import mutate
        letter = read_letter({str(SEED)!r})
        check(letter, explanation="PUSH therapy: approved. You may appeal to the WCAB within 30 days.")
        check(letter)
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("openai", "instructor") or m.startswith("imrassist.llm"))
        print(",".join(bad))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_base_check_class_validates():
    class NoName(Check):
        kind = "date"
        targets = ("record",)

    with pytest.raises(ValueError):
        NoName().validate()
