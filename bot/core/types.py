"""The shapes a message passes through, named once.

An edge (Telegram, console) turns what arrived into an `Event`, the engine answers with a `Turn`
(replies to show, actions for the edges and handoff to perform, the new `Session`), and the edge turns the
replies into messages. Everything here is frozen and holds no channel-specific types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

EventKind = Literal["start", "command", "text", "option", "unsupported"]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a person did: a command, free text, a tapped option or something we cannot read."""

    kind: EventKind
    text: str = ""  # free text, or the command name without '/' for kind == "command"
    data: str = ""  # callback data of a tapped option (kind == "option")
    language_hint: str | None = None  # e.g. Telegram's language_code ("fr-CA" -> the edge passes "fr-CA")
    line: str = ""  # the warm line now, when the edge knows: "on" (someone on duty), "nobody", "off"
    topics: str = ""  # what the warm line does with a talk's copy in the supporters' group, when the edge
    # knows: "keep" (staff keep topics), or the days it stays after the talk ends ("7"), then deleted


@dataclass(frozen=True, slots=True)
class Button:
    """An option shown under a reply; `data` is the compact callback data (<= 64 bytes) or a URL."""

    label: str
    data: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show the person: text (plain, no markup) and rows of buttons. `by` says who wrote it when
    it is not the bot ("supporter": a peer supporter's relayed words), for a channel that shows who speaks."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    by: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """Something an edge or the handoff must do after the replies, e.g. `handoff`, `erase`, `language`.

    `name` is one of: "handoff" (args: topic, path), "erase", "cancel_handoff", "end".
    """

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.args).get(key, default)


@dataclass(frozen=True, slots=True)
class Session:
    """Where one person is: the flows version and node, their language, saved answers and the path so far.

    `node` is a qualified node id, "flow.node". `path` keeps the door names (option ids) chosen, never free
    text; it is what a peer supporter may see. `vars` holds answers to free-text questions (stored encrypted).
    """

    version: str = ""
    node: str = ""
    language: str = ""
    vars: tuple[tuple[str, str], ...] = ()
    path: tuple[str, ...] = ()
    search: tuple[tuple[str, Any], ...] = ()  # the last search, for "more" (query, categories, filters, offset)
    mode: str = "flow"  # "flow", "handoff" (the relay has the person), "inactive"
    brief: bool = False  # "can't talk now": short yes/no screens
    no_police: bool = False  # the person said they don't want police: those lines go last

    def with_(self, **changes: Any) -> Session:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "node": self.node,
            "language": self.language,
            "vars": [list(kv) for kv in self.vars],
            "path": list(self.path),
            "search": [list(kv) for kv in self.search],
            "mode": self.mode,
            "brief": self.brief,
            "no_police": self.no_police,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        return cls(
            version=str(data.get("version", "")),
            node=str(data.get("node", "")),
            language=str(data.get("language", "")),
            vars=tuple((str(k), str(v)) for k, v in data.get("vars", [])),
            path=tuple(str(p) for p in data.get("path", [])),
            search=tuple((str(k), v) for k, v in data.get("search", [])),
            mode=str(data.get("mode", "flow")),
            brief=bool(data.get("brief", False)),
            no_police=bool(data.get("no_police", False)),
        )


@dataclass(frozen=True, slots=True)
class Turn:
    """What the engine decided for one event."""

    replies: tuple[Reply, ...]
    session: Session
    actions: tuple[Action, ...] = field(default=())
