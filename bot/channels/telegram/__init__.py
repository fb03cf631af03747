"""Telegram through python-telegram-bot 22: updates in, outbox messages out.

Behind the channel port like every channel.
"""
