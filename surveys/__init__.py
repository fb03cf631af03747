"""Instruments as validated data, and exact scoring (DESIGN.md §2)."""

from surveys.errors import AnswerError, InstrumentError
from surveys.loader import load_all, load_file, load_instrument
from surveys.scoring import score, validate_answers

__all__ = [
    "AnswerError",
    "InstrumentError",
    "load_all",
    "load_file",
    "load_instrument",
    "score",
    "validate_answers",
]
