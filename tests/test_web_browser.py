"""The web chat in a real browser: Debian's headless Chromium driven by Selenium through chromium-driver.

The whole path a person takes, as `python -m bot run` serves it with WEB_PORT set (the Telegram bot against the
stand-in Bot API, the warm line in a supporters' forum group, the web chat over the same runtime): open, choose
a door, search with a typo, ask for a person, a supporter takes the card and replies from the group, the reply
reaches the page; then Quick exit. With JavaScript on (live updates, Esc leaving no history entry) and off (the
same path by form posts, the reply after a reload). Every step waits on a condition, never a sleep. The servers
run in their own thread and event loop, since Selenium's calls block.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import opening_hours
import pytest
from botapi import BotApiServer
from botapi.server import supporter_takes, topic_names
from running import FLOWS, RESOURCES
from webchat import MovableClock

from bot.channels.telegram import serving as telegram
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.warmline import Warmline
from bot.channels.web import server as web_server
from bot.channels.web.app import WebChat
from bot.content.loader import Content
from bot.settings import Settings
from bot.warmline.rules import WarmlineText, load_warmline

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or not Path(DRIVER).exists(),
        reason="Chromium is not installed here (apt-get install -y chromium chromium-driver; .ci/run installs it)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 20.0  # generous: the suite may run on a loaded 2-core machine
GROUP = -100500  # the supporters' forum group
SAM = {"id": 501, "is_bot": False, "first_name": "Samantha", "username": "sam_real_name"}


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
    """`python -m bot run` with WEB_PORT set, in a thread of its own: the Telegram bot (against the stand-in Bot
    API, with the warm line in a supporters' group) and the web chat over its one runtime. `call` runs a
    coroutine on its loop (the stand-in server and the bot live there)."""

    def __init__(self, data_dir: Path, content: Content, exit_url: str) -> None:
        self.clock = MovableClock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.chat: WebChat | None = None
        self.botapi = BotApiServer()
        text, problems = load_warmline(FLOWS / "warmline.yaml")
        assert text is not None, [str(p) for p in problems]
        self.words = dataclasses.replace(text, hours="24/7", schedule=opening_hours.OpeningHours("24/7"))

        def started(chat: WebChat) -> None:
            self.chat = chat
            self.ready.set()

        async def main() -> None:
            self.stop = asyncio.Event()
            await self.botapi.start()
            settings = Settings(
                token=self.botapi.token,
                base_url=self.botapi.base_url,
                data_dir=data_dir,
                rate_limit=0,
                flows_dir=FLOWS,
                resources_dir=RESOURCES,
                warmline_chat_ids=(GROUP,),
                extra={"WEB_PORT": "0", "WEB_EXIT_URL": exit_url},
            )
            edge = Edge(settings, content, Warmline(self.words, per_minute=0, tick=0), clock=self.clock)
            side = web_server.beside(settings, warm_line=True, started=started)
            try:
                await telegram.serve(settings, stop=self.stop, poll_timeout=1, read_timeout=2.0, edge=edge, beside=side)
            finally:
                await self.botapi.close()

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        assert self.ready.wait(WAIT), "the web chat did not start"
        assert self.chat is not None
        self.url = f"http://127.0.0.1:{self.chat.address[1]}"

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT)

    def on_duty(self) -> None:
        """Sam, a supporter, says /onduty in the group."""

        async def go() -> None:
            self.botapi.group(GROUP).send("/onduty", from_user=SAM)
            await self.botapi.wait_for(lambda: bool(self.botapi.messages(GROUP)), WAIT)

        self.call(go())

    def take_and_reply(self, words: str) -> str:
        """Sam takes the web person's card and writes `words` in their topic; returns the topic's name."""

        async def go() -> str:
            thread = await supporter_takes(self.botapi, GROUP, SAM, WAIT)
            self.botapi.group(GROUP).send(words, from_user=SAM, thread_id=thread)
            return topic_names(self.botapi, GROUP)[-1]

        name: str = self.call(go())
        return name

    def topic_has(self, words: str) -> None:
        """Wait until the bot has posted `words` in the supporters' group (a person's message relayed)."""
        self.call(
            self.botapi.wait_for(lambda: any(words in m.get("text", "") for m in self.botapi.messages(GROUP)), WAIT)
        )

    def topic_ended(self) -> None:
        """Wait until the person's topic is closed or deleted (after Quick exit, as after /forget)."""
        api = self.botapi
        self.call(api.wait_for(lambda: bool(api.calls_to("closeForumTopic") or api.calls_to("deleteForumTopic")), WAIT))

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


def last_line(driver: Any) -> int:
    """The number of the newest line on the page (the log's data-last), 0 when there is no log."""
    found = driver.find_elements(By.ID, "log")
    return int(found[0].get_attribute("data-last") or 0) if found else 0


def answered(driver: Any, act: Callable[[], None], *, javascript: bool) -> None:
    """Do `act` (a tap, Enter in the write box) and wait until the page shows the answer, so nothing after it
    reads the page being replaced. With JavaScript on the script merges new lines into the page: wait for the
    log's newest line number to grow. Off, the browser loads a new page: wait until the old document is gone
    (its <html> element stale), then until the new one has its log. (Reading while a form post was still
    navigating is what made the JavaScript-off path flaky on a loaded machine: the old page answered, or the
    document went away under a call.)"""
    if javascript:
        before = last_line(driver)
        act()
        WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: last_line(d) > before, message="the page got no new line"
        )
        return
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(driver, WAIT).until(lambda d: gone(old), message="the form post did not load a new page")
    WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_elements(By.ID, "log") or d.find_elements(By.ID, "notice"), message="no page"
    )


def gone(element: Any) -> bool:
    """The element's document has been replaced (a page load finished committing)."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException:  # mid-navigation the old document may not answer at all: not gone yet
        return False
    return False


def button(driver: Any, label_start: str) -> Any:
    """The first button on the page whose label starts so (once it is there)."""

    def found(d: Any) -> Any:
        for candidate in d.find_elements(By.CSS_SELECTOR, "#choices button"):
            if candidate.text.startswith(label_start):
                return candidate
        return False

    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        found, message=f"no button {label_start!r}"
    )


def tap(driver: Any, label_start: str, *, javascript: bool) -> None:
    """Tap the first button whose label starts with `label_start`, and wait for the answer."""
    chosen = button(driver, label_start)
    answered(driver, chosen.click, javascript=javascript)


def write(driver: Any, text: str, *, javascript: bool) -> None:
    """Type `text` in the write box and press Enter, and wait for the answer."""
    box = driver.find_element(By.ID, "text")
    answered(driver, lambda: box.send_keys(text, Keys.ENTER), javascript=javascript)


def path_to_a_person(driver: Any, content: Content, words: WarmlineText, *, javascript: bool) -> None:
    """Open, choose a door, type a search with a typo, ask for a person: what a person would do. The person is
    then in line for the warm line (the supporters' group)."""
    start = content.flows.nodes[content.flows.entry("start")]
    menu = content.flows.nodes[content.flows.entry("menu")]
    wait_for_line(driver, start.say.get("en", "en").split("\n")[0][:30])
    tap(driver, start.options[0].label.get("en", "en"), javascript=javascript)  # "Show me the options"
    wait_for_line(driver, menu.say.get("en", "en")[:30])
    tap(driver, "A safe place tonight", javascript=javascript)  # a door, as a button
    tonight = content.flows.node(menu.options[1].go)
    assert tonight is not None
    wait_for_line(driver, tonight.say.get("en", "en")[:30])
    write(driver, "legl help", javascript=javascript)  # typed, with a typo
    wait_for_line(driver, "Legal Aid Alberta")
    if javascript:  # the script keeps the focus in the write box for the next message
        assert driver.switch_to.active_element.get_attribute("id") == "text"
    tap(driver, "💬", javascript=javascript)
    tap(driver, "Yes, connect me", javascript=javascript)
    wait_for_line(driver, words.say("queued", "en", position="X", wait="Y").split("X")[0])  # a place in line


def supporter_replies(site: Site, driver: Any, *, javascript: bool) -> None:
    """Sam takes the card and writes in the topic: the topic is named for a web guest in English, and the
    reply reaches the page: live with JavaScript, after a reload without it."""
    name = site.take_and_reply("Hi, I'm Sam. I'm here with you.")
    assert re.fullmatch(r"Guest [0-9A-F]{3} · web · en.*", name), name
    assert site.chat is not None
    (chat,) = list(site.chat.chats)
    if not javascript:  # wait on the server's own rows, then "Check for new messages" (a link: a new page)
        site.call(wait_until(lambda: any("I'm Sam" in line.text for line in chat.lines)))
        answered(driver, driver.find_element(By.CSS_SELECTOR, "#check button").click, javascript=False)
    wait_for_line(driver, "Hi, I'm Sam. I'm here with you.")
    said = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#log li.supporter")]
    assert any("Hi, I'm Sam" in text for text in said), said  # shown as the peer supporter's, not the bot's
    write(driver, "thank you, I need a bed", javascript=javascript)  # and the person's words reach the topic
    site.topic_has("thank you, I need a bed")


async def wait_until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110  # the web chat's rows have no event to wait on
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), WAIT)


def test_with_javascript_the_path_is_live_and_quick_exit_leaves_no_history(
    site: Site, content: Content, neutral: str
) -> None:
    """Choose a door, search with a typo, ask for a person; a supporter's reply and the quiet-time warning
    arrive without a reload (server-sent events); Esc replaces the page with the neutral site, and Back does
    not return to the chat."""
    site.on_duty()
    driver = browser(javascript=True)
    try:
        driver.get(site.url + "/?lang=en")
        entries = driver.execute_script("return history.length")
        path_to_a_person(driver, content, site.words, javascript=True)
        supporter_replies(site, driver, javascript=True)
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
        site.topic_ended()  # Quick exit ends the person's warm-line topic too
        assert driver.execute_script("return document.cookie") == ""  # HttpOnly: never visible to scripts
    finally:
        driver.quit()


def test_without_javascript_the_same_path_works_by_form_posts(site: Site, content: Content, neutral: str) -> None:
    """With JavaScript off, every step is a form post and a new page, and a supporter's reply is there after a
    reload; Quick exit is a link that erases the chat and goes to the neutral site."""
    site.on_duty()
    driver = browser(javascript=False)
    try:
        driver.get(site.url + "/?lang=en")
        path_to_a_person(driver, content, site.words, javascript=False)
        supporter_replies(site, driver, javascript=False)
        assert site.chat is not None
        (chat,) = list(site.chat.chats)
        old = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.ID, "exit").click()
        WebDriverWait(driver, WAIT).until(lambda d: gone(old) and d.current_url == neutral)
        assert site.call(site.chat.turns.store.load_session(chat.person)) is None
        site.topic_ended()
        old = driver.find_element(By.TAG_NAME, "html")
        driver.back()  # the chat page was never cached: it is asked for again and is a fresh start
        WebDriverWait(driver, WAIT).until(lambda d: gone(old) and d.current_url.startswith(site.url))
        wait_for_line(driver, content.flows.nodes[content.flows.entry("start")].say.get("en", "en")[:30])
        assert "Legal Aid Alberta" not in driver.page_source
        assert "I'm Sam" not in driver.page_source
    finally:
        driver.quit()
