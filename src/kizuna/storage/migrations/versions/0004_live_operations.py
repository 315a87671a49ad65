"""live operations: event log, audit log, staff roles, two-factor authentication, pause reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False, server_default="public"),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(128), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("actor_id", sa.Integer(), nullable=True, index=True),
        sa.Column("actor_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("actor_role", sa.String(16), nullable=False, server_default=""),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("target_type", sa.String(32), nullable=False, server_default=""),
        sa.Column("target_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
    )
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("pause_reason", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("two_factor_roles", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("venue_rows", sa.Integer(), nullable=False, server_default="10"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_recovery", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_recovery")
        batch.drop_column("totp_secret")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("venue_rows")
        batch.drop_column("two_factor_roles")
        batch.drop_column("pause_reason")
    op.drop_table("audit_log")
    op.drop_table("events")
