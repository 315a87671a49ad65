"""two-factor authentication: the secret being set up, and wrong codes counted per account

The secret an account is setting up stays on the server (the session cookie is signed, not
encrypted) until a code from it confirms it. Wrong codes are counted per account, so starting the
login again (or replaying an older session cookie) does not give an attacker fresh guesses.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_pending", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("totp_failed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_failed_at")
        batch.drop_column("totp_failures")
        batch.drop_column("totp_pending")
