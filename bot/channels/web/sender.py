"""The web chat's PersonSender: what the runtime (and the warm line) sends a web person becomes a line on the page.

    Outbox / warm line ─► Senders.route("web:<handle>") ─► WebSender.send ─► a line kept for the page, and an
                                                                              "update" pushed over SSE to an open tab
    Forgetting (erase, quiet erase, the vanishing line) ─► WebSender.delete ─► lines gone from the page's rows

A chat's address is its `handle`, a random id that is not its cookie, so a stored (encrypted) address could not
open the chat even if it were read. Message ids are the page's line numbers. A chat that has ended (erased, Quick
exit, quiet time) is BLOCKED: the person has left, nothing more is written to them.

The web's own words stand where a screen speaks of Telegram (`web_words`): the erase question (no phone messages
to delete here) and, while no warm line reaches the web, the handoff's "I'm finding someone".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.channels.web.chats import Chats, Who
from bot.content.loader import Content
from bot.conversation.engine import without_topic_blanks
from bot.core.channels import WEB, ChannelLimits
from bot.core.types import Reply
from bot.runtime.ports import Deleted, SendOutcome, Sent


def web_words(content: Content, *, warm_line: bool) -> dict[str, str]:
    """Screen text (per language) -> the web's own words for it: the erase question always, and the handoff's
    "I'm finding someone" when no warm line reaches the web (then where supporters are, and the 24/7 lines)."""
    words: dict[str, str] = {}
    forget = content.flows.node(content.flows.entry("forget"))
    handoffs = [] if warm_line else [node for node in content.flows.nodes.values() if node.kind == "handoff"]
    for lang in content.languages:
        if forget is not None:
            said = without_topic_blanks(forget.say.get(lang, content.default_language))  # as the engine shows it here
            words.setdefault(said, content.text("web_forget", lang))
        if content.warmline is not None:
            lines = content.warmline.say("lines", lang)
            for node in handoffs:
                said = node.say.get(lang, content.default_language)
                words.setdefault(said, f"{content.text('web_warmline_telegram', lang)}\n\n{lines}")
    return words


@dataclass
class WebSender:
    """Delivers replies to open web chats; `content` is read per send, so a reload's words apply at once.
    `warm_line` says whether a warm line reaches web people (then its handoff screen stays as written)."""

    chats: Chats
    content: Callable[[], Content]
    warm_line: bool = False
    limits: ChannelLimits = WEB
    _words: tuple[str, dict[str, str]] = field(default=("", {}), repr=False)

    def rewrite(self, text: str) -> str:
        content = self.content()
        if self._words[0] != content.version:
            self._words = (content.version, web_words(content, warm_line=self.warm_line))
        words = self._words[1]
        if text in words:
            return words[text]
        # the erase question with its {topics_forget} sentence (a warm line reaches the web): matched by its start
        return next((mine for said, mine in words.items() if text.startswith(f"{said} ")), text)

    async def send(self, chat: str, reply: Reply) -> Sent:
        """Add the reply to the chat's lines and tell its open tabs; BLOCKED when the chat has ended."""
        found = self.chats.by_handle(chat)
        if found is None:
            return Sent(SendOutcome.BLOCKED, reason="chat ended")
        who: Who = "supporter" if reply.by == "supporter" else "bot"  # a peer supporter's words say so on the page
        line = found.add(who, self.rewrite(reply.text), reply.buttons)
        found.notify()
        return Sent(SendOutcome.SENT, message_id=line.n)

    async def delete(self, chat: str, message_ids: Sequence[int]) -> Deleted:
        """Remove lines from the chat's rows (and so from the page: open tabs redraw it)."""
        found = self.chats.by_handle(chat)
        if found is None:  # the chat ended: its lines went with it
            return Deleted(len(message_ids))
        if found.remove(message_ids) and not found.closing:
            found.notify("redraw")
        return Deleted(len(message_ids))
