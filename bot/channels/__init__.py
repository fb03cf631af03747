"""Channels: one module or small package per messaging service (console, Telegram, SMS), listed in
`bot/service/channels.py`. A channel talks to the rest only through the port in `port.py`; it may
import `bot/conversation/` types and never `bot/db/`, `bot/service/` or the app.
"""
