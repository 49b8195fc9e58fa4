"""Reports of an eval run: a terminal table (rich), and a self-contained HTML page.

The JSON report is the run itself (:meth:`imrassist.evals.run.EvalRun.dump_json`). Everything here reads
an :class:`~imrassist.evals.run.EvalRun` (and the check benchmark's dict in ``run.checks``) and computes
nothing that is not already in it, so a saved run renders the same report later.
"""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .score import FIELD_NAMES, FieldCounts, LetterScore

if TYPE_CHECKING:  # pragma: no cover
    from .run import EvalRun

__all__ = ["print_terminal_report", "render_html", "worst_letters", "write_html_report"]


def _pct(x: float) -> str:
    return f"{x:.4f}"


def _n(c: FieldCounts) -> int:
    return c.tp + c.fp + c.fn


def worst_letters(run: "EvalRun", limit: int = 5) -> list[LetterScore]:
    """Letters with errors, lowest F1 first (ties: most errors first), at most ``limit``."""
    bad = [ls for ls in run.score.letters if ls.overall.fp or ls.overall.fn]
    bad.sort(key=lambda ls: (ls.overall.f1, -(ls.overall.fp + ls.overall.fn), ls.name))
    return bad[:limit]


def _mismatch_text(m: Any, width: int = 60) -> str:
    def short(v: Any) -> str:
        s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
        return s if len(s) <= width else s[: width - 1] + "…"

    where = ""  # 1-based, like the letters' own issue numbers
    if m.item_index is not None:
        where = f"[item {m.item_index + 1}]"
    elif m.pred_item_index is not None:
        where = f"[extra item {m.pred_item_index + 1}]"
    if m.error == "missing":
        return f"{m.field}{where} missing (gold {short(m.gold)})"
    if m.error == "hallucinated":
        return f"{m.field}{where} hallucinated ({short(m.pred)})"
    return f"{m.field}{where} wrong: gold {short(m.gold)} / got {short(m.pred)}"


# ------------------------------------------------------------------------------------------- terminal


def _console() -> Any:
    from rich.console import Console

    # markup=False: letter names, values and messages contain brackets ("[item 2]") that are text, not styles.
    if sys.stdout.isatty():
        return Console(highlight=False, markup=False)
    return Console(highlight=False, markup=False, width=max(120, int(os.environ.get("COLUMNS", "0") or 0)), color_system=None,
                   soft_wrap=False)


def print_terminal_report(run: "EvalRun", console: Any = None) -> None:
    from rich.table import Table

    con = console or _console()
    m = run.meta
    o = run.score.overall
    sha = f" @ {m.git_sha[:10]}{'+dirty' if m.git_dirty else ''}" if m.git_sha else ""
    con.print(f"imrassist eval {m.suite_path}  ({m.letters} letters, {m.input}, backend {m.backend}"
              f"{', model ' + m.model if m.model else ''}; imrassist {m.imrassist_version}{sha})")
    if m.rescored_at:
        con.print(f"re-scored from saved predictions at {m.rescored_at} (run made {m.started_at})")
    con.print(f"micro F1 {_pct(o.f1)}  P {_pct(o.precision)}  R {_pct(o.recall)}   "
              f"tp {o.tp}  fp {o.fp}  fn {o.fn}  (missing {o.missing}, hallucinated {o.hallucinated}, wrong {o.wrong})",
              style="bold")
    u = m.usage
    if u.letters_with_usage:
        cost = f", cost ${u.cost_usd:.4f}" if u.cost_usd is not None else ""
        con.print(f"tokens {u.total_tokens} (prompt {u.prompt_tokens}, completion {u.completion_tokens}), "
                  f"requests {u.requests}, cache hits {u.cache_hits}, model latency {u.latency_s:.2f}s{cost}")
    con.print(f"wall time {m.wall_s:.2f}s")

    base = {d.field: d for d in run.baseline.fields} if run.baseline else {}
    t = Table(title="Per field", title_justify="left", show_lines=False, pad_edge=False)
    for col, just in (("field", "left"), ("gold", "right"), ("pred", "right"), ("tp", "right"), ("P", "right"),
                      ("R", "right"), ("F1", "right"), ("miss", "right"), ("hall", "right"), ("wrong", "right")):
        t.add_column(col, justify=just, no_wrap=True)
    if run.baseline:
        t.add_column("base F1", justify="right", no_wrap=True)
        t.add_column("delta", justify="right", no_wrap=True)
    regressed = {r.field for r in run.baseline.regressions} if run.baseline else set()
    names = list(FIELD_NAMES) + sorted(set(run.score.per_field) - set(FIELD_NAMES))
    for name in names:
        c = run.score.per_field.get(name, FieldCounts())
        empty = _n(c) == 0
        cells = [name, str(c.tp + c.fn), str(c.tp + c.fp), str(c.tp),
                 "-" if empty else f"{c.precision:.3f}", "-" if empty else f"{c.recall:.3f}",
                 "-" if empty else f"{c.f1:.3f}", str(c.missing), str(c.hallucinated), str(c.wrong)]
        if run.baseline:
            d = base.get(name)
            if d is None or (d.before_n == 0 and d.after_n == 0):
                cells += ["-", ""]
            else:
                mark = " !" if name in regressed else ""
                cells += [f"{d.before_f1:.3f}", f"{d.delta:+.3f}{mark}"]
        style = "dim" if empty else ("bold red" if name in regressed else ("yellow" if c.fp or c.fn else None))
        t.add_row(*cells, style=style)
    total = [
        "ALL (micro)", str(o.tp + o.fn), str(o.tp + o.fp), str(o.tp), f"{o.precision:.3f}", f"{o.recall:.3f}",
        f"{o.f1:.3f}", str(o.missing), str(o.hallucinated), str(o.wrong),
    ]
    if run.baseline:
        total += [f"{run.baseline.overall.before_f1:.3f}",
                  f"{run.baseline.overall.delta:+.3f}{' !' if 'overall' in regressed else ''}"]
    t.add_row(*total, style="bold")
    con.print(t)

    failed = [lr for lr in run.letters if not lr.ok]
    if failed:
        ft = Table(title=f"Letters that failed ({len(failed)}; all their gold fields count as missing)",
                   title_justify="left")
        ft.add_column("letter", no_wrap=True)
        ft.add_column("reason", no_wrap=True)
        ft.add_column("message")
        for lr in failed:
            err = lr.error or {}
            ft.add_row(lr.name, err.get("reason", ""), err.get("message", ""))
        con.print(ft)

    worst = worst_letters(run, 5)
    if worst:
        wt = Table(title="Worst letters", title_justify="left")
        for col in ("letter", "F1", "fp", "fn", "first errors"):
            wt.add_column(col, no_wrap=col != "first errors", justify="right" if col in ("F1", "fp", "fn") else "left")
        for ls in worst:
            first = "; ".join(_mismatch_text(mm, 40) for mm in ls.mismatches[:3])
            more = f" (+{len(ls.mismatches) - 3} more)" if len(ls.mismatches) > 3 else ""
            wt.add_row(ls.name, f"{ls.overall.f1:.3f}", str(ls.overall.fp), str(ls.overall.fn), first + more)
        con.print(wt)
    else:
        con.print("Worst letters: none (every letter scores 1.0)")

    notes = [lr for lr in run.letters if lr.note]
    for lr in notes:
        con.print(f"note: {lr.name}: {lr.note}")
    if m.unscored_letters:
        con.print(f"note: {len(m.unscored_letters)} letter file(s) without gold were not scored: "
                  + ", ".join(m.unscored_letters[:6]) + (" ..." if len(m.unscored_letters) > 6 else ""))

    if run.baseline:
        b = run.baseline
        bm = b.baseline_meta
        desc = ", ".join(f"{k} {bm[k]}" for k in ("backend", "model", "git_sha", "started_at") if bm.get(k))
        con.print(f"Baseline {b.baseline}{' (' + desc + ')' if desc else ''}: micro F1 {b.overall.before_f1:.4f} -> "
                  f"{b.overall.after_f1:.4f} ({b.overall.delta:+.4f}); tolerance {b.tolerance:g}")
        for note in b.notes:
            con.print(f"  note: {note}")
        if b.regressions:
            for r in b.regressions:
                con.print(f"  REGRESSION {r.field}: {r.baseline_f1:.4f} -> {r.current_f1:.4f} (-{r.drop:.4f})",
                          style="bold red")
        else:
            con.print("  no field regressed beyond the tolerance")
        moved = [d for d in b.letters if abs(d.delta) > 1e-9]
        for d in sorted(moved, key=lambda d: d.delta)[:8]:
            con.print(f"  letter {d.field}: {d.before_f1:.3f} -> {d.after_f1:.3f} ({d.delta:+.3f})")

    if run.checks is not None:
        print_checks_report(run.checks, con)


def print_checks_report(checks: dict[str, Any], console: Any = None) -> None:
    """The check benchmark's tables (see :mod:`imrassist.evals.checkbench`)."""
    from rich.table import Table

    con = console or _console()
    con.print(f"Check benchmark: {checks.get('summary_line', '')}", style="bold")
    for note in checks.get("notes") or []:
        con.print(f"  note: {note}")
    for title, key in (("Planted errors by mutation class", "classes"), ("Planted errors by expected kind", "kinds")):
        rows = checks.get(key) or []
        if not rows:
            continue
        t = Table(title=title, title_justify="left")
        for col in (key[:-2] if key == "classes" else "kind", "cases", "caught", "catch rate", "right kind",
                    "kind acc.", "records", "explanations"):
            t.add_column(col, justify="left" if col in ("class", "kind") else "right", no_wrap=True)
        for r in rows:
            zero = r["cases"] == 0
            t.add_row(r["name"], str(r["cases"]), str(r["caught"]), "ERROR: no cases" if zero else f"{r['catch_rate']:.3f}",
                      str(r["kind_correct"]), "-" if zero else f"{r['kind_accuracy']:.3f}",
                      str(r.get("record_cases", 0)), str(r.get("explanation_cases", 0)),
                      style="bold red" if zero else ("yellow" if r["catch_rate"] < 0.95 else None))
        con.print(t)
    fa = checks.get("false_alarms") or []
    if fa:
        t = Table(title="False alarms (error findings on inputs that should be clean)", title_justify="left")
        for col in ("input", "cases", "false alarms", "rate"):
            t.add_column(col, justify="left" if col == "input" else "right", no_wrap=True)
        for r in fa:
            t.add_row(r["name"], str(r["cases"]), str(r["alarms"]), "-" if not r["cases"] else f"{r['rate']:.3f}")
        con.print(t)
    hand = checks.get("handwritten")
    if hand:
        con.print(f"Hand-written explanations ({hand.get('manifest')}): {hand.get('summary_line', '')}")
        for r in (hand.get("failures") or [])[:12]:
            con.print(f"  fail: {r['file']} expected {r['expect']}{'/' + r['kind'] if r.get('kind') else ''}: {r['got']}")
    for mm in (checks.get("examples") or {}).get("missed", [])[:8]:
        con.print(f"  missed: {mm}")
    for mm in (checks.get("examples") or {}).get("false_alarms", [])[:8]:
        con.print(f"  false alarm: {mm}")
    for p in checks.get("problems") or []:
        con.print(f"ERROR {p}", style="bold red")


# ----------------------------------------------------------------------------------------------- HTML

_CSS = """
:root { --ok: #2e7d32; --warn: #ed6c02; --bad: #c62828; --muted: #6b7280; --bar: #e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827;
       background: #f9fafb; }
header { background: #1f2937; color: #f9fafb; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .sub { color: #d1d5db; font-size: 13px; }
main { padding: 16px 24px 48px; max-width: 1200px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; margin: 16px 0; }
h2 { font-size: 16px; margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .v { font-size: 24px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f0f0f0; vertical-align: top; }
th { font-weight: 600; color: #374151; background: #f9fafb; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.empty td { color: #9ca3af; }
tr.regressed td { background: #fdecea; }
.bar { position: relative; background: var(--bar); height: 14px; border-radius: 3px; min-width: 180px; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.bar > i { position: absolute; top: -2px; bottom: -2px; width: 2px; background: #111827; }
.f-ok { background: var(--ok); } .f-warn { background: var(--warn); } .f-bad { background: var(--bad); }
.delta-neg { color: var(--bad); font-weight: 600; } .delta-pos { color: var(--ok); }
.err { color: var(--bad); } .muted { color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
details pre { white-space: pre-wrap; font: 12px ui-monospace, monospace; background: #f3f4f6; padding: 8px; }
ul.mm { margin: 0; padding-left: 18px; } ul.mm li { font-size: 12px; }
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _f1_class(f1: float) -> str:
    return "f-ok" if f1 >= 0.98 else ("f-warn" if f1 >= 0.9 else "f-bad")


def _bar(value: float, marker: float | None = None) -> str:
    pct = max(0.0, min(1.0, value)) * 100
    mark = f'<i style="left:{max(0.0, min(1.0, marker)) * 100:.1f}%" title="baseline {marker:.3f}"></i>' if marker is not None else ""
    return f'<div class="bar" title="{value:.4f}"><span class="{_f1_class(value)}" style="width:{pct:.1f}%"></span>{mark}</div>'


def _href(target: Path, report_dir: Path) -> str:
    try:
        rel = os.path.relpath(target.resolve(), report_dir.resolve())
    except ValueError:  # another drive (Windows)
        return target.resolve().as_uri()
    return quote(rel.replace(os.sep, "/"))


def _letter_files(run: "EvalRun") -> dict[str, str]:
    """name -> the letter file: what the run read, else (a re-scored or hand-made run) the suite's file."""
    files = {c.name: str(c.letter) for c in (run.suite.cases if run.suite else []) if c.letter is not None}
    files.update({lr.name: lr.source for lr in run.letters if lr.source})
    return files


def _analysis_pages(run: "EvalRun", names: list[str], report_path: Path) -> dict[str, str]:
    """Write analyze pages for ``names`` next to the report; returns name -> href. Falls back to the letter."""
    report_dir = report_path.parent
    links: dict[str, str] = {}
    sources = _letter_files(run)
    render = None
    try:
        from ..report.html import render_analysis_html as render  # type: ignore[no-redef]
        from ..pipeline import analyze_letter
    except Exception:  # noqa: BLE001 - the page renderer is optional; link to the letter instead
        render = None
    pages_dir = report_dir / f"{report_path.stem}_letters"
    for name in names:
        src = sources.get(name)
        if render is not None and src and name in run.records:
            try:
                from ..files import atomic_write
                from ..letter import read_letter

                letter = read_letter(src)
                analysis = analyze_letter(letter, record=run.records[name])
                target = pages_dir / f"{name}.html"
                atomic_write(target, render(analysis, letter))
                links[name] = _href(target, report_dir)
                continue
            except Exception:  # noqa: BLE001 - a page that cannot be made falls back to the letter file
                pass
        if src and Path(src).exists():
            links[name] = _href(Path(src), report_dir)
    return links


def render_html(run: "EvalRun", links: dict[str, str] | None = None) -> str:
    links = links or {}
    m = run.meta
    o = run.score.overall
    parts: list[str] = []
    add = parts.append
    add("<!doctype html><html lang='en'><head><meta charset='utf-8'>")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    add(f"<title>imrassist eval: {_e(m.suite_name)} F1 {o.f1:.4f}</title><style>{_CSS}</style></head><body>")
    sha = f" @ {m.git_sha[:10]}{'+dirty' if m.git_dirty else ''}" if m.git_sha else ""
    add(f"<header><h1>imrassist eval: {_e(m.suite_name)}</h1><div class='sub'>{_e(m.suite_path)} &middot; "
        f"{m.letters} letters &middot; {_e(m.input)} &middot; backend {_e(m.backend)}"
        f"{' &middot; model ' + _e(m.model) if m.model else ''} &middot; imrassist {_e(m.imrassist_version)}{_e(sha)}"
        f" &middot; {_e(m.started_at)}</div></header><main>")

    failed = [lr for lr in run.letters if not lr.ok]
    cards = [("micro F1", f"{o.f1:.4f}"), ("precision", f"{o.precision:.4f}"), ("recall", f"{o.recall:.4f}"),
             ("fields (gold)", str(o.tp + o.fn)), ("missing", str(o.missing)), ("hallucinated", str(o.hallucinated)),
             ("wrong", str(o.wrong)), ("failed letters", str(len(failed)))]
    if run.baseline:
        cards.insert(1, ("baseline F1", f"{run.baseline.overall.before_f1:.4f} ({run.baseline.overall.delta:+.4f})"))
    if m.usage.letters_with_usage:
        cards += [("tokens", str(m.usage.total_tokens)), ("cache hits", str(m.usage.cache_hits))]
        if m.usage.cost_usd is not None:
            cards.append(("cost", f"${m.usage.cost_usd:.4f}"))
    add("<section><div class='cards'>" + "".join(
        f"<div class='card'><div class='k'>{_e(k)}</div><div class='v'>{_e(v)}</div></div>" for k, v in cards)
        + "</div>")
    for p in run.problems:
        add(f"<p class='err'><b>FAIL</b> {_e(p)}</p>")
    add("</section>")

    # Per-field bars.
    base = {d.field: d for d in run.baseline.fields} if run.baseline else {}
    regressed = {r.field for r in run.baseline.regressions} if run.baseline else set()
    add("<section id='fields'><h2>Per field</h2><table><thead><tr><th>field</th><th>F1</th>"
        "<th class='num'>F1</th><th class='num'>P</th><th class='num'>R</th><th class='num'>gold</th>"
        "<th class='num'>pred</th><th class='num'>missing</th><th class='num'>halluc.</th><th class='num'>wrong</th>"
        + ("<th class='num'>baseline</th><th class='num'>delta</th>" if run.baseline else "") + "</tr></thead><tbody>")
    names = list(FIELD_NAMES) + sorted(set(run.score.per_field) - set(FIELD_NAMES))
    for name in names:
        c = run.score.per_field.get(name, FieldCounts())
        empty = _n(c) == 0
        d = base.get(name)
        cls = "empty" if empty else ("regressed" if name in regressed else "")
        marker = d.before_f1 if d is not None and d.before_n else None
        row = (f"<tr class='{cls}' data-field='{_e(name)}'><td><code>{_e(name)}</code></td>"
               f"<td>{'' if empty else _bar(c.f1, marker)}</td>"
               f"<td class='num'>{'-' if empty else f'{c.f1:.3f}'}</td>"
               f"<td class='num'>{'-' if empty else f'{c.precision:.3f}'}</td>"
               f"<td class='num'>{'-' if empty else f'{c.recall:.3f}'}</td>"
               f"<td class='num'>{c.tp + c.fn}</td><td class='num'>{c.tp + c.fp}</td>"
               f"<td class='num'>{c.missing}</td><td class='num'>{c.hallucinated}</td><td class='num'>{c.wrong}</td>")
        if run.baseline:
            if d is None or (d.before_n == 0 and d.after_n == 0):
                row += "<td class='num'>-</td><td class='num'></td>"
            else:
                dc = "delta-neg" if d.delta < -1e-9 else ("delta-pos" if d.delta > 1e-9 else "")
                row += f"<td class='num'>{d.before_f1:.3f}</td><td class='num {dc}'>{d.delta:+.3f}</td>"
        add(row + "</tr>")
    add("</tbody></table></section>")

    # Worst letters, linked.
    worst = worst_letters(run, 10)
    add("<section id='worst'><h2>Worst letters</h2>")
    if not worst:
        add("<p>Every letter scores 1.0.</p>")
    else:
        add("<table><thead><tr><th>letter</th><th>F1</th><th class='num'>F1</th><th class='num'>fp</th>"
            "<th class='num'>fn</th><th>errors</th></tr></thead><tbody>")
        for ls in worst:
            href = links.get(ls.name)
            label = f"<a href='{_e(href)}'>{_e(ls.name)}</a>" if href else _e(ls.name)
            mms = "".join(f"<li>{_e(_mismatch_text(mm, 80))}</li>" for mm in ls.mismatches[:8])
            if len(ls.mismatches) > 8:
                mms += f"<li class='muted'>+{len(ls.mismatches) - 8} more</li>"
            add(f"<tr class='worst'><td>{label}</td><td>{_bar(ls.overall.f1)}</td><td class='num'>{ls.overall.f1:.3f}</td>"
                f"<td class='num'>{ls.overall.fp}</td><td class='num'>{ls.overall.fn}</td><td><ul class='mm'>{mms}</ul></td></tr>")
        add("</tbody></table>")
    add("</section>")

    if failed:
        add("<section id='failed'><h2>Letters that failed</h2><table><thead><tr><th>letter</th><th>reason</th>"
            "<th>message</th></tr></thead><tbody>")
        for lr in failed:
            err = lr.error or {}
            add(f"<tr><td>{_e(lr.name)}</td><td>{_e(err.get('reason'))}</td><td>{_e(err.get('message'))}</td></tr>")
        add("</tbody></table></section>")

    # All letters.
    add("<section id='letters'><h2>All letters</h2><table><thead><tr><th>letter</th><th>F1</th><th class='num'>F1</th>"
        "<th class='num'>P</th><th class='num'>R</th><th class='num'>fields</th><th class='num'>seconds</th></tr></thead><tbody>")
    secs = {lr.name: lr.seconds for lr in run.letters}
    for ls in run.score.letters:
        c = ls.overall
        href = links.get(ls.name)
        label = f"<a href='{_e(href)}'>{_e(ls.name)}</a>" if href else _e(ls.name)
        add(f"<tr><td>{label}</td><td>{_bar(c.f1)}</td><td class='num'>{c.f1:.3f}</td><td class='num'>{c.precision:.3f}</td>"
            f"<td class='num'>{c.recall:.3f}</td><td class='num'>{c.tp + c.fn}</td><td class='num'>{secs.get(ls.name, 0):.3f}</td></tr>")
    add("</tbody></table></section>")

    if run.baseline:
        b = run.baseline
        add(f"<section id='baseline'><h2>Baseline</h2><p><code>{_e(b.baseline)}</code>: micro F1 {b.overall.before_f1:.4f}"
            f" &rarr; {b.overall.after_f1:.4f} ({b.overall.delta:+.4f}), tolerance {b.tolerance:g}</p>")
        for n in b.notes:
            add(f"<p class='muted'>{_e(n)}</p>")
        if b.regressions:
            add("<ul>" + "".join(f"<li class='err'>{_e(r.field)}: {r.baseline_f1:.4f} &rarr; {r.current_f1:.4f}</li>"
                                 for r in b.regressions) + "</ul>")
        else:
            add("<p>No field regressed beyond the tolerance.</p>")
        add("</section>")

    if run.checks is not None:
        add(_checks_html(run.checks))

    add("<section><details><summary>Run metadata</summary><pre>"
        + _e(json.dumps(run.meta.model_dump(mode="json"), indent=2, ensure_ascii=False)) + "</pre></details></section>")
    add("</main></body></html>")
    return "\n".join(parts)


def _checks_html(checks: dict[str, Any]) -> str:
    out = [f"<section id='checks'><h2>Check benchmark</h2><p>{_e(checks.get('summary_line', ''))}</p>"]
    for p in checks.get("problems") or []:
        out.append(f"<p class='err'><b>ERROR</b> {_e(p)}</p>")
    for title, key in (("By mutation class", "classes"), ("By expected kind", "kinds")):
        rows = checks.get(key) or []
        if not rows:
            continue
        out.append(f"<h3>{_e(title)}</h3><table><thead><tr><th>{'class' if key == 'classes' else 'kind'}</th>"
                   "<th>catch rate</th><th class='num'>cases</th><th class='num'>caught</th><th class='num'>rate</th>"
                   "<th class='num'>right kind</th><th class='num'>kind acc.</th></tr></thead><tbody>")
        for r in rows:
            if r["cases"] == 0:
                out.append(f"<tr class='regressed'><td>{_e(r['name'])}</td><td class='err'>ERROR: no cases</td>"
                           "<td class='num'>0</td><td></td><td></td><td></td><td></td></tr>")
                continue
            out.append(f"<tr><td>{_e(r['name'])}</td><td>{_bar(r['catch_rate'])}</td><td class='num'>{r['cases']}</td>"
                       f"<td class='num'>{r['caught']}</td><td class='num'>{r['catch_rate']:.3f}</td>"
                       f"<td class='num'>{r['kind_correct']}</td><td class='num'>{r['kind_accuracy']:.3f}</td></tr>")
        out.append("</tbody></table>")
    fa = checks.get("false_alarms") or []
    if fa:
        out.append("<h3>False alarms</h3><table><thead><tr><th>input</th><th class='num'>cases</th>"
                   "<th class='num'>alarms</th><th class='num'>rate</th></tr></thead><tbody>")
        for r in fa:
            out.append(f"<tr><td>{_e(r['name'])}</td><td class='num'>{r['cases']}</td><td class='num'>{r['alarms']}</td>"
                       f"<td class='num'>{'-' if not r['cases'] else format(r['rate'], '.3f')}</td></tr>")
        out.append("</tbody></table>")
    hand = checks.get("handwritten")
    if hand:
        out.append(f"<h3>Hand-written explanations</h3><p>{_e(hand.get('summary_line', ''))}</p>")
        fails = hand.get("failures") or []
        if fails:
            out.append("<ul>" + "".join(f"<li>{_e(r['file'])}: expected {_e(r['expect'])} {_e(r.get('kind') or '')}; "
                                        f"got {_e(r['got'])}</li>" for r in fails) + "</ul>")
    out.append("</section>")
    return "".join(out)


def write_html_report(run: "EvalRun", path: Path, *, pages: int = 10) -> Path:
    """Write the HTML report and, next to it, analyze pages for the worst letters."""
    from ..files import atomic_write

    names = [ls.name for ls in worst_letters(run, pages)]
    links = _analysis_pages(run, names, path)
    # Every other letter links to its file, so each row of the report leads somewhere.
    for name, src in _letter_files(run).items():
        if name not in links and Path(src).exists():
            links[name] = _href(Path(src), path.parent)
    atomic_write(path, render_html(run, links))
    return path
