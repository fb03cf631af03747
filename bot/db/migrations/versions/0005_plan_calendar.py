"""plan follows the calendar: late baselines are marked on the planned survey

Revision ID: 0005_plan_calendar
Revises: 0004_exports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_plan_calendar"
down_revision: str | None = "0004_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plannedsurvey", schema=None) as batch_op:
        # A baseline planned for a patient who enrolled after the first session: its window is
        # tied to the next session at enrolment, not to the first session.
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("plannedsurvey", schema=None) as batch_op:
        batch_op.drop_column("late")
