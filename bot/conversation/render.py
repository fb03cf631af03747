"""Turn a message into the text a channel shows: numbered options for SMS and the console,
or the stem alone for channels that draw the options as buttons."""

from __future__ import annotations

from collections.abc import Sequence


def render_text(
    text: str, options: Sequence[tuple[int, str]] = (), hint: str = "", *, with_options: bool = True
) -> str:
    """One block of text: stem, "1 = label" lines, then the reply hint (UX-03)."""
    parts = [text]
    if with_options and options:
        parts.append(_option_lines(options))
    if hint:
        parts.append(hint)
    return "\n".join(p for p in parts if p)


def _option_lines(options: Sequence[tuple[int, str]]) -> str:
    """ "code = label" per line; options labelled only by their number ("5" on a 0-10 scale with
    worded ends) share one line, which keeps an SMS within two segments."""
    lines: list[str] = []
    bare: list[str] = []
    for code, label in options:
        if label == str(code):
            bare.append(label)
            continue
        if bare:
            lines.append(" ".join(bare))
            bare = []
        lines.append(f"{code} = {label}")
    if bare:
        lines.append(" ".join(bare))
    return "\n".join(lines)
