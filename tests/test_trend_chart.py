"""The pain chart sent after a DVPRS (bot/clinic/trend.py): a palette PNG that looks like what
was drawn, small on the patient's data plan, in any language pathbot speaks."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageChops, ImageStat

from bot.clinic.trend import PainPoint, draw_chart, encode_png, render_chart
from bot.conversation.i18n import translator

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _history(points: int) -> list[PainPoint]:
    return [PainPoint(at=START + timedelta(days=7 * n), pain=(7 - n) % 11) for n in range(points)]


@pytest.mark.parametrize("points", [1, 5, 13, 40])
@pytest.mark.parametrize("locale", ["en", "es", "ar", "uk"])
def test_the_png_shows_what_was_drawn(points: int, locale: str) -> None:
    drawn = draw_chart(_history(points), translator(locale), "America/New_York")
    png = encode_png(drawn)
    sent = Image.open(io.BytesIO(png))
    assert (sent.format, sent.mode, sent.size) == ("PNG", "P", drawn.size)
    assert drawn.size == (480, 280)
    difference = ImageChops.difference(drawn, sent.convert("RGB"))
    # the palette keeps every ink within a level or two (white may become 254: the octree
    # averages its bucket); only the shades of smoothed edges move more, and not far
    assert max(ImageStat.Stat(difference).mean) < 1.5
    assert max(high for _low, high in difference.getextrema()) < 48
    assert len(png) < 12_000


def test_the_line_ink_and_the_dots_survive_the_palette() -> None:
    sent = Image.open(io.BytesIO(render_chart(_history(5), translator("en"), "UTC")))
    colours = {rgb for _count, rgb in sent.convert("RGB").getcolors(maxcolors=4096) or []}
    line = (0x1F, 0x4E, 0x79)
    assert any(sum(abs(a - b) for a, b in zip(rgb, line, strict=True)) <= 6 for rgb in colours)
    assert any(min(rgb) >= 253 for rgb in colours)  # the background stays white
