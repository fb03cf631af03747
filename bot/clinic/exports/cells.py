"""Cell values every spreadsheet-bound export shares."""

from __future__ import annotations


def safe_cell(text: str) -> str:
    """Patient text could start with = + - @ and run as a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
