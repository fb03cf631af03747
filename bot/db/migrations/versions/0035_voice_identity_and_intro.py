"""voice (issue 20): a patient's date of birth for the phone identity check, and the survey a
call has introduced

Revision ID: 0035_voice_identity_and_intro
Revises: 0026_voice

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_voice_identity_and_intro"
down_revision: str | None = "0026_voice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
    with op.batch_alter_table("voicecall") as batch:
        batch.add_column(sa.Column("introduced_survey", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voicecall") as batch:
        batch.drop_column("introduced_survey")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("date_of_birth")
