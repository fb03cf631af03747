"""The `pathbot` command and its sub-commands, one module per command group.

Thin: parse arguments, call the service, clinic and schedule functions, print. May import
everything; only `run` (which mounts the staff console) and `staff demo` import `bot/web/`.
"""
