"""The web chat over HTTP (no browser): headers, the cookie, escaping, tokens, limits, quiet time, erase."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import opening_hours
import pytest
from botapi import BotApiServer
from botapi.server import supporter_takes, topic_names
from running import FLOWS, FRIDAY_AFTERNOON, RESOURCES, ticking_from
from webchat import EXIT, client, forms, open_web, say, tap

from bot.channels.telegram import serving as telegram
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.warmline import Warmline
from bot.channels.web import server as web_server
from bot.channels.web.app import CSP, WebChat, is_https
from bot.channels.web.chats import Chat, Chats, quiet_state
from bot.channels.web.config import WebSettings
from bot.channels.web.sender import WebSender
from bot.channels.web.turns import event_for
from bot.content.loader import Content
from bot.conversation.engine import advance
from bot.core.types import Event, Reply, Session
from bot.runtime.flood import FloodGate
from bot.runtime.ports import Outgoing, SendOutcome
from bot.settings import Settings, SettingsError
from bot.warmline.rules import load_warmline

GROUP = -100500  # the supporters' forum group
SAM = {"id": 501, "is_bot": False, "first_name": "Samantha", "username": "sam_real_name"}


@pytest.mark.parametrize("path", ["/", "/static/chat.js", "/static/chat.css", "/nowhere", "/exit"])
async def test_every_response_has_the_security_headers(tmp_path: Path, content: Content, path: str) -> None:
    """Pages, static files, redirects and errors alike are never cached, framed or sent with a referrer, and
    allow scripts only from this site."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        response = await http.get(path)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP
    assert "script-src 'self'" in CSP
    assert "default-src 'none'" in CSP
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS promise


async def test_pages_have_no_inline_script_or_third_party_address(tmp_path: Path, content: Content) -> None:
    """The page loads its one script and stylesheet from this site and nothing from anywhere else."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        html = (await http.get("/")).text
    assert '<script src="/static/chat.js" defer></script>' in html
    assert html.count("<script") == 1
    assert '<form id="check" class="check" method="post" action="/say">' in html  # without the script: look again
    assert "style=" not in html
    assert "onclick" not in html
    assert 'src="http' not in html
    assert 'href="http' not in html.replace(f'data-exit="{EXIT}"', "")


async def test_the_one_cookie_is_httponly_strict_and_ends_with_the_browser(tmp_path: Path, content: Content) -> None:
    """Over plain HTTP the cookie is HttpOnly and SameSite=Strict, with no expiry (a session cookie)."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        response = await http.get("/")
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1
    flags = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert "secure" not in flags
    assert not any(f.startswith(("expires", "max-age")) for f in flags)


@pytest.mark.parametrize(
    ("base", "forwarded", "trust", "secure"),
    [
        ("https://chat.test", None, False, True),  # HTTPS itself
        ("http://chat.test", "https", True, True),  # behind a proxy we were told about
        ("http://chat.test", "https", False, False),  # anyone can send the header: ignored unless configured
        ("http://chat.test", "http", True, False),
    ],
)
async def test_the_cookie_is_secure_over_https(
    tmp_path: Path, content: Content, base: str, forwarded: str | None, trust: bool, secure: bool
) -> None:
    """Secure (and HSTS) over HTTPS; X-Forwarded-Proto counts only when WEB_TRUST_PROXY is set."""
    headers = {"x-forwarded-proto": forwarded} if forwarded else {}
    async with (
        open_web(tmp_path, content, web=WebSettings(exit_url=EXIT, trust_proxy=trust)) as (web, _),
        client(web, base) as http,
    ):
        response = await http.get("/", headers=headers)
    flags = [part.strip().lower() for part in response.headers["set-cookie"].split(";")]
    assert ("secure" in flags) is secure
    assert ("strict-transport-security" in response.headers) is secure


def test_x_forwarded_proto_is_read_only_when_trusted() -> None:
    """is_https reads the first value of the proxy's header, and only when trusted."""
    scope = {"type": "http", "scheme": "http", "headers": [(b"x-forwarded-proto", b"https, http")]}
    assert is_https(scope, trust_proxy=True)
    assert not is_https(scope, trust_proxy=False)


async def test_typed_html_is_shown_as_text(tmp_path: Path, content: Content) -> None:
    """Whatever a person types (tags, quotes, a script) is escaped on the page, never run or rendered."""
    typed = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        html = (await say(http, typed)).text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp;" in html


async def test_a_post_without_the_chats_token_is_refused(tmp_path: Path, content: Content) -> None:
    """A form post must carry the chat's own token (CSRF): without it, or with another chat's, 403."""
    async with open_web(tmp_path, content) as (web, _), client(web) as one, client(web) as other:
        await one.get("/")
        theirs = forms((await other.get("/")).text)["write"].hidden
        assert (await one.post("/say", data={"text": "hello", "f": "x"})).status_code == 403
        assert (await one.post("/say", data={**theirs, "text": "hello"})).status_code == 403
        mine = forms((await one.get("/")).text)["write"].hidden
        assert (await one.post("/say", data={**mine, "text": "hello"})).status_code == 303


async def test_a_form_posted_twice_is_one_message(tmp_path: Path, content: Content) -> None:
    """A double tap or a reload that re-sends the form is answered once."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        write = forms((await http.get("/")).text)["write"].hidden
        for _ in range(3):
            await http.post("/say", data={**write, "text": "food bank"})
        (chat,) = list(web.chats)
    assert [line.text for line in chat.lines].count("food bank") == 1


async def test_a_burst_is_slowed_but_taps_and_danger_words_get_through(tmp_path: Path, content: Content) -> None:
    """Past the flood gate's burst the page says "slow down" once, then refuses (429); a tapped button and
    words that may mean danger are always answered."""
    async with open_web(tmp_path, content, flood=FloodGate(burst=2, per_second=0.001)) as (web, _), client(web) as http:
        await http.get("/")  # the start turn spends a token too
        statuses = [(await say(http, f"food {i}")).status_code for i in range(3)]
        (chat,) = list(web.chats)
        slow = content.text("slow_down", "en")
        assert statuses == [200, 200, 429]
        assert [line.text for line in chat.lines].count(slow) == 1
        assert (await say(http, "he is hurting me now")).status_code == 200
        assert (await tap(http, "↩")).status_code == 200


async def test_requests_are_limited_per_chat(tmp_path: Path, content: Content) -> None:
    """A tab reloading in a loop meets 429 without slowing anyone else; no address is involved."""
    gate = FloodGate(burst=5, per_second=0.001)
    async with open_web(tmp_path, content, requests=gate) as (web, _), client(web) as loop_tab, client(web) as calm_tab:
        codes = [(await loop_tab.get("/")).status_code for _ in range(8)]
        assert (await calm_tab.get("/")).status_code == 200
    assert codes == [200] * 6 + [429] * 2  # the first, before the cookie, counts among new arrivals


async def test_the_chat_warns_then_closes_after_a_quiet_time(tmp_path: Path, content: Content) -> None:
    """Quiet for 15 minutes: a warning line; for 20: the chat closes, its server rows and lines are gone, and
    the tab is told the chat closed (its cookie is cleared)."""
    async with open_web(tmp_path, content) as (web, clock), client(web) as http:
        await http.get("/")
        await say(http, "food bank")
        (chat,) = list(web.chats)
        store = web.turns.store
        assert await store.load_session(chat.person) is not None
        clock.move(minutes=14)
        assert await web.sweep() == 0
        assert chat.lines[-1].who != "note"
        clock.move(minutes=1)
        await web.sweep()
        warning = content.text("web_quiet_warning", "en").replace("{minutes}", "5")
        assert chat.lines[-1].text == warning
        assert warning in (await http.get("/")).text
        clock.move(minutes=5)
        assert await web.sweep() == 1
        assert len(web.chats) == 0
        assert chat.lines == []
        assert await store.load_session(chat.person) is None
        page = await http.get("/")
        assert content.text("web_closed", "en") in page.text
        assert 'chat=""' in page.headers["set-cookie"]


async def test_writing_resets_the_quiet_time(tmp_path: Path, content: Content) -> None:
    """A person who writes after the warning keeps the chat open for another full quiet time."""
    async with open_web(tmp_path, content) as (web, clock), client(web) as http:
        await http.get("/")
        clock.move(minutes=16)
        await web.sweep()
        await say(http, "still here")
        clock.move(minutes=16)
        assert await web.sweep() == 0
        assert len(web.chats) == 1


def test_quiet_state_decides_from_the_times_alone() -> None:
    """Open until the warning time, one warning, then close."""
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = {"warn": timedelta(minutes=15), "close": timedelta(minutes=20)}
    assert quiet_state(t0, t0 + timedelta(minutes=14), warned=False, **times) == "open"
    assert quiet_state(t0, t0 + timedelta(minutes=15), warned=False, **times) == "warn"
    assert quiet_state(t0, t0 + timedelta(minutes=16), warned=True, **times) == "open"
    assert quiet_state(t0, t0 + timedelta(minutes=20), warned=True, **times) == "close"


async def test_erase_this_chat_clears_the_page_and_every_row(tmp_path: Path, content: Content) -> None:
    """Erase this chat, then yes: the store has nothing about the person and the page says it is erased."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        await say(http, "food bank")
        (chat,) = list(web.chats)
        page = await http.get("/")
        erase = forms(page.text)["erase"]
        await http.post("/say", data={**erase.hidden, "text": "/forget"})
        done = await tap(http, "Yes, erase")
        assert await web.turns.store.load_session(chat.person) is None
    assert content.text("web_erased", "en") in done.text
    assert "food bank" not in done.text
    assert len(web.chats) == 0


async def test_quick_exit_without_javascript_erases_and_leaves(tmp_path: Path, content: Content) -> None:
    """The Quick exit link erases the chat and sends the browser to the neutral site; coming back starts a
    fresh chat that says nothing about the last one."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        page = await http.get("/")
        await say(http, "food bank")
        (chat,) = list(web.chats)
        link = page.text.split('id="exit" class="exit" href="')[1].split('"')[0].replace("&amp;", "&")
        response = await http.get(link)
        assert response.status_code == 303
        assert response.headers["location"] == EXIT
        assert response.headers["clear-site-data"] == '"cache", "cookies"'
        assert await web.turns.store.load_session(chat.person) is None
        again = await http.get("/")
    assert "food bank" not in again.text
    assert content.text("web_closed", "en") not in again.text


async def test_talk_to_a_person_is_honest_without_a_web_warm_line(tmp_path: Path, content: Content) -> None:
    """Asking for a person never says someone is on the way: it says the supporters are on Telegram, with the
    24/7 lines (sourced, from flows/warmline.yaml)."""
    assert content.warmline is not None
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        intro = (await tap(http, "💬")).text.replace("&#39;", "'")
        page = await tap(http, "Yes, connect me")
    assert content.text("line_off", "en").split(".")[0] in intro
    text = page.text.replace("&#39;", "'")
    assert content.text("web_warmline_telegram", "en") in text
    assert "1-833-900-1010" in text
    assert "source: canadianhumantraffickinghotline.ca" in text
    assert "I'm finding someone for you now" not in text


@pytest.mark.parametrize("lang", ["en", "fr", "es", "tl"])
async def test_lang_chooses_the_language(tmp_path: Path, content: Content, lang: str) -> None:
    """?lang=xx opens the chat in that language: the page's lang, its own words and the flow's."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        html = (await http.get(f"/?lang={lang}")).text
    assert f'<html lang="{lang}">' in html
    assert content.text("web_exit", lang) in html
    assert content.text("web_write", lang) in html
    welcome = content.flows.nodes[content.flows.entry("start")].say.get(lang, "en")
    assert welcome.split("\n")[0].replace("'", "&#39;") in html


async def test_typed_commands_and_numbers_work_as_on_telegram(tmp_path: Path, content: Content) -> None:
    """ "/menu" opens the menu; a number taps that button, as in Telegram."""
    menu = content.flows.nodes[content.flows.entry("menu")]
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        page = (await say(http, "/menu")).text
        assert menu.say.get("en", "en").replace("'", "&#39;") in page
        await say(http, "2")
        (chat,) = list(web.chats)
    second = content.flows.node(menu.options[1].go)
    assert second is not None
    assert chat.lines[-1].text.startswith(second.say.get("en", "en").split("\n")[0][:40])
    assert event_for("/Talk@bot", "", None) is not None


async def test_logs_hold_no_words_and_no_address(
    tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """What a person types and where they connect from never reach the logs."""
    caplog.set_level(logging.DEBUG)
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        await say(http, "my boss took my passport")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "web kind=say outcome=replied" in logged
    assert "passport" not in logged
    assert "127.0.0.1" not in logged


def test_web_settings_are_read_and_checked() -> None:
    """WEB_HOST/WEB_PORT default to 127.0.0.1:8080; a bad value names the setting."""
    assert WebSettings.from_settings(Settings.from_environ({}, dotenv=Path("/nonexistent"))) == WebSettings()
    env = {"WEB_HOST": "0.0.0.0", "WEB_PORT": "9000", "WEB_TRUST_PROXY": "1"}
    web = WebSettings.from_settings(Settings.from_environ(env, dotenv=Path("/nonexistent")))
    assert (web.host, web.port, web.trust_proxy) == ("0.0.0.0", 9000, True)
    for bad in ({"WEB_PORT": "eighty"}, {"WEB_EXIT_URL": "javascript:alert(1)"}, {"WEB_WARN_MINUTES": "30"}):
        with pytest.raises(SettingsError, match="WEB_"):
            WebSettings.from_settings(Settings.from_environ(bad, dotenv=Path("/nonexistent")))


async def test_a_full_house_says_so_calmly(tmp_path: Path, content: Content) -> None:
    """Past WEB_MAX_CHATS open chats, a new visitor hears "try again in a minute" (503), not an error page."""
    async with (
        open_web(tmp_path, content, web=replace(WebSettings(exit_url=EXIT), max_chats=1)) as (web, _),
        client(web) as first,
        client(web) as second,
    ):
        assert (await first.get("/")).status_code == 200
        busy = await second.get("/")
    assert busy.status_code == 503
    assert content.text("web_busy", "en") in busy.text


async def test_the_web_says_what_the_web_does(tmp_path: Path, content: Content) -> None:
    """Erasing asks in the web's words (no phone messages to delete here) and /privacy says what the web chat
    keeps, with its quiet time."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        asked = (await say(http, "/forget")).text.replace("&#39;", "'")
        await tap(http, "No, keep")
        told = (await say(http, "/privacy")).text.replace("&#39;", "'")
    assert content.text("web_forget", "en") in asked
    assert "Telegram's limit" not in asked
    assert content.text("web_privacy", "en").replace("{minutes}", "20") in told


async def test_the_buttons_stay_reachable_after_a_search(tmp_path: Path, content: Content) -> None:
    """After a free-text search the page always offers buttons: the answer's own, or, when a screen has none,
    those of the last screen that had some (as they stay under it on Telegram)."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        await say(http, "/menu")
        page = await say(http, "legl help")
    assert "Legal Aid Alberta" in page.text
    assert forms(page.text)["choices"].buttons  # the search's own, or the menu's doors when it has none


async def test_stopping_erases_the_open_chats(tmp_path: Path, content: Content) -> None:
    """A chat's lines live only in the server's memory, so stopping it erases the open chats' rows too."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        (chat,) = list(web.chats)
        await web.stop()
        assert await web.turns.store.load_session(chat.person) is None
        assert len(web.chats) == 0


@pytest.mark.slow
async def test_run_serves_the_web_chat_beside_telegram(tmp_path: Path, content: Content, botapi: BotApiServer) -> None:
    """With WEB_PORT set, the Telegram bot's serve also serves the web chat, with the same content, and one
    stop ends both."""
    settings = Settings(
        token=botapi.token,
        base_url=botapi.base_url,
        data_dir=tmp_path,
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        extra={"WEB_PORT": "0"},
    )
    opened: asyncio.Future[WebChat] = asyncio.get_running_loop().create_future()
    edge = Edge(settings, content, clock=ticking_from(FRIDAY_AFTERNOON))
    stop = asyncio.Event()
    side = web_server.beside(settings, started=opened.set_result)
    task = asyncio.create_task(
        telegram.serve(settings, stop=stop, poll_timeout=1, read_timeout=1.0, edge=edge, beside=side)
    )
    web = await asyncio.wait_for(opened, 10)
    assert web.turns.runtime is edge.runtime  # one runtime: the same store, content, outbox and hook
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web.address[1]}") as http:
        page = await http.get("/?lang=es")
        assert page.status_code == 200
        assert content.text("web_exit", "es") in page.text
        await http.post("/say", data={**forms(page.text)["write"].hidden, "text": "banco de comida"})
    (chat,) = list(web.chats)
    assert await edge.store.load_session(chat.person) is not None  # the bot's own store holds the web turn
    stop.set()
    await asyncio.wait_for(task, 10)


def test_a_bot_line_without_buttons_leaves_the_last_ones_on_the_page() -> None:
    """Chat.buttons: the newest bot line with buttons counts; empty rows are dropped."""
    from datetime import UTC, datetime

    from bot.core.types import Button

    chat = Chat(id="c", person="p", token="t", language="en", last_active=datetime(2026, 1, 1, tzinfo=UTC))
    chat.add("bot", "menu", ((Button("A door", "d"),), ()))
    chat.add("person", "words")
    chat.add("bot", "cards", ((),))
    assert chat.buttons() == ((Button("A door", "d"),),)
    assert chat.label_of("d") == "A door"


async def test_the_runtime_reaches_an_open_page_and_deletes_from_it(tmp_path: Path, content: Content) -> None:
    """A message the runtime sends a web person outside a turn (as the warm line does) becomes a line kept for
    the page and an "update" to its open stream; deleting lines takes them off the page's rows ("redraw")."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        (chat,) = list(web.chats)
        stream: asyncio.Queue[str] = asyncio.Queue()
        chat.listeners.add(stream)
        outbox = web.turns.runtime.outbox
        assert await outbox.send_now(chat.person, f"web:{chat.handle}", "Sam is here with you now.")
        assert stream.get_nowait() == "update"
        assert chat.lines[-1].who == "bot"
        relayed = Outgoing(f"web:{chat.handle}", Reply("Hi, I'm Sam.", by="supporter"))  # a supporter's words
        assert Outgoing.from_payload(relayed.to_payload()) == relayed  # as the outbox keeps it, author and all
        await outbox.send(relayed.chat, relayed.reply)
        assert chat.lines[-1].who == "supporter"
        assert stream.get_nowait() == "update"
        assert content.text("web_supporter", "en") in (await http.get("/")).text
        chat.remove([chat.lines[-1].n])
        assert "Sam is here with you now." in (await http.get("/")).text  # on reload too (JavaScript off)
        sent = chat.lines[-1].n
        await web.sender.delete(chat.handle, [sent])
        assert stream.get_nowait() == "redraw"
        assert "Sam is here with you now." not in (await http.get("/")).text
        assert f"web:{chat.handle}" != f"web:{chat.id}"  # the stored address is not the cookie
        await web.stop()
        ended = await outbox.send(f"web:{chat.handle}", Reply("anyone there?"))
    assert ended.outcome is SendOutcome.BLOCKED  # an ended chat: the person has left


async def test_erase_goes_through_the_runtime_and_the_person_lines_too(tmp_path: Path, content: Content) -> None:
    """/forget's yes on the web is the runtime's erase: every row goes, the person's own lines with the bot's."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/")
        await say(http, "food bank")
        (chat,) = list(web.chats)
        store = web.turns.store
        assert await store.sent_messages(chat.person, FRIDAY_AFTERNOON - timedelta(hours=1))
        await say(http, "/forget")
        await tap(http, "Yes, erase")
        assert await store.load_session(chat.person) is None
        assert await store.sent_messages(chat.person, FRIDAY_AFTERNOON - timedelta(hours=1)) == []
        assert await store.outbox(chat.person) == []


async def test_changing_the_language_later_changes_the_page_too(tmp_path: Path, content: Content) -> None:
    """?lang=fr on an open chat taps the language button for the person: the flow and the page turn French."""
    async with open_web(tmp_path, content) as (web, _), client(web) as http:
        await http.get("/?lang=en")
        html = (await http.get("/?lang=fr")).text
        (chat,) = list(web.chats)
        data = await web.turns.store.load_session(chat.person)
    assert '<html lang="fr">' in html
    assert content.text("web_write", "fr") in html
    assert data is not None
    assert data["language"] == "fr"


@pytest.mark.slow
async def test_web_people_wait_in_the_warm_lines_queue_and_see_their_place_move(
    tmp_path: Path, content: Content, botapi: BotApiServer
) -> None:
    """Two web people ask for a person in `run` (WARMLINE_CHAT_ID set): each gets a topic named for a web guest
    and a place in line on the page; when Sam takes the first, the second's page says they are number 1, and
    /privacy says the team's chat keeps a copy of the talk for a while."""
    text, problems = load_warmline(FLOWS / "warmline.yaml")
    assert text is not None, [str(p) for p in problems]
    words = dataclasses.replace(text, hours="24/7", schedule=opening_hours.OpeningHours("24/7"))
    settings = Settings(
        token=botapi.token,
        base_url=botapi.base_url,
        data_dir=tmp_path,
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        warmline_chat_ids=(GROUP,),
        extra={"WEB_PORT": "0"},
    )
    opened: asyncio.Future[WebChat] = asyncio.get_running_loop().create_future()
    edge = Edge(settings, content, Warmline(words, per_minute=0, tick=0), clock=ticking_from(FRIDAY_AFTERNOON))
    stop = asyncio.Event()
    side = web_server.beside(settings, warm_line=True, started=opened.set_result)
    task = asyncio.create_task(
        telegram.serve(settings, stop=stop, poll_timeout=1, read_timeout=1.0, edge=edge, beside=side)
    )
    place = words.say("queued", "en", position="X", wait="Y").split("X")[0]
    try:
        web = await asyncio.wait_for(opened, 10)
        botapi.group(GROUP).send("/onduty", from_user=SAM)
        await botapi.wait_for(lambda: bool(botapi.messages(GROUP)))
        base = f"http://127.0.0.1:{web.address[1]}"
        async with httpx.AsyncClient(base_url=base) as first, httpx.AsyncClient(base_url=base) as second:
            for http in (first, second):
                await http.get("/?lang=en")
                await say(http, "/talk")
                await tap(http, "Yes, connect me")
            await botapi.wait_for(lambda: len(topic_names(botapi, GROUP)) == 2)
            assert all(re.fullmatch(r"Guest [0-9A-F]{3} · web · en · .*", n) for n in topic_names(botapi, GROUP))
            one, two = (web.chats.get(http.cookies.get("chat")) for http in (first, second))
            assert one is not None
            assert two is not None
            await wait_for_line(two, f"{place}2")  # the place in line comes through the outbox, a moment later
            await supporter_takes(botapi, GROUP, SAM)
            await wait_for_line(one, words.say("connected", "en", supporter="X").split("X")[1][:12])
            await wait_for_line(two, f"{place}1")
            assert f"{place}1" in html.unescape((await second.get("/")).text)  # on reload too
            told = html.unescape((await say(first, "/privacy")).text)  # what a supporter saw stays for a while
            assert content.text("topics_kept_deleted", "en").split(".")[0] in told
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def wait_for_line(chat: Chat, start: str, within: float = 5.0) -> None:
    """Until one of the chat's lines (the page's rows) holds `start`."""

    async def poll() -> None:
        while not any(start in line.text for line in chat.lines):  # noqa: ASYNC110  # rows, not an event
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), within)


@pytest.mark.parametrize("topics", ["", "7", "keep"])
def test_the_web_asks_its_own_erase_question_whatever_the_warm_line_adds(content: Content, topics: str) -> None:
    """The engine's /forget question may end with what happens to the supporters' group's copy (Event.topics);
    the web chat still shows its own erase question in its place."""
    session = Session(language="en", node="main.menu", version=content.version)
    asked = advance(content, session, Event("command", text="forget", topics=topics), FRIDAY_AFTERNOON)
    sender = WebSender(Chats(max_chats=1), lambda: content, warm_line=bool(topics))
    assert sender.rewrite(asked.replies[0].text) == content.text("web_forget", "en")
