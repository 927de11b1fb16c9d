"""Calgary Support Navigator: an anonymous Telegram bot for people affected by trafficking and exploitation."""
