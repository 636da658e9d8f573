"""The web chat in a real browser: Debian's chromium, driven by Playwright, against `botless serve`.

Each test starts `botless serve` (a subprocess, mono or pipeline) and a headless chromium,
so they are slow. They skip only where /usr/bin/chromium is absent (.ci/install installs
it: `apt-get install chromium`); `playwright install` is never run. The screenshot of the
keyboard test is kept in the test's tmp folder (its path is printed); docs/web-chat.png
is a copy of it.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.servers import free_port
from tests.services import Service, _listening, service_fixture

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
THREE_TYPES = ["botless.chat.message", "botless.bot.command.define", "botless.bot.response"]
# Where each test keeps its screenshot; the keyboard test's is the README's docs/web-chat.png.
SCREENSHOT = "web-chat.png"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (.ci/install: apt-get install chromium)")


@service_fixture(params=["mono", "pipeline"])  # botless serve, per test
def served(request, tmp_path):
    port = free_port()
    secrets = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "TELEGRAM_BOT_TOKEN",
               "BOTLESS_INGRESS_TOKEN")
    env = {name: value for name, value in os.environ.items() if name not in secrets}
    env.update(BOTLESS_ENTRY_POINTS="0", BOTLESS_DEDUPE="memory")
    command = [sys.executable, "-m", "functions.local.cli", "serve", "--port", str(port),
               "--topology", request.param, "--log-level", "WARNING"]
    service = Service("botless serve", command, tmp_path / "serve.log", _listening(port),
                      cwd=Path(__file__).parents[2])
    try:
        yield f"http://127.0.0.1:{port}", request.param
    finally:
        service.stop()


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def send(page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Escape")  # close the command list, if open, so Enter sends
    page.keyboard.press("Enter")


def test_define_by_keyboard_shows_the_reply_and_its_three_events_in_order(served, browser, tmp_path):
    url, topology = served
    page = browser.new_page(viewport={"width": 1100, "height": 1040})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(url)
    box = page.get_by_role("combobox", name="Message")
    sync_api.expect(box).to_be_focused()

    # The autocomplete, by keyboard: "/de", down to the first command, Tab completes it.
    page.keyboard.type("/de")
    options = page.get_by_role("listbox", name="Commands").get_by_role("option")
    sync_api.expect(options).to_have_count(1)
    sync_api.expect(options.first).to_contain_text("/define <term>")
    sync_api.expect(options.first).to_contain_text("Define a cloud-native term")
    page.keyboard.press("ArrowDown")
    sync_api.expect(options.first).to_have_attribute("aria-selected", "true")
    sync_api.expect(box).to_have_attribute("aria-activedescendant", "command-define")
    page.keyboard.press("Tab")
    sync_api.expect(box).to_have_value("/define ")
    page.keyboard.type("crd")
    page.keyboard.press("Enter")

    exchange = page.locator(".exchange").nth(0)
    sync_api.expect(exchange.locator(".bubble.bot")).to_contain_text("CRD stands for Custom Resource Definition")
    sync_api.expect(exchange.locator(".bubble.bot strong")).to_have_text("CRD")
    sync_api.expect(exchange.locator(".event-type")).to_have_text(THREE_TYPES)
    functions = ["mono → parse", "mono → command", "mono → respond"] if topology == "mono" else \
        ["parse", "command", "respond"]
    roles = [head.locator(".chip").first.inner_text() for head in exchange.locator(".event-head").all()]
    assert roles == functions
    sync_api.expect(exchange.locator(".event dd").filter(has_text="api").first).to_be_visible()
    sync_api.expect(exchange.get_by_role("region")).to_have_accessible_name(
        "3 CloudEvents, in one function, mono" if topology == "mono" else "3 CloudEvents, in 3 functions")

    # A typo is answered with the close name; the box has the focus back for the next line.
    sync_api.expect(box).to_be_focused()
    send(page, "/defin crd")
    typo = page.locator(".exchange").nth(1)
    sync_api.expect(typo.locator(".bubble.bot")).to_contain_text("Did you mean")
    sync_api.expect(typo.locator(".bubble.bot code")).to_have_text(["/defin", "define"])
    sync_api.expect(typo.locator(".event-type")).to_have_text(["botless.chat.message", "botless.bot.response"])

    # Up recalls what was sent.
    page.keyboard.press("ArrowUp")
    sync_api.expect(box).to_have_value("/defin crd")
    assert problems == []

    screenshot = tmp_path / SCREENSHOT
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    print(f"web chat screenshot ({topology}): {screenshot}")
    if topology == "mono" and os.environ.get("BOTLESS_WEB_CHAT_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["BOTLESS_WEB_CHAT_SCREENSHOT"])  # how docs/web-chat.png is made


def test_on_a_phone_the_trace_sits_below_the_message_without_sideways_scrolling(served, browser, tmp_path):
    url, _ = served
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(url)
    send(page, "/define crd")
    exchange = page.locator(".exchange").nth(0)
    sync_api.expect(exchange.locator(".event-type")).to_have_count(3)
    message, trace = exchange.locator(".messages").bounding_box(), exchange.locator(".trace").bounding_box()
    assert trace["y"] >= message["y"] + message["height"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A tap on a suggestion completes it too.
    page.get_by_role("combobox", name="Message").fill("")
    page.keyboard.type("/fl")
    page.get_by_role("option").filter(has_text="/flip").tap()
    sync_api.expect(page.get_by_role("combobox", name="Message")).to_have_value("/flip ")
    page.screenshot(path=str(tmp_path / SCREENSHOT), full_page=True)
