"""The cohort report as HTML (plots embedded as base64 PNG) or PDF (matplotlib PdfPages)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from bot.clinic.report.cohort import CohortReport, MeasureResult
from bot.clinic.report.plots import dvprs_figure, png_bytes, prepost_figure
from bot.clinic.report.stats import Share

METHODS = (
    "Change is post minus baseline. Baseline is each patient's first survey marked baseline "
    "(else the first), post the last marked post (else the last). 95% CI from the t "
    "distribution; p from the paired t-test; effect size is Cohen's d for paired data, "
    "d_z = mean change / SD of the changes. PROMIS: the group change is compared with 3 "
    "T-score points; a patient has reliably changed when |RC| >= 1.96, RC = (T2 - T1) / "
    "sqrt(SE1^2 + SE2^2) with the SE of each score. 0-10 pain ratings: share with at least "
    "30% and 50% reduction from a baseline above 0. BRS, SCS-SF and CPAQ-8 have no published "
    "threshold: change and effect size only."
)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _share(share: Share | None) -> str:
    if share is None:
        return "-"
    pct = share.percent
    return f"{share.count}/{share.of}" + ("" if pct is None else f" ({pct:.0f}%)")


def measure_row(result: MeasureResult) -> list[str]:
    s = result.stats
    meaningful: list[str] = []
    if result.group_meets_mid is not None:
        meaningful.append(
            f"group change {'meets' if result.group_meets_mid else 'below'} 3 T points"
        )
        meaningful.append(f"improved >= 3 T: {_share(result.improved_mid)}")
    if result.reliably_improved is not None:
        meaningful.append(f"reliably improved: {_share(result.reliably_improved)}")
        meaningful.append(f"reliably worse: {_share(result.reliably_worse)}")
    for pct, share in result.reductions.items():
        meaningful.append(f">= {pct:.0f}% reduction: {_share(share)}")
    ci = "-" if s.ci_low is None else f"{s.ci_low:.2f} to {_num(s.ci_high)}"
    return [
        result.measure.label,
        str(s.n),
        _num(s.baseline_mean),
        _num(s.post_mean),
        _num(s.mean_change),
        ci,
        _num(s.p_value, 4),
        _num(s.cohens_dz),
        "; ".join(meaningful) or "-",
    ]


MEASURE_HEADER = [
    "measure",
    "n",
    "baseline mean",
    "post mean",
    "mean change",
    "95% CI",
    "p (paired t)",
    "d_z",
    "meaningful change",
]


def figures(report: CohortReport) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    if (fig := dvprs_figure(report)) is not None:
        out.append(("DVPRS pain over the weeks", fig))
    if (fig := prepost_figure(report.measures)) is not None:
        out.append(("Baseline and post per measure", fig))
    return out


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def attendance_rows(report: CohortReport) -> list[list[str]]:
    a = report.attendance
    pct = "-" if a.percent is None else f"{a.percent:.0f}%"
    return [
        [
            str(a.sessions_held),
            str(a.participants),
            str(a.expected),
            str(a.attended),
            pct,
            str(a.recorded),
        ]
    ]


ATTENDANCE_HEADER = ["sessions held", "participants", "expected", "attended", "rate", "recorded"]
COMPLETION_HEADER = ["timepoint", "language", "assigned", "completed", "rate"]


def completion_rows(report: CohortReport) -> list[list[str]]:
    return [
        [
            c.timepoint,
            c.language,
            str(c.assigned),
            str(c.completed),
            "-" if c.percent is None else f"{c.percent:.0f}%",
        ]
        for c in report.completion
    ]


def render_html(report: CohortReport) -> str:
    title = f"Cohort report: {report.cohort.name}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;font-size:90%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Cohort start {report.cohort.start_date.isoformat()}, "
        f"{len(report.participants)} participants; generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC. Patients appear by study id only.</p>",
        "<h2>Change from baseline to post</h2>",
        _table(MEASURE_HEADER, [measure_row(r) for r in report.measures]),
        f"<p><small>{html.escape(METHODS)}</small></p>",
        "<h2>Attendance at group sessions</h2>",
        _table(ATTENDANCE_HEADER, attendance_rows(report)),
        "<h2>Survey completion</h2>",
        _table(COMPLETION_HEADER, completion_rows(report)),
    ]
    for caption, fig in figures(report):
        data = base64.b64encode(png_bytes(fig)).decode("ascii")
        parts.append(f"<h2>{html.escape(caption)}</h2>")
        parts.append(f"<img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _text_page(title: str, blocks: list[tuple[str, list[str], list[list[str]]]]) -> Figure:
    fig = Figure(figsize=(11.69, 8.27))  # A4 landscape
    fig.text(0.03, 0.96, title, fontsize=14, weight="bold", va="top")
    y = 0.9
    for heading, header, rows in blocks:
        fig.text(0.03, y, heading, fontsize=11, weight="bold", va="top")
        y -= 0.03
        if rows:
            height = 0.035 * (len(rows) + 1)
            ax = fig.add_axes((0.03, y - height, 0.94, height))
            ax.axis("off")
            table = ax.table(cellText=rows, colLabels=header, loc="upper left", cellLoc="left")
            table.auto_set_font_size(False)
            table.set_fontsize(6.5)
            y -= height + 0.04
    return fig


def write_pdf(report: CohortReport, path: Path) -> None:
    with PdfPages(path) as pdf:
        pdf.savefig(
            _text_page(
                f"Cohort report: {report.cohort.name}",
                [
                    (
                        "Change from baseline to post",
                        MEASURE_HEADER,
                        [measure_row(r) for r in report.measures],
                    ),
                    ("Attendance at group sessions", ATTENDANCE_HEADER, attendance_rows(report)),
                    ("Survey completion", COMPLETION_HEADER, completion_rows(report)),
                ],
            )
        )
        for _, fig in figures(report):
            pdf.savefig(fig)
