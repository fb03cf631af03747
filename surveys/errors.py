"""The one error type for instrument definitions, kept apart so every module can raise it."""


class InstrumentError(Exception):
    """An instrument file is broken, or an instrument or version does not exist.

    The message names the file and the exact place, e.g.
    `cpaq8.yaml: items[4].options[2]: no value`.
    """


class AnswerError(ValueError):
    """Answers that do not fit an instrument: unknown item, or a value the item does not offer."""
