"""The web chat in a real browser: Debian's headless Chromium driven by Selenium through chromium-driver.

The whole path a person takes, with JavaScript on (live updates, Quick exit by Esc leaving no history entry)
and off (the same path by form posts). The server runs in its own thread and event loop, since Selenium's
calls block.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from running import FLOWS, RESOURCES
from webchat import MovableClock

from bot.channels.web.app import WebChat
from bot.channels.web.config import WebSettings
from bot.channels.web.server import serve
from bot.content.loader import Content
from bot.settings import Settings

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or not Path(DRIVER).exists(),
        reason="Chromium is not installed here (apt-get install -y chromium chromium-driver; .ci/run installs it)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402  # after the skip
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 20.0  # generous: the suite may run on a loaded 2-core machine


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Weather</title><p>Sunny, -5</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def neutral() -> Iterator[str]:
    """A stand-in for the neutral site Quick exit goes to (a weather page), on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    server.shutdown()
    server.server_close()


class Site:
    """The web chat served by uvicorn in a thread of its own; `call` runs a coroutine on its loop."""

    def __init__(self, data_dir: Path, content: Content, exit_url: str) -> None:
        self.clock = MovableClock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.chat: WebChat | None = None
        settings = Settings(data_dir=data_dir, flows_dir=FLOWS, resources_dir=RESOURCES)
        web = replace(WebSettings(exit_url=exit_url), port=0)

        def started(chat: WebChat) -> None:
            self.chat = chat
            self.ready.set()

        async def main() -> None:
            self.stop = asyncio.Event()
            await serve(settings, stop=self.stop, content=content, clock=self.clock, web=web, started=started)

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        assert self.ready.wait(WAIT), "the web chat did not start"
        assert self.chat is not None
        self.url = f"http://127.0.0.1:{self.chat.address[1]}"

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(WAIT)
        self.loop.close()


@pytest.fixture
def site(tmp_path: Path, content: Content, neutral: str) -> Iterator[Site]:
    served = Site(tmp_path / "data", content, neutral)
    yield served
    served.close()


def browser(*, javascript: bool) -> Any:
    """Headless Chromium from Debian, with the flags this machine needs and a fresh profile."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=420,900",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='webchat-chromium-')}")
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def lines(driver: Any) -> list[str]:
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#log li")]


def wait_for_line(driver: Any, words: str) -> None:
    WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(words in text for text in lines(d)), message=f"no line with {words!r}"
    )


def tap(driver: Any, label_start: str) -> None:
    """Tap the first button whose label starts so, once it is on the page (the script swaps the buttons
    when the answer arrives, so an element found a moment earlier may be gone)."""

    def tapped(d: Any) -> bool:
        for button in d.find_elements(By.CSS_SELECTOR, "#choices button"):
            if button.text.startswith(label_start):
                button.click()
                return True
        return False

    WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        tapped, message=f"no button {label_start!r}"
    )


def path_to_a_person(driver: Any, content: Content, *, javascript: bool) -> None:
    """Open, choose a door, type a search with a typo, ask for a person: what a person would do."""
    start = content.flows.nodes[content.flows.entry("start")]
    menu = content.flows.nodes[content.flows.entry("menu")]
    wait_for_line(driver, start.say.get("en", "en").split("\n")[0][:30])
    tap(driver, start.options[0].label.get("en", "en"))  # "Show me the options"
    wait_for_line(driver, menu.say.get("en", "en")[:30])
    tap(driver, "A safe place tonight")  # a door, as a button
    tonight = content.flows.node(menu.options[1].go)
    assert tonight is not None
    wait_for_line(driver, tonight.say.get("en", "en")[:30])
    box = driver.find_element(By.ID, "text")
    box.send_keys("legl help", Keys.ENTER)  # typed, with a typo
    wait_for_line(driver, "Legal Aid Alberta")
    if javascript:  # the script keeps the focus in the write box for the next message
        assert driver.switch_to.active_element.get_attribute("id") == "text"
    tap(driver, "💬")
    tap(driver, "Yes, connect me")
    wait_for_line(driver, content.text("web_warmline_telegram", "en")[:40])
    assert not any("finding someone for you" in text for text in lines(driver))


def test_with_javascript_the_path_is_live_and_quick_exit_leaves_no_history(
    site: Site, content: Content, neutral: str
) -> None:
    """Choose a door, search with a typo, ask for a person; the quiet-time warning arrives without a reload
    (server-sent events); Esc replaces the page with the neutral site, and Back does not return to the chat."""
    driver = browser(javascript=True)
    try:
        driver.get(site.url + "/?lang=en")
        entries = driver.execute_script("return history.length")
        path_to_a_person(driver, content, javascript=True)
        fetched = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert fetched, "the page fetched its script and stylesheet"
        assert all(url.startswith(site.url) for url in fetched)  # nothing from any other site
        assert driver.execute_script("return history.length") == entries  # posts by fetch: no new entries
        assert site.chat is not None
        (chat,) = list(site.chat.chats)
        site.clock.move(minutes=15)
        site.call(site.chat.sweep())
        wait_for_line(driver, content.text("web_quiet_warning", "en")[:40])  # live, no reload
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        WebDriverWait(driver, WAIT).until(lambda d: d.current_url == neutral)
        assert driver.execute_script("return history.length") == entries  # replaced, not added
        driver.back()
        assert not driver.current_url.startswith(site.url)
        WebDriverWait(driver, WAIT).until(lambda d: len(site.chat.chats) == 0 if site.chat else False)
        assert site.call(site.chat.turns.store.load_session(chat.person)) is None
        assert driver.execute_script("return document.cookie") == ""  # HttpOnly: never visible to scripts
    finally:
        driver.quit()


def test_without_javascript_the_same_path_works_by_form_posts(site: Site, content: Content, neutral: str) -> None:
    """With JavaScript off, every step is a form post and a new page; Quick exit is a link that erases the
    chat and goes to the neutral site."""
    driver = browser(javascript=False)
    try:
        driver.get(site.url + "/?lang=en")
        assert driver.execute_script is not None
        path_to_a_person(driver, content, javascript=False)
        assert site.chat is not None
        (chat,) = list(site.chat.chats)
        driver.find_element(By.ID, "exit").click()
        WebDriverWait(driver, WAIT).until(lambda d: d.current_url == neutral)
        assert site.call(site.chat.turns.store.load_session(chat.person)) is None
        driver.back()  # the chat page was never cached: it is asked for again and is a fresh start
        assert "Legal Aid Alberta" not in driver.page_source
    finally:
        driver.quit()
