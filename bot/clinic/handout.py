"""The printable invitation handout: the QR code, the study id and how to join, in the patient's
language (gettext; Spanish in locales/tools/translations_es.py), as a one-page US Letter PDF.

Drawn with matplotlib (already used for the report; no system libraries). It holds the one-time
link, so it is made only when the code is made or shown, and never stored.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import qrcode  # noqa: E402 - after choosing the backend
from babel.dates import format_date  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.conversation.i18n import translator  # noqa: E402

PAGE = (8.5, 11.0)  # inches, US Letter


def handout_pdf(
    *,
    link: str,
    study_id: str,
    locale: str,
    program: str,
    help_phone: str,
    help_hours: str,
    expires_at: datetime,
    timezone: str,
) -> bytes:
    tr = translator(locale)
    expires = format_date(expires_at.astimezone(ZoneInfo(timezone)), "long", locale=tr.locale)
    fig = Figure(figsize=PAGE)
    fig.text(0.5, 0.93, program, ha="center", fontsize=22, weight="bold")
    fig.text(0.5, 0.885, tr.gettext("Join us on Telegram"), ha="center", fontsize=16)
    qr_ax = fig.add_axes((0.3, 0.5, 0.4, 0.4 * PAGE[0] / PAGE[1]))
    qr_ax.imshow(_qr_matrix(link), cmap="gray_r", interpolation="nearest")
    qr_ax.set_axis_off()
    lines = [
        tr.gettext("Your study number: {study_id}").format(study_id=study_id),
        "",
        tr.gettext("1. Open your phone's camera and point it at the code above."),
        tr.gettext("2. Open the link it shows: Telegram opens our chat."),
        tr.gettext("3. Press Start. We will send you your questions there."),
        tr.gettext("No camera? Type this link into your phone: {link}").format(link=link),
        tr.gettext("This code works once, until {date}. Keep it private.").format(date=expires),
        "",
        tr.gettext("Questions? Call {phone} ({hours}).").format(phone=help_phone, hours=help_hours),
        tr.gettext(
            "These messages are not watched all the time. In an emergency call 911, "
            "or call or text 988."
        ),
    ]
    y = 0.44
    for line in lines:
        for part in textwrap.wrap(line, 70) or [""]:
            fig.text(0.1, y, part, fontsize=12, ha="left", va="top")
            y -= 0.028
    out = io.BytesIO()
    fig.savefig(out, format="pdf", metadata={"Title": f"{program} invitation"})
    return out.getvalue()


def _qr_matrix(link: str) -> list[list[bool]]:
    code = qrcode.QRCode(border=2)
    code.add_data(link)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]
