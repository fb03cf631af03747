"""outbox: an index on (address, id) for the claims' "earlier unsent row to this address" check
(issue 16: a backlog of due rows made every claim scan it)

Revision ID: 0036_outbox_address_index
Revises: 0035_voice_identity_and_intro

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036_outbox_address_index"
down_revision: str | None = "0035_voice_identity_and_intro"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.create_index("ix_outboxmessage_address_id", ["address", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_index("ix_outboxmessage_address_id")
