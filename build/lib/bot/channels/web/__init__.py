"""The web chat: the same help for people without Telegram, in a browser, with a quick exit (docs/web-chat.md).

config.py  settings (WEB_HOST, WEB_PORT, ...)     chats.py  open chats, in memory only, and their quiet time
turns.py   the one seam to the turn pipeline        pages.py  HTML from a chat (autoescaped templates)
app.py     the Starlette app: routes, headers, limits   server.py  uvicorn, alone or beside Telegram
"""
