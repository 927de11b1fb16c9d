"""A stand-in Telegram Bot API server for end-to-end tests: aiohttp on 127.0.0.1, a random port.

It checks every call against `methods.json` (the Bot API 10.0 as data, from the official docs via
github.com/PaulSonOfLars/telegram-bot-api-spec): an unknown method, an unknown parameter, a missing required
one or a value of the wrong declared type gets HTTP 400 `{"ok": false, "error_code": 400, "description":
...}`. A wrong token gets 401. Successful calls are answered in Telegram's shapes, built from the method's
return type.

Use it (the `botapi` fixture in tests/conftest.py starts one per test):

    server = BotApiServer()                 # token "123456:TEST", see server.token
    await server.start()
    app = Application.builder().token(server.token).base_url(server.base_url)...
    alice = server.person(1001, language_code="fr")   # a private chat with a person
    alice.send("/start")                    # enqueue updates for getUpdates (commands get their entity)
    alice.tap(data, message_id)             # a callback query on one of the bot's messages
    alice.photo(); alice.sticker(); alice.edit(message_id, "new text")
    msgs = await server.wait_for_messages(alice.id, 2)   # the bot's messages in that chat, as dicts
    server.calls / server.calls_to("answerCallbackQuery") # every call: Call(method, params, status)
    server.answered["sendMessage"]          # how many calls of a method succeeded (cheap, for benchmarks)
    server.arrived["getUpdates"]            # how many calls of a method came in (even those still waiting)
    server.fail("sendMessage", 429, retry_after=1, times=2)  # also 500/502 (5xx), 403, 400, 401, "timeout"
    server.revoke_token()                   # every later call gets 401 Unauthorized
    server.hold("sendMessage")              # park matching calls until release(); server.held counts them
    server.redeliver_all()                  # every update ever enqueued is pending again (as after a restart
                                            # that lost confirmations; a later offset confirms them at once)
    group = server.group(-100123); group.send("text", from_user=alice.user, thread_id=7)
    server.limit_group(-100123, 20, window=60)  # Telegram's group limit: past it, 429 with retry_after
    server.fail_chat(-100123, 502, times=5)     # faults for one chat only (its sends, edits and topics)
    server.hold_chat(-100123, "sendMessage")    # park one chat's calls of a method until release_chat()
    await server.close()

Faults are consumed in order, one per matching call. A "timeout" fault waits `delay` seconds (default 30)
before answering, so the client's read timeout fires. getUpdates is real long polling: it returns at once when
updates are pending, else waits up to `timeout` seconds for one; `offset` confirms (forgets) earlier updates.
Messages the bot sends are kept per chat (`server.messages(chat_id)`), and deleteMessage(s) removes them;
copyMessage puts a copy of the original (a person's message from `server.received`, or the bot's) there.
Register a custom answer for any method with `server.responders[method] = fn(params) -> result`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

METHODS_PATH = Path(__file__).with_name("methods.json")
# What counts against a group's rate limit (limit_group) and what chat faults (fail_chat) apply to.
GROUP_SENDS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "sendPhoto",
        "createForumTopic",
        "editForumTopic",
        "closeForumTopic",
        "deleteForumTopic",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)
BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "Navigator",
    "username": "navigator_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class BadCall(Exception):
    """A call Telegram would refuse with 400; the message is Telegram's description."""


@dataclass
class Call:
    """One request the bot made: method name, decoded parameters, and the HTTP status it got."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int | str
    retry_after: float | None = None
    description: str = ""
    delay: float = 30.0


class Spec:
    """The method and type tables, and the checks Telegram applies to a call's parameters."""

    def __init__(self, path: Path = METHODS_PATH) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.methods: dict[str, Any] = data["methods"]
        self.types: dict[str, Any] = data["types"]
        self.lower = {name.lower(): name for name in self.methods}

    def method(self, name: str) -> str:
        found = self.lower.get(name.lower())
        if found is None:
            raise BadCall(f"Bad Request: method '{name}' not found")
        return str(found)

    def decode(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Decode each form field by its declared type; refuse unknown and missing parameters."""
        fields = {f["name"]: f for f in self.methods[method].get("fields", [])}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise BadCall(f"Bad Request: unknown parameter {unknown[0]!r} for method {method}")
        missing = [name for name, f in fields.items() if f["required"] and name not in raw]
        if missing:
            raise BadCall(f"Bad Request: parameter {missing[0]!r} is required for method {method}")
        return {name: self._decode_field(method, name, value, fields[name]["types"]) for name, value in raw.items()}

    def _decode_field(self, method: str, name: str, value: Any, types: list[str]) -> Any:
        for type_name in types:
            try:
                return self._decode_one(value, type_name)
            except (ValueError, TypeError):
                continue
        raise BadCall(f"Bad Request: parameter {name!r} of {method} must be {' or '.join(types)}")

    def _decode_one(self, value: Any, type_name: str) -> Any:
        if type_name == "InputFile":
            if isinstance(value, str) and value:
                return value
            if hasattr(value, "file"):  # an uploaded file
                return {"upload": getattr(value, "filename", "")}
            raise ValueError(type_name)
        if not isinstance(value, str):  # JSON bodies carry typed values already
            self.check(value, type_name)
            return value
        if type_name == "String":
            return value
        if type_name == "Integer":
            return int(value)
        if type_name == "Float":
            return float(value)
        if type_name == "Boolean":
            parsed = json.loads(value)
            if not isinstance(parsed, bool):
                raise ValueError(type_name)
            return parsed
        parsed = json.loads(value)
        self.check(parsed, type_name)
        return parsed

    def check(self, value: Any, type_name: str) -> None:
        """Raise ValueError unless `value` fits `type_name` (recursively through the type table)."""
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise ValueError(type_name)
            for item in value:
                self.check(item, type_name.removeprefix("Array of "))
            return
        simple: dict[str, Callable[[Any], bool]] = {
            "String": lambda v: isinstance(v, str),
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
            "InputFile": lambda v: isinstance(v, str),
        }
        if type_name in simple:
            if not simple[type_name](value):
                raise ValueError(type_name)
            return
        spec = self.types.get(type_name)
        if spec is None:
            return
        if spec.get("subtypes"):
            for sub in spec["subtypes"]:
                try:
                    self.check(value, sub)
                    return
                except ValueError:
                    continue
            raise ValueError(type_name)
        if not isinstance(value, dict):
            raise ValueError(type_name)
        fields = {f["name"]: f for f in spec.get("fields", [])}
        if set(value) - set(fields):
            raise ValueError(type_name)
        for name, f in fields.items():
            if name not in value:
                if f["required"]:
                    raise ValueError(type_name)
                continue
            for option in f["types"]:
                try:
                    self.check(value[name], option)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(type_name)

    def minimal(self, type_name: str, depth: int = 0) -> Any:
        """The smallest value of a type: required fields only, filled with zeros and empty strings."""
        if type_name.startswith("Array of "):
            return []
        defaults: dict[str, Any] = {"String": "", "Integer": 0, "Float": 0.0, "Boolean": False, "True": True}
        if type_name in defaults:
            return defaults[type_name]
        spec = self.types.get(type_name, {})
        if spec.get("subtypes"):
            return self.minimal(spec["subtypes"][0], depth + 1)
        if depth > 4:
            return {}
        return {f["name"]: self.minimal(f["types"][0], depth + 1) for f in spec.get("fields", []) if f["required"]}


class Chat:
    """A chat the test drives; `send`, `tap`, `photo`... enqueue updates as a real client would cause."""

    def __init__(self, server: BotApiServer, chat: dict[str, Any], user: dict[str, Any] | None) -> None:
        self.server = server
        self.chat = chat
        self.user = user
        self.id: int = chat["id"]

    def _message(self, from_user: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        message = {
            "message_id": self.server.next_message_id(self.id),
            "date": int(time.time()),
            "chat": self.chat,
            **fields,
        }
        sender = from_user or self.user
        if sender is not None:
            message["from"] = sender
        self.server.received[(self.id, message["message_id"])] = message
        return message

    def send(
        self, text: str, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its bot_command entity, as Telegram adds."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread_id is not None:
            fields["message_thread_id"] = thread_id
            fields["is_topic_message"] = True
        message = self._message(from_user, **fields)
        self.server.enqueue({"message": message})
        return message

    def tap(
        self, data: str, message_id: int | None = None, *, from_user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A callback query from a button on the bot's message `message_id` (default: its latest); in a group,
        `from_user` says who tapped."""
        if message_id is None:
            message_id = self.server.messages(self.id)[-1]["message_id"]
        bot_message = self.server.message(self.id, message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": BOT_USER,
            "text": "...",
        }
        query = {
            "id": str(next(self.server.ids)),
            "from": from_user or self.user,
            "message": bot_message,
            "chat_instance": str(self.id),
            "data": data,
        }
        self.server.enqueue({"callback_query": query})
        return query

    def _media(self, from_user: dict[str, Any] | None, thread_id: int | None, **fields: Any) -> dict[str, Any]:
        if thread_id is not None:
            fields.update(message_thread_id=thread_id, is_topic_message=True)
        message = self._message(from_user, **fields)
        self.server.enqueue({"message": message})
        return message

    def photo(self, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None) -> dict[str, Any]:
        size = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
        return self._media(from_user, thread_id, photo=[size])

    def sticker(self, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None) -> dict[str, Any]:
        sticker = {
            "file_id": "CAAD",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._media(from_user, thread_id, sticker=sticker)

    def voice(self, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None) -> dict[str, Any]:
        return self._media(from_user, thread_id, voice={"file_id": "AwAD", "file_unique_id": "AgAE", "duration": 3})

    def document(self, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None) -> dict[str, Any]:
        return self._media(from_user, thread_id, document={"file_id": "BQAD", "file_unique_id": "AgAF"})

    def location(self) -> dict[str, Any]:
        message = self._message(None, location={"latitude": 51.0447, "longitude": -114.0719})
        self.server.enqueue({"message": message})
        return message

    def edit(self, message_id: int, text: str) -> dict[str, Any]:
        message = self._message(None, text=text, edit_date=int(time.time()))
        message["message_id"] = message_id
        self.server.enqueue({"edited_message": message})
        return message

    def block(self) -> dict[str, Any]:
        """The person blocks the bot: Telegram sends my_chat_member with status 'kicked'."""
        member = {
            "chat": self.chat,
            "from": self.user,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": BOT_USER},
            "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
        }
        self.server.enqueue({"my_chat_member": member})
        return member


class BotApiServer:
    """The stand-in server; see the module docstring for the test-facing API."""

    def __init__(self, token: str = "123456:TEST", spec: Spec | None = None) -> None:
        self.token = token
        self.spec = spec or Spec()
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.responders: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.ids = itertools.count(1)
        self.revoked = False
        self._updates: list[dict[str, Any]] = []  # pending (not yet confirmed by offset)
        self._all_updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._messages: dict[int, list[dict[str, Any]]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._hold_only: dict[str, Callable[[dict[str, Any]], bool]] = {}  # hold(method, only=...): which calls
        self.held: dict[str, int] = {}  # calls parked by hold(), per method
        self.answered: Counter[str] = Counter()  # successful calls per method (cheap to poll)
        self.arrived: Counter[str] = Counter()  # calls received per method, counted on arrival
        self.received: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message_id): messages people sent
        self._topics = itertools.count(100)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._group_limits: dict[int, tuple[int, float]] = {}  # chat -> (sends, per seconds)
        self._group_sends: dict[int, list[float]] = {}
        self._chat_faults: dict[int, list[tuple[frozenset[str], Fault]]] = {}
        self._chat_holds: dict[tuple[int, str], asyncio.Event] = {}
        self.limited: Counter[int] = Counter()  # 429s answered per chat for its group limit

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]  # an asyncio Server here

    async def close(self) -> None:
        for event in [*self._holds.values(), *self._chat_holds.values()]:
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- driving --------------------------------------------------------------------------------------
    def person(self, user_id: int, *, language_code: str | None = "en", first_name: str = "Guest") -> Chat:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return Chat(self, {"id": user_id, "type": "private", "first_name": first_name}, user)

    def group(self, chat_id: int, *, title: str = "Warm line", is_forum: bool = True) -> Chat:
        chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": title}
        if is_forum:
            chat["is_forum"] = True
        return Chat(self, chat, None)

    def enqueue(self, update: dict[str, Any]) -> int:
        """Add an update (without update_id) for getUpdates; returns its update_id."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._updates.append(update)
        self._all_updates.append(update)
        self._arrived.set()
        return int(update["update_id"])

    def redeliver_all(self) -> None:
        """Offer every update ever enqueued again, as Telegram does when confirmations were lost."""
        pending = {u["update_id"] for u in self._updates}
        again = [u for u in self._all_updates if u["update_id"] not in pending]
        self._updates = sorted(self._updates + again, key=lambda u: u["update_id"])
        self._arrived.set()

    def pending_updates(self) -> int:
        return len(self._updates)

    def fail(
        self,
        method: str,
        status: int | str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        description: str = "",
        delay: float = 30.0,
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429, 5xx, 403, 400, 401) or "timeout"."""
        fault = Fault(status, retry_after, description, delay)
        self.faults.setdefault(method, []).extend([fault] * times)

    def revoke_token(self) -> None:
        self.revoked = True

    def hold(self, method: str, *, only: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Park calls of `method` (not answered, not recorded as delivered) until `release(method)`; with `only`,
        just the calls whose parameters it accepts (the others are answered as usual)."""
        self._holds[method] = asyncio.Event()
        self._hold_only.pop(method, None)
        if only is not None:
            self._hold_only[method] = only

    def release(self, method: str) -> None:
        event = self._holds.pop(method, None)
        if event is not None:
            event.set()

    # --- observing ------------------------------------------------------------------------------------
    def calls_to(self, method: str, *, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200) == ok]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages now in a chat (sent, copied or edited; deleted ones are gone)."""
        return list(self._messages.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return next((m for m in self._messages.get(chat_id, []) if m["message_id"] == message_id), None)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds after some call; TimeoutError (with the calls so far) if not."""

        async def until() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), within)
        except TimeoutError:
            seen = [c.method for c in self.calls[-20:]]
            raise TimeoutError(f"condition not met in {within}s; last calls: {seen}") from None

    async def wait_for_messages(self, chat_id: int, count: int, within: float = 5.0) -> list[dict[str, Any]]:
        await self.wait_for(lambda: len(self._messages.get(chat_id, [])) >= count, within)
        return self.messages(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        await self.wait_for(lambda: len([c for c in self.calls if c.method == method]) >= count, within)
        return [c for c in self.calls if c.method == method]

    # --- internals ------------------------------------------------------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.status == 200:
            self.answered[call.method] += 1
        self._changed.set()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"file")

    async def _read(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            raw.update(body or {})
        elif request.body_exists:
            raw.update(dict(await request.post()))
        return raw

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        try:
            raw = await self._read(request)
        except Exception:
            return self._error(Call(name, {}), 400, "Bad Request: can't parse request body")
        if request.match_info["token"] != self.token or self.revoked:
            return self._error(Call(name, raw), 401, "Unauthorized")
        try:
            method = self.spec.method(name)
            params = self.spec.decode(method, raw)
            self._check_limits(method, params)
        except BadCall as exc:
            return self._error(Call(name, raw), 400, str(exc))
        call = Call(method, params)
        self.arrived[method] += 1
        self._changed.set()
        faults = self.faults.get(method)
        if faults:
            fault = faults.pop(0)
            if fault.status == "timeout":
                await asyncio.sleep(fault.delay)
                return self._error(call, 504, "Gateway Timeout")
            return self._error(call, int(fault.status), fault.description, fault.retry_after)
        refused = await self._chat_rules(call)
        if refused is not None:
            return refused
        hold = self._holds.get(method)
        if hold is not None and self._hold_only.get(method, lambda _: True)(params):
            self.held[method] = self.held.get(method, 0) + 1
            self._changed.set()
            await hold.wait()  # a client that dies meanwhile cancels this handler: nothing is recorded
        if method == "getUpdates":
            result = await self._get_updates(params)
        elif method in self.responders:
            result = self.responders[method](params)
        else:
            try:
                result = self._answer(method, params)
            except BadCall as exc:
                return self._error(call, 400, str(exc))
        self._record(call)
        return web.json_response({"ok": True, "result": result})

    # --- one chat's rules: the group rate limit, faults and holds (the warm line's staff outbox tests) ---
    def limit_group(self, chat_id: int, sends: int = 20, *, window: float = 60.0) -> None:
        """More than `sends` sends (messages, copies, edits, topic changes) into `chat_id` in any `window` seconds
        get 429 Too Many Requests with retry_after (whole seconds, as Telegram gives it)."""
        self._group_limits[chat_id] = (sends, window)

    def fail_chat(
        self, chat_id: int, status: int | str, *, times: int = 1, methods: frozenset[str] = GROUP_SENDS, **fault: Any
    ) -> None:
        """The next `times` calls of `methods` into `chat_id` fail (429, 5xx, 403, 400 or "timeout")."""
        queue = self._chat_faults.setdefault(chat_id, [])
        queue.extend([(methods, Fault(status, **fault))] * times)

    def hold_chat(self, chat_id: int, method: str) -> None:
        """Park calls of `method` into `chat_id` (not answered, nothing recorded) until release_chat()."""
        self._chat_holds[(chat_id, method)] = asyncio.Event()

    def release_chat(self, chat_id: int, method: str) -> None:
        event = self._chat_holds.pop((chat_id, method), None)
        if event is not None:
            event.set()

    async def _chat_rules(self, call: Call) -> web.Response | None:
        """A fault, the group limit or a hold for the chat this call goes to; None: answer normally."""
        chat = call.params.get("chat_id")
        if not isinstance(chat, int) or call.method not in GROUP_SENDS:
            return None
        faults = self._chat_faults.get(chat, [])
        fault = next((f for f in faults if call.method in f[0]), None)
        if fault is not None:
            faults.remove(fault)
            if fault[1].status == "timeout":
                await asyncio.sleep(fault[1].delay)
                return self._error(call, 504, "Gateway Timeout")
            return self._error(call, int(fault[1].status), fault[1].description, fault[1].retry_after)
        limit = self._group_limits.get(chat)
        if limit is not None:
            now, (most, window) = time.monotonic(), limit
            recent = [t for t in self._group_sends.get(chat, []) if now - t < window]
            if len(recent) >= most:
                self.limited[chat] += 1
                self._group_sends[chat] = recent
                return self._error(call, 429, retry_after=max(1, math.ceil(recent[0] + window - now)))
            self._group_sends[chat] = [*recent, now]
        hold = self._chat_holds.get((chat, call.method))
        if hold is not None:
            self.held[call.method] = self.held.get(call.method, 0) + 1
            self._changed.set()
            await hold.wait()
        return None

    def _error(self, call: Call, status: int, description: str = "", retry_after: float | None = None) -> web.Response:
        standard = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        description = description or standard.get(status, "Error")
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after or 1}"
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if status == 429:
            body["parameters"] = {"retry_after": retry_after or 1}
        call.status = status
        self._record(call)
        return web.json_response(body, status=status)

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        """The limits Telegram enforces that a type table cannot express."""
        text = params.get("text")
        if isinstance(text, str) and not 1 <= len(text) <= 4096:
            raise BadCall("Bad Request: message text is empty" if not text else "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode()) <= 64:
                        raise BadCall("Bad Request: BUTTON_DATA_INVALID")
        if method == "answerCallbackQuery" and len(params.get("text", "") or "") > 200:
            raise BadCall("Bad Request: MESSAGE_TOO_LONG")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._confirm(offset)  # again after each wake-up: updates offered anew below the offset are gone
            batch = [u for u in self._updates if u["update_id"] >= offset][:limit]
            if allowed:
                batch = [u for u in batch if any(k in u for k in allowed)]
            if batch:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return []

    def _confirm(self, offset: int) -> None:
        """Telegram forgets every update below the offset a client asks from."""
        if offset and self._updates and self._updates[0]["update_id"] < offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._changed.set()

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Guest"}
        return {"id": chat_id, "type": "supergroup", "title": "Warm line", "is_forum": True}

    def _new_message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": BOT_USER,
            **extra,
        }
        for key in ("text", "reply_markup", "caption"):
            if key in params:
                message[key] = params[key]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        self._messages.setdefault(chat_id, []).append(message)
        return message

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if method == "getMe":
            return BOT_USER
        if method == "copyMessage":
            # a copy carries the original's content (text, photo, ...) but not its sender
            source = (
                self.received.get((params["from_chat_id"], params["message_id"]))
                or self.message(params["from_chat_id"], params["message_id"])
                or {"text": "(copy)"}
            )
            content = {
                k: v
                for k, v in source.items()
                if k
                not in (
                    "message_id",
                    "date",
                    "chat",
                    "from",
                    "message_thread_id",
                    "is_topic_message",
                    "reply_markup",
                    "edit_date",
                    "entities",
                )
            }
            if "caption" in params:
                content["caption"] = params["caption"]
            copied = self._new_message({k: v for k, v in params.items() if k != "caption"}, **content)
            return {"message_id": copied["message_id"]}
        if method in ("copyMessages", "forwardMessages"):
            return [
                {"message_id": self._new_message(params, text="(copy)")["message_id"]} for _ in params["message_ids"]
            ]
        if method == "deleteMessage":
            return self._delete(chat_id, [params["message_id"]], strict=True)
        if method == "deleteMessages":
            return self._delete(chat_id, params["message_ids"], strict=False)
        if method == "createForumTopic":
            return {
                "message_thread_id": next(self._topics),
                "name": params["name"],
                "icon_color": params.get("icon_color", 7322096),
            }
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            if "inline_message_id" in params:
                return True
            message = self.message(int(params["chat_id"]), params["message_id"])
            if message is None:
                raise BadCall("Bad Request: message to edit not found")
            for key in ("text", "caption"):
                if key in params:
                    message[key] = params[key]
            if "reply_markup" in params or method != "editMessageCaption":
                message.pop("reply_markup", None)
                if "reply_markup" in params:
                    message["reply_markup"] = params["reply_markup"]
            message["edit_date"] = int(time.time())
            return message
        if method == "sendMediaGroup":
            return [self._new_message(params) for _ in params["media"]]
        returns = self.spec.methods[method]["returns"]
        if returns[0] == "Message":
            return self._new_message(params)
        if returns[0] == "Boolean":
            return True
        if returns[0] == "Array of MessageId":
            return []
        if returns[0] == "Integer":
            return 1
        if returns[0] == "String":
            return "https://t.me/+stand-in"
        return self.spec.minimal(returns[0])

    def _delete(self, chat_id: Any, ids: list[int], *, strict: bool) -> bool:
        kept = self._messages.get(chat_id, [])
        remaining = [m for m in kept if m["message_id"] not in ids]
        if strict and len(remaining) == len(kept):
            raise BadCall("Bad Request: message to delete not found")
        self._messages[chat_id] = remaining
        return True


# --- the supporters' side, for tests that drive a warm-line group from outside (the web chat's browser test) ------
def inline_buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button on one of the bot's messages."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def topic_names(server: BotApiServer, group: int) -> list[str]:
    """The name of each forum topic the bot created in `group`, oldest first."""
    return [
        str(c.params.get("name", "")) for c in server.calls_to("createForumTopic") if c.params.get("chat_id") == group
    ]


async def supporter_takes(server: BotApiServer, group: int, supporter: dict[str, Any], within: float = 10.0) -> int:
    """`supporter` taps Take on the first card in `group` that has one, once it is posted; returns the card's
    thread (the topic the supporter then writes in)."""

    def card() -> dict[str, Any] | None:
        takes = [m for m in server.messages(group) if any("take" in data for _, data in inline_buttons(m))]
        return takes[0] if takes else None

    await server.wait_for(lambda: card() is not None, within)
    found = card()
    assert found is not None
    data = next(data for _, data in inline_buttons(found) if "take" in data)
    server.group(group).tap(data, found["message_id"], from_user=supporter)
    return int(found["message_thread_id"])
