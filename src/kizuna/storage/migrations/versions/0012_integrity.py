"""integrity signals for judges: addresses kept per account, the signals, the background scan's turns

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("user_id", "address", "kind", name="uq_account_addresses"),
    )
    op.create_index("ix_account_addresses_address", "account_addresses", ["address"])
    op.create_table(
        "integrity_signals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "dismissed_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "integrity_scans",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_integrity_signals_subject", "integrity_signals", ["subject"])
    op.create_index("ix_integrity_signals_dismissed_at", "integrity_signals", ["dismissed_at"])


def downgrade() -> None:
    op.drop_index("ix_integrity_signals_dismissed_at", table_name="integrity_signals")
    op.drop_index("ix_integrity_signals_subject", table_name="integrity_signals")
    op.drop_table("integrity_scans")
    op.drop_table("integrity_signals")
    op.drop_index("ix_account_addresses_address", table_name="account_addresses")
    op.drop_table("account_addresses")
