"""Fast set-up for the benchmarks: many patients with identities and conversations at once.

Rows go in with executemany (not through the pipeline): set-up time is not what is measured.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert

from bot.conversation.state import ConversationState
from bot.db.models import ChannelIdentity, ConsentRecord, Conversation, Patient

CHUNK = 2000


def seed_patients(
    db: Engine, count: int, *, channel: str, address_of: object, now: datetime, prefix: str
) -> list[tuple[int, str]]:
    """`count` active patients reachable on `channel`; returns (patient id, address) pairs."""
    assert callable(address_of)
    state = ConversationState().to_dict()
    made: list[tuple[int, str]] = []
    with db.begin() as conn:
        for start in range(0, count, CHUNK):
            numbers = range(start, min(count, start + CHUNK))
            patients = [
                {
                    "study_id": f"{prefix}-{n}",
                    "display_name": "",
                    "locale": "en",
                    "timezone": "America/New_York",
                    "status": "active",
                    "alumni_opt_out": False,
                    "created_at": now,
                }
                for n in numbers
            ]
            ids = (
                conn.execute(
                    insert(Patient).returning(Patient.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
                    patients,
                )
                .scalars()
                .all()
            )
            addresses = [str(address_of(n)) for n in numbers]
            conn.execute(
                insert(ChannelIdentity),
                [
                    {"patient_id": pid, "channel": channel, "address": address,
                     "status": "active", "created_at": now}
                    for pid, address in zip(ids, addresses, strict=True)
                ],
            )  # fmt: skip
            conn.execute(
                insert(ConsentRecord),
                [
                    {"patient_id": pid, "channel": channel, "address": address,
                     "program": "surveys", "text_version": "bench", "language": "en",
                     "method": "staff", "granted_at": now}
                    for pid, address in zip(ids, addresses, strict=True)
                ],
            )  # fmt: skip
            conn.execute(
                insert(Conversation),
                [{"patient_id": pid, "state": state, "updated_at": now} for pid in ids],
            )
            made.extend(zip(ids, addresses, strict=True))
    return made
