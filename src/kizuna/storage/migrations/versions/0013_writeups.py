"""write-ups (解説): one per account and challenge, with the judges' prize marks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "writeups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "challenge_id", sa.Integer(), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=True),
        sa.Column("content", sa.Text(), nullable=False, server_default=""),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("prize", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("comment", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("challenge_id", "account_id", name="uq_writeups_challenge_account"),
    )
    op.create_index("ix_writeups_account_id", "writeups", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_writeups_account_id", table_name="writeups")
    op.drop_table("writeups")
