"""The page `qa serve` shows at /, driven in a real headless browser (Debian's chromium through
Playwright): ask, watch the answer arrive, click a citation, and the highlighted span in the source
is exactly the quote. Extractive (`--model none`): fast, no LLM."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import ROOT
from test_serve import Q, call, start_server, stop

CHROMIUM = os.environ.get("QA_TEST_CHROMIUM", "/usr/bin/chromium")  # `apt-get install chromium` (.ci/run does)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOT = os.environ.get("QA_TEST_SCREENSHOT")  # read before the fixtures clear QA_*: where to keep the screenshot (docs/page.png)


def test_page_asks_streams_cites_and_follows_up(seeded: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    proc, url = start_server()
    try:
        expected = call(url, "/v1/ask", {"question": Q})[1]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            page.goto(url + "/")
            expect(page.locator("#collection option")).to_have_count(1)

            page.fill("#question", Q)
            page.click("#ask")
            answer = page.locator(".turn").nth(0).locator(".answer")
            expect(answer).to_be_visible()
            assert answer.locator(".text").inner_text().strip() == expected["answer"].strip()
            assert page.locator(".turn .draft").count() == 0  # the streamed draft gave way to the answer

            first = expected["citations"][0]
            answer.locator("a.cite").first.click()
            mark = page.locator("#source-text mark")
            expect(mark).to_have_text(first["quote"])
            on_disk = Path(first["source"]).read_text(encoding="utf-8")
            assert on_disk[first["start"] : first["end"]] == mark.inner_text() == first["quote"]
            assert f"chars {first['start']}-{first['end']}" in page.inner_text("#source-head")

            # A follow-up is rewritten from the conversation (the server's Conversation, as `qa chat`)
            page.fill("#question", "Which Russian deputy foreign minister visited Pyongyang?")
            page.click("#ask")
            expect(page.locator(".turn").nth(1).locator(".answer")).to_be_visible()
            page.fill("#question", "What did he discuss there?")
            page.click("#ask")
            third = page.locator(".turn").nth(2)
            expect(third.locator(".answer")).to_be_visible()
            expect(third.locator(".standalone")).to_contain_text("deputy foreign minister")  # the first turn travelled with it

            # An abstention says so, and why
            page.click("#new")
            page.fill("#question", "What is Kim Jong-un's favourite food?")
            page.click("#ask")
            abstained = page.locator(".answer.abstained")
            expect(abstained).to_be_visible()
            expect(abstained.locator(".reason")).to_contain_text("Abstained")

            # Dropped sentences, when the answer carries them, are listed on request
            page.evaluate("""() => render(document.querySelector('.turn'), {answer: 'A [1].', abstained: false, mode: 'generated',
                reason: '', citations: [], dropped: [{text: 'Kim flew to Moscow.', reason: 'not stated by its quote'}]})""")
            dropped = page.locator("ul.dropped").last
            expect(dropped).to_be_hidden()
            page.check("#show-dropped")
            expect(dropped).to_contain_text("Kim flew to Moscow.")
            expect(dropped).to_contain_text("not stated by its quote")
            page.evaluate("() => document.querySelector('ul.dropped:last-of-type').parentElement.remove()")

            # the screenshot the README shows: an answer and its quote in context
            page.click("#new")
            page.fill("#question", Q)
            page.click("#ask")
            expect(page.locator(".answer")).to_be_visible()
            page.locator("a.cite").first.click()
            expect(page.locator("#source-text mark")).to_have_text(first["quote"])
            shot = Path(SHOT or tmp_path / "page.png")
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            assert not errors, errors
            browser.close()
    finally:
        stop(proc)
