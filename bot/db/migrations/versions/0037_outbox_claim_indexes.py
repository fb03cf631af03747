"""outbox: partial indexes of pending rows (all, and the safety replies apart) for the
dispatcher's claims, which search due rows in id order and stop at a batch (issue 16: a
backlog of due rows, or on PostgreSQL a long history of sent ones, made every claim read all
of it). `not_before` rides in the first so rows not yet due are passed over in the index.
The index on `not_before` alone goes: every query on it is about pending or sending rows, which
these and the status index find, and it cost a page written with every message (with it the new
indexes made each answer's transaction ~12% slower on SQLite).

Revision ID: 0037_outbox_claim_indexes
Revises: 0036_outbox_address_index

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037_outbox_claim_indexes"
down_revision: str | None = "0036_outbox_address_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "status = 'pending'"
SAFETY = "kind IN ('crisis', 'help')"


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.create_index(
            "ix_outboxmessage_pending",
            ["channel", "id", "not_before"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch.create_index(
            "ix_outboxmessage_pending_safety",
            ["channel", "id"],
            unique=False,
            sqlite_where=sa.text(f"{PENDING} AND {SAFETY}"),
            postgresql_where=sa.text(f"{PENDING} AND {SAFETY}"),
        )
        batch.drop_index("ix_outboxmessage_not_before")


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.create_index("ix_outboxmessage_not_before", ["not_before"], unique=False)
        batch.drop_index("ix_outboxmessage_pending_safety")
        batch.drop_index("ix_outboxmessage_pending")
