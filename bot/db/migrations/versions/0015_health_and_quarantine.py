"""health and quarantine: the health check's heartbeat and quarantined inbound messages

Revision ID: 0015_health_and_quarantine
Revises: 0004_exports
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_health_and_quarantine"
down_revision: str | None = "0004_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "healthprobe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "quarantinedinbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("provider_message_id", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("triage_tier", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("quarantined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantinedinbound", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantinedinbound_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quarantinedinbound_reviewed_at"), ["reviewed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantinedinbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantinedinbound_reviewed_at"))
        batch_op.drop_index(batch_op.f("ix_quarantinedinbound_patient_id"))

    op.drop_table("quarantinedinbound")
    op.drop_table("healthprobe")
