"""The printable invitation handout: the QR code, the study id and how to join, in the patient's
language (gettext; Spanish in locales/tools/translations_es.py), as a one-page PDF.

HTML printed by WeasyPrint, like the cohort report: Pango shapes every script (Arabic, Devanagari
...) and `dir="auto"` sets the direction. It holds the one-time link, so it is made only when
the code is made or shown, and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from babel.dates import format_date

from bot.conversation.i18n import translator

PAGE_CSS = """
@page { size: Letter; margin: 2cm; }
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 13pt; line-height: 1.5; }
h1 { text-align: center; font-size: 22pt; margin: 0; }
h2 { text-align: center; font-size: 15pt; font-weight: normal; margin: 0.3em 0 1em; }
.qr { text-align: center; margin: 1em 0; }
.qr svg { width: 7cm; height: 7cm; }
.study { font-size: 15pt; font-weight: bold; }
.link { font-family: "Noto Sans Mono", "DejaVu Sans Mono", monospace; font-size: 11pt;
        word-break: break-all; }
.help { margin-top: 1.5em; border-top: 1px solid #888; padding-top: 0.8em; }
"""


@dataclass(frozen=True)
class Handout:
    link: str  # the one-time deep link
    study_id: str
    locale: str
    program: str
    help_phone: str
    help_hours: str
    expires_at: datetime
    timezone: str  # the patient's, for the expiry date


def handout_html(h: Handout) -> str:
    tr = translator(h.locale)
    expires = format_date(h.expires_at.astimezone(ZoneInfo(h.timezone)), "long", locale=tr.locale)
    qr = qrcode.make(h.link, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    link = f'<span class="link" dir="ltr">{escape(h.link)}</span>'

    def para(text: str, css: str = "") -> str:
        css_attr = f' class="{css}"' if css else ""
        return f'<p dir="auto"{css_attr}>{text}</p>'

    heading = tr.gettext("Join us on Telegram")  # not inside an f-string: pybabel reads it
    body = [
        f'<h1 dir="auto">{escape(h.program)}</h1>',
        f'<h2 dir="auto">{escape(heading)}</h2>',
        f'<div class="qr">{qr.to_string(encoding="unicode")}</div>',
        para(escape(tr.gettext("Your study number: {study_id}").format(study_id=h.study_id)),
             "study"),
        para(escape(tr.gettext("1. Open your phone's camera and point it at the code above."))),
        para(escape(tr.gettext("2. Open the link it shows: Telegram opens our chat."))),
        para(escape(tr.gettext("3. Press Start. We will send you your questions there."))),
        # escaped first, then the link's own markup put in its place
        para(escape(tr.gettext("No camera? Type this link into your phone: {link}"))
             .replace("{link}", link)),
        para(escape(tr.gettext("This code works once, until {date}. Keep it private.")
                    .format(date=expires))),
        '<div class="help">',
        para(escape(tr.gettext("Questions? Call {phone} ({hours}).")
                    .format(phone=h.help_phone, hours=h.help_hours))),
        para(escape(tr.gettext("These messages are not watched all the time. In an emergency "
                               "call 911, or call or text 988."))),
        "</div>",
    ]  # fmt: skip
    return (
        f'<!doctype html><html lang="{escape(tr.code)}"><head><meta charset="utf-8">'
        f"<title>{escape(h.program)}</title><style>{PAGE_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


def handout_pdf(h: Handout) -> bytes:
    import weasyprint  # a second or so to import: only when a handout is printed

    pdf: bytes = weasyprint.HTML(string=handout_html(h)).write_pdf()
    return pdf
