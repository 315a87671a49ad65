"""landing page: organisers and sponsors (with their logos), the venue screen's theme

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sponsors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.String(500), nullable=False, server_default=""),
        sa.Column("group", sa.String(16), nullable=False, server_default="sponsors"),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("translations", sa.JSON(), nullable=True),
    )
    op.create_table(
        "sponsor_logos",
        sa.Column(
            "sponsor_id", sa.Integer(), sa.ForeignKey("sponsors.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("venue_theme", sa.String(16), nullable=False, server_default="light"))


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("venue_theme")
    op.drop_table("sponsor_logos")
    op.drop_table("sponsors")
