"""What the warm line's person-side helpers (bot.channels.telegram.requests, leftmessages) use of the running
Warmline, as a Protocol: they are handed the Warmline without importing bot.channels.telegram.warmline, which
imports them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.warmline.rules import Supporter, WarmlineText

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Edge
    from bot.channels.telegram.relay import StaffOutbox
    from bot.channels.telegram.toperson import PersonLine
    from bot.store.database import Store

T = TypeVar("T")
Rows = tuple[tuple[tuple[str, str], ...], ...]  # buttons as (label, callback data) rows


class WarmlineParts(Protocol):
    """The Warmline's store, words, group side and person side, as the person-side helpers call them."""

    groups: tuple[int, ...]

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def text(self) -> WarmlineText: ...

    @property
    def person(self) -> PersonLine: ...

    @property
    def queues(self) -> StaffOutbox: ...

    @property
    def bot(self) -> Any: ...

    def _hours(self, lang: str, now: datetime) -> str: ...

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T: ...

    async def _open_topic(self, row: dict[str, Any], *, message: bool = False) -> None: ...

    def _card(self, row: dict[str, Any], *, taken_by: str | None = None, message: bool = False) -> str: ...

    def _card_buttons(self, row: dict[str, Any]) -> Rows: ...

    async def _edit_card(self, row: dict[str, Any], *, taken_by: str | None = None, urgent: bool = False) -> None: ...

    async def _to_group(
        self,
        group: int | None,
        thread: int | None,
        text: str,
        buttons: Rows = (),
        *,
        handoff: int | None = None,
        urgent: bool = False,
    ) -> int | None: ...

    async def _to_person(
        self, person: str, text: str, buttons: Rows = (), *, wait: bool = False, waiting: int | None = None
    ) -> int | None: ...

    async def _set_mode(self, person: str, mode: str) -> None: ...

    async def close(self, hid: int, reason: str, *, by: int | None = None, say: bool = True) -> None: ...

    async def mark_urgent(self, hid: int) -> None: ...

    async def refresh_waiting(self) -> None: ...

    async def supporters(self) -> list[Supporter]: ...

    async def supporter_alias(self, user_id: int | None, group: int) -> str: ...
