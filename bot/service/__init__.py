"""The running service: settings, app wiring, pipeline, dispatcher, runtime, ASGI server, metrics.

It implements the channel port (`bot/channels/port.py`) and joins every room below it; nothing
below imports it. May import everything except `bot/cli/` and `bot/web/`.
"""
