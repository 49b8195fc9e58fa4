"""The self-contained HTML report (imrassist.report.html).

Unit tests (no browser): the page is one file with no external URL, letter text is escaped, overlapping
spans make well-formed HTML. Browser tests (marked ``browser``): the page in the system Chromium through
Playwright: a highlight for every item's treatment, tooltips on focus, a finding's link scrolls its span into
view, tabs. Screenshots go to artifacts/screenshots/ (gitignored). Skipped, with the reason, when
/usr/bin/chromium is absent (CI installs it).
"""

from __future__ import annotations

import importlib.util
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from imrassist.explain import explain, summarize
from imrassist.extract import extract
from imrassist.letter import letter_from_text, read_letter
from imrassist.models import Finding, FindingsReport
from imrassist.pipeline import Analysis
from imrassist.report.html import render_analysis_html, value_annotations
from tests.shared_data import REPO, SAMPLE, SHARED

CHROMIUM = os.environ.get("IMRASSIST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = REPO / "artifacts" / "screenshots"
BIG = SHARED / "letters" / "CM17-0014449.txt"  # the largest sample letter: 15 items

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason=f"{CHROMIUM} is absent (apt-get install -y chromium; CI installs it)")


def _analysis(letter):  # type: ignore[no-untyped-def]
    """The pipeline's Analysis when the checks exist, else one built by hand; plus synthetic findings so
    that there is always a finding with a letter span, one with an explanation span and one with none."""
    if importlib.util.find_spec("imrassist.checks") is not None:
        from imrassist.pipeline import analyze_letter

        a = analyze_letter(letter)
    else:
        record = extract(letter)
        expl = explain(record)
        a = Analysis(source=letter.source, record=record, explanation=expl.text,
                     explanation_meta=expl.model_dump(exclude={"text"}), summary=summarize(record),
                     findings=FindingsReport.build(letter.source, []))
    last = a.record.items[-1].treatment.evidence
    inj = a.record.dates.injury.evidence if a.record.dates.injury else last
    at = a.explanation.find("30 days")
    extra = [
        Finding(code="SYNTHETIC_LAST_ITEM", kind="treatment", severity="warning", field="items",
                message="synthetic finding on the last item's treatment", span=(last.start, last.end)),
        Finding(code="SYNTHETIC_DATE", kind="date", severity="error", field="dates.injury",
                message="synthetic finding on the date of injury", found="1/1/2000", expected="the letter's date",
                span=(inj.start, inj.end), explanation_span=(at, at + 7) if at >= 0 else None),
        Finding(code="SYNTHETIC_NOWHERE", kind="missing", severity="info", field="explanation",
                message="synthetic finding with no place in the letter"),
    ]
    return a.model_copy(update={"findings": FindingsReport.build(a.findings.letter, list(a.findings.findings) + extra)})


class _WellFormed(HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


# ------------------------------------------------------------------------------------------ no browser


def test_page_is_self_contained_and_well_formed() -> None:
    letter = read_letter(SAMPLE)
    page = render_analysis_html(_analysis(letter), letter)
    assert page.startswith("<!doctype html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I), "an external URL"
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "@import" not in page
    assert "default-src 'none'" in page
    parser = _WellFormed()
    parser.feed(page)
    assert not parser.errors, parser.errors[:5]
    assert parser.stack == [], parser.stack


def test_letter_text_is_escaped() -> None:
    hostile = SAMPLE.read_text() + '\n<script>alert("x")</script><img src=x onerror=alert(1)> & "q" </mark></pre>\n'
    letter = letter_from_text(hostile, "hostile.txt")
    page = render_analysis_html(_analysis(letter), letter)
    assert '<script>alert("x")' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in page or "&lt;script&gt;alert(&quot;x&quot;)" in page
    assert page.count("<script") == 2  # the JSON data and the page's own script


def test_overlapping_spans_are_split_not_crossed() -> None:
    letter = read_letter(SAMPLE)
    a = _analysis(letter)
    it = a.record.items[0]
    t = it.treatment.evidence
    # a finding that starts inside the treatment and ends after it: crosses the value spans
    crossing = Finding(code="CROSS", kind="treatment", severity="error", field="x", message="crosses",
                       span=(t.start + 2, t.end + 12))
    a = a.model_copy(update={"findings": FindingsReport.build(None, list(a.findings.findings) + [crossing])})
    page = render_analysis_html(a, letter)
    parser = _WellFormed()
    parser.feed(page)
    assert not parser.errors
    # every character of the letter is still there, in order, once the tags are removed
    body = re.search(r'<div id="letter" class="letter" tabindex="-1">(.*?)</div>', page, re.S).group(1)
    import html as _html

    text = _html.unescape(re.sub(r"<[^>]+>", "", body))
    assert text == letter.original


def test_wrapped_lines_reflow_and_the_text_stays_whole() -> None:
    """Soft line breaks are wrapped for the page to reflow; removing the tags gives the letter back."""
    import html as _html

    letter = read_letter(SAMPLE)
    page = render_analysis_html(_analysis(letter), letter)
    body = re.search(r'<div id="letter" class="letter" tabindex="-1">(.*?)</div>', page, re.S).group(1)
    softs = re.findall(r'<span class="soft">(.*?)</span>', body, re.S)
    assert len(softs) >= 5 and all(not _html.unescape(x).strip() for x in softs)
    assert _html.unescape(re.sub(r"<[^>]+>", "", body)) == letter.original
    assert ".letter .soft { white-space: normal; }" in page


def test_every_value_has_a_highlight() -> None:
    letter = read_letter(SAMPLE)
    a = _analysis(letter)
    page = render_analysis_html(a, letter)
    for ann in value_annotations(a.record, len(letter.original)):
        assert re.search(rf'data-anns="(?:[^"]* )?{ann.id}(?: [^"]*)?"', page), ann.label


# ------------------------------------------------------------------------------------------ browser


def _letters() -> list[Path]:
    return [SAMPLE] + ([BIG] if BIG.exists() else [])


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _in_viewport(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
             const r = el.getBoundingClientRect();
             return r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth; }""",
        selector)


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("path", _letters(), ids=lambda p: p.stem)
def test_report_in_chromium(browser, tmp_path: Path, path: Path) -> None:  # type: ignore[no-untyped-def]
    letter = read_letter(path)
    a = _analysis(letter)
    target = tmp_path / f"{path.stem}.html"
    target.write_text(render_analysis_html(a, letter), encoding="utf-8")
    anns = value_annotations(a.record, len(letter.original))

    context = browser.new_context(viewport={"width": 1366, "height": 700})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: requests.append(req.url))
    page.goto(target.as_uri())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-{path.stem}-desktop.png"))

    # a highlight for every item's treatment
    for i, _ in enumerate(a.record.items):
        ann = next(x for x in anns if x.field == f"items.{i}.treatment")
        assert page.locator(f'mark[data-anns~="{ann.id}"]').count() >= 1, f"no highlight for item {i + 1}"

    # hover/focus shows the field and its value
    first = page.locator("#letter mark[tabindex='0']").first
    first.focus()
    assert page.locator("#tip").is_visible()
    assert page.locator("#tip dt").first.inner_text().strip()

    # a finding's link scrolls its span into view and flashes it
    fid = next(f for f in page.locator("[data-goto^='f']").all() if "Show in letter" in f.inner_text())
    goto = fid.get_attribute("data-goto")
    page.evaluate("window.scrollTo(0, 0)")
    fid.click()
    page.wait_for_function(
        """(id) => { const el = document.querySelector(`mark[data-anns~="${id}"]`); if (!el) return false;
             const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        arg=goto, timeout=5000)
    assert _in_viewport(page, f'mark[data-anns~="{goto}"]')
    assert page.locator(f'mark[data-anns~="{goto}"].flash').count() >= 1
    page.screenshot(path=str(SHOTS / f"report-{path.stem}-finding.png"))

    # the outcome chips link to the items
    chip = page.locator(".chip a").last
    chip.click()
    last = next(x for x in anns if x.field == f"items.{len(a.record.items) - 1}.treatment")
    page.wait_for_function(
        """(id) => { const el = document.querySelector(`mark[data-anns~="${id}"]`);
             const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        arg=last.id, timeout=5000)

    # tabs: explanation and summary; a finding shown in the explanation
    page.click("#tab-explanation")
    assert page.locator("#panel-explanation").is_visible() and not page.locator("#panel-findings").is_visible()
    assert "Workers' Compensation Appeals Board" in page.locator("#panel-explanation").inner_text()
    page.screenshot(path=str(SHOTS / f"report-{path.stem}-explanation.png"))
    page.click("#tab-summary")
    assert "IMR summary" in page.locator("#panel-summary").inner_text()
    page.screenshot(path=str(SHOTS / f"report-{path.stem}-summary.png"))
    page.click("#tab-findings")
    expl_link = page.locator("[data-tab='explanation']").first
    if expl_link.count():
        expl_link.click()
        assert page.locator("#panel-explanation").is_visible()
        eid = expl_link.get_attribute("data-goto")
        page.wait_for_function(
            """(id) => { const el = document.querySelector(`mark[data-anns~="${id}"]`); if (!el) return false;
                 const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }""",
            arg=eid, timeout=5000)

    # keyboard: arrow keys move between tabs
    page.focus("#tab-explanation")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-summary").get_attribute("aria-selected") == "true"

    # phone
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                device_scale_factor=2)
    ppage = phone.new_page()
    ppage.goto(target.as_uri())
    width = ppage.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone ({width}px)"
    ppage.screenshot(path=str(SHOTS / f"report-{path.stem}-phone.png"))
    phone.close()

    assert not errors, errors
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
    context.close()
