"""practice: challenges marked for practice, and practice solves kept apart from the event's board

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("practice", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "practice_solves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "challenge_id", sa.Integer(), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("challenge_id", "user_id", name="uq_practice_solves_challenge_user"),
    )
    op.create_index("ix_practice_solves_user_id", "practice_solves", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_practice_solves_user_id", table_name="practice_solves")
    op.drop_table("practice_solves")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("practice")
