"""safety net: an index for throttling enrolment attempts by the last hour of inbound messages

Revision ID: 0006_safety_net
Revises: 0005_plan_calendar
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_safety_net"
down_revision: str | None = "0005_plan_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inboundmessage_channel_received_at", ["channel", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_inboundmessage_channel_received_at")
