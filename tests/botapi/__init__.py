"""A stand-in Telegram Bot API server for end-to-end tests; see `botapi.server` for its API."""

from botapi.server import BOT_USER, BadCall, BotApiServer, Call, Chat, Spec

__all__ = ["BOT_USER", "BadCall", "BotApiServer", "Call", "Chat", "Spec"]
