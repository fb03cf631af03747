"""Cell values every spreadsheet-bound export shares.

Every text cell of the CSV, REDCap and Excel exports passes through `safe_cell`, not only the
patient's typed answers: a study id, a name, a cohort or a timepoint that a coordinator typed as
"=HYPERLINK(...)" or "-1+1" would otherwise run as a formula when the file is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Text that a spreadsheet shows as text: a leading ' when it could start a formula."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def safe_value(value: Any) -> Any:
    """`safe_cell` for text; numbers, dates and None pass unchanged."""
    return safe_cell(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) if isinstance(v, str) else v for v in values]
