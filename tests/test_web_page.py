"""The web page in the system Chromium through Playwright, against a real uvicorn server.

Upload the sample letter, see the outcome, edit the explanation to a wrong date and see a ``date`` finding
appear with its letter span highlighted. Screenshots go to artifacts/screenshots/ (desktop and phone).
Skipped, with the reason, only when /usr/bin/chromium is absent (CI installs it: .ci/run).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.test_service_server import ROOT, SAMPLE, LiveServer

CHROMIUM = os.environ.get("IMRASSIST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server():
    with LiveServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _page(browser, server, viewport, **ctx):
    context = browser.new_context(viewport=viewport, **ctx)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/")
    return context, page, errors


def _shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def _wait_checked(page, which: str = "explanation") -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"#{which}-state")).to_have_text(re.compile("^Checked"), timeout=30_000)


def _open_sample(page) -> None:
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_selector("#results:not([hidden])", timeout=30_000)
    _wait_checked(page)


def test_upload_outcome_edit_date_finding(browser, server) -> None:
    from playwright.sync_api import expect

    context, page, errors = _page(browser, server, DESKTOP)
    try:
        _shot(page, "desktop-0-start.png")
        _open_sample(page)
        expect(page.locator("#items")).to_contain_text("Overturned")
        expect(page.locator("#items")).to_contain_text("approved")
        expect(page.locator("#items")).to_contain_text("PUSH THERAPY")
        # every extracted value is highlighted in the letter; focus shows the field and the value
        marks = page.locator("#letter mark.ev")
        assert marks.count() >= 10
        page.locator("#letter mark[tabindex]").first.focus()
        expect(page.locator("#tip")).to_be_visible()
        assert page.locator("#tip").inner_text().strip()
        expect(page.locator("#explanation-findings")).to_contain_text("No problems found")
        # the letter reflows: lines the PDF wrapped read as one paragraph, and no character is lost
        soft = page.locator("#letter span.soft")
        assert soft.count() >= 5
        assert soft.first.evaluate("el => getComputedStyle(el).whiteSpace") == "normal"
        shown = page.locator("#letter").evaluate("el => el.textContent")
        assert shown == SAMPLE.read_text(encoding="utf-8").replace("\f", "")
        _shot(page, "desktop-1-analyzed.png")

        text = page.locator("#explanation-text").input_value()
        assert "October 19, 2012" in text
        page.locator("#explanation-text").fill(text.replace("October 19, 2012", "October 29, 2012"))
        finding = page.locator('#explanation-findings [data-kind="date"]')
        expect(finding.first).to_be_visible(timeout=15_000)
        expect(finding.first).to_contain_text("October 29, 2012")
        # the letter span of the finding is highlighted; clicking the finding scrolls to it and flashes it
        fid = finding.first.get_attribute("data-finding")
        span = page.locator(f'#letter mark[data-f~="{fid}"]')
        assert span.count() >= 1
        assert "October 19, 2012" in "".join(span.all_inner_texts())
        finding.first.click()
        expect(span.first).to_have_class(re.compile(r"\bflash\b"))
        expect(page.locator("#announcer")).to_contain_text("new finding")
        _shot(page, "desktop-2-date-finding.png", full_page=False)
        _shot(page, "desktop-2-date-finding-full.png")

        # fix it again: the finding goes away
        page.locator("#explanation-text").fill(text)
        expect(page.locator('#explanation-findings [data-kind="date"]')).to_have_count(0, timeout=15_000)
        assert not errors, errors
    finally:
        context.close()


def test_spanish_toggle_summary_copy_and_summary_check(browser, server) -> None:
    from playwright.sync_api import expect

    context, page, errors = _page(browser, server, DESKTOP)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        _open_sample(page)
        page.locator('label[for="lang-es"]').click()
        expect(page.locator("#explanation-text")).to_have_value(re.compile("decisión"), timeout=15_000)
        _wait_checked(page)
        expect(page.locator("#explanation-findings")).to_contain_text("No problems found")
        _shot(page, "desktop-3-spanish.png", full_page=False)
        page.locator('label[for="lang-en"]').click()
        expect(page.locator("#explanation-text")).to_have_value(re.compile("Your Independent Medical Review"))

        summary = page.locator("#summary-text").input_value()
        assert "PUSH THERAPY" in summary
        page.locator("#copy-summary").click()
        expect(page.locator("#copy-status")).to_contain_text("copied")
        assert page.evaluate("navigator.clipboard.readText()") == summary
        # the summary is re-checked as it is edited
        page.locator("#summary-text").fill(summary.replace("p. 60", "p. 61"))
        expect(page.locator('#summary-findings [data-kind="page"]').first).to_be_visible(timeout=15_000)
        assert not errors, errors
    finally:
        context.close()


def test_phone_layout(browser, server) -> None:
    from playwright.sync_api import expect

    context, page, errors = _page(browser, server, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        _shot(page, "phone-0-start.png")
        _open_sample(page)
        expect(page.locator("#items")).to_contain_text("Overturned")
        # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        _shot(page, "phone-1-analyzed.png")
        text = page.locator("#explanation-text").input_value()
        page.locator("#explanation-text").fill(text.replace("October 19, 2012", "October 29, 2012"))
        expect(page.locator('#explanation-findings [data-kind="date"]').first).to_be_visible(timeout=15_000)
        page.locator("#explanation-findings").scroll_into_view_if_needed()
        _shot(page, "phone-2-date-finding.png", full_page=False)
        assert not errors, errors
    finally:
        context.close()


def test_bad_input_message_and_escaping(browser, server) -> None:
    from playwright.sync_api import expect

    context, page, errors = _page(browser, server, DESKTOP)
    try:
        page.locator("#paste").fill("Dear customer, thank you for your order.")
        page.locator("#analyze").click()
        expect(page.locator("#input-error")).to_contain_text("not an IMR determination letter")
        _shot(page, "desktop-4-error.png", full_page=False)
        # letter text is untrusted: markup in it is shown as text, never run
        hostile = SAMPLE.read_text(encoding="utf-8").replace(
            "The injured worker", '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> The injured worker')
        page.locator("#paste").fill(hostile)
        page.locator("#analyze").click()
        page.wait_for_selector("#results:not([hidden])")
        expect(page.locator("#letter")).to_contain_text('<img src=x onerror="window.pwned=1">')
        assert page.locator("#letter img, #letter script").count() == 0
        assert page.evaluate("window.pwned") is None
        assert not [e for e in errors if "pwned" in e]
    finally:
        context.close()


def test_accessibility_basics(browser, server) -> None:
    from playwright.sync_api import expect

    context, page, errors = _page(browser, server, DESKTOP)
    try:
        # keyboard: the skip link first, then the file chooser, with a visible focus ring
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "file"
        assert page.evaluate("getComputedStyle(document.querySelector('.file-label')).outlineStyle") != "none"
        _open_sample(page)
        # every form control has a label; landmarks exist; no inline styles (the CSP forbids them)
        unlabeled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id)""")
        assert unlabeled == []
        for sel in ("header[role=banner]", "main", "footer[role=contentinfo]", "[aria-live]"):
            assert page.locator(sel).count() >= 1, sel
        assert page.evaluate("[...document.querySelectorAll('[style]')].every(el => el.id === 'tip')")
        # the evidence marks and the findings are keyboard-reachable
        assert page.locator("#letter mark[tabindex='0']").count() >= 5
        # once a letter is open the form folds away; "Open another letter" unfolds it (aria-expanded)
        change = page.locator("#change-letter")
        expect(page.locator("#letter-form")).to_be_hidden()
        change.focus()
        page.keyboard.press("Enter")
        expect(change).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#letter-form")).to_be_visible()
        assert page.evaluate("document.activeElement.id") == "file"
        assert not errors, errors
    finally:
        context.close()
