"""Small inline SVG line charts (no script, nothing for the CSP to allow), with a table beside
them in the page for screen readers and exact values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 30


def line_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    y_min: float,
    y_max: float,
    label: str,
    date_format: str = "%d %b",
) -> Markup:
    """A line of `points` (oldest first) on a fixed y range, dates along the bottom."""
    if not points:
        return Markup("")
    start, end = points[0][0].timestamp(), points[-1][0].timestamp()
    span = max(end - start, 1.0)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        if len(points) == 1:
            return LEFT + inner_w / 2
        return LEFT + (at.timestamp() - start) / span * inner_w

    def y(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return TOP + (1 - (clamped - y_min) / (y_max - y_min)) * inner_h

    coords = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in points)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + inner_h}"/>',
    ]
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    for at in (points[0][0], points[-1][0]) if len(points) > 1 else (points[0][0],):
        anchor = "start" if at == points[0][0] and len(points) > 1 else "end"
        parts.append(
            f'<text x="{x(at):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
            f"{escape(at.strftime(date_format))}</text>"
        )
    parts.append(f'<polyline class="line" points="{coords}"/>')
    parts.extend(
        f'<circle class="dot" cx="{x(at):.1f}" cy="{y(v):.1f}" r="3"/>' for at, v in points
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers we computed; every text escaped
