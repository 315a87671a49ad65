"""per-challenge release and close times; the event's optional first-blood bonus

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("release_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("close_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("first_blood_bonus", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("first_blood_bonus")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("close_at")
        batch.drop_column("release_at")
