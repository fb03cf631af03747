"""The conversation core: engine, state, events, messages, parsing, triage, i18n.

Pure functions of state and input (no I/O, no database, no clock of its own), so every rule a
patient meets can be tested alone. May import `surveys/` only.
"""
