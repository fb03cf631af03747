"""The patient's own pain trend after a DVPRS: one line of text for every channel, and a chart.

Only the patient's own 0-10 answers appear, with no band, label or score a stranger could
misread on a lock screen ("severe", interference means): the line says "Pain today: 4 of 10.
At the start: 7." and the chart draws the same numbers over the weeks.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session, col, select

from bot.conversation.events import Event, SurveyCompleted
from bot.conversation.i18n import Translator
from bot.conversation.messages import TREND_KIND, Outgoing
from bot.db.models import Score, SurveyAssignment

TREND_INSTRUMENT = "dvprs"
TREND_SCALE = "pain_intensity"


@dataclass(frozen=True)
class PainPoint:
    at: datetime
    pain: int


def pain_history(session: Session, patient_id: int) -> list[PainPoint]:
    """Every completed DVPRS pain rating of the patient, oldest first."""
    rows = session.exec(
        select(Score.raw, SurveyAssignment.completed_at)
        .join(SurveyAssignment, col(SurveyAssignment.id) == col(Score.assignment_id))
        .where(
            Score.patient_id == patient_id,
            Score.instrument_id == TREND_INSTRUMENT,
            Score.scale_id == TREND_SCALE,
            Score.status == "complete",
            col(SurveyAssignment.completed_at).is_not(None),
        )
        .order_by(col(SurveyAssignment.completed_at), col(Score.id))
    ).all()
    return [PainPoint(at, round(raw)) for raw, at in rows if raw is not None and at is not None]


def trend_line(tr: Translator, history: list[PainPoint]) -> str | None:
    """'Pain today: 4 of 10. At the start: 7.'; None without a rating."""
    if not history:
        return None
    today = tr.gettext("Pain today: {today} of 10.").format(today=history[-1].pain)
    if len(history) == 1:
        return today
    start = tr.gettext("At the start: {start}.").format(start=history[0].pain)
    return f"{today} {start}"


def messages_after(
    session: Session, *, patient_id: int, events: Iterable[Event], tr: Translator
) -> list[Outgoing]:
    """The trend message to add after a completed DVPRS (pipeline hook); else nothing. Not
    while the patient may still change it (skipped items offered, an answer undone)."""
    if not any(
        isinstance(e, SurveyCompleted) and e.final and e.instrument_id == TREND_INSTRUMENT
        for e in events
    ):
        return []
    line = trend_line(tr, pain_history(session, patient_id))
    return [Outgoing(TREND_KIND, line)] if line else []


def render_chart(history: list[PainPoint], tr: Translator, timezone: str) -> bytes:
    """A small PNG of the patient's pain ratings over time (0-10), dates in their language."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    zone = ZoneInfo(timezone)
    labels = [format_date(p.at.astimezone(zone).date(), "d MMM", locale=tr.locale) for p in history]
    figure = Figure(figsize=(4.8, 2.8), dpi=100)
    axes = figure.subplots()
    positions = list(range(len(history)))
    axes.plot(positions, [p.pain for p in history], marker="o", color="#1f4e79", linewidth=2)
    for x, point in zip(positions, history, strict=True):
        axes.annotate(
            str(point.pain),
            (x, point.pain),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=9,
        )
    axes.set_ylim(0, 10.8)
    axes.set_yticks(range(0, 11, 2))
    axes.set_xticks(positions, labels, fontsize=8)
    if len(positions) == 1:
        axes.set_xlim(-1, 1)
    axes.set_title(tr.gettext("Your pain, 0 to 10"), fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
