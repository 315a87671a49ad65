"""learning stats: the statistics job's cursor and the tables it derives from the event log

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _user() -> sa.Column:
    return sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    # The job's cursor lives in ``job_cursors`` (0015), beside the badge job's.
    op.create_table(
        "learner_stats",
        _user(),
        sa.Column("xp", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("level", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("run", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("longest", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("activities", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "learner_days",
        _user(),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("xp", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "learner_xp",
        _user(),
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("track_key", sa.String(100), primary_key=True),
        sa.Column("xp", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("reached_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_learner_xp_board", "learner_xp", ["scope", "track_key", "xp"])


def downgrade() -> None:
    op.drop_index("ix_learner_xp_board", table_name="learner_xp")
    op.drop_table("learner_xp")
    op.drop_table("learner_days")
    op.drop_table("learner_stats")
