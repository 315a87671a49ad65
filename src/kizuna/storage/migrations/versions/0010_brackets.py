"""brackets (部門): divisions with their own ranks; ``bracket_id`` on users and teams

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brackets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("type", sa.String(16), nullable=False, server_default="teams"),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("translations", sa.JSON(), nullable=True),
    )
    for table in ("users", "teams"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("bracket_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_bracket_id", "brackets", ["bracket_id"], ["id"], ondelete="SET NULL"
            )


def downgrade() -> None:
    for table in ("teams", "users"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_bracket_id", type_="foreignkey")
            batch.drop_column("bracket_id")
    op.drop_table("brackets")
