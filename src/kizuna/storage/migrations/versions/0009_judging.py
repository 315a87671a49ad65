"""judged challenges: verdicts' partial values on solves, matched flags, the review queue

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("solves") as batch:
        batch.add_column(sa.Column("value", sa.Integer(), nullable=True))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("flag_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_submissions_flag_id_flags", "flags", ["flag_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer(),
            sa.ForeignKey("submissions.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "challenge_id", sa.Integer(), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("open_account", sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("comment_locale", sa.String(16), nullable=False),
        sa.Column("comment_translations", sa.JSON(), nullable=True),
        sa.Column("judge_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("challenge_id", "open_account", name="uq_reviews_open"),
    )
    op.create_index("ix_reviews_account_id", "reviews", ["account_id"])
    op.create_index("ix_reviews_status_created", "reviews", ["status", "created_at"])
    op.create_table(
        "review_files",
        sa.Column(
            "review_id", sa.Integer(), sa.ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_files")
    op.drop_index("ix_reviews_status_created", table_name="reviews")
    op.drop_index("ix_reviews_account_id", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint("fk_submissions_flag_id_flags", type_="foreignkey")
        batch.drop_column("flag_id")
    with op.batch_alter_table("solves") as batch:
        batch.drop_column("value")
