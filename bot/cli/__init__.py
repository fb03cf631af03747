"""The `pathbot` command and its sub-commands, one module per command group.

Thin: parse arguments, call the service, clinic and schedule functions, print. May import
everything except `bot/web/`.
"""
