"""battery sittings: plan entries name their items; a patient's progress through a battery

Revision ID: 0021_battery_sittings
Revises: 0007_staff_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_battery_sittings"
down_revision: str | None = "0007_staff_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveyplanentry", schema=None) as batch_op:
        # The items of an instrument cut between sittings; NULL = the whole instrument.
        batch_op.add_column(sa.Column("item_ids", sa.JSON(), nullable=True))
    op.create_table(
        "batteryprogress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("timepoint", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sitting", sa.Integer(), nullable=False),
        sa.Column("sittings", sa.Integer(), nullable=False),
        sa.Column("offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("next_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("window_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reoffers", sa.Integer(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "cohort_id", "timepoint"),
    )
    op.create_index(
        op.f("ix_batteryprogress_patient_id"), "batteryprogress", ["patient_id"], unique=False
    )
    op.create_index(
        op.f("ix_batteryprogress_next_at"), "batteryprogress", ["next_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_batteryprogress_next_at"), table_name="batteryprogress")
    op.drop_index(op.f("ix_batteryprogress_patient_id"), table_name="batteryprogress")
    op.drop_table("batteryprogress")
    with op.batch_alter_table("surveyplanentry", schema=None) as batch_op:
        batch_op.drop_column("item_ids")
