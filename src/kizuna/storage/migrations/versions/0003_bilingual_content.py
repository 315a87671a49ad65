"""bilingual content: per-locale text, categories, pages, display and time-zone preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCALISED = ("event", "challenges", "hints", "notifications")


def upgrade() -> None:
    for table in LOCALISED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("locale", sa.String(16), nullable=False, server_default="en"))
            batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("content_locales", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("time_zones", sa.JSON(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "categories",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("translations", sa.JSON(), nullable=True),
    )
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("route", sa.String(128), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("content", sa.Text(), nullable=False, server_default=""),
        sa.Column("format", sa.String(16), nullable=False, server_default="markdown"),
        sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("auth_required", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("translations", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("pages")
    op.drop_table("categories")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("display")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("time_zones")
        batch.drop_column("content_locales")
    for table in LOCALISED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
            batch.drop_column("locale")
