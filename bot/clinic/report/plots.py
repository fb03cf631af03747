"""Report figures with matplotlib's Agg backend (no display): DVPRS over weeks, pre/post."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from bot.clinic.report.cohort import CohortReport, MeasureResult  # noqa: E402


def dvprs_figure(report: CohortReport) -> Figure | None:
    """Each patient's DVPRS pain rating over the weeks since the cohort started."""
    if not report.dvprs_weeks:
        return None
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for study_id, points in sorted(report.dvprs_weeks.items()):
        ax.plot([w for w, _ in points], [v for _, v in points], marker="o", label=study_id)
    ax.set_xlabel("weeks since cohort start")
    ax.set_ylabel("DVPRS pain (0-10)")
    ax.set_ylim(-0.5, 10.5)
    ax.set_title(f"DVPRS pain by patient: {report.cohort.name}")
    if len(report.dvprs_weeks) <= 15:
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return fig


def prepost_figure(results: list[MeasureResult]) -> Figure | None:
    """Baseline and post per measure: each patient's line (grey) and the mean (black)."""
    if not results:
        return None
    cols = min(3, len(results))
    rows = math.ceil(len(results) / cols)
    fig = Figure(figsize=(4 * cols, 3.2 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, result in zip(axes.flat, results, strict=False):
        for pair in result.pairs:
            ax.plot([0, 1], [pair.baseline, pair.post], color="0.7", marker="o", linewidth=1)
        if result.stats.baseline_mean is not None and result.stats.post_mean is not None:
            ax.plot(
                [0, 1],
                [result.stats.baseline_mean, result.stats.post_mean],
                color="black",
                marker="s",
                linewidth=2.5,
            )
        ax.set_xticks([0, 1], ["baseline", "post"])
        ax.set_xlim(-0.3, 1.3)
        low, high = result.measure.range  # the instrument's whole scale, not the data's spread
        pad = 0.03 * (high - low)
        ax.set_ylim(low - pad, high + pad)
        better = "higher" if result.measure.better == "higher" else "lower"
        ax.set_title(
            f"{result.measure.label}\n(n={result.stats.n}, {better} is better)", fontsize="small"
        )
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
