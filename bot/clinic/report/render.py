"""The cohort report as one HTML document; the PDF is that HTML printed by WeasyPrint.

The screen and the print share every table, note and plot: the PDF is not laid out a second
time. A print stylesheet sets one page size for every page (A4 or US Letter), repeats table
headers on each page, keeps a table row on one page and wraps long cells instead of cutting them.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Literal

from matplotlib.figure import Figure

from bot.clinic.report.cohort import CohortReport, MeasureResult
from bot.clinic.report.measures import Measure, measure_rules
from bot.clinic.report.plots import dvprs_figure, png_bytes, prepost_figure
from bot.clinic.report.stats import Share

PageSize = Literal["A4", "letter"]
PAGE_SIZES: dict[str, str] = {"A4": "A4 landscape", "letter": "letter landscape"}

METHODS = [
    "Pairs come from the plan: a patient's baseline and post are the planned baseline and post "
    "surveys of their enrolment in this cohort (a paper form entered for them counts). A "
    "patient without both is listed as unpaired with the reason; no other survey stands in. "
    "Visit DVPRS pairs are the first and last completed visit survey of this cohort's sessions.",
    "Change is post minus baseline. 95% CI from the t distribution; p from the paired t-test; "
    "effect size is Cohen's d for paired data, d_z = mean change / SD of the changes. The "
    "direction column says whether the mean change is an improvement for that measure.",
    "Meaningful change: the group meets a threshold when its mean improvement reaches the lower "
    "end of the published range (compared with a tolerance of 1e-9, so 3.00 meets 3). PROMIS "
    "ranges are per domain, from chronic-pain studies where they exist. A patient has reliably "
    "changed when |RC| >= 1.96, RC = (T2 - T1) / sqrt(SE1^2 + SE2^2) with each score's SE "
    "(PROMIS), or when the change exceeds 1.96 x sqrt(2) x SEM, SEM = SD x sqrt(1 - test-retest "
    "r) (CPAQ-8). 0-10 pain ratings: share with at least 30% and 50% reduction from a baseline "
    "above 0. Thresholds marked provisional rest on a single or non-specific source, or on the "
    "distribution (0.5 SD) rather than on patients' judgement.",
]

PRINT_CSS = """
@page { size: %(page)s; margin: 12mm 11mm 14mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 7pt; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 8pt; }
body { margin: 0; }
h1 { font-size: 14pt; margin: 0 0 4pt; }
h2 { font-size: 10.5pt; margin: 10pt 0 4pt; break-after: avoid; }
table { width: 100%%; table-layout: fixed; border-collapse: collapse; }
thead { display: table-header-group; }
tr, img, li { break-inside: avoid; }
td, th { overflow-wrap: anywhere; padding: 2pt 3pt; font-size: 7.5pt; vertical-align: top;
         border: 0.4pt solid #888; text-align: left; }
img { max-width: 100%%; height: auto; }
"""
SCREEN_CSS = (
    "body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:4px 8px;font-size:90%;vertical-align:top}"
    ".methods{font-size:90%}"
)

MEASURE_HEADER = [
    "measure",
    "n",
    "baseline mean",
    "post mean",
    "mean change",
    "95% CI",
    "p (paired t)",
    "d_z",
    "direction",
    "meaningful change",
]
MEASURE_WIDTHS = [13, 4, 7, 7, 7, 11, 7, 5, 9, 30]
UNPAIRED_HEADER = ["patient", "instrument", "reason"]
ATTENDANCE_HEADER = [
    "sessions held",
    "participants",
    "places",
    "recorded",
    "not yet recorded",
    "attended",
    "rate (of recorded)",
]
COMPLETION_HEADER = ["timepoint", "language", "assigned", "completed", "rate"]
SKIPS_HEADER = ["instrument", "timepoint", "completed", "with skipped items", "domains lost"]


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _share(share: Share | None) -> str:
    if share is None:
        return "-"
    pct = share.percent
    return f"{share.count}/{share.of}" + ("" if pct is None else f" ({pct:.0f}%)")


def _unit(measure: Measure) -> str:
    return "T" if measure.value == "t" else "points"


def threshold_text(result: MeasureResult) -> str:
    """The group threshold and what it rests on, e.g. "2.00 to 3.00 T"."""
    m, t = result.measure, result.measure.threshold
    if t.kind == "none":
        return ""
    if result.threshold is None:
        return f"0.5 x cohort baseline SD: {result.threshold_note or 'not computable'}"
    provisional = " (provisional)" if t.provisional else ""
    if t.kind == "half_sd" and t.low is not None and t.sd is not None:
        return f"0.5 SD = {t.low:.2f} (SD {t.sd:.2f}){provisional}"
    if t.kind == "half_sd_cohort":
        return f"0.5 x cohort baseline SD = {result.threshold:.2f}{provisional}"
    assert t.low is not None
    if t.high is None or t.high == t.low:
        return f"{t.low:.2f} {_unit(m)}{provisional}"
    return f"{t.low:.2f} to {t.high:.2f} {_unit(m)}{provisional}"


def meaningful_text(result: MeasureResult) -> str:
    parts: list[str] = []
    if result.group_meets_mid is not None:
        verdict = "meets" if result.group_meets_mid else "below"
        parts.append(f"threshold {threshold_text(result)}: group {verdict}")
        parts.append(f"patients reaching it: {_share(result.improved_mid)}")
    elif result.measure.threshold.kind != "none":
        parts.append(f"threshold {threshold_text(result)}")
    else:
        parts.append("no published threshold")
    if result.reliable_threshold is not None:
        parts.append(
            f"beyond measurement error ({result.reliable_threshold:.2f}, provisional): improved "
            f"{_share(result.reliably_improved)}, worse {_share(result.reliably_worse)}"
        )
    elif result.reliably_improved is not None:
        parts.append(f"reliably improved {_share(result.reliably_improved)}")
        parts.append(f"reliably worse {_share(result.reliably_worse)}")
    for pct, share in result.reductions.items():
        parts.append(f"at least {pct:.0f}% reduction {_share(share)}")
    return "; ".join(parts)


def measure_row(result: MeasureResult) -> list[str]:
    s = result.stats
    ci = "-" if s.ci_low is None else f"{s.ci_low:.2f} to {_num(s.ci_high)}"
    better = result.measure.better
    direction = "-" if result.direction is None else f"{result.direction} ({better} is better)"
    return [
        result.measure.label,
        str(s.n),
        _num(s.baseline_mean),
        _num(s.post_mean),
        _num(s.mean_change),
        ci,
        _p(s.p_value),
        _num(s.cohens_dz),
        direction,
        meaningful_text(result),
    ]


def unpaired_rows(report: CohortReport) -> list[list[str]]:
    return [[u.study_id, u.instrument, u.reason] for u in report.unpaired]


def attendance_rows(report: CohortReport) -> list[list[str]]:
    a = report.attendance
    pct = "-" if a.percent is None else f"{a.percent:.0f}%"
    return [
        [
            str(a.sessions_held),
            str(a.participants),
            str(a.expected),
            str(a.recorded),
            str(a.not_recorded),
            str(a.attended),
            pct,
        ]
    ]


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


def skip_rows(report: CohortReport) -> list[list[str]]:
    return [
        [s.instrument, s.timepoint, str(s.surveys), str(s.with_skips), str(s.domains_lost)]
        for s in report.skip_losses
    ]


def figures(report: CohortReport) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    if (fig := dvprs_figure(report)) is not None:
        out.append(("DVPRS pain over the weeks", fig))
    if (fig := prepost_figure(report.measures)) is not None:
        out.append(("Baseline and post per measure", fig))
    return out


def _table(header: list[str], rows: list[list[str]], widths: list[int] | None = None) -> str:
    cols = "".join(f"<col style='width:{w}%'>" for w in widths) if widths else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _methods(report: CohortReport) -> str:
    rules = measure_rules()
    used: list[str] = []
    for result in report.measures:
        m = result.measure
        for key in (*m.threshold.sources, *m.individual.sources):
            if key not in used:
                used.append(key)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in METHODS)
    refs = "".join(f"<li>{html.escape(rules.sources[k])}</li>" for k in used)
    return (
        f"<div class='methods'><h2>Methods</h2>{paras}"
        + (f"<p>Sources of the thresholds:</p><ol>{refs}</ol>" if refs else "")
        + "</div>"
    )


def render_html(report: CohortReport, *, page_size: PageSize = "A4") -> str:
    title = f"Cohort report: {report.cohort.name}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        f"<style media='screen'>{SCREEN_CSS}</style>",
        f"<style media='print'>{PRINT_CSS % {'page': PAGE_SIZES[page_size]}}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='cohort'>Cohort start {report.cohort.start_date.isoformat()}, "
        f"{len(report.participants)} participants; generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC. Patients appear by study id only.</p>",
        "<h2>Change from baseline to post</h2>",
        _table(MEASURE_HEADER, [measure_row(r) for r in report.measures], MEASURE_WIDTHS),
        _methods(report),
        "<h2>Patients not paired</h2>",
        _table(UNPAIRED_HEADER, unpaired_rows(report), [20, 20, 60])
        if report.unpaired
        else "<p>Every patient has a baseline and a post for every measure.</p>",
    ]
    if report.flags:
        items = "".join(f"<li>{html.escape(f)}</li>" for f in report.flags)
        parts += ["<h2>Flags</h2>", f"<ul>{items}</ul>"]
    parts += [
        "<h2>Attendance at group sessions</h2>",
        _table(ATTENDANCE_HEADER, attendance_rows(report)),
        "<h2>Survey completion</h2>",
        _table(COMPLETION_HEADER, completion_rows(report)),
        "<h2>Domains lost to skipped items</h2>",
        "<p>Scales of completed surveys that have no score because an item was skipped "
        "(PROMIS short forms are not prorated); the bot offers skipped items again before a "
        "survey ends.</p>",
        _table(SKIPS_HEADER, skip_rows(report)),
    ]
    for caption, fig in figures(report):
        data = base64.b64encode(png_bytes(fig)).decode("ascii")
        parts.append(f"<h2>{html.escape(caption)}</h2>")
        parts.append(f"<img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_pdf(report: CohortReport, path: Path, *, page_size: PageSize = "A4") -> None:
    """Print the HTML report to `path` with WeasyPrint (Pango lays out the text)."""
    path.write_bytes(pdf_bytes(report, page_size=page_size))


def pdf_bytes(report: CohortReport, *, page_size: PageSize = "A4") -> bytes:
    """The PDF of the report (the console's download; write_pdf's file)."""
    import weasyprint  # a second or so to import: only when a PDF is asked for

    pdf = weasyprint.HTML(string=render_html(report, page_size=page_size)).write_pdf(
        media_type="print"
    )
    assert isinstance(pdf, bytes)
    return pdf
