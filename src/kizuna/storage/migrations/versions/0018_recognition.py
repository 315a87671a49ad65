"""recognition: certificates (修了証) and consent to the recruiter view

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_other", sa.String(128), nullable=False, server_default=""),
        sa.Column("team_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("ranked", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("code", name="uq_certificates_code"),
        sa.UniqueConstraint("user_id", "kind", "subject", name="uq_certificates_user_subject"),
    )
    op.create_table(
        "recruiting_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("text_digest", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False, server_default=""),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_recruiting_consents_user_id", "recruiting_consents", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_recruiting_consents_user_id", table_name="recruiting_consents")
    op.drop_table("recruiting_consents")
    op.drop_table("certificates")
